"""accord explain: summaries, pivotal actors, camps and the smallest change, on scenarios whose
answers are known by hand and on the Syria example."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from accord.explain import coalitions, explain
from accord.forecast import model_kwargs
from accord.io import read_scenario
from accord.labels import Scale, region
from accord.models import registry
from accord.scenario import Actor, Issue, Scenario, Stance, from_arrays

from conftest import SYRIA


def one_issue(caps, positions, saliences=None, anchors=((0, "left"), (50, "centre"), (100, "right")), sq=None):
    saliences = saliences or [1.0] * len(caps)
    ids = [f"a{k}" for k in range(len(caps))]
    return Scenario(
        "hand-made", tuple(Actor(a, a.upper(), c) for a, c in zip(ids, caps, strict=True)),
        (Issue("i", "The issue", anchors=anchors, status_quo=sq),),
        tuple(Stance(a, "i", x, s) for a, x, s in zip(ids, positions, saliences, strict=True)),
    )


def test_a_dominant_actor_is_the_pivotal_one():
    # a0 has ten times the others' weight: the compromise is (800 + 20 + 30) / 12 = 70.83; without
    # a0 it would be 25 (pull 45.8); without a1 75.45 (pull -4.6); without a2 74.5 (pull -3.7).
    s = one_issue([10, 1, 1], [80, 20, 30])
    item = explain(s, models=["compromise"], decided=False)["issues"][0]
    assert item["forecast"] == pytest.approx(850 / 12)
    assert item["pivotal"] == ["a0"]
    pulls = {r["actor"]: r["pull"] for r in item["actors"]}
    assert pulls == pytest.approx({"a0": 850 / 12 - 25, "a1": 850 / 12 - 830 / 11, "a2": 850 / 12 - 820 / 11})
    # the compromise's derivative in a position is that actor's weight share
    assert {r["actor"]: r["leverage"] for r in item["actors"]} == pytest.approx({"a0": 10 / 12, "a1": 1 / 12, "a2": 1 / 12})
    assert "Most pivotal: A0" in item["summary"]


def test_the_median_actor_has_all_the_leverage_of_a_weighted_median():
    s = one_issue([1, 1, 1, 1, 1], [10, 30, 50, 70, 90])
    item = explain(s, "median", models=["median"], decided=False)["issues"][0]
    assert item["forecast"] == 50
    lev = {r["actor"]: r["leverage"] for r in item["actors"]}
    assert lev == pytest.approx({"a0": 0, "a1": 0, "a2": 1, "a3": 0, "a4": 0})


def test_smallest_change_crosses_into_the_next_anchor_region():
    # Three equal actors at 40, 60, 100: the compromise is 66.7, nearest "centre" (25–75).
    s = one_issue([1, 1, 1], [40, 60, 100])
    item = explain(s, models=["compromise"], decided=False)["issues"][0]
    assert item["forecast"] == pytest.approx(200 / 3) and item["region"] == "centre"
    ch = item["change"]
    # To be clearly past 75 (by 0.5 % of the scale) the compromise must gain 8.83 points: one
    # actor moves 26.5 points (3 × 8.83): a2 cannot (already at 100), a0 from 40 to 66.5 or a1
    # from 60 to 86.5, on the grid's 0.5 steps. A capability change needs a2 × 2.6 (size 1.6).
    assert ch["kind"] == "position" and ch["actor"] in ("a0", "a1")
    assert abs(ch["to"] - ch["from"]) == pytest.approx(26.5)
    assert ch["anchor"] == "right" and ch["outcome"] >= 75.5
    assert "smallest single change" in item["summary"]


def test_no_anchors_no_change_search_and_coalitions_by_gaps():
    s = from_arrays([1, 1, 1, 1], [[0], [10], [60], [70]], [[1], [1], [1], [1]])
    item = explain(s, models=["compromise"], decided=False)["issues"][0]
    assert item["region"] is None and item["change"] is None
    assert [c["members"] for c in item["coalitions"]] == [["a0", "a1"], ["a2", "a3"]]
    assert [c["weight_share"] for c in item["coalitions"]] == pytest.approx([0.5, 0.5])
    assert "2 camps" in item["summary"]


def test_coalitions_cut_at_gaps_relative_to_the_scale():
    # gaps of 1 on a 0–10 scale are 10 % (one camp); a gap of 3 is 30 % (a cut); on 0–100 the
    # same positions are one camp
    a = from_arrays([1, 1, 1], [[0], [1], [2]], [[1], [1], [1]], upper=10).arrays()
    assert len(coalitions(a, 0)) == 1
    a = from_arrays([1, 1, 1], [[0], [1], [4]], [[1], [1], [1]], upper=10).arrays()
    assert [c["members"] for c in coalitions(a, 0)] == [["a0", "a1"], ["a2"]]
    a = from_arrays([1, 1, 1], [[0], [1], [4]], [[1], [1], [1]], upper=100).arrays()
    assert len(coalitions(a, 0)) == 1


def test_a_status_quo_forecast_reads_no_change():
    s = one_issue([1, 1], [0, 100], sq=100, anchors=((0, "deal"), (100, "no deal")))
    doc = explain(s, "nash", models=["nash", "compromise"], decided=False)
    item = doc["issues"][0]
    assert item["models"]["nash"]["outcome_label"].startswith("no change (status quo)")


@pytest.fixture(scope="module")
def syria_doc():
    return explain(read_scenario(SYRIA), models=["compromise", "median", "eum", "nash"])


def test_explain_on_syria(syria_doc):
    doc = syria_doc
    assert doc["model"] == "compromise" and len(doc["issues"]) == 7
    by = {i["issue"]: i for i in doc["issues"]}
    sanctions = by["ukraine-sanctions"]
    # Russia alone wants the sanctions lifted and the US holds the largest weight against it.
    assert sanctions["pivotal"][:2] == ["russia", "us"]
    assert sanctions["outcome_label"] == "closer to 'Sanctions maintained in full' than to 'Sanctions lifted'"
    assert [c["members"][-1] for c in sanctions["coalitions"]][-1] == "russia"
    assert by["assad-fate"]["decided"]["status"] == "blocked"
    assert "Russia" in by["assad-fate"]["decided"]["why"]          # names, not ids
    for item in doc["issues"]:
        assert item["summary"].startswith(item["issue_name"] + ":")
        assert set(item["pivotal"]) <= {r["actor"] for r in item["actors"]}
        assert np.isfinite(item["forecast"])
        # pulls add up to nothing in particular, but the most pivotal has the largest |pull|
        top = max(item["actors"], key=lambda r: abs(r["pull"]))
        assert item["pivotal"][0] == top["actor"]
        if item["change"]:
            assert item["change"]["anchor"] != item["region"]
    json.dumps(doc, allow_nan=False)


def test_explain_cli_table_and_json(run_cli):
    code, out, err = run_cli("explain", SYRIA, "--models", "compromise,median", "--issue", "ukraine-sanctions")
    assert code == 0, err
    assert "Ukraine sanctions relief: the compromise model puts it at 35.6" in out
    assert "Russia *" in out
    code, out, err = run_cli("explain", SYRIA, "--models", "compromise", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert [i["issue"] for i in doc["issues"]][0] == "assad-fate"
    assert all(isinstance(i["summary"], str) and isinstance(i["pivotal"], list) for i in doc["issues"])
    code, _, err = run_cli("explain", SYRIA, "--issue", "nope")
    assert code == 2 and "unknown issue 'nope'" in err


def test_explain_with_draws_says_how_sure(run_cli):
    code, out, err = run_cli("explain", SYRIA, "--models", "compromise", "--draws", "200", "--format", "json",
                             "--issue", "assad-fate")
    assert code == 0, err
    d = json.loads(out)["issues"][0]["draws"]
    assert d["n"] == 200 and d["p10"] <= d["p50"] <= d["p90"] and 0 <= d["p_same_region"] <= 1


def test_a_joint_model_on_one_issue_finds_the_compromise_change_on_the_coarser_grid():
    # With one issue there is nothing to trade: the exchange model is the compromise (66.7 for
    # three equal actors at 40, 60, 100). To be clearly past 75 one actor must move 26.5 points;
    # on the joint models' 2.5 % grid that is 27.5 (a0 from 40 to 67.5: forecast 75.8).
    s = one_issue([1, 1, 1], [40, 60, 100])
    item = explain(s, "exchange", models=["exchange"], decided=False)["issues"][0]
    assert item["forecast"] == pytest.approx(200 / 3)
    ch = item["change"]
    assert (ch["kind"], ch["actor"], ch["issue"], ch["from"], ch["to"]) == ("position", "a0", "i", 40, 67.5)
    assert ch["outcome"] == pytest.approx(227.5 / 3) and ch["anchor"] == "right"
    assert ch["size"] == pytest.approx(0.275) and ch["run_with"] == {"exact": False}
    assert "A0 moving from 40 to 67.5 (forecast 75.8)" in item["summary"]


def test_an_issue_the_search_arithmetic_already_moves_is_skipped(monkeypatch):
    """When the search's Monte Carlo parameters put the unchanged scenario in another region than
    the forecast explained (a made-up joint model whose draws run 20 points higher), that issue's
    change is not searched, and a note and the summary say why instead of "no single change"."""
    from types import SimpleNamespace

    import accord.explain as ex
    from accord.models.base import Model
    from accord.results import ModelResult

    def shifted(a, rng=None, shift=0.0):
        w = np.asarray(a.capability, float)[..., None] * np.asarray(a.salience, float)
        return ModelResult(outcome=(w * np.asarray(a.position, float)).sum(-2) / w.sum(-2) + shift)

    fake = Model("shifted", "Shifted", "", shifted, joint=True, draw_params=(("shift", 20.0),))
    monkeypatch.setattr(ex.registry, "get", lambda name: fake)
    s = one_issue([1, 1, 1], [40, 60, 70])                                   # 56.7: "centre"
    spread = SimpleNamespace(outcomes={"shifted": np.array([170 / 3])}, notes={})
    doc = explain(s, "shifted", spread=spread, decided=False)                # floats: 76.7, "right"
    item = doc["issues"][0]
    assert item["region"] == "centre" and item["change"] is None
    assert any("not searched on i" in n and "76.7" in n for n in doc["notes"])
    assert "No single change" not in item["summary"]


def _applied(s, change):
    """The scenario with the explanation's smallest change made to its records."""
    if change["kind"] == "position":
        stances = tuple(dataclasses.replace(st, position=change["to"])
                        if (st.actor, st.issue) == (change["actor"], change["issue"]) else st for st in s.stances)
        return s.replace(stances=stances)
    actors = tuple(dataclasses.replace(x, capability=change["to"]) if x.id == change["actor"] else x
                   for x in s.actors)
    return s.replace(actors=actors)


