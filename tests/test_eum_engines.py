"""The EUM's two engines, compiled (numba) and NumPy reference, give the same runs.

Tolerance 1e-9 on positions, medians, means and expected utilities; offer kinds, actor pairs,
rounds played and stopping reasons must be identical. The engines differ only in rounding (the
compiled one computes x^r with its own exp and log, < 1 ulp, and adds some sums in another
order), so they agree to ~1e-15 on well-conditioned input. One documented exception: with
``position_range="current"`` a distance can come out as 1 - 1e-16 in one engine and 1 in the
other, and (1 - d)^r with r < 1 turns that into ~1e-8 in an expected utility (positions still
agree); that combination is compared at 1e-7 (docs/models/eum.md, "Computation").
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.models import engines, eum
from accord.models.eum import _reference as _eum_core
from accord.scenario import from_arrays
from test_eum_reference import TOL, parse_log, read_actors

from conftest import shared
from strategies import scenario_arrays

pytest.importorskip("numba")

EXACT = ("issue", "actor", "other", "kind", "winner", "from", "to")
CLOSE = ("eu_actor", "eu_other", "old_position", "new_position")


def assert_same_trajectory(a, b, tol=1e-9, eu_tol=1e-9):
    assert a.stopped == b.stopped and a.n_rounds == b.n_rounds
    for key in ("stopped_by_issue", "rounds_by_issue", "cycle_length", "rules"):
        assert a.extra[key] == b.extra[key], key
    np.testing.assert_allclose(a.positions, b.positions, rtol=0, atol=tol)
    np.testing.assert_allclose(a.median, b.median, rtol=0, atol=tol)
    np.testing.assert_allclose(a.mean, b.mean, rtol=0, atol=tol)
    np.testing.assert_allclose(a.per_round["risk_exponent"], b.per_round["risk_exponent"], rtol=0, atol=tol)
    assert len(a.events) == len(b.events)
    for ev_a, ev_b in zip(a.events, b.events, strict=True):
        assert [tuple(e[k] for k in EXACT) for e in ev_a] == [tuple(e[k] for k in EXACT) for e in ev_b]
        for e, f in zip(ev_a, ev_b, strict=True):
            for k in CLOSE:
                limit = eu_tol if k.startswith("eu") else tol
                assert e[k] == pytest.approx(f[k], abs=limit), k


def assert_same_forecast(a, b, tol=1e-9):
    np.testing.assert_allclose(a.outcome, b.outcome, rtol=0, atol=tol)
    np.testing.assert_allclose(a.extra["mean"], b.extra["mean"], rtol=0, atol=tol)
    np.testing.assert_array_equal(a.extra["rounds"], b.extra["rounds"])


def both(fn, arrays, **kw):
    return fn(arrays, engine="numba", **kw), fn(arrays, engine="numpy", **kw)


# -- the reference example -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def emissions():
    return read_actors(shared("reference", "emissions", "actors.csv")).arrays()


def test_numba_engine_against_scholz_compatible_log(emissions):
    log = parse_log(shared("reference", "emissions", "scholz-compatible-10-rounds.txt"))
    traj = eum.trajectory(emissions, variant="scholz_compatible", rounds=10, engine="numba")
    assert traj.extra["engine"] == "numba"
    for r, (median, mean, moves) in enumerate(log):
        assert traj.median[r, 0] == pytest.approx(median, abs=TOL)
        assert traj.mean[r, 0] == pytest.approx(mean, abs=TOL)
        if r:
            got = traj.events[r - 1]
            assert [(e["actor"], e["kind"], e["other"]) for e in got] == [m[:3] for m in moves]
            assert [e["new_position"] for e in got] == pytest.approx([m[5] for m in moves], abs=TOL)
            assert [e["eu_actor"] for e in got] == pytest.approx([m[3] for m in moves], abs=1e-9)
            assert [e["eu_other"] for e in got] == pytest.approx([m[4] for m in moves], abs=1e-9)


@pytest.mark.parametrize("variant", sorted(eum.VARIANTS))
@pytest.mark.parametrize("tol", [None, eum.DEFAULT_TOL])
def test_engines_agree_on_emissions(emissions, variant, tol):
    fast, ref = both(eum.trajectory, emissions, variant=variant, rounds=12, tol=tol)
    assert_same_trajectory(fast, ref)
    assert_same_forecast(*both(eum.forecast, emissions, variant=variant, rounds=12, tol=tol))


def test_cycles_found_by_both_engines():
    rng = np.random.default_rng(5)
    cycles = 0
    for _ in range(30):
        n = int(rng.integers(3, 8))
        a = from_arrays(rng.uniform(0.1, 1, n), rng.choice([0.0, 20, 40, 60, 80, 100], (n, 2)),
                        rng.uniform(0.1, 1, (n, 2))).arrays()
        fast, ref = both(eum.trajectory, a, variant="scholz_compatible", rounds=12)
        assert_same_trajectory(fast, ref)
        cycles += "cycle" in ref.extra["stopped_by_issue"].values()
    assert cycles >= 10  # the comparison above covered cycle detection


# -- random scenarios --------------------------------------------------------------------------------

VARIANT = st.sampled_from(sorted(eum.VARIANTS))
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(scenario_arrays(max_actors=9, max_issues=2), VARIANT, st.integers(0, 6), st.sampled_from([None, 1e-6]))
def test_engines_agree_on_random_scenarios(scenario, variant, rounds, tol):
    a = scenario.arrays()
    assert_same_trajectory(*both(eum.trajectory, a, variant=variant, rounds=rounds, tol=tol))
    assert_same_forecast(*both(eum.forecast, a, variant=variant, rounds=rounds, tol=tol))


@FAST
@given(scenario_arrays(min_actors=3, max_actors=8, max_issues=2), VARIANT, st.integers(0, 1000))
def test_engines_agree_on_draws(scenario, variant, seed):
    a = scenario.arrays()
    rng = np.random.default_rng(seed)
    k = 4
    batch = a.replace(
        position=np.clip(a.position + rng.normal(0, 5, (k,) + a.position.shape), 0, 100),
        salience=np.clip(a.salience + rng.normal(0, 0.1, (k,) + a.salience.shape), 0, 1),
        capability=np.broadcast_to(a.capability, (k, a.n_actors)),
    )
    assert_same_forecast(*both(eum.forecast, batch, variant=variant, rounds=5))


# Every choice of Rules outside the named variants, on seeded random scenarios with ties.
CHOICES = [
    dict(q=0.5, t=0.3), dict(q=0.7, t=1.0, denominator="all_pairs"), dict(q=0.0, t=0.0),
    dict(position_range="scale", compromise="scholz"), dict(position_range="current"),
    dict(risk="neutral", denominator="all_pairs"), dict(capitulation="never", compromise="scholz", q=0.9),
]


@pytest.mark.parametrize("choices", CHOICES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_engines_agree_on_every_choice(choices):
    rng = np.random.default_rng(7)
    eu_tol = 1e-7 if choices.get("position_range") == "current" else 1e-9
    for trial in range(12):
        n, m = int(rng.integers(2, 10)), int(rng.integers(1, 3))
        if trial % 2:  # ties: few distinct values
            pos = rng.choice([0.0, 25.0, 50.0, 75.0, 100.0], (n, m))
            cap, sal = rng.choice([0.5, 1.0, 2.0], n), rng.choice([0.25, 0.5, 1.0], (n, m))
        else:
            pos = rng.uniform(0, 100, (n, m)).round(3)
            cap, sal = rng.uniform(0.01, 2, n), rng.uniform(0.01, 1, (n, m))
        if trial % 4 == 3 and n > 2:
            pos[0, 0] = np.nan  # an actor left out of an issue
        a = from_arrays(cap, pos, sal, lower=0, upper=100).arrays()
        fast, ref = both(eum.trajectory, a, rounds=8, **choices)
        assert_same_trajectory(fast, ref, eu_tol=eu_tol)
        assert_same_forecast(*both(eum.forecast, a, rounds=8, **choices))


@pytest.mark.parametrize("variant", ["paper", "scholz_code"])
def test_engines_agree_when_many_actors_share_positions(variant):
    # The compiled engine works per distinct position and looks for each actor's nearest
    # confrontation first: many actors on few positions at equal distances on both sides, equal
    # saliences (equal keys, so input order decides) and actors left out of an issue.
    rng = np.random.default_rng(11)
    n = 40
    pos = rng.choice([10.0, 30.0, 50.0, 70.0, 90.0, 100.0], (n, 2))
    pos[[3, 17, 30], 0] = np.nan
    a = from_arrays(rng.choice([0.5, 1.0, 2.0], n), pos, rng.choice([0.3, 0.6, 0.9], (n, 2)),
                    lower=0, upper=100).arrays()
    fast, ref = both(eum.trajectory, a, variant=variant, rounds=8, tol=None)
    assert_same_trajectory(fast, ref)
    assert sum(len(ev) for ev in ref.events) > 100  # offers were made and compared


def test_threads_agree_with_reference():
    """A batch big enough for the compiled engine to share rows among threads."""
    from accord.models.eum import _kernel as _eum_numba

    rng = np.random.default_rng(3)
    n, m, k = 24, 3, 30
    assert k * m * n * n * 5 >= _eum_numba._PARALLEL_PAIRS
    a = from_arrays(rng.uniform(0.1, 1, n), rng.uniform(0, 100, (n, m)), rng.uniform(0.1, 1, (n, m))).arrays()
    batch = a.replace(
        position=np.clip(a.position + rng.normal(0, 5, (k, n, m)), 0, 100),
        capability=np.broadcast_to(a.capability, (k, n)),
    )
    for variant in eum.VARIANTS:
        assert_same_forecast(*both(eum.forecast, batch, variant=variant, rounds=5, tol=None))


# -- choosing the engine --------------------------------------------------------------------------------

def test_engine_choice(monkeypatch):
    a = from_arrays([1, 1], [[0], [1]], [[0.5], [1.0]], lower=0, upper=1).arrays()
    assert engines.default() == "numba"
    assert eum.trajectory(a, rounds=1).extra["engine"] == "numba"
    with pytest.raises(ValueError, match="engine must be one of numba, numpy"):
        eum.forecast(a, engine="fortran")
    # Without numba the default falls back to NumPy, silently.
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None if name == "numba" else real(name, *args))
    assert engines.default() == "numpy"
    assert eum.trajectory(a, rounds=1).extra["engine"] == "numpy"
    assert eum.forecast(a, rounds=3).outcome[0] == pytest.approx(
        eum.forecast(a, rounds=3, engine="numba").outcome[0], abs=1e-12)


def test_numpy_engine_is_the_reference_code(monkeypatch):
    """engine="numpy" runs _eum_core.run: a stand-in for it changes the result."""
    a = from_arrays([1, 1], [[0], [1]], [[0.5], [1.0]], lower=0, upper=1).arrays()
    calls = []
    real = _eum_core.run
    monkeypatch.setattr(eum, "run", lambda *args, **kw: calls.append(1) or real(*args, **kw))
    eum.forecast(a, engine="numpy")
    assert calls


# -- the compiled kernel's elementary functions ----------------------------------------------------------

def test_compiled_exp_and_log_within_one_ulp_of_numpy():
    """_exp and _log with their constants passed at run time (``_CONST_F``, ``_CONST_I``, unpacked
    by ``_constants``): a constant out of place would be far more than 1 ulp off somewhere here."""
    from numba import njit

    from accord.models.eum import _kernel as nb

    @njit
    def evaluate(y, x, cf, ci):
        ke, kl = nb._constants(cf, ci)
        e = np.empty_like(y)
        lg = np.empty_like(x)
        for i in range(y.shape[0]):
            e[i] = nb._exp(y[i], ke)
        for i in range(x.shape[0]):
            lg[i] = nb._log(x[i], kl)
        return e, lg

    rng = np.random.default_rng(11)
    y = np.concatenate([rng.uniform(-708, 0, 20_000), -rng.exponential(1.0, 20_000), [0.0, -708.0]])
    x = np.concatenate([np.exp(rng.uniform(-700, 700, 20_000)), rng.uniform(0, 2, 20_000), [1.0, 2.0]])
    e, lg = evaluate(y, x, nb._CONST_F, nb._CONST_I)
    assert np.all(np.abs(e - np.exp(y)) <= np.spacing(np.exp(y)))
    assert np.all(np.abs(lg - np.log(x)) <= np.spacing(np.abs(np.log(x))))
    assert e[-2] == 1.0 and lg[-2] == 0.0
    e, lg = evaluate(np.array([-708.5, -1e4, -np.inf]), np.array([0.0, -0.0, -1.0, -np.inf]), nb._CONST_F, nb._CONST_I)
    assert np.all(e == 0.0)  # below the underflow limit
    assert lg[0] == lg[1] == -np.inf and np.isnan(lg[2:]).all()
