"""Speed of the exchange model beside the Decide exchange model.

Prints, for the Decide reference inputs in ../shared/data/reference/decide/:

1. trade10x5 (10 actors × 5 issues), 10 rounds, one deterministic equal-gain run (the default,
   with the decimal shadow that reproduces Decide bit for bit), median of ``--repeat`` runs;
2. COP21 (15 actors × 13 issues), 10 rounds, one deterministic run; and 100 repetitions with
   random tie-breaking, all in lockstep (the decimal shadow off: ties are random anyway);

each beside Decide's whole-process time on this kind of machine (trade10x5 ≈ 3 s, COP21 ≈ 16 s per
repetition; Decide also writes charts and 60 CSV files, so the ratio flatters us somewhat).

    .venv/bin/python benchmarks/exchange.py
    .venv/bin/python benchmarks/exchange.py --repetitions 20 --repeat 1   # quicker
"""

from __future__ import annotations

import argparse
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
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def line(label, seconds, per_rep, decide):
    ratio = decide / per_rep
    flag = "" if ratio >= TARGET else f"  (below the {TARGET}x target)"
    print(f"{label:<44} {seconds:9.3f} s  {per_rep * 1000:9.1f} ms/rep  Decide {decide:5.1f} s/rep  x{ratio:7.1f}{flag}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per figure (median)")
    ap.add_argument("--repetitions", type=int, default=100, help="COP21 repetitions with random ties")
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args(argv)
    if not DATA.exists():
        sys.exit(f"reference data not found: {DATA}")
    trade = read_decide(DATA / "trade10x5.csv").arrays()
    cop = read_decide(DATA / "cop21.csv").arrays()
    exchange_run(trade, rounds=1)  # warm-up (imports, first allocations)

    print(f"exchange model, {args.rounds} rounds; median of {args.repeat} timed runs")
    t = timed(lambda: exchange_run(trade, rounds=args.rounds), args.repeat)
    line("trade10x5, equal gain, 1 run (exact)", t, t, DECIDE_SECONDS["trade10x5"])
    t = timed(lambda: exchange_run(trade, rounds=args.rounds, exact=False), args.repeat)
    line("trade10x5, equal gain, 1 run (floats only)", t, t, DECIDE_SECONDS["trade10x5"])
    t = timed(lambda: exchange_run(cop, rounds=args.rounds), args.repeat)
    line("COP21, equal gain, 1 run, first-in-order ties", t, t, DECIDE_SECONDS["cop21"])
    reps = args.repetitions
    rng = np.random.default_rng(0)
    t = timed(lambda: exchange_runs(cop, repetitions=reps, rounds=args.rounds, ties="random", rng=rng, exact=False),
              max(1, args.repeat // 3))
    line(f"COP21, equal gain, {reps} reps, random ties", t, t / reps, DECIDE_SECONDS["cop21"])


if __name__ == "__main__":
    main()
