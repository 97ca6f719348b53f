"""CLI commands for uncertainty, sensitivity and what-if (``forecast --draws``, ``sensitivity``,
``compare``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from accord.cli.common import (
    Fmt,
    InputFormatOpt,
    ModelOpt,
    _fmt,
    _load,
    app,
    check_plot,
    err,
    out,
    print_meanings,
    progress_bar,
    save_plot,
)
from accord.errors import AccordError
from accord.limits import check_count
from accord.rng import MAX_SEED


def forecast_draws(s, models, *, draws, seed, region, workers, scheduler, format, uncertainty, params=None,
                   stream=False) -> None:
    from accord.uncertainty.sampling import Uncertainty
    from accord.uncertainty.simulate import parse_region, simulate

    regions = [parse_region(r) for r in (region or [])]
    for r in regions:
        if r.issue is not None and r.issue not in s.issue_ids:
            raise AccordError(f"--region {r.text}: unknown issue {r.issue!r}; issues: {', '.join(s.issue_ids)}")
    u = Uncertainty.from_meta(dict(s.meta), **uncertainty)
    u.check_issues(s.issue_ids)
    with progress_bar(f"simulating {draws} draws", quiet=draws < 200) as bar:
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
    cols = ["issue", "model", "point", "mean", "sd", "p10", "p50", "p90"]
    cols += [f"P[{r.low:g},{r.high:g}]" if r.issue is None else f"P[{r.issue} {r.low:g},{r.high:g}]" for r in regions]
    cols += ["decided? (process, inputs as stated)"] if agreed else []
    for c in cols:
        table.add_column(escape(c), justify="left" if c in ("issue", "model") or c.startswith("decided") else "right")
    for row in summary.to_dict(orient="records"):
        cells = [escape(row["issue_name"]), row["model"], _fmt(row["outcome"]), _fmt(row["mean"]), _fmt(row["sd"]),
                 _fmt(row["p10"]), _fmt(row["p50"]), _fmt(row["p90"])]
        cells += ["" if row[r.key] != row[r.key] else _fmt(row[r.key], 3) for r in regions]
        cells += [escape(short(agreed[row["model"]][row["issue"]]))] if agreed else []
        table.add_row(*cells)
    out.print(table)
    if regions:
        out.print("[dim]P\\[LOW,HIGH]: share of draws in LOW–HIGH % of each issue's scale (the same numbers on a "
                  "0–100 scale); P\\[ISSUE LOW,HIGH]: in that issue's own units[/dim]")
    print_meanings(s, ens.point, title="What the point forecasts mean")
    if u.none and not (s.arrays().position_low == s.arrays().position_low).any():
        out.print("[dim]note: the scenario gives no uncertainty (no stance low/high, no --position-sd/--salience-sd): every draw equals the point forecast[/dim]")


@app.command()
def sensitivity(
    scenario: Annotated[Path, typer.Argument(help="Scenario file.")],
    model: Annotated[str, typer.Option("--model", "-m")] = "compromise",
    issue: Annotated[str | None, typer.Option(help="Only this issue.")] = None,
    method: Annotated[str, typer.Option(help="oat (one at a time) or sobol (needs SALib).")] = "oat",
    top: Annotated[int, typer.Option(help="Inputs shown per issue.", min=1)] = 8,
    samples: Annotated[int, typer.Option(help="Sobol base sample size N.", min=1)] = 256,
    position_swing: Annotated[list[str] | None, typer.Option(
        help="How far a position without a stance range is pushed: a % of each issue's scale (default 10), "
             "'N points' in scale units, or ISSUE=… for one issue (repeatable).")] = None,
    plot: Annotated[Path | None, typer.Option(help="Write the tornado charts, one panel per issue (PNG/SVG).")] = None,
    format: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.table,
    input_format: InputFormatOpt = None,
) -> None:
    """Which inputs move each forecast most (tornado)."""
    from accord.uncertainty.sensitivity import one_at_a_time, sobol

    if method not in ("oat", "sobol"):
        raise AccordError(f"--method must be oat or sobol, got {method!r}")
    if method == "sobol":
        check_count("--samples", samples, "samples")
    elif plot is not None:
        check_plot(plot)
    s = _load(scenario, input_format)
    if issue is not None and issue not in s.issue_ids:
        raise AccordError(f"unknown issue {issue!r}; issues: {', '.join(s.issue_ids)}")
    swings = _swings(position_swing, s.issue_ids)
    issues = [issue] if issue else list(s.issue_ids)
    with progress_bar(f"sensitivity of {model}", "steps") as bar:
        task = bar.add_task("runs", total=None)
        if method == "sobol":
            import pandas as pd

            frames = []
            for n_done, i in enumerate(issues):
                frames.append(sobol(s, i, model=model, n=samples, swings=swings, progress=lambda d, t, n_done=n_done: bar.update(
                    task, completed=n_done * t + d, total=len(issues) * t)))
            df = pd.concat(frames, ignore_index=True)
        elif method == "oat":
            df = one_at_a_time(s, model=model, swings=swings,
                               progress=lambda d, t: bar.update(task, completed=d, total=t))
            if issue:
                df = df[df.issue == issue]
        else:
            raise AccordError(f"--method must be oat or sobol, got {method!r}")
    df = df.groupby("issue", sort=False, group_keys=False).head(top)
    if plot is not None and method == "oat":
        from accord.report.tornado import plot_tornadoes

        save_plot(plot_tornadoes(df, issues, top, names={i.id: i.name for i in s.issues}), plot)
        err.print(f"wrote {plot} (one tornado per issue: {len(issues)})")
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
    if method == "oat":
        spans = ", ".join(f"{i}: ±{v:g}" for i, v in zip(s.issue_ids, swings.position_swings(s.arrays()), strict=True))
        out.print(f"[dim]low/high: the input's stance range, else a position ± its issue's swing ({escape(spans)}), "
                  f"a salience ± {swings.salience:g}, a capability × (1 ± {swings.capability:g}); "
                  "outcome_low/high: the forecast then; swing: their difference[/dim]")


def _swings(specs: list[str] | None, issue_ids):
    """``--position-swing`` options as :class:`~accord.uncertainty.sensitivity.Swings`."""
    from accord.uncertainty.sampling import parse_spread
    from accord.uncertainty.sensitivity import Swings

    default, per_issue = Swings(), {}
    for spec in specs or ():
        issue, eq, amount = spec.rpartition("=")
        value = parse_spread(amount, "--position-swing")
        if not eq:
            default = Swings(position=value[0], position_unit=value[1])
        elif issue not in issue_ids:
            raise AccordError(f"--position-swing {spec}: unknown issue {issue!r}; issues: {', '.join(issue_ids)}")
        else:
            per_issue[issue] = value
    return Swings(position=default.position, position_unit=default.position_unit, issues=per_issue)


@app.command()
def compare(
    base: Annotated[Path, typer.Argument(help="Base scenario.")],
    changed: Annotated[Path | None, typer.Argument(help="Changed scenario (default: the base with --set/--drop-actor edits).")] = None,
    model: ModelOpt = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws for the uncertainty of the difference.", min=0)] = 0,
    seed: Annotated[int, typer.Option(min=0, max=MAX_SEED)] = 0,
    set_: Annotated[list[str] | None, typer.Option("--set", help="Edit, e.g. russia.assad-fate.position=40.")] = None,
    drop_actor: Annotated[list[str] | None, typer.Option(help="Remove an actor.")] = None,
    format: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.table,
    input_format: InputFormatOpt = None,
) -> None:
    """Compare two scenarios (or a scenario and an inline edit of it)."""
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
