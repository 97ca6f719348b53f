"""accord's SMP against KTAB's ``smpc``: wall time and identical trajectories.

KTAB's times are whole-process times of ``smpc --logmin`` built with -O2 from KTAB's last public
state (median of 3, on a 2-core machine like this one; ``../shared/data/README.md``). accord's
are in-process times of ``accord.models.smp.trajectory`` (the full result: positions, win
probabilities, bargains as events) after one warm-up run, best and median of ``--repeat`` runs;
reading the CSV is not timed (about a millisecond). Machine load from other jobs inflates the
median; the best run is the fairer figure, and the CPU (process) time is printed beside it.
The speed-up is KTAB's time over accord's best wall time.

    .venv/bin/python benchmarks/smp.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

import numpy as np

from accord.io import read_scenario
from accord.models.smp import forecast, trajectory

KTAB_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "reference" / "ktab"
CASES = [  # scenario, KTAB smpc seconds, KTAB states
    ("SOE-Pol-Comp", 0.45, 28),
    ("dummyData-a040", 7.06, 21),
    ("synth-a50-d3", 36.5, 44),
]
TARGET = 20.0


def ktab_positions(name: str) -> np.ndarray:
    rows = list(csv.DictReader(open(KTAB_DIR / f"ktab-run-{name}-positions.csv", encoding="utf-8")))
    shape = [1 + max(int(r[k]) for r in rows) for k in ("turn", "actor_index", "dim_index")]
    out = np.full(shape, np.nan)
    for r in rows:
        out[int(r["turn"]), int(r["actor_index"]), int(r["dim_index"])] = float(r["position"])
    return out


def timed(fn, repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (process) seconds of ``repeat`` calls after a warm-up call."""
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    if not KTAB_DIR.exists():
        raise SystemExit(f"reference data not found: {KTAB_DIR}")
    print(f"{'scenario':<16} {'actors×dims':>11} {'states':>7} {'max |Δ| vs KTAB':>16} {'KTAB s':>7} "
          f"{'accord best s':>13} {'median s':>9} {'cpu best s':>10} {'speed-up':>9} {'forecast s':>10}  target ≥{TARGET:g}×")
    for name, ktab_s, ktab_states in CASES:
        a = read_scenario(KTAB_DIR / f"{name}.csv").arrays()
        traj = trajectory(a)
        ref = ktab_positions(name)
        same = traj.positions.shape == ref.shape
        diff = float(np.abs(traj.positions - ref).max()) if same else float("nan")
        times, cpu = timed(lambda a=a: trajectory(a), args.repeat)
        f_times, _ = timed(lambda a=a: forecast(a), max(3, args.repeat // 2))
        best, med = min(times), statistics.median(times)
        speed = ktab_s / best
        states = f"{traj.positions.shape[0]}/{ktab_states}"
        print(f"{name:<16} {a.n_actors:>5} × {a.n_issues:<3} {states:>7} {diff:>16.2e} {ktab_s:>7.2f} "
              f"{best:>13.4f} {med:>9.4f} {min(cpu):>10.4f} {speed:>8.1f}× {min(f_times):>10.4f}  "
              f"{'yes' if speed >= TARGET else 'NO'}")


if __name__ == "__main__":
    main()
