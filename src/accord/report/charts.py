"""Plotly figures (plain dicts) from a run's results JSON, shared by the web app and the HTML report.

Each builder returns ``{"id", "title", "data", "layout"}`` or None when the results lack what it
needs. Text from users (actor and issue names) is HTML-escaped here because Plotly interprets a
subset of HTML in labels; the figure JSON is then embedded with Jinja's ``tojson`` filter.
"""

from __future__ import annotations

import html
from pathlib import Path

from accord.errors import AccordError
from accord.scenario import COLOUR

PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf",
)

_LAYOUT = {
    "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
    "font": {"family": "system-ui, sans-serif", "size": 12},
    "paper_bgcolor": "#ffffff",
    "plot_bgcolor": "#fafafa",
    "legend": {"orientation": "v"},
}


def esc(text) -> str:
    return html.escape(str(text), quote=False)


def _names(results: dict) -> tuple[dict, dict, dict]:
    s = results.get("scenario", {})
    actors = {a["id"]: a for a in s.get("actors", [])}
    issues = {i["id"]: i for i in s.get("issues", [])}
    colours = {a: actor_colour(info.get("colour"), k) for k, (a, info) in enumerate(actors.items())}
    return actors, issues, colours


def row_label(results: dict, row: dict) -> str:
    """A forecast row's ``outcome_label`` (computed from the issue's scale for results stored
    before rows carried it)."""
    if row.get("outcome_label"):
        return row["outcome_label"]
    from accord.labels import Scale, outcome_label

    _, issues, _ = _names(results)
    info = issues.get(row.get("issue"))
    value = row.get("outcome")
    return outcome_label(None if value is None else float(value), Scale.of(info) if info else Scale())


def names(results: dict) -> dict[str, str]:
    """Actor and issue ids to their names (what pages show instead of ids)."""
    actors, issues, _ = _names(results)
    return {k: v.get("name") or k for k, v in issues.items()} | {k: v.get("name") or k for k, v in actors.items()}


def _actor_name(results: dict, actor_id) -> str:
    actors, _, _ = _names(results)
    return actors.get(actor_id, {}).get("name") or str(actor_id)


def _issue_name(results: dict, issue_id) -> str:
    _, issues, _ = _names(results)
    return issues.get(issue_id, {}).get("name") or str(issue_id)


def _input_name(results: dict, name: str) -> str:
    """A sensitivity input in words: ``us.assad-fate.position`` -> ``United States: position``."""
    actor, _, rest = str(name).partition(".")
    what = rest.rpartition(".")[2] or rest
    return f"{_actor_name(results, actor)}: {what}"


def _layout(title: str, **extra) -> dict:
    return _LAYOUT | {"title": {"text": esc(title), "x": 0.01}} | extra


def forecast_chart(results: dict) -> dict | None:
    """Outcome per issue, one marker per model, on each issue's own scale."""
    rows = results.get("forecast", {}).get("forecasts", [])
    if not rows:
        return None
    _, issues, _ = _names(results)
    models = list(dict.fromkeys(r["model"] for r in rows))
    data = []
    for k, model in enumerate(models):
        mine = [r for r in rows if r["model"] == model and r["outcome"] is not None]
        data.append({
            "type": "scatter", "mode": "markers", "name": esc(model),
            "x": [r["outcome"] for r in mine],
            "y": [esc(issues.get(r["issue"], {}).get("name", r["issue"])) for r in mine],
            "text": [esc(row_label(results, r)) for r in mine],
            "hovertemplate": "%{y}<br>" + esc(model) + ": %{x:.1f}<br>%{text}<extra></extra>",
            "marker": {"size": 12, "color": PALETTE[k % len(PALETTE)], "symbol": k % 20},
        })
    return {
        "id": "forecast", "title": "Forecast per issue and model", "data": data,
        "layout": _layout("Forecast per issue and model", height=120 + 40 * max(len(issues), 1),
                          xaxis={"title": {"text": "position on the issue's scale"}},
                          yaxis={"automargin": True, "autorange": "reversed"}),
    }


