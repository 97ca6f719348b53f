"""The scenario format's "no estimate yet" (``unknown``) and stance evidence: read, written, validated,
and refused by every model in one place (Scenario.arrays)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.errors import ScenarioError, UnknownEstimateError
from accord.forecast import forecast
from accord.io import read_scenario, write_scenario
from accord.io.yaml_format import dumps, loads
from accord.models import registry
from accord.scenario import Evidence

from conftest import SYRIA

DRAFT = """
title: a draft
sources: [{id: r1, title: "a report"}]
actors:
  - {id: a, name: Alpha, capability: unknown}
  - {id: b, name: Beta, capability: 2}
issues:
  - {id: deal, name: The deal}
stances:
  a:
    deal:
      position: unknown
      salience: unknown
      evidence:
        - {quote: "no deal until the sanctions go", source: r1, sentence: "Alpha said: no deal until the sanctions go."}
        - "a bare quote"
  b:
    deal: [40, 0.5]
"""


def test_a_draft_validates_and_round_trips():
    s = loads(DRAFT, "draft.yaml")
    assert s.actor("a").capability is None
    st_a = s.stance("a", "deal")
    assert st_a.position is None and st_a.salience is None
    assert st_a.evidence == (
        Evidence("no deal until the sanctions go", "r1", "Alpha said: no deal until the sanctions go."),
        Evidence("a bare quote"),
    )
    assert s.unknown_estimates() == ["actors[a].capability", "stances[a][deal].position", "stances[a][deal].salience"]
    text = dumps(s)
    assert "position: unknown" in text and "capability: unknown" in text
    assert loads(text, "again.yaml") == s


def test_the_syria_example_still_round_trips_and_has_nothing_unknown():
    s = read_scenario(SYRIA)
    assert s.unknown_estimates() == []
    assert loads(dumps(s)) == s


def test_every_model_refuses_a_draft_naming_the_values_to_fill():
    s = loads(DRAFT, "draft.yaml")
    with pytest.raises(UnknownEstimateError) as exc:
        s.arrays()
    assert "stances[a][deal].position" in str(exc.value) and "actors[a].capability" in str(exc.value)
    for name in (m.name for m in registry.available()):
        with pytest.raises(UnknownEstimateError):
            forecast(s, [name])


def test_formats_without_unknown_refuse_to_write_a_draft(tmp_path):
    s = loads(DRAFT, "draft.yaml")
    with pytest.raises(UnknownEstimateError):
        write_scenario(s, tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
    write_scenario(s, tmp_path / "x.yaml")
    assert read_scenario(tmp_path / "x.yaml") == s


@pytest.mark.parametrize("change, expected", [
    ("position: unknown\n      salience: unknown", None),
    ("position: maybe\n      salience: 0.5", "position must be a number or 'unknown'"),
    ("position: unknown\n      salience: 0.5\n      low: 10", "low and high bound a position"),
    ("position: 10\n      salience: 0.5\n      evidence: [{quote: x, source: nowhere}]", "not one of the scenario's sources"),
    ("position: 10\n      salience: 0.5\n      evidence: [{source: r1}]", "missing field 'quote'"),
    ("position: 10\n      salience: 0.5\n      evidence: [{quote: x, page: 3}]", "unknown field 'page'"),
    ("position: 10\n      salience: 0.5\n      evidence: {quote: x}", "evidence must be a list"),
])
def test_bad_unknowns_and_evidence_are_located(change, expected):
    head, _, tail = DRAFT.partition("      position: unknown\n      salience: unknown\n")
    tail = tail[tail.index("  b:"):]  # drop a's evidence: each case brings its own
    text = head + "      " + change + "\n" + tail
    if expected is None:
        loads(text)
        return
    with pytest.raises(ScenarioError) as exc:
        loads(text, "draft.yaml")
    assert expected in str(exc.value) and "draft.yaml:" in str(exc.value)


@settings(max_examples=60, deadline=None)
@given(word=st.text(min_size=1, max_size=12).filter(lambda w: w.strip().lower() != "unknown"))
def test_any_other_word_for_a_position_is_refused(word):
    text = DRAFT.replace("position: unknown", f"position: {word!r}", 1)
    try:
        s = loads(text, "draft.yaml")
    except ScenarioError:
        return
    # YAML read the word as a number: then it is a number
    assert isinstance(s.stance("a", "deal").position, float)
