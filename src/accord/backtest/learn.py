"""Fitting the learned landing-point mixture (:mod:`accord.models.learned`) on issues with known
outcomes, and cross-validating it without leaks.

* Features come from :func:`accord.models.learned.candidates`, a function of the scenario's
  arrays (positions, scale) and the actors' roles only; the outcomes sit in the issue table, a
  separate object that only the scoring here reads (tests/test_learned_fit.py checks that
  changing every outcome changes no feature).
* Folds are grouped by proposal (``Issue.group``, DEU's ``prnr``): the issues of one proposal are
  decided together, so a proposal is never split between fitting and checking (:func:`grouped_folds`).
* The fit minimises the mean CRPS (Gneiting & Raftery 2007) on a 401-point grid per issue plus
  ``lam`` Σ β² (a ridge penalty that keeps the few coefficients small on 140 issues), with SciPy's
  L-BFGS-B (imported here only: the model itself needs NumPy alone).
* Intervals are recalibrated (Kuleshov, Fenner & Ermon 2018): the levels at which the mixture's
  quantiles make the central 50 % and 80 % intervals are chosen so that those intervals cover
  50 % and 80 % of out-of-fold outcomes in grouped cross-validation on the fitting issues.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accord.backtest.issues import issue_table
from accord.backtest.scores import CRPS_LEVELS, crps_from_quantiles
from accord.models.institution import scenario_roles
from accord.models.learned import FEATURES, cdf, level_map, mixture, quantiles_of
from accord.scenario import Scenario, ScenarioArrays

#: Points per issue on which the CRPS integral is taken when fitting.
N_GRID = 401
#: Interval levels searched when recalibrating (steps of 0.0025 in [0, 0.5]).
LEVEL_GRID = np.linspace(0.0, 0.5, 201)
#: The declared candidates: features of each variant of the model and the ridge penalty.
RECIPES = {
    "compact": {"features": ("distance", "chamber"), "lam": 0.01},
    "full": {"features": FEATURES, "lam": 0.01},
}


@dataclass(frozen=True)
class TrainingData:
    """Scored issues for fitting: ``arrays`` (every actor, these issues), ``outcome`` and ``group``
    per issue, ``issues`` their ids, ``roles`` the actors' institutional roles."""

    arrays: ScenarioArrays
    outcome: np.ndarray
    group: np.ndarray
    issues: tuple[str, ...]
    roles: dict

    def take(self, mask) -> TrainingData:
        idx = np.flatnonzero(mask)
        return TrainingData(self.arrays.take_issues(idx), self.outcome[idx], self.group[idx],
                            tuple(self.issues[k] for k in idx), self.roles)


def training_data(scenario: Scenario, split=("train",)) -> TrainingData:
    """The scored issues of ``scenario`` whose DEU split is in ``split`` (None: every scored issue)."""
    table = issue_table(scenario)
    keep = table["scored"].to_numpy().copy()
    if split is not None:
        keep &= table["split"].isin([split] if isinstance(split, str) else list(split)).to_numpy()
    idx = np.flatnonzero(keep)
    arrays = scenario.arrays().take_issues(idx)  # positions, saliences, scale: no outcome in here
    return TrainingData(arrays, table["outcome"].to_numpy(float)[idx], table["group"].to_numpy()[idx],
                        tuple(table["issue"].iloc[idx]), scenario_roles(scenario))


def grouped_folds(groups, k: int = 5, seed: int = 0) -> np.ndarray:
    """A fold number in [0, k) per issue; all issues of a group share one fold.

    Groups are shuffled with ``seed`` and dealt, largest first, to the fold with the fewest issues
    so far, so folds are about equal in size.
    """
    groups = np.asarray(groups, dtype=object)
    labels, inverse, sizes = np.unique(groups.astype(str), return_inverse=True, return_counts=True)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 19]))
    order = rng.permutation(len(labels))
    order = order[np.argsort(-sizes[order], kind="stable")]
    load = np.zeros(k)
    fold_of = np.empty(len(labels), dtype=int)
    for g in order:
        j = int(np.argmin(load))
        fold_of[g] = j
        load[j] += sizes[g]
    return fold_of[inverse]


def _params(theta, features) -> dict:
    k = len(features)
    return {"features": list(features), "beta": [float(b) for b in theta[:k]],
            "rho": float(1 / (1 + np.exp(-theta[k]))), "spread": float(np.exp(theta[k + 1]))}


def crps_grid(m: dict, data: TrainingData, n_grid: int = N_GRID) -> np.ndarray:
    """CRPS per issue of a :func:`~accord.models.learned.mixture`, on a grid of ``n_grid`` points
    across each issue's scale, in points of a 0–100 scale."""
    a = data.arrays
    lower, span = np.asarray(a.lower, float), np.asarray(a.upper, float) - np.asarray(a.lower, float)
    g = np.linspace(0.0, 1.0, n_grid)[:, None]
    z = lower + span * g  # (n_grid, m)
    f = cdf(m, z)
    h = (z >= data.outcome).astype(float)
    return ((f - h) ** 2).sum(axis=0) * (100.0 / (n_grid - 1))


