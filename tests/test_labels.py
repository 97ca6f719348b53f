"""Outcome labels: what a number means on its issue's scale, the same on every surface."""

from __future__ import annotations

import doctest
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import accord.labels
from accord.labels import Scale, outcome_label, region, region_range
from accord.scenario import Actor, Issue, Scenario, Stance

from conftest import SYRIA

CEASEFIRE = Scale(0, 100, ((0, "No ceasefire"), (50, "Local truces"), (100, "Nationwide")), status_quo=0)


def test_module_examples_hold():
    assert doctest.testmod(accord.labels).failed == 0


@pytest.mark.parametrize("value, label", [
    (0.0, "no change (status quo): 'No ceasefire'"),        # at the status quo, which is an anchor
    (0.4, "no change (status quo): 'No ceasefire'"),        # within 0.5 % of the scale
    (100.0, "Nationwide"),                                  # an anchor at the end
    (98.0, "Nationwide"),                                   # within 2.5 % of it
    (51.0, "Local truces"),
    (62.4, "closer to 'Local truces' than to 'Nationwide'"),
    (80.0, "closer to 'Nationwide' than to 'Local truces'"),
    (75.2, "midway between 'Local truces' and 'Nationwide'"),
    (10.0, "closer to 'No ceasefire' than to 'Local truces'"),
    (float("nan"), "no forecast"),
])
def test_labels_on_a_scale_with_anchors(value, label):
    assert outcome_label(value, CEASEFIRE) == label


def test_status_quo_off_the_anchors_and_without_anchors():
    s = Scale(0, 100, ((0, "A"), (100, "B")), status_quo=30)
    assert outcome_label(30, s) == "no change (status quo)"
    assert outcome_label(30.6, s) == "closer to 'A' than to 'B'"   # 0.6 > 0.5 % of the scale
    bare = Scale(0, 20, (), status_quo=None)
    assert outcome_label(12.5, bare) == "12.5 on the 0–20 scale (no anchor labels)"
    assert region(12.5, bare) is None
    assert outcome_label(10, Scale(0, 20, (), 10)) == "no change (status quo)"


def test_tolerances_are_shares_of_the_scale():
    s = Scale(0, 20, ((0, "low"), (10, "mid"), (20, "high")), status_quo=20)
    assert outcome_label(19.95, s) == "no change (status quo): 'high'"   # 0.25 % of 0–20
    assert outcome_label(10.4, s) == "mid"                               # 2 % of 0–20
    assert outcome_label(10.6, s) == "closer to 'mid' than to 'high'"                   # 3 %


def test_beyond_the_outer_anchors():
    s = Scale(0, 100, ((30, "soft"), (70, "hard")))
    assert outcome_label(10, s) == "beyond 'soft', toward 0"
    assert outcome_label(95, s) == "beyond 'hard', toward 100"
    assert region(10, s) == 0 and region(95, s) == 1


def test_regions_are_the_values_nearest_each_anchor():
    assert [region(x, CEASEFIRE) for x in (0, 24.9, 25, 74.9, 75, 100)] == [0, 0, 1, 1, 2, 2]
    assert region_range(1, CEASEFIRE) == (25, 75)
    assert region_range(0, CEASEFIRE) == (0, 25) and region_range(2, CEASEFIRE) == (75, 100)


@given(st.floats(0, 100), st.lists(st.floats(0, 100), min_size=1, max_size=5, unique=True))
def test_the_closer_anchor_is_the_region(x, values):
    s = Scale(0, 100, tuple((v, f"a{k}") for k, v in enumerate(sorted(values))))
    label = outcome_label(x, s)
    nearest = min(range(len(values)), key=lambda k: (abs(s.anchors[k][0] - x), -k))
    if label.startswith("closer to"):
        assert label.startswith(f"closer to '{s.anchors[region(x, s)][1]}'")
        assert region(x, s) == nearest
    assert isinstance(label, str) and label


def test_scale_from_an_issue_and_from_results_json():
    issue = Issue("i", "I", 0, 20, anchors=((20, "b"), (0, "a")), status_quo=5)
    assert Scale.of(issue) == Scale(0.0, 20.0, ((0.0, "a"), (20.0, "b")), 5.0)
    assert Scale.of({"lower": 0, "upper": 20, "anchors": [[20, "b"], [0, "a"]], "status_quo": 5}) == Scale.of(issue)


