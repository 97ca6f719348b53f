"""Input uncertainty: how positions, saliences and capabilities are drawn (see docs/uncertainty.md).

* A position with a stance range ``[low, high]`` is drawn from the triangular distribution with
  its mode at the stated position: bounded, allows a lopsided range, and needs no more than the
  three numbers an analyst gives.
* A position without a range is drawn from a normal distribution around it with standard
  deviation ``position_sd``, truncated to the issue's scale. ``position_sd`` is a percentage of
  each issue's scale by default (5: 5 points on a 0–100 scale, 1 on a 0–20 scale), so one
  setting means the same on issues of different scales; ``"2 points"`` gives it in scale units
  instead (on every issue alike, as before scales were taken into account).
* A salience s is drawn from a beta distribution with mean s and standard deviation
  ``salience_sd`` (capped at the largest the beta family allows for that mean), so it stays in
  [0, 1].
* Capabilities are redistributed as shares: shares ~ Dirichlet(κ · share), where κ =
  ``capability_concentration``; the total is kept. The standard deviation of a share p is about
  sqrt(p(1 - p)/(κ + 1)). κ = ∞ (the default) keeps capabilities fixed.

Per-issue overrides of ``position_sd`` and ``salience_sd`` go in ``meta.uncertainty.issues``
(``{issue_id: {position_sd: …, salience_sd: …}}``). All functions are pure given ``rng``; the
draw axis leads every array.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from accord.errors import AccordError, ScenarioError
from accord.scenario import ScenarioArrays, parse_spread, uncertainty_problems


@dataclass(frozen=True)
class Uncertainty:
    """Defaults for the inputs that carry no range of their own.

    ``position_sd`` is in ``position_unit`` (``percent`` of each issue's scale, or ``points`` of
    it); ``issues`` holds per-issue overrides, ``{issue_id: {"position_sd", "position_unit",
    "salience_sd"}}`` (each key optional).
    """

    position_sd: float = 0.0
    salience_sd: float = 0.0
    capability_concentration: float = math.inf
    position_unit: str = "percent"
    issues: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    @classmethod
    def from_meta(cls, meta: dict | None, **overrides) -> Uncertainty:
        """Defaults from a scenario's ``meta: {uncertainty: {...}}``, then explicit overrides
        (``position_sd`` may be a number or text such as ``"2 points"``), each checked: finite,
        not negative, at most what has a meaning (:func:`accord.scenario.uncertainty_problems`)."""
        raw = dict((meta or {}).get("uncertainty") or {})
        problems = uncertainty_problems(raw)
        flags = {k: v for k, v in overrides.items() if v is not None}
        problems += [type(p)(p.message, "--" + p.where.split(".", 1)[1].replace("_", "-"))
                     for p in uncertainty_problems(flags, where="option")]
        if problems:
            raise ScenarioError(problems)
        raw.update({k: v for k, v in overrides.items() if v is not None})
        known = {"position_sd", "salience_sd", "capability_concentration", "issues"}
        unknown = set(raw) - known
        if unknown:
            raise AccordError(f"meta.uncertainty: unknown field(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(known))}")
        kwargs: dict = {}
        if "position_sd" in raw:
            kwargs["position_sd"], kwargs["position_unit"] = parse_spread(raw["position_sd"])
        for key in ("salience_sd", "capability_concentration"):
            if key in raw:
                kwargs[key] = _number(raw[key], key)
        if raw.get("issues") is not None:
            kwargs["issues"] = _issue_overrides(raw["issues"])
        u = cls(**kwargs)
        if u.salience_sd < 0 or u.capability_concentration <= 0:
            raise AccordError("uncertainty: salience_sd must be >= 0, capability_concentration > 0")
        return u

    @property
    def none(self) -> bool:
        return (self.position_sd == 0 and self.salience_sd == 0 and math.isinf(self.capability_concentration)
                and not any(v.get("position_sd") or v.get("salience_sd") for v in self.issues.values()))

    def position_sds(self, a: ScenarioArrays) -> np.ndarray:
        """The standard deviation of a position without a range, per issue (n_issues,), in each
        issue's scale units."""
        span = np.asarray(a.upper, float) - np.asarray(a.lower, float)
        out = np.empty(a.n_issues)
        for k, issue in enumerate(a.issue_ids):
            own = self.issues.get(issue, {})
            sd, unit = (own["position_sd"], own.get("position_unit", "percent")) if "position_sd" in own \
                else (self.position_sd, self.position_unit)
            out[k] = float(sd) * (span[k] / 100.0 if unit == "percent" else 1.0)
        return out

    def salience_sds(self, a: ScenarioArrays) -> np.ndarray:
        """The standard deviation of a salience, per issue (n_issues,)."""
        return np.array([float(self.issues.get(i, {}).get("salience_sd", self.salience_sd)) for i in a.issue_ids])

    def check_issues(self, issue_ids) -> None:
        """An error naming any per-issue override of an issue the scenario does not have."""
        unknown = sorted(set(self.issues) - set(issue_ids))
        if unknown:
            raise AccordError(f"meta.uncertainty.issues: unknown issue(s) {', '.join(unknown)}; "
                              f"issues: {', '.join(issue_ids)}")


