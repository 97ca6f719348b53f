"""``accord report``: one self-contained HTML file (rendering offline is checked in tests/browser)."""

from __future__ import annotations

import json
import re

from accord.io import read_scenario
from accord.report.html import build_report, render_report
from accord.scenario import Actor

from conftest import SYRIA


def test_report_command_writes_a_self_contained_file(run_cli, tmp_path):
    out = tmp_path / "report.html"
    code, _, err = run_cli("report", str(SYRIA), "-o", str(out), "--model", "compromise", "--model", "median")
    assert code == 0, err
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    # Nothing is fetched: no external scripts, styles, images or frames.
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", html)
    assert "Plotly.newPlot" in html and len(html) > 1_000_000  # plotly.js inline
    charts = json.loads(re.search(r'<script type="application/json" id="charts-data">(.*?)</script>', html, re.S).group(1))
    assert charts["forecast"]["data"][0]["name"] == "compromise"
    assert "ISSG Syria peace process" in html and "Assad&#39;s fate" in html


def test_report_includes_draws_and_rounds(tmp_path):
    from accord.models import available

    s = read_scenario(SYRIA)
    iterative = [m.name for m in available() if m.iterative and not m.joint][:1]
    html = build_report(s, ["compromise", *iterative], draws=50, seed=1)
    assert "Forecast distributions" in html
    if iterative:
        assert "Positions by round" in html


def test_report_escapes_user_text():
    s = read_scenario(SYRIA)
    evil = "<script>alert(1)</script>"
    actors = (Actor(s.actors[0].id, evil, s.actors[0].capability),) + s.actors[1:]
    html = build_report(s.replace(actors=actors, title=evil), ["compromise"])
    assert evil not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_report_json_cannot_close_its_script_element():
    results = {"scenario": {"title": "x", "actors": [], "issues": [{"id": "i", "name": "</script><b>"}]},
               "models": ["m"], "seed": 0, "draws": 0, "accord_version": "0",
               "forecast": {"forecasts": [{"issue": "i", "model": "m", "outcome": 1.0}]}}
    html = render_report(results)
    data = re.search(r'id="charts-data">(.*?)</script>', html, re.S).group(1)
    assert "</" not in data