def positions_charts(results: dict) -> list[dict]:
    """Positions by round: one line per actor, the median and mean emphasised (per model, issue)."""
    actors, issues, colours = _names(results)
    out = []
    for model, traj in (results.get("trajectories") or {}).items():
        by_issue: dict[str, list] = {}
        for row in traj.get("rounds", []):
            by_issue.setdefault(row["issue"], []).append(row)
        for issue, rows in by_issue.items():
            rows.sort(key=lambda r: r["round"])
            rounds = [r["round"] for r in rows]
            data = []
            for actor in traj.get("actors", []):
                ys = [r["positions"].get(actor) for r in rows]
                if all(y is None for y in ys):
                    continue
                data.append({
                    "type": "scatter", "mode": "lines+markers", "name": esc(actors.get(actor, {}).get("name", actor)),
                    "x": rounds, "y": ys, "line": {"width": 1.5, "color": colours.get(actor)}, "marker": {"size": 4},
                    "legendgroup": "actors",
                })
            for key, dash in (("median", "solid"), ("mean", "dash")):
                data.append({
                    "type": "scatter", "mode": "lines", "name": key, "x": rounds, "y": [r.get(key) for r in rows],
                    "line": {"width": 4, "color": "#111111", "dash": dash},
                })
            info = issues.get(issue, {})
            name = info.get("name", issue)
            yaxis = {"title": {"text": "position"}}
            if info.get("lower") is not None and info.get("upper") is not None:
                pad = 0.03 * (info["upper"] - info["lower"])
                yaxis["range"] = [info["lower"] - pad, info["upper"] + pad]
            out.append({
                "id": f"positions-{model}-{issue}", "model": model, "issue": issue,
                "title": f"{model}: {name}",
                "data": data,
                "layout": _layout(f"Positions by round, {model}: {name} (stopped: {traj.get('stopped', '')})",
                                  height=420, xaxis={"title": {"text": "round"}, "dtick": 1}, yaxis=yaxis),
            })
    return out


def distribution_chart(results: dict) -> dict | None:
    """Forecast distributions over the Monte Carlo draws: a violin per model and issue."""
    ens = results.get("ensemble") or {}
    samples = ens.get("samples") or {}
    if not samples:
        return None
    _, issues, _ = _names(results)
    data = []
    for k, (model, per_issue) in enumerate(samples.items()):
        xs, ys = [], []
        for issue, values in per_issue.items():
            label = esc(issues.get(issue, {}).get("name", issue))
            xs += [label] * len(values)
            ys += values
        data.append({
            "type": "violin", "name": esc(model), "x": xs, "y": ys, "box": {"visible": True},
            "meanline": {"visible": True}, "points": False, "scalemode": "width",
            "line": {"color": PALETTE[k % len(PALETTE)]},
        })
    return {
        "id": "distribution", "title": f"Forecast distributions ({ens.get('draws')} draws)", "data": data,
        "layout": _layout(f"Forecast distributions over {ens.get('draws')} draws", height=460,
                          violinmode="group", yaxis={"title": {"text": "outcome"}}, xaxis={"automargin": True}),
    }


def tornado_charts(results: dict) -> list[dict]:
    """One-at-a-time sensitivity: the inputs that move each forecast most."""
    rows = results.get("tornado") or []
    _, issues, _ = _names(results)
    groups: dict[tuple, list] = {}
    for r in rows:
        groups.setdefault((r.get("model", ""), r.get("issue", "")), []).append(r)
    out = []
    for (model, issue), part in groups.items():
        part = sorted(part, key=lambda r: abs((r["high"] or 0) - (r["low"] or 0)))[-15:]
        base = part[0].get("base") if part else None
        labels = [esc(_input_name(results, r["input"])) for r in part]
        data = [
            {"type": "bar", "orientation": "h", "name": "low input", "y": labels,
             "x": [(r["low"] or 0) - (base or 0) for r in part], "base": base, "marker": {"color": "#5b9bd5"}},
            {"type": "bar", "orientation": "h", "name": "high input", "y": labels,
             "x": [(r["high"] or 0) - (base or 0) for r in part], "base": base, "marker": {"color": "#ed7d31"}},
        ]
        name = issues.get(issue, {}).get("name", issue)
        out.append({
            "id": f"tornado-{model}-{issue}", "title": f"Sensitivity, {model}: {name}", "data": data,
            "layout": _layout(f"Sensitivity, {model}: {name}", barmode="overlay", height=140 + 24 * len(part),
                              yaxis={"automargin": True}, xaxis={"title": {"text": "forecast"}}),
        })
    return out


