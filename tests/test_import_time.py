"""Start-up: commands import only what they use (issue 22: a one-model forecast in a blink).

Each command runs in a fresh interpreter, which reports the top-level packages loaded when it
exits. The heavy ones (numba ~0.5 s, pandas ~0.15 s, plotly, FastAPI, SciPy, matplotlib,
SQLAlchemy, pydantic) must wait for the commands that need them; the timing itself is a
benchmark (benchmarks/startup.py), not a test.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import SYRIA

HEAVY = {"numba", "pandas", "plotly", "fastapi", "scipy", "matplotlib", "sqlalchemy", "pydantic"}
PROBE = """
import atexit, sys
atexit.register(lambda: sys.stderr.write("LOADED " + " ".join(sorted({m.split(".")[0] for m in sys.modules})) + "\\n"))
sys.argv = ["accord", *sys.argv[1:]]
from accord.cli import main
main()
"""


def loaded(*args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(x for x in proc.stderr.splitlines() if x.startswith("LOADED "))
    return set(line.split()[1:])


@pytest.mark.parametrize("args", [
    ("--help",),
    ("forecast", str(SYRIA), "-m", "compromise"),
    ("forecast", str(SYRIA), "-m", "compromise,median,nash", "--format", "json"),
    ("models",),
])
def test_light_commands_import_no_heavy_package(args):
    assert loaded(*args) & HEAVY == set()


def test_an_iterative_model_loads_numba_and_only_then():
    # The probe sees what a command loads: the EUM's compiled kernel does need numba.
    assert "numba" in loaded("forecast", str(SYRIA), "-m", "eum")
