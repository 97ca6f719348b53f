"""accord: forecast multi-party negotiations.

>>> import accord
>>> s = accord.read_scenario("examples/syria-issg-2015.yaml")  # doctest: +SKIP
>>> accord.forecast(s, models=["compromise"]).to_frame()  # doctest: +SKIP
"""

__version__ = "0.1.0"

from accord.errors import AccordError, ModelError, Problem, ScenarioError  # noqa: E402
from accord.scenario import (  # noqa: E402
    Actor,
    DecisionRule,
    Issue,
    Linkage,
    Precondition,
    Scenario,
    ScenarioArrays,
    Stance,
    from_arrays,
)


def read_scenario(path, format=None):
    """Read a scenario from any supported file (format detected from content)."""
    from accord.io import read_scenario as _read

    return _read(path, format=format)


# The function, not its module: imported here, ``accord.forecast`` stays the function whatever
# imports the module ``accord.forecast`` later.
from accord.forecast import forecast  # noqa: E402

__all__ = [
    "AccordError", "Actor", "DecisionRule", "Issue", "Linkage", "ModelError", "Precondition",
    "Problem", "Scenario", "ScenarioArrays", "ScenarioError", "Stance", "forecast", "from_arrays",
    "read_scenario", "__version__",
]