def fit(data: TrainingData, features, *, lam: float = 0.01) -> dict:
    """β, ρ and spread minimising mean CRPS + ``lam`` Σ β² on ``data`` (deterministic)."""
    from scipy.optimize import minimize

    features = tuple(features)
    k = len(features)

    def objective(theta):
        m = mixture(data.arrays, _params(theta, features), data.roles)
        return float(crps_grid(m, data).mean() + lam * np.sum(theta[:k] ** 2))

    start = np.concatenate([np.zeros(k), [0.0, np.log(20.0)]])
    result = minimize(objective, start, method="L-BFGS-B")
    return _params(result.x, features)


def coverage(m: dict, y: np.ndarray, low_level: float) -> float:
    """Share of outcomes inside [q(low_level), q(1 − low_level)] of mixture ``m``."""
    lo, hi = quantiles_of(m, [low_level, 1 - low_level])
    return float(((lo <= y + 1e-9) & (y <= hi + 1e-9)).mean())


def choose_levels(parts: list[tuple[dict, np.ndarray]]) -> dict:
    """Knots of the level map: the levels g25 and g10 (g10 ≤ g25) at which the central intervals of
    the pooled out-of-fold mixtures ``parts`` [(mixture, outcomes)] cover nearest 50 % and 80 %."""

    def cover(level):
        n = sum(len(y) for _, y in parts)
        return sum(coverage(m, y, level) * len(y) for m, y in parts) / n

    c = np.array([cover(lv) for lv in LEVEL_GRID])
    g25 = float(LEVEL_GRID[np.argmin(np.abs(c - 0.5))])
    ok = LEVEL_GRID <= g25
    g10 = float(LEVEL_GRID[ok][np.argmin(np.abs(c[ok] - 0.8))])
    return {"0.25": g25, "0.1": g10}


def out_of_fold(data: TrainingData, features, *, lam: float = 0.01, k: int = 5, seed: int = 0):
    """Fit on k − 1 folds, predict the held-out fold: [(fold mask, params)] per fold."""
    folds = grouped_folds(data.group, k, seed)
    return [(folds == j, fit(data.take(folds != j), features, lam=lam)) for j in range(k)]


def calibrated(data: TrainingData, features, *, lam: float = 0.01, k: int = 5, seeds=(0, 1, 2)) -> dict:
    """Parameters fitted on all of ``data``, with level-map knots from grouped cross-validation."""
    params = fit(data, features, lam=lam)
    parts = []
    for seed in seeds:
        for mask, p in out_of_fold(data, features, lam=lam, k=k, seed=seed):
            part = data.take(mask)
            parts.append((mixture(part.arrays, p, data.roles), part.outcome))
    return params | {"levels": choose_levels(parts)}


def scores(m: dict, y: np.ndarray, knots: dict | None) -> dict[str, np.ndarray]:
    """Per issue: absolute error of the median, 50 % and 80 % coverage, and the CRPS from the
    quantiles at the 20 midpoint levels (as the backtest scores every model with quantiles)."""
    grid = list(CRPS_LEVELS)
    q = quantiles_of(m, [0.5, *level_map([0.25, 0.75, 0.1, 0.9], knots), *level_map(grid, knots)])
    crps = crps_from_quantiles(y, {lv: q[5 + j] for j, lv in enumerate(grid)})
    return {"abs_error": np.abs(q[0] - y),
            "cover50": (q[1] <= y + 1e-9) & (y <= q[2] + 1e-9),
            "cover80": (q[3] <= y + 1e-9) & (y <= q[4] + 1e-9),
            "crps": crps}


def cross_validate(data: TrainingData, features, *, lam: float = 0.01, k: int = 5, seeds=(0, 1, 2),
                   inner_seeds=(0,)) -> dict[str, float]:
    """Nested grouped cross-validation of the whole recipe (fit, then recalibrate levels by an
    inner grouped CV on the fitting folds only): mean MAE, coverage50, coverage80 and CRPS of
    the held-out folds, averaged over ``seeds``, and the same for the mixture's own levels."""
    rows = []
    for seed in seeds:
        folds = grouped_folds(data.group, k, seed)
        per = {key: np.zeros(len(data.outcome)) for key in ("abs_error", "cover50", "cover80", "crps")}
        raw = {key: np.zeros(len(data.outcome)) for key in per}
        for j in range(k):
            inner = data.take(folds != j)
            p = calibrated(inner, features, lam=lam, k=k, seeds=tuple(100 * (seed + 1) + s for s in inner_seeds))
            test = data.take(folds == j)
            m = mixture(test.arrays, p, data.roles)
            for key, v in scores(m, test.outcome, p["levels"]).items():
                per[key][folds == j] = v
            for key, v in scores(m, test.outcome, None).items():
                raw[key][folds == j] = v
        rows.append([per[key].mean() for key in per] + [raw[key].mean() for key in raw])
    mean = np.mean(rows, axis=0)
    keys = ("mae", "coverage50", "coverage80", "crps")
    return {**dict(zip(keys, mean[:4].tolist(), strict=True)),
            **{f"{key}_raw": v for key, v in zip(keys, mean[4:].tolist(), strict=True)},
            "seeds": len(seeds)}
