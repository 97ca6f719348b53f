"""Array helpers shared by the models (batch axes lead; actors then issues trail)."""

from __future__ import annotations

import numpy as np

from accord.scenario import ScenarioArrays


def weights(a: ScenarioArrays, *, use_salience: bool = True, use_capability: bool = True) -> np.ndarray:
    """Voting weight of each actor on each issue, shape (..., n_actors, n_issues).

    capability × salience (the "effective power" of the field), zero where the actor is not
    involved.
    """
    sal = np.asarray(a.salience, dtype=float)
    cap = np.asarray(a.capability, dtype=float)[..., :, None]
    w = np.ones(np.broadcast_shapes(sal.shape, cap.shape))
    if use_capability:
        w = w * cap
    if use_salience:
        w = w * sal
    return np.where(a.involved, w, 0.0)


def filled_positions(a: ScenarioArrays) -> np.ndarray:
    """Positions with non-involved actors set to 0 (their weight is 0), shape (..., n_actors, n_issues)."""
    return np.where(a.involved, np.nan_to_num(np.asarray(a.position, dtype=float)), 0.0)


def weighted_mean(x: np.ndarray, w: np.ndarray, *, fallback: np.ndarray | None = None) -> np.ndarray:
    """Σ w x / Σ w over the actor axis (-2); where Σ w = 0, ``fallback`` (default: unweighted mean)."""
    total = w.sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (w * x).sum(axis=-2) / total
    if fallback is not None:
        return np.where(total > 0, out, fallback)
    return out


def weighted_median(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The weighted median over the actor axis (-2), vectorised over every other axis.

    The smallest position whose cumulative weight reaches half the total; when the cumulative
    weight equals exactly half at a position, the midpoint between it and the next position (the
    usual convention for an even split, which keeps the median symmetric under reflection).
    Actors with weight 0 are ignored; where every weight is 0 the plain median of the involved
    positions is not defined and NaN is returned.
    """
    x = np.asarray(x, dtype=float)
    w = np.broadcast_to(np.asarray(w, dtype=float), x.shape)
    xs = np.where(w > 0, x, np.inf)
    order = np.argsort(xs, axis=-2, kind="stable")
    xs = np.take_along_axis(xs, order, axis=-2)
    ws = np.take_along_axis(w, order, axis=-2)
    cum = np.cumsum(ws, axis=-2)
    total = cum[..., -1:, :]
    half = total / 2
    tol = 1e-12 * np.maximum(total, 1.0)
    lo_idx = np.argmax(cum >= half - tol, axis=-2)[..., None, :]
    hi_idx = np.argmax(cum > half + tol, axis=-2)[..., None, :]
    lo = np.take_along_axis(xs, lo_idx, axis=-2)[..., 0, :]
    hi = np.take_along_axis(xs, hi_idx, axis=-2)[..., 0, :]
    out = np.where(np.isfinite(hi), (lo + hi) / 2, lo)
    return np.where(total[..., 0, :] > 0, out, np.nan)