def _number(value, what: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise AccordError(f"uncertainty: {what} must be a number, got {value!r}") from None
    if math.isnan(x):
        raise AccordError(f"uncertainty: {what} must be a number, got {value!r}")
    return x


def _issue_overrides(raw) -> dict[str, dict[str, object]]:
    if not isinstance(raw, Mapping):
        raise AccordError("meta.uncertainty.issues must map issue ids to {position_sd, salience_sd}")
    out: dict[str, dict[str, object]] = {}
    for issue, spec in raw.items():
        if not isinstance(spec, Mapping) or not set(spec) <= {"position_sd", "salience_sd"}:
            raise AccordError(f"meta.uncertainty.issues.{issue}: expected position_sd and/or salience_sd, "
                              f"got {spec!r}")
        item: dict[str, object] = {}
        if "position_sd" in spec:
            item["position_sd"], item["position_unit"] = parse_spread(spec["position_sd"], f"issues.{issue}.position_sd")
        if "salience_sd" in spec:
            item["salience_sd"] = _number(spec["salience_sd"], f"issues.{issue}.salience_sd")
            if item["salience_sd"] < 0:
                raise AccordError(f"uncertainty: issues.{issue}.salience_sd must be >= 0")
        out[str(issue)] = item
    return out


def _triangular(rng, low, mode, high, size):
    u = rng.random(size)
    span = high - low
    with np.errstate(invalid="ignore", divide="ignore"):
        cut = np.where(span > 0, (mode - low) / span, 0.5)
        left = low + np.sqrt(u * span * (mode - low))
        right = high - np.sqrt((1 - u) * span * (high - mode))
    return np.where(span > 0, np.where(u < cut, left, right), mode)


def _truncated_normal(rng, mean, sd, lower, upper, size):
    from scipy.special import ndtr, ndtri  # SciPy only when a run draws (~0.1 s to import)

    u = rng.random(size)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = ndtr((lower - mean) / sd)
        b = ndtr((upper - mean) / sd)
        x = mean + sd * ndtri(a + u * (b - a))
    x = np.where(sd > 0, x, mean)
    return np.clip(np.nan_to_num(x, nan=mean), lower, upper)


def _beta_around(rng, mean, sd, size):
    m = np.clip(mean, 1e-6, 1 - 1e-6)
    var_max = m * (1 - m)
    var = np.minimum(sd**2, 0.95 * var_max)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = var_max / np.where(var > 0, var, 1.0) - 1
    a = np.broadcast_to(np.where(var > 0, m * k, 1.0), size)
    b = np.broadcast_to(np.where(var > 0, (1 - m) * k, 1.0), size)
    x = rng.beta(a, b)
    return np.where((var > 0) & (mean > 0) & (mean < 1), x, mean)


def sample(a: ScenarioArrays, n_draws: int, rng: np.random.Generator, u: Uncertainty = Uncertainty()) -> ScenarioArrays:
    """``n_draws`` perturbed copies of the inputs, stacked on a leading draw axis.

    Inputs with neither a stance range nor a scenario-wide default are copied unchanged, so with
    no uncertainty every draw equals the point inputs.
    """
    u.check_issues(a.issue_ids)
    n, m = a.position.shape[-2:]
    shape = (n_draws, n, m)
    pos = np.broadcast_to(a.position, shape)
    has_range = ~np.isnan(a.position_low) | ~np.isnan(a.position_high)
    low = np.where(np.isnan(a.position_low), a.position, a.position_low)
    high = np.where(np.isnan(a.position_high), a.position, a.position_high)
    tri = _triangular(rng, low, a.position, high, shape)
    sd = np.broadcast_to(u.position_sds(a), (n, m))
    normal = _truncated_normal(rng, a.position, sd, a.lower, a.upper, shape)
    position = np.where(has_range, tri, normal)
    position = np.where(a.involved, position, np.nan)

    salience = _beta_around(rng, a.salience, np.broadcast_to(u.salience_sds(a), (n, m)), shape)
    salience = np.where(a.involved, salience, 0.0)

    cap = np.asarray(a.capability, float)
    if math.isinf(u.capability_concentration) or cap.sum() == 0:
        capability = np.broadcast_to(cap, (n_draws, n)).copy()
    else:
        total = cap.sum()
        share = cap / total
        alpha = np.maximum(u.capability_concentration * share, 1e-9)
        draws = rng.dirichlet(alpha, size=n_draws)
        capability = np.where(share > 0, draws, 0.0) * total
    del pos
    return a.replace(capability=capability, position=position, salience=salience)