def process_chart(results: dict) -> dict | None:
    """Process timeline: issues down, stages across; agreed, negotiated or still closed."""
    proc = results.get("process") or {}
    rows = proc.get("timeline") or []
    if not rows:
        return None
    _, issues, _ = _names(results)
    order = list(dict.fromkeys(r["issue"] for r in rows))
    stages = sorted({r["stage"] for r in rows})
    z, text = [], []
    for issue in order:
        cells = {r["stage"]: r for r in rows if r["issue"] == issue}
        z_row, t_row = [], []
        for t in stages:
            r = cells.get(t, {})
            agreed, negotiated = r.get("p_agreed") or 0, r.get("p_negotiated") or 0
            z_row.append(2 if agreed >= 0.5 else 1 if negotiated >= 0.5 else 0)
            t_row.append(f"P(agreed by stage {t}) = {agreed:.2f}")
        z.append(z_row)
        text.append(t_row)
    data = [{
        "type": "heatmap", "x": stages, "y": [esc(issues.get(i, {}).get("name", i)) for i in order], "z": z,
        "text": text, "hovertemplate": "%{y}<br>stage %{x}<br>%{text}<extra></extra>",
        "zmin": 0, "zmax": 2, "xgap": 2, "ygap": 2, "showscale": False,
        "colorscale": [[0, "#c8c8c8"], [0.33, "#c8c8c8"], [0.34, "#f0a030"], [0.66, "#f0a030"],
                       [0.67, "#2e7d32"], [1, "#2e7d32"]],
    }]
    return {
        "id": "process", "title": "Process timeline", "data": data,
        "layout": _layout(f"Process timeline with {proc.get('model', '')}: grey closed, orange negotiated, green agreed",
                          height=140 + 36 * len(order), xaxis={"title": {"text": "stage"}, "dtick": 1},
                          yaxis={"automargin": True, "autorange": "reversed"}),
    }


def process_table(results: dict) -> tuple[list[str], list[list]]:
    """Per issue: agreed or not, at which stage, the outcome, who blocks and why."""
    rows = (results.get("process") or {}).get("issues") or []
    header = ["issue", "status", "stage", "outcome", "status quo", "blockers", "explanation"]
    body = []
    for r in rows:
        agreed = r.get("agreed", r.get("p_agreed"))
        blockers = ", ".join(b.get("actor", "") if isinstance(b, dict) else str(b) for b in r.get("blockers") or [])
        body.append([r.get("issue_name", r.get("issue")), r.get("status", agreed), r.get("stage"), r.get("outcome"),
                     r.get("status_quo"), blockers, r.get("explanation", "")])
    return header, body


def all_charts(results: dict) -> dict:
    """Every chart a results page shows, by section."""
    return {
        "forecast": forecast_chart(results),
        "positions": positions_charts(results),
        "distribution": distribution_chart(results),
        "tornado": tornado_charts(results),
        "process": process_chart(results),
    }


# -- tables ----------------------------------------------------------------------------------
def forecast_table(results: dict) -> tuple[list[str], list[list]]:
    """Rows of issue × model outcomes: (header, rows)."""
    rows = results.get("forecast", {}).get("forecasts", [])
    _, issues, _ = _names(results)
    models = list(dict.fromkeys(r["model"] for r in rows))
    table: dict[str, dict] = {}
    for r in rows:
        table.setdefault(r["issue"], {})[r["model"]] = r["outcome"]
    header = ["issue", "scale", *models]
    body = []
    for issue, by_model in table.items():
        info = issues.get(issue, {})
        scale = f"{info.get('lower', 0):g}–{info.get('upper', 100):g}" if info else ""
        body.append([info.get("name", issue), scale, *[by_model.get(m) for m in models]])
    return header, body


def forecast_labels(results: dict) -> list[list[str | None]]:
    """What each cell of :func:`forecast_table` means (its ``outcome_label``), same shape:
    None under the issue and scale columns."""
    rows = results.get("forecast", {}).get("forecasts", [])
    models = list(dict.fromkeys(r["model"] for r in rows))
    table: dict[str, dict] = {}
    for r in rows:
        table.setdefault(r["issue"], {})[r["model"]] = row_label(results, r)
    return [[None, None, *[by.get(m) for m in models]] for by in table.values()]


