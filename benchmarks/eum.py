"""Speed of the expected utility model.

Prints, for each engine (``numba``: compiled, the default; ``numpy``: the reference), (1) the
10-actor EC car-emissions example, 10 rounds, per run after warm-up, for ``forecast`` and
``trajectory`` (the reference Python replication takes 2.5 s: see the last line of
../shared/data/reference/emissions/scholz-compatible-10-rounds.txt); (2) n actors × 10 issues ×
1,000 draws × 20 rounds (convergence checks off, so every round is played) for n = 10, 30, 100,
300: wall and CPU time and actor-pair evaluations per second (one evaluation = one ordered pair
(i, j) on one issue of one draw in one round; the compiled kernel works per distinct position and
stops at each actor's nearest confrontation, so it does not visit every pair, but the figure
keeps this definition), with the ratio to the targets (EC example
< 2.5 ms; 100 actors <= 10 s). The machine is shared: the load is printed, and CPU time (summed
over threads) is the steadier figure; CPU / threads is what an idle machine would take.

    .venv/bin/python benchmarks/eum.py                 # every size, extrapolating past --budget
    .venv/bin/python benchmarks/eum.py --engines numba --sizes 100 --budget 1e9   # full 100-actor run
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

import numpy as np

from accord.models import eum
from accord.scenario import from_arrays

ROOT = Path(__file__).resolve().parents[1]
EMISSIONS = ROOT.parent / "shared" / "data" / "reference" / "emissions" / "actors.csv"
REFERENCE_SECONDS = 2.52  # wall time printed at the end of the reference log


def emissions_arrays():
    if EMISSIONS.exists():
        rows = [line.split(",") for line in EMISSIONS.read_text().splitlines()[1:] if line.strip()]
        cap = [float(r[1]) for r in rows]
        pos = [[float(r[2])] for r in rows]
        sal = [[float(r[3])] for r in rows]
    else:  # the same table (BDM 1994, p. 78), should the shared data be absent
        cap = [0.08, 0.08, 0.03, 0.16, 0.16, 0.16, 0.16, 0.05, 0.05, 0.08]
        pos = [[4], [7], [4], [4], [10], [10], [10], [7], [4], [7]]
        sal = [[0.8], [0.4], [0.2], [0.8], [0.6], [0.6], [0.9], [0.1], [1.0], [0.7]]
    return from_arrays(cap, pos, sal, lower=4, upper=10).arrays()


def per_run(fn, repeat):
    """Best of 5 wall and CPU seconds per call (CPU time is less disturbed by other load)."""
    fn()
    wall = cpu = np.inf
    for _ in range(5):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(repeat):
            fn()
        wall = min(wall, (time.perf_counter() - t0) / repeat)
        cpu = min(cpu, (time.process_time() - c0) / repeat)
    return wall, cpu


def synthetic(n, n_issues, n_draws, seed=0):
    rng = np.random.default_rng(seed)
    cap = rng.uniform(0.1, 1, n)
    pos = rng.uniform(0, 100, (n, n_issues))
    sal = rng.uniform(0.1, 1, (n, n_issues))
    a = from_arrays(cap, pos, sal).arrays()
    return a.replace(
        capability=np.clip(cap * rng.lognormal(0, 0.1, (n_draws, n)), 0, None),
        position=np.clip(pos + rng.normal(0, 5, (n_draws, n, n_issues)), 0, 100),
        salience=np.clip(sal + rng.normal(0, 0.05, (n_draws, n, n_issues)), 0, 1),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 30, 100, 300])
    parser.add_argument("--issues", type=int, default=10)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--variant", default=None)
    parser.add_argument("--engines", nargs="*", default=list(eum.ENGINES))
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per size before extrapolating")
    args = parser.parse_args()
    print(load())
    if "numba" in args.engines:
        from numba import get_num_threads

        print(f"numba threads: {get_num_threads()}")
        # Compiled code loaded (or compiled, once per machine): the serial and threaded kernels.
        for batch in (synthetic(4, 1, 1), synthetic(12, 1, 20)):
            eum.forecast(batch, rounds=10, tol=None, engine="numba")

    a = emissions_arrays()
    print("\nEC car-emissions example, 10 actors, 10 rounds, per run after warm-up (best of 5):")
    for engine in args.engines:
        for variant in ("scholz_compatible", "paper"):
            for name, fn in (("forecast", eum.forecast), ("trajectory", eum.trajectory)):
                t, cpu = per_run(lambda fn=fn, v=variant, e=engine: fn(a, variant=v, rounds=10, tol=None, engine=e), 50)
                print(f"  {engine:6s} {variant:18s} {name:10s} {t * 1e3:7.3f} ms (cpu {cpu * 1e3:6.3f})  "
                      f"{REFERENCE_SECONDS / t:6.0f}x the reference replication; target < 2.5 ms: "
                      f"{t / 2.5e-3:5.2f} of it, {'met' if t < 2.5e-3 else 'MISSED'}")

    print(f"\nn actors x {args.issues} issues x {args.draws} draws x {args.rounds} rounds "
          f"(variant {args.variant or eum.DEFAULT_VARIANT}, every round played; runs predicted to "
          f"exceed --budget {args.budget:g} s play fewer draws and are extrapolated, marked ~):")
    print(f"  {'engine':6s} {'n':>5s} {'draws run':>9s} {'wall s':>9s} {'cpu s':>9s} {'pairs/s':>10s} "
          f"{'ns/pair':>8s} {'cpu ns/pair':>11s}")
    for engine in args.engines:
        for n in args.sizes:
            pilot = max(1, min(args.draws, 20, int(4e6 / (n * n * args.issues * args.rounds))))
            wall, cpu = timed(synthetic(n, args.issues, pilot), args, engine)
            draws = args.draws
            if wall * args.draws / pilot > args.budget:
                draws = max(pilot, int(args.budget / wall * pilot))
            if draws != pilot:
                wall, cpu = timed(synthetic(n, args.issues, draws), args, engine)
            pairs = n * (n - 1) * args.issues * draws * args.rounds
            full, full_cpu = wall * args.draws / draws, cpu * args.draws / draws
            mark = " " if draws == args.draws else "~"
            note = ""
            if n == 100 and args.issues == 10 and args.draws == 1000 and args.rounds == 20:
                note = f"   target <= 10 s: {full / 10:.2f} of it, {'met' if full <= 10 else 'MISSED'}"
            print(f"  {engine:6s} {n:5d} {draws:9d} {mark}{full:8.2f} {mark}{full_cpu:8.2f} {pairs / wall:10.3g} "
                  f"{wall / pairs * 1e9:8.1f} {cpu / pairs * 1e9:11.1f}{note}", flush=True)
    print(load())


def load():
    try:
        up = subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        up = f"load average {os.getloadavg()[0]:.2f}"
    return f"{up} ({os.cpu_count()} cores)"


def timed(batch, args, engine):
    t0, c0 = time.perf_counter(), time.process_time()
    out = eum.forecast(batch, variant=args.variant, rounds=args.rounds, tol=None, engine=engine)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert np.isfinite(out["outcome"]).all()
    return wall, cpu


if __name__ == "__main__":
    main()
