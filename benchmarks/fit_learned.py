"""Fit the learned landing-point mixture on the DEU III *train* split only.

    .venv/bin/python benchmarks/fit_learned.py [PATH_TO_DEU_FOLDER] [--write]

For each variant in ``accord.backtest.learn.RECIPES`` it fits β, ρ and the spread by mean CRPS on
the 140 train issues, then recalibrates the interval levels by grouped 5-fold cross-validation
(fold seeds 0, 1, 2; proposals never split). Deterministic: the same data give the same numbers.
Prints the parameters; ``--write`` stores them in src/accord/models/learned.json. Nothing here
reads the dev split. Needs SciPy (``pip install -e '.[fit]'``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from accord.backtest.learn import RECIPES, calibrated, training_data
from accord.io.deu import read_deu
from accord.models.learned import PARAMS_FILE


def fit_all(path) -> dict:
    data = training_data(read_deu(path, split="train"), split=("train",))
    out = {
        "fitted_on": f"DEU III train split ({len(data.outcome)} issues), benchmarks/fit_learned.py",
        "variants": {},
    }
    for name, recipe in RECIPES.items():
        t = time.perf_counter()
        p = calibrated(data, recipe["features"], lam=recipe["lam"])
        out["variants"][name] = {k: (round(v, 6) if isinstance(v, float) else
                                     [round(x, 6) for x in v] if k == "beta" else
                                     {kk: round(vv, 6) for kk, vv in v.items()} if isinstance(v, dict) else v)
                                 for k, v in p.items()}
        print(f"[{name}: {time.perf_counter() - t:.1f} s]", file=sys.stderr)
    return out


def main() -> None:
    args = sys.argv[1:]
    write = "--write" in args
    args = [a for a in args if a != "--write"]
    path = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "shared" / "data" / "deu3"
    params = fit_all(path)
    text = json.dumps(params, indent=2) + "\n"
    print(text)
    if write:
        PARAMS_FILE.write_text(text, encoding="utf-8")
        print(f"written to {PARAMS_FILE}", file=sys.stderr)


if __name__ == "__main__":
    main()
