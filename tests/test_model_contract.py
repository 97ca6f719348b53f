"""The contract every registered model meets, as scikit-learn's ``check_estimator`` holds every
estimator to one: result type and shapes, results on the issue's scale, same seed same result,
one forecast per draw of a batch, independence of actor order, parameters checked, declared
abilities honoured, a documentation page and a bibliography entry."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.errors import ParameterError
from accord.models import available, get
from accord.models.params import Array, Boolean, Interval, Levels, Options
from accord.results import ModelResult, Trajectory
from accord.scenario import from_arrays

from conftest import ROOT
from strategies import permuted, scenario_arrays

NAMES = [m.name for m in available()]
FEW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def small():
    return from_arrays([3, 2, 1, 2], [[10, 80], [35, 20], [60, 55], [90, 5]],
                       [[0.9, 0.3], [0.5, 0.8], [0.7, 0.6], [0.4, 1.0]], status_quo=[50, 50])


@pytest.mark.parametrize("name", NAMES)
@FEW
@given(s=scenario_arrays(min_actors=3, max_actors=7, max_issues=2))
def test_result_type_shape_and_range(name, s):
    a = s.arrays()
    result = get(name).forecast(a, rng=np.random.default_rng(1))
    assert isinstance(result, ModelResult)
    assert result.outcome.shape == (a.n_issues,)
    assert np.all(np.isfinite(result.outcome))
    assert np.all(result.outcome >= a.lower - 1e-9) and np.all(result.outcome <= a.upper + 1e-9)
    for key, values in result.figures().items():
        assert np.shape(values) == (a.n_issues,), key
    assert all(isinstance(n, str) for n in result.notes)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_result(name):
    a = small().arrays()
    one = get(name).forecast(a, rng=np.random.default_rng(7))
    two = get(name).forecast(a, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(one.outcome, two.outcome)


@pytest.mark.parametrize("name", NAMES)
def test_one_forecast_per_draw(name):
    a = small().arrays()
    rng = np.random.default_rng(3)
    k = 3
    batch = a.replace(position=np.clip(a.position + rng.normal(0, 8, (k, *a.position.shape)), 0, 100),
                      salience=np.clip(a.salience + rng.normal(0, 0.1, (k, *a.salience.shape)), 0.05, 1),
                      capability=np.broadcast_to(a.capability, (k, a.n_actors)))
    many = get(name).forecast(batch)
    assert many.outcome.shape == (k, a.n_issues)
    for d in range(k):
        one = get(name).forecast(a.replace(position=batch.position[d], salience=batch.salience[d]))
        np.testing.assert_allclose(many.outcome[d], one.outcome, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
@FEW
@given(s=scenario_arrays(min_actors=3, max_actors=6, max_issues=2), seed=st.integers(0, 1000))
def test_actor_order_does_not_matter(name, s, seed):
    # Continuous random positions: no model here breaks a tie between distinct actors. A model that
    # follows a reference implementation whose results depend on the order (KTAB) says so.
    if not get(name).order_invariant:
        return
    a = s.arrays()
    base = get(name).forecast(a).outcome
    np.testing.assert_allclose(get(name).forecast(permuted(s, seed)).outcome, base, rtol=0, atol=1e-6)


def _bad_values(constraint):
    if isinstance(constraint, Interval):
        out = ["ten"]
        if constraint.low is not None:
            out.append(constraint.low - 1)
        if constraint.high is not None:
            out.append(constraint.high + 1)
        if constraint.kind is int:
            out.append(1.5)
        return out
    if isinstance(constraint, Options):
        return ["no-such-choice", 3]
    if isinstance(constraint, Boolean):
        return ["maybe", 2]
    if isinstance(constraint, Levels):
        return [[0.5, 1.5], "median"]
    return []


@pytest.mark.parametrize("name", NAMES)
def test_parameters_are_checked_and_documented(name):
    model = get(name)
    a = small().arrays()
    for key, param in model.params.items():
        assert param.description, f"{name}.{key} has no description"
        assert param.allowed
        param.constraint.check(key, param.default)  # the default is allowed
        for bad in _bad_values(param.constraint):
            with pytest.raises(ParameterError, match=re.escape(key)):
                model.forecast(a, **{key: bad})
        if isinstance(param.constraint, Array):
            assert not param.settable
    with pytest.raises(ParameterError, match=f"{name}: unknown parameter"):
        model.forecast(a, no_such_parameter=1)


@pytest.mark.parametrize("name", NAMES)
def test_declared_abilities(name):
    model = get(name)
    a = small().arrays()
    result = model.forecast(a)
    if model.quantiles:
        levels = sorted(result.quantiles)
        assert levels and all(0 < lv < 1 for lv in levels)
        qs = np.array([result.quantiles[lv] for lv in levels])
        assert np.all(np.diff(qs, axis=0) >= -1e-9)
    else:
        assert not result.quantiles
    if model.positions:
        assert result.positions.shape == (a.n_actors, a.n_issues)
    else:
        assert result.positions is None
    if model.iterative:
        traj = model.trajectory(a)
        assert isinstance(traj, Trajectory)
        assert traj.positions.shape[1:] == (a.n_actors, a.n_issues)
        np.testing.assert_allclose(traj.forecast, result.outcome, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_documented_and_cited(name):
    model = get(name)
    pages = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "docs" / "models").glob("*.md")}
    assert name in pages or any(f"`{name}`" in text for text in pages.values()), f"no page documents {name}"
    bibliography = (ROOT / "docs" / "bibliography.md").read_text(encoding="utf-8")
    keys = re.findall(r"^- \*\*(.+?)\*\*", bibliography, re.M)
    for authors, year in re.findall(r"([A-Z][A-Za-z' ,&.-]+?) \((\d{4})\)", model.citation):
        surname = re.split(r"[ ,&]", authors.strip())[0]
        if surname == "accord":
            continue
        assert any(surname in k and year in k for k in keys), f"{name}: {authors} {year} is not in docs/bibliography.md"
