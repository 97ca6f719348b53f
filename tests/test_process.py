"""The negotiation process: hand cases for rules, vetoes and preconditions, and the pure helpers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from accord.errors import AccordError
from accord.models import Model, get
from accord.process import acceptance, agenda, drop_preconditions, open_issues, run_process
from accord.results import ModelResult, Trajectory
from accord.scenario import DecisionRule, Precondition, from_arrays


def make(cap, pos, sal, sq, *, issues=None, rules=None, veto=None, pre=(), ranges=None):
    """A scenario from arrays plus rules {issue: (kind, parties, threshold)}, vetoes and preconditions."""
    pos = np.asarray(pos, float)
    pos = pos[:, None] if pos.ndim == 1 else pos
    sal = np.broadcast_to(np.asarray(sal, float).reshape(pos.shape[0], -1), pos.shape)
    ids = issues or [chr(ord("A") + k) for k in range(pos.shape[1])]
    s = from_arrays(cap, pos, sal, status_quo=sq, issue_ids=ids, actor_ids=[f"a{k}" for k in range(pos.shape[0])])
    rules, veto = rules or {}, veto or {}
    new = []
    for i in s.issues:
        kind, parties, threshold = rules.get(i.id, ("none", (), 0.5))
        new.append(replace(i, rule=DecisionRule(kind, tuple(parties), threshold), veto=tuple(veto.get(i.id, ()))))
    stances = s.stances
    if ranges:
        stances = tuple(replace(st, low=ranges[(st.actor, st.issue)][0], high=ranges[(st.actor, st.issue)][1])
                        if (st.actor, st.issue) in ranges else st for st in stances)
    pres = tuple(Precondition(issue, tuple(req), owner) for issue, req, owner in pre)
    return s.replace(issues=tuple(new), preconditions=pres, stances=stances).validated()


def item(result, issue):
    return next(x for x in result.issues() if x["issue"] == issue)


# -- acceptance and vetoes ----------------------------------------------------------------------
# Three equal actors at 100, 80 and 10, status quo 20: the compromise is (100 + 80 + 10) / 3 = 63.33.
THREE = dict(cap=[1, 1, 1], pos=[100, 80, 10], sal=[1, 1, 1], sq=20)


def test_without_rule_or_veto_the_forecast_stands():
    r = item(run_process(make(**THREE)), "A")
    assert r["agreed"] and r["stage"] == 1 and r["outcome"] == pytest.approx(190 / 3)
    assert r["blockers"] == []


def test_veto_holder_blocks_an_outcome_it_dislikes():
    r = item(run_process(make(**THREE, veto={"A": ["a2"]})), "A")
    # a2 at 10 prefers the status quo 20 (10 away) to 63.33 (53.33 away): it vetoes.
    assert not r["agreed"] and r["status"] == "blocked"
    assert r["outcome"] == 20 and r["proposal"] == pytest.approx(190 / 3)
    (b,) = r["blockers"]
    assert b["actor"] == "a2" and b["as"] == ["veto"]
    # It accepts outcomes within 10 of its position, i.e. up to 20: the outcome must move 43.33;
    # or it must move from 10 past the midpoint (20 + 63.33) / 2 = 41.67, i.e. by 31.67.
    assert b["outcome_gap"] == pytest.approx(190 / 3 - 20)
    assert b["acceptable"] == pytest.approx(20)
    assert b["move_gap"] == pytest.approx((20 + 190 / 3) / 2 - 10)


def test_veto_holder_accepts_an_outcome_it_prefers_to_the_status_quo():
    r = item(run_process(make(**THREE, veto={"A": ["a0"]})), "A")
    assert r["agreed"]  # a0 at 100: 36.67 from the outcome, 80 from the status quo


def test_acceptance_hand_values_and_tolerance():
    pos = np.array([[10.0], [90.0], [np.nan]])
    sal = np.array([[0.5], [1.0], [0.0]])
    inv = ~np.isnan(pos)
    acc, og, mg = acceptance(pos, sal, inv, np.array([20.0]), np.array([50.0]), np.array([100.0]))
    # a0: 40 from the outcome, 10 from the status quo: rejects, 30 short; its midpoint is 35.
    assert acc[:, 0].tolist() == [False, True, True]
    assert og[0, 0] == pytest.approx(30) and mg[0, 0] == pytest.approx(25)
    # Tolerance 0.1 at salience 0.5 allows 0.1 * 100 / 0.5 = 20 more distance: 10 short.
    acc, og, mg = acceptance(pos, sal, inv, np.array([20.0]), np.array([50.0]), np.array([100.0]), tolerance=0.1)
    assert not acc[0, 0] and og[0, 0] == pytest.approx(10)
    assert mg[0, 0] == pytest.approx(35 - 10 - 20 / 2)  # the indifference point moves 10 towards q
    acc, *_ = acceptance(pos, sal, inv, np.array([20.0]), np.array([50.0]), np.array([100.0]), tolerance=0.2)
    assert acc[0, 0]


def test_salience_zero_actor_is_indifferent_and_accepts():
    r = item(run_process(make([1, 1, 1], [100, 80, 10], [1, 1, 0], 20, veto={"A": ["a2"]})), "A")
    assert r["agreed"]


def test_no_status_quo_means_agreement_once_open_with_a_note():
    res = run_process(make(**{**THREE, "sq": None}, veto={"A": ["a2"]}))
    assert item(res, "A")["agreed"]
    assert any("no status quo" in n for n in res.notes)


# -- decision rules -----------------------------------------------------------------------------
# Capabilities 3, 2, 1 at 100, 60, 0, salience 1, status quo 20: the compromise is
# (300 + 120 + 0) / 6 = 70. a0 and a1 prefer 70 to 20; a2 (at 0) does not.
RULES = dict(cap=[3, 2, 1], pos=[100, 60, 0], sal=[1, 1, 1], sq=20)


def test_unanimity_and_weighted_majority_differ_on_the_same_stances():
    una = item(run_process(make(**RULES, rules={"A": ("unanimity", (), 0.5)})), "A")
    maj = item(run_process(make(**RULES, rules={"A": ("majority", (), 0.5)})), "A")
    assert not una["agreed"] and [b["actor"] for b in una["blockers"]] == ["a2"]
    assert una["blockers"][0]["as"] == ["rule"] and una["explanation"] == "rejected by a2"
    # The majority passes: a0 and a1 hold 5 of 6 capability units.
    assert maj["agreed"] and maj["outcome"] == pytest.approx(70)
    assert maj["support"] == pytest.approx(5 / 6) and "83% support ≥ 50%" in maj["explanation"]
    assert maj["blockers"] == []


def test_majority_threshold_above_the_support_fails_and_names_the_refusers():
    r = item(run_process(make(**RULES, rules={"A": ("majority", (), 0.9)})), "A")
    assert not r["agreed"] and r["support"] == pytest.approx(5 / 6)
    assert [b["actor"] for b in r["blockers"]] == ["a2"] and r["explanation"].startswith("83% support < 90%")


def test_majority_weight_capability_or_capability_times_salience():
    # Capabilities 1, 1, 2; a2 at 0 cares little (0.2). Compromise = 160 / 2.4 = 66.67: a2 rejects.
    s = make([1, 1, 2], [100, 60, 0], [1, 1, 0.2], 20, rules={"A": ("majority", (), 0.6)})
    by_cap = item(run_process(s), "A")
    by_power = item(run_process(s, majority_weight="capability-salience"), "A")
    assert not by_cap["agreed"] and by_cap["support"] == pytest.approx(2 / 4)
    assert by_power["agreed"] and by_power["support"] == pytest.approx(2 / 2.4)
    with pytest.raises(AccordError, match="majority weight"):
        run_process(s, majority_weight="votes")


def test_consensus_counts_only_the_named_parties():
    named = item(run_process(make(**RULES, rules={"A": ("consensus", ("a0", "a1"), 0.5)})), "A")
    everyone = item(run_process(make(**RULES, rules={"A": ("consensus", (), 0.5)})), "A")
    assert named["agreed"] and not everyone["agreed"]


def test_veto_acts_on_top_of_a_passing_majority():
    r = item(run_process(make(**RULES, rules={"A": ("majority", (), 0.5)}, veto={"A": ["a2"]})), "A")
    assert not r["agreed"] and r["blockers"][0]["as"] == ["veto", "rule"]


# -- preconditions ------------------------------------------------------------------------------
def chain(veto_a=False, pre=(("B", ["A"], "a0"), ("C", ["B"], "a1"))):
    """Three agreeable issues (rule none) B requires A, C requires B; optionally a2 vetoes A."""
    pos = [[100, 50, 40], [80, 60, 40], [10, 40, 40]]
    return make([1, 1, 1], pos, [[1, 1, 1]] * 3, [20, 0, 0], veto={"A": ["a2"]} if veto_a else None, pre=pre)


def test_chain_opens_in_order():
    res = run_process(chain())
    assert res.n_stages == 4  # chain of 3 issues + 1
    assert [item(res, i)["stage"] for i in "ABC"] == [1, 2, 3]
    assert res.open_by_stage[:, 0].astype(int).tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0]]


def test_deadlocked_issue_keeps_its_dependents_closed():
    res = run_process(chain(veto_a=True), strategy="none")
    a, b, c = (item(res, i) for i in "ABC")
    assert a["status"] == "blocked" and a["blockers"][0]["actor"] == "a2"
    assert b["status"] == "closed" and b["waiting_for"] == ["A"] and b["opened"] is None
    assert b["outcome"] == 0 and b["proposal"] is None and b["blockers"] == []
    assert c["status"] == "closed" and c["waiting_for"] == ["B"]
    assert b["explanation"] == "never opened: waits for A"


def test_dropping_a_precondition_changes_only_what_depends_on_it():
    pos = [[100, 50, 40, 70, 30], [80, 60, 40, 70, 30], [10, 40, 40, 70, 30]]
    pre = (("B", ["A"], "a0"), ("C", ["B"], "a0"), ("E", ["D"], "a1"))
    s = make([1, 1, 1], pos, [[1] * 5] * 3, [20, 0, 0, 0, 0], veto={"A": ["a2"]}, pre=pre)
    base = run_process(s, strategy="none")
    for name in ("a0", "B"):
        what_if = run_process(s, drop=[name], strategy="none")
        assert what_if.n_stages == base.n_stages
        for issue in "ADE":
            assert item(what_if, issue) == item(base, issue)
        assert item(base, "B")["status"] == "closed" and item(what_if, "B")["agreed"]
    # Dropping B's precondition opens B at stage 1; C still needs B, so it follows at stage 2.
    assert [item(run_process(s, drop=["B"], strategy="none"), i)["stage"] for i in "BC"] == [1, 2]
    owner = run_process(s, drop=["a0"], strategy="none")
    assert [item(owner, i)["stage"] for i in "BC"] == [1, 1]  # a0 owned both, so both go
    assert owner.dropped == ["B requires A (owner a0)", "C requires B (owner a0)"]


def test_drop_preconditions_rejects_unknown_names():
    with pytest.raises(AccordError, match="owners: a0, a1"):
        drop_preconditions(chain(), ["nobody"])


def test_open_issues_and_depth():
    ag = agenda(chain())
    assert ag.depth == 3
    assert open_issues(np.array([False, False, False]), ag.requires).tolist() == [True, False, False]
    assert open_issues(np.array([True, False, False]), ag.requires).tolist() == [False, True, False]
    assert agenda(chain(pre=())).depth == 1


# -- models -------------------------------------------------------------------------------------
def _halfway_trajectory(a, rng=None, **_):
    """One round: every involved actor moves halfway to the (capability × salience) compromise."""
    x0 = np.asarray(a.position, float)
    mean = get("compromise").forecast(a).outcome
    x1 = np.where(a.involved, x0 + 0.5 * (mean - x0), np.nan)
    positions = np.stack([x0, x1])
    med = np.stack([mean, get("compromise").forecast(a.replace(position=x1)).outcome])
    return Trajectory("halfway", a.actor_ids, a.issue_ids, positions, med, med, [[]], outcome=med)


HALFWAY = Model("halfway", "Halfway", "test double", forecast=get("compromise").forecast,
                trajectory=_halfway_trajectory)


def test_iterative_model_carries_positions_between_stages():
    s = make(**THREE, veto={"A": ["a2"]})
    r = item(run_process(s, HALFWAY, stages=3), "A")
    # Stage 1 ends with a2 at 36.67 (63.33 is 26.67 away, q 16.67): rejected. Stage 2 resumes
    # from there and ends with a2 at 50 (13.33 away vs 30): agreed.
    assert r["agreed"] and r["stage"] == 2 and r["outcome"] == pytest.approx(190 / 3)
    still = item(run_process(s, HALFWAY, stages=3, carry_positions=False), "A")
    assert not still["agreed"]
    drawn = run_process(s, HALFWAY, stages=3, draws=3)
    assert drawn.stage[:, 0].tolist() == [2, 2, 2]


def test_joint_model_sees_only_the_open_issues():
    seen = []

    def forecast(a, rng=None, **_):
        seen.append(a.issue_ids)
        return get("compromise").forecast(a)

    joint = Model("joint-test", "Joint", "test double", forecast=forecast, joint=True)
    res = run_process(chain(), joint, strategy="none")
    assert seen == [("A",), ("B",), ("C",)]
    assert [item(res, i)["stage"] for i in "ABC"] == [1, 2, 3]


def test_any_registered_model_runs():
    s = chain()
    for name in ("mean", "median", "nash", "condorcet"):
        res = run_process(s, name)
        assert res.model == name and res.agreed.shape == (1, 3)
    with pytest.raises(AccordError, match="unknown model"):
        run_process(s, "nope")


def test_bad_arguments_are_user_errors():
    with pytest.raises(AccordError, match="stages"):
        run_process(chain(), stages=0)
    with pytest.raises(AccordError, match="draws"):
        run_process(chain(), draws=-1)
    with pytest.raises(AccordError, match="tolerance"):
        run_process(chain(), tolerance=-0.1)


# -- draws ----------------------------------------------------------------------------------------
def test_probability_of_agreement_against_the_triangular_range():
    # The veto holder a2 has capability 0, so the compromise stays at (100 + 80) / 2 = 90 whatever
    # its position; a2 ~ Triangular(0, 50, 100) accepts 90 over q = 0 when it stands at 45 or more.
    s = make([1, 1, 0], [100, 80, 50], [1, 1, 1], 0, veto={"A": ["a2"]}, ranges={("a2", "A"): (0, 100)})
    res = run_process(s, draws=4000, seed=3)
    # Triangular(0, 50, 100): P(X >= 45) = 1 - 45^2 / (100 × 50) = 0.595.
    p = item(res, "A")["p_agreed"]
    assert p == pytest.approx(0.595, abs=5 * np.sqrt(0.595 * 0.405 / 4000))
    again = run_process(s, draws=4000, seed=3)
    assert np.array_equal(res.agreed, again.agreed)
    b = item(res, "A")["blockers"][0]
    assert b["actor"] == "a2" and b["p_block"] == pytest.approx(1 - p)


def test_draws_without_uncertainty_match_the_point_run():
    point = run_process(chain(veto_a=True), strategy="none")
    drawn = run_process(chain(veto_a=True), draws=50, strategy="none")
    assert drawn.agreed.shape == (50, 3)
    for j, issue in enumerate("ABC"):
        d = item(drawn, issue)
        assert d["p_agreed"] == float(point.agreed[0, j])
        assert d["stage_distribution"]["never"] == float(not point.agreed[0, j])
    assert item(drawn, "B")["waiting_for"] == [{"issue": "A", "p": 1.0}]


def test_a_forecast_at_the_status_quo_is_no_agreement():
    # Nash gives the status quo when actors on both sides of it leave no deal that suits all.
    s = make([1, 1], [[0, 50], [100, 50]], [[1, 1], [1, 1]], [50, 0], pre=(("B", ["A"], None),))
    res = run_process(s, "nash")
    a, b = item(res, "A"), item(res, "B")
    assert a["status"] == "unchanged" and a["proposal"] == 50 and a["blockers"] == []
    assert a["explanation"] == "the forecast is the status quo: nothing is agreed"
    assert b["status"] == "closed"
    assert item(run_process(s, "nash", draws=5), "A")["p_unchanged"] == 1


def test_accept_by_stated_positions_ignores_the_models_moves():
    s = make(**THREE, veto={"A": ["a2"]})
    r = item(run_process(s, HALFWAY, stages=3, accept_by="stated"), "A")
    assert not r["agreed"] and r["blockers"][0]["position"] == 10
    with pytest.raises(AccordError, match="accept_by"):
        run_process(s, accept_by="never")


def test_iterative_model_with_batched_final_positions_matches_the_per_draw_path():
    calls = []

    def forecast(a, rng=None, **_):
        calls.append(np.shape(a.position))
        mean = get("compromise").forecast(a).outcome
        x1 = np.where(a.involved, a.position + 0.5 * (mean[..., None, :] - a.position), np.nan)
        return ModelResult(get("compromise").forecast(a.replace(position=x1)).outcome, positions=x1)

    batched = Model("halfway-batched", "Halfway", "test double", forecast=forecast, trajectory=_halfway_trajectory,
                    positions=True)
    s = make([1, 1, 1], [100, 80, 10], [1, 1, 1], 20, veto={"A": ["a2"]}, ranges={("a2", "A"): (0, 40)})
    fast = run_process(s, batched, stages=3, draws=40, seed=1)
    slow = run_process(s, HALFWAY, stages=3, draws=40, seed=1)
    assert calls[0][0] == 40  # one call for all 40 draws
    assert np.array_equal(fast.stage, slow.stage)
    np.testing.assert_allclose(fast.outcome, slow.outcome)
    assert set(fast.stage[:, 0]) == {1, 2}  # a2 high in its range agrees at once, lower after one retry


def test_majority_of_named_parties_only():
    # Among a1 and a2 alone (capabilities 2 and 1) only a1 accepts: 2/3 of the weight.
    s = make(**RULES, rules={"A": ("majority", ("a1", "a2"), 0.7)})
    r = item(run_process(s), "A")
    assert not r["agreed"] and r["support"] == pytest.approx(2 / 3)
