"""``accord explain`` on the Syria example, per explained model, as a whole process.

Target: each of ``accord explain examples/syria-issg-2015.yaml -m smp`` and ``-m exchange`` in
under 15 s on a 2-core machine, the smallest-change search for the joint models included (41
positions per (actor, issue) pair and 62 capability factors per actor, one batched call, the
exchange model in its Monte Carlo floats; docs/explain.md). Kernels are compiled first (one
untimed run per model); the best of ``--repeat`` runs is reported, wall time.

    .venv/bin/python benchmarks/explain.py [--repeat 3] [--models smp,exchange,compromise]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACCORD = str(Path(sys.executable).with_name("accord"))
SCENARIO = "examples/syria-issg-2015.yaml"
TARGET = 15.0  # seconds, per model


def run_once(model: str) -> float:
    """Wall seconds of one ``accord explain`` (output discarded)."""
    t = time.perf_counter()
    subprocess.run([ACCORD, "explain", SCENARIO, "-m", model], cwd=ROOT, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", default="smp,exchange,compromise")
    args = parser.parse_args()
    for model in args.models.split(","):
        run_once(model)  # compile the kernels (cached) and warm the byte-code
        best = min(run_once(model) for _ in range(args.repeat))
        verdict = "ok" if best <= TARGET else "OVER"
        print(f"accord explain syria -m {model:<11} best of {args.repeat}: {best:6.2f} s  "
              f"({best / TARGET:.2f} of the {TARGET:.0f} s target: {verdict})")


if __name__ == "__main__":
    main()
