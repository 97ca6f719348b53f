"""Baseline models: hand cases, published numbers and the contract every model meets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.io import read_scenario
from accord.models import baselines as baseline
from accord.models import get
from accord.scenario import from_arrays

from conftest import SYRIA, shared
from strategies import permuted, scenario_arrays

BASELINES = ["mean", "compromise", "median", "condorcet", "nash"]


def one_issue(cap, pos, sal, sq=None):
    return from_arrays(cap, np.array(pos, float)[:, None], np.array(sal, float)[:, None], status_quo=sq).arrays()


@pytest.mark.parametrize(
    "model, cap, pos, sal, sq, expected",
    [
        ("mean", [1, 9], [0, 100], [1, 1], None, 50),
        ("compromise", [1, 3], [0, 100], [1, 1], None, 75),
        ("compromise", [1, 1], [0, 100], [1, 0.25], None, 20),
        ("median", [1, 1, 3], [0, 40, 100], [1, 1, 1], None, 100),
        ("median", [2, 1, 1], [0, 40, 100], [1, 1, 1], None, 20),  # exact half: midpoint
        ("median", [1, 1, 1], [0, 40, 100], [1, 1, 1], None, 40),
        ("condorcet", [1, 1, 1], [0, 40, 100], [1, 1, 1], None, 40),
        ("condorcet", [1, 1, 3], [0, 40, 100], [1, 1, 1], None, 100),
        ("condorcet", [2, 1, 1], [0, 40, 100], [1, 1, 1], None, 20),  # 0 and 40 tie: their mean
        ("condorcet", [1, 1, 1, 1], [10, 10, 30, 90], [1, 1, 1, 1], None, 20),
    ],
)
def test_hand_case(model, cap, pos, sal, sq, expected):
    a = one_issue(cap, pos, sal, sq)
    assert get(model).forecast(a).outcome[0] == pytest.approx(expected, abs=1e-9)


def test_nash_hand_case():
    # Status quo 0, actors at 50 and 100 with equal weight. Gains: g1 = z(100 - z)... in scaled
    # units u_i(z) - u_i(0) = (x_i^2 - (z - x_i)^2)/100^2 = z(2x_i - z)/100^2. Feasible z <= 100.
    # maximise log z(100 - z) + log z(200 - z): derivative 2/z - 1/(100-z) - 1/(200-z) = 0,
    # i.e. 2(100-z)(200-z) - z(200-z) - z(100-z) = 0 -> 4z^2 - 900z + 40000 = 0.
    z = (900 - np.sqrt(900**2 - 16 * 40000)) / 8
    a = one_issue([1, 1], [50, 100], [1, 1], 0)
    assert baseline.nash(a)[0] == pytest.approx(z, abs=1e-6)


def test_nash_keeps_the_status_quo_when_actors_straddle_it():
    a = one_issue([1, 1], [0, 100], [1, 1], 50)
    assert baseline.nash(a)[0] == pytest.approx(50)


def test_compromise_against_bueno_de_mesquita_emissions():
    """Bueno de Mesquita (1994) EC car emissions: weighted mean 7.390, weighted median 7.0
    (Scholz et al. 2011, Table 1; the reference log prints 7.389955686853767)."""
    s = read_scenario(shared("reference", "emissions", "actors.csv"))
    assert get("compromise").forecast(s.arrays()).outcome[0] == pytest.approx(7.389955686853767, abs=1e-12)
    assert get("median").forecast(s.arrays()).outcome[0] == 7.0


def test_forecast_json_command_on_emissions(run_cli):
    import json

    code, out, err = run_cli("forecast", shared("reference", "emissions", "actors.csv"), "--model", "compromise", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) >= {"accord_version", "scenario", "forecasts"}
    (item,) = data["forecasts"]
    assert item["model"] == "compromise" and abs(item["outcome"] - 7.390) < 1e-3


def test_uninvolved_actors_are_ignored():
    pos = np.array([[0.0, 10], [100, np.nan], [50, 90]])
    s = from_arrays([1, 1, 1], pos, np.ones((3, 2)))
    out = baseline.compromise(s.arrays())
    assert out[1] == pytest.approx(50)
    assert baseline.mean(s.arrays())[1] == pytest.approx(50)
    assert baseline.median(s.arrays())[1] in (10, 50, 90)


def test_draw_axes_lead():
    a = read_scenario(SYRIA).arrays()
    batch = a.replace(
        capability=np.stack([a.capability] * 4),
        position=np.stack([a.position] * 4),
        salience=np.stack([a.salience] * 4),
    )
    for name in BASELINES:
        one = get(name).forecast(a).outcome
        many = get(name).forecast(batch).outcome
        assert many.shape == (4, a.n_issues)
        np.testing.assert_allclose(many, np.broadcast_to(one, many.shape), atol=1e-9)


@pytest.mark.parametrize("name", BASELINES)
@settings(max_examples=60, deadline=None)
@given(s=scenario_arrays(), seed=st.integers(0, 2**16))
def test_contract(name, s, seed):
    """Inside the positions' range; invariant to actor order and to scaling capabilities."""
    model = get(name)
    a = s.arrays()
    out = model.forecast(a).outcome
    lo, hi = np.nanmin(a.position, axis=0), np.nanmax(a.position, axis=0)
    sq = np.where(np.isnan(a.status_quo), lo, a.status_quo)
    if name == "nash":  # the status quo is a possible outcome of bargaining
        lo, hi = np.minimum(lo, sq), np.maximum(hi, sq)
    assert np.all(out >= lo - 1e-6) and np.all(out <= hi + 1e-6)
    np.testing.assert_allclose(model.forecast(permuted(s, seed)).outcome, out, atol=1e-6)
    np.testing.assert_allclose(model.forecast(a.replace(capability=a.capability * 7.5)).outcome, out, atol=1e-6)


