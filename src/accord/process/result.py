"""A process run and its summaries: per issue, whether and when it is agreed, on what, and who
blocks it (the ``issues`` of the JSON output)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from accord import __version__
from accord.jsonable import number
from accord.process.agenda import Agenda
from accord.process.rules import EPS
from accord.scenario import Scenario


@dataclass
class ProcessResult:
    """A process run: per draw (leading axis, length 1 for a point run) and issue.

    ``agreed`` (D, m) bool; ``stage`` (D, m) the stage of agreement, 0 = never; ``opened`` (D, m)
    the first stage the issue was open, 0 = never; ``outcome`` (D, m) the agreed outcome, else
    the status quo; ``proposal`` (D, m) the last forecast put to the rule (NaN if never
    negotiated); ``support`` (D, m) its support; ``accepts``, ``blocking``, ``outcome_gap``,
    ``move_gap`` and ``position`` (D, n, m) at that last attempt; ``open_by_stage`` (S, D, m). ``n_draws`` is 0
    for a point run.
    """

    scenario: Scenario
    model: str
    agenda: Agenda
    status_quo: np.ndarray
    n_stages: int
    n_draws: int
    agreed: np.ndarray
    stage: np.ndarray
    opened: np.ndarray
    outcome: np.ndarray
    proposal: np.ndarray
    support: np.ndarray
    accepts: np.ndarray
    blocking: np.ndarray
    outcome_gap: np.ndarray
    move_gap: np.ndarray
    position: np.ndarray
    open_by_stage: np.ndarray
    seed: int | None = None
    dropped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    majority_weight: str = "capability"
    tolerance: float = 0.0

    @property
    def issue_ids(self) -> tuple[str, ...]:
        return self.agenda.issue_ids

    @property
    def actor_ids(self) -> tuple[str, ...]:
        return self.scenario.actor_ids

    def issues(self) -> list[dict]:
        """One summary per issue (the ``issues`` of :meth:`to_json`)."""
        return [_issue_point(self, j) if self.n_draws == 0 else _issue_draws(self, j)
                for j in range(len(self.issue_ids))]

    def to_json(self) -> dict:
        return {
            "accord_version": __version__,
            "scenario": self.scenario.title,
            "model": self.model,
            "stages": self.n_stages,
            "draws": self.n_draws,
            "seed": self.seed,
            "majority_weight": self.majority_weight,
            "tolerance": self.tolerance,
            "preconditions": [
                {"issue": p.issue, "requires": list(p.requires), "owner": p.owner}
                for p in self.scenario.preconditions
            ],
            "dropped_preconditions": list(self.dropped),
            "issues": self.issues(),
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per issue: the scalar fields of :meth:`issues`."""
        rows = [{k: v for k, v in item.items() if not isinstance(v, (list, dict))} for item in self.issues()]
        return pd.DataFrame(rows)


def _rule_text(r: ProcessResult, j: int) -> str:
    iss = r.scenario.issues[j]
    kind = iss.rule.kind
    if kind == "consensus" and iss.rule.parties:
        text = f"consensus of {', '.join(iss.rule.parties)}"
    elif kind == "majority":
        text = f"majority ≥ {iss.rule.threshold:.0%} of {r.majority_weight}"
    elif kind == "none":
        text = "no formal rule"
    else:
        text = kind
    if iss.veto:
        text += f"; veto: {', '.join(iss.veto)}"
    return text


def _waiting_for(r: ProcessResult, d, j: int) -> list[str]:
    req = np.flatnonzero(r.agenda.requires[j] & ~r.agreed[d])
    return [r.issue_ids[k] for k in req]


def _at_status_quo(r: ProcessResult, j: int) -> np.ndarray:
    """Per draw: the last forecast of issue j was its status quo (no change to agree on)."""
    iss = r.scenario.issues[j]
    return np.abs(r.proposal[:, j] - r.status_quo[j]) <= EPS * (iss.upper - iss.lower)


