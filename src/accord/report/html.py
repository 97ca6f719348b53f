"""``accord report``: one self-contained HTML file with the scenario, its forecasts and charts.

Everything is inline: the Plotly.js library (from the installed ``plotly`` package), the chart
data and the styles, so the file opens offline, can be mailed, and never requests anything from
the network. The charts are the web app's (:mod:`accord.web.charts`), drawn from the same
results JSON (:func:`accord.web.runner.run_scenario`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from accord.scenario import Scenario

#: Offers listed in the report at most (the CSV from the app has them all).
MAX_OFFERS = 500


def _env():
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("accord.web", "templates"), autoescape=select_autoescape(default=True))
    return env


def _inline_json(data) -> str:
    # Inside <script>, "</" would end the element and "<!--" opens a comment: escape both.
    text = json.dumps(data, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _plotly_js() -> str:
    from accord.web.app import plotly_js_path

    return plotly_js_path().read_text(encoding="utf-8").replace("</script", "<\\/script")


def render_report(results: dict, *, scenario: Scenario | None = None, provenance: dict | None = None) -> str:
    """The report of a run's results (see :mod:`accord.web.runner` for their layout)."""
    from accord.web import charts
    from accord.web.forms import default_colour

    figures = charts.all_charts(results)
    offers_header, offers = charts.offers_table(results)
    context = {
        "results": results,
        "scenario": scenario,
        "default_colour": default_colour,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "provenance": provenance or {},
        "charts": figures,
        "forecast_table": charts.forecast_table(results),
        "distribution_table": charts.distribution_table(results),
        "process_table": charts.process_table(results),
        "offers_table": (offers_header, offers[:MAX_OFFERS]),
        "n_offers": len(offers),
        "max_offers": MAX_OFFERS,
        "charts_json": _inline_json(figures),
        "plotly_js": _plotly_js(),
    }
    return _env().get_template("report.html").render(**context)


def build_report(
    scenario: Scenario, models: list[str] | None = None, *, draws: int = 0, seed: int = 0,
    params: dict[str, dict] | None = None,
) -> str:
    """Run the models on ``scenario`` and return the report's HTML."""
    from accord.web.runner import run_scenario

    results = run_scenario(scenario, models, seed=seed, draws=draws, params=params)
    return render_report(results, scenario=scenario)
