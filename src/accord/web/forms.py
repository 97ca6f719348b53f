"""The scenario editor's form: a scenario to form fields and back, with problems located on fields.

Rows are indexed by their place in the form (``a3_name``, ``i1_status_quo``, ``s3_1_salience``),
so renaming an actor or an issue keeps its stances. Parts the editor does not show (sources,
preconditions, linkages, meta, each stance's evidence) are carried over from the version being
edited, following renamed and removed actors and issues. A capability, position or salience may
read ``unknown`` (no estimate yet), as in a drafted scenario.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace

from accord.errors import Problem
from accord.report.charts import actor_colour, default_colour
from accord.scenario import (
    COLOUR,
    DECISION_RULES,
    Actor,
    DecisionRule,
    Evidence,
    Issue,
    Linkage,
    Precondition,
    Scenario,
    Stance,
)

ACTOR_FIELDS = ("id", "name", "capability", "group", "colour", "description", "rationale")
ISSUE_FIELDS = ("id", "name", "lower", "upper", "status_quo", "anchors", "rule", "parties", "threshold",
                "veto", "group", "description", "rationale")
STANCE_FIELDS = ("position", "salience", "low", "high", "rationale", "source")
MAX_ROWS = 2000
UNKNOWN = "unknown"  # "no estimate yet", as in accord YAML (io.yaml_format.UNKNOWN)


def _num(v) -> str:
    if v is None:
        return ""
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def _est(v) -> str:
    return UNKNOWN if v is None else _num(v)


def draft_from_scenario(s: Scenario) -> dict:
    """Form values (all strings) for a scenario."""
    a_index = {a.id: k for k, a in enumerate(s.actors)}
    i_index = {i.id: k for k, i in enumerate(s.issues)}
    stances = {}
    for st in s.stances:
        if st.actor in a_index and st.issue in i_index:
            stances[(a_index[st.actor], i_index[st.issue])] = {
                "position": _est(st.position), "salience": _est(st.salience), "low": _num(st.low),
                "high": _num(st.high), "rationale": st.rationale, "source": st.source,
            }
    return {
        "title": s.title, "date": s.date, "description": s.description,
        "actors": [
            {"orig": a.id, "id": a.id, "name": a.name, "capability": _est(a.capability), "group": a.group or "",
             "colour": a.colour or "", "description": a.description, "rationale": a.rationale}
            for a in s.actors
        ],
        "issues": [
            {"orig": i.id, "id": i.id, "name": i.name, "lower": _num(i.lower), "upper": _num(i.upper),
             "status_quo": _num(i.status_quo),
             "anchors": "\n".join(f"{_num(v)}: {label}" for v, label in i.anchors),
             "rule": i.rule.kind, "parties": ", ".join(i.rule.parties), "threshold": _num(i.rule.threshold),
             "veto": ", ".join(i.veto), "group": i.group or "", "description": i.description, "rationale": i.rationale}
            for i in s.issues
        ],
        "stances": stances,
    }


def draft_from_form(form: Mapping[str, str]) -> dict:
    """Form values from a submitted editor form (rows marked for removal are dropped)."""

    def count(key: str) -> int:
        try:
            return max(0, min(int(form.get(key, "0")), MAX_ROWS))
        except ValueError:
            return 0

    n_actors, n_issues = count("n_actors"), count("n_issues")
    keep_a = [k for k in range(n_actors) if not form.get(f"a{k}_remove")]
    keep_i = [k for k in range(n_issues) if not form.get(f"i{k}_remove")]
    actors = [
        {"orig": form.get(f"a{k}_orig", "")} | {f: str(form.get(f"a{k}_{f}", "")).strip() for f in ACTOR_FIELDS}
        for k in keep_a
    ]
    issues = [
        {"orig": form.get(f"i{k}_orig", "")} | {f: str(form.get(f"i{k}_{f}", "")).strip() for f in ISSUE_FIELDS}
        for k in keep_i
    ]
    for new_k, (old_k, a) in enumerate(zip(keep_a, actors, strict=True)):
        # A colour picker always sends a colour: the row's default means "none chosen".
        if a["colour"].lower() == default_colour(old_k) and not form.get(f"a{old_k}_colour_set"):
            a["colour"] = ""
        a["colour_default"] = default_colour(new_k)
    stances = {}
    for na, a in enumerate(keep_a):
        for ni, i in enumerate(keep_i):
            cell = {f: str(form.get(f"s{a}_{i}_{f}", "")).strip() for f in STANCE_FIELDS}
            if any(cell.values()):
                stances[(na, ni)] = cell
    return {
        "title": str(form.get("title", "")).strip(), "date": str(form.get("date", "")).strip(),
        "description": str(form.get("description", "")).strip(),
        "actors": actors, "issues": issues, "stances": stances,
    }


def add_rows(draft: dict, *, actors: int = 0, issues: int = 0) -> dict:
    n = len(draft["actors"])
    for k in range(actors):
        draft["actors"].append({"orig": "", "id": f"actor{n + k + 1}", "name": "", "capability": "1", "group": "",
                                "colour": "", "description": "", "rationale": ""})
    m = len(draft["issues"])
    for k in range(issues):
        draft["issues"].append({"orig": "", "id": f"issue{m + k + 1}", "name": "", "lower": "0", "upper": "100",
                                "status_quo": "", "anchors": "", "rule": "none", "parties": "", "threshold": "0.5",
                                "veto": "", "group": "", "description": "", "rationale": ""})
    return draft


class _Parser:
    def __init__(self):
        self.problems: list[Problem] = []
        self.fields: dict[str, str] = {}

    def fail(self, field: str, message: str, where: str) -> None:
        self.problems.append(Problem(message, where))
        self.fields.setdefault(field, message)

    def number(self, text: str, field: str, where: str, *, required: bool = True, default=None):
        if text == "":
            if required:
                self.fail(field, "a number is required", where)
                return math.nan
            return default
        try:
            v = float(text)
        except ValueError:
            self.fail(field, f"{text!r} is not a number", where)
            return math.nan
        if not math.isfinite(v):
            self.fail(field, f"{text!r} is not a finite number", where)
            return math.nan
        return v

    def estimate(self, text: str, field: str, where: str):
        """A required number, or None where the field says ``unknown`` (no estimate yet)."""
        if text.strip().lower() in (UNKNOWN, "?"):
            return None
        return self.number(text, field, where)


def _ids(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in re.split(r"[,\s]+", text) if x.strip())


def scenario_from_draft(draft: dict, base: Scenario | None = None) -> tuple[Scenario | None, list[Problem], dict[str, str]]:
    """The scenario a draft describes, every problem with it, and a message per form field."""
    p = _Parser()
    actors = []
    for k, a in enumerate(draft["actors"]):
        where = f"actors[{a['id'] or k}]"
        colour = a["colour"] or None
        if colour and not COLOUR.fullmatch(colour):
            p.fail(f"a{k}_colour", f"colour must look like #1f77b4, got {colour!r}", where + ".colour")
        actors.append(Actor(
            id=a["id"], name=a["name"] or a["id"],
            capability=p.estimate(a["capability"], f"a{k}_capability", where + ".capability"),
            group=a["group"] or None, colour=colour, description=a["description"], rationale=a["rationale"],
        ))
    issues = []
    for k, i in enumerate(draft["issues"]):
        where = f"issues[{i['id'] or k}]"
        anchors = []
        for line_no, line in enumerate(i["anchors"].splitlines(), 1):
            if not line.strip():
                continue
            value, sep, label = line.partition(":")
            v = p.number(value.strip(), f"i{k}_anchors", where + ".scale") if sep else None
            if not sep:
                p.fail(f"i{k}_anchors", f"anchor line {line_no} must read 'value: label'", where + ".scale")
            elif v == v:
                anchors.append((v, label.strip()))
        kind = i["rule"] or "none"
        issues.append(Issue(
            id=i["id"], name=i["name"] or i["id"],
            lower=p.number(i["lower"], f"i{k}_lower", where + ".scale", required=False, default=0.0),
            upper=p.number(i["upper"], f"i{k}_upper", where + ".scale", required=False, default=100.0),
            anchors=tuple(sorted(anchors)),
            status_quo=p.number(i["status_quo"], f"i{k}_status_quo", where + ".status_quo", required=False),
            rule=DecisionRule(kind=kind, parties=_ids(i["parties"]),
                              threshold=p.number(i["threshold"], f"i{k}_threshold", where + ".rule.threshold",
                                                 required=False, default=0.5)),
            veto=_ids(i["veto"]), group=i["group"] or None, description=i["description"], rationale=i["rationale"],
        ))
    stances = []
    for (a, i), cell in sorted(draft["stances"].items()):
        actor, issue = draft["actors"][a]["id"], draft["issues"][i]["id"]
        where = f"stances[{actor}][{issue}]"
        if cell["position"] == "":
            if cell["salience"] or cell["low"] or cell["high"]:
                p.fail(f"s{a}_{i}_position", "give a position, or clear the salience to leave the actor out",
                       where + ".position")
            continue
        stances.append(Stance(
            actor=actor, issue=issue,
            position=p.estimate(cell["position"], f"s{a}_{i}_position", where + ".position"),
            salience=p.estimate(cell["salience"], f"s{a}_{i}_salience", where + ".salience"),
            low=p.number(cell["low"], f"s{a}_{i}_low", where + ".low", required=False),
            high=p.number(cell["high"], f"s{a}_{i}_high", where + ".high", required=False),
            rationale=cell["rationale"], source=cell["source"],
        ))
    scenario = Scenario(
        title=draft["title"] or "untitled scenario", actors=tuple(actors), issues=tuple(issues),
        stances=tuple(stances), date=draft["date"], description=draft["description"],
    )
    if base is not None:
        scenario = _carry_over(scenario, base, draft)
    problems = list(p.problems)
    if not problems:
        problems = scenario.problems()
    fields = dict(p.fields)
    for problem in problems:
        field = field_for(problem.where, draft)
        if field:
            fields.setdefault(field, _field_message(problem.message))
            if _RANGE.match(problem.message):
                # the range is set in the stance details: mark its fields too
                for end in ("low", "high"):
                    fields.setdefault(field.rpartition("_")[0] + f"_{end}", "the range excludes the position")
    return (None if problems else scenario), problems, fields


_RANGE = re.compile(r"need low <= position <= high, got (\S+) <= (\S+) <= (\S+)")


def _field_message(message: str) -> str:
    m = _RANGE.match(message)
    if not m:
        return message
    low, x, high = m.groups()
    return f"{x} is outside this stance's range {low}–{high}"


def describe(problem: Problem, draft: dict) -> str:
    """A problem as the editor shows it: actors and issues by name, and where to fix it."""
    m = _WHERE.match(problem.where or "")
    actors = {a["id"]: a["name"] or a["id"] for a in draft["actors"]}
    issues = {i["id"]: i["name"] or i["id"] for i in draft["issues"]}
    if not m:
        where = problem.where
    else:
        kind, first, second, attr = m.groups()
        if kind == "actors":
            where = f"actor {actors.get(first, first)}"
        elif kind == "issues":
            where = f"issue {issues.get(first, first)}"
        else:
            where = f"{actors.get(first, first)} on {issues.get(second or '', second)}"
        where += f" ({attr.replace('_', ' ')})" if attr else ""
    r = _RANGE.match(problem.message)
    if r:
        low, x, high = r.groups()
        message = (f"the position {x} is outside this stance's range {low}–{high}. Widen or clear the range "
                   "(low, high) under “Uncertainty, rationale and evidence per stance”, or keep the position inside it")
    else:
        message = problem.message
    return f"{where}: {message}" if where else message


def anchors_text(issue: dict) -> list[str]:
    """An issue's anchors as the stance grid's header shows them (``0: No ceasefire``)."""
    return [line.strip() for line in issue.get("anchors", "").splitlines() if line.strip()]


def evidence_cells(draft: dict, base: Scenario | None) -> dict[tuple[int, int], tuple[Evidence, ...]]:
    """The evidence of ``base``'s stances, keyed by the draft's (actor row, issue row), following
    each row's original id (the form does not send evidence back)."""
    if base is None:
        return {}
    a_rows = {a["orig"]: k for k, a in enumerate(draft["actors"]) if a.get("orig")}
    i_rows = {i["orig"]: k for k, i in enumerate(draft["issues"]) if i.get("orig")}
    return {
        (a_rows[st.actor], i_rows[st.issue]): st.evidence
        for st in base.stances
        if st.evidence and st.actor in a_rows and st.issue in i_rows
    }


