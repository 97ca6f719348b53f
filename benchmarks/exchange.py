"""Speed of the exchange model beside the Decide exchange model, for both engines.

Prints, for the Decide reference inputs in ../shared/data/reference/decide/, with the compiled
step loop (``engine="numba"``, the default) and the NumPy reference (``engine="numpy"``):

1. trade10x5 (10 actors × 5 issues), 10 rounds, one deterministic equal-gain run, with the decimal
   shadow that reproduces Decide bit for bit (the default) and with floats only;
2. COP21 (15 actors × 13 issues), 10 rounds, one deterministic run (first-in-order ties), with
   and without the shadow; and 100 repetitions with random tie-breaking (Decide's own rule: a coin
   between the two best of its sorted list), all in lockstep (shadow off: ties are random anyway);

each as the median wall time and the median CPU time (``time.process_time``; other work on the
machine inflates wall time, so both are shown, with the load average), per repetition, beside
Decide's whole-process time on this kind of machine (trade10x5 ≈ 3 s, COP21 ≈ 16 s per repetition;
Decide also writes charts and 60 CSV files, so the ratio flatters us somewhat). The target is
≥ 50× Decide per repetition. The two engines give identical results
(tests/test_exchange_engines.py).

    .venv/bin/python benchmarks/exchange.py
    .venv/bin/python benchmarks/exchange.py --engines numba --repeat 3    # quicker
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from accord.io.decide import read_decide
from accord.models.exchange import exchange_run, exchange_runs

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "reference" / "decide"
DECIDE_SECONDS = {"trade10x5": 3.0, "cop21": 16.0}  # whole process, one repetition (data README)
TARGET = 50


def timed(fn, repeat):
    """Median wall and CPU seconds of ``repeat`` calls."""
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def line(label, engine, wall, cpu, reps, decide, speedup=None):
    per_wall, per_cpu = wall / reps, cpu / reps
    ratio = decide / per_wall
    flag = "" if ratio >= TARGET else f"  (wall below the {TARGET}x target)"
    vs = "" if speedup is None else f"  (numba x{speedup:.1f} faster)"
    print(f"{label:<44} {engine:<6} {per_wall * 1000:9.1f} ms/rep wall {per_cpu * 1000:9.1f} ms/rep CPU"
          f"   Decide {decide:4.1f} s/rep: x{ratio:6.0f} wall, x{decide / per_cpu:6.0f} CPU{vs}{flag}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per single-run figure (median)")
    ap.add_argument("--repetitions", type=int, default=100, help="COP21 repetitions with random ties")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--engines", default="numba,numpy", help="comma-separated: numba, numpy")
    args = ap.parse_args(argv)
    if not DATA.exists():
        sys.exit(f"reference data not found: {DATA}")
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    trade = read_decide(DATA / "trade10x5.csv").arrays()
    cop = read_decide(DATA / "cop21.csv").arrays()
    for engine in engines:  # warm-up: imports, compilation or the compiled cache, first allocations
        exchange_run(trade, rounds=1, engine=engine)
        exchange_runs(cop, repetitions=2, rounds=1, ties="random", rng=np.random.default_rng(0), exact=False,
                      engine=engine)

    load = os.getloadavg()
    print(f"exchange model, {args.rounds} rounds; median of {args.repeat} timed runs "
          f"({os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    rounds = args.rounds
    cases = [
        ("trade10x5, 1 run (exact)", "trade10x5", 1, args.repeat,
         lambda e: exchange_run(trade, rounds=rounds, engine=e)),
        ("trade10x5, 1 run (floats only)", "trade10x5", 1, args.repeat,
         lambda e: exchange_run(trade, rounds=rounds, exact=False, engine=e)),
        ("COP21, 1 run, first-in-order ties (exact)", "cop21", 1, args.repeat,
         lambda e: exchange_run(cop, rounds=rounds, engine=e)),
        ("COP21, 1 run (floats only)", "cop21", 1, args.repeat,
         lambda e: exchange_run(cop, rounds=rounds, exact=False, engine=e)),
        (f"COP21, {args.repetitions} reps, Decide's random ties", "cop21", args.repetitions, max(1, args.repeat // 5),
         lambda e: exchange_runs(cop, repetitions=args.repetitions, rounds=rounds, ties="random",
                                 rng=np.random.default_rng(0), exact=False, engine=e)),
    ]
    for label, name, reps, repeat, fn in cases:
        walls = {}
        for engine in engines:
            walls[engine], cpu = timed(lambda fn=fn, engine=engine: fn(engine), repeat)
            both = engine == "numpy" and "numba" in walls
            line(label, engine, walls[engine], cpu, reps, DECIDE_SECONDS[name],
                 speedup=walls["numpy"] / walls["numba"] if both else None)
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
