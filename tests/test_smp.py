"""KTAB's spatial model of politics: hand-computed pieces, switches, contract and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.errors import ModelError
from accord.io import read_scenario
from accord.models import get
from accord.models.smp import SWITCHES, forecast, switch_value, trajectory, votes
from accord.models.smp import _reference as core
from accord.scenario import from_arrays

from conftest import result_arrays, same_result, shared
from strategies import scenario_arrays

SMP = get("smp")


def soe():
    return read_scenario(shared("reference", "ktab", "SOE-Pol-Comp.csv"))


def small():
    """Four actors on two issues, hand-made (the smallest KTAB-sized case)."""
    return from_arrays(
        [100, 60, 40, 20],
        [[30, 20], [45, 65], [60, 50], [15, 60]],
        [[0.3, 0.5], [0.4, 0.4], [0.5, 0.2], [0.45, 0.45]],
    )


# -- the pieces, by hand ------------------------------------------------------------------------

def test_seqsum_adds_left_to_right_as_ktab_loops_do():
    rng = np.random.default_rng(1)
    for shape in [(13, 13, 13), (50, 1, 1), (50, 1), (50, 2), (7,), (9, 4, 7), (3, 1, 20)]:
        x = rng.random(shape) * 10.0 ** rng.uniform(-8, 3, shape)
        start = rng.random(shape[1:])
        expect = start + x[0]
        for k in range(1, shape[0]):
            expect = expect + x[k]
        assert np.array_equal(votes.seqsum(x.copy(), start), expect), shape


def test_weighted_distance_by_hand():
    # actor 0: ideal (0.2, 0.4), saliences (0.3, 0.4); position (0.5, 0.0):
    # sqrt(((0.3*0.3)^2 + (0.4*0.4)^2) / (0.3^2 + 0.4^2)) = sqrt((0.0081 + 0.0256) / 0.25)
    d = core.weighted_distance(np.array([[0.2, 0.4]]), np.array([[0.5, 0.0]]), np.array([[0.3, 0.4]]))
    assert d[0, 0] == pytest.approx(np.sqrt(0.0337 / 0.25), abs=1e-15)


def test_utility_by_hand():
    assert core.utility(np.array(0.5), 1.0) == pytest.approx(0.75)  # (1 - .5)(1 + .5)
    assert core.utility(np.array(0.5), -0.5) == pytest.approx(0.375)  # (1 - .5)(1 - .25)
    assert core.utility(np.array(0.0), 0.3) == 1.0


def test_big_r_maps_least_likely_to_minus_half_and_likeliest_to_one():
    r = core.big_r(np.array([0.2, 0.3, 0.5]), "mid")
    np.testing.assert_allclose(r, [-0.5, 0.0, 1.0], atol=1e-15)
    np.testing.assert_allclose(core.big_r(np.array([0.2, 0.3, 0.5]), "min"), [0, 1 / 3, 1], atol=1e-15)
    np.testing.assert_allclose(core.big_r(np.array([0.2, 0.3, 0.5]), "max"), [-1, -1 / 3, 1], atol=1e-15)
    assert np.all(core.big_r(np.array([0.25, 0.25, 0.25, 0.25]), "mid") == 0)


def test_risk_estimates_anchor_on_ones_own():
    e = core.estimated_risk(np.array([1.0, -0.5]), "one_third")
    np.testing.assert_allclose(e, [[1.0, 0.5], [0.0, -0.5]])  # (2 r_h + r_i) / 3


def test_coalitions_and_conditional_election_by_hand():
    # two voters, weights 2 and 1; voter 0 prefers option 0 by 0.5, voter 1 option 1 by 0.25
    u = np.array([[1.0, 0.5], [0.5, 0.75]])
    c = votes.coalitions("proportional", np.array([2.0, 1.0]), u)
    np.testing.assert_allclose(c, [[1e-8, 1 + 1e-8], [0.25 + 1e-8, 1e-8]])
    pv = votes.victory_matrix("linear", c)
    assert pv[0, 1] == pytest.approx(1 / 1.25) and pv[0, 0] == 0.5
    p = votes.conditional_pce(pv)
    np.testing.assert_allclose(p, [0.8, 0.2], atol=1e-8)  # (0.5·0.8) : (0.2·0.5)


def test_asymmetric_voting_rule_counts_losses_fully():
    u = np.array([[1.0, 0.4]])
    c = votes.coalitions("asym_prosp", np.array([3.0]), u)
    # pair scanned as (1, 0): du = 0.4 - 1 < 0, so the full 3·0.6 backs option 0
    np.testing.assert_allclose(c, [[1e-8, 1.8 + 1e-8], [1e-8, 1e-8]])


def test_bargain_interpolation_by_hand():
    ti, si, pi, tj, sj, pj = (np.array([[x]]) for x in (0.2, 0.5, 0.6, 0.8, 0.5, 0.4))
    bi, bj = core.interpolate(ti, si, pi, tj, sj, pj, "s2p2")
    wi, wj = 0.25 * 0.36, 0.25 * 0.16
    assert bi[0, 0] == pytest.approx(round(((wi + 1e-6) * 0.2 + wj * 0.8) / (wi + 1e-6 + wj), 4), abs=1e-12)
    assert bj[0, 0] == pytest.approx(round((wi * 0.2 + (1e-6 + wj) * 0.8) / (wi + 1e-6 + wj), 4), abs=1e-12)
    bi, _ = core.interpolate(ti, si, pi, tj, sj, pj, "s1p1")
    assert bi[0, 0] == pytest.approx(round(((0.3 + 1e-6) * 0.2 + 0.2 * 0.8) / (0.5 + 1e-6), 4), abs=1e-12)


def test_best_target_takes_the_largest_gain_above_the_threshold_first_on_ties():
    gain = np.array([[9.0, 0.2, 0.2], [1e-6, 9.0, -1.0], [0.0, 0.3, 9.0]])
    target, has = core.best_targets(gain)
    assert has.tolist() == [True, False, True]
    assert target[0] == 1 and target[2] == 1


# -- switches and parameters --------------------------------------------------------------------

def test_switch_values_accept_ktab_spelling():
    assert switch_value("voting_rule", "Prop") == "proportional"
    assert switch_value("bargain_model", "PWCompInterp") == "pw_comp"
    assert switch_value("big_r_adjust", "one_third") == "one_third"


def test_unknown_switch_value_is_not_supported():
    with pytest.raises(ModelError, match="voting_rule must be one of binary"):
        trajectory(small().arrays(), voting_rule="majority")
    with pytest.raises(ModelError, match="smp: unknown parameter"):
        trajectory(small().arrays(), victory_model="linear")


@pytest.mark.parametrize(
    "param,value", [(k, v) for k, (_, choices, _) in SWITCHES.items() for v in choices if v != getattr(core.Switches(), k)]
)
def test_every_alternative_switch_runs(param, value):
    a = soe().arrays()
    traj = trajectory(a, rng=np.random.default_rng(3), rounds=4, **{param: value})
    assert np.all(np.isfinite(traj.positions)) and traj.positions.min() >= 0 and traj.positions.max() <= 100
    assert np.allclose(traj.extra["win_probability"].sum(axis=1) >= 1 - 1e-9, True)
    assert traj.extra["switches"][param] == value


def test_alternative_switches_change_the_run():
    a = soe().arrays()
    base = trajectory(a, rounds=5, min_delta_ratio=0).positions
    for param, value in [("voting_rule", "binary"), ("bargain_interpolation", "s1p1"), ("big_r_range", "max")]:
        assert not np.array_equal(trajectory(a, rounds=5, min_delta_ratio=0, **{param: value}).positions, base)


def test_stochastic_variant_is_seeded():
    a = soe().arrays()
    one = trajectory(a, rng=np.random.default_rng(7), variant="stochastic", rounds=8, min_delta_ratio=0)
    two = trajectory(a, rng=np.random.default_rng(7), variant="stochastic", rounds=8, min_delta_ratio=0)
    assert np.array_equal(one.positions, two.positions) and one.variant == "stochastic"
    others = [trajectory(a, rng=np.random.default_rng(s), variant="stochastic", rounds=8, min_delta_ratio=0) for s in range(4)]
    assert any(not np.array_equal(o.positions, one.positions) for o in others)


def test_rounds_caps_the_turns():
    a = soe().arrays()
    assert trajectory(a, rounds=0).n_rounds == 0
    t = trajectory(a, rounds=3, min_delta_ratio=0)
    assert t.n_rounds == 3 and t.stopped == "rounds"


def test_identity_accommodation_is_the_default_and_lagging_ideals_change_the_run():
    a = soe().arrays()
    n = a.n_actors
    base = trajectory(a, rounds=6).positions
    assert np.array_equal(trajectory(a, rounds=6, accommodate=np.eye(n)).positions, base)
    lag = trajectory(a, rounds=6, accommodate=0.5 * np.eye(n)).positions
    assert not np.array_equal(lag, base)
    with pytest.raises(ModelError, match="accommodate"):
        trajectory(a, accommodate=np.eye(n + 1))


# -- contract ----------------------------------------------------------------------------------

def test_registered_as_joint_iterative_model():
    assert SMP.joint and SMP.iterative and set(SMP.variants) == {"deterministic", "stochastic"}


def test_trajectory_json_contract():
    traj = SMP.trajectory(small().arrays())
    data = traj.to_json()
    n_states = traj.positions.shape[0]
    assert len(data["rounds"]) == n_states * 2
    first = data["rounds"][0]
    assert {"round", "issue", "median", "mean", "positions", "offers", "outcome"} <= set(first)
    assert len(data["win_probability"]) == n_states and len(data["win_probability"][0]) == 4
    offers = [o for r in data["rounds"] for o in r["offers"]]
    assert offers and {"initiator", "target", "initiator_position", "target_position", "adopted_by"} <= set(offers[0])


def test_forecast_takes_leading_draw_axes():
    a = small().arrays()
    rng = np.random.default_rng(0)
    draws = a.replace(
        position=np.clip(a.position + rng.normal(0, 5, (3, 4, 2)), 0, 100),
        capability=a.capability * rng.uniform(0.5, 1.5, (3, 4)),
    )
    out = forecast(draws)
    assert out.outcome.shape == out.extra["median"].shape == (3, 2)
    for k in range(3):
        one = a.replace(position=draws.position[k], capability=draws.capability[k])
        single = forecast(one)
        assert all(np.array_equal(result_arrays(single)[key], result_arrays(out)[key][k]) for key in ("outcome", "median", "mean"))
        traj = trajectory(one)
        assert np.allclose(traj.outcome[-1], out.outcome[k])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_arrays(min_actors=2, max_actors=8, max_issues=3, status_quo=False), st.integers(0, 2**32 - 1))
def test_draws_run_in_one_compiled_call_give_the_runs_one_at_a_time_would(scenario, seed):
    """A forecast runs the draws in which everybody takes part in one kernel call; the others
    (here: an actor with capability 0 in some draws) one by one. An identity ideal adjustment
    sends every draw one by one, through trajectory's path: the numbers must be the same."""
    a = scenario.arrays()
    rng = np.random.default_rng(seed)
    cap = a.capability * rng.uniform(0.5, 1.5, (6, a.n_actors))
    cap[::3, 0] = 0.0
    draws = a.replace(position=np.clip(a.position + rng.normal(0, 5, (6,) + a.position.shape), 0, 100),
                      capability=cap)
    try:
        many = forecast(draws, rounds=12)
    except ModelError as exc:  # too few actors left in a draw: both paths refuse it
        with pytest.raises(ModelError, match=str(exc)[:20]):
            forecast(draws, rounds=12, accommodate=np.eye(a.n_actors))
        return
    one_by_one = forecast(draws, rounds=12, accommodate=np.eye(a.n_actors))
    assert same_result(many, one_by_one)


