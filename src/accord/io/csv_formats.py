"""Tidy CSV (one row per actor × issue), pandas DataFrames, and the one-issue BDM CSV."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from accord.errors import InputFileError, Problem, ScenarioError
from accord.limits import limit
from accord.scenario import Actor, Issue, Scenario, Stance, size_problems, validate

if TYPE_CHECKING:  # pandas only when a frame is made: a YAML forecast does not need it (~0.15 s)
    import pandas as pd

TIDY_REQUIRED = ("actor", "issue", "position", "salience")
TIDY_COLUMNS = (
    "actor", "issue", "position", "salience", "capability", "actor_name", "issue_name",
    "status_quo", "lower", "upper", "low", "high", "veto", "group", "colour", "rationale", "source",
)
BDM_COLUMNS = ("actor", "capability", "position", "salience")


@dataclass
class Table:
    """CSV rows with the line each came from (1-based, header = line 1)."""

    name: str
    header: list[str]
    rows: list[dict[str, str]]
    lines: list[int]


def read_table(text: str, name: str, required: tuple[str, ...], *, delimiter: str = ",") -> Table:
    """Parse CSV text; header names are matched case-insensitively, spaces stripped."""
    if not text.strip():
        raise InputFileError(f"{name}: the file is empty; expected a header line with {', '.join(required)}")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        raise InputFileError(f"{name}:1: cannot parse the header: {exc}") from None
    duplicate_columns(header, name)
    missing = [c for c in required if c not in header]
    if missing:
        for other in (";", "\t", "|"):
            if other != delimiter and other in ",".join(header):
                raise InputFileError(
                    f"{name}:1: the columns look separated by {other!r}; expected {delimiter!r}-separated "
                    f"columns {', '.join(required)}"
                )
        raise InputFileError(f"{name}:1: missing column(s) {', '.join(missing)}; found {', '.join(header) or 'none'}")
    rows, lines = [], []
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(header) and any(c.strip() for c in record[len(header):]):
                raise InputFileError(f"{name}:{line}: {len(record)} fields but the header has {len(header)}")
            rows.append({h: (record[k].strip() if k < len(record) else "") for k, h in enumerate(header)})
            lines.append(line)
    except csv.Error as exc:
        raise InputFileError(f"{name}:{reader.line_num}: cannot parse CSV: {exc}") from None
    return Table(name, header, rows, lines)


def duplicate_columns(header: list[str], name: str) -> None:
    """Refuse a header that names a column twice (which copy would count is anybody's guess)."""
    seen: dict[str, int] = {}
    for k, h in enumerate(header, 1):
        if h and h in seen:
            raise InputFileError(f"{name}:1: column {h!r} appears twice (columns {seen[h]} and {k}); keep one")
        seen.setdefault(h, k)


TRUE = ("1", "true", "yes", "y", "1.0", "t")
FALSE = ("", "0", "false", "no", "n", "0.0", "f")


def salience_scale(values: list[tuple[float | None, int]], name: str, column: str = "salience") -> float:
    """The divisor that puts a salience column on 0–1: 1 (already 0–1) or 100 (0–100).

    A column with values above 1 is read as percentages; one that also has values strictly
    between 0 and 1 mixes the two scales and is refused with a line of each, rather than having
    its small values divided by 100 too.
    """
    finite = [(v, line) for v, line in values if v is not None and math.isfinite(v)]
    big = next(((v, line) for v, line in finite if v > 1), None)
    if big is None:
        return 1.0
    small = next(((v, line) for v, line in finite if 0 < v < 1), None)
    if small is not None:
        raise ScenarioError([Problem(
            f"the {column} column mixes the 0–1 scale (line {small[1]}: {small[0]:g}) and the 0–100 scale "
            f"(line {big[1]}: {big[0]:g}); write every {column} on one scale", f"column {column}", name, small[1])])
    return 100.0


def _number(table: Table, k: int, col: str, problems: list[Problem], *, required: bool = True):
    raw = table.rows[k].get(col, "")
    if raw == "":
        if required:
            problems.append(Problem(f"missing {col}", f"column {col}", table.name, table.lines[k]))
            return math.nan
        return None
    try:
        v = float(raw)
    except ValueError:
        problems.append(Problem(f"{col} must be a number, got {raw!r}", f"column {col}", table.name, table.lines[k]))
        return math.nan
    if not math.isfinite(v):
        problems.append(Problem(f"{col} must be a finite number, got {raw!r}", f"column {col}", table.name, table.lines[k]))
    return v


def _located(problems: list[Problem], lines: dict[str, int], name: str) -> list[Problem]:
    out = []
    for p in problems:
        line = None
        for key, ln in lines.items():
            if p.where.startswith(key):
                line = ln
                break
        out.append(Problem(p.message, p.where, name, line))
    return out


def read_tidy(text: str, name: str = "<csv>") -> Scenario:
    """A scenario from a tidy CSV: one row per actor × issue.

    Required columns: actor, issue, position, salience. Optional: capability (per actor, default
    1), actor_name, issue_name, status_quo, lower, upper (per issue, default 0–100), low, high,
    veto (true/yes/1 or false/no/0/empty: whether the actor can veto the issue), group, colour,
    rationale, source. Per-actor and per-issue columns may be given on one row or repeated on
    every row, never with different values. Salience may be on 0–1 or 0–100 (then divided by
    100), not a mix of the two. A column named twice is refused. Decision rules, scale labels,
    preconditions and linkages need the YAML format.
    """
    t = read_table(text, name, TIDY_REQUIRED)
    if not t.rows:
        raise InputFileError(f"{name}: no data rows after the header")
    problems: list[Problem] = []
    actors: dict[str, dict] = {}
    issues: dict[str, dict] = {}
    stances = []
    lines: dict[str, int] = {}
    saliences = [_number(t, k, "salience", []) for k in range(len(t.rows))]
    scale = salience_scale(list(zip(saliences, t.lines, strict=True)), name)

    def same(entry: dict, key: str, value, col: str, what: str, line: int) -> None:
        """Record a per-actor or per-issue value; a row that contradicts an earlier one is a problem."""
        if value is None or value == "":
            return
        if entry.get(key) is None:
            entry[key], entry[f"{key}_line"] = value, line
        elif entry[key] != value:
            shown = (lambda v: f"{v:g}") if isinstance(value, float) else repr
            problems.append(Problem(
                f"{what} has {col} {shown(entry[key])} on line {entry[f'{key}_line']} and {shown(value)} here; "
                f"give it once, or the same on every row", f"column {col}", name, line))

    for k, row in enumerate(t.rows):
        line = t.lines[k]
        a, i = row["actor"], row["issue"]
        if not a or not i:
            problems.append(Problem("actor and issue must not be empty", "", name, line))
            continue
        entry = actors.setdefault(a, {"capability": None, "name": None, "group": None, "colour": None, "line": line})
        same(entry, "capability", _number(t, k, "capability", problems, required=False), "capability", f"actor {a!r}", line)
        for col, key in (("actor_name", "name"), ("group", "group"), ("colour", "colour")):
            same(entry, key, row.get(col, ""), col, f"actor {a!r}", line)
        iss = issues.setdefault(i, {"name": None, "status_quo": None, "lower": None, "upper": None, "line": line})
        same(iss, "name", row.get("issue_name", ""), "issue_name", f"issue {i!r}", line)
        for col in ("status_quo", "lower", "upper"):
            same(iss, col, _number(t, k, col, problems, required=False), col, f"issue {i!r}", line)
        pos = _number(t, k, "position", problems)
        sal = _number(t, k, "salience", problems)
        if isinstance(sal, float):
            sal = sal / scale
        veto = row.get("veto", "").strip().lower()
        if veto in TRUE:
            iss.setdefault("veto", []).append(a)
        elif veto not in FALSE:
            problems.append(Problem(f"veto must be true or false (yes/no, 1/0, or empty), got {row.get('veto')!r}",
                                    "column veto", name, line))
        lines.setdefault(f"stances[{a}][{i}]", line)
        lines.setdefault(f"actors[{a}]", entry["line"])
        lines.setdefault(f"issues[{i}]", iss["line"])
        stances.append(Stance(a, i, pos, sal,
                              low=_number(t, k, "low", problems, required=False),
                              high=_number(t, k, "high", problems, required=False),
                              rationale=row.get("rationale", ""), source=row.get("source", "")))
        if len(actors) > limit("actors") or len(issues) > limit("issues"):
            raise ScenarioError(size_problems(len(actors), len(issues)), file=name)
    if problems:
        raise ScenarioError(problems)
    scenario = Scenario(
        title=name,
        actors=tuple(Actor(a, d["name"] or a, 1.0 if d["capability"] is None else d["capability"], d["group"], d["colour"]) for a, d in actors.items()),
        issues=tuple(
            Issue(i, d["name"] or i, 0.0 if d["lower"] is None else d["lower"], 100.0 if d["upper"] is None else d["upper"],
                  status_quo=d["status_quo"], veto=tuple(d.get("veto", ())))
            for i, d in issues.items()
        ),
        stances=tuple(stances),
    )
    found = validate(scenario)
    if found:
        raise ScenarioError(_located(found, lines, name))
    return scenario


def to_frame(s: Scenario) -> pd.DataFrame:
    """The scenario as a tidy DataFrame (one row per stance, columns as :data:`TIDY_COLUMNS`)."""
    actors = {a.id: a for a in s.actors}
    issues = {i.id: i for i in s.issues}
    rows = []
    for st in s.stances:
        a, i = actors[st.actor], issues[st.issue]
        rows.append({
            "actor": st.actor, "issue": st.issue, "position": st.position, "salience": st.salience,
            "capability": a.capability, "actor_name": a.name, "issue_name": i.name,
            "status_quo": i.status_quo, "lower": i.lower, "upper": i.upper, "low": st.low,
            "high": st.high, "veto": st.actor in i.veto, "group": a.group, "colour": a.colour, "rationale": st.rationale,
            "source": st.source,
        })
    import pandas as pd

    return pd.DataFrame(rows, columns=list(TIDY_COLUMNS))


def from_frame(df: pd.DataFrame, title: str = "scenario") -> Scenario:
    """A scenario from a tidy DataFrame (the inverse of :func:`to_frame`)."""
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    s = read_tidy(buf.getvalue(), name="<DataFrame>")
    return s.replace(title=title)


def write_tidy(s: Scenario) -> str:
    buf = io.StringIO()
    to_frame(s).to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def read_bdm(text: str, name: str = "<csv>") -> Scenario:
    """A one-issue scenario from the classic BDM layout ``Actor,Capability,Position,Salience``.

    The scale runs from the lowest to the highest position (the classic examples use their own
    units, e.g. years); salience may be 0–1 or 0–100 (then divided by 100).
    """
    t = read_table(text, name, BDM_COLUMNS)
    if not t.rows:
        raise InputFileError(f"{name}: no data rows after the header")
    problems: list[Problem] = []
    caps = [_number(t, k, "capability", problems) for k in range(len(t.rows))]
    pos = [_number(t, k, "position", problems) for k in range(len(t.rows))]
    sal = [_number(t, k, "salience", problems) for k in range(len(t.rows))]
    if problems:
        raise ScenarioError(problems)
    divisor = salience_scale(list(zip(sal, t.lines, strict=True)), name)
    sal = [s / divisor for s in sal]
    ids = [r["actor"] for r in t.rows]
    finite = [p for p in pos if math.isfinite(p)]
    lower, upper = (min(finite), max(finite)) if finite else (0.0, 100.0)
    if lower == upper:
        lower, upper = lower - 1, upper + 1
    scenario = Scenario(
        title=name,
        actors=tuple(Actor(a, a, c) for a, c in zip(ids, caps, strict=True)),
        issues=(Issue("issue", "issue", lower, upper),),
        stances=tuple(Stance(a, "issue", p, s) for a, p, s in zip(ids, pos, sal, strict=True)),
    )
    found = validate(scenario)
    if found:
        lines = {}
        for k, a in enumerate(ids):
            lines.setdefault(f"actors[{a}]", t.lines[k])
            lines.setdefault(f"stances[{a}]", t.lines[k])
        raise ScenarioError(_located(found, lines, name))
    return scenario


def write_bdm(s: Scenario) -> str:
    if len(s.issues) != 1:
        raise InputFileError(f"the BDM CSV layout holds one issue; this scenario has {len(s.issues)}")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Actor", "Capability", "Position", "Salience"])
    caps = {a.id: a.capability for a in s.actors}
    for st in s.stances:
        w.writerow([st.actor, repr(caps[st.actor]), repr(st.position), repr(st.salience)])
    return buf.getvalue()
