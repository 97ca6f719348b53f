"""CLI commands for uncertainty, sensitivity and what-if (``forecast --draws``, ``sensitivity``,
``compare``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from accord.cli.common import Fmt, InputFormatOpt, ModelOpt, _fmt, _load, app, err, out


def _progress_bar(total_draws: int):
    """A rich progress bar on stderr for long runs (quiet for small ones and when not a terminal)."""
    return Progress(
        TextColumn("[bold]simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("chunks"),
        TimeElapsedColumn(), console=err, transient=True, disable=total_draws < 2000 or not err.is_terminal,
    )


def forecast_draws(s, models, *, draws, seed, region, workers, scheduler, format, uncertainty, params=None,
                   stream=False) -> None:
    from accord.uncertainty.sampling import Uncertainty
    from accord.uncertainty.simulate import parse_region, simulate

    regions = [parse_region(r) for r in (region or [])]
    u = Uncertainty.from_meta(dict(s.meta), **uncertainty)
    with _progress_bar(draws) as bar:
        task = bar.add_task("draws", total=None)

        def progress(done, total):
            bar.update(task, completed=done, total=total)

        ens = simulate(s, models, draws, seed, uncertainty=u, workers=workers, scheduler=scheduler, progress=progress,
                       params=params, stream=stream, regions=regions)
    from accord.process.agreement import agreement, has_agenda, short

    # Whether each forecast is decided, from one process run on the stated inputs (`accord process
    # --draws` gives its probability over the same uncertainty).
    agreed = agreement(s, list(ens.models), seed=seed, params=params) if has_agenda(s) else {}
    if format == "json":
        doc = ens.to_json(regions)
        for item in doc["forecasts"]:
            if agreed:
                item["agreement"] = agreed[item["model"]][item["issue"]]["status"]
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
        return
    summary = ens.summary(regions)
    if format == "csv":
        sys.stdout.write(summary.to_csv(index=False))
        return
    table = Table(title=f"{escape(s.title)}: {draws} draws, seed {seed}", title_justify="left")
    cols = ["issue", "model", "point", "mean", "sd", "p10", "p50", "p90"] + [f"P[{lo:g},{hi:g}]" for lo, hi in regions]
    cols += ["decided? (process, inputs as stated)"] if agreed else []
    for c in cols:
        table.add_column(c, justify="left" if c in ("issue", "model") else "right")
    for row in summary.to_dict(orient="records"):
        cells = [escape(row["issue_name"]), row["model"], _fmt(row["outcome"]), _fmt(row["mean"]), _fmt(row["sd"]),
                 _fmt(row["p10"]), _fmt(row["p50"]), _fmt(row["p90"])]
        cells += [_fmt(row[f"p_{lo:g}_{hi:g}"], 3) for lo, hi in regions]
        cells += [escape(short(agreed[row["model"]][row["issue"]]))] if agreed else []
        table.add_row(*cells)
    out.print(table)
    if u.none and not (s.arrays().position_low == s.arrays().position_low).any():
        out.print("[dim]note: the scenario gives no uncertainty (no stance low/high, no --position-sd/--salience-sd): every draw equals the point forecast[/dim]")


@app.command()
def sensitivity(
    scenario: Annotated[Path, typer.Argument(help="Scenario file.")],
    model: Annotated[str, typer.Option("--model", "-m")] = "compromise",
    issue: Annotated[str | None, typer.Option(help="Only this issue.")] = None,
    method: Annotated[str, typer.Option(help="oat (one at a time) or sobol (needs SALib).")] = "oat",
    top: Annotated[int, typer.Option(help="Inputs shown per issue.")] = 8,
    samples: Annotated[int, typer.Option(help="Sobol base sample size N.")] = 256,
    plot: Annotated[Path | None, typer.Option(help="Write a tornado chart (PNG/SVG).")] = None,
    format: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.table,
    input_format: InputFormatOpt = None,
) -> None:
    """Which inputs move each forecast most (tornado)."""
    from accord.errors import AccordError
    from accord.uncertainty.sensitivity import one_at_a_time, sobol

    s = _load(scenario, input_format)
    if issue is not None and issue not in s.issue_ids:
        raise AccordError(f"unknown issue {issue!r}; issues: {', '.join(s.issue_ids)}")
    if method == "sobol":
        issues = [issue] if issue else list(s.issue_ids)
        import pandas as pd

        df = pd.concat([sobol(s, i, model=model, n=samples) for i in issues], ignore_index=True)
        key = "ST"
    elif method == "oat":
        df = one_at_a_time(s, model=model)
        if issue:
            df = df[df.issue == issue]
        key = "swing"
    else:
        raise AccordError(f"--method must be oat or sobol, got {method!r}")
    df = df.groupby("issue", sort=False, group_keys=False).head(top)
    if plot is not None and method == "oat":
        from accord.report.tornado import plot_tornado

        plot_tornado(df, issue=issue or s.issue_ids[0]).figure.savefig(plot, bbox_inches="tight")
    if format is Fmt.json:
        sys.stdout.write(df.to_json(orient="records", indent=2) + "\n")
        return
    if format is Fmt.csv:
        sys.stdout.write(df.to_csv(index=False))
        return
    table = Table(title=f"{escape(s.title)}: sensitivity of {model} ({method})", title_justify="left")
    cols = list(df.columns)
    for c in cols:
        table.add_column(c)
    for row in df.itertuples(index=False):
        table.add_row(*(escape(str(v)) if isinstance(v, str) else _fmt(v) for v in row))
    out.print(table)
    del key


@app.command()
def compare(
    base: Annotated[Path, typer.Argument(help="Base scenario.")],
    changed: Annotated[Path | None, typer.Argument(help="Changed scenario (default: the base with --set/--drop-actor edits).")] = None,
    model: ModelOpt = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws for the uncertainty of the difference.")] = 0,
    seed: Annotated[int, typer.Option()] = 0,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Edit, e.g. russia.assad-fate.position=40.")] = None,
    drop_actor: Annotated[list[str] | None, typer.Option(help="Remove an actor.")] = None,
    format: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.table,
    input_format: InputFormatOpt = None,
) -> None:
    """Compare two scenarios (or a scenario and an inline edit of it)."""
    from accord.errors import AccordError
    from accord.uncertainty.whatif import apply_edits
    from accord.uncertainty.whatif import compare as run

    b = _load(base, input_format)
    c = _load(changed, input_format) if changed else b
    c = apply_edits(c, sets=set_ or (), drop_actors=drop_actor or ())
    if changed is None and not (set_ or drop_actor):
        raise AccordError("give a CHANGED scenario or at least one --set/--drop-actor edit")
    df = run(b, c, models=model, draws=draws, seed=seed)
    if format is Fmt.json:
        sys.stdout.write(json.dumps({"comparisons": json.loads(df.to_json(orient="records"))}, indent=2) + "\n")
        return
    if format is Fmt.csv:
        sys.stdout.write(df.to_csv(index=False))
        return
    table = Table(title="changed − base", title_justify="left")
    for c_ in df.columns:
        table.add_column(c_, justify="left" if c_ in ("issue", "model") else "right")
    for row in df.itertuples(index=False):
        table.add_row(*(escape(v) if isinstance(v, str) else _fmt(v) for v in row))
    out.print(table)