def _condorcet_by_every_contest(pos, w):
    """Brute force on one issue: every pair of distinct positions, every voter."""
    cands = sorted(set(pos))
    wins = []
    for c in cands:
        margins = [sum(wk * (np.sign(abs(xk - o) - abs(xk - c))) for xk, wk in zip(pos, w, strict=True))
                   for o in cands if o != c]
        if all(mg >= -1e-12 for mg in margins):
            wins.append(c)
    return np.mean(wins) if wins else np.nan


def test_condorcet_equals_brute_force_contests():
    rng = np.random.default_rng(3)
    for trial in range(300):
        n = int(rng.integers(1, 8))
        pos = rng.choice([0.0, 10, 25, 50, 75, 100], n) if trial % 2 else rng.uniform(0, 100, n)
        cap = rng.choice([1.0, 2.0, 3.0], n)
        sal = rng.choice([0.5, 1.0], n)
        a = from_arrays(cap, pos[:, None], sal[:, None]).arrays()
        expected = _condorcet_by_every_contest(list(pos), list(cap * sal))
        assert baseline.condorcet(a)[0] == pytest.approx(expected, abs=1e-9), (pos, cap, sal)


@settings(max_examples=60, deadline=None)
@given(s=scenario_arrays())
def test_condorcet_winner_is_the_weighted_median(s):
    """Black's median voter theorem: one dimension, symmetric single-peaked preferences."""
    a = s.arrays()
    cond, med = baseline.condorcet(a), baseline.median(a)
    np.testing.assert_allclose(cond, med, atol=1e-9)


def test_syria_every_model_gives_every_issue(run_cli):
    code, out, err = run_cli("forecast", SYRIA, "--format", "csv")
    assert code == 0, err
    import io

    import pandas as pd

    df = pd.read_csv(io.StringIO(out))
    for name in BASELINES:
        assert df[df.model == name].outcome.notna().sum() == 7