@pytest.mark.parametrize("model", ["smp", "exchange"])
def test_a_joint_model_finds_the_smallest_change_and_it_moves_the_forecast(model):
    """The change found for a joint model, made to the scenario and the model rerun (in the same
    arithmetic the search used: the exchange model's Monte Carlo floats), lands the issue in the
    region the explanation states."""
    s = read_scenario(SYRIA)
    doc = explain(s, model, models=[model], decided=False)
    m = registry.get(model)
    assert any(f"joint model {model} tries positions on a grid of 2.5%" in n for n in doc["notes"])
    found = [(k, i) for k, i in enumerate(doc["issues"]) if i["change"]]
    # on Syria every issue has one (sanctions: the US moving off 0 lifts them in both models)
    assert {i["issue"] for _, i in found} >= {"ukraine-sanctions", "is-priority"}
    run_with = dict(m.draw_params)
    for k, item in found:
        ch = item["change"]
        assert ch["anchor"] != item["region"] and ch["grid"] == pytest.approx(0.025)
        assert ch.get("run_with", {}) == run_with
        if ch["kind"] == "position":
            assert (ch["to"] - item["scale"]["lower"]) / 2.5 == pytest.approx(round((ch["to"] - item["scale"]["lower"]) / 2.5))
        changed = _applied(s, ch)
        a = changed.arrays()
        out = np.asarray(m.forecast(a, rng=np.random.default_rng(0), **model_kwargs(changed, m) | run_with).outcome)
        scale = Scale.of(s.issues[k])
        assert out[k] == pytest.approx(ch["outcome"], abs=1e-9), item["issue"]
        assert region(out[k], scale) == ch["region"] and scale.anchors[ch["region"]][1] == ch["anchor"]
        who = {x.id: x.name for x in s.actors}[ch["actor"]]
        assert f"The smallest single change that would move it nearest '{ch['anchor']}': {who}" in item["summary"]
        if ch["kind"] == "position" and ch["issue"] != item["issue"]:
            assert f" on {ch['issue_name']} (forecast" in item["summary"]
    if run_with:
        assert any("searched with its Monte Carlo parameters (exact=False)" in n for n in doc["notes"])