def _carry_over(s: Scenario, base: Scenario, draft: dict) -> Scenario:
    """Sources, preconditions, linkages, meta and stance evidence of ``base``, with renames and
    removals applied."""
    a_map = {a["orig"]: a["id"] for a in draft["actors"] if a["orig"]}
    i_map = {i["orig"]: i["id"] for i in draft["issues"] if i["orig"]}
    old = {(st.actor, st.issue): st.evidence for st in base.stances if st.evidence}
    back_a = {new: orig for orig, new in a_map.items()}
    back_i = {new: orig for orig, new in i_map.items()}
    stances = tuple(
        replace(st, evidence=old.get((back_a.get(st.actor), back_i.get(st.issue)), ())) for st in s.stances
    )
    preconditions = []
    for pre in base.preconditions:
        if pre.issue not in i_map or any(r not in i_map for r in pre.requires):
            continue
        if pre.owner is not None and pre.owner not in a_map:
            continue
        preconditions.append(Precondition(
            issue=i_map[pre.issue], requires=tuple(i_map[r] for r in pre.requires),
            owner=None if pre.owner is None else a_map[pre.owner], rationale=pre.rationale,
        ))
    linkages = []
    for link in base.linkages:
        a, b = link.issues
        if a not in i_map or (b != "*" and b not in i_map):
            continue
        if link.actor is not None and link.actor not in a_map:
            continue
        linkages.append(Linkage(
            issues=(i_map[a], "*" if b == "*" else i_map[b]),
            actor=None if link.actor is None else a_map[link.actor], rationale=link.rationale,
        ))
    return replace(s, stances=stances, sources=base.sources, preconditions=tuple(preconditions),
                   linkages=tuple(linkages), meta=base.meta)


