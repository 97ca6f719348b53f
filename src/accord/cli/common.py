"""What every command shares: the Typer app, the consoles, common options and output helpers."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from accord.errors import AccordError

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    help="accord: forecast multi-party negotiations.",
)
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)


class Fmt(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


ModelOpt = Annotated[
    list[str] | None,
    typer.Option("--model", "-m", help="Model name (repeatable, or comma-separated); 'all' for every model."),
]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="Model parameter NAME=VALUE, or MODEL.NAME=VALUE for one model "
                 "(repeatable), e.g. ties=random, exchange.repetitions=100; see `accord models --params`."),
]
InputFormatOpt = Annotated[
    str | None, typer.Option("--input-format", help="Override format detection (yaml, tidy, bdm, ktab-csv, ktab-xml, decide, deu).")
]


def progress_bar(what: str, unit: str = "chunks", *, quiet: bool = False):
    """A rich progress bar on stderr with the time left, for work that reports its steps (quiet
    when asked and when stderr is not a terminal)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn(f"[bold]{what}"), BarColumn(), MofNCompleteColumn(), TextColumn(unit),
        TimeElapsedColumn(), TextColumn("· left"), TimeRemainingColumn(), console=err, transient=True,
        disable=quiet or not err.is_terminal,
    )
def check_plot(path: Path | None) -> None:
    """Refuse a chart path that cannot be written (missing folder, unknown extension, ...)
    before any work is done."""
    if path is not None:
        from accord.io._files import PLOT_SUFFIXES, check_output

        check_output(path, suffixes=PLOT_SUFFIXES, what="chart")


def save_plot(fig, path: Path) -> None:
    """Write a matplotlib figure atomically; the format follows the extension."""
    from accord.io._files import PLOT_SUFFIXES, write_with

    write_with(path, lambda tmp: fig.savefig(tmp, bbox_inches="tight", format=path.suffix.lower().lstrip(".")),
               suffixes=PLOT_SUFFIXES, what="chart")


def _load(path: Path, input_format: str | None):
    from accord.io import read_scenario

    return read_scenario(path, format=input_format)


def _print_json(data) -> None:
    """Strict JSON on stdout: NumPy scalars become numbers, NaN becomes null."""
    from accord.jsonable import jsonable

    sys.stdout.write(json.dumps(jsonable(data), indent=2, allow_nan=False) + "\n")


def _emit_machine(format: Fmt, data, frame) -> bool:
    """Write ``data()`` as JSON or ``frame()`` as CSV when the format asks for it; True if written."""
    if format is Fmt.json:
        _print_json(data())
        return True
    if format is Fmt.csv:
        sys.stdout.write(frame().to_csv(index=False))
        return True
    return False


def model_params(m, variant: str | None, rounds: int | None) -> dict:
    """The ``--variant`` and ``--rounds`` options as model keyword arguments, checked against the
    model's parameter table (:mod:`accord.models.params`)."""
    from accord.models.params import check

    params: dict = {}
    for flag, key, value in (("--variant", "variant", variant), ("--rounds", "rounds", rounds)):
        if value is None:
            continue
        if key not in m.params:
            raise AccordError(f"{flag}: model {m.name} has no {key}")
        try:
            params |= check(m.params, {key: value}, m.name)
        except AccordError as exc:
            raise AccordError(f"{flag}: {exc}") from None
    return params


def parse_params(specs: list[str] | None, models) -> dict[str, dict]:
    """``--param`` options as keyword arguments per model name, each checked against the
    parameters the model declares. A value is read as YAML (``100`` an int, ``0.3`` a float,
    ``true`` or ``yes`` a bool, ``random`` a string; ``010`` is ten, never octal)."""
    from accord.io.yaml_format import value as read_value

    out: dict[str, dict] = {}
    for spec in specs or ():
        name, eq, text = spec.partition("=")
        if not eq or not name.strip():
            raise AccordError(f"--param {spec!r}: expected NAME=VALUE or MODEL.NAME=VALUE")
        target, dot, key = name.strip().rpartition(".")
        chosen = [m for m in models if m.name == target] if dot else list(models)
        if dot and not chosen:
            raise AccordError(f"--param {spec!r}: model {target!r} is not among those run "
                              f"({', '.join(m.name for m in models)})")
        takers = [m for m in chosen if key in m.params]
        if takers and not all(m.params[key].settable for m in takers):
            raise AccordError(f"--param {spec!r}: {key} is {takers[0].params[key].allowed}; a single value is "
                              "expected here (arrays such as forbidden linkages come from the scenario file)")
        if not takers:
            known = "; ".join(f"{m.name}: {', '.join(m.params) or 'none'}" for m in chosen)
            raise AccordError(f"--param {spec!r}: no model here takes {key!r} (parameters: {known})")
        try:
            value = read_value(text, f"--param {spec!r}") if text.strip() else None
        except AccordError:
            value = text  # not a YAML value: the parameter's check says what it should be
        if isinstance(value, str) and value.strip().lower() in ("yes", "no", "on", "off"):
            value = value.strip().lower() in ("yes", "on")  # a switch on the command line
        if isinstance(value, (list, dict)):
            raise AccordError(f"--param {spec!r}: a single value is expected (arrays such as forbidden "
                              "linkages come from the scenario file)")
        for m in takers:
            out.setdefault(m.name, {})[key] = value
    return out


def _fmt(x: float, digits: int = 2) -> str:
    return "—" if x != x else f"{x:.{digits}f}"


def print_meanings(scenario, outcomes: dict, title: str = "What the forecasts mean") -> None:
    """Under a table of numbers: each issue's forecasts in the issue's words (:mod:`accord.labels`),
    models that say the same thing grouped on one line."""
    from rich.markup import escape

    from accord.labels import Scale, outcome_label

    out.print(f"[bold]{title}[/bold] [dim](anchors of each issue's scale; 'no change' = within 0.5 % of "
              "the status quo)[/dim]")
    for k, issue in enumerate(scenario.issues):
        scale = Scale.of(issue)
        groups: dict[str, list[tuple[str, float]]] = {}
        for name, values in outcomes.items():
            groups.setdefault(outcome_label(float(values[k]), scale), []).append((name, float(values[k])))
        out.print(f"  [bold]{escape(issue.name)}[/bold]")
        for label, models in sorted(groups.items(), key=lambda g: min((x for _, x in g[1] if x == x), default=1e300)):
            text = ", ".join(f"{name} {_fmt(x, 1)}" for name, x in models)
            out.print(f"    {escape(label)}: [dim]{escape(text)}[/dim]")
