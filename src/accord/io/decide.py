"""The Decide exchange model's input format (``#A/#P/#M/#D`` records).

One record per line, fields separated by tabs (``;`` and ``,`` are accepted too), text fields
optionally quoted with ``'`` or ``"``:

=====  ==========================================================================
``#A``  actor: key, name, comment
``#P``  issue: key, name, description
``#M``  a labelled point of an issue's scale: issue, position, label
``#D``  a stance: actor, issue, position, salience (0–1), power (0–1), comment
``#/``  comment (also ``#0`` and ``#O``), ignored
=====  ==========================================================================

Choices, as Decide makes them unless said otherwise:

* An issue's scale runs from its lowest to its highest ``#M`` point (0–100 when it has none);
  every ``#M`` point becomes one of :attr:`Issue.anchors`. One ``#M`` point alone is an error.
* Decide gives power per (actor, issue) row. When an actor has the same power on every issue it
  becomes the actor's capability. When it varies, the capability is the actor's mean power and
  the per-row powers are kept in ``Scenario.meta["decide"]["power"]`` (``{actor: {issue:
  power}}``); :func:`accord.models.exchange.power_matrix` turns them into the ``power`` array the exchange model accepts.
* Positions outside the issue's scale, saliences or powers outside 0–1, unknown keys, duplicate
  rows and non-numbers are errors naming the file and line (Decide accepts saliences and powers up
  to 100; accord's saliences are 0–1, so such a file is refused rather than silently rescaled).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from pathlib import Path

import numpy as np

from accord.errors import InputFileError, Problem, ScenarioError
from accord.io._files import read_text, write_atomic
from accord.scenario import Actor, Issue, Scenario, Stance, validate

RECORDS = ("#A", "#P", "#M", "#D")
COMMENTS = ("#/", "#0", "#O")
_SNIFF = re.compile(r"""^\s*['"]?#[APMD/0O]['"]?(\t|;|,)""")


def sniff_decide(text: str) -> str | None:
    """``"decide"`` when the text's first records are Decide ``#A/#P/#M/#D`` lines, else None."""
    lines = [ln for ln in str(text).lstrip("\ufeff").splitlines() if ln.strip()][:5]
    if lines and all(_SNIFF.match(ln) for ln in lines):
        return "decide"
    return None


def _delimiter(lines: list[str]) -> str:
    for d in ("\t", ";", ","):
        if any(d in ln for ln in lines[:20]):
            return d
    return "\t"


def _fields(line: str, delimiter: str) -> list[str]:
    quote = "'" if line.lstrip().startswith("'") else '"'
    row = next(csv.reader(io.StringIO(line), delimiter=delimiter, quotechar=quote, skipinitialspace=True))
    return [f.strip() for f in row]


