"""The focal-actor mixture: a predictive distribution for each issue's outcome, and its median.

Real outcomes often land exactly on a position someone advocated (60 % of the DEU III train
issues), and otherwise scatter widely around the middle of the actors' positions. This model says
so in a distribution, per issue, on the scale [lower, upper] (span R):

    Y  ~  ρ · Σ_j π_j δ(x_j)  +  (1 − ρ) · Laplace(μ, b R / 100), clipped to [lower, upper]

* the point masses sit on the positions x_j of the *focal* actors, those with the largest
  capability × salience c_j s_j on the issue, shared equally among ties (π_j = 1/#ties);
* the continuous part is centred on μ, the compromise Σ c s x / Σ c s (variant ``compromise``,
  the default, chosen on the DEU III dev split) or the unweighted mean of the involved actors'
  positions (variant ``mean``); mass the Laplace puts beyond an end of the scale sits on that end;
* ρ (the chance that the outcome is a focal actor's position) and b (the spread, in points of a
  0–100 scale) were fitted on the DEU III train split only, by minimising the mean continuous
  ranked probability score (CRPS), with Council capability (``council-votes``), see
  ``benchmarks/fit_focal.py`` and docs/models/focal.md.

The forecast is the median of that distribution (the point that minimises the expected absolute
error), so it snaps to the focal position when ρ plus the Laplace mass on the focal side passes
one half. Quantiles of the same distribution give interval forecasts.

The status quo and the decision rule are not used: on the train split, giving the status quo a
point mass (for all issues, or only under unanimity) was fitted to a weight of zero.

References: Schelling (1960) *The Strategy of Conflict* (focal points); Achen (2006) ch. 4 of
*The European Union Decides* (the compromise model it extends); Gneiting & Raftery (2007) *JASA*
102(477) (CRPS).
"""

from __future__ import annotations

import numpy as np

from accord.errors import ParameterError
from accord.models.base import Model
from accord.models.params import Interval, Levels, Options, checked
from accord.models.weighting import filled_positions, weighted_mean, weights
from accord.results import ModelResult
from accord.scenario import ScenarioArrays

#: Fitted on DEU III train (140 issues), capability council-votes; benchmarks/fit_focal.py.
PARAMS = {
    "mean": {"rho": 0.170, "spread": 23.5},
    "compromise": {"rho": 0.100, "spread": 29.0},
}
DEFAULT_LEVELS = (0.1, 0.25, 0.5, 0.75, 0.9)
VARIANTS = ("compromise", "mean")  # the first is the default (chosen on dev)


def _parts(a: ScenarioArrays, center: str):
    """Focal weights π (..., n, m), centre μ (..., m), positions x (..., n, m)."""
    x = filled_positions(a)
    inv = np.broadcast_to(a.involved, x.shape)
    w = weights(a)
    w_cap = weights(a, use_salience=False)
    w = np.where(w.sum(axis=-2, keepdims=True) > 0, w, w_cap)
    w = np.where(w.sum(axis=-2, keepdims=True) > 0, w, inv.astype(float))
    top = w.max(axis=-2, keepdims=True)
    # Ties within a relative 1e-9 share the mass, so the result never depends on actor order.
    focal = inv & (w > 0) & (w >= top * (1 - 1e-9))
    pi = focal / focal.sum(axis=-2, keepdims=True)
    if center == "mean":
        mu = weighted_mean(x, inv.astype(float))
    elif center == "compromise":
        mu = weighted_mean(x, w)
    else:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {center!r}")
    return pi, mu, x


