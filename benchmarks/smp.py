"""accord's SMP against KTAB's ``smpc``: wall and CPU time of both engines, identical trajectories.

KTAB's times are whole-process times of ``smpc --logmin`` built with -O2 from KTAB's last public
state (median of 3, on a 2-core machine like this one; ``../shared/data/README.md``). accord's
are in-process times of ``accord.models.smp.trajectory`` (the full result: positions, win
probabilities, bargains as events) after one warm-up run (which also loads or compiles the numba
kernel), best and median of ``--repeat`` runs, for the compiled engine (``numba``, the default)
and the NumPy reference (``numpy``); reading the CSV is not timed (about a millisecond). The
machine is shared: other jobs inflate wall times, so the load average is printed before and
after, and the CPU (process) time beside the wall time. The speed-up is KTAB's time over
accord's best wall time. ``same`` says whether the two engines' trajectories are bit-identical.

The last rows time a Monte Carlo forecast (``forecast`` over a batch of draws of the Syria
scenario, 15 actors × 7 issues): the model runs once per draw, so this is the per-turn cost at
small n that matters most.

    .venv/bin/python benchmarks/smp.py [--repeat 11]
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import time
from pathlib import Path

import numpy as np

from accord.io import read_scenario
from accord.models.smp import forecast, trajectory

ROOT = Path(__file__).resolve().parents[1]
KTAB_DIR = ROOT.parent / "shared" / "data" / "reference" / "ktab"
SYRIA = ROOT / "examples" / "syria-issg-2015.yaml"
CASES = [  # scenario, KTAB smpc seconds, KTAB states
    ("SOE-Pol-Comp", 0.45, 28),
    ("dummyData-a040", 7.06, 21),
    ("synth-a50-d3", 36.5, 44),
]
ENGINES = ("numba", "numpy")
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


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def same_run(one, two) -> bool:
    return (one.stopped == two.stopped and one.positions.shape == two.positions.shape
            and np.array_equal(one.positions, two.positions)
            and np.array_equal(one.extra["win_probability"], two.extra["win_probability"])
            and one.events == two.events)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=11)
    ap.add_argument("--draws", type=int, default=250, help="Monte Carlo draws for the compiled engine")
    args = ap.parse_args()
    if not KTAB_DIR.exists():
        raise SystemExit(f"reference data not found: {KTAB_DIR}")
    print(f"load average (1, 5, 15 min) before: {load()}   cores: {os.cpu_count()}")
    print(f"{'scenario':<16} {'actors×dims':>11} {'states':>7} {'max |Δ| vs KTAB':>16} {'engine':>6} {'same':>5} "
          f"{'KTAB s':>7} {'best s':>8} {'median s':>9} {'cpu s':>8} {'speed-up':>9} {'forecast s':>10}  "
          f"target ≥{TARGET:g}×")
    for name, ktab_s, ktab_states in CASES:
        a = read_scenario(KTAB_DIR / f"{name}.csv").arrays()
        ref = ktab_positions(name)
        runs = {e: trajectory(a, engine=e) for e in ENGINES}
        same = same_run(runs["numba"], runs["numpy"])
        for engine in ENGINES:
            traj = runs[engine]
            fits = traj.positions.shape == ref.shape
            diff = float(np.abs(traj.positions - ref).max()) if fits else float("nan")
            times, cpu = timed(lambda a=a, e=engine: trajectory(a, engine=e), args.repeat)
            f_times, _ = timed(lambda a=a, e=engine: forecast(a, engine=e), max(3, args.repeat // 2))
            best, med = min(times), statistics.median(times)
            speed = ktab_s / best
            states = f"{traj.positions.shape[0]}/{ktab_states}"
            print(f"{name:<16} {a.n_actors:>5} × {a.n_issues:<3} {states:>7} {diff:>16.2e} {engine:>6} "
                  f"{'yes' if same else 'NO':>5} {ktab_s:>7.2f} {best:>8.4f} {med:>9.4f} {min(cpu):>8.4f} "
                  f"{speed:>8.1f}× {min(f_times):>10.4f}  {'yes' if speed >= TARGET else 'NO'}")
    if SYRIA.exists():
        s = read_scenario(SYRIA).arrays()
        rng = np.random.default_rng(0)
        print(f"\nMonte Carlo forecast, {SYRIA.name} ({s.n_actors} actors × {s.n_issues} issues), per draw:")
        for engine, k in (("numba", args.draws), ("numpy", max(5, args.draws // 25))):
            draws = s.replace(capability=s.capability * rng.uniform(0.7, 1.3, (k, s.n_actors)))
            forecast(s, engine=engine)
            t0, c0 = time.perf_counter(), time.process_time()
            forecast(draws, engine=engine)
            wall, cpu = (time.perf_counter() - t0) / k, (time.process_time() - c0) / k
            print(f"  {engine:<6} {k:>4} draws: wall {wall * 1e3:7.2f} ms   cpu {cpu * 1e3:7.2f} ms")
    print(f"load average (1, 5, 15 min) after:  {load()}")


if __name__ == "__main__":
    main()
