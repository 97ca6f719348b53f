"""What-if: edit a scenario inline and compare two scenarios' forecasts with their uncertainty."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from accord.errors import AccordError, ScenarioError
from accord.scenario import Scenario


def _value(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise AccordError(f"--set {what}: expected a number, got {text!r}") from None


def apply_set(s: Scenario, assignment: str) -> Scenario:
    """Apply one ``--set`` assignment.

    Forms: ``ACTOR.ISSUE.position=40`` (the stance's range moves with it; also ``salience``,
    ``low``, ``high``),
    ``ACTOR.capability=10``, ``ISSUE.status_quo=50``.
    """
    if "=" not in assignment:
        raise AccordError(f"--set {assignment!r}: expected NAME=VALUE, e.g. russia.assad-fate.position=40")
    target, raw = assignment.split("=", 1)
    parts = target.strip().split(".")
    actors, issues = set(s.actor_ids), set(s.issue_ids)
    if len(parts) == 3 and parts[2] in ("position", "salience", "low", "high"):
        actor, issue, field = parts
        if actor not in actors:
            raise AccordError(f"--set {target}: unknown actor {actor!r}; actors: {', '.join(s.actor_ids)}")
        if issue not in issues:
            raise AccordError(f"--set {target}: unknown issue {issue!r}; issues: {', '.join(s.issue_ids)}")
        v = _value(raw, target)
        stances = list(s.stances)
        for n, st in enumerate(stances):
            if st.actor == actor and st.issue == issue:
                changes = {field: v}
                if field == "position":
                    # The stated range moves with the position (same offsets), inside the scale.
                    lo_b, hi_b = s.issue(issue).lower, s.issue(issue).upper
                    if st.low is not None:
                        changes["low"] = min(max(lo_b, v - (st.position - st.low)), v)
                    if st.high is not None:
                        changes["high"] = max(min(hi_b, v + (st.high - st.position)), v)
                stances[n] = replace(st, **changes)
                break
        else:
            if field != "position":
                raise AccordError(f"--set {target}: {actor} has no stance on {issue}; set its position first")
            from accord.scenario import Stance

            stances.append(Stance(actor, issue, v, 0.5))
        out = s.replace(stances=tuple(stances))
    elif len(parts) == 2 and parts[1] == "capability" and parts[0] in actors:
        v = _value(raw, target)
        out = s.replace(actors=tuple(replace(a, capability=v) if a.id == parts[0] else a for a in s.actors))
    elif len(parts) == 2 and parts[1] == "status_quo" and parts[0] in issues:
        v = None if raw.strip().lower() in ("", "none") else _value(raw, target)
        out = s.replace(issues=tuple(replace(i, status_quo=v) if i.id == parts[0] else i for i in s.issues))
    else:
        raise AccordError(
            f"--set {target}: expected ACTOR.ISSUE.position|salience|low|high, ACTOR.capability or ISSUE.status_quo"
        )
    problems = out.problems()
    if problems:
        raise ScenarioError([p for p in problems])
    return out


def apply_edits(
    s: Scenario,
    sets: Sequence[str] = (),
    drop_actors: Sequence[str] = (),
    drop_preconditions: Sequence[str] = (),
) -> Scenario:
    """All inline edits: assignments, removed actors, removed preconditions (by owner or issue)."""
    for a in drop_actors:
        if a not in s.actor_ids:
            raise AccordError(f"--drop-actor {a}: unknown actor; actors: {', '.join(s.actor_ids)}")
        s = s.without_actor(a)
    for key in drop_preconditions:
        kept = tuple(p for p in s.preconditions if p.owner != key and p.issue != key)
        if len(kept) == len(s.preconditions):
            raise AccordError(f"--drop-precondition {key}: no precondition is owned by or opens {key!r}")
        s = s.replace(preconditions=kept)
    for assignment in sets:
        s = apply_set(s, assignment)
    return s.validated()


def compare(
    base: Scenario, changed: Scenario, models: Sequence[str] | None = None, draws: int = 0, seed: int = 0, **kw
) -> pd.DataFrame:
    """Forecast differences (changed − base) per issue and model.

    With ``draws`` both scenarios are simulated from the same seed (common random numbers), so the
    paired difference of each draw measures the edit, not the noise; ``diff_sd``, ``diff_p10`` and
    ``diff_p90`` describe it. Issues present in only one scenario are left out.
    """
    from accord.forecast import forecast
    from accord.uncertainty.simulate import simulate

    common = [i for i in base.issue_ids if i in set(changed.issue_ids)]
    if not common:
        raise AccordError("the two scenarios share no issue")
    fb = forecast(base, models=list(models) if models else None, seed=seed)
    fc = forecast(changed, models=list(models) if models else None, seed=seed)
    rows = []
    eb = ec = None
    if draws:
        eb = simulate(base, models, draws, seed, **kw)
        ec = simulate(changed, models, draws, seed, **kw)
    for model in fb.outcomes:
        for issue in common:
            kb, kc = base.issue_ids.index(issue), changed.issue_ids.index(issue)
            row = {"issue": issue, "model": model, "base": fb.outcomes[model][kb],
                   "changed": fc.outcomes[model][kc], "diff": fc.outcomes[model][kc] - fb.outcomes[model][kb]}
            if eb is not None:
                d = ec.draws[model][:, kc] - eb.draws[model][:, kb]
                row.update(diff_mean=float(np.nanmean(d)), diff_sd=float(np.nanstd(d, ddof=1)) if len(d) > 1 else 0.0,
                           diff_p10=float(np.nanpercentile(d, 10)), diff_p90=float(np.nanpercentile(d, 90)))
            rows.append(row)
    return pd.DataFrame(rows)