_WHERE = re.compile(r"^(actors|issues|stances)\[([^\]]*)\](?:\[([^\]]*)\])?\.?([a-z_.]*)")


def field_for(where: str, draft: dict) -> str | None:
    """The form field a problem's ``where`` points at (None when it is about the whole scenario)."""
    m = _WHERE.match(where or "")
    if not m:
        return None
    kind, first, second, attr = m.groups()
    attr = attr.split(".")[0]
    a_rows = {a["id"]: k for k, a in enumerate(draft["actors"])}
    i_rows = {i["id"]: k for k, i in enumerate(draft["issues"])}
    if kind == "actors":
        k = a_rows.get(first, _int(first))
        return None if k is None else f"a{k}_{attr if attr in ACTOR_FIELDS else 'id'}"
    if kind == "issues":
        k = i_rows.get(first, _int(first))
        if k is None:
            return None
        attr = {"scale": "anchors", "rule": "rule"}.get(attr, attr)
        return f"i{k}_{attr if attr in ISSUE_FIELDS else 'id'}"
    a, i = a_rows.get(first), i_rows.get(second or "")
    if a is None or i is None:
        return None
    return f"s{a}_{i}_{attr if attr in STANCE_FIELDS else 'position'}"


def _int(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


RULE_KINDS = DECISION_RULES
__all__ = ["actor_colour", "default_colour", "draft_from_form", "draft_from_scenario", "scenario_from_draft"]
