"""Running summaries of Monte Carlo draws: memory that does not grow with the number of draws.

A million draws of nine models on seven issues are 500 MB of outcomes. With ``simulate(...,
stream=True)`` no array of all draws is kept: each chunk's outcomes are summarised where they
are computed and the summaries are merged, in chunk order, into one :class:`Summary` per run:

* the count, mean and sum of squared deviations per model and issue, merged with Chan, Golub &
  LeVeque's (1979) pairwise update, so the mean and sd are those of all draws to rounding;
* the number of draws in each region asked for (exact);
* a histogram of :data:`BINS` equal bins over each issue's scale, from which quantiles are read
  by linear interpolation within a bin: within 1/:data:`BINS` of the scale of the quantile of
  all the draws (0.1 points on a 0–100 scale) when neighbouring draws are closer than a bin, and
  never outside the smallest and largest draw (so a constant outcome is exact).

Chunks are grouped into tasks of :func:`batch_sizes` chunks (a function of the number of draws
only) and the merge order is fixed, so the summary is the same bit for bit on one process, on
local workers or on Dask, however many workers run it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Histogram bins per issue scale: quantiles to 1/BINS of the scale.
BINS = 1000
#: Most tasks a streamed run is cut into (each task merges its chunks before it returns, so a
#: task's result is one summary, not its chunks' draws).
MAX_TASKS = 64


def batch_sizes(n_chunks: int) -> list[int]:
    """Chunks per task: at most :data:`MAX_TASKS` tasks, as even as possible, in chunk order
    (a function of the number of chunks alone, hence of the number of draws)."""
    k = min(n_chunks, MAX_TASKS)
    return [n_chunks // k + (1 if i < n_chunks % k else 0) for i in range(k)]


def _bounds(regions, n_issues: int) -> np.ndarray:
    """(n_issues, n_regions, 2): ``(low, high)`` pairs for every issue, or such an array as is."""
    arr = np.asarray(regions, float)
    if arr.ndim == 3:
        return arr
    arr = arr.reshape(-1, 2)
    return np.broadcast_to(arr, (n_issues, *arr.shape))


@dataclass
class Summary:
    """Running summary of draws of ``models`` × issues (arrays (n_models, n_issues, ...))."""

    n: np.ndarray  # finite draws
    mean: np.ndarray
    m2: np.ndarray  # Σ (x - mean)²
    hist: np.ndarray  # (n_models, n_issues, BINS) counts over [lower, upper]
    regions: np.ndarray  # (n_models, n_issues, n_regions) draws inside each region
    total: int  # draws, finite or not
    low: np.ndarray  # smallest and largest draw (quantiles never leave them: a constant is exact)
    high: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray, lower, upper, regions) -> Summary:
        """The summary of draws ``x`` (n_models, n_draws, n_issues). ``regions``: ``(low, high)``
        pairs for every issue, or an array (n_issues, n_regions, 2) of each issue's bounds (NaN:
        not counted on that issue; :func:`accord.uncertainty.simulate.region_bounds`)."""
        ok = np.isfinite(x)
        n = ok.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(n > 0, np.nansum(x, axis=1) / np.maximum(n, 1), 0.0)
            dev = np.where(ok, x - mean[:, None, :], 0.0)
        m2 = (dev * dev).sum(axis=1)
        lower, upper = np.asarray(lower, float), np.asarray(upper, float)
        pos = np.floor((np.where(ok, x, lower) - lower) / (upper - lower) * BINS)
        idx = np.clip(pos, 0, BINS - 1).astype(np.int64)
        n_models, n_draws, n_issues = x.shape
        flat = (np.arange(n_models)[:, None, None] * n_issues + np.arange(n_issues)) * BINS + idx
        hist = np.bincount(flat[ok], minlength=n_models * n_issues * BINS).reshape(n_models, n_issues, BINS)
        bounds = _bounds(regions, n_issues)
        inside = np.stack([(ok & (x >= bounds[:, r, 0]) & (x <= bounds[:, r, 1])).sum(axis=1)
                           for r in range(bounds.shape[1])], axis=-1) \
            if bounds.shape[1] else np.zeros((n_models, n_issues, 0), np.int64)
        low = np.where(n > 0, np.where(ok, x, np.inf).min(axis=1), np.nan)
        high = np.where(n > 0, np.where(ok, x, -np.inf).max(axis=1), np.nan)
        return cls(n=n, mean=mean, m2=m2, hist=hist, regions=inside, total=n_draws, low=low, high=high)

    def merge(self, other: Summary) -> Summary:
        """This summary followed by ``other`` (Chan, Golub & LeVeque's update of mean and M2)."""
        n = self.n + other.n
        with np.errstate(invalid="ignore", divide="ignore"):
            delta = other.mean - self.mean
            share = np.where(n > 0, other.n / np.maximum(n, 1), 0.0)
            mean = self.mean + delta * share
            m2 = self.m2 + other.m2 + delta * delta * np.where(n > 0, self.n * other.n / np.maximum(n, 1), 0.0)
        return Summary(n=n, mean=mean, m2=m2, hist=self.hist + other.hist, regions=self.regions + other.regions,
                       total=self.total + other.total, low=np.fmin(self.low, other.low),
                       high=np.fmax(self.high, other.high))

    def sd(self) -> np.ndarray:
        """Sample standard deviation (n - 1), 0 with fewer than two draws."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.n > 1, np.sqrt(self.m2 / np.maximum(self.n - 1, 1)), 0.0)

    def quantiles(self, qs: Sequence[float], lower, upper) -> np.ndarray:
        """Quantiles ``qs`` (0–1) per model and issue, (len(qs), n_models, n_issues), read from the
        histogram: the point where the cumulative count reaches q · n, linear within its bin."""
        lower, upper = np.asarray(lower, float), np.asarray(upper, float)
        width = (upper - lower) / BINS
        cum = np.cumsum(self.hist, axis=-1)
        out = np.full((len(qs),) + self.n.shape, np.nan)
        for k, q in enumerate(qs):
            target = q * self.n
            b = np.minimum((cum < target[..., None]).sum(axis=-1), BINS - 1)
            before = np.where(b > 0, np.take_along_axis(cum, np.maximum(b - 1, 0)[..., None], axis=-1)[..., 0], 0)
            count = np.take_along_axis(self.hist, b[..., None], axis=-1)[..., 0]
            with np.errstate(invalid="ignore", divide="ignore"):
                frac = np.where(count > 0, (target - before) / np.maximum(count, 1), 0.0)
            est = np.clip(lower + (b + np.clip(frac, 0, 1)) * width, self.low, self.high)
            out[k] = np.where(self.n > 0, est, np.nan)
        return out


def summarise(parts) -> Summary:
    """Merge summaries in the order given (chunk order): the one order every executor keeps."""
    it = iter(parts)
    total = next(it)
    for part in it:
        total = total.merge(part)
    return total
