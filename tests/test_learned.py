"""The learned landing-point mixture: hand cases, its distribution, roles, and the model contract
on the Syria example."""

from __future__ import annotations

import json
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import accord
from accord.errors import ScenarioError
from accord.models import get
from accord.models.institution import ROLES, TEMPLATES, scenario_roles, template_roles
from accord.models.learned import (
    PARAMS_FILE,
    VARIANTS,
    candidates,
    cdf,
    learned,
    level_map,
    likeliest,
    mixture,
    parameters,
    quantiles_of,
)
from accord.scenario import ScenarioArrays, from_arrays

from conftest import SYRIA
from strategies import scenario_arrays

FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _one(pos, ids=None):
    s = from_arrays([1.0] * len(pos), [[p] for p in pos], [[0.5] for _ in pos])
    a = s.arrays()
    return a.replace(actor_ids=tuple(ids)) if ids else a


def _laplace(z, mu, s):
    return 0.5 * np.exp((z - mu) / s) if z < mu else 1 - 0.5 * np.exp(-(z - mu) / s)


def test_hand_case_three_positions():
    # Positions 0, 50, 100 with equal chances (β = 0): atoms of ρ/3 = 0.2 each, the rest a Laplace
    # around the mean 50 with scale 20, truncated to [0, 100].
    a = _one([0, 50, 100])
    params = {"features": ["distance"], "beta": [0.0], "rho": 0.6, "spread": 20.0}
    m = mixture(a, params)
    q = quantiles_of(m, [0.1, 0.3, 0.5, 0.75])[:, 0]
    assert q[0] == 0.0  # F(0) = 0.2 already
    # 0.3 is reached inside (0, 50): 0.2 + 0.4 T(z) = 0.3, T(z) = 0.25, T the truncated Laplace.
    l0, l100 = _laplace(0, 50, 20), _laplace(100, 50, 20)
    u = l0 + 0.25 * (l100 - l0)
    assert q[1] == pytest.approx(50 + 20 * np.log(2 * u), abs=1e-9)
    assert q[2] == 50.0  # F(50−) = 0.2 + 0.4 × 0.5 = 0.4, F(50) = 0.6
    # 0.75 inside (50, 100): atoms 0.2 + 0.2, so 0.4 + 0.4 T(z) = 0.75, T(z) = 0.875.
    u = l0 + 0.875 * (l100 - l0)
    assert q[3] == pytest.approx(50 - 20 * np.log(2 * (1 - u)), abs=1e-9)


def test_hand_case_chamber_and_distance():
    # Two positions at the same distance from the mean (50): the chamber's is exp(β_chamber) times
    # as likely; with no roles they are equally likely.
    p = parameters("compact")
    beta = dict(zip(p["features"], p["beta"], strict=True))
    a = _one([20, 80, 20, 80], ids=["ep", "x", "y", "z"])
    m = mixture(a, p, {"ep": "chamber"})
    mass_20, mass_80 = m["p"][:2, 0] * m["count"][:2, 0]
    assert mass_20 / mass_80 == pytest.approx(np.exp(beta["chamber"]), rel=1e-12)
    m = mixture(a, p, None)
    assert m["p"][:, 0].sum() == pytest.approx(1.0)
    assert m["p"][0, 0] * 2 == pytest.approx(0.5)
    # Distance: positions 0, 40, 50 (mean 30): 40 is 0.1 from the mean, 0 is 0.3 away.
    m = mixture(_one([0, 40, 50]), p)
    assert m["p"][1, 0] / m["p"][0, 0] == pytest.approx(np.exp(beta["distance"] * (0.1 - 0.3)), rel=1e-12)


def test_median_lands_on_a_dominant_position():
    # The chamber at the mean position: below it lie the atom at 0 and half the continuous part
    # (less than one half), with its own atom more than one half: the median is exactly 50.
    a = _one([0, 50, 50, 100], ids=["a", "ep", "b", "c"])
    out = learned(a, roles={"ep": "chamber"})
    assert out.outcome[0] == 50.0
    pos, p = likeliest(mixture(a, parameters(), {"ep": "chamber"}))
    assert pos[0] == 50.0 and 0 < p[0] < 1


def test_one_position_is_every_quantile():
    out = learned(_one([30, 30, 30]))
    assert out.outcome[0] == 30.0
    assert all(q[0] == 30.0 for q in out.quantiles.values())


@FEW
@given(s=scenario_arrays(min_actors=2, max_actors=8, max_issues=2), levels=st.lists(st.floats(0.01, 0.99), min_size=1, max_size=5))
def test_closed_form_quantiles_invert_the_cdf(s, levels):
    a = s.arrays()
    m = mixture(a, parameters("full"), None)
    q = quantiles_of(m, levels)
    for k, level in enumerate(levels):
        assert np.all(cdf(m, q[k]) >= level - 1e-9)
        below = q[k] - 1e-7 * (a.upper - a.lower)
        assert np.all((cdf(m, below) < level + 1e-9) | (q[k] <= a.lower))
        assert np.all((q[k] >= a.lower - 1e-9) & (q[k] <= a.upper + 1e-9))


