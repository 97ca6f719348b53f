"""Side-by-side comparison of two scenario versions or two runs, as plain rows."""

from __future__ import annotations

from accord.scenario import Scenario

_ACTOR = ("name", "capability", "group", "colour", "rationale")
_ISSUE = ("name", "lower", "upper", "status_quo", "anchors", "veto", "rule", "rationale")
_STANCE = ("position", "salience", "low", "high", "rationale")


def _value(obj, attr):
    v = getattr(obj, attr)
    if attr == "rule":
        return f"{v.kind} {' '.join(v.parties)}".strip()
    if isinstance(v, tuple):
        return ", ".join(f"{x[0]:g}: {x[1]}" if isinstance(x, tuple) else str(x) for x in v)
    return v


def compare_versions(a: Scenario, b: Scenario) -> dict:
    """Every difference between two scenarios: rows of (what, where, field, a, b)."""
    rows: list[dict] = []

    def diff(kind: str, key: str, x, y, fields) -> None:
        if x is None or y is None:
            rows.append({"kind": kind, "key": key, "field": "", "a": "—" if x is None else "present",
                         "b": "—" if y is None else "present", "change": "added" if x is None else "removed"})
            return
        for f in fields:
            vx, vy = _value(x, f), _value(y, f)
            if vx != vy:
                rows.append({"kind": kind, "key": key, "field": f, "a": vx, "b": vy, "change": "changed"})

    if a.title != b.title:
        rows.append({"kind": "scenario", "key": "", "field": "title", "a": a.title, "b": b.title, "change": "changed"})
    for ids, get, kind, fields in (
        (_union(a.actor_ids, b.actor_ids), _getter("actor"), "actor", _ACTOR),
        (_union(a.issue_ids, b.issue_ids), _getter("issue"), "issue", _ISSUE),
    ):
        for key in ids:
            diff(kind, key, get(a, key), get(b, key), fields)
    keys = _union([(s.actor, s.issue) for s in a.stances], [(s.actor, s.issue) for s in b.stances])
    for actor, issue in keys:
        diff("stance", f"{actor} on {issue}", a.stance(actor, issue), b.stance(actor, issue), _STANCE)
    return {"rows": rows, "n_changes": len(rows)}


def compare_runs(a: dict, b: dict) -> dict:
    """Forecasts of two runs side by side: rows of (issue, model, a, b, b − a)."""
    fa = {(r["issue"], r["model"]): r["outcome"] for r in a.get("forecast", {}).get("forecasts", [])}
    fb = {(r["issue"], r["model"]): r["outcome"] for r in b.get("forecast", {}).get("forecasts", [])}
    names = {i["id"]: i["name"] for s in (a, b) for i in s.get("scenario", {}).get("issues", [])}
    rows = []
    for key in _union(list(fa), list(fb)):
        x, y = fa.get(key), fb.get(key)
        rows.append({
            "issue": key[0], "issue_name": names.get(key[0], key[0]), "model": key[1], "a": x, "b": y,
            "difference": None if x is None or y is None else y - x,
        })
    return {"rows": rows}


def _union(xs, ys) -> list:
    return list(dict.fromkeys([*xs, *ys]))


def _getter(kind: str):
    def get(s: Scenario, key: str):
        try:
            return getattr(s, kind)(key)
        except KeyError:
            return None

    return get
