"""``accord draft`` (a scenario skeleton from news reports) and ``accord evidence`` (statements
from reports attached to an existing scenario's stances)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from accord.cli.common import InputFormatOpt, _load, _print_json, app, err, out


class DraftFmt(StrEnum):
    yaml = "yaml"
    json = "json"


class Recogniser(StrEnum):
    auto = "auto"
    spacy = "spacy"
    rules = "rules"


RecogniserOpt = Annotated[
    Recogniser,
    typer.Option(help="Named-entity recogniser: auto (spaCy's English pipeline when installed, else the "
                      "gazetteer and rules), spacy (required), rules (gazetteer and rules only)."),
]


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    from accord.io._files import write_atomic

    write_atomic(output, text)


@app.command()
def draft(
    texts: Annotated[list[Path], typer.Argument(help="News reports, plain text or HTML (one or more).")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the scenario skeleton (or JSON) here instead of standard output.")] = None,
    format: Annotated[DraftFmt, typer.Option("--format", "-f", help="yaml: a scenario skeleton `accord validate` accepts; json: actors, statements, issues, preconditions.")] = DraftFmt.yaml,
    recogniser: RecogniserOpt = Recogniser.auto,
    max_issues: Annotated[int, typer.Option(help="Keep at most this many candidate issues (most evidence first).", min=1, max=50)] = 8,
    title: Annotated[str | None, typer.Option(help="The scenario's title (default: the first report's headline).")] = None,
) -> None:
    """Draft a scenario from news reports: parties, their statements, issues, preconditions."""
    from accord.draft import draft as make_draft
    from accord.io.yaml_format import dumps

    err.print(f"reading {len(texts)} report(s)…")
    d = make_draft(texts, recogniser=recogniser.value, max_issues=max_issues)
    summary = (f"drafted {len(d.entities.parties)} actors, {sum(1 for s in d.statements if s.party)} attributed "
               f"statements ({sum(1 for s in d.statements if not s.party)} unattributed), {len(d.issues)} issues, "
               f"{len(d.preconditions)} preconditions with {d.recogniser}")
    for x in d.left_out:
        err.print(escape(f"left out {x['what']} {x.get('name') or x['issue'] + ' after ' + ', '.join(x['requires'])}: "
                         f"{x['why']}"))
    if format is DraftFmt.json:
        if output is None:
            _print_json(d.to_json())
        else:
            import json

            from accord.jsonable import jsonable

            _write(json.dumps(jsonable(d.to_json()), indent=2, ensure_ascii=False) + "\n", output)
        err.print(escape(summary))
        return
    scenario = d.to_scenario(title)
    header = (
        f"# Drafted by `accord draft` from {', '.join(r.name for r in d.reports)}\n"
        f"# with {d.recogniser}.\n"
        "# `unknown` means no estimate yet: give each actor a capability and each stance a position and a\n"
        "# salience (or delete the stance), set each issue's scale, anchors and status quo, and check the\n"
        "# actors, issues and preconditions against the evidence. Models refuse the file until then.\n"
    )
    _write(header + dumps(scenario), output)
    err.print(escape(summary) + (f"; wrote {output}" if output else ""))


@app.command()
def evidence(
    texts: Annotated[list[Path], typer.Argument(help="News reports (plain text or HTML), then the scenario file last.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the scenario with the evidence attached here (YAML).")] = None,
    format: Annotated[DraftFmt, typer.Option("--format", "-f", help="yaml: the scenario with evidence; json: what was attached and what was not.")] = DraftFmt.yaml,
    recogniser: RecogniserOpt = Recogniser.auto,
    input_format: InputFormatOpt = None,
) -> None:
    """Attach statements from news reports to a scenario's stances as evidence, for review.

    Usage: accord evidence REPORT [REPORT…] SCENARIO
    """
    from accord.draft import draft as make_draft
    from accord.draft.evidence import attach
    from accord.errors import InputFileError
    from accord.io.yaml_format import dumps

    if len(texts) < 2:
        raise InputFileError("expected one or more news reports and then the scenario: accord evidence REPORT… SCENARIO")
    *reports, scenario_path = texts
    scenario = _load(scenario_path, input_format)
    d = make_draft(reports, recogniser=recogniser.value)
    updated, attached, unmatched = attach(scenario, d)
    if format is DraftFmt.json:
        _print_json({
            "recogniser": d.recogniser,
            "attached": [{"actor": a.actor, "issue": a.issue, "quote": a.evidence.quote, "source": a.evidence.source,
                          "sentence": a.evidence.sentence, "score": a.score} for a in attached],
            "unmatched": [{"text": u.text, "speaker": u.speaker, "party": u.party, "reason": u.reason} for u in unmatched],
        })
    else:
        _write(dumps(updated), output)
    table = Table(title=f"{len(attached)} statement(s) attached, {len(unmatched)} not", title_justify="left")
    for col in ("actor", "issue", "quote"):
        table.add_column(col)
    for a in attached:
        table.add_row(escape(a.actor), escape(a.issue), escape(a.evidence.quote[:100]))
    (err if format is DraftFmt.json or output is None else out).print(table)
    for u in unmatched[:20]:
        err.print(f"[dim]not attached: “{escape(u.text[:80])}” ({escape(u.reason)})[/dim]")
