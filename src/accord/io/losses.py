"""What a format cannot hold: a scenario written in it and read back, compared field by field.

Every writer is checked the same way, so the list is complete by construction (nothing to keep
in step with the writers by hand): :func:`conversion_losses` writes the scenario to a temporary
file in the target format, reads it back with that format's reader, and :func:`differences`
names each field that did not survive, with counts ("anchors of 7 issues", "3 sources").
Order is not a loss (DEU sorts actors its own way); positions rescaled with their scale are
not lost either, but the scale is.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import fields
from pathlib import Path

from accord.errors import AccordError
from accord.scenario import Actor, Issue, Scenario, Stance

#: Relative tolerance for numbers that went through text.
RTOL = 1e-9

_FILES = {"yaml": "scenario.yaml", "tidy": "scenario.csv", "bdm": "scenario.csv", "ktab-csv": "scenario.csv",
          "ktab-xml": "scenario.xml", "decide": "scenario.tsv", "deu": "deu"}
_NOUNS = {"actor": ("actor", "actors"), "issue": ("issue", "issues"), "stance": ("stance", "stances")}


def conversion_losses(scenario: Scenario, fmt: str) -> list[str]:
    """What writing ``scenario`` as ``fmt`` loses, one phrase per field (empty: nothing). The
    writer's own refusals (a format that cannot hold the scenario at all) are raised as they are."""
    from accord.io import read_scenario, write_scenario

    with tempfile.TemporaryDirectory(prefix="accord-losses-") as tmp:
        path = Path(tmp) / _FILES.get(fmt, "scenario")
        write_scenario(scenario, path, format=fmt)
        try:
            back = read_scenario(path, format=fmt)
        except AccordError as exc:
            return [f"everything: the file written cannot be read back ({exc})"]
    return differences(scenario, back)


def differences(before: Scenario, after: Scenario) -> list[str]:
    """The fields of ``before`` that ``after`` lacks or holds otherwise, one phrase each."""
    out: list[str] = []
    for name in ("title", "date", "description"):
        if getattr(before, name) and getattr(before, name) != getattr(after, name):
            out.append(name)
    for name in ("sources", "preconditions", "linkages"):
        lost = len(getattr(before, name)) - len(getattr(after, name))
        if lost > 0:
            out.append(_count(lost, name[:-1], name))
        elif getattr(before, name) and getattr(before, name) != getattr(after, name):
            out.append(name)
    if before.process != after.process:
        out.append("process settings (patience, ally pressure, stages)")
    lost_meta = [k for k in (before.meta or {}) if (after.meta or {}).get(k) != before.meta[k]]
    if lost_meta:
        out.append("meta " + ", ".join(sorted(map(str, lost_meta))))

    actors, renamed_a = _match([a.id for a in before.actors], [a.id for a in after.actors])
    issues, renamed_i = _match([i.id for i in before.issues], [i.id for i in after.issues])
    if renamed_a:
        out.append(f"actor ids ({_examples(renamed_a)})")
    if renamed_i:
        out.append(f"issue ids ({_examples(renamed_i)})")
    missing = [a for a in before.actor_ids if a not in actors]
    if missing:
        out.append(f"{_count(len(missing), 'actor', 'actors')} ({', '.join(missing[:5])}{'…' if len(missing) > 5 else ''})")
    missing = [i for i in before.issue_ids if i not in issues]
    if missing:
        out.append(f"{_count(len(missing), 'issue', 'issues')} ({', '.join(missing[:5])})")

    after_actors = {a.id: a for a in after.actors}
    out += _records("actor", [(a, after_actors[actors[a.id]]) for a in before.actors if a.id in actors], Actor)
    after_issues = {i.id: i for i in after.issues}
    pairs = [(i, after_issues[issues[i.id]]) for i in before.issues if i.id in issues]
    out += _records("issue", pairs, Issue)
    scales = {i.id: ((i.lower, i.upper), (j.lower, j.upper)) for i, j in pairs}

    after_stances = {(st.actor, st.issue): st for st in after.stances}
    kept, lost = [], 0
    for st in before.stances:
        other = after_stances.get((actors.get(st.actor), issues.get(st.issue)))
        if other is None:
            lost += 1
        else:
            kept.append((st, _rescaled(other, *scales[st.issue]) if st.issue in scales else other))
    if lost:
        out.append(_count(lost, "stance", "stances"))
    out += _records("stance", kept, Stance, skip=("actor", "issue"))
    return out


