"""The focal-actor mixture: hand cases, distribution properties, order invariance, batch axes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.errors import ModelError
from accord.models import get
from accord.models.focal import PARAMS, _prepare, _quantiles_bisection, cdf, focal, mean, quantiles
from accord.scenario import from_arrays

from conftest import result_arrays


def _one(cap, pos, sal, **kw):
    return from_arrays(cap, [[p] for p in pos], [[s] for s in sal], **kw).arrays()


def test_hand_case_median_on_the_continuous_part():
    # Focal actor at 100 (weight 2); compromise centre (0 + 50 + 200) / 4 = 62.5.
    a = _one([1, 1, 2], [0, 50, 100], [1, 1, 1])
    rho, b = 0.2, 20.0
    out = focal(a, variant="compromise", rho=rho, spread=b)
    # Below 100: F(z) = 0.8 L(z), so the median solves L(z) = 0.625 = 1 − ½ e^{−(z − 62.5)/20}.
    expected = 62.5 - 20 * np.log(2 * (1 - 0.625))
    assert out.outcome[0] == pytest.approx(expected, abs=1e-9)


def test_hand_case_median_snaps_to_the_focal_position():
    # With most of the mass on the focal actor the median is its position, exactly.
    a = _one([1, 1, 5], [0, 10, 70], [1, 1, 1])
    out = focal(a, variant="mean", rho=0.6, spread=20)
    assert out.outcome[0] == 70.0


def test_ties_share_the_focal_mass():
    a = _one([1, 1], [20, 80], [1, 1])
    # Symmetric: the median is the middle, whatever ρ.
    assert focal(a, rho=0.4, spread=10).outcome[0] == pytest.approx(50.0, abs=1e-6)
    assert cdf(a, np.array([[20.0]]), variant="mean", rho=1.0, spread=10)[0, 0] == pytest.approx(0.5)


def test_cdf_is_a_distribution_on_the_scale():
    a = _one([1, 2, 3], [10, 40, 90], [0.5, 1, 0.2])
    z = np.linspace(-10, 110, 241)[:, None]
    f = cdf(a, z)[:, 0]
    assert np.all(np.diff(f) >= -1e-12)
    assert f[0] == 0 and f[-1] == 1 and cdf(a, np.array([[100.0]]))[0, 0] == 1


def test_quantiles_are_ordered_and_mean_matches_quantile_average():
    a = _one([1, 2, 3], [10, 40, 90], [0.5, 1, 0.2])
    levels = (np.arange(2000) + 0.5) / 2000
    q = quantiles(a, levels)[:, 0]
    assert np.all(np.diff(q) >= 0)
    assert mean(a)[0] == pytest.approx(q.mean(), abs=0.05)


@pytest.mark.parametrize(("rho", "spread"), [(None, None), (0.0, 10.0), (1.0, 5.0), (0.9, 80.0), (0.3, 0.5)])
@pytest.mark.parametrize("variant", ["compromise", "mean"])
def test_closed_form_quantiles_meet_the_definition_and_agree_with_bisection(variant, rho, spread):
    # q is the smallest z with F(z) >= level: F(q) reaches the level and F just below q does not.
    rng = np.random.default_rng(7)
    levels = np.array([0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99])
    for trial in range(40):
        n, m = rng.integers(2, 9), rng.integers(1, 4)
        pos = rng.choice([0.0, 10, 25, 50, 50, 75, 100], (n, m)) if trial % 2 else rng.uniform(0, 100, (n, m))
        cap = rng.choice([1.0, 2.0, 2.0], n) if trial % 3 == 0 else rng.uniform(0.1, 1, n)
        sal = rng.choice([0.5, 1.0], (n, m)) if trial % 3 == 0 else rng.uniform(0, 1, (n, m))
        a = from_arrays(cap, pos, sal).arrays()
        q = quantiles(a, levels, variant=variant, rho=rho, spread=spread)
        kw = {"variant": variant, "rho": rho, "spread": spread}
        assert np.all(cdf(a, q, **kw) >= levels[:, None] - 1e-12)
        assert np.all((cdf(a, q - 1e-7, **kw) <= levels[:, None] + 1e-12) | (q == 0))
        parts = _prepare(a, variant, rho, spread)
        slow = _quantiles_bisection(parts, levels)
        # Where a level equals ρ × (k of t tied focal masses) exactly, float noise picks the point.
        t = (parts[0] > 0).sum(axis=0)
        ks = np.arange(1, n + 1)[:, None] / t
        tie = (np.abs(levels[:, None, None] - parts[6] * ks[None]) < 1e-12).any(axis=1)
        assert np.abs(q - slow)[~tie].max(initial=0) < 1e-9


def test_scale_invariance():
    """Rescaling the issue from 0–100 to 0–1 rescales every output."""
    a = _one([1, 2, 3], [10, 40, 90], [0.5, 1, 0.2])
    b = from_arrays([1, 2, 3], [[0.1], [0.4], [0.9]], [[0.5], [1], [0.2]], lower=0.0, upper=1.0).arrays()
    fa, fb = result_arrays(focal(a)), result_arrays(focal(b))
    for key in fa:
        assert fb[key][0] == pytest.approx(fa[key][0] / 100, abs=1e-9)


positions = st.lists(st.floats(0, 100, allow_nan=False), min_size=3, max_size=6)


@settings(max_examples=40, deadline=None)
@given(positions, st.data())
def test_actor_order_does_not_matter(pos, data):
    n = len(pos)
    cap = data.draw(st.lists(st.sampled_from([1.0, 2.0, 3.0]), min_size=n, max_size=n))
    sal = data.draw(st.lists(st.sampled_from([0.2, 0.5, 1.0]), min_size=n, max_size=n))
    perm = data.draw(st.permutations(range(n)))
    a = _one(cap, pos, sal)
    b = _one([cap[k] for k in perm], [pos[k] for k in perm], [sal[k] for k in perm])
    fa, fb = result_arrays(focal(a)), result_arrays(focal(b))
    for key in fa:
        assert fb[key][0] == pytest.approx(fa[key][0], abs=1e-7)
    assert 0 <= fa["outcome"][0] <= 100


def test_batch_axes_match_single_runs():
    rng = np.random.default_rng(0)
    base = from_arrays([1, 2, 3, 1], rng.uniform(0, 100, (4, 3)), rng.uniform(0, 1, (4, 3)))
    a = base.arrays()
    draws = [a.replace(position=np.clip(a.position + rng.normal(0, 5, a.position.shape), 0, 100)) for _ in range(3)]
    batch = a.replace(position=np.stack([d.position for d in draws]), salience=np.stack([d.salience for d in draws]),
                      capability=np.stack([d.capability for d in draws]))
    out = focal(batch).outcome
    assert out.shape == (3, 3)
    for k, d in enumerate(draws):
        np.testing.assert_allclose(out[k], focal(d).outcome, atol=1e-9)


def test_registered_with_variants_and_fitted_params():
    m = get("focal")
    assert m.variants[0] == "compromise" and set(m.variants) == set(PARAMS)
    a = _one([1, 1, 1], [0, 50, 100], [1, 1, 1])
    assert set(result_arrays(m.forecast(a, variant="mean"))) >= {"outcome", "mean", "q10", "q90"}
    assert m.quantiles and not m.iterative
    with pytest.raises(ModelError, match="variant"):
        m.forecast(a, variant="nope")
