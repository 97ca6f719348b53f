"""The web results page and the report show what each forecast means and why it lands there, with
names rather than ids."""

from __future__ import annotations

import re

import pytest

from accord.io import read_scenario
from accord.report import charts
from accord.report.html import render_report
from accord.report.runner import run_scenario
from web_helpers import make_client, syria_id

from conftest import SYRIA


@pytest.fixture(scope="module")
def results():
    return run_scenario(read_scenario(SYRIA), ["compromise", "nash", "eum"])


def test_results_carry_labels_and_the_explanation(results):
    rows = results["forecast"]["forecasts"]
    assert all(r["outcome_label"] for r in rows)
    ex = results["explain"]
    assert ex["model"] == "compromise" and ex["models"] == ["compromise", "nash", "eum"]
    assert [i["issue"] for i in ex["issues"]] == [i["id"] for i in results["scenario"]["issues"]]
    assert all(i["summary"] and i["pivotal"] for i in ex["issues"])


def test_labels_are_computed_for_results_stored_without_them(results):
    old = {**results, "forecast": {**results["forecast"], "forecasts": [
        {k: v for k, v in r.items() if k != "outcome_label"} for r in results["forecast"]["forecasts"]]}}
    assert charts.forecast_labels(old) == charts.forecast_labels(results)


def test_report_has_labels_and_an_explanation_section(results):
    html = render_report(results, scenario=read_scenario(SYRIA))
    assert "Why it lands there" in html and 'id="explain-panel"' in html
    assert "Assad leaves during an agreed transition" in html
    assert "no change (status quo): &#39;Assad stays, no transition&#39;" in html  # nash on Assad's fate
    summary = results["explain"]["issues"][0]["summary"]
    assert summary.split(".")[0].replace("'", "&#39;") in html


def test_results_page_has_the_panel_and_names_not_ids(tmp_path):
    with make_client(tmp_path) as client:
        sid = syria_id(client)
        run = client.post(f"/api/scenarios/{sid}/runs", json={"models": ["compromise", "eum"], "wait": True}).json()
        page = client.get(f"/runs/{run['id']}").text
    assert 'id="explain-panel"' in page and "Most pivotal" in page
    assert 'class="label"' in page
    moves = re.search(r'<ul class="notes" id="process-moves">(.*?)</ul>', page, re.S).group(1)
    assert "Precondition on Timing of the next ISSG meeting (requires Who sits in the rebel delegation" in moves
    assert "owner Russia" in moves
    offers = re.search(r'<table class="grid compact" id="offers-table">(.*?)</table>', page, re.S).group(1)
    assert "United States" in offers and "<td>us</td>" not in offers


def test_tornado_and_offers_by_name(results):
    figs = charts.tornado_charts(results)
    assert any("Russia: capability" in label for f in figs for label in f["data"][0]["y"])
    header, rows = charts.offers_table(results, named=True)
    actor = header.index("actor")
    assert {r[actor] for r in rows} <= {a["name"] for a in results["scenario"]["actors"]}
    header, rows = charts.offers_table(results)          # the CSV keeps ids
    assert {r[header.index("actor")] for r in rows} <= {a["id"] for a in results["scenario"]["actors"]}