@FEW
@given(s=scenario_arrays(min_actors=2, max_actors=8, max_issues=2))
def test_cdf_is_a_distribution_within_the_positions(s):
    a = s.arrays()
    m = mixture(a, parameters(), None)
    lo, hi = m["low"], m["high"]
    z = np.linspace(0, 1, 101)[:, None] * (a.upper - a.lower) + a.lower
    f = cdf(m, z)
    assert np.all(np.diff(f, axis=0) >= -1e-12)
    np.testing.assert_allclose(cdf(m, hi), 1.0, rtol=0, atol=1e-12)
    assert np.all(cdf(m, np.nextafter(lo, -np.inf)) == 0.0)


def test_level_map():
    knots = {"0.25": 0.34, "0.1": 0.18}
    g = level_map([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95], knots)
    np.testing.assert_allclose(g, [0.09, 0.18, 0.34, 0.5, 0.66, 0.82, 0.91])
    np.testing.assert_array_equal(level_map([0.1, 0.9], None), [0.1, 0.9])


def test_calibrated_intervals_are_inside_the_raw_ones():
    a = _one([0, 20, 45, 60, 100])
    cal = learned(a)
    raw = learned(a, calibrated=False)
    assert cal.outcome[0] == raw.outcome[0]
    assert raw.quantiles[0.1][0] <= cal.quantiles[0.1][0] <= cal.quantiles[0.9][0] <= raw.quantiles[0.9][0]


def test_features_read_no_outcome_field():
    # Leakage guard: the arrays a model sees have no outcome, and the features are a function of
    # positions, the scale and roles only.
    names = {f.name for f in fields(ScenarioArrays)}
    assert not any("outcome" in n or n == "out" for n in names)
    a = _one([0, 50, 100])
    c = candidates(a)
    assert set(c) >= {"share", "agenda", "chamber", "extreme", "distance"}


def test_fitted_parameters_file():
    data = json.loads(PARAMS_FILE.read_text())
    assert set(data["variants"]) == set(VARIANTS)
    for p in data["variants"].values():
        assert len(p["features"]) == len(p["beta"])
        assert 0 < p["rho"] < 1 and p["spread"] > 0
        assert 0 <= p["levels"]["0.1"] <= p["levels"]["0.25"] <= 0.5


# -- roles ----------------------------------------------------------------------------------

def test_templates():
    assert template_roles("eu") == {"com": "agenda-setter", "ep": "chamber"}
    assert template_roles(None) == {} and template_roles("none") == {}
    assert template_roles({"template": "eu", "roles": {"un": "agenda-setter"}})["un"] == "agenda-setter"
    assert template_roles({"roles": {"x": "chamber"}}) == {"x": "chamber"}


@given(name=st.text(max_size=12).filter(lambda t: t.strip().lower() not in TEMPLATES))
def test_unknown_template_is_refused(name):
    with pytest.raises(ScenarioError, match="meta.institution"):
        template_roles(name)


@given(role=st.text(max_size=12).filter(lambda t: t not in ROLES))
def test_unknown_role_is_refused(role):
    with pytest.raises(ScenarioError, match="meta.institution.roles"):
        template_roles({"roles": {"x": role}})


@given(spec=st.one_of(st.integers(), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=5).filter(lambda k: k not in ("template", "roles")), st.integers(), min_size=1)))
def test_malformed_institution_is_refused(spec):
    with pytest.raises(ScenarioError, match="meta.institution"):
        template_roles(spec)


# -- any scenario: Syria ----------------------------------------------------------------------

def test_syria_forecast_with_and_without_roles():
    s = accord.read_scenario(SYRIA)
    f = accord.forecast(s, models=["learned"])
    out = f.outcomes["learned"]
    a = s.arrays()
    assert np.all(np.isfinite(out)) and np.all((out >= a.lower) & (out <= a.upper))
    qs = [f.extra["learned"][k] for k in ("q10", "q25", "q50", "q75", "q90")]
    assert np.all(np.diff(qs, axis=0) >= -1e-9)
    np.testing.assert_array_equal(qs[2], out)
    # The EU template names no Syria actor: the same forecast; a role changes it.
    eu = s.replace(meta=dict(s.meta or {}) | {"institution": "eu"})
    assert scenario_roles(eu) == {}
    np.testing.assert_array_equal(accord.forecast(eu, models=["learned"]).outcomes["learned"], out)
    first = s.actor_ids[0]
    chamber = s.replace(meta=dict(s.meta or {}) | {"institution": {"roles": {first: "chamber"}}})
    assert not np.array_equal(accord.forecast(chamber, models=["learned"]).outcomes["learned"], out)


def test_syria_bad_institution_is_a_clear_error():
    s = accord.read_scenario(SYRIA)
    bad = s.replace(meta=dict(s.meta or {}) | {"institution": "un-security-council"})
    with pytest.raises(ScenarioError, match="meta.institution.template"):
        accord.forecast(bad, models=["learned"])


def test_monte_carlo_draws_run():
    a = accord.read_scenario(SYRIA).arrays()
    rng = np.random.default_rng(0)
    batch = a.replace(position=np.clip(a.position + rng.normal(0, 5, (4, *a.position.shape)), 0, 100))
    out = get("learned").forecast(batch)
    assert out.outcome.shape == (4, a.n_issues)
    assert np.all(np.isfinite(out.outcome))
