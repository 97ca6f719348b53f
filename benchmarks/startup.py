"""Start-up: a warm one-model forecast as a whole process, against ``python -c "import numpy"``.

Target (issue 22): ``accord forecast examples/syria-issg-2015.yaml -m compromise`` takes at most
3.5x the time of ``python -c "import numpy"``, and neither ``accord --help`` nor that forecast
imports numba, pandas, plotly, FastAPI or SciPy. The two commands alternate (this machine's
speed drifts from minute to minute); the best of ``--repeat`` runs of each is compared, wall
time and CPU time (user + system) of the child process. Byte-code caches are written (a warm
start is a second start), whatever PYTHONDONTWRITEBYTECODE says.

    .venv/bin/python benchmarks/startup.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
ACCORD = str(Path(PYTHON).with_name("accord"))
HEAVY = ("numba", "pandas", "plotly", "fastapi", "scipy", "matplotlib", "sqlalchemy", "pydantic")
COMMANDS = {
    "python -c 'import numpy'": [PYTHON, "-c", "import numpy"],
    "accord --help": [ACCORD, "--help"],
    "accord forecast syria -m compromise": [ACCORD, "forecast", "examples/syria-issg-2015.yaml", "-m", "compromise"],
}
TARGET = 3.5


def _env() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["COLUMNS"] = "120"
    return env


def run_once(argv) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv`` (output discarded)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heavy_modules(argv) -> list[str]:
    """The heavy packages a command imports (``-X importtime``, top-level names)."""
    proc = subprocess.run([PYTHON, "-X", "importtime", *argv], cwd=ROOT, env=_env(), capture_output=True, text=True)
    names = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    return sorted(names & set(HEAVY))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    print("load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" ({os.cpu_count()} cores)")
    for argv in COMMANDS.values():
        run_once(argv)  # warm: byte-code caches, the page cache
    best = {name: [float("inf"), float("inf")] for name in COMMANDS}
    for _ in range(args.repeat):
        for name, argv in COMMANDS.items():
            wall, cpu = run_once(argv)
            best[name] = [min(best[name][0], wall), min(best[name][1], cpu)]
    base_wall, base_cpu = best["python -c 'import numpy'"]
    for name, (wall, cpu) in best.items():
        print(f"  {name:<38} wall {1e3 * wall:6.0f} ms ({wall / base_wall:4.1f}x)   CPU {1e3 * cpu:6.0f} ms "
              f"({cpu / base_cpu:4.1f}x)")
    for name, argv in list(COMMANDS.items())[1:]:
        heavy = heavy_modules(argv[1:] if argv[0] == PYTHON else ["-c", "from accord.cli import main; main()", *argv[1:]])
        print(f"  {name}: heavy modules imported: {', '.join(heavy) or 'none'}")
    ratio = best["accord forecast syria -m compromise"][0] / base_wall
    print(f"forecast / import numpy: {ratio:.1f}x wall (target <= {TARGET}x: {'met' if ratio <= TARGET else 'MISSED'})")


if __name__ == "__main__":
    main()
