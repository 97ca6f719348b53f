"""The strategic process: preconditions as chips, vetoes bought by packages, patience and time.

Each case is small enough to work out on paper; the figures in the comments are the model's
(docs/process.md, "Strategic mode"). Compromise model throughout: weights capability × salience.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from accord.process import run_process
from accord.process.run import _gaps
from accord.process.strategy import holdout
from accord.scenario import Linkage, ProcessSettings, Stage
from test_process import item, make


def chip(owner_on_gate=100, blocker_sal_d=1.0, blocker_on_gate=50, pressure=0.0, third_on_d=True):
    """a0 owns "G requires D". D: consensus; a1 at 0 (the status quo) rejects any move.
    G: no formal rule, so it stands once it opens. a2 stands with a0 (at 100 on both issues, or
    on G alone). Ally pressure off unless asked for."""
    pos = [[100, owner_on_gate], [0, blocker_on_gate], [100 if third_on_d else np.nan, 100]]
    sal = [[1, 1], [blocker_sal_d, 1], [1, 1]]
    s = make([1, 1, 1], pos, sal, [0, 0], issues=["D", "G"], rules={"D": ("consensus", (), 0.5)},
             pre=(("G", ["D"], "a0"),))
    return s.replace(process=ProcessSettings(ally_pressure=pressure))


def test_owner_drops_a_chip_whose_demand_can_never_pass_when_it_wants_the_gate():
    # D at the compromise 66.7 costs a1 0.667 and G (83.3) gains it 0.167: giving in on D to
    # unlock G leaves it worse (−0.667 + 0.9 × 0.167 < 0), so it never gives in. G gains a0
    # 0.833: holding out gains a0 nothing, dropping the chip gains it G now.
    s = chip()
    mech = run_process(s, strategy="none")
    assert not item(mech, "G")["agreed"] and item(mech, "G")["status"] == "closed"
    r = run_process(s)
    (pre,) = r.preconditions()
    assert pre["p_dropped"] == 1 and pre["decision"] == "dropped" and pre["stage_dropped"] == 1
    assert "never give in" in pre["why"]
    g = item(r, "G")
    assert g["agreed"] and g["stage"] == 1 and g["outcome"] == pytest.approx(250 / 3)
    assert not item(r, "D")["agreed"]


def test_owner_keeps_a_chip_when_it_does_not_want_the_gate():
    # a0 at 0 on G, the status quo: G at the compromise 50 is a loss to it (−0.5).
    r = run_process(chip(owner_on_gate=0))
    (pre,) = r.preconditions()
    assert pre["p_dropped"] == 0 and pre["decision"] == "kept" and "no gain" in pre["why"]
    assert item(r, "G")["status"] == "closed"


def test_the_blocking_party_gives_in_when_it_wants_the_gate_more():
    # a1 cares little about D (salience 0.1: the compromise 95.2 costs it 0.095) and much about G
    # (100 on G, which lands at 100): giving in gains it −0.095 + 0.9 × 1.0 > 0; a0 too gains by
    # dropping, so it is a war of attrition. a0 holds out ln(1 / (0.952 + 0.9)) / ln 0.9 = 5.8
    # stages, a1 ln(0.805 / 1) / ln 0.9 = 2.1: a1 gives in at stage 1, D is agreed, G follows.
    r = run_process(chip(blocker_sal_d=0.1, blocker_on_gate=100), stages=3)
    (pre,) = r.preconditions()
    assert pre["decision"] == "conceded" and pre["p_dropped"] == 0
    d, g = item(r, "D"), item(r, "G")
    assert d["agreed"] and d["stage"] == 1 and d["agreed_via"] == "concession"
    assert g["agreed"] and g["stage"] == 2


def test_patience_changes_who_concedes():
    s = chip(blocker_sal_d=0.1, blocker_on_gate=100)
    assert run_process(s, stages=3).preconditions()[0]["decision"] == "conceded"
    # An impatient owner (δ = 0.3): ln(1 / (0.952 + 0.3)) / ln 0.3 = 0.19 stages < 2.1: it drops.
    hasty = s.replace(actors=tuple(replace(a, patience=0.3) if a.id == "a0" else a for a in s.actors))
    r = run_process(hasty, stages=3)
    assert r.preconditions()[0]["decision"] == "dropped" and item(r, "G")["stage"] == 1
    # A patient blocker (δ = 0.99): ln(0.895) / ln 0.99 = 11 stages > 5.8: the owner drops.
    stoic = s.replace(actors=tuple(replace(a, patience=0.99) if a.id == "a1" else a for a in s.actors))
    assert run_process(stoic, stages=3).preconditions()[0]["decision"] == "dropped"


def test_ally_pressure_shortens_the_owners_patience():
    # a2 takes no part in D and wants G: to a0 it is an ally pressing for G. Without pressure a0
    # holds out ln(1 / (0.909 + 0.9)) / ln 0.9 = 5.6 stages against a1's 2.0 and a1 gives in; with
    # full pressure a0's patience 0.9 (1 − 1 × 1) = 0 and it drops the chip at once.
    assert run_process(chip(100, 0.1, 100, third_on_d=False), stages=3).preconditions()[0]["decision"] == "conceded"
    pressed = chip(100, 0.1, 100, pressure=1.0, third_on_d=False)
    assert run_process(pressed, stages=3).preconditions()[0]["decision"] == "dropped"


def vetoes_each_other():
    """X: a0 vetoes, loses 0.23 at the compromise 76.9 and gains 0.77 on Y; Y the mirror image."""
    pos = [[0, 100], [100, 0]]
    sal = [[0.3, 1.0], [1.0, 0.3]]
    return make([1, 1], pos, sal, [0, 0], issues=["X", "Y"], veto={"X": ["a0"], "Y": ["a1"]})


def test_a_package_passes_where_each_issue_fails_alone():
    s = vetoes_each_other()
    mech = run_process(s, strategy="none")
    assert not item(mech, "X")["agreed"] and not item(mech, "Y")["agreed"]
    r = run_process(s)
    for issue in "XY":
        x = item(r, issue)
        assert x["agreed"] and x["agreed_via"] == "package" and x["outcome"] == pytest.approx(100 / 1.3)
    (pk,) = r.package_deals()
    assert pk["issues"] == ["X", "Y"] and pk["stage"] == 1
    assert pk["gains"]["a0"] == pytest.approx(-0.3 * 100 / 1.3 / 100 + (100 - 30 / 1.3) / 100)
    vetoes = {(v["issue"], v["holder"]): v for v in r.vetoes()}
    assert vetoes[("X", "a0")]["p_bought"] == 1 and vetoes[("X", "a0")]["p_used"] == 0


def test_a_forbidden_linkage_blocks_the_package():
    s = vetoes_each_other()
    for link in (Linkage(("X", "Y")), Linkage(("Y", "*")), Linkage(("X", "Y"), actor="a0")):
        r = run_process(s.replace(linkages=(link,)))
        assert not item(r, "X")["agreed"] and not item(r, "Y")["agreed"], link
        assert r.package_deals() == []


def test_a_package_must_leave_each_required_party_no_worse_on_the_whole():
    # a0 loses 0.6 on X and gains only 0.23 on Y: the package does not pass.
    s = vetoes_each_other()
    worse = make([1, 1], [[0, 100], [100, 0]], [[1.0, 0.3], [1.0, 0.3]], [0, 0], issues=["X", "Y"],
                 veto={"X": ["a0"], "Y": ["a1"]})
    assert run_process(s).package_deals() and not run_process(worse).package_deals()


def test_dated_stages_set_the_horizon_and_the_cost_of_delay():
    assert _gaps(["2015-12-18", "2016-01-17", "2016-03-17"]) == [1.0, 2.0, 2.0]
    assert _gaps([]) == []
    s = chip(blocker_sal_d=0.1, blocker_on_gate=100)
    dated = s.replace(process=ProcessSettings(ally_pressure=0.0, stages=(
        Stage("Vienna", "2015-12-18"), Stage("New York", "2016-02-16"), Stage("Geneva", "2016-03-17", deadline=True))))
    r = run_process(dated)
    assert r.n_stages == 3
    # 60 days to the next stage: a delay costs 0.9² = 0.81, and a0 holds out
    # ln(1 / (0.952 + 0.81)) / ln 0.81 stages instead of ln(1 / (0.952 + 0.9)) / ln 0.9.
    expected = np.log(1 / (100 / 105 + 0.81)) / np.log(0.81)
    assert r.chips["hold_owner"][0, 0] == pytest.approx(expected)


def test_holdout_times():
    # C >= W: at once; C <= 0: never; otherwise ln(C/W)/ln δ, or −ln(C/W) at the last stage.
    assert holdout(1.0, 1.0, 0.9) == 0 and np.isinf(holdout(1.0, 0.0, 0.9)) and np.isinf(holdout(1.0, 0.5, 1.0))
    assert holdout(1.0, 0.5, 0.5) == pytest.approx(1.0)
    assert holdout(1.0, 0.5, 0.9, last=True) == pytest.approx(np.log(2))


def test_draws_give_probabilities_and_the_mechanical_mode_is_unchanged():
    s = chip()
    r = run_process(s, draws=20, seed=1)
    (pre,) = r.preconditions()
    assert pre["p_dropped"] == 1.0
    g = next(x for x in r.issues() if x["issue"] == "G")
    assert g["p_agreed"] == 1.0 and g["p_via"]["alone"] == 1.0
    doc = run_process(s, strategy="none").to_json()
    assert doc["strategy"] == "none" and doc["packages"] == [] and doc["preconditions"][0]["p_dropped"] == 0