def test_forecast_json_and_csv_carry_the_label(run_cli):
    code, out, err = run_cli("forecast", SYRIA, "-m", "compromise,nash", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    rows = {(r["model"], r["issue"]): r for r in doc["forecasts"]}
    assert rows[("compromise", "assad-fate")]["outcome_label"] == "Assad leaves during an agreed transition"
    # Nash finds no deal on Assad's fate: it returns the status quo, and says so.
    assert rows[("nash", "assad-fate")]["outcome"] == 100
    assert rows[("nash", "assad-fate")]["outcome_label"] == "no change (status quo): 'Assad stays, no transition'"
    assert "outcome" in doc["figures"] and "outcome_label" in doc["figures"]
    code, out, _ = run_cli("forecast", SYRIA, "-m", "compromise", "--format", "csv")
    assert out.splitlines()[0].split(",")[:4] == ["issue", "issue_name", "model", "outcome"]
    assert out.splitlines()[0].endswith("outcome_label")


def test_trajectory_json_labels_every_rounds_outcome(run_cli):
    from accord.io import read_scenario

    code, out, err = run_cli("trajectory", SYRIA, "-m", "smp", "--format", "json")
    assert code == 0, err
    scales = {i.id: Scale.of(i) for i in read_scenario(SYRIA).issues}
    rounds = json.loads(out)["rounds"]
    assert rounds and all(r["outcome_label"] == outcome_label(r["outcome"], scales[r["issue"]]) for r in rounds)


def test_the_figures_glossary_explains_every_extra_key(run_cli):
    code, out, err = run_cli("forecast", SYRIA, "-m", "smp,exchange,eum,focal", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    for row in doc["forecasts"]:
        for key in set(row) - {"issue", "issue_name", "model", "p_agreed", "agreement"}:
            assert key in doc["figures"] or f"{row['model']}.{key}" in doc["figures"] or (
                key.startswith("q") and "q<level>" in doc["figures"]), key
    assert "weighted median" in doc["figures"]["smp.median"]
    assert "before any exchange" in doc["figures"]["exchange.before"]


def test_forecast_table_says_what_the_numbers_mean(run_cli):
    code, out, _ = run_cli("forecast", SYRIA, "-m", "compromise,nash")
    assert code == 0
    assert "What the forecasts mean" in out
    assert "no change (status quo): 'Assad stays, no transition': nash 100.0" in out


def test_draws_summary_and_process_label_their_outcomes(run_cli):
    from accord.io import read_scenario
    from accord.process import run_process
    from accord.uncertainty.simulate import simulate

    s = read_scenario(SYRIA)
    summary = simulate(s, ["compromise"], 20, 0).summary()
    assert summary.columns[-1] == "outcome_label"
    assert summary.set_index("issue").loc["assad-fate", "outcome_label"] == "Assad leaves during an agreed transition"
    issues = {i["issue"]: i for i in run_process(s, "compromise").issues()}
    assert issues["assad-fate"]["outcome_label"].startswith("no change (status quo)")


def test_a_mixed_scale_scenario_labels_each_issue_on_its_own_scale():
    s = Scenario(
        "mixed", (Actor("a", "A", 1), Actor("b", "B", 1)),
        (Issue("tax", "Tax", 0, 20, anchors=((0, "none"), (20, "high"))),
         Issue("law", "Law", 0, 100, anchors=((0, "no"), (100, "yes")))),
        (Stance("a", "tax", 0, 1), Stance("b", "tax", 4, 1), Stance("a", "law", 0, 1), Stance("b", "law", 4, 1)),
    )
    from accord.forecast import forecast

    f = forecast(s, ["mean"])
    assert np.allclose(f.outcomes["mean"], [2, 2])
    assert f.label("mean", 0) == "closer to 'none' than to 'high'"   # 10 % of 0–20
    assert f.label("mean", 1) == "no"                                # 2 % of 0–100


def test_every_model_says_what_its_extra_figures_mean():
    """Each key a model adds beside its outcome is in its ``Model.figures`` glossary."""
    from accord.io import read_scenario
    from accord.models import available

    a = read_scenario(SYRIA).arrays()
    for m in available():
        extra = m.forecast(a, rng=np.random.default_rng(0)).extra
        assert set(extra) <= set(m.figures), (m.name, set(extra) - set(m.figures))
