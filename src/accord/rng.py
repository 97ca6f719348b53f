"""Random streams: one ``seed`` at the entry point, :class:`numpy.random.Generator` everywhere."""

from __future__ import annotations

import numpy as np

#: Largest seed taken at any entry point (command line, web form, API): NumPy's SeedSequence
#: takes any non-negative integer; 2^63 - 1 keeps it in int64 and in the store's BIGINT column.
MAX_SEED = 2**63 - 1


def generator(rng: np.random.Generator | np.random.SeedSequence | int | None = None) -> np.random.Generator:
    """``rng`` as a Generator: a Generator as it is, a seed or SeedSequence seeds a new one, and
    None gives the stream of seed 0, so that a stochastic model called without one is still
    reproducible."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(0 if rng is None else rng)
