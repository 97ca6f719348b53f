"""Hypothesis strategies shared by the property tests: one way to make a random scenario."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from accord.scenario import from_arrays


@st.composite
def scenario_arrays(draw, min_actors=2, max_actors=12, max_issues=3, status_quo=True):
    n = draw(st.integers(min_actors, max_actors))
    m = draw(st.integers(1, max_issues))
    cap = draw(arrays(float, n, elements=st.floats(0.01, 100)))
    pos = draw(arrays(float, (n, m), elements=st.floats(0, 100).map(lambda x: round(x, 3))))
    sal = draw(arrays(float, (n, m), elements=st.floats(0.01, 1)))
    sq = draw(arrays(float, m, elements=st.floats(0, 100))) if status_quo and draw(st.booleans()) else None
    return from_arrays(cap, pos, sal, status_quo=sq)


def permuted(scenario, seed: int):
    """The same scenario with its actors in another order."""
    a = scenario.arrays()
    order = np.random.default_rng(seed).permutation(a.n_actors)
    return a.take_actors(order)
