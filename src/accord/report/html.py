"""``accord report``: one self-contained HTML file with the scenario, its forecasts and charts.

Everything is inline: the Plotly.js library (from the installed ``plotly`` package), the chart
data and the styles, so the file opens offline, can be mailed, and never requests anything from
the network. The charts are the web app's (:mod:`accord.report.charts`), drawn from the same
results JSON (:func:`accord.report.runner.run_scenario`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from accord.report import charts
from accord.report.charts import actor_colour, default_colour, plotly_js_path
from accord.scenario import Scenario

#: Offers listed in the report at most (the CSV from the app has them all).
MAX_OFFERS = 500


#: The report's templates; the web app renders its run page with some of them too.
TEMPLATES = Path(__file__).resolve().parent / "templates"


def _env():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True))


def _inline_json(data) -> str:
    # Inside <script>, "</" would end the element and "<!--" opens a comment: escape both.
    text = json.dumps(data, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _plotly_js() -> str:
    return plotly_js_path().read_text(encoding="utf-8").replace("</script", "<\\/script")


def render_report(results: dict, *, scenario: Scenario | None = None, provenance: dict | None = None) -> str:
    """The report of a run's results (see :mod:`accord.report.runner` for their layout)."""
    figures = charts.all_charts(results)
    offers_header, offers = charts.offers_table(results, named=True)
    context = {
        "results": results,
        "scenario": scenario,
        "default_colour": default_colour,
        "actor_colour": actor_colour,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "provenance": provenance or {},
        "charts": figures,
        "forecast_table": charts.forecast_table(results),
        "forecast_labels": charts.forecast_labels(results),
        "names": charts.names(results),
        "agreement_table": charts.agreement_table(results),
        "distribution_table": charts.distribution_table(results, named=True),
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
    from accord.report.runner import run_scenario

    results = run_scenario(scenario, models, seed=seed, draws=draws, params=params)
    return render_report(results, scenario=scenario)
