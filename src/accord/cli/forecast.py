"""Forecasts and scenario files: ``forecast``, ``trajectory``, ``models``, ``convert``, ``validate``, ``version``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from accord import __version__
from accord.cli.common import (
    Fmt,
    InputFormatOpt,
    ModelOpt,
    ParamOpt,
    _emit_machine,
    _fmt,
    _load,
    app,
    check_plot,
    err,
    model_params,
    out,
    parse_params,
    print_meanings,
    save_plot,
)
from accord.errors import AccordError
from accord.limits import check_count
from accord.rng import MAX_SEED


@app.command()
def forecast(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (any supported format) or DEU folder.")],
    model: ModelOpt = None,
    format: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.table,
    seed: Annotated[int, typer.Option(help="Seed for stochastic models and draws.", min=0, max=MAX_SEED)] = 0,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws over the input uncertainty (0: point forecast).", min=0)] = 0,
    region: Annotated[list[str] | None, typer.Option(help="Report P(outcome in LOW:HIGH), LOW and HIGH in % of each issue's "
                                                     "scale, or ISSUE=LOW:HIGH in that issue's units; repeatable.")] = None,
    workers: Annotated[int | None, typer.Option(help="Local worker processes for draws (default: one per core when the "
                                                "first chunks show more than 15 s of work left, else 1).", min=1)] = None,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (tcp://HOST:PORT) or 'local'.")] = None,
    stream: Annotated[bool, typer.Option(help="Keep running summaries, not every draw: memory stays flat for "
                                         "millions of draws (quantiles to 1/1000 of the scale).")] = False,
    set_: Annotated[list[str] | None, typer.Option("--set", help="What-if edit, e.g. russia.assad-fate.position=40 (repeatable).")] = None,
    drop_actor: Annotated[list[str] | None, typer.Option(help="What-if: remove an actor (repeatable).")] = None,
    position_sd: Annotated[str | None, typer.Option(help="Default position uncertainty (sd) for stances without a range: "
                                                    "a % of each issue's scale (5, 5%), or 'N points' in scale units; "
                                                    "per-issue values in meta.uncertainty.issues.")] = None,
    salience_sd: Annotated[float | None, typer.Option(help="Default salience uncertainty (sd).")] = None,
    capability_concentration: Annotated[float | None, typer.Option(help="Dirichlet concentration of capability shares (smaller = noisier).")] = None,
    param: ParamOpt = None,
    input_format: InputFormatOpt = None,
) -> None:
    """Forecast where each issue lands, with one or more models."""
    from accord.models import registry

    if draws:
        check_count("--draws", draws, "draws")
    s = _load(scenario, input_format)
    params = parse_params(param, registry.resolve(model))
    if set_ or drop_actor:
        from accord.uncertainty.whatif import apply_edits

        s = apply_edits(s, sets=set_ or (), drop_actors=drop_actor or ())
    if draws:
        from accord.cli.simulate import forecast_draws

        forecast_draws(s, model, draws=draws, seed=seed, region=region, workers=workers,
                       scheduler=scheduler, format=format.value, stream=stream,
                       uncertainty=dict(position_sd=position_sd, salience_sd=salience_sd,
                                        capability_concentration=capability_concentration), params=params)
        return
    from accord.forecast import forecast as run
    from accord.process.agreement import agreement, has_agenda, short

    result = run(s, models=model, seed=seed, params=params)
    if has_agenda(s):
        result.agreement = agreement(s, list(result.outcomes), seed=seed, params=params)
    if _emit_machine(format, result.to_json, result.to_frame):
        return
    table = Table(title=f"{escape(s.title)}: forecasts", title_justify="left")
    table.add_column("issue", style="bold")
    for name in result.outcomes:
        table.add_column(name, justify="right")
    agenda = has_agenda(s)
    for k, issue in enumerate(s.issues):
        scale = f" [{issue.lower:g}–{issue.upper:g}]" if (issue.lower, issue.upper) != (0, 100) else ""
        cells = []
        for name, values in result.outcomes.items():
            cell = _fmt(values[k])
            if agenda:
                cell += "\n[dim]" + escape(short(result.agreement[name][issue.id])) + "[/dim]"
            cells.append(cell)
        table.add_row(escape(issue.name + scale), *cells)
    out.print(table)
    if agenda:
        out.print("[dim]A forecast is where an issue lands if it is decided; below it, whether the process "
                  "(rules, vetoes, preconditions, strategic) agrees it. `accord process` says why.[/dim]")
    print_meanings(s, result.outcomes)
    for name, notes in result.notes.items():
        for note in notes:
            out.print(f"[dim]note ({name}): {escape(note)}[/dim]")


@app.command()
def trajectory(
    scenario: Annotated[Path, typer.Argument(help="Scenario file.")],
    model: Annotated[str, typer.Option("--model", "-m", help="An iterative model (eum, smp, exchange).")] = "eum",
    variant: Annotated[str | None, typer.Option(help="Model variant (see `accord models`).")] = None,
    rounds: Annotated[int | None, typer.Option(help="Number of rounds (default: the model's).")] = None,
    format: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.table,
    plot: Annotated[Path | None, typer.Option(help="Write a positions-by-round chart (PNG or SVG).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for stochastic models.", min=0, max=MAX_SEED)] = 0,
    events_limit: Annotated[int, typer.Option(help="Show the events table when there are at most this many events.")] = 200,
    param: ParamOpt = None,
    repetitions: Annotated[int, typer.Option(help="Runs of a stochastic model: report each round's min, mean and max over them.")] = 1,
    input_format: InputFormatOpt = None,
) -> None:
    """Round-by-round positions, offers and outcomes of an iterative model."""
    import numpy as np

    from accord.forecast import model_kwargs
    from accord.models import get

    check_count("--repetitions", repetitions, "repetitions")
    check_plot(plot)
    s = _load(scenario, input_format)
    m = get(model)
    if m.trajectory is None:
        from accord.models import available

        raise AccordError(f"model {m.name} is not iterative; iterative models: "
                          + ", ".join(x.name for x in available() if x.iterative))
    kwargs = model_kwargs(s, m) | model_params(m, variant, rounds) | parse_params(param, [m]).get(m.name, {})
    if repetitions != 1:
        _trajectory_ranges(s, m, kwargs, repetitions, seed, format, plot)
        return
    from dataclasses import replace

    from accord.labels import Scale

    traj = m.trajectory(s.arrays(), rng=np.random.default_rng(seed), **kwargs)
    traj = replace(traj, scales=tuple(Scale.of(i) for i in s.issues))
    if plot is not None:
        from accord.report.positions import plot_positions

        save_plot(plot_positions(traj).figure, plot)
    if _emit_machine(format, traj.to_json, traj.to_frame):
        return
    summary = traj.summary_frame()
    table = Table(title=f"{escape(s.title)}: {m.title} by round (stopped: {traj.stopped})", title_justify="left")
    for col in ("round", "issue", "median", "mean", "outcome", "events"):
        table.add_column(col, justify="right" if col != "issue" else "left")
    for row in summary.itertuples(index=False):
        table.add_row(str(row.round), escape(str(row.issue)), _fmt(row.median, 4), _fmt(row.mean, 4),
                      _fmt(row.outcome, 4), str(row.events))
    out.print(table)
    out.print("[dim]median, mean: the capability × salience weighted median and mean of the positions after "
              "the round; outcome: the model's forecast then; events: offers, bargains or exchanges in it[/dim]")
    print_meanings(s, {m.name: traj.forecast}, title="What the last round's outcome means")
    events = [(r + 1, e) for r, evs in enumerate(traj.events) for e in evs]
    if events and len(events) <= events_limit:
        keys = [k for k in events[0][1] if not isinstance(events[0][1][k], (dict, list))][:10]
        detail = Table(title="events (offers, bargains, exchanges)", title_justify="left")
        detail.add_column("round", justify="right")
        for k in keys:
            detail.add_column(k)
        for r, e in events:
            detail.add_row(str(r), *(_fmt(e.get(k), 4) if isinstance(e.get(k), float) else escape(str(e.get(k, ""))) for k in keys))
        out.print(detail)
    elif events:
        out.print(f"[dim]{len(events)} events; use --format json to see them all[/dim]")


def _trajectory_ranges(s, m, kwargs, repetitions, seed, format, plot) -> None:
    from accord.uncertainty.trajectories import repeat

    if repetitions < 1:
        raise AccordError("--repetitions must be at least 1")
    if plot is not None:
        raise AccordError("--plot draws one run; leave out --repetitions")
    ranges = repeat(m, s.arrays(), repetitions, seed, **kwargs)
    if _emit_machine(format, ranges.to_json, ranges.to_frame):
        return
    table = Table(title=f"{escape(s.title)}: {m.title}, {repetitions} runs from seed {seed}: outcome by round",
                  title_justify="left")
    for col in ("round", "issue", "min", "mean", "max"):
        table.add_column(col, justify="right" if col != "issue" else "left")
    for row in ranges.summary_frame().itertuples(index=False):
        table.add_row(str(row.round), escape(str(row.issue)), _fmt(row.min, 4), _fmt(row.mean, 4), _fmt(row.max, 4))
    out.print(table)


@app.command()
def models(
    params: Annotated[bool, typer.Option("--params", help="List each model's parameters (for --param) and defaults.")] = False,
) -> None:
    """List the models with their citations."""
    from accord.models import available

    if params:
        table = Table(title="model parameters (set with --param NAME=VALUE or MODEL.NAME=VALUE)",
                      title_justify="left", show_lines=True)
        for col in ("model", "parameter", "default", "allowed", "meaning"):
            table.add_column(col)
        for m in available():
            for key, p in m.params.items():
                table.add_row(m.name, key, escape(repr(p.default)), escape(p.allowed), escape(p.description))
        out.print(table)
        return
    table = Table(title="accord models", title_justify="left", show_lines=True)
    for col in ("name", "model", "kind", "variants", "citation"):
        table.add_column(col)
    for m in available():
        kind = ", ".join(k for k, on in (("iterative", m.iterative), ("stochastic", m.stochastic), ("joint", m.joint)) if on) or "closed form"
        table.add_row(m.name, m.title, kind, ", ".join(m.variants), m.citation)
    out.print(table)


@app.command()
def convert(
    source: Annotated[Path, typer.Argument(help="Input scenario (any supported format).")],
    target: Annotated[Path, typer.Argument(help="Output file; format from --to or the extension.")],
    to: Annotated[str | None, typer.Option(help="Output format (yaml, tidy, bdm, ktab-csv, ktab-xml, decide, deu).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Refuse (exit 2, nothing written) when the target format "
                                         "cannot hold everything in the scenario.")] = False,
    input_format: InputFormatOpt = None,
) -> None:
    """Convert a scenario between formats, saying what the target format cannot hold."""
    from accord.io import conversion_losses, target_format, write_scenario

    s = _load(source, input_format)
    fmt = target_format(target, to)
    lost = conversion_losses(s, fmt)
    if lost and strict:
        from accord.errors import LossyConversionError

        raise LossyConversionError(fmt, lost)
    write_scenario(s, target, format=fmt)
    err.print(f"wrote {escape(str(target))} ({fmt}: {len(s.actors)} actors, {len(s.issues)} issues, {len(s.stances)} stances)")
    if lost:
        err.print(f"[yellow]dropped[/yellow] ({fmt} cannot hold them; --strict refuses): " + escape("; ".join(lost)),
                  highlight=False)


@app.command()
def validate(
    scenario: Annotated[Path, typer.Argument(help="Scenario file.")],
    input_format: InputFormatOpt = None,
) -> None:
    """Check a scenario and report every problem at once."""
    s = _load(scenario, input_format)
    out.print(f"[green]ok[/green]: {scenario}: {len(s.actors)} actors, {len(s.issues)} issues, "
              f"{len(s.stances)} stances, {len(s.preconditions)} preconditions, {len(s.linkages)} linkages")
    missing = s.unknown_estimates()
    if missing:
        out.print(f"[yellow]draft[/yellow]: {len(missing)} value(s) say `unknown` (no estimate yet); models refuse "
                  "the scenario until each is a number: " + escape(", ".join(missing[:12]))
                  + (f" and {len(missing) - 12} more" if len(missing) > 12 else ""))


@app.command()
def version() -> None:
    """Print accord's version."""
    out.print(__version__)