def _issue_point(r: ProcessResult, j: int) -> dict:
    iss = r.scenario.issues[j]
    agreed = bool(r.agreed[0, j])
    opened = int(r.opened[0, j])
    blockers = []
    for i in np.flatnonzero(r.blocking[0, :, j]):
        roles = (["veto"] if r.agenda.veto[i, j] else []) + (
            ["rule"] if r.agenda.counted[i, j] and r.agenda.kind[j] != "none" else [])
        blockers.append({
            "actor": r.actor_ids[i],
            "as": roles,
            "position": number(r.position[0, i, j]),
            "outcome_gap": number(r.outcome_gap[0, i, j]),
            "acceptable": number(r.proposal[0, j] - np.sign(r.proposal[0, j] - r.status_quo[j]) * r.outcome_gap[0, i, j]),
            "move_gap": number(r.move_gap[0, i, j]),
        })
    unchanged = opened and not agreed and not blockers and bool(_at_status_quo(r, j)[0])
    status = "agreed" if agreed else ("unchanged" if unchanged else "blocked" if opened else "closed")
    waiting = _waiting_for(r, 0, j)
    if status == "closed":
        why = f"never opened: waits for {', '.join(waiting)}"
    elif status == "unchanged":
        why = "the forecast is the status quo: nothing is agreed"
    elif status == "blocked":
        who = ", ".join(b["actor"] for b in blockers)
        if r.agenda.kind[j] == "majority":
            why = f"{r.support[0, j]:.0%} support < {r.agenda.threshold[j]:.0%}" + (f"; rejected by {who}" if who else "")
        else:
            why = f"rejected by {who}"
    elif np.isnan(r.status_quo[j]):
        why = "no status quo: every outcome beats each actor's worst point"
    elif r.agenda.kind[j] == "majority":
        why = f"{r.support[0, j]:.0%} support ≥ {r.agenda.threshold[j]:.0%}"
    elif r.agenda.kind[j] == "none" and not iss.veto:
        why = "no formal rule: the forecast stands"
    else:
        why = "accepted by every party the rule and vetoes need"
    return {
        "issue": iss.id,
        "issue_name": iss.name,
        "rule": _rule_text(r, j),
        "agreed": agreed,
        "status": status,
        "stage": int(r.stage[0, j]) if agreed else None,
        "opened": opened or None,
        "outcome": number(r.outcome[0, j]),
        "proposal": number(r.proposal[0, j]),
        "status_quo": number(r.status_quo[j]),
        "support": number(r.support[0, j]) if opened else None,
        "blockers": blockers,
        "waiting_for": waiting if status == "closed" else [],
        "explanation": why,
    }


def _issue_draws(r: ProcessResult, j: int) -> dict:
    iss = r.scenario.issues[j]
    agreed = r.agreed[:, j]
    n = agreed.size
    stages = r.stage[:, j]
    dist = {str(t): float(np.mean(stages == t)) for t in range(1, r.n_stages + 1)}
    dist["never"] = float(np.mean(~agreed))
    x = r.outcome[agreed, j]
    q = np.percentile(x, [5, 50, 95]) if x.size else np.full(3, np.nan)
    failed = (r.opened[:, j] > 0) & ~agreed
    unchanged = failed & _at_status_quo(r, j)
    blockers = []
    for i in np.flatnonzero(r.blocking[:, :, j].any(axis=0)):
        hit = r.blocking[:, i, j]
        blockers.append({
            "actor": r.actor_ids[i],
            "p_block": float(hit.mean()),
            "outcome_gap": number(np.median(r.outcome_gap[hit, i, j])),
            "move_gap": number(np.median(r.move_gap[hit, i, j])),
        })
    blockers.sort(key=lambda b: -b["p_block"])
    waiting = [
        {"issue": r.issue_ids[k], "p": float(np.mean((r.opened[:, j] == 0) & ~r.agreed[:, k]))}
        for k in np.flatnonzero(r.agenda.requires[j])
    ]
    return {
        "issue": iss.id,
        "issue_name": iss.name,
        "rule": _rule_text(r, j),
        "p_agreed": float(agreed.mean()),
        "p_opened": float(np.mean(r.opened[:, j] > 0)),
        "p_blocked": float((failed & ~unchanged).mean()),
        "p_unchanged": float(unchanged.mean()),
        "stage": int(np.median(stages[agreed])) if agreed.any() else None,
        "stage_distribution": dist,
        "outcome": number(q[1]),
        "outcome_given_agreement": {"mean": number(x.mean()) if x.size else None,
                                    "p5": number(q[0]), "p50": number(q[1]), "p95": number(q[2])},
        "status_quo": number(r.status_quo[j]),
        "support": number(np.mean(r.support[r.opened[:, j] > 0, j])) if (r.opened[:, j] > 0).any() else None,
        "blockers": blockers,
        "waiting_for": [w for w in waiting if w["p"] > 0],
        "n": n,
    }
