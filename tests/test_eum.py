"""The expected utility model: hand-computed rounds, variants, stopping, and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.models import eum
from accord.models.eum import _reference as _eum_core
from accord.scenario import from_arrays

from strategies import permuted, scenario_arrays

SQRT_HALF = 0.5**0.5


def two(s_a=0.5, s_b=1.0):
    """a at 0 (capability 1), b at 1 (capability 1), on a 0-1 scale."""
    return from_arrays([1, 1], [[0], [1]], [[s_a], [s_b]], lower=0, upper=1).arrays()


def moves(traj):
    return [[(e["actor"], e["kind"], e["other"]) for e in ev] for ev in traj.events]


# -- hand-computed cases -------------------------------------------------------------------------

def test_two_actors_risk_neutral_compromise_halves_the_gap():
    # r = 1, d = 1: U_s = 2, U_f = -2, U_sq = 0. Votes: a gives w_a = 0.5 to itself, b gives
    # w_b = 1, so P_ab = 1/3. EU_a(ab) = 2 - 4·s_b·(1 - 1/3) = -2/3, EU_a(ba) = 2 - 4·s_a·(1/3)
    # = 4/3 > |EU_a(ab)|: a compromises by |EU_ab / EU_ba| = 1/2 of the way. Every round the
    # same ratio holds with the distance halved.
    t = eum.trajectory(two(), rounds=3, risk="neutral", tol=None)
    assert t.positions[:, 0, 0] == pytest.approx([0, 0.5, 0.75, 0.875])
    assert t.positions[:, 1, 0] == pytest.approx([1, 1, 1, 1])
    assert moves(t) == [[("a0", "compromise", "a1")]] * 3
    first = t.events[0][0]
    assert first["eu_actor"] == pytest.approx(-2 / 3)
    assert first["eu_other"] == pytest.approx(4 / 3)
    assert first["winner"] is None and first["old_position"] == 0 and first["to"] == "a0"
    assert t.events[1][0]["eu_actor"] == pytest.approx(-1 / 3)
    assert t.median[:, 0] == pytest.approx([1, 1, 1, 1])
    # mean: (0.5 x_a + 1 x_b) / 1.5
    assert t.mean[:, 0] == pytest.approx([(0.5 * x + 1) / 1.5 for x in (0, 0.5, 0.75, 0.875)])


def test_two_actors_with_risk_exponents_confront():
    # Danger (r = 1): a is challenged with EU 4/3, b with -2/3, so R_a = 1, R_b = -1 and
    # r_a = (1 - 1/3)/(1 + 1/3) = 0.5, r_b = 2. With r_a = 0.5, U_sq = 2 - 4·0.5^0.5 < 0:
    # EU_a(ab) = -2/3 - U_sq > 0 and EU_a(ba) = 4/3 - U_sq is larger: a loses a confrontation.
    t = eum.trajectory(two(), rounds=5)
    usq = 2 - 4 * SQRT_HALF
    assert t.per_round["risk_exponent"][1, :, 0] == pytest.approx([0.5, 2.0])
    assert moves(t)[0] == [("a0", "confrontation", "a1")]
    e = t.events[0][0]
    assert e["eu_actor"] == pytest.approx(-2 / 3 - usq)
    assert e["eu_other"] == pytest.approx(4 / 3 - usq)
    assert e["winner"] == "a1" and e["new_position"] == 1.0
    # Both at 1: nothing moves in round 2, the run has converged.
    assert t.stopped == "converged" and t.n_rounds == 2 and t.events[1] == []


def test_win_probability_by_prefix_sums_equals_direct_sum():
    rng = np.random.default_rng(3)
    n = 9
    x = np.sort(rng.uniform(0, 10, (2, n)), axis=1)
    x[1, 3] = x[1, 4]  # a tie
    w = rng.uniform(0.1, 1, (2, n))
    r = rng.uniform(0.5, 2, (2, n))
    span = x[:, -1] - x[:, 0]
    base = np.abs(x[:, None, :] - x[:, :, None]) / span[:, None, None]
    d = base ** r[:, None, :]  # d[b, a, k] = D_ka
    for denominator in ("pair", "all_pairs"):
        _, _, upper, flat = _eum_core._grid(2, n)
        distinct = base > 0
        at_mid = _eum_core._count_below(x) + flat
        got = _eum_core._win_probability(d, w, at_mid, upper, distinct, denominator, np.ones((2, n), bool))
        # direct: v_k = w_k (D_kq - D_kp), numerator Σ max(v, 0)
        v = w[:, None, None, :] * (d[:, None, :, :] - d[:, :, None, :])  # v[b, p, q, k]
        num = np.maximum(v, 0).sum(axis=3)
        if denominator == "pair":
            den = np.abs(v).sum(axis=3)
        else:
            den = (w * np.abs(d[:, :, None, :] - d[:, None, :, :]).sum(axis=(1, 2))).sum(axis=1)[:, None, None]
        want = np.where(distinct, num / np.where(den > 0, den, 1), 0)
        assert got == pytest.approx(want, abs=1e-12)


def test_count_below_both_algorithms():
    rng = np.random.default_rng(0)
    for n in (5, _eum_core._DIRECT_COUNT + 7):
        xs = np.sort(np.round(rng.uniform(0, 5, (3, n))), axis=1)  # many ties
        mid = (xs[:, :, None] + xs[:, None, :]) / 2
        want = (xs[:, None, None, :] < mid[..., None]).sum(axis=3)
        assert (_eum_core._count_below(xs) == want).all()


def test_condorcet_median_minimises_weighted_distance():
    x = np.array([[4.0, 7, 4, 4, 10, 10, 10, 7, 4, 7]])
    w = np.array([[0.064, 0.032, 0.006, 0.128, 0.096, 0.096, 0.144, 0.005, 0.05, 0.056]])
    assert _eum_core.condorcet_median(x, w)[0] == 7.0
    # exact half at 0: every point of [0, 10] ties; the lower actor position is taken
    assert _eum_core.condorcet_median(np.array([[10.0, 0.0]]), np.array([[1.0, 1.0]]))[0] == 0.0


# -- variants and parameters ---------------------------------------------------------------------

def test_variants_and_overrides():
    assert eum.rules_for() == eum.VARIANTS[eum.DEFAULT_VARIANT]
    assert eum.rules_for("scholz_compatible").capitulation == "never"
    assert eum.rules_for("scholz_compatible", capitulation="printed") == eum.VARIANTS["scholz_code"]
    with pytest.raises(ValueError, match="variant must be one of paper"):
        eum.forecast(two(), variant="nope")
    with pytest.raises(ValueError, match="denominator must be one of pair, all_pairs"):
        eum.forecast(two(), denominator="odd")
    with pytest.raises(ValueError, match=r"q must be a number in \[0, 1\]"):
        eum.trajectory(two(), q=1.5)
    with pytest.raises(ValueError, match="rounds must be an integer"):
        eum.forecast(two(), rounds=-1)
    with pytest.raises(ValueError, match="unknown parameter.*'bogus'.*its parameters: variant, rounds"):
        eum.forecast(two(), bogus=1)


def test_registered_with_variants():
    from accord.models import get

    m = get("eum")
    assert m.iterative and not m.stochastic
    assert "scholz_compatible" in m.variants and m.variants[0] == eum.DEFAULT_VARIANT


def test_capitulation_printed_versus_never():
    # Search small random scenarios for a capitulation under the printed rule; with "never" the
    # same actor must not capitulate in that round.
    rng = np.random.default_rng(11)
    for _ in range(200):
        n = 6
        a = from_arrays(rng.uniform(0.1, 1, n), rng.uniform(0, 100, (n, 1)), rng.uniform(0.05, 1, (n, 1))).arrays()
        t = eum.trajectory(a, rounds=1, denominator="all_pairs", q=0.5)
        caps = [e for e in t.events[0] if e["kind"] == "capitulation"]
        if caps:
            break
    else:
        pytest.fail("no capitulation found")
    e = caps[0]
    other = a.actor_ids.index(e["other"])
    assert e["new_position"] == a.position[other, 0]
    assert 0 < e["eu_other"] < -e["eu_actor"]
    t2 = eum.trajectory(a, rounds=1, denominator="all_pairs", q=0.5, capitulation="never")
    assert all(ev["kind"] != "capitulation" for ev in t2.events[0])


def test_q_below_one_changes_the_run():
    a = from_arrays([1, 2, 1, 3], [[0], [30], [60], [100]], [[0.9], [0.5], [0.7], [0.4]]).arrays()
    base = eum.trajectory(a, rounds=3, tol=None)
    for t in (0.0, 1.0):
        other = eum.trajectory(a, rounds=3, tol=None, q=0.5, t=t)
        assert not np.allclose(other.positions, base.positions) or moves(other) != moves(base)


def test_position_range_choices():
    a = from_arrays([1, 1, 2], [[20], [40], [60]], [[0.5], [0.9], [0.4]]).arrays()
    initial = eum.forecast(a, rounds=4, position_range="initial")
    scale = eum.forecast(a, rounds=4, position_range="scale")  # 0-100: distances halved
    current = eum.forecast(a, rounds=4, position_range="current")
    for out in (initial, scale, current):
        assert 20 <= out.outcome[0] <= 60


# -- stopping -------------------------------------------------------------------------------------

def test_cycle_detection(monkeypatch):
    # A stand-in round that swaps two positions: the state after round 2 repeats round 0.
    def swap(x, w, s, inv, span, rules, record=True):
        return x[:, ::-1].copy()

    monkeypatch.setattr(_eum_core, "one_round", swap)
    x = np.array([[0.0, 1.0]])
    ones = np.ones_like(x)
    res = _eum_core.run(x, ones, ones, ones > 0, np.ones(1), eum.rules_for(), rounds=10, tol=1e-9)
    assert res["rounds"][0] == 2 and _eum_core.STOP_CODES[res["stopped"][0]] == "cycle"
    assert res["cycle"][0] == 2
    res = _eum_core.run(x, ones, ones, ones > 0, np.ones(1), eum.rules_for(), rounds=7, tol=None)
    assert res["rounds"][0] == 7 and res["stopped"][0] == 0


def test_converged_issue_stays_put_and_others_continue():
    # issue 0 converges at once (everybody at one position); issue 1 keeps moving
    a = from_arrays([1, 1], [[5, 0], [5, 1]], [[0.5, 0.5], [1.0, 1.0]], lower=0, upper=10).arrays()
    t = eum.trajectory(a, rounds=4, risk="neutral", tol=1e-9)
    assert t.extra["stopped_by_issue"] == {"i0": "converged", "i1": "rounds"}
    assert t.extra["rounds_by_issue"] == {"i0": 1, "i1": 4}
    assert t.stopped == "rounds" and t.n_rounds == 4
    assert (t.positions[:, :, 0] == 5).all()
    assert all(e["issue"] == "i1" for ev in t.events for e in ev)
    out = eum.forecast(a, rounds=4, risk="neutral", tol=1e-9)
    assert out.extra["rounds"].tolist() == [1, 4]
    assert out.outcome == pytest.approx(t.median[-1])


def test_non_involved_actor_is_left_out():
    a = from_arrays([1, 2, 1, 5], [[0, 3], [30, np.nan], [60, 50], [100, 90]],
                    [[0.9, 0.2], [0.5, 0.0], [0.7, 0.6], [0.4, 0.8]]).arrays()
    with_c = eum.forecast(a, rounds=5)
    without = eum.forecast(a.take_actors([0, 2, 3]), rounds=5)
    assert with_c.outcome[1] == pytest.approx(without.outcome[1], abs=1e-12)
    assert with_c.extra["mean"][1] == pytest.approx(without.extra["mean"][1], abs=1e-12)
    t = eum.trajectory(a, rounds=5)
    assert np.isnan(t.positions[:, 1, 1]).all()
    assert all(not (e["issue"] == "i1" and "a1" in (e["actor"], e["other"])) for ev in t.events for e in ev)


def test_json_contract():
    t = eum.trajectory(two(), rounds=2, risk="neutral", tol=None)
    data = t.to_json()
    assert data["model"] == "eum" and data["stopped"] == "rounds"
    item = data["rounds"][1]
    assert {"round", "issue", "median", "mean", "positions", "offers"} <= set(item)
    assert item["positions"] == pytest.approx({"a0": 0.5, "a1": 1.0})
    assert item["offers"][0]["kind"] == "compromise"
    assert data["rules"]["risk"] == "neutral"


# -- properties ------------------------------------------------------------------------------------

VARIANT = st.sampled_from(sorted(eum.VARIANTS))
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(scenario_arrays(max_actors=8, max_issues=2), VARIANT)
def test_positions_stay_in_initial_range_and_r_is_bounded(scenario, variant):
    a = scenario.arrays()
    t = eum.trajectory(a, variant=variant, rounds=4)
    lo = np.nanmin(a.position, axis=0) - 1e-9
    hi = np.nanmax(a.position, axis=0) + 1e-9
    assert ((t.positions >= lo) & (t.positions <= hi)).all()
    assert ((t.median >= lo) & (t.median <= hi)).all()
    r = t.per_round["risk_exponent"][1:]
    r = r[~np.isnan(r)]  # NaN: issue already stopped, or actor not involved
    assert ((r >= 0.5 - 1e-12) & (r <= 2 + 1e-12)).all()


@FAST
@given(scenario_arrays(max_actors=8, max_issues=2), VARIANT)
def test_same_input_same_result(scenario, variant):
    a = scenario.arrays()
    one = eum.forecast(a, variant=variant, rounds=4)
    two_ = eum.forecast(a, variant=variant, rounds=4)
    assert np.array_equal(one.outcome, two_.outcome) and np.array_equal(one.extra["mean"], two_.extra["mean"])


@FAST
@given(scenario_arrays(max_actors=8, max_issues=2), VARIANT, st.integers(0, 1000))
def test_actor_order_does_not_change_the_outcome(scenario, variant, seed):
    # Ties between equally good offers go to the first actor in input order; with distinct
    # positions (almost sure here) they cannot change a position.
    a = scenario.arrays()
    b = permuted(scenario, seed)
    one = eum.forecast(a, variant=variant, rounds=4)
    other = eum.forecast(b, variant=variant, rounds=4)
    assert other.outcome == pytest.approx(one.outcome, abs=1e-6)
    assert other.extra["mean"] == pytest.approx(one.extra["mean"], abs=1e-6)


@FAST
@given(scenario_arrays(max_actors=8, max_issues=2))
def test_paper_variant_is_mirror_symmetric(scenario):
    # Reflecting every position on the scale reflects the forecast (the Scholz compromise key,
    # the smallest weighted position, is not: docs/models/eum.md).
    a = scenario.arrays()
    mirrored = a.replace(position=100 - a.position)
    one = eum.forecast(a, variant="paper", rounds=4)
    other = eum.forecast(mirrored, variant="paper", rounds=4)
    assert other.extra["mean"] == pytest.approx(100 - one.extra["mean"], abs=1e-6)