def read_decide(path: str | os.PathLike, text: str | None = None) -> Scenario:
    """A :class:`Scenario` from a Decide input file (see the module docstring for the choices)."""
    name = str(path)
    if text is None:
        text = read_text(path)
    lines = text.lstrip("\ufeff").splitlines()
    delimiter = _delimiter([ln for ln in lines if ln.strip()])
    problems: list[Problem] = []

    def bad(line_no, message, where=""):
        problems.append(Problem(message, where, name, line_no))

    actors: dict[str, tuple[str, str]] = {}
    issues: dict[str, tuple[str, str]] = {}
    points: dict[str, list[tuple[float, str, int]]] = {}
    rows: list[tuple[int, str, str, float, float, float, str]] = []
    seen: dict[tuple[str, str], int] = {}

    def number(line_no, value, what):
        try:
            x = float(value)
        except ValueError:
            bad(line_no, f"{what} must be a number, got {value!r}")
            return None
        if not math.isfinite(x):
            bad(line_no, f"{what} must be finite, got {value!r}")
            return None
        return x

    for line_no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            f = _fields(line, delimiter)
        except csv.Error as exc:
            bad(line_no, f"cannot parse the line: {exc}")
            continue
        kind = f[0].upper() if f else ""
        if kind in COMMENTS or kind.startswith("#/"):
            continue
        if kind not in RECORDS:
            bad(line_no, f"unknown record {f[0]!r}; expected one of {', '.join(RECORDS)} (or a #/ comment)")
            continue
        if kind in ("#A", "#P"):
            if len(f) < 2 or not f[1]:
                bad(line_no, f"{kind} needs a key")
                continue
            table, what = (actors, "actor") if kind == "#A" else (issues, "issue")
            if f[1] in table:
                bad(line_no, f"duplicate {what} {f[1]!r}")
                continue
            table[f[1]] = ((f[2] if len(f) > 2 and f[2] else f[1]), " ".join(f[3:]).strip())
        elif kind == "#M":
            if len(f) < 3:
                bad(line_no, "#M needs an issue and a position")
                continue
            x = number(line_no, f[2], "scale point")
            if x is not None:
                points.setdefault(f[1], []).append((x, " ".join(f[3:]).strip(), line_no))
        else:
            if len(f) < 6:
                bad(line_no, f"#D needs actor, issue, position, salience and power; found {len(f) - 1} field(s)")
                continue
            a, i = f[1], f[2]
            vals = [number(line_no, v, w) for v, w in zip(f[3:6], ("position", "salience", "power"), strict=True)]
            if None in vals:
                continue
            if (a, i) in seen:
                bad(line_no, f"duplicate stance of {a!r} on {i!r} (first on line {seen[a, i]})")
                continue
            seen[a, i] = line_no
            rows.append((line_no, a, i, *vals, " ".join(f[6:]).strip()))

    scales: dict[str, tuple[float, float]] = {}
    for key in issues:
        pts = points.get(key, [])
        if len(pts) == 1:
            bad(pts[0][2], f"issue {key!r} has one #M scale point; give at least its two ends")
        values = [v for v, _, _ in pts]
        lo, hi = (min(values), max(values)) if len(pts) > 1 else (0.0, 100.0)
        if len(pts) > 1 and lo == hi:
            bad(pts[0][2], f"issue {key!r}: its #M points are all {lo:g}; the scale needs two distinct ends")
        scales[key] = (lo, hi)
    for key, pts in points.items():
        if key not in issues:
            bad(pts[0][2], f"#M for unknown issue {key!r}; define it with #P first")

    power: dict[str, dict[str, float]] = {}
    stances = []
    for line_no, a, i, pos, sal, pw, comment in rows:
        ok = True
        if a not in actors:
            bad(line_no, f"unknown actor {a!r}; define it with #A", "actor")
            ok = False
        if i not in issues:
            bad(line_no, f"unknown issue {i!r}; define it with #P", "issue")
            ok = False
        if not 0 <= sal <= 1:
            bad(line_no, f"salience must be in [0, 1], got {sal:g}", "salience")
            ok = False
        if not 0 <= pw <= 1:
            bad(line_no, f"power must be in [0, 1], got {pw:g}", "power")
            ok = False
        if i in scales:
            lo, hi = scales[i]
            if not lo <= pos <= hi:
                bad(line_no, f"position {pos:g} is off the issue's scale [{lo:g}, {hi:g}]", "position")
                ok = False
        if ok:
            stances.append(Stance(a, i, pos, sal, rationale=comment))
            power.setdefault(a, {})[i] = pw
    if not actors:
        problems.append(Problem("no #A actor records found", "", name))
    if problems:
        raise ScenarioError(problems)

    capability, varies = {}, {}
    for a in actors:
        values = list(power.get(a, {}).values())
        if len(set(values)) > 1:
            capability[a] = float(np.mean(values))
            varies[a] = power[a]
        else:  # the typed number itself (a mean of equal floats can be off in the last bit)
            capability[a] = values[0] if values else 0.0
    scenario = Scenario(
        title=Path(name).stem,
        actors=tuple(Actor(a, nm, capability[a], description=desc) for a, (nm, desc) in actors.items()),
        issues=tuple(
            Issue(k, nm, scales[k][0], scales[k][1], anchors=tuple((v, lab) for v, lab, _ in sorted(points.get(k, []))),
                  description=desc)
            for k, (nm, desc) in issues.items()
        ),
        stances=tuple(stances),
        meta={"decide": {"power": {a: dict(power[a]) for a in varies}} if varies else {}},
    )
    later = validate(scenario)
    if later:
        raise ScenarioError([p.located(name) for p in later])
    return scenario




def _q(text: str) -> str:
    return "'" + str(text).replace("'", "’").replace("\t", " ").replace("\n", " ") + "'"


def dumps_decide(scenario: Scenario) -> str:
    """The scenario as Decide input text (scale ends always written as #M points)."""
    per_row = ((scenario.meta or {}).get("decide") or {}).get("power") or {}
    out = []
    for a in scenario.actors:
        out.append("\t".join(["'#A'", _q(a.id), _q(a.name), _q(a.description)]))
    for i in scenario.issues:
        out.append("\t".join(["'#P'", _q(i.id), _q(i.name), _q(i.description)]))
        anchors = dict(i.anchors)
        anchors.setdefault(i.lower, "")
        anchors.setdefault(i.upper, "")
        for v in sorted(anchors):
            label = anchors[v]
            out.append("\t".join(["'#M'", _q(i.id), repr(float(v))] + ([_q(label)] if label else [])))
    caps = {a.id: a.capability for a in scenario.actors}
    for s in scenario.stances:
        pw = per_row.get(s.actor, {}).get(s.issue, caps[s.actor])
        row = ["'#D'", _q(s.actor), _q(s.issue), repr(float(s.position)), repr(float(s.salience)), repr(float(pw))]
        if s.rationale:
            row.append(_q(s.rationale))
        out.append("\t".join(row))
    return "\n".join(out) + "\n"


def write_decide(scenario: Scenario, path: str | os.PathLike) -> None:
    """Write ``scenario`` as a Decide input file (capability as each row's power)."""
    for s in scenario.stances:
        if not 0 <= s.salience <= 1:
            raise InputFileError(f"{path}: salience of {s.actor} on {s.issue} is {s.salience}; Decide needs 0–1")
    caps = [a.capability for a in scenario.actors]
    if caps and max(caps) > 1:
        raise InputFileError(
            f"{path}: Decide's power is 0–1 but capabilities go up to {max(caps):g}; rescale them first"
        )
    write_atomic(path, dumps_decide(scenario))
