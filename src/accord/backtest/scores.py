"""Scores of a backtest's forecasts: point errors with proposal-clustered bootstrap intervals, and
the coverage and CRPS of models that give a distribution."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_QKEY = re.compile(r"^q(\d+(?:\.\d+)?)$")
#: Quantile levels asked of models that give quantiles: a 20-point midpoint grid (for CRPS) and
#: the ends of the central 50 % and 80 % intervals.
CRPS_LEVELS = tuple(round((k - 0.5) / 20, 4) for k in range(1, 21))
INTERVAL_LEVELS = (0.1, 0.25, 0.5, 0.75, 0.9)
LEVELS = tuple(sorted(set(CRPS_LEVELS) | set(INTERVAL_LEVELS)))


def pinball(y, q, level):
    """Pinball (quantile) loss of quantile ``q`` at ``level`` for outcome ``y``."""
    return np.where(y < q, (1 - level) * (q - y), level * (y - q))


def crps_from_quantiles(y: np.ndarray, q: dict[float, np.ndarray]) -> np.ndarray:
    """CRPS ≈ 2 Σ_k w_k pinball_k, w_k the width of level k's cell in [0, 1] (midpoint rule).

    For the 20-point midpoint grid of :data:`CRPS_LEVELS` this is the midpoint rule for
    CRPS = 2 ∫₀¹ pinball_τ dτ (Gneiting & Raftery 2007, eq. 21 ff.).
    """
    levels = np.array(sorted(q))
    edges = np.concatenate([[0.0], (levels[1:] + levels[:-1]) / 2, [1.0]])
    w = np.diff(edges)
    return 2 * sum(wk * pinball(y, q[lv], lv) for wk, lv in zip(w, levels, strict=True))


def crps_from_draws(d: np.ndarray, y: np.ndarray) -> np.ndarray:
    first = np.abs(d - y[None, :]).mean(axis=0)
    second = np.abs(d[:, None, :] - d[None, :, :]).mean(axis=(0, 1))
    return first - 0.5 * second


def _cluster_weights(groups: np.ndarray, n_boot: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Bootstrap weights (n_boot, n_issues): each proposal drawn with replacement."""
    labels, inverse = np.unique(groups, return_inverse=True)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7919]))
    draws = rng.integers(0, len(labels), size=(n_boot, len(labels)))
    counts = np.zeros((n_boot, len(labels)))
    np.add.at(counts, (np.arange(n_boot)[:, None], draws), 1.0)
    return counts[:, inverse], inverse


def _boot_mean(x: np.ndarray, groups: np.ndarray, n_boot: int, seed: int) -> tuple[float, float]:
    if len(x) < 2 or n_boot <= 0:
        return (np.nan, np.nan)
    w, _ = _cluster_weights(groups, n_boot, seed)
    with np.errstate(invalid="ignore", divide="ignore"):
        stats = (w @ x) / w.sum(axis=1)
    lo, hi = np.nanpercentile(stats, [2.5, 97.5])
    return float(lo), float(hi)


def _point_metrics(e: np.ndarray) -> dict:
    a = np.abs(e)
    return {
        "mae": float(a.mean()) if len(a) else np.nan,
        "rmse": float(np.sqrt((a ** 2).mean())) if len(a) else np.nan,
        "median_ae": float(np.median(a)) if len(a) else np.nan,
        "within10": float((a <= 10).mean()) if len(a) else np.nan,
    }