def _resolve(variant, rho, spread):
    variant = variant or VARIANTS[0]
    if variant not in VARIANTS:
        raise ParameterError(f"focal: variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    p = PARAMS[variant]
    return variant, (p["rho"] if rho is None else rho), (p["spread"] if spread is None else spread)


def _cdf(parts, z) -> np.ndarray:
    pi, mu, x, lo, hi, b, rho = parts
    point = (pi * (z[..., None, :] >= x)).sum(axis=-2)
    t = (z - mu) / b
    lap = np.where(t < 0, 0.5 * np.exp(np.minimum(t, 0)), 1 - 0.5 * np.exp(-np.maximum(t, 0)))
    out = rho * point + (1 - rho) * lap
    return np.where(z >= hi, 1.0, np.where(z < lo, 0.0, out))


def _prepare(a: ScenarioArrays, variant, rho, spread):
    variant, rho, spread = _resolve(variant, rho, spread)
    pi, mu, x = _parts(a, variant)
    lo = np.broadcast_to(np.asarray(a.lower, float), mu.shape)
    hi = np.broadcast_to(np.asarray(a.upper, float), mu.shape)
    return pi, mu, x, lo, hi, spread * (hi - lo) / 100.0, rho


def cdf(a: ScenarioArrays, z, *, variant: str | None = None, rho: float | None = None,
        spread: float | None = None) -> np.ndarray:
    """P(Y ≤ z) for each issue; ``z`` broadcasts against (..., n_issues), extra LEADING axes
    allowed (e.g. a grid of shape (k, 1) for a single scenario)."""
    return _cdf(_prepare(a, variant, rho, spread), np.asarray(z, dtype=float))


def quantiles(a: ScenarioArrays, levels, *, variant: str | None = None, rho: float | None = None,
              spread: float | None = None) -> np.ndarray:
    """The smallest z with P(Y ≤ z) ≥ level, shape (n_levels, ..., n_issues), in closed form.

    Between consecutive focal positions the point masses below z are a constant P, so
    P(Y ≤ z) = ρ P + (1 − ρ) L(z) with L the Laplace CDF: the level is reached inside that
    stretch at L⁻¹((level − ρ P)/(1 − ρ)), at its left end (a jump) if L there is already enough,
    or not at all. The answer is the smallest such point over the stretches; the upper end if
    none (P(Y ≤ upper) = 1).
    """
    pi, mu, x, lo, hi, b, rho = _prepare(a, variant, rho, spread)
    levels = np.asarray(levels, dtype=float).reshape((-1,) + (1,) * (mu.ndim + 1))
    xs = np.where(pi > 0, x, np.inf)  # only focal positions carry a jump
    order = np.argsort(xs, axis=-2, kind="stable")
    xs = np.take_along_axis(xs, order, axis=-2)
    cum = np.cumsum(np.take_along_axis(pi, order, axis=-2), axis=-2)
    # Stretch k runs from left[k] (lower, or the k-th focal position) to right[k]; below z, the
    # point masses add up to before[k].
    left = np.concatenate([lo[..., None, :], xs], axis=-2)
    right = np.minimum(np.concatenate([xs, hi[..., None, :]], axis=-2), hi[..., None, :])
    before = np.concatenate([np.zeros_like(cum[..., :1, :]), cum], axis=-2)
    mu_, b_ = mu[..., None, :], b[..., None, :]
    need = levels - rho * before
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tau = need / (1 - rho) if rho < 1 else np.where(need <= 0, -np.inf, np.inf)
        t = (left - mu_) / b_
        at_left = np.where(t < 0, 0.5 * np.exp(np.minimum(t, 0)), 1 - 0.5 * np.exp(-np.maximum(t, 0)))
        inside = np.where(tau < 0.5, mu_ + b_ * np.log(2 * tau), mu_ - b_ * np.log(2 * (1 - tau)))
    cand = np.where(tau <= at_left, left, np.where((tau < 1) & (inside < right), inside, np.inf))
    cand = np.where(np.isfinite(left), cand, np.inf)
    out = cand.min(axis=-2)
    return np.where(np.isfinite(out), out, np.broadcast_to(hi, out.shape))


def _quantiles_bisection(parts, levels) -> np.ndarray:
    """The same quantiles by bisection on the CDF (60 halvings): the tests' independent check."""
    pi, mu, x, lo, hi = parts[:5]
    levels = np.asarray(levels, dtype=float).reshape((-1,) + (1,) * mu.ndim)
    left = np.broadcast_to(lo, levels.shape[:1] + lo.shape).copy()
    right = np.broadcast_to(hi, left.shape).copy()
    at_lo = _cdf(parts, left) >= levels
    for _ in range(60):
        mid = (left + right) / 2
        ok = _cdf(parts, mid) >= levels
        right = np.where(ok, mid, right)
        left = np.where(ok, left, mid)
    out = np.where(at_lo, lo, right)
    near = (np.abs(x - out[..., None, :]) <= 1e-9 * (hi - lo)[..., None, :]) & (pi > 0)
    return np.where(near.any(axis=-2), np.where(near, x, np.inf).min(axis=-2), out)


def mean(a: ScenarioArrays, *, variant: str | None = None, rho: float | None = None,
         spread: float | None = None) -> np.ndarray:
    """E[Y]: ρ Σ π x + (1 − ρ) E[clipped Laplace], where clipping adds
    (b/2) e^{−(μ−lower)/b} and subtracts (b/2) e^{−(upper−μ)/b}."""
    pi, mu, x, lo, hi, b, rho = _prepare(a, variant, rho, spread)
    lap = mu + b / 2 * (np.exp(-(mu - lo) / b) - np.exp(-(hi - mu) / b))
    return rho * (pi * x).sum(axis=-2) + (1 - rho) * lap


CONSTRAINTS = {
    "variant": Options(VARIANTS, none=True),
    "quantiles": Levels(),
    "rho": Interval(float, 0.0, 1.0, none=True),
    "spread": Interval(float, 0.0, None, none=True, open_low=True),
}


@checked(CONSTRAINTS, model="focal")
def focal(a: ScenarioArrays, rng=None, *, variant: str | None = None, quantiles=DEFAULT_LEVELS,
          rho: float | None = None, spread: float | None = None) -> ModelResult:
    """Median of the focal-actor mixture (module docstring), with its quantiles.

    Parameters
    ----------
    a : ScenarioArrays
        Leading axes of capability/position/salience are batch axes.
    rng : ignored (the model is deterministic).
    variant : str
        ``"compromise"`` (default) or ``"mean"``: the centre of the continuous part.
    quantiles : list of float
        Levels in (0, 1) at which to give the distribution's quantiles.
    rho : float
        The chance that the outcome is a focal actor's position (default: fitted, 0.10).
    spread : float
        The Laplace part's spread b, in points of a 0–100 scale (default: fitted, 29).

    Returns
    -------
    ModelResult
        ``outcome`` the median, ``extra["mean"]`` the distribution's mean, ``quantiles`` at the
        requested levels, each (..., n_issues).
    """
    kw = {"variant": variant, "rho": rho, "spread": spread}
    levels = [0.5, *[lv for lv in quantiles if lv != 0.5]]
    q = _quantiles(a, levels, **kw)
    return ModelResult(
        outcome=q[0], extra={"mean": mean(a, **kw)},
        quantiles={level: q[k] for k, level in enumerate(levels) if level in quantiles},
    )


_quantiles = quantiles


MODEL = Model(
    name="focal",
    title="Focal-actor mixture",
    citation=(
        "accord (2025), fitted on DEU III train (Arregui & Perarnaud 2022); Schelling (1960) The "
        "Strategy of Conflict; Achen (2006) ch. 4 of The European Union Decides; Gneiting & "
        "Raftery (2007) JASA 102(477)."
    ),
    forecast=focal,
    variants=VARIANTS,
    quantiles=True,
    summary="median of a mixture: the top capability × salience actor's position, or a Laplace around the mean",
    figures={"mean": "mean of the predictive mixture (the outcome is its median)"},
)
