"""Random streams: one ``seed`` at the entry point, :class:`numpy.random.Generator` everywhere."""

from __future__ import annotations

import numpy as np


def generator(rng: np.random.Generator | np.random.SeedSequence | int | None = None) -> np.random.Generator:
    """``rng`` as a Generator: a Generator as it is, a seed or SeedSequence seeds a new one, and
    None gives the stream of seed 0, so that a stochastic model called without one is still
    reproducible."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(0 if rng is None else rng)
