"""A process run and its summaries: per issue, whether and when it is agreed, on what, and who
blocks it (the ``issues`` of the JSON output)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from accord import __version__
from accord.jsonable import number
from accord.labels import Scale, outcome_label
from accord.process import strategy as chips
from accord.process.agenda import Agenda
from accord.process.rules import EPS
from accord.scenario import Scenario

if TYPE_CHECKING:  # pandas only to make a frame: a forecast's agreement column needs none
    import pandas as pd

#: How an agreed issue was agreed (``ProcessResult.via``): on its own, because the parties
#: blocking a precondition's demand gave in, or in a package.
VIA = {"alone": 1, "concession": 2, "package": 3}

@dataclass
class ProcessResult:
    """A process run: per draw (leading axis, length 1 for a point run) and issue.

    ``agreed`` (D, m) bool; ``stage`` (D, m) the stage of agreement, 0 = never; ``opened`` (D, m)
    the first stage the issue was open, 0 = never; ``outcome`` (D, m) the agreed outcome, else
    the status quo; ``proposal`` (D, m) the last forecast put to the rule (NaN if never
    negotiated); ``support`` (D, m) its support; ``accepts``, ``blocking``, ``outcome_gap``,
    ``move_gap`` and ``position`` (D, n, m) at that last attempt; ``open_by_stage`` (S, D, m). ``n_draws`` is 0
    for a point run. The strategic mode adds ``via`` (D, m) (:data:`VIA` codes, 0 = not agreed),
    ``chips`` (each precondition's decision code, stage and figures per draw, see
    :mod:`accord.process.strategy`), ``packages`` (the packages formed) and ``bought`` (D, n, m):
    actors who rejected an issue alone and accepted it in a package.
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
    strategy: str = "none"
    via: np.ndarray | None = None
    chips: dict | None = None
    packages: list = field(default_factory=list)
    bought: np.ndarray | None = None

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
            "strategy": self.strategy,
            "patience": self.scenario.process.patience,
            "ally_pressure": self.scenario.process.ally_pressure,
            "preconditions": self.preconditions(),
            "dropped_preconditions": list(self.dropped),
            "vetoes": self.vetoes(),
            "packages": self.package_deals(),
            "issues": self.issues(),
            "notes": list(self.notes),
        }

    def preconditions(self) -> list[dict]:
        """Each precondition: did its owner drop it (``p_dropped``), did the blocking parties give
        in on its demands (``p_conceded``), and why (the ``preconditions`` of :meth:`to_json`)."""
        out = []
        for k, p in enumerate(self.scenario.preconditions):
            item = {"issue": p.issue, "requires": list(p.requires), "owner": p.owner}
            if self.chips is None or p.owner is None:
                why = ("rules, vetoes and preconditions apply mechanically (--strategy none)" if self.chips is None
                       else "no owner: nobody can drop it")
                out.append(item | {"p_dropped": 0.0, "p_conceded": 0.0, "stage_dropped": None,
                                   "decision": "kept", "why": why})
                continue
            code, when = self.chips["code"][:, k], self.chips["stage"][:, k]
            dropped = code == chips.RELEASED
            modal = int(np.bincount(code, minlength=len(chips.DECISIONS)).argmax())
            out.append(item | {
                "p_dropped": float(dropped.mean()),
                "p_conceded": float((code == chips.CONCEDED).mean()),
                "stage_dropped": int(np.median(when[dropped])) if dropped.any() else None,
                "decision": chips.DECISIONS[modal],
                "why": _chip_why(self, k, modal),
            })
        return out

    def vetoes(self) -> list[dict]:
        """Each veto holder on each issue: how often its rejection blocks the issue in the end
        (``p_used``), and how often a package bought its consent (``p_bought``)."""
        out = []
        bought = self.bought if self.bought is not None else np.zeros_like(self.blocking)
        for j, issue in enumerate(self.scenario.issues):
            for holder in issue.veto:
                i = self.actor_ids.index(holder)
                out.append({"issue": issue.id, "holder": holder,
                            "p_used": float((self.blocking[:, i, j] & ~self.agreed[:, j]).mean()),
                            "p_bought": float(bought[:, i, j].mean())})
        return out

    def package_deals(self) -> list[dict]:
        """The packages formed: their issues, the share of draws (``p``) and the stage, each actor's
        mean gain over the package where it formed, and why it passes."""
        out = []
        n = max(self.agreed.shape[0], 1)
        for log in self.packages:
            formed = log.stage > 0
            if not formed.any():
                continue
            ids = [self.issue_ids[j] for j in log.issues]
            gains = log.gains[formed].mean(axis=0)
            involved = self.scenario.arrays().involved[:, list(log.issues)].any(axis=1)
            losers = [self.actor_ids[i] for i in np.flatnonzero(self.bought[formed][:, :, list(log.issues)].any(axis=(0, 2)))]
            out.append({
                "issues": ids, "p": float(formed.sum() / n), "stage": int(np.median(log.stage[formed])),
                "passes": True,
                "gains": {a: number(g) for a, g, inv in zip(self.actor_ids, gains, involved, strict=True) if inv},
                "why": ("every party the rules and vetoes need gains on the whole"
                        + (f"; {', '.join(losers)} accept(s) a loss on one issue for a gain on another" if losers else "")),
            })
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per issue: the scalar fields of :meth:`issues`."""
        rows = [{k: v for k, v in item.items() if not isinstance(v, (list, dict))} for item in self.issues()]
        import pandas as pd

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
    via = int(r.via[0, j]) if r.via is not None else 0
    if status == "agreed" and via == VIA["package"]:
        partners = [r.issue_ids[x] for log in r.packages if j in log.issues and log.stage[0] for x in log.issues if x != j]
        why = f"agreed in a package with {', '.join(partners)}: every party the rules and vetoes need gains on the whole"
    elif status == "agreed" and via == VIA["concession"]:
        gates = [p.issue for p in r.scenario.preconditions if iss.id in p.requires]
        why = f"the parties blocking it gave in to unlock {', '.join(gates)}"
    elif status != "agreed":
        pass
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
        "agreed_via": next((k for k, v in VIA.items() if v == via), None) if agreed else None,
        "status": status,
        "stage": int(r.stage[0, j]) if agreed else None,
        "opened": opened or None,
        "outcome": number(r.outcome[0, j]),
        "outcome_label": outcome_label(float(r.outcome[0, j]), Scale.of(iss)),
        "proposal": number(r.proposal[0, j]),
        "proposal_label": outcome_label(float(r.proposal[0, j]), Scale.of(iss)),
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
        "p_via": {k: float(np.mean(r.via[:, j] == v)) for k, v in VIA.items()} if r.via is not None else None,
        "p_opened": float(np.mean(r.opened[:, j] > 0)),
        "p_blocked": float((failed & ~unchanged).mean()),
        "p_unchanged": float(unchanged.mean()),
        "stage": int(np.median(stages[agreed])) if agreed.any() else None,
        "stage_distribution": dist,
        "outcome": number(q[1]),
        "outcome_label": outcome_label(float(q[1]), Scale.of(iss)),
        "outcome_given_agreement": {"mean": number(x.mean()) if x.size else None,
                                    "p5": number(q[0]), "p50": number(q[1]), "p95": number(q[2])},
        "status_quo": number(r.status_quo[j]),
        "support": number(np.mean(r.support[r.opened[:, j] > 0, j])) if (r.opened[:, j] > 0).any() else None,
        "blockers": blockers,
        "waiting_for": [w for w in waiting if w["p"] > 0],
        "n": n,
    }


def _stages(t: float) -> str:
    return "until the end" if not np.isfinite(t) else f"{t:.1f} stage{'s' if t != 1 else ''}"


def _chip_why(r: ProcessResult, k: int, code: int) -> str:
    """A sentence on precondition k's most frequent decision, with the figures of its first draw."""
    p = r.scenario.preconditions[k]
    d = int(np.flatnonzero(r.chips["code"][:, k] == code)[0])
    f = {name: r.chips[name][d, k] for name in ("hold_owner", "hold_others", "gate_gain", "demand_gain", "gate_passes")}
    demands = ", ".join(p.requires)
    if code == chips.MET:
        return f"its demands ({demands}) are agreed on their own merits, so holding it costs nothing"
    if code == chips.WAITING:
        return f"its demands ({demands}) never come to the table: they wait for other issues"
    if code == chips.RELEASED:
        head = (f"{p.owner} drops it at stage {int(r.chips['stage'][d, k])}: {p.issue} opening now gains it "
                f"{f['gate_gain']:+.3f}")
        if not np.isfinite(f["hold_others"]):
            return head + f", and the parties blocking {demands} would never give in, so holding out gains it nothing"
        return (head + f"; the parties blocking {demands} would hold out {_stages(f['hold_others'])}, "
                f"{p.owner} only {_stages(f['hold_owner'])}")
    if code == chips.CONCEDED:
        return (f"the parties blocking {demands} give in at stage {int(r.chips['stage'][d, k])} to unlock {p.issue}: "
                f"they would hold out {_stages(f['hold_others'])}, {p.owner} {_stages(f['hold_owner'])}")
    if not f["gate_passes"]:
        return (f"{p.owner} keeps it: {p.issue} would not be agreed even if it opened now, so the chip costs "
                f"{p.owner} nothing and nobody gains by giving in on {demands}")
    if f["gate_gain"] <= 0:
        return (f"{p.owner} keeps it: {p.issue} at the offer is no gain to it ({f['gate_gain']:+.3f}), "
                "so holding out costs it nothing")
    return (f"{p.owner} keeps it and nobody gives in before the last stage "
            f"({p.owner} would hold out {_stages(f['hold_owner'])}, the others {_stages(f['hold_others'])})")
