"""``accord process`` on the Syria example, its JSON contract, and the timeline chart."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from accord.io import read_scenario
from accord.process import run_process
from accord.report.timeline import plot_timeline, timeline_data

from conftest import SYRIA

ISSUES = ["assad-fate", "issg-meeting", "delegation", "terror-list", "ceasefire", "is-priority", "ukraine-sanctions"]


def by_issue(doc):
    return {x["issue"]: x for x in doc["issues"]}


def test_process_json_contract_on_syria(run_cli):
    code, out, err = run_cli("process", SYRIA, "--format", "json", "--strategy", "none")
    assert code == 0, err
    doc = json.loads(out)
    assert [x["issue"] for x in doc["issues"]] == ISSUES
    for x in doc["issues"]:
        assert {"issue", "agreed", "stage", "outcome", "blockers"} <= set(x)
    issues = by_issue(doc)
    # Moscow's precondition: the meeting waits for the delegation and the list, both deadlocked.
    meeting = issues["issg-meeting"]
    assert meeting["status"] == "closed" and meeting["waiting_for"] == ["delegation", "terror-list"]
    assert not issues["delegation"]["agreed"] and not issues["terror-list"]["agreed"]
    assert issues["is-priority"]["agreed"] and issues["is-priority"]["stage"] == 1
    assert [b["actor"] for b in issues["ukraine-sanctions"]["blockers"]] == ["us"]
    (pre,) = doc["preconditions"]  # keys may be added, never removed
    assert {k: pre[k] for k in ("issue", "requires", "owner")} == {
        "issue": "issg-meeting", "requires": ["delegation", "terror-list"], "owner": "russia"}
    assert pre["p_dropped"] == 0 and doc["strategy"] == "none"


def test_russia_dropping_its_precondition_is_one_command(run_cli):
    base = by_issue(json.loads(run_cli("process", SYRIA, "--format", "json", "--strategy", "none")[1]))
    code, out, err = run_cli("process", SYRIA, "--format", "json", "--drop-precondition", "russia", "--strategy", "none")
    assert code == 0, err
    doc = json.loads(out)
    what_if = by_issue(doc)
    assert doc["dropped_preconditions"] == ["issg-meeting requires delegation, terror-list (owner russia)"]
    assert doc["preconditions"] == []
    for issue in ISSUES:
        if issue != "issg-meeting":
            assert what_if[issue] == base[issue]
    # The meeting is now negotiated; on these stances Russia still prefers postponement.
    meeting = what_if["issg-meeting"]
    assert meeting["status"] == "blocked" and meeting["opened"] == 1
    assert [b["actor"] for b in meeting["blockers"]] == ["russia"]


def test_syria_thousand_draws_under_ten_seconds(run_cli):
    start = time.perf_counter()
    code, out, err = run_cli("process", SYRIA, "--draws", "1000")
    elapsed = time.perf_counter() - start
    assert code == 0, err
    assert elapsed < 10, f"{elapsed:.1f} s"
    assert "p(agreed)" in out
    for issue in ISSUES:
        assert issue in out
    assert "waits for delegation" in out  # the closed meeting names what it waits for


def test_draws_json_has_probabilities_and_stage_distribution(run_cli):
    code, out, err = run_cli("process", SYRIA, "--draws", "200", "--format", "json", "--seed", "4")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["draws"] == 200
    for x in doc["issues"]:
        assert {"issue", "p_agreed", "stage", "outcome", "blockers", "stage_distribution"} <= set(x)
        assert 0 <= x["p_agreed"] <= 1
        assert sum(x["stage_distribution"].values()) == pytest.approx(1)
        for b in x["blockers"]:
            assert 0 < b["p_block"] <= 1
    assert json.loads(run_cli("process", SYRIA, "--draws", "200", "--format", "json", "--seed", "4")[1]) == doc


def test_user_errors_exit_2(run_cli):
    code, _, err = run_cli("process", SYRIA, "--drop-precondition", "france")
    assert code == 2 and "owners: russia" in err
    code, _, err = run_cli("process", SYRIA, "--model", "nope")
    assert code == 2 and "unknown model" in err
    code, _, err = run_cli("process", SYRIA, "--stages", "0")
    assert code == 2 and "stages" in err


def test_table_and_plot(run_cli, tmp_path):
    png = tmp_path / "timeline.png"
    code, out, err = run_cli("process", SYRIA, "--plot", png, "--majority-weight", "capability-salience")
    assert code == 0, err
    assert png.stat().st_size > 1000
    assert "russia (veto): accepts ≥ 70.0" in out  # Assad's fate: the offer 48.8 must rise to 70


def test_timeline_data_shares():
    s = read_scenario(SYRIA)
    point = timeline_data(run_process(s))
    assert len(point) == 3 * len(ISSUES)
    shares = point[["p_agreed", "p_negotiated", "p_closed"]].sum(axis=1)
    assert np.allclose(shares, 1)
    meeting = point[point.issue == "issg-meeting"]
    assert meeting.p_closed.tolist() == [1, 1, 1]
    is_priority = point[point.issue == "is-priority"]
    assert is_priority.p_agreed_now.tolist() == [1, 0, 0] and is_priority.p_agreed.tolist() == [1, 1, 1]
    drawn = timeline_data(run_process(s, draws=100))
    assert np.allclose(drawn[["p_agreed", "p_negotiated", "p_closed"]].sum(axis=1), 1)
    ax = plot_timeline(run_process(s, draws=100))
    assert [t.get_text() for t in ax.get_yticklabels()] == ISSUES[::-1]


def test_docs_process_page_commands_and_python_run(run_cli, tmp_path, monkeypatch):
    import re
    import shlex

    from conftest import ROOT

    text = (ROOT / "docs" / "process.md").read_text()
    monkeypatch.chdir(ROOT)
    sh = re.search(r"```sh\n(.*?)```", text, re.S).group(1)
    for line in sh.splitlines():
        args = shlex.split(line.split("#")[0])
        assert args[:2] == ["accord", "process"]
        args = [str(tmp_path / a) if a.endswith(".png") else a for a in args[1:]]
        code, _, err = run_cli(*args)
        assert code == 0, (line, err)
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1).replace('"timeline.png"', repr(str(tmp_path / "t.png")))
    exec(compile(code, "docs/process.md", "exec"), {})
    assert (tmp_path / "t.png").exists()
