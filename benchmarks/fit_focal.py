"""Fit the focal-actor mixture's two parameters on the DEU III *train* split only.

    .venv/bin/python benchmarks/fit_focal.py [PATH_TO_DEU_FOLDER] [--capability council-votes]

For each variant (centre = unweighted mean or compromise) it minimises the mean CRPS over the
train issues on a grid: spread b from 5 to 60 points in steps of 0.5, and for each b the exact
best mixture weight ρ (the CRPS is a quadratic in ρ: F = ρP + (1 − ρ)L). CRPS integrals use a
0.25-point grid on the 0–100 scale. Prints the parameters to paste into
``accord.models.focal.PARAMS`` and the train MAE of the median beside the compromise model's.
Nothing here looks at the dev split.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from accord.backtest import capability_matrix, issue_table, units
from accord.io.deu import read_deu
from accord.models.baselines import compromise
from accord.models.focal import _parts, quantiles

Z = np.linspace(0.0, 100.0, 401)


def main() -> None:
    args = sys.argv[1:]
    scheme = "council-votes"
    if "--capability" in args:
        k = args.index("--capability")
        scheme = args[k + 1]
        del args[k : k + 2]
    path = Path(args[0]) if args else Path(__file__).resolve().parents[2] / "shared" / "data" / "deu3"
    scenario = read_deu(path, split="train")
    table = issue_table(scenario)
    arrays = scenario.arrays()
    cap = capability_matrix(scenario, scheme)
    subs = []
    for u in units(arrays, table["group"].to_numpy(), cap, table["scored"].to_numpy()):
        sub = arrays.take_issues(u.issues).take_actors(u.actors)
        subs.append((sub.replace(capability=cap[u.actors, u.issues[0]].copy()), table["outcome"].to_numpy()[u.issues]))
    y = np.concatenate([o for _, o in subs])
    comp = np.concatenate([compromise(s) for s, _ in subs])
    print(f"train issues: {len(y)}; capability {scheme}; compromise MAE {np.abs(comp - y).mean():.3f}")
    for variant in ("mean", "compromise"):
        pis, mus, xs = [], [], []
        for s, _ in subs:
            pi, mu, x = _parts(s, variant)
            pis.append(pi), mus.append(mu), xs.append(x)
        point = np.concatenate([(pi[None] * (Z[:, None, None] >= x[None])).sum(axis=1) for pi, x in zip(pis, xs, strict=True)], axis=1)
        mu = np.concatenate(mus)
        heav = (Z[:, None] >= y[None, :]).astype(float)
        dz = Z[1] - Z[0]
        best = (np.inf, None, None)
        for b in np.arange(5.0, 60.01, 0.5):
            t = (Z[:, None] - mu[None, :]) / b
            lap = np.where(t < 0, 0.5 * np.exp(np.minimum(t, 0)), 1 - 0.5 * np.exp(-np.maximum(t, 0)))
            lap[-1] = 1.0
            # CRPS(ρ) = Σ (L − H + ρ (P − L))² dz: minimised at ρ = −Σ(L − H)(P − L) / Σ(P − L)².
            d, e = lap - heav, point - lap
            rho = float(np.clip(-(d * e).sum() / (e * e).sum(), 0.0, 1.0))
            crps = float((((d + rho * e) ** 2).sum(axis=0) * dz).mean())
            if crps < best[0]:
                best = (crps, rho, b)
        crps, rho, b = best
        med = np.concatenate([quantiles(s, [0.5], variant=variant, rho=rho, spread=b)[0] for s, _ in subs])
        print(f"variant {variant}: rho = {rho:.3f}, spread = {b:.1f}; train CRPS {crps:.3f}, "
              f"train MAE of the median {np.abs(med - y).mean():.3f}")


if __name__ == "__main__":
    main()
