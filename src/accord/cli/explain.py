"""``accord explain``: why each issue lands where it does, in words and figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from accord.cli.common import (
    Fmt,
    InputFormatOpt,
    ParamOpt,
    _fmt,
    _load,
    _print_json,
    app,
    out,
    parse_params,
    progress_bar,
)
from accord.errors import AccordError


@app.command()
def explain(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (any supported format).")],
    model: Annotated[str, typer.Option("--model", "-m", help="The model explained (pulls, derivatives, smallest change).")] = "compromise",
    models: Annotated[list[str] | None, typer.Option(
        "--models", help="Models whose spread says how sure the forecast is (repeatable or comma-separated; "
                         "default: every model).")] = None,
    issue: Annotated[list[str] | None, typer.Option(help="Only these issues (repeatable).")] = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws of the explained model over the input uncertainty (0: none).", min=0)] = 0,
    seed: Annotated[int, typer.Option(help="Seed for stochastic models and draws.")] = 0,
    top: Annotated[int, typer.Option(help="Actors listed per issue, most pivotal first.", min=1)] = 6,
    param: ParamOpt = None,
    format: Annotated[Fmt, typer.Option("--format", "-f", help="table or json (csv: the actors' figures).")] = Fmt.table,
    input_format: InputFormatOpt = None,
) -> None:
    """Why each issue lands where it does: a summary to quote, the pivotal actors, the camps, and
    the smallest single change that would move the outcome to another anchor (docs/explain.md).
    """
    from accord.explain import explain as run
    from accord.models import registry

    s = _load(scenario, input_format)
    for i in issue or ():
        if i not in s.issue_ids:
            raise AccordError(f"--issue: unknown issue {i!r}; issues: {', '.join(s.issue_ids)}")
    chosen = registry.resolve(models) if models else registry.resolve(None)
    explained = registry.get(model)
    params = parse_params(param, list(dict.fromkeys([explained, *chosen])))
    with progress_bar(f"explaining with {explained.name}", "steps") as bar:
        task = bar.add_task("explain", total=None)
        doc = run(s, explained.name, models=[m.name for m in chosen], draws=draws, seed=seed, params=params,
                  progress=lambda done, total: bar.update(task, completed=done, total=total))
    if issue:
        doc["issues"] = [item for item in doc["issues"] if item["issue"] in issue]
    if format is Fmt.json:
        _print_json(doc)
        return
    if format is Fmt.csv:
        import csv
        import sys

        w = csv.writer(sys.stdout, lineterminator="\n")
        keys = ["actor", "name", "position", "weight_share", "pull", "leverage", "capability_effect", "side"]
        w.writerow(["issue", *keys, "pivotal"])
        for item in doc["issues"]:
            for r in item["actors"]:
                w.writerow([item["issue"], *[r[k] for k in keys], r["actor"] in item["pivotal"]])
        return
    out.print(f"[bold]{escape(s.title)}[/bold]: why each issue lands where it does ({explained.title}; "
              f"spread over {len(doc['models'])} models{f', {draws} draws' if draws else ''})")
    for item in doc["issues"]:
        _print_issue(item, top)
    out.print("[dim]pull: the forecast minus the forecast without the actor; leverage: forecast points per point the "
              "actor's position moves; cap +10 %: the forecast's move if its capability were 10 % higher; "
              "weight: its share of capability × salience. `--format json` has every figure and "
              "`docs/explain.md` the measures.[/dim]")
    for note in doc["notes"]:
        out.print(f"[dim]note: {escape(note)}[/dim]")


def _print_issue(item: dict, top: int) -> None:
    out.print()
    sc = item["scale"]
    out.print(f"[bold]{escape(item['issue_name'])}[/bold] [dim]({escape(item['issue'])}, "
              f"{sc['lower']:g}–{sc['upper']:g})[/dim]")
    out.print(escape(item["summary"]))
    table = Table(show_edge=False, box=None, padding=(0, 1))
    for col in ("actor", "position", "weight", "pull", "leverage", "cap +10 %", "camp"):
        table.add_column(col, justify="left" if col == "actor" else "right")
    camp = {a: k + 1 for k, c in enumerate(item["coalitions"]) for a in c["members"]}
    for r in item["actors"][:top]:
        mark = " [bold]*[/bold]" if r["actor"] in item["pivotal"] else ""
        table.add_row(escape(r["name"]) + mark, _fmt(r["position"], 1), f"{r['weight_share']:.0%}" if r["weight_share"] is not None else "—",
                      _signed(r["pull"]), _fmt(r["leverage"], 2), _signed(r["capability_effect"]),
                      str(camp.get(r["actor"], "")))
    out.print(table)
    more = len(item["actors"]) - top
    rest = f"; {more} more actor{'s' if more > 1 else ''} in --format json" if more > 0 else ""
    out.print(f"[dim]* pivotal{rest}[/dim]")


def _signed(x) -> str:
    return "—" if x is None or x != x else f"{x:+.1f}"
