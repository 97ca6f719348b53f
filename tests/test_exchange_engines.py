"""The compiled exchange engine (numba) against the NumPy reference: identical, not merely close.

Every comparison is exact (``array_equal``, ``==`` on the event dicts): the compiled step loop
repeats the reference's floating-point operations in the same order, so any difference is a bug.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accord.models.exchange._decimal as dec
from accord.errors import ModelError
from accord.io.decide import read_decide
from accord.models.exchange import _kernel as _exchange_numba
from accord.models.exchange import _reference as _exchange_round
from accord.models.exchange import exchange_runs, forecast, trajectory
from accord.scenario import from_arrays

from conftest import shared


def assert_same_runs(one, two):
    assert len(one) == len(two)
    for a, b in zip(one, two, strict=True):
        for name in ("start", "voting", "outcome_before", "outcome_after", "externalities"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        assert a.exchanges == b.exchanges
        assert a.ties == b.ties


def both(a, **kw):
    """The same runs from both engines (a fresh generator of the same seed for each)."""
    seed = kw.pop("seed", None)
    out = []
    for engine in ("numpy", "numba"):
        rng = None if seed is None else np.random.default_rng(seed)
        out.append(exchange_runs(a, engine=engine, rng=rng, **kw))
    return out


def decide(name):
    return read_decide(shared("reference", "decide", f"{name}.csv")).arrays()


@pytest.mark.parametrize("exact", [True, False])
def test_engines_identical_on_trade10x5(exact):
    ref, fast = both(decide("trade10x5"), rounds=10, exact=exact)
    assert sum(len(e) for e in ref[0].exchanges) > 600  # ~320 exchanges, two moves each
    assert_same_runs(ref, fast)


@pytest.mark.parametrize("exact", [True, False])
def test_engines_identical_on_cop21_with_deterministic_ties(exact):
    ref, fast = both(decide("cop21"), rounds=4, exact=exact)
    assert sum(ref[0].ties) > 0  # tied gains were met and broken the same way
    assert_same_runs(ref, fast)


@pytest.mark.parametrize("kw", [
    {"ties": "random", "exact": False},
    {"ties": "random", "exact": True},
    {"ties": "uniform", "exact": False},
    {"variant": "random_rate"},
    {"variant": "randomised_equal_gain", "p": 0.6, "ties": "random"},
])
def test_engines_identical_on_cop21_repetitions_in_lockstep(kw):
    ref, fast = both(decide("cop21"), repetitions=3, rounds=3, seed=7, **kw)
    assert_same_runs(ref, fast)


@pytest.mark.parametrize("seed", [0, 5])
def test_engines_identical_with_decides_copies_realised_twice(seed):
    # On the sample data, exchanges copied to the end of Decide's list at a tie are realised and
    # then recalculated against themselves, and some copies are recalculated twice in one step.
    a = read_decide(shared("reference", "decide", "sample_data.txt")).arrays()
    ref, fast = both(a, repetitions=4, rounds=10, seed=seed, ties="random")
    assert sum(sum(r.ties) for r in ref) > 40
    assert_same_runs(ref, fast)


def test_engines_identical_on_monte_carlo_draws():
    a = decide("trade10x5")
    rng = np.random.default_rng(0)
    batch = a.replace(capability=a.capability * rng.uniform(0.8, 1.2, (3, a.n_actors)),
                      position=np.stack([a.position] * 3), salience=np.stack([a.salience] * 3))
    ref, fast = both(batch, rounds=3)
    assert_same_runs(ref, fast)


def test_the_shadow_is_asked_about_near_ties_by_both_engines(monkeypatch):
    # trade10x5 puts outcomes exactly on demanders' positions; the compiled engine must hand those
    # comparisons to the decimal shadow as the reference does, or the runs drift apart by round 7.
    calls = {"numpy": 0, "numba": 0}
    engine = {"now": "numpy"}
    original = dec.DecimalShadow.gap

    def counting(self, *args):
        calls[engine["now"]] += 1
        return original(self, *args)

    monkeypatch.setattr(dec.DecimalShadow, "gap", counting)
    a = decide("trade10x5")
    runs = {}
    for name in ("numpy", "numba"):
        engine["now"] = name
        runs[name] = exchange_runs(a, rounds=10, engine=name)
    assert calls["numpy"] > 0 and calls["numba"] > 0
    assert_same_runs(runs["numpy"], runs["numba"])


def test_skipped_decimal_bound_checks_change_nothing(monkeypatch):
    # The compiled engine tells the shadow which bound checks it found far from the bound
    # (SURE_MARGIN); the decimal result must equal the full decimal computation every time.
    original = dec.DecimalShadow.exchange
    seen = {"skipped": 0}

    def checked(self, c, k, sure=(False, False)):
        if any(sure):
            seen["skipped"] += 1
            # The full computation first: it only reads the shadow's state.
            assert original(self, c, k) == original(self, c, k, sure)
        return original(self, c, k, sure)

    monkeypatch.setattr(dec.DecimalShadow, "exchange", checked)
    for name in ("trade10x5", "cop21"):
        exchange_runs(decide(name), rounds=4, engine="numba")
    assert seen["skipped"] > 100


# -- hand cases, one round through each engine's round function ---------------------------------
HAND = [
    ([1, 1, 1, 1], [[0, 100], [100, 0], [40, 60], [60, 40]], [[.8, .2], [.2, .8], [.5, .5], [.5, .5]]),
    ([1, 1, 1, 1], [[0, 50], [100, 0], [40, 30], [60, 20]], [[.8, .2], [.2, .8], [.5, .5], [.5, .5]]),
    ([2, 2, 2, 4], [[40, 0], [10, 70], [40, 70], [100, 70]], [[.8, .6], [.4, .2], [.6, .4], [.2, .6]]),
]


@pytest.mark.parametrize("case", HAND)
def test_engines_identical_on_hand_cases(case):
    cap, pos, sal = (np.asarray(v, float) for v in case)
    x, w = pos[None], (cap[:, None] * sal)[None]
    inv = np.ones_like(pos, bool)
    ref = _exchange_round.run_round(x, w, sal[None], inv)
    fast = _exchange_numba.run_round(x, w, sal[None], inv)
    assert len(ref.exchanges[0]["gain"]) >= 1
    for key in ref.exchanges[0]:
        np.testing.assert_array_equal(ref.exchanges[0][key], fast.exchanges[0][key], err_msg=key)
        assert ref.exchanges[0][key].dtype == fast.exchanges[0][key].dtype
    np.testing.assert_array_equal(ref.voting, fast.voting)
    np.testing.assert_array_equal(ref.start_next, fast.start_next)
    np.testing.assert_array_equal(ref.n_candidates, fast.n_candidates)


def test_trajectory_and_forecast_take_the_engine():
    a = from_arrays(*HAND[2]).arrays()
    t1, t2 = trajectory(a, rounds=3, engine="numpy"), trajectory(a, rounds=3, engine="numba")
    assert t1.to_json() == t2.to_json()
    np.testing.assert_array_equal(forecast(a, engine="numpy").outcome, forecast(a, engine="numba").outcome)


def test_unknown_engine_is_named():
    with pytest.raises(ModelError, match="engine must be one of numba, numpy"):
        exchange_runs(from_arrays(*HAND[0]).arrays(), engine="fortran")


# -- random scenarios --------------------------------------------------------------------------
@st.composite
def exchange_case(draw):
    n = draw(st.integers(3, 8))
    m = draw(st.integers(1, 4))
    coarse = draw(st.booleans())  # positions on a coarse grid: equal gains and outcomes on positions
    value = st.sampled_from([0.0, 25.0, 50.0, 75.0, 100.0]) if coarse else st.floats(0, 100).map(lambda v: round(v, 1))
    pos = draw(st.lists(st.lists(value, min_size=m, max_size=m), min_size=n, max_size=n))
    sal = draw(st.lists(st.lists(st.sampled_from([0.1, 0.25, 0.5, 0.75, 1.0]) if coarse else st.floats(0.05, 1),
                                 min_size=m, max_size=m), min_size=n, max_size=n))
    cap = draw(st.lists(st.sampled_from([0.5, 1.0, 2.0]) if coarse else st.floats(0.1, 10), min_size=n, max_size=n))
    a = from_arrays(cap, pos, sal).arrays()
    kw = draw(st.sampled_from([
        {}, {"exact": False}, {"ties": "random", "repetitions": 2}, {"ties": "uniform", "repetitions": 2},
        {"ties": "random", "exact": False, "repetitions": 3}, {"variant": "random_rate", "repetitions": 2},
        {"variant": "randomised_equal_gain", "p": 0.5},
    ]))
    if m > 1 and draw(st.booleans()):
        ban = np.zeros((n, m, m), bool)
        ban[draw(st.integers(0, n - 1)), 0, 1] = True
        kw["forbidden"] = ban
    return a, kw


@given(exchange_case(), st.integers(0, 2**16))
@settings(max_examples=40, deadline=None)
def test_engines_identical_on_random_scenarios(case, seed):
    a, kw = case
    ref, fast = both(a, rounds=3, seed=seed, **kw)
    assert_same_runs(ref, fast)


# -- Monte Carlo draws in floats: every draw's whole run in one compiled call (_draws) -----------
def floats_both_ways(a, **kw):
    """The deterministic model's forecast in floats from the NumPy reference (LOCKSTEP draws at a
    time, round by round) and from the draws kernel (every draw's run in one compiled call)."""
    ref = forecast(a, exact=False, engine="numpy", **kw)
    fast = forecast(a, exact=False, engine="numba", **kw)
    return ref, fast


@given(exchange_case(), st.integers(1, 4), st.integers(1, 6))
@settings(max_examples=40, deadline=None)
def test_draws_kernel_identical_to_the_reference_on_random_scenarios(case, n_draws, rounds):
    a, kw = case
    rng = np.random.default_rng(n_draws)
    noise = rng.normal(0, 3, (n_draws,) + a.position.shape)
    batch = a.replace(position=np.clip(a.position + noise, 0, 100),
                      salience=np.clip(a.salience * rng.uniform(0.8, 1.2, (n_draws,) + a.salience.shape), 0.01, 1))
    kw = {"forbidden": kw["forbidden"]} if "forbidden" in kw else {}
    ref, fast = floats_both_ways(batch, rounds=rounds, **kw)
    np.testing.assert_array_equal(ref.outcome, fast.outcome)
    np.testing.assert_array_equal(ref.extra["before"], fast.extra["before"])


@pytest.mark.parametrize("name", ["trade10x5", "cop21", "sample_data"])
def test_draws_kernel_identical_to_the_reference_on_decides_inputs(name):
    path = shared("reference", "decide", f"{name}.txt" if name == "sample_data" else f"{name}.csv")
    a = read_decide(path).arrays()
    rng = np.random.default_rng(1)
    batch = a.replace(position=np.clip(a.position + rng.normal(0, 2, (3,) + a.position.shape), a.lower, a.upper),
                      capability=a.capability * rng.uniform(0.9, 1.1, (3, a.n_actors)),
                      salience=np.stack([a.salience] * 3))
    ref, fast = floats_both_ways(batch, rounds=10)
    np.testing.assert_array_equal(ref.outcome, fast.outcome)


def test_draws_kernel_identical_with_many_actors_and_linkages():
    # 40 actors: the outcome's sums over actors must still add in NumPy's order; a linkage that
    # binds one actor and one that binds everybody.
    rng = np.random.default_rng(3)
    n, m = 40, 4
    a = from_arrays(rng.uniform(1, 10, n), rng.uniform(0, 100, (n, m)).round(), rng.uniform(0.1, 1, (n, m))).arrays()
    ban = np.zeros((n, m, m), bool)
    ban[5, 0, 2] = ban[:, 1, 3] = True
    for forbidden in (None, ban, ban[0]):
        ref, fast = floats_both_ways(a.replace(position=np.stack([a.position, a.position[::-1]])), rounds=4,
                                     forbidden=forbidden)
        np.testing.assert_array_equal(ref.outcome, fast.outcome)
