"""Baseline models: the simple rules that twenty years of EU studies found hard to beat.

Every function takes a :class:`~accord.scenario.ScenarioArrays` (with optional leading draw axes)
and returns the outcome per issue, shape (..., n_issues). Each issue is treated on its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from accord.models.base import Model
from accord.models.params import Boolean, Interval, checked
from accord.models.weighting import filled_positions, weighted_mean, weighted_median, weights
from accord.results import ModelResult
from accord.scenario import ScenarioArrays


def mean(a: ScenarioArrays, rng=None) -> np.ndarray:
    """Unweighted mean of the involved actors' positions."""
    w = np.broadcast_to(a.involved.astype(float), np.shape(a.position))
    return weighted_mean(filled_positions(a), w)


def compromise(a: ScenarioArrays, rng=None, *, use_capability: bool = True) -> np.ndarray:
    """The compromise model: the capability × salience weighted mean of positions.

    x* = Σ_i c_i s_i x_i / Σ_i c_i s_i  (van den Bos 1991; Achen 2006, ch. 4 of *The European
    Union Decides*). Where every involved actor has salience 0, the capability-weighted mean.

    Parameters
    ----------
    use_capability : bool
        Weight by capability × salience (True) or by salience alone (False).
    """
    x = filled_positions(a)
    w = weights(a, use_capability=use_capability)
    fallback = weighted_mean(x, weights(a, use_salience=False, use_capability=use_capability))
    return weighted_mean(x, w, fallback=fallback)


def median(a: ScenarioArrays, rng=None) -> np.ndarray:
    """The weighted median position, weights capability × salience (Black 1948's median voter)."""
    x = filled_positions(a)
    out = weighted_median(x, weights(a))
    return np.where(np.isnan(out), weighted_median(x, weights(a, use_salience=False)), out)


def condorcet(a: ScenarioArrays, rng=None) -> np.ndarray:
    """The Condorcet winner among the actors' positions, by pairwise capability × salience votes.

    Each actor k votes for whichever of two candidate positions is nearer its own, with weight
    c_k s_k (no vote when equidistant). A winner beats or ties every other candidate; when
    several tie, their mean (the same convention as the weighted median's even split).

    On one dimension the hardest opponent of candidate x_j from above is the nearest candidate
    above it: the vote for x_j against x_l > x_j is W(x < (x_j + x_l)/2) − W(x > (x_j + x_l)/2),
    which grows with x_l (likewise from below). Against its upper neighbour, x_j wins the voters
    at or below it; against its lower neighbour, those at or above it (no voter sits between two
    neighbouring candidates). So sorted positions and cumulative weights decide every pairwise
    contest, in O(n log n) per issue. With single-peaked symmetric preferences the winner is the
    weighted median (Black 1948), which the tests check.
    """
    x = filled_positions(a)  # (..., n, m)
    w = np.broadcast_to(weights(a), x.shape)
    inv = np.broadcast_to(a.involved, x.shape)
    xs = np.where(inv, x, np.inf)  # candidates in order, the actors not involved last
    order = np.argsort(xs, axis=-2, kind="stable")
    xs = np.take_along_axis(xs, order, axis=-2)
    ws = np.take_along_axis(w, order, axis=-2)
    cum = np.cumsum(ws, axis=-2)
    total = cum[..., -1:, :]
    n = x.shape[-2]
    idx = np.broadcast_to(np.arange(n)[:, None], xs.shape)
    new = np.ones(xs.shape, dtype=bool)  # first of a run of equal positions: one candidate
    new[..., 1:, :] = xs[..., 1:, :] != xs[..., :-1, :]
    ends = np.ones(xs.shape, dtype=bool)
    ends[..., :-1, :] = new[..., 1:, :]
    first = np.maximum.accumulate(np.where(new, idx, 0), axis=-2)
    last = np.minimum.accumulate(np.where(ends, idx, n - 1)[..., ::-1, :], axis=-2)[..., ::-1, :]
    at_or_below = np.take_along_axis(cum, last, axis=-2)  # W(x <= x_j)
    below = np.take_along_axis(cum - ws, first, axis=-2)  # W(x < x_j)
    above_exists = (last < n - 1) & np.isfinite(np.take_along_axis(xs, np.minimum(last + 1, n - 1), axis=-2))
    beats_above = ~above_exists | (at_or_below - (total - at_or_below) >= -1e-12)
    beats_below = (first == 0) | (below - (total - below) <= 1e-12)
    chosen = beats_above & beats_below & new & np.isfinite(xs)
    has = chosen.any(axis=-2)
    with np.errstate(invalid="ignore"):
        out = np.where(chosen, xs, 0.0).sum(axis=-2) / chosen.sum(axis=-2)
    # No winner (impossible in one dimension save degenerate weights): fall back to the median.
    return np.where(has, out, median(a))


