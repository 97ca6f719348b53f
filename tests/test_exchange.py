"""The exchange model: hand-computed cases, linkages, the result contract and properties."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.errors import ModelError
from accord.models import get
from accord.models.exchange import exchange_run, forbidden_linkages, forecast, trajectory
from accord.models.exchange._reference import candidates, run_round
from accord.scenario import Linkage, from_arrays

from conftest import same_result
from strategies import scenario_arrays


def one_round(cap, pos, sal, **kw):
    """The realised exchanges of one round, on a 0–100 scale (one line per hand-computed case)."""
    x, s = np.asarray(pos, float), np.asarray(sal, float)
    w = np.asarray(cap, float)[:, None] * s
    r = run_round(x[None], w[None], s[None], np.ones_like(x, bool), **kw)
    return SimpleNamespace(exchanges=r.exchanges[0], voting=r.voting[0], start_next=r.start_next[0])


# -- hand-computed cases: 2 issues (p = 0, q = 1), 4 actors ------------------------------------
def test_exchange_ratio_and_equal_gains():
    # Outcomes: p = (0·.8 + 100·.2 + 40·.5 + 60·.5) / 2 = 35, q likewise 35. a0 is left on p and
    # right on q, a1 the reverse: the only pair. a0 demands p (0.8/0.2 > 0.2/0.8). a1 moving 100
    # to 0 on p shifts p's outcome by r_p = 100 · 0.2 / 2 = 10; the equal-gain rate is
    # (0.8 + 0.2) / (0.2 + 0.8) = 1, so r_q = 10 and a0 moves 10 · 2 / 0.2 = 100 on q, exactly to
    # a1's position. Gains: 10·0.8 - 10·0.2 = 6 = 10·0.8 - 10·0.2.
    r = one_round([1, 1, 1, 1], [[0, 100], [100, 0], [40, 60], [60, 40]],
                  [[.8, .2], [.2, .8], [.5, .5], [.5, .5]])
    e = r.exchanges
    assert len(e["gain"]) == 1
    assert (e["i"][0], e["j"][0], e["p"][0], e["q"][0]) == (0, 1, 0, 1)
    assert e["gain"][0] == pytest.approx(6.0)
    assert e["y_i"][0] == pytest.approx(0.0) and e["y_j"][0] == pytest.approx(0.0)
    assert e["outcome_p1"][0] == pytest.approx(25.0) and e["outcome_q1"][0] == pytest.approx(25.0)
    np.testing.assert_allclose(r.voting, [[0, 0], [0, 0], [40, 60], [60, 40]], atol=1e-9)


def test_move_bounded_by_the_partners_position():
    # As above but a0 stands at 50 on q (outcome q = (10 + 0 + 15 + 10) / 2 = 17.5). a0's matching
    # move (100) would overshoot a1's position 0, so a0 moves only 50: r_q = 50 · 0.2 / 2 = 5,
    # r_p = r_q / 1 = 5, and a1 moves 5 · 2 / 0.2 = 50 on p (100 to 50). Gains 5·.8 - 5·.2 = 3.
    r = one_round([1, 1, 1, 1], [[0, 50], [100, 0], [40, 30], [60, 20]],
                  [[.8, .2], [.2, .8], [.5, .5], [.5, .5]])
    e = r.exchanges
    assert e["y_i"][0] == pytest.approx(0.0) and e["y_j"][0] == pytest.approx(50.0)
    assert e["gain"][0] == pytest.approx(3.0)
    assert e["outcome_p1"][0] == pytest.approx(30.0) and e["outcome_q1"][0] == pytest.approx(12.5)


def test_move_bounded_by_the_demanders_position():
    # w = c·s: a0 (1.6, 1.2), a1 (.8, .4), a2 (1.2, .8), a3 (.8, 2.4); S_p = 4.4, S_q = 4.8.
    # Outcomes p = 200 / 4.4 = 45.45, q = 252 / 4.8 = 52.5; the only pair is a3 (right, right) with
    # a0 (left, left); a0 demands p (0.8/0.6 > 0.2/0.6). a3 moving all the way (100 to 40) would
    # push p's outcome to 34.5, past a0's own 40, so it moves 4.4 · (45.45 - 40) / 0.8 = 30 only:
    # r_p = 30 · 0.8 / 4.4 = 60/11, rate (0.8+0.2)/(0.6+0.6) = 5/6, r_q = 50/11, a0 moves
    # r_q · 4.8 / 1.2 = 200/11 on q. Equal gains 60/11 · 0.8 - 50/11 · 0.6 = 18/11.
    r = one_round([2, 2, 2, 4], [[40, 0], [10, 70], [40, 70], [100, 70]],
                  [[.8, .6], [.4, .2], [.6, .4], [.2, .6]])
    e = r.exchanges
    assert (e["i"][0], e["j"][0]) == (0, 3)
    assert e["y_j"][0] == pytest.approx(70.0)
    assert e["y_i"][0] == pytest.approx(200 / 11)
    assert e["gain"][0] == pytest.approx(18 / 11)
    assert e["outcome_p1"][0] == pytest.approx(40.0)


def test_partial_return_to_the_start():
    # Next round's start keeps 0.1 + 0.4 (1 - s) of the move: a1 on p (s = .2) keeps 0.42.
    r = one_round([1, 1, 1, 1], [[0, 100], [100, 0], [40, 60], [60, 40]],
                  [[.8, .2], [.2, .8], [.5, .5], [.5, .5]])
    assert r.start_next[1, 0] == pytest.approx(100 - 0.42 * 100)
    assert r.start_next[0, 1] == pytest.approx(100 - 0.42 * 100)


def test_own_scale_is_normalised():
    # The first case on a 0.5–7 scale gives the same voting positions, mapped back.
    s = from_arrays([1, 1, 1, 1], np.array([[0, 100], [100, 0], [40, 60], [60, 40]]) * 0.065 + 0.5,
                    [[.8, .2], [.2, .8], [.5, .5], [.5, .5]], lower=0.5, upper=7)
    run = exchange_run(s.arrays(), rounds=1)
    np.testing.assert_allclose(run.voting[0], [[0.5, 0.5], [0.5, 0.5], [3.1, 4.4], [4.4, 3.1]], atol=1e-9)


# -- linkages ----------------------------------------------------------------------------------
def test_forbidden_linkages_from_scenario():
    s = from_arrays([1, 1], [[0, 0, 0], [100, 100, 100]], [[1, 1, 1], [1, 1, 1]], actor_ids=["us", "ru"],
                    issue_ids=["syria", "ukraine", "iran"])
    s = s.replace(linkages=(Linkage(("ukraine", "*"), actor="us"), Linkage(("syria", "iran"))))
    f = forbidden_linkages(s)
    assert f.shape == (2, 3, 3)
    assert f[0, 1, 0] and f[0, 0, 1] and f[0, 1, 2] and not f[1, 1, 0]
    assert f[0, 0, 2] and f[1, 2, 0] and not f[1, 0, 1]


@st.composite
def trade_case(draw):
    s = draw(scenario_arrays(min_actors=4, max_actors=7, max_issues=4, status_quo=False))
    a = s.arrays()
    n, m = a.n_actors, a.n_issues
    p = draw(st.integers(0, max(m - 1, 0)))
    q = draw(st.integers(0, max(m - 1, 0)))
    who = draw(st.one_of(st.none(), st.integers(0, n - 1)))
    return a, p, q, who


@given(trade_case())
@settings(max_examples=60, deadline=None)
def test_forbidden_linkage_removes_exactly_the_exchanges_it_names(case):
    a, p, q, who = case
    n, m = a.n_actors, a.n_issues
    mask = np.zeros((n, m, m), bool)
    mask[slice(None) if who is None else who, p, q] = True
    x = np.asarray(a.position, float)
    sal = np.asarray(a.salience, float)
    w = np.asarray(a.capability)[:, None] * sal
    inv = np.ones((n, m), bool)
    free = candidates(x, w, sal, inv)
    banned = candidates(x, w, sal, inv, forbidden=mask | mask.transpose(0, 2, 1))

    def key(c, k):
        return int(c.i[k]), int(c.j[k]), int(c.p[k]), int(c.q[k])

    named = {key(free, k) for k in range(len(free))
             if {int(free.p[k]), int(free.q[k])} == {p, q} and (who is None or who in (free.i[k], free.j[k]))}
    assert [key(banned, k) for k in range(len(banned))] == [key(free, k) for k in range(len(free))
                                                             if key(free, k) not in named]
    run = exchange_run(a, rounds=2, forbidden=mask)
    for events in run.exchanges:
        for e in events:
            trade = {a.issue_ids.index(e["issue"]), a.issue_ids.index(e["in_return_for"])}
            actors = {a.actor_ids.index(e["actor"]), a.actor_ids.index(e["to"])}
            assert not (trade == {p, q} and (who is None or who in actors))


def test_forbidden_shape_is_checked():
    a = from_arrays([1, 1], [[0, 0], [100, 100]], [[1, 1], [1, 1]]).arrays()
    with pytest.raises(ModelError, match="forbidden must have shape"):
        exchange_run(a, forbidden=np.zeros((3, 3), bool))


# -- the result contract -----------------------------------------------------------------------
CASE = from_arrays([1, 1, 2, 4], [[40, 0], [10, 70], [40, 70], [100, 70]], [[.8, .6], [.4, .2], [.6, .4], [.2, .6]])


def test_registered_with_variants():
    m = get("exchange")
    assert m.joint and m.iterative
    assert set(m.variants) == {"equal_gain", "random_rate", "randomised_equal_gain"}


def test_trajectory_positions_are_the_voting_positions_after_each_round():
    a = CASE.arrays()
    t = trajectory(a, rounds=3)
    run = exchange_run(a, rounds=3)
    assert t.positions.shape == (4, 4, 2)
    np.testing.assert_allclose(t.positions[1:], run.voting)
    np.testing.assert_allclose(t.positions[0], a.position)
    np.testing.assert_allclose(t.outcome[1:], run.outcome_after)
    doc = t.to_json()
    json.dumps(doc)
    r1 = [r for r in doc["rounds"] if r["round"] == 1]
    assert {r["issue"] for r in r1} == set(a.issue_ids)
    moves = [o for r in r1 for o in r["offers"]]
    assert moves and {"actor", "to", "issue", "in_return_for", "gain", "position"} <= set(moves[0])
    assert "outcome_before" in r1[0] and "externalities" in doc


def test_rounds_sets_the_number_of_rounds():
    assert trajectory(CASE.arrays(), rounds=5).n_rounds == 5
    assert trajectory(CASE.arrays(), rounds=0).n_rounds == 0


def test_forecast_is_the_last_outcome_and_batches():
    a = CASE.arrays()
    out = forecast(a, rounds=4)
    np.testing.assert_allclose(out.outcome, exchange_run(a, rounds=4).outcome_after[-1])
    batch = a.replace(capability=np.stack([a.capability, a.capability * 2]),
                      position=np.stack([a.position, a.position]), salience=np.stack([a.salience] * 2))
    both = forecast(batch, rounds=4).outcome
    assert both.shape == (2, 2)
    np.testing.assert_allclose(both[0], out.outcome)
    np.testing.assert_allclose(both[1], out.outcome)  # doubling every capability changes nothing


@pytest.mark.parametrize("exact", [True, False])
def test_draws_run_in_groups_give_the_runs_all_at_once_would(monkeypatch, exact):
    """Deterministic draws run LOCKSTEP at a time (faster: the tables stay in the cache); the
    runs are independent, so any grouping gives the same numbers, bit for bit."""
    import accord.models.exchange as exchange

    a = CASE.arrays()
    rng = np.random.default_rng(4)
    draws = a.replace(position=np.clip(a.position + rng.normal(0, 10, (2, 5) + a.position.shape), 0, 100),
                      salience=np.clip(a.salience * rng.uniform(0.5, 1.5, (2, 5) + a.salience.shape), 0.01, 1))
    monkeypatch.setattr(exchange, "LOCKSTEP", 1000)
    together = forecast(draws, rounds=5, exact=exact)
    monkeypatch.setattr(exchange, "LOCKSTEP", 3)
    grouped = forecast(draws, rounds=5, exact=exact)
    assert grouped.outcome.shape == (2, 5, 2)
    assert same_result(together, grouped)


@pytest.mark.parametrize("variant", ["random_rate", "randomised_equal_gain"])
def test_random_variants_are_seeded(variant):
    a = CASE.arrays()
    one = forecast(a, np.random.default_rng(3), variant=variant, p=0.5, rounds=3).outcome
    two = forecast(a, np.random.default_rng(3), variant=variant, p=0.5, rounds=3).outcome
    np.testing.assert_array_equal(one, two)


def test_randomised_equal_gain_with_p_zero_is_equal_gain():
    a = CASE.arrays()
    run = exchange_run(a, rounds=3, variant="randomised_equal_gain", p=0.0, rng=np.random.default_rng(0))
    np.testing.assert_allclose(run.voting, exchange_run(a, rounds=3).voting)


def test_unknown_variant_is_named():
    with pytest.raises(ModelError, match="variant must be one of equal_gain, random_rate, randomised_equal_gain"):
        exchange_run(CASE.arrays(), variant="nope")


@given(scenario_arrays(min_actors=3, max_actors=8, max_issues=4, status_quo=False), st.sampled_from(
    ["equal_gain", "random_rate", "randomised_equal_gain"]))
@settings(max_examples=40, deadline=None)
def test_positions_stay_on_the_scale_and_gains_are_positive(s, variant):
    a = s.arrays()
    run = exchange_run(a, rounds=3, variant=variant, p=0.7, rng=np.random.default_rng(1))
    assert np.all(run.voting >= -1e-9) and np.all(run.voting <= 100 + 1e-9)
    assert np.all(np.isfinite(run.outcome_after))
    for events in run.exchanges:
        assert all(e["gain"] > 0 for e in events)


@given(scenario_arrays(min_actors=3, max_actors=7, max_issues=3, status_quo=False))
@settings(max_examples=30, deadline=None)
def test_equal_gain_is_deterministic_and_gains_are_equal(s):
    a = s.arrays()
    one, two = exchange_run(a, rounds=2), exchange_run(a, rounds=2)
    np.testing.assert_array_equal(one.voting, two.voting)
    sal = np.asarray(a.salience)
    cap = np.asarray(a.capability)
    S = (cap[:, None] * sal).sum(axis=0)
    for events in one.exchanges[:1]:  # first round: positions are the inputs
        for e_i, e_j in zip(events[::2], events[1::2], strict=True):
            i, j = a.actor_ids.index(e_i["actor"]), a.actor_ids.index(e_j["actor"])
            q, p = a.issue_ids.index(e_i["issue"]), a.issue_ids.index(e_j["issue"])
            r_q = abs(e_i["position"] - e_i["from_position"]) * cap[i] * sal[i, q] / S[q]
            r_p = abs(e_j["position"] - e_j["from_position"]) * cap[j] * sal[j, p] / S[p]
            g_i = r_p * sal[i, p] - r_q * sal[i, q]
            g_j = r_q * sal[j, q] - r_p * sal[j, p]
            assert g_i == pytest.approx(g_j, rel=1e-6, abs=1e-9)
            assert g_i == pytest.approx(e_i["gain"], rel=1e-6, abs=1e-9)