def test_draws_give_the_same_runs_on_one_thread_and_on_two():
    numba = pytest.importorskip("numba")
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one compiled-kernel thread only")
    a = soe().arrays()
    rng = np.random.default_rng(8)
    draws = a.replace(position=np.clip(a.position + rng.normal(0, 5, (12,) + a.position.shape), 0, 100))
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = forecast(draws, rounds=15)
        numba.set_num_threads(2)
        two = forecast(draws, rounds=15)
    finally:
        numba.set_num_threads(before)
    assert same_result(one, two)


def test_missing_positions_sit_at_the_weighted_mean_and_idle_actors_take_no_part():
    s = from_arrays([100, 60, 40, 20, 10], [[30, 20], [45, 65], [60, np.nan], [15, 60], [50, 50]],
                    [[0.3, 0.5], [0.4, 0.4], [0.5, 0.3], [0.45, 0.45], [0.0, 0.0]])
    traj = trajectory(s.arrays())
    assert np.all(np.isfinite(traj.positions[:, :4]))
    assert np.all(traj.positions[:, 4] == [50, 50])  # salience 0 everywhere: stays put
    assert np.all(traj.extra["win_probability"][:, 4] == 0)
    assert any("weighted mean" in n for n in traj.extra["notes"])


def test_everybody_at_one_point_nothing_moves():
    s = from_arrays([1, 2, 3], [[40, 40], [40, 40], [40, 40]], [[0.5, 0.5]] * 3)
    traj = trajectory(s.arrays())
    assert traj.n_rounds == 2 and np.all(traj.positions == 40)
    np.testing.assert_allclose(traj.outcome[-1], [40, 40])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_arrays(min_actors=3, max_actors=7, max_issues=3, status_quo=False), st.integers(0, 3))