def nash(a: ScenarioArrays, rng=None, *, iterations: int = 52) -> np.ndarray:
    """The asymmetric Nash bargaining solution with the status quo as disagreement point.

    Utilities are quadratic losses, u_i(x) = -((x - x_i)/range)^2; bargaining weights are
    capability × salience (salience cannot enter as a utility multiplier, because the Nash
    product is invariant to rescaling each utility). The solution maximises
    Σ_i w_i log(u_i(x) - u_i(q)) over the outcomes that leave no actor worse off than the status
    quo q (Nash 1950; Harsanyi & Selten 1972; applied to the EU by Achen 2006 and Schneider,
    Finke & Bailer 2010). When actors on both sides of q make that set a single point, the outcome
    is q: nothing is agreed.

    Without a status quo the disagreement point falls back to each actor's worst point on the
    scale (the end farthest from its position), so the product rewards closeness to every actor;
    the registered model notes this fallback in its result.

    Parameters
    ----------
    iterations : int
        Halvings of the bisection for the optimum (52 reach a double's precision).
    """
    x = filled_positions(a)
    w = weights(a)
    inv = np.broadcast_to(a.involved, x.shape) & (w > 0)
    lo = np.broadcast_to(a.lower, x.shape[:-2] + x.shape[-1:])
    hi = np.broadcast_to(a.upper, lo.shape)
    span = hi - lo
    q = np.broadcast_to(a.status_quo, lo.shape)
    has_q = ~np.isnan(q)
    qq = np.where(has_q, q, lo)
    # Feasible interval: each actor accepts [min(q, 2x_i - q), max(q, 2x_i - q)].
    refl = 2 * x - qq[..., None, :]
    a_lo = np.where(inv, np.minimum(qq[..., None, :], refl), -np.inf)
    a_hi = np.where(inv, np.maximum(qq[..., None, :], refl), np.inf)
    left = np.where(has_q, np.maximum(a_lo.max(axis=-2), lo), lo)
    right = np.where(has_q, np.minimum(a_hi.min(axis=-2), hi), hi)
    # Disagreement utility per actor.
    far = np.maximum(np.abs(x - lo[..., None, :]), np.abs(x - hi[..., None, :]))
    d_q = -(((x - qq[..., None, :]) / span[..., None, :]) ** 2)
    d_far = -((far / span[..., None, :]) ** 2)
    d = np.where(has_q[..., None, :], d_q, d_far)

    den = span[..., None, :] ** 2

    def slope(z):  # d/dz of Σ w_i log(u_i(z) - d_i): decreasing, as the objective is concave
        zz = z[..., None, :]
        gain = np.maximum(-((zz - x) ** 2) / den - d, 1e-300)
        return np.where(inv, w * (-2 * (zz - x) / den) / gain, 0.0).sum(axis=-2)

    # Bisection on the slope's sign, vectorised over issues and draws (2^-iterations of the range).
    a_, b_ = left.copy(), right.copy()
    for _ in range(iterations):
        mid = (a_ + b_) / 2
        up = slope(mid) > 0
        a_ = np.where(up, mid, a_)
        b_ = np.where(up, b_, mid)
    out = (a_ + b_) / 2
    degenerate = right - left <= 1e-9 * span
    return np.where(degenerate, np.where(has_q, qq, out), out)


CITATIONS = {
    "mean": "Unweighted mean of positions (reference point for all other models).",
    "compromise": "van den Bos (1991) Dutch EC Policy Making; Achen (2006) in Thomson et al. (eds.), The European Union Decides, ch. 4.",
    "median": "Black (1948) On the rationale of group decision-making, J. Political Economy 56(1).",
    "condorcet": "Condorcet (1785); Black (1958) The Theory of Committees and Elections.",
    "nash": "Nash (1950) The bargaining problem, Econometrica 18(2); Achen (2006) ch. 4 of The European Union Decides; Schneider, Finke & Bailer (2010) Political Studies 58(1).",
}

def _no_status_quo(a: ScenarioArrays) -> tuple[str, ...]:
    missing = [i for i, q in zip(a.issue_ids, np.asarray(a.status_quo), strict=True) if np.isnan(q)]
    if not missing:
        return ()
    return ("no status quo on " + ", ".join(missing)
            + ": disagreement point taken as each actor's worst point on the scale",)


def _entry(name: str, fn: Callable, constraints=None, notes: Callable = lambda a: ()) -> Callable:
    """``fn``, an array function, as a model entry point returning a :class:`ModelResult`."""

    @functools.wraps(fn)
    def run(a: ScenarioArrays, rng=None, **params) -> ModelResult:
        return ModelResult(np.asarray(fn(a, rng, **params), dtype=float), notes=notes(a))

    return checked(constraints or {}, model=name)(run)


MODELS = (
    Model(name="mean", title="Unweighted mean", citation=CITATIONS["mean"], forecast=_entry("mean", mean),
          summary="average of the involved actors' positions"),
    Model(name="compromise", title="Compromise model", citation=CITATIONS["compromise"],
          forecast=_entry("compromise", compromise, {"use_capability": Boolean()}),
          summary="capability × salience weighted mean"),
    Model(name="median", title="Weighted median", citation=CITATIONS["median"], forecast=_entry("median", median),
          summary="capability × salience weighted median position"),
    Model(name="condorcet", title="Condorcet winner", citation=CITATIONS["condorcet"],
          forecast=_entry("condorcet", condorcet),
          summary="the position that beats every other in pairwise weighted votes"),
    Model(name="nash", title="Nash bargaining solution", citation=CITATIONS["nash"],
          forecast=_entry("nash", nash, {"iterations": Interval(int, 1, 200)}, notes=_no_status_quo),
          summary="asymmetric Nash product, status quo as disagreement point"),
)
