"""The accuracy and calibration table of docs/backtest.md: every model, train and dev.

    .venv/bin/python benchmarks/learned_table.py [PATH_TO_DEU] [--train-only] [--seeds 3] [--boot 2000]

Train columns: for the learned model, nested grouped cross-validation by proposal (5 folds,
``--seeds`` fold seeds; the interval levels recalibrated inside each fitting part); for the other
models, their forecasts on the train issues (nothing in them is fitted to train, except focal's two
parameters). Dev columns: every model as ``accord backtest`` runs it, the learned model with the
parameters fitted on all of train (src/accord/models/learned.json). ``--train-only`` never reads
the dev split. Capability: ``equal`` and ``council-votes`` (the learned model uses neither).
Takes a few minutes: SMP and exchange iterate and the nested CV fits the model 30 times per seed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

from accord.backtest import predict, summarise
from accord.backtest.learn import RECIPES, cross_validate, training_data
from accord.io.deu import read_deu
from accord.models import available

SCHEMES = ("equal", "council-votes")


def _f(v, digits=2) -> str:
    return "" if v is None or pd.isna(v) else f"{v:.{digits}f}"


def _option(args: list[str], name: str, default):
    if name in args:
        k = args.index(name)
        value = args[k + 1]
        del args[k : k + 2]
        return type(default)(value)
    return default


def predictions(scenario, scheme: str) -> pd.DataFrame:
    """Every registered model's forecasts, the learned model once per variant (``learned:<variant>``)."""
    others = [m.name for m in available() if m.name != "learned"]
    frames = [predict(scenario, others, scheme, seed=0)]
    for variant in RECIPES:
        df = predict(scenario, ["learned"], scheme, seed=0, params={"learned": {"variant": variant}})
        df["model"] = f"learned:{variant}"
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    args = sys.argv[1:]
    train_only = "--train-only" in args
    args = [a for a in args if a != "--train-only"]
    n_seeds = _option(args, "--seeds", 3)
    n_boot = _option(args, "--boot", 2000)
    path = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "shared" / "data" / "deu3"

    train = read_deu(path, split="train")
    cv = {}
    data = training_data(train)
    for variant, recipe in RECIPES.items():
        t = time.perf_counter()
        cv[f"learned:{variant}"] = cross_validate(data, recipe["features"], lam=recipe["lam"], seeds=tuple(range(n_seeds)))
        print(f"[nested CV {variant}: {time.perf_counter() - t:.0f} s]", file=sys.stderr)

    # Each split is run as its own scenario, as `accord backtest --split` runs it.
    scenarios = {"train": train} if train_only else {"train": train, "dev": read_deu(path, split="dev")}
    rows = []
    for scheme in SCHEMES:
        for split, scenario in scenarios.items():
            t = time.perf_counter()
            s = summarise(predictions(scenario, scheme), n_boot=n_boot, seed=0)
            s["split"] = split
            rows.append(s)
            print(f"[{scheme}, {split}: {time.perf_counter() - t:.0f} s]", file=sys.stderr)
    table = pd.concat(rows, ignore_index=True)

    head = "| model | capability | train MAE | train cov. 50 % | train cov. 80 % | train CRPS |"
    if not train_only:
        head += " dev MAE (95 % CI) | Δ vs compromise (95 % CI) | dev cov. 50 % | dev cov. 80 % | dev CRPS |"
    print(head)
    print("|" + "---|" * head.count(" | ") + "---|")
    for scheme in SCHEMES:
        tr = table[(table["capability"] == scheme) & (table["split"] == "train")].set_index("model")
        dv = table[(table["capability"] == scheme) & (table["split"] == "dev")].set_index("model")
        train_mae = {m: (cv[m]["mae"] if m in cv else tr.loc[m, "mae"]) for m in tr.index}
        for model in sorted(train_mae, key=train_mae.get):
            if model in cv:
                c = cv[model]
                cells = [f"{_f(c['mae'])} (CV)", _f(c["coverage50"]), _f(c["coverage80"]), _f(c["crps"])]
            else:
                r = tr.loc[model]
                cells = [_f(r["mae"]), _f(r["coverage50"]), _f(r["coverage80"]), _f(r["crps"])]
            line = f"| {model} | {scheme} | " + " | ".join(cells) + " |"
            if not train_only:
                d = dv.loc[model]
                line += (f" {_f(d['mae'])} ({_f(d['mae_lo'])}, {_f(d['mae_hi'])}) | "
                         f"{_f(d['diff'])} ({_f(d['diff_lo'])}, {_f(d['diff_hi'])}) | "
                         f"{_f(d['coverage50'])} | {_f(d['coverage80'])} | {_f(d['crps'])} |")
            print(line)
    print()
    for model, c in cv.items():
        print(f"{model}: nested CV on train ({c['seeds']} fold seeds), mixture's own levels: MAE "
              f"{c['mae_raw']:.2f}, cov. 50 % {c['coverage50_raw']:.2f}, cov. 80 % {c['coverage80_raw']:.2f}, "
              f"CRPS {c['crps_raw']:.2f}")


if __name__ == "__main__":
    main()