def test_properties_on_random_scenarios(scenario, seed):
    a = scenario.arrays()
    traj = trajectory(a, rng=np.random.default_rng(seed), rounds=10)
    x = traj.positions
    assert np.all(np.isfinite(x)) and x.min() >= -1e-9 and x.max() <= 100 + 1e-9
    win = traj.extra["win_probability"]
    assert np.all((win >= 0) & (win <= 1 + 1e-12))
    assert np.all((traj.outcome >= x.min(axis=1) - 1e-9) & (traj.outcome <= x.max(axis=1) + 1e-9))
    again = trajectory(a, rng=np.random.default_rng(seed + 1), rounds=10)
    assert np.array_equal(again.positions, x)  # deterministic by default: the seed is unused


# -- the compiled engine against the NumPy reference --------------------------------------------

def _same_runs(one, two, atol=0.0):
    """Two trajectories are the same run: positions, probabilities, outcomes, bargains."""
    assert one.positions.shape == two.positions.shape and one.stopped == two.stopped
    for key in ("positions", "outcome", "median", "mean"):
        np.testing.assert_allclose(getattr(one, key), getattr(two, key), rtol=0, atol=atol, err_msg=key)
    np.testing.assert_allclose(one.extra["win_probability"], two.extra["win_probability"], rtol=0, atol=atol)
    if atol == 0:
        assert one.events == two.events
    else:
        assert [[(e["initiator"], e["target"], e["adopted_by"]) for e in r] for r in one.events] == \
               [[(e["initiator"], e["target"], e["adopted_by"]) for e in r] for r in two.events]