def test_a_joint_change_on_another_issue_is_named_in_the_summary():
    item = {"issue": "a", "issue_name": "A", "forecast": 10.0, "outcome_label": "x", "region": "left",
            "scale": {"lower": 0, "upper": 100}, "spread": {"n": 1}, "draws": None, "actors": [], "pivotal": [],
            "coalitions": [], "decided": None,
            "change": {"actor": "u", "kind": "position", "issue": "b", "issue_name": "The B issue", "from": 0,
                       "to": 5, "outcome": 60, "anchor": "right"}}
    from accord.explain import summary

    assert "U moving from 0 to 5 on The B issue (forecast 60)" in summary(item, "M", {"u": "U"})
    item["change"] |= {"issue": "a", "issue_name": "A"}
    assert "U moving from 0 to 5 (forecast 60)" in summary(item, "M", {"u": "U"})


def test_the_readme_and_docs_show_what_explain_says(run_cli):
    """The README's tour and docs/explain.md quote `accord explain` on the Syria example: the
    quotes are what it prints today."""
    import re

    from conftest import ROOT

    code, out, err = run_cli("explain", SYRIA, "--issue", "ukraine-sanctions", "--top", "4")
    assert code == 0, err
    said = " ".join(out.split())
    for doc in ("README.md", "docs/explain.md"):
        block = re.search(r"\$ accord explain examples/syria-issg-2015.yaml[^\n]*\n(.*?)```",
                          (ROOT / doc).read_text(encoding="utf-8"), re.S).group(1)
        paragraph = " ".join(line for line in block.splitlines() if not line.startswith((" actor", " ")))
        paragraph = " ".join(paragraph.split()).replace("Ukraine sanctions relief (ukraine-sanctions, 0–100) ", "")
        assert paragraph in said, doc
        for row in (line for line in block.splitlines() if line.startswith(" ")):
            assert " ".join(row.split()) in said, (doc, row)
