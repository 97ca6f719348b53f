"""What a model is to the rest of accord: its metadata, what it can do, and its entry points.

Every registered model's ``forecast(arrays, rng=None, **params)`` returns a
:class:`~accord.results.ModelResult`; what callers need to know about a model before running it
is declared here, never found out by running it or by inspecting signatures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from accord.models.params import Param


@dataclass(frozen=True)
class Model:
    """A model accord can run.

    ``forecast(arrays, rng=None, **params)`` gives a :class:`~accord.results.ModelResult` whose
    arrays have the leading (draw) axes of the inputs; iterative models also give
    ``trajectory(arrays, rng=None, **params)`` -> :class:`~accord.results.Trajectory` for one
    scenario. Both check their parameters against :attr:`params` (:mod:`accord.models.params`).

    Declared abilities: ``stochastic`` (draws from ``rng`` by default), ``joint`` (looks at all
    issues together, so it must be run on all of them at once), ``quantiles`` (its result has
    quantiles of a predictive distribution, at the levels its ``quantiles=`` parameter asks for),
    ``positions`` (its result has the actors' positions after the last round),
    ``needs_status_quo``, ``order_invariant`` (False where, as in the reference implementation
    the model reproduces, the order of the actors can change the result).
    ``scenario_kwargs(scenario) -> dict`` gives the keyword arguments a
    model takes from the scenario's records beyond its arrays (forbidden linkages, a file's
    model parameters); ``kwargs_by_id`` says that they are keyed by actor and issue ids, so they
    hold for any subset of actors and issues and the backtest passes them too. ``draw_params``
    are (name, value) pairs a Monte Carlo run passes unless the user sets them (the exchange
    model's Monte Carlo draws run in floats, see docs/uncertainty.md); a single forecast never
    takes them. ``figures`` says what each key of its result's ``extra`` means (the glossary a
    forecast's JSON carries beside the numbers).
    """

    name: str
    title: str
    citation: str
    forecast: Callable
    summary: str = ""
    trajectory: Callable | None = None
    variants: tuple[str, ...] = ()
    stochastic: bool = False
    joint: bool = False
    quantiles: bool = False
    positions: bool = False
    needs_status_quo: bool = False
    order_invariant: bool = True
    scenario_kwargs: Callable | None = None
    draw_params: tuple[tuple[str, object], ...] = ()
    kwargs_by_id: bool = False
    figures: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def iterative(self) -> bool:
        return self.trajectory is not None

    @property
    def params(self) -> dict[str, Param]:
        """Every parameter of the forecast (and of the trajectory, for iterative models)."""
        table = dict(getattr(self.trajectory, "params", {}))
        return table | dict(getattr(self.forecast, "params", {}))