def test_unknown_engine_is_refused():
    with pytest.raises(ModelError, match="engine"):
        trajectory(small().arrays(), engine="fortran")


def test_engines_agree_on_the_hand_made_case_with_every_output():
    a = small().arrays()
    _same_runs(trajectory(a, engine="numba"), trajectory(a, engine="numpy"))
    one, two = forecast(a, engine="numba"), forecast(a, engine="numpy")
    assert same_result(one, two)


def test_engines_agree_with_lagging_ideals():
    # the only place the engines may differ in the last bit: BLAS's matrix product vs KTAB's loop
    a = soe().arrays()
    acc = 0.6 * np.eye(a.n_actors) + 0.4 / a.n_actors
    _same_runs(trajectory(a, rounds=8, accommodate=acc, engine="numba"),
               trajectory(a, rounds=8, accommodate=acc, engine="numpy"), atol=1e-12)


_SWITCH_CHOICES = st.fixed_dictionaries({k: st.sampled_from(choices) for k, (_, choices, _) in SWITCHES.items()})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_arrays(min_actors=2, max_actors=8, max_issues=3, status_quo=False), _SWITCH_CHOICES,
       st.integers(0, 2**32 - 1), st.integers(0, 8))
def test_engines_give_identical_runs_on_random_scenarios(scenario, params, seed, rounds):
    """Bit for bit, under every combination of KTAB's switches, stochastic transitions included."""
    a = scenario.arrays()
    runs = []
    for engine in ("numba", "numpy"):
        rng = np.random.default_rng(seed)
        try:
            runs.append((trajectory(a, rng=rng, rounds=rounds, engine=engine, **params), rng.random()))
        except ModelError as exc:  # a Markov election that does not converge must fail in both
            runs.append((str(exc), None))
    (one, after_one), (two, after_two) = runs
    if isinstance(one, str) or isinstance(two, str):
        assert one == two
        return
    _same_runs(one, two)
    assert after_one == after_two  # the same number of draws taken from rng
