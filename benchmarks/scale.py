"""Cost of Monte Carlo against actors, issues and draws, for every deterministic model.

For each model, one size varies at a time around the Syria example's (15 actors, 7 issues):
actors 10-200 (7 issues), issues 1-50 (15 actors), draws 10-100,000 (15 x 7). Scenarios are
random (positions uniform on 0-100, saliences uniform on 0.1-1, capabilities uniform on
1-100), perturbed as in benchmarks/montecarlo.py, run through ``simulate`` in this process
(serial executor, one compiled-kernel thread: cost per core). Each cell is the cost per draw
(ms; the model's forecasts of sampled inputs in simulate's chunks, without the run's fixed
costs) with enough draws for ~``--budget`` seconds; a cell whose run would take more than
``--limit`` seconds (3x that in the draws sweep) is skipped and says so. Per model and dimension the growth exponent is the
least-squares slope of log(cost) against log(size) over the measured cells (cost ~ size^k);
the draws sweep gives the whole run's seconds, and its exponent (over 1,000 draws and more, where
the fixed cost of a run no longer counts) is ~1 when the cost per draw does not change with the
number of draws. Peak memory is tracemalloc's peak of NumPy and Python
allocations during the largest run of each sweep (the compiled kernels' own scratch is not
counted: it is O(actors^2) for the EUM, O(actors^3) for SMP and O(candidates) for exchange).

    .venv/bin/python benchmarks/scale.py [--quick] [--models eum,smp] [--budget 1] [--limit 30]

This machine is shared: the load average is printed before and after; compare exponents, not
single cells.
"""

from __future__ import annotations

import argparse
import math
import os
import time
import tracemalloc

import numba
import numpy as np

from accord.forecast import model_kwargs
from accord.models import available, registry
from accord.scenario import from_arrays
from accord.uncertainty.executors import Serial
from accord.uncertainty.sampling import Uncertainty, sample
from accord.uncertainty.simulate import chunk_sizes, simulate

NOISE = Uncertainty(position_sd=5, salience_sd=0.1, capability_concentration=100)
ACTORS = (10, 20, 50, 100, 200)
ISSUES = (1, 5, 10, 25, 50)
DRAWS = (10, 100, 1_000, 10_000, 100_000)


def scenario(n: int, m: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return from_arrays(rng.uniform(1, 100, n), rng.uniform(0, 100, (n, m)).round(1), rng.uniform(0.1, 1, (n, m)))


def run(model: str, s, draws: int) -> float:
    t = time.perf_counter()
    simulate(s, [model], draws, seed=1, uncertainty=NOISE, executor=Serial())
    return time.perf_counter() - t


def draws_only(model: str, s, draws: int) -> float:
    """Seconds for the model's forecasts of ``draws`` sampled inputs, in simulate's chunks of at
    most 250 (no point forecast, no set-up: the cost that grows with the draws)."""
    m = registry.get(model)
    kw = model_kwargs(s, m) | dict(m.draw_params)
    a = s.arrays()
    rng = np.random.default_rng(1)
    total = 0.0
    for n in chunk_sizes(draws):
        batch = sample(a, n, rng, NOISE)
        t = time.perf_counter()
        m.forecast(batch, rng=rng, **kw)
        total += time.perf_counter() - t
    return total


def per_draw(model: str, s, budget: float, limit: float) -> tuple[float | None, int]:
    """Seconds per draw with about ``budget`` seconds of draws (None when it would pass ``limit``)."""
    draws_only(model, s, 2)  # warm: kernels, first-call costs
    probe = draws_only(model, s, 4) / 4
    if probe * 8 > limit:
        return None, 0
    d = int(min(max(8, budget / max(probe, 1e-7)), 20_000))
    return draws_only(model, s, d) / d, d


def exponent(xs, ys) -> float:
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if y]
    if len(pts) < 2:
        return float("nan")
    lx, ly = np.array(pts).T
    return float(np.polyfit(lx, ly, 1)[0])


def peak(fn, *args) -> float:
    """MiB: tracemalloc's peak during fn(*args)."""
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three sizes per sweep, draws up to 10,000")
    parser.add_argument("--models", help="comma-separated (default: every deterministic model)")
    parser.add_argument("--budget", type=float, default=1.0, help="seconds of draws per cell")
    parser.add_argument("--limit", type=float, default=30.0, help="skip a cell that would take longer")
    args = parser.parse_args()
    numba.set_num_threads(1)
    models = args.models.split(",") if args.models else [m.name for m in available() if not m.stochastic]
    actors = ACTORS[::2] if args.quick else ACTORS
    issues = ISSUES[::2] if args.quick else ISSUES
    draws = DRAWS[:4] if args.quick else DRAWS
    print("load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" ({os.cpu_count()} cores), "
          "one thread, serial executor")
    head = (f"{'model':<11}" + "".join(f"{'n=' + str(n):>9}" for n in actors) + f"{'k(n)':>6} {'MiB':>5} |"
            + "".join(f"{'m=' + str(m):>9}" for m in issues) + f"{'k(m)':>6} {'MiB':>5} |"
            + "".join(f"{'D=' + format(d, ','):>10}" for d in draws) + f"{'k(D)':>6} {'MiB':>6}")
    print("ms per draw against actors (n, 7 issues) and issues (m, 15 actors); seconds for D draws (15 x 7)")
    print(head)
    for model in models:
        cells = []
        by_n = [per_draw(model, scenario(n, 7), args.budget, args.limit)[0] for n in actors]
        big_n = max((n for n, c in zip(actors, by_n, strict=True) if c), default=None)
        mem_n = peak(run, model, scenario(big_n, 7), 4) if big_n else float("nan")
        by_m = [per_draw(model, scenario(15, m), args.budget, args.limit)[0] for m in issues]
        big_m = max((m for m, c in zip(issues, by_m, strict=True) if c), default=None)
        mem_m = peak(run, model, scenario(15, big_m), 4) if big_m else float("nan")
        syria_like = scenario(15, 7)
        cost = per_draw(model, syria_like, args.budget, args.limit)[0] or float("inf")
        by_d = []
        for d in draws:
            by_d.append(run(model, syria_like, d) if cost * d <= 3 * args.limit else None)
        big_d = max((d for d, c in zip(draws, by_d, strict=True) if c), default=None)
        mem_d = peak(run, model, syria_like, big_d) if big_d else float("nan")
        cells += [f"{1e3 * c:9.3g}" if c else f"{'skip':>9}" for c in by_n]
        line = f"{model:<11}" + "".join(cells) + f"{exponent(actors, by_n):6.2f} {mem_n:5.0f} |"
        line += "".join(f"{1e3 * c:9.3g}" if c else f"{'skip':>9}" for c in by_m)
        line += f"{exponent(issues, by_m):6.2f} {mem_m:5.0f} |"
        line += "".join(f"{c:10.3g}" if c else f"{'skip':>10}" for c in by_d)
        upper = [(d, c) for d, c in zip(draws, by_d, strict=True) if d >= 1000]
        line += f"{exponent([d for d, _ in upper], [c for _, c in upper]):6.2f} {mem_d:6.0f}"
        print(line, flush=True)
    print("load average " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