def agreement_table(results: dict) -> tuple[list[str], list[list]]:
    """Rows of issue × model: whether the process agrees each forecast (``agreed``, ``blocked``,
    ``no change``, ``never opens``), from the forecasts' ``agreement`` keys; empty without them."""
    rows = [r for r in results.get("forecast", {}).get("forecasts", []) if "agreement" in r]
    if not rows:
        return [], []
    _, issues, _ = _names(results)
    models = list(dict.fromkeys(r["model"] for r in rows))
    words = {"unchanged": "no change", "closed": "never opens"}
    table: dict[str, dict] = {}
    for r in rows:
        table.setdefault(r["issue"], {})[r["model"]] = words.get(r["agreement"], r["agreement"])
    return ["issue", *models], [[issues.get(i, {}).get("name", i), *[by.get(m) for m in models]]
                                for i, by in table.items()]


#: Keys of an offer that hold actor ids, and those that hold issue ids.
_ACTOR_KEYS = ("actor", "other", "winner", "from", "to", "initiator", "target", "adopted_by")
_ISSUE_KEYS = ("issue", "in_return_for")


def offers_table(results: dict, named: bool = False) -> tuple[list[str], list[list]]:
    """Every offer, exchange or bargain of the iterative models, one row each; ``named``: actors
    and issues by name (pages and the report), else by id (the CSV)."""
    rows = []
    keys: list[str] = []
    for model, traj in (results.get("trajectories") or {}).items():
        for r in traj.get("rounds", []):
            for offer in r.get("offers") or []:
                if named:
                    offer = {k: _named(results, k, v) for k, v in offer.items()}
                flat = {"model": model, "round": r["round"]} | {k: _cell(v) for k, v in offer.items()}
                rows.append(flat)
                keys += [k for k in flat if k not in keys]
    return keys, [[row.get(k) for k in keys] for row in rows]


def _named(results: dict, key: str, value):
    if key in _ACTOR_KEYS:
        return [_actor_name(results, v) for v in value] if isinstance(value, list) else (
            _actor_name(results, value) if isinstance(value, str) else value)
    if key in _ISSUE_KEYS and isinstance(value, str):
        return _issue_name(results, value)
    return value


def distribution_table(results: dict, named: bool = False) -> tuple[list[str], list[list]]:
    """Per model and issue: the draws' n, mean, sd, p10, p50, p90; ``named``: issues by name."""
    rows = (results.get("ensemble") or {}).get("summary") or []
    header = ["model", "issue", "n", "mean", "sd", "p10", "p50", "p90"]
    return header, [[_issue_name(results, r.get(k)) if named and k == "issue" else r.get(k) for k in header]
                    for r in rows]


def positions_table(results: dict) -> tuple[list[str], list[list]]:
    header = ["model", "round", "issue", "actor", "position"]
    body = []
    for model, traj in (results.get("trajectories") or {}).items():
        for r in traj.get("rounds", []):
            for actor, pos in r.get("positions", {}).items():
                body.append([model, r["round"], r["issue"], actor, pos])
    return header, body


def _cell(v):
    if isinstance(v, float):
        return round(v, 6)
    if isinstance(v, (list, dict)):
        return str(v)
    return v


TABLES = {
    "forecast": forecast_table,
    "offers": offers_table,
    "distribution": distribution_table,
    "positions": positions_table,
    "process": process_table,
}


def default_colour(k: int) -> str:
    """The colour of the k-th actor that names none."""
    return PALETTE[k % len(PALETTE)]


def actor_colour(colour, k: int) -> str:
    """The k-th actor's colour if it is ``#rrggbb``, else its default: only such colours reach a
    page's style attributes or a chart, whatever a stored scenario holds."""
    return colour if isinstance(colour, str) and COLOUR.fullmatch(colour) else default_colour(k)


def plotly_js_path() -> Path:
    """plotly.min.js shipped inside the installed ``plotly`` Python package (never a CDN)."""
    import plotly

    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    if not path.exists():
        raise AccordError(f"plotly.min.js not found in the installed plotly package ({path})")
    return path
