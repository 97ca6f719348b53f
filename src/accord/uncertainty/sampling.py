"""Input uncertainty: how positions, saliences and capabilities are drawn (see docs/uncertainty.md).

* A position with a stance range ``[low, high]`` is drawn from the triangular distribution with
  its mode at the stated position: bounded, allows a lopsided range, and needs no more than the
  three numbers an analyst gives.
* A position without a range is drawn from a normal distribution around it with the scenario-wide
  standard deviation ``position_sd`` (in scale units), truncated to the issue's scale.
* A salience s is drawn from a beta distribution with mean s and standard deviation
  ``salience_sd`` (capped at the largest the beta family allows for that mean), so it stays in
  [0, 1].
* Capabilities are redistributed as shares: shares ~ Dirichlet(κ · share), where κ =
  ``capability_concentration``; the total is kept. The standard deviation of a share p is about
  sqrt(p(1 - p)/(κ + 1)). κ = ∞ (the default) keeps capabilities fixed.

All functions are pure given ``rng``; the draw axis leads every array.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accord.scenario import ScenarioArrays


@dataclass(frozen=True)
class Uncertainty:
    """Scenario-wide defaults for the inputs that carry no range of their own."""

    position_sd: float = 0.0
    salience_sd: float = 0.0
    capability_concentration: float = math.inf

    @classmethod
    def from_meta(cls, meta: dict | None, **overrides) -> Uncertainty:
        """Defaults from a scenario's ``meta: {uncertainty: {...}}``, then explicit overrides."""
        raw = dict((meta or {}).get("uncertainty") or {})
        raw.update({k: v for k, v in overrides.items() if v is not None})
        known = {"position_sd", "salience_sd", "capability_concentration"}
        unknown = set(raw) - known
        if unknown:
            from accord.errors import AccordError

            raise AccordError(f"meta.uncertainty: unknown field(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(known))}")
        u = cls(**{k: float(v) for k, v in raw.items()})
        if u.position_sd < 0 or u.salience_sd < 0 or u.capability_concentration <= 0:
            from accord.errors import AccordError

            raise AccordError("uncertainty: position_sd and salience_sd must be >= 0, capability_concentration > 0")
        return u

    @property
    def none(self) -> bool:
        return self.position_sd == 0 and self.salience_sd == 0 and math.isinf(self.capability_concentration)


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
    n, m = a.position.shape[-2:]
    shape = (n_draws, n, m)
    pos = np.broadcast_to(a.position, shape)
    has_range = ~np.isnan(a.position_low) | ~np.isnan(a.position_high)
    low = np.where(np.isnan(a.position_low), a.position, a.position_low)
    high = np.where(np.isnan(a.position_high), a.position, a.position_high)
    tri = _triangular(rng, low, a.position, high, shape)
    sd = np.full((n, m), u.position_sd)
    normal = _truncated_normal(rng, a.position, sd, a.lower, a.upper, shape)
    position = np.where(has_range, tri, normal)
    position = np.where(a.involved, position, np.nan)

    salience = _beta_around(rng, a.salience, np.full((n, m), u.salience_sd), shape)
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
