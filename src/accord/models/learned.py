"""The learned landing-point mixture: where an issue lands, learned from real EU decisions.

Real outcomes mostly land exactly on a position some actor advocated (59 % of the DEU III train
issues), and otherwise between the positions, near their middle. Which advocated position wins
is, on the train split, best told by two things: how far the position lies from the middle of all
positions, and whether the *chamber* (the European Parliament) holds it. Per issue, on the scale
[lower, upper] (span R), with the distinct positions v advocated by the involved actors:

    Y ~ ρ · Σ_v π_v δ(v) + (1 − ρ) · Laplace(μ, b R / 100) truncated to [min x, max x]

    π_v ∝ exp(Σ_k β_k f_k(v))

* μ is the unweighted mean of the involved actors' positions, min x and max x the lowest and
  highest positions held;
* the features f_k(v) of a position (:data:`FEATURES`): ``distance`` |v − μ| / R; ``chamber`` and
  ``agenda``, 1 if the actor with that institutional role holds v (roles come from the scenario's
  ``meta.institution``, :mod:`accord.models.institution`; without roles they are 0 for every
  position); ``share``, the fraction of the involved actors at v; ``extreme``, 1 at the lowest or
  highest position held. Positions within 1e-9 R of each other are one position;
* each variant uses some of them: ``compact`` (distance, chamber), ``full`` (all five);
* β, ρ and b were fitted on the DEU III train split only, by minimising the mean continuous ranked
  probability score (CRPS) with a small ridge penalty on β (``accord.backtest.learn``,
  ``benchmarks/fit_learned.py``); they are stored in ``learned.json`` beside this module.

The forecast is the median of that distribution (it minimises the expected absolute error), so it
lands on a position when that position's chance reaches one half with the continuous mass on its
side. Intervals: the mixture's quantiles at *recalibrated* levels τ → g(τ), a piecewise-linear
map through g(0.5) = 0.5 fitted by grouped cross-validation on train so that central 50 % and 80 %
intervals cover 50 % and 80 % of held-out train outcomes (quantile recalibration, Kuleshov, Fenner
& Ermon 2018); without it (``calibrated=False``) the mixture's own 80 % intervals cover about 92 %.

Not used, because on train they did not improve the cross-validated error (docs/backtest.md
lists every candidate tried): capability, salience, the status quo, the procedure, the voting
rule, the Council's pivots and the other models' forecasts. So the model needs only positions
(and roles, when the scenario has them) and runs on any scenario.

References: Schelling (1960) on focal points; Achen (2006) on the compromise model; Gneiting &
Raftery (2007) on CRPS; Kuleshov, Fenner & Ermon (2018) on recalibrated quantiles; fitted on
Arregui & Perarnaud (2022), DEU III.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from accord.errors import ParameterError
from accord.models.base import Model
from accord.models.institution import ROLES
from accord.models.params import Boolean, Constraint, Levels, Options, checked
from accord.models.weighting import filled_positions, weighted_mean
from accord.results import ModelResult
from accord.scenario import ScenarioArrays

FEATURES = ("share", "agenda", "chamber", "extreme", "distance")
VARIANTS = ("compact", "full")  # the first is the default
DEFAULT_LEVELS = (0.1, 0.25, 0.5, 0.75, 0.9)
#: Positions closer than this fraction of the scale's span are one position.
TOL = 1e-9
PARAMS_FILE = Path(__file__).with_name("learned.json")


@functools.cache
def fitted() -> dict:
    """The fitted parameters per variant (``learned.json``, written by benchmarks/fit_learned.py)."""
    return json.loads(PARAMS_FILE.read_text(encoding="utf-8"))


class Roles(Constraint):
    """A mapping from actor ids to institutional roles (from the scenario's ``meta.institution``)."""

    none = True

    def _check(self, name, value):
        if not isinstance(value, Mapping) or not all(r in ROLES for r in value.values()):
            self._fail(name, value)
        return {str(k): v for k, v in value.items()}

    def describe(self) -> str:
        return f"a mapping from actor ids to {' or '.join(ROLES)}, from the scenario's meta.institution"


def role_masks(actor_ids, roles: Mapping[str, str] | None) -> dict[str, np.ndarray]:
    """Per role, a boolean (n_actors,) mask of the actors that hold it."""
    roles = roles or {}
    return {role: np.array([roles.get(a) == role for a in actor_ids], dtype=bool) for role in ROLES}


def candidates(a: ScenarioArrays, roles: Mapping[str, str] | None = None) -> dict[str, np.ndarray]:
    """Each involved actor's position as a candidate landing point, with its features.

    Only positions, the scale and the roles are read (never an outcome). Returns arrays of shape
    (..., n_actors, n_issues): ``x`` the positions, ``involved``, ``count`` (actors at the same
    position) and each of :data:`FEATURES`; and (..., n_issues): ``mu`` (the mean position),
    ``low`` and ``high`` (the lowest and highest position held), ``span``.
    """
    x = filled_positions(a)
    inv = np.broadcast_to(a.involved, x.shape)
    lower = np.asarray(a.lower, float)
    span = np.asarray(a.upper, float) - lower
    tol = TOL * span
    same = (np.abs(x[..., :, None, :] - x[..., None, :, :]) <= tol) & inv[..., :, None, :] & inv[..., None, :, :]
    count = same.sum(axis=-2)  # actors k at actor j's position, (..., n, m)
    masks = role_masks(a.actor_ids, roles)
    at = {role: (same & masks[role][:, None]).any(axis=-2) for role in ROLES}
    n_inv = inv.sum(axis=-2)
    mu = weighted_mean(x, inv.astype(float))
    low = np.where(inv, x, np.inf).min(axis=-2)
    high = np.where(inv, x, -np.inf).max(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        features = {
            "share": count / n_inv[..., None, :],
            "agenda": at["agenda-setter"].astype(float),
            "chamber": at["chamber"].astype(float),
            "extreme": (inv & ((x <= low[..., None, :] + tol) | (x >= high[..., None, :] - tol))).astype(float),
            "distance": np.abs(x - mu[..., None, :]) / span,
        }
    return {"x": x, "involved": inv, "count": count, "mu": mu, "low": low, "high": high,
            "span": np.broadcast_to(span, mu.shape), **features}


def parameters(variant: str | None = None) -> dict:
    """The fitted parameters of ``variant`` (default: the first of :data:`VARIANTS`)."""
    variant = variant or VARIANTS[0]
    if variant not in VARIANTS:
        raise ParameterError(f"learned: variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    return fitted()["variants"][variant]


def mixture(a: ScenarioArrays, params: Mapping, roles: Mapping[str, str] | None = None) -> dict[str, np.ndarray]:
    """The mixture's parts for ``params`` (``features``, ``beta``, ``rho``, ``spread``): point
    masses ``p`` (..., n, m) on the positions ``x`` (summing to 1 over the involved actors; a
    position held by several actors has its mass shared among them), and the truncated Laplace's
    centre ``mu``, scale ``s``, ends ``low``/``high``, with ``rho``."""
    c = candidates(a, roles)
    inv = c["involved"]
    e = np.zeros(inv.shape)
    for name, beta in zip(params["features"], params["beta"], strict=True):
        e = e + float(beta) * c[name]
    e = np.where(inv, e, -np.inf)
    e = e - e.max(axis=-2, keepdims=True)
    w = np.where(inv, np.exp(e) / np.maximum(c["count"], 1), 0.0)
    p = w / w.sum(axis=-2, keepdims=True)
    return {"p": p, "x": c["x"], "involved": inv, "count": c["count"], "mu": c["mu"], "low": c["low"],
            "high": c["high"], "span": c["span"], "s": float(params["spread"]) * c["span"] / 100.0,
            "rho": float(params["rho"])}


def _laplace(z, mu, s):
    t = (z - mu) / s
    return np.where(t < 0, 0.5 * np.exp(np.minimum(t, 0)), 1 - 0.5 * np.exp(-np.maximum(t, 0)))


def _laplace_inverse(u, mu, s):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(u < 0.5, mu + s * np.log(2 * u), mu - s * np.log(2 * (1 - u)))


def _truncated(z, m):
    """CDF of the Laplace part truncated to [low, high]; a step at ``low`` where low = high."""
    lo, hi, mu, s = m["low"], m["high"], m["mu"], m["s"]
    l_lo, l_hi = _laplace(lo, mu, s), _laplace(hi, mu, s)
    width = l_hi - l_lo
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.clip((_laplace(z, mu, s) - l_lo) / width, 0.0, 1.0)
    t = np.where(width > 0, t, (z >= lo).astype(float))
    return np.where(z >= hi, 1.0, np.where(z < lo, 0.0, t))


def cdf(m: Mapping, z) -> np.ndarray:
    """P(Y ≤ z) of a :func:`mixture`; ``z`` broadcasts against (..., n_issues), extra leading axes
    allowed (a grid of shape (k, 1) for one scenario)."""
    z = np.asarray(z, dtype=float)
    point = (m["p"] * (z[..., None, :] >= m["x"])).sum(axis=-2)
    return m["rho"] * point + (1 - m["rho"]) * _truncated(z, m)


def level_map(levels, knots: Mapping | None) -> np.ndarray:
    """The recalibrated levels g(τ): piecewise linear through (0, 0), (0.1, g10), (0.25, g25),
    (0.5, 0.5), symmetric about 0.5 (g(1 − τ) = 1 − g(τ)); the identity when ``knots`` is None."""
    tau = np.asarray(levels, dtype=float)
    if not knots:
        return tau
    t = np.minimum(tau, 1 - tau)
    g = np.interp(t, [0.0, 0.1, 0.25, 0.5], [0.0, float(knots["0.1"]), float(knots["0.25"]), 0.5])
    return np.where(tau <= 0.5, g, 1 - g)


def quantiles_of(m: Mapping, levels) -> np.ndarray:
    """The smallest z with P(Y ≤ z) ≥ level, shape (n_levels, ..., n_issues), in closed form.

    Between consecutive positions the point masses at or below z add up to a constant P, so
    P(Y ≤ z) = ρ P + (1 − ρ) T(z) with T the truncated Laplace CDF: the level is reached in that
    stretch at its left end (a jump) if T there is enough, inside it at T⁻¹((level − ρ P)/(1 − ρ)),
    or not at all. The answer is the smallest over the stretches; ``high`` if none.
    """
    p, x, rho = m["p"], m["x"], m["rho"]
    lo, hi = m["low"], m["high"]
    levels = np.asarray(levels, dtype=float).reshape((-1,) + (1,) * (lo.ndim + 1))
    xs = np.where(m["involved"], x, np.inf)
    order = np.argsort(xs, axis=-2, kind="stable")
    xs = np.take_along_axis(xs, order, axis=-2)
    cum = np.cumsum(np.take_along_axis(p, order, axis=-2), axis=-2)
    left = np.concatenate([lo[..., None, :], xs], axis=-2)
    right = np.minimum(np.concatenate([xs, hi[..., None, :]], axis=-2), hi[..., None, :])
    before = np.concatenate([np.zeros_like(cum[..., :1, :]), cum], axis=-2)
    need = levels - rho * before
    parts = {k: m[k][..., None, :] for k in ("low", "high", "mu", "s")}
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tau = need / (1 - rho) if rho < 1 else np.where(need <= 1e-12, -np.inf, np.inf)
        at_left = _truncated(np.where(np.isfinite(left), left, 0.0), parts)
        l_lo, l_hi = _laplace(parts["low"], parts["mu"], parts["s"]), _laplace(parts["high"], parts["mu"], parts["s"])
        inside = _laplace_inverse(l_lo + np.clip(tau, 0, 1) * (l_hi - l_lo), parts["mu"], parts["s"])
    cand = np.where(tau <= at_left + 1e-12, left, np.where((tau < 1) & (inside < right), np.maximum(inside, left), np.inf))
    cand = np.where(np.isfinite(left), cand, np.inf)
    out = cand.min(axis=-2)
    return np.where(np.isfinite(out), out, np.broadcast_to(hi, out.shape))


def likeliest(m: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """The position with the largest point mass (the lowest of tied ones) and its probability ρ π_v."""
    mass = np.where(m["involved"], m["p"] * m["count"], -1.0)
    top = mass.max(axis=-2, keepdims=True)
    pos = np.where(mass >= top - 1e-12, m["x"], np.inf).min(axis=-2)
    return pos, m["rho"] * top[..., 0, :]


CONSTRAINTS = {
    "variant": Options(VARIANTS, none=True),
    "quantiles": Levels(),
    "roles": Roles(),
    "calibrated": Boolean(),
}


@checked(CONSTRAINTS, model="learned")
def learned(a: ScenarioArrays, rng=None, *, variant: str | None = None, quantiles=DEFAULT_LEVELS,
            roles: Mapping[str, str] | None = None, calibrated: bool = True) -> ModelResult:
    """Median of the learned landing-point mixture (module docstring), with its quantiles.

    Parameters
    ----------
    a : ScenarioArrays
        Leading axes of the positions are batch axes; capability and salience are not used.
    rng : ignored (the model is deterministic).
    variant : str
        ``"compact"`` (default: distance from the mean position, the chamber's position) or
        ``"full"`` (also the share of actors, the agenda setter's position, the extremes).
    quantiles : list of float
        Levels in (0, 1) at which to give the predictive distribution's quantiles.
    roles : mapping
        Actor id -> ``agenda-setter`` or ``chamber``; given by the scenario's ``meta.institution``
        (``eu``: ``com`` sets the agenda, ``ep`` is the chamber). Without roles, no position is the
        chamber's or the agenda setter's.
    calibrated : bool
        True (default): quantiles at the levels recalibrated on train, so that intervals cover as
        they say; False: the mixture's own quantiles (wider).

    Returns
    -------
    ModelResult
        ``outcome`` the median; ``extra["likeliest"]`` the likeliest single position and
        ``extra["p_likeliest"]`` the chance of landing exactly there; ``quantiles`` at the
        requested levels, each (..., n_issues).
    """
    params = parameters(variant)
    m = mixture(a, params, roles)
    wanted = [lv for lv in quantiles if lv != 0.5]
    g = level_map(wanted, params.get("levels") if calibrated else None)
    q = quantiles_of(m, [0.5, *g.tolist()])
    top, p_top = likeliest(m)
    return ModelResult(
        outcome=q[0], extra={"likeliest": top, "p_likeliest": p_top},
        quantiles={level: q[k] for k, level in enumerate([0.5, *wanted], start=0) if level in quantiles},
    )


def _scenario_kwargs(scenario) -> dict:
    """The actors' institutional roles from ``meta.institution`` (keyed by actor id, so they hold
    for any subset of actors and issues)."""
    from accord.models.institution import scenario_roles

    roles = scenario_roles(scenario)
    return {"roles": roles} if roles else {}


MODEL = Model(
    name="learned",
    title="Learned landing-point mixture",
    citation=(
        "accord (2025), fitted on DEU III train (Arregui & Perarnaud 2022); Schelling (1960) The "
        "Strategy of Conflict; Gneiting & Raftery (2007) JASA 102(477); Kuleshov, Fenner & Ermon "
        "(2018) ICML."
    ),
    forecast=learned,
    variants=VARIANTS,
    quantiles=True,
    scenario_kwargs=_scenario_kwargs,
    kwargs_by_id=True,
    summary="median of a mixture over the advocated positions, with chances learned on DEU III train",
    figures={"likeliest": "the likeliest single landing point (an advocated position; the outcome is the "
                          "mixture's median)",
             "p_likeliest": "the chance of landing exactly on that point"},
)