def _match(before: list[str], after: list[str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Ids of ``before`` to those of ``after``: the same id, else the same id but for case, else
    (when as many are left on both sides) the rest in order, as renamed."""
    have = set(after)
    folded = {a.casefold(): a for a in after}
    out, renamed = {}, []
    for x in before:
        if x in have:
            out[x] = x
        elif x.casefold() in folded:
            out[x] = folded[x.casefold()]
            renamed.append((x, out[x]))
    left = [x for x in before if x not in out]
    free = [y for y in after if y not in set(out.values())]
    if left and len(left) == len(free):
        for x, y in zip(left, free, strict=True):
            out[x] = y
            renamed.append((x, y))
    return out, renamed


def _rescaled(st: Stance, old: tuple[float, float], new: tuple[float, float]) -> Stance:
    """A stance read back on another scale, mapped onto the original one (a format that rescales
    positions loses the scale, which the issue's comparison reports, not every position)."""
    if old == new:
        return st
    (lo, hi), (lo2, hi2) = old, new

    def back(x):
        return None if x is None else lo + (x - lo2) * (hi - lo) / (hi2 - lo2)

    from dataclasses import replace

    return replace(st, position=back(st.position), low=back(st.low), high=back(st.high))


_LABELS = {
    "name": "names", "capability": "capabilities", "group": "groups", "colour": "colours",
    "description": "descriptions", "rationale": "rationales", "patience": "patience",
    "lower": "scales", "upper": "scales", "anchors": "anchors", "status_quo": "status quo",
    "rule": "decision rules", "veto": "vetoes", "position": "positions", "salience": "saliences",
    "low": "ranges (low/high)", "high": "ranges (low/high)", "source": "sources", "evidence": "evidence",
}


def _records(kind: str, pairs, cls, skip: tuple[str, ...] = ("id",)) -> list[str]:
    """"<field> of N <kind>s" for each field that differs in some of the paired records."""
    counts: dict[str, int] = {}
    for before, after in pairs:
        seen = set()
        for f in fields(cls):
            if f.name in skip:
                continue
            x, y = getattr(before, f.name), getattr(after, f.name)
            if x in (None, "", ()):  # nothing to lose (a reader filling in a default adds, not loses)
                continue
            if _same(x, y, f.name) or (f.name == "name" and x == before.id):
                continue
            label = _LABELS.get(f.name, f.name)
            if label not in seen:
                seen.add(label)
                counts[label] = counts.get(label, 0) + 1
    one, many = _NOUNS[kind]
    return [f"{label} of {_count(n, one, many)}" for label, n in counts.items()]


def _same(x, y, name: str = "") -> bool:
    if x in (None, "", (), {}) and y in (None, "", (), {}):
        return True
    if name == "veto":  # a set of actors, whatever the order a reader lists them in
        return set(x) == set(y)
    if isinstance(x, float) or isinstance(y, float):
        if x is None or y is None:
            return False
        return math.isclose(float(x), float(y), rel_tol=RTOL, abs_tol=RTOL)
    if isinstance(x, tuple) and isinstance(y, tuple) and len(x) == len(y):
        return all(_same(a, b) for a, b in zip(x, y, strict=True))
    return x == y


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _examples(pairs: list[tuple[str, str]]) -> str:
    shown = ", ".join(f"{a} → {b}" for a, b in pairs[:3])
    return shown + (f", … {len(pairs)} in all" if len(pairs) > 3 else "")
