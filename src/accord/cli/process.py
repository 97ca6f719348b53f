"""``accord process``: play a scenario's agenda (rules, vetoes, preconditions) over stages."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from accord.cli.common import (
    _load,
    _print_json,
    app,
    check_plot,
    model_params,
    out,
    print_meanings,
    save_plot,
)
from accord.limits import check_count
from accord.rng import MAX_SEED


class ProcessFmt(StrEnum):
    table = "table"
    json = "json"


def _f(x, digits: int = 1) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _blockers_point(item: dict) -> str:
    if item["status"] == "closed":
        return "waits for " + ", ".join(item["waiting_for"])
    parts = []
    for b in item["blockers"]:
        role = "veto" if "veto" in b["as"] else "rule"
        side = "≥" if b["acceptable"] > item["proposal"] else "≤"
        parts.append(f"{b['actor']} ({role}): accepts {side} {b['acceptable']:.1f} or moves {b['move_gap']:.1f}")
    return "; ".join(parts)


def _blockers_draws(item: dict) -> str:
    parts = [f"{b['actor']} {b['p_block']:.0%} (gap {_f(b['outcome_gap'])})" for b in item["blockers"]]
    parts += [f"waits for {w['issue']} {w['p']:.0%}" for w in item["waiting_for"]]
    return "; ".join(parts)


def _stage_text(dist: dict) -> str:
    return " ".join(f"{k}:{v:.0%}" for k, v in dist.items() if v > 0)


@app.command()
def process(
    scenario: Annotated[Path, typer.Argument(help="Scenario file.")],
    model: Annotated[str, typer.Option("--model", "-m", help="Model negotiating each stage (any registered model).")] = "compromise",
    stages: Annotated[int | None, typer.Option(help="Number of stages (default: longest precondition chain + 1).")] = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws over the input uncertainty (0: one run).", min=0)] = 0,
    seed: Annotated[int, typer.Option(help="Seed for the draws and stochastic models.", min=0, max=MAX_SEED)] = 0,
    drop_precondition: Annotated[
        list[str] | None,
        typer.Option("--drop-precondition", help="Drop the preconditions owned by this actor or placed on this issue (repeatable)."),
    ] = None,
    variant: Annotated[str | None, typer.Option(help="Model variant (see `accord models`).")] = None,
    rounds: Annotated[int | None, typer.Option(help="Rounds per stage for iterative models.")] = None,
    majority_weight: Annotated[str, typer.Option(help="Weight in majority votes: capability or capability-salience.")] = "capability",
    tolerance: Annotated[float, typer.Option(help="Utility (share of the scale at salience 1) an actor gives up for a deal.")] = 0.0,
    accept_by: Annotated[str, typer.Option(help="Judge forecasts by the positions a stage ends with (current) or the stated ones (stated).")] = "current",
    strategy: Annotated[str, typer.Option(help="strategic: owners may drop preconditions, blocking parties give in, packages are tried; none: rules apply mechanically.")] = "strategic",
    format: Annotated[ProcessFmt, typer.Option("--format", "-f")] = ProcessFmt.table,
    plot: Annotated[Path | None, typer.Option(help="Write a timeline chart of the stages (PNG or SVG).")] = None,
    input_format: Annotated[str | None, typer.Option("--input-format", help="Override format detection.")] = None,
) -> None:
    """Which issues are agreed, at which stage, and who blocks the others."""
    from accord.models import get
    from accord.process import run_process

    if stages is not None:
        check_count("--stages", stages, "stages")
    if draws:
        check_count("--draws", draws, "draws")
    check_plot(plot)
    s = _load(scenario, input_format)
    m = get(model)
    params = model_params(m, variant, rounds)
    result = run_process(s, m, stages=stages, draws=draws, seed=seed, drop=drop_precondition or (),
                         params=params, majority_weight=majority_weight, tolerance=tolerance,
                         accept_by=accept_by, strategy=strategy)
    if plot is not None:
        from accord.report.timeline import plot_timeline

        save_plot(plot_timeline(result).figure, plot)
    if format is ProcessFmt.json:
        _print_json(result.to_json())
        return
    title = f"{escape(s.title)}: process over {result.n_stages} stages ({m.name}, {result.strategy}"
    title += f", {draws} draws)" if draws else ")"
    table = Table(title=title, title_justify="left")
    for col in ("issue", "rule", "agreed" if not draws else "p(agreed)", "stage", "outcome", "status quo", "blockers"):
        table.add_column(col, justify="right" if col in ("outcome", "status quo") else "left")
    for item in result.issues():
        if draws:
            agreed = f"{item['p_agreed']:.0%}"
            stage = _stage_text(item["stage_distribution"])
            o = item["outcome_given_agreement"]
            outcome = "—" if o["p50"] is None else f"{o['p50']:.1f} [{o['p5']:.1f}–{o['p95']:.1f}]"
            blockers = _blockers_draws(item)
        else:
            agreed = ("yes" + (f" ({item['agreed_via']})" if item["agreed_via"] not in (None, "alone") else "")
                      if item["agreed"] else item["status"])
            stage = "—" if item["stage"] is None else str(item["stage"])
            outcome = _f(item["outcome"])
            if not item["agreed"] and item["proposal"] is not None:
                outcome += f" (offer {item['proposal']:.1f})"
            blockers = _blockers_point(item)
        table.add_row(escape(item["issue"]), escape(item["rule"]), agreed, stage, outcome,
                      _f(item["status_quo"]), escape(blockers))
    out.print(table)
    import numpy as np

    outcomes = np.array([np.nan if i["outcome"] is None else i["outcome"] for i in result.issues()], float)
    print_meanings(s.with_issues(result.issue_ids), {"process": outcomes},
                   title="What the outcomes mean" + (" (median given agreement)" if draws else
                                                     " (agreed outcome, else the status quo)"))
    _print_chips(result, draws)
    for text in result.dropped:
        out.print(f"[dim]dropped precondition: {escape(text)}[/dim]")
    for note in result.notes:
        out.print(f"[dim]note: {escape(note)}[/dim]")


def _print_chips(result, draws: int) -> None:
    """The strategic mode's moves: preconditions kept or dropped, vetoes used, packages formed."""
    pre = result.preconditions()
    if pre:
        table = Table(title="preconditions (bargaining chips)", title_justify="left")
        for col in ("issue", "requires", "owner", "p(dropped)" if draws else "decision", "why"):
            table.add_column(col)
        for p in pre:
            decision = f"{p['p_dropped']:.0%}" if draws else p["decision"]
            table.add_row(escape(p["issue"]), escape(", ".join(p["requires"])), escape(p["owner"] or "—"),
                          decision, escape(p["why"]))
        out.print(table)
    packages = result.package_deals()
    if packages:
        table = Table(title="package deals", title_justify="left")
        for col in ("issues", "p" if draws else "stage", "why"):
            table.add_column(col)
        for pk in packages:
            table.add_row(escape(" + ".join(pk["issues"])), f"{pk['p']:.0%}" if draws else str(pk["stage"]),
                          escape(pk["why"]))
        out.print(table)
