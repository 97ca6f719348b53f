"""One story across commands: every forecast is shown with whether the process agrees it."""

from __future__ import annotations

import json

from accord.io import read_scenario
from accord.process import run_process
from accord.process.agreement import agreement, has_agenda, short
from accord.report.html import render_report
from accord.report.runner import run_scenario

from conftest import SYRIA


def test_forecast_json_says_whether_each_forecast_is_agreed(run_cli):
    code, out, err = run_cli("forecast", SYRIA, "-m", "compromise", "-f", "json")
    assert code == 0, err
    by_issue = {f["issue"]: f for f in json.loads(out)["forecasts"]}
    process = {i["issue"]: i for i in run_process(read_scenario(SYRIA), "compromise").issues()}
    for issue, f in by_issue.items():
        assert f["agreement"] == process[issue]["status"]
        assert f["p_agreed"] == float(process[issue]["agreed"])
    assert by_issue["issg-meeting"]["agreement"] == "closed" and by_issue["is-priority"]["agreement"] == "agreed"


def test_forecast_table_shows_it_beside_each_number(run_cli):
    code, out, _ = run_cli("forecast", SYRIA, "-m", "compromise")
    assert code == 0 and "never opens" in out and "blocked" in out and "if it is decided" in out


def test_without_an_agenda_nothing_is_added(run_cli, tmp_path):
    s = read_scenario(SYRIA)
    bare = s.replace(issues=tuple(i.__class__(**{**vars(i), "veto": (), "rule": i.rule.__class__()}) for i in s.issues),
                     preconditions=())
    assert has_agenda(s) and not has_agenda(bare)
    assert agreement(bare, ["compromise"])["compromise"]["assad-fate"]["status"] == "agreed"


def test_report_and_web_results_show_the_agreement_table():
    s = read_scenario(SYRIA)
    results = run_scenario(s, ["compromise", "median"])
    html = render_report(results, scenario=s)
    assert 'id="agreement-table"' in html and "never opens" in html
    assert 'id="process-moves"' in html
    assert "Package Who sits in the rebel delegation + Scope of a ceasefire" in html  # names, not ids
    assert short({"status": "agreed", "stage": 2}) == "agreed at stage 2"
