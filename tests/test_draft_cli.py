"""accord draft and accord evidence from the command line: the JSON contract, a YAML skeleton that
accord validate accepts, and bad input refused with exit status 2."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, SYRIA

NEWS = ROOT / "tests" / "data" / "news"
SEED = ROOT.parent / "shared" / "seed" / "kerry-in-moscow-2015.txt"


def test_draft_json_contract(run_cli):
    code, out, err = run_cli("draft", NEWS / "iran-nuclear-talks.txt", "--format", "json", "--recogniser", "rules")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["recogniser"] == "gazetteer + rules"
    for a in doc["actors"]:
        assert {"id", "name", "aliases", "mentions", "quotes"} <= set(a)
        for q in a["quotes"]:
            assert {"text", "sentence"} <= set(q)
    assert {"id", "name", "evidence", "actors"} <= set(doc["issues"][0])
    assert {"issue", "requires", "owner", "evidence"} <= set(doc["preconditions"][0])
    iran = next(a for a in doc["actors"] if a["id"] == "iran")
    assert any("We will not return to full compliance" in q["text"] for q in iran["quotes"])
    assert "drafted" in err and "gazetteer + rules" in err


def test_draft_yaml_validates_and_forecast_refuses_it(run_cli, tmp_path):
    target = tmp_path / "draft.yaml"
    code, _, err = run_cli("draft", NEWS / "eu-council-deal.txt", "-o", target, "--recogniser", "rules")
    assert code == 0, err
    assert target.read_text().startswith("# Drafted by `accord draft`")
    code, out, err = run_cli("validate", target)
    assert code == 0 and "ok:" in out and "draft:" in out
    code, out, err = run_cli("forecast", target)
    assert code == 2 and "no estimate yet" in err and "stances[" in err and "Traceback" not in err


def test_draft_of_the_seed(run_cli, tmp_path):
    if not SEED.exists():
        pytest.skip("the seed report is not beside the checkout")
    code, out, _ = run_cli("draft", SEED, "-f", "json")
    assert code == 0
    doc = json.loads(out)
    assert [p["issue"] for p in doc["preconditions"]] == ["fridays-talks"]


def test_evidence_attaches_statements_to_the_syria_scenario(run_cli, tmp_path):
    if not SEED.exists():
        pytest.skip("the seed report is not beside the checkout")
    code, out, err = run_cli("evidence", SEED, SYRIA, "-f", "json", "--recogniser", "rules")
    assert code == 0, err
    doc = json.loads(out)
    got = {(a["actor"], a["issue"], a["quote"]) for a in doc["attached"]}
    assert ("russia", "issg-meeting", "refused to confirm the date") in got
    assert ("us", "ukraine-sanctions", "said it would not be drawn into bargaining with Russia over the sanctions "
            "it imposed over Moscow’s interference there") in got
    assert any(a == "saudi" and i == "assad-fate" for a, i, _ in got)
    assert all(a["source"] == "kerry-in-moscow-2015" for a in doc["attached"])
    assert {u["reason"] for u in doc["unmatched"]}  # what was not attached says why
    target = tmp_path / "syria-with-evidence.yaml"
    code, _, err = run_cli("evidence", SEED, SYRIA, "-o", target, "--recogniser", "rules")
    assert code == 0, err
    code, out, _ = run_cli("validate", target)
    assert code == 0 and "draft:" not in out
    assert "evidence:" in target.read_text() and "kerry-in-moscow-2015" in target.read_text()


@pytest.mark.parametrize("args, message", [
    (("draft",), "Missing argument"),
    (("draft", "nope.txt"), "no such file"),
    (("evidence", "only-one.yaml"), "expected one or more news reports and then the scenario"),
])
def test_usage_errors(run_cli, args, message):
    code, out, err = run_cli(*args)
    assert code == 2 and message in (out + err)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.one_of(
    st.binary(max_size=400),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200).map(str.encode),
    st.sampled_from([b"", b"\x00\x01\x02" * 50, "Вчера министр заявил о переговорах в Женеве.".encode(),
                     b"<html><body><script>x()</script></body></html>", b"a b c"]),
))
def test_bad_texts_exit_2_with_a_message_never_a_traceback(run_cli, tmp_path, raw):
    path = tmp_path / "report.txt"
    path.write_bytes(raw)
    code, out, err = run_cli("draft", path, "--recogniser", "rules")
    assert code in (0, 2), err
    assert "Traceback" not in err and "internal error" not in err
    if code == 2:
        assert "report.txt" in err