def summarise(pred: pd.DataFrame, *, reference: str = "compromise", n_boot: int = 2000,
              seed: int = 0) -> pd.DataFrame:
    """Metrics per (model, capability): see the module docstring for their definitions."""
    rows = []
    for (model, scheme), df in pred.groupby(["model", "capability"], sort=False):
        ok = df["forecast"].notna()
        d = df[ok]
        e = (d["forecast"] - d["outcome"]).to_numpy()
        row = {"model": model, "capability": scheme, "n": int(ok.sum()), "n_failed": int((~ok).sum())}
        row.update(_point_metrics(e))
        row["mae_lo"], row["mae_hi"] = _boot_mean(np.abs(e), d["group"].to_numpy(), n_boot, seed)
        ref = pred[(pred["model"] == reference) & (pred["capability"] == scheme)].set_index("issue")
        if len(ref) and model != reference:
            both = d[d["issue"].map(ref["forecast"]).notna().to_numpy()]
            diff = both["abs_error"].to_numpy() - both["issue"].map(ref["abs_error"]).to_numpy()
            row["diff"] = float(diff.mean()) if len(diff) else np.nan
            row["diff_lo"], row["diff_hi"] = _boot_mean(diff, both["group"].to_numpy(), n_boot, seed)
        else:
            row["diff"] = row["diff_lo"] = row["diff_hi"] = np.nan
        for col, values in (("procedure", ("COD", "CNS")), ("rule", ("QMV", "Unan"))):
            for v in values:
                sel = d[d[col] == v]
                row[f"mae_{v}"] = float(sel["abs_error"].mean()) if len(sel) else np.nan
                row[f"n_{v}"] = len(sel)
        row.update(_interval_metrics(d))
        reasons = df.loc[~ok, "reason"].astype(str)
        row["failures"] = "; ".join(f"{r} ({c} issues)" for r, c in reasons.value_counts().items())
        rows.append(row)
    return pd.DataFrame(rows)


def _interval_metrics(d: pd.DataFrame) -> dict:
    out = {"coverage50": np.nan, "coverage80": np.nan, "crps": np.nan}
    if not len(d):
        return out
    y = d["outcome"].to_numpy()
    cols = {float(m.group(1)) / 100: c for c in d.columns if (m := _QKEY.match(c)) and d[c].notna().all()}
    for name, lo, hi in (("coverage50", 0.25, 0.75), ("coverage80", 0.1, 0.9)):
        if lo in cols and hi in cols:
            inside = (d[cols[lo]].to_numpy() <= y + 1e-9) & (y <= d[cols[hi]].to_numpy() + 1e-9)
            out[name] = float(inside.mean())
    if "crps_draws" in d.columns and d["crps_draws"].notna().all():
        out["crps"] = float(d["crps_draws"].mean())
    elif len(cols) >= 3:
        grid = {lv: d[c].to_numpy() for lv, c in cols.items() if lv in CRPS_LEVELS} or {lv: d[c].to_numpy() for lv, c in cols.items()}
        out["crps"] = float(crps_from_quantiles(y, grid).mean())
    return out


def interval_coverage(pred: pd.DataFrame) -> pd.DataFrame:
    """Observed coverage of every central interval a model's quantiles give, for a reliability plot.

    For each (model, capability) and each pair of quantile columns at levels τ and 1 − τ (τ < 0.5),
    the share of outcomes in [q_τ, q_{1−τ}] against the nominal 1 − 2τ. Columns: ``model``,
    ``capability``, ``nominal``, ``observed``, ``n``. Models without quantiles give no rows.
    """
    rows = []
    for (model, scheme), df in pred.groupby(["model", "capability"], sort=False):
        d = df[df["forecast"].notna()]
        cols = {round(float(m.group(1)) / 100, 6): c for c in d.columns
                if (m := _QKEY.match(c)) and len(d) and d[c].notna().all()}
        y = d["outcome"].to_numpy()
        for lo in sorted(lv for lv in cols if lv < 0.5):
            hi = round(1 - lo, 6)
            if hi not in cols:
                continue
            inside = (d[cols[lo]].to_numpy() <= y + 1e-9) & (y <= d[cols[hi]].to_numpy() + 1e-9)
            rows.append({"model": model, "capability": scheme, "nominal": round(1 - 2 * lo, 6),
                         "observed": float(inside.mean()), "n": len(y)})
    return pd.DataFrame(rows, columns=["model", "capability", "nominal", "observed", "n"])
