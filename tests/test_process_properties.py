"""Property tests of the process over random scenarios, rules, vetoes and precondition graphs."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.process import run_process
from accord.scenario import DecisionRule, Precondition

from strategies import scenario_arrays


@st.composite
def agendas(draw):
    s = draw(scenario_arrays(max_issues=4))
    actors = s.actor_ids
    issues = []
    for i in s.issues:
        kind = draw(st.sampled_from(["none", "consensus", "unanimity", "majority"]))
        parties = tuple(draw(st.lists(st.sampled_from(actors), max_size=3, unique=True))) if kind == "consensus" else ()
        threshold = draw(st.floats(0.3, 1.0))
        veto = tuple(draw(st.lists(st.sampled_from(actors), max_size=2, unique=True)))
        issues.append(replace(i, rule=DecisionRule(kind, parties, threshold), veto=veto))
    ids = [i.id for i in s.issues]
    pre = []
    for k in range(1, len(ids)):  # requirements only on earlier issues: always acyclic
        req = draw(st.lists(st.sampled_from(ids[:k]), max_size=2, unique=True))
        if req:
            pre.append(Precondition(ids[k], tuple(req), owner=draw(st.sampled_from(actors))))
    return s.replace(issues=tuple(issues), preconditions=tuple(pre)).validated()


def downstream(s, issue):
    """Issues that (transitively) require ``issue``, itself included."""
    out, grew = {issue}, True
    while grew:
        grew = False
        for p in s.preconditions:
            if p.issue not in out and out & set(p.requires):
                out.add(p.issue)
                grew = True
    return out


@settings(max_examples=60, deadline=None)
@given(agendas(), st.sampled_from(["none", "strategic"]))
def test_process_invariants(s, strategy):
    r = run_process(s, strategy=strategy)
    a = s.arrays()
    ids = list(a.issue_ids)
    for k_pre, p in enumerate(s.preconditions):
        j = ids.index(p.issue)
        dropped = r.chips["stage"][0, k_pre] if strategy == "strategic" and r.chips["code"][0, k_pre] == 4 else 0
        for req in p.requires:
            k = ids.index(req)
            # An agreed issue's requirements were agreed at an earlier stage, unless the owner
            # dropped the precondition first (strategic mode).
            if r.agreed[0, j] and not (dropped and dropped <= r.stage[0, j]):
                assert r.agreed[0, k] and r.stage[0, k] < r.stage[0, j]
    gain = (np.abs(a.status_quo - a.position) - np.abs(r.outcome[0] - a.position)) * a.salience
    for j, issue in enumerate(s.issues):
        q, x = a.status_quo[j], r.outcome[0, j]
        if not r.agreed[0, j]:
            assert np.isnan(q) and np.isnan(x) or x == q  # stays at the status quo
            continue
        if np.isnan(q):
            continue
        via = r.via[0, j]
        for v in issue.veto:
            i = s.actor_ids.index(v)
            if not (a.involved[i, j] and a.salience[i, j] > 0):
                continue
            if via == 3:  # a package: no veto holder loses on the package as a whole
                members = next(log.issues for log in r.packages if j in log.issues and log.stage[0])
                assert np.nansum(gain[i, list(members)]) >= -1e-6
            elif via == 1:  # on its own: no veto holder is worse off
                assert abs(x - a.position[i, j]) <= abs(q - a.position[i, j]) + 1e-6


@settings(max_examples=40, deadline=None)
@given(agendas(), st.data())
def test_dropping_a_precondition_changes_only_its_dependents(s, data):
    if not s.preconditions:
        return
    p = data.draw(st.sampled_from(s.preconditions))
    base, what_if = run_process(s, strategy="none"), run_process(s, drop=[p.issue], strategy="none")
    touched = downstream(s, p.issue)
    for j, issue in enumerate(s.issue_ids):
        if issue in touched:
            continue
        assert base.agreed[0, j] == what_if.agreed[0, j]
        assert base.stage[0, j] == what_if.stage[0, j]
        assert np.array_equal(base.outcome[:, j], what_if.outcome[:, j], equal_nan=True)


@settings(max_examples=30, deadline=None)
@given(agendas(), st.integers(0, 2**16), st.sampled_from(["compromise", "median", "nash"]))
def test_strategic_draws_give_probabilities_and_plain_json(s, seed, model):
    import json

    r = run_process(s, model, draws=4, seed=seed)
    doc = json.loads(json.dumps(r.to_json(), allow_nan=False))
    for p in doc["preconditions"]:
        assert 0 <= p["p_dropped"] <= 1 and 0 <= p["p_conceded"] <= 1 and p["why"]
    for v in doc["vetoes"]:
        assert 0 <= v["p_used"] <= 1 and 0 <= v["p_bought"] <= 1
    for pk in doc["packages"]:
        assert 2 <= len(pk["issues"]) <= 3 and 0 < pk["p"] <= 1
    for item in doc["issues"]:
        assert abs(sum(item["p_via"].values()) - item["p_agreed"]) < 1e-9
