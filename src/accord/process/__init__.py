"""The negotiation process: decision rules, vetoes and preconditions between decisions.

Forecasting where positions converge is not the same as forecasting that a decision is taken. This
module plays the agenda of a scenario over **stages**:

1. At stage t an issue is *open* when it is not yet agreed and every issue it requires (its
   :class:`~accord.scenario.Precondition`) was agreed at an earlier stage.
2. The open issues are negotiated with a registered model. A closed-form model forecasts them
   from the current positions; an iterative model (one with ``Model.trajectory``) plays its rounds
   from the positions the previous stage ended with, so concessions made while an issue failed
   carry over to its next attempt. A joint model sees only the open issues.
3. The forecast is *agreed* when it moves the issue away from its status quo and is accepted under
   the issue's decision rule and by every veto holder (see :func:`acceptance` and :func:`decide`).
   Otherwise the issue stays at its status quo, is retried at the next stage, and every issue that
   requires it stays closed.

A forecast equal to the status quo is not an agreement: the status quo is by definition what
happens when nothing is agreed, and models such as the Nash bargaining solution return it exactly
to say that no deal exists. Such issues are reported as ``unchanged``, not as blocked by anyone.

Whose positions judge a forecast: by default (``accept_by="current"``) the positions the stage
ends with, which for an iterative model are the positions it moved the actors to (its own
reading: an actor who conceded in the rounds now stands where it conceded to); for a closed-form
model they are the stated positions. ``accept_by="stated"`` judges every forecast by the positions
the scenario states (the actors' interests), so an iterative model changes only the proposal.

Acceptance. Actor i's utility on issue j is the salience-weighted linear loss
``u_i(x) = -s_ij |x - x_ij| / (upper_j - lower_j)``. It accepts outcome x when
``u_i(x) >= u_i(q) - tolerance``, q being the status quo: with the default ``tolerance = 0`` that is
``|x - x_ij| <= |q - x_ij|`` (x is no farther from its position than the status quo), so salience
matters only for an actor with salience 0, who is indifferent and accepts. A positive tolerance
(a share of the scale's utility an actor gives up for the sake of a deal) makes actors who care
little accept small losses that salient actors refuse. Actors with no stance on an issue have no
utility there and never object, veto holders included.

Decision rules (``Issue.rule``):

``none``
    No formal decision: the forecast stands as soon as the issue opens (unless a veto holder
    rejects it; vetoes act under every rule).
``consensus``
    Every named party accepts (every involved actor when ``parties`` is empty). Diplomatic
    consensus is the absence of objection, which is why indifferent parties count as accepting.
``unanimity``
    Every involved actor accepts.
``majority``
    The accepting actors hold at least ``threshold`` of the weight of the involved actors (of the
    named ``parties``, when the rule names them: they are the deciding body under any rule). The
    weight is capability by default: a formal vote is cast whether or not the voter cares; pass
    ``majority_weight="capability-salience"`` to weight by capability × salience instead.
    Indifferent actors count as accepting, for consistency with the other rules.

No status quo: the reversion point is then unknown. As in the Nash baseline, each actor's
disagreement point is taken as its worst point on the scale; every outcome on the scale is at
least as good, so the issue is agreed as soon as it opens (a note says so).

Blockers: on an issue that failed, every rejecting veto holder, and every rejecting actor the rule
needs (a consensus party, an involved actor under unanimity, an involved voter of a failed
majority). For each, ``outcome_gap`` is how far the outcome would have to move towards the status
quo for that actor to accept, and ``move_gap`` how far the actor would have to move towards the
outcome to accept it as it stands.

The functions here are pure; :func:`run_process` ties them to a scenario and a model. With
``draws`` it repeats the process over Monte Carlo draws of the input uncertainty (vectorised over
the draws for closed-form models) and reports the probability of agreement, the distribution of
the stage and the outcome given agreement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from accord import __version__
from accord.errors import AccordError
from accord.models import registry
from accord.scenario import Scenario, ScenarioArrays
from accord.uncertainty.sampling import Uncertainty, sample

MAJORITY_WEIGHTS = ("capability", "capability-salience")
#: Floating-point slack when comparing utilities, as a share of the scale.
_EPS = 1e-9


# -- the agenda as arrays ---------------------------------------------------------------------
@dataclass(frozen=True)
class Agenda:
    """The procedural side of a scenario as arrays.

    ``kind`` holds the decision rule per issue; ``threshold`` (n_issues,) the majority threshold;
    ``counted`` (n_actors, n_issues) the actors whose acceptance the rule needs (consensus,
    unanimity) or whose weight it counts (majority), none for ``none``; ``veto`` (n_actors,
    n_issues) the veto holders; ``requires`` (n_issues, n_issues) is True at [b, a] when issue b
    opens only after issue a is agreed.
    """

    issue_ids: tuple[str, ...]
    kind: tuple[str, ...]
    threshold: np.ndarray
    counted: np.ndarray
    veto: np.ndarray
    requires: np.ndarray

    @property
    def depth(self) -> int:
        """Issues on the longest precondition chain (1 without preconditions)."""
        m = len(self.issue_ids)
        level = np.ones(m, dtype=int)
        for _ in range(m):  # longest path in a DAG by relaxation; m passes always suffice
            level = np.maximum(level, np.where(self.requires, level[None, :] + 1, 1).max(axis=1, initial=1))
        return int(level.max(initial=1))


def agenda(scenario: Scenario, arrays: ScenarioArrays | None = None) -> Agenda:
    """The rules, vetoes and preconditions of ``scenario`` as an :class:`Agenda`."""
    a = scenario.arrays() if arrays is None else arrays
    actor = {x: k for k, x in enumerate(a.actor_ids)}
    issue = {x: k for k, x in enumerate(a.issue_ids)}
    n, m = a.n_actors, a.n_issues
    counted = np.zeros((n, m), dtype=bool)
    for j, iss in enumerate(scenario.issues):
        if iss.rule.kind == "none":
            continue
        if iss.rule.parties:  # the named parties are the deciding body, under any rule
            counted[[actor[p] for p in iss.rule.parties], j] = True
        else:
            counted[:, j] = a.involved[:, j]
    requires = np.zeros((m, m), dtype=bool)
    for p in scenario.preconditions:
        for r in p.requires:
            requires[issue[p.issue], issue[r]] = True
    return Agenda(
        issue_ids=a.issue_ids,
        kind=tuple(i.rule.kind for i in scenario.issues),
        threshold=np.array([i.rule.threshold for i in scenario.issues], dtype=float),
        counted=counted,
        veto=np.asarray(a.veto, dtype=bool),
        requires=requires,
    )


def drop_preconditions(scenario: Scenario, names: Iterable[str]) -> tuple[Scenario, list[str]]:
    """The scenario without the preconditions owned by, or placed on, each of ``names``.

    A name is an actor id (drop every precondition that actor demands) or an issue id (drop the
    preconditions of that issue). Returns the new scenario and a description of what was dropped;
    a name that matches no precondition is an error listing the owners and issues that would.
    """
    names = list(names)
    kept = list(scenario.preconditions)
    dropped: list[str] = []
    for name in names:
        hit = [p for p in kept if p.owner == name or p.issue == name]
        if not hit:
            owners = sorted({p.owner for p in scenario.preconditions if p.owner})
            issues = sorted({p.issue for p in scenario.preconditions})
            raise AccordError(
                f"no precondition is owned by or placed on {name!r}; owners: {', '.join(owners) or 'none'}; "
                f"issues with preconditions: {', '.join(issues) or 'none'}"
            )
        kept = [p for p in kept if p not in hit]
        dropped += [f"{p.issue} requires {', '.join(p.requires)}" + (f" (owner {p.owner})" if p.owner else "") for p in hit]
    return scenario.replace(preconditions=tuple(kept)), dropped


# -- pure rules -------------------------------------------------------------------------------
def acceptance(position, salience, involved, status_quo, outcome, span, *, tolerance: float = 0.0):
    """Who accepts ``outcome`` over the status quo, and how far each refuser is from accepting.

    Parameters
    ----------
    position, salience : array (..., n_actors, n_issues)
    involved : bool array (n_actors, n_issues) or broadcastable
    status_quo, span : array (n_issues,)
        The reversion point (NaN: unknown) and ``upper - lower``.
    outcome : array (..., n_issues)
    tolerance : float
        Utility (share of the scale at salience 1) an actor gives up for the sake of a deal.

    Returns
    -------
    accepts : bool (..., n_actors, n_issues)
        ``s |x - x_i| / span <= s |q - x_i| / span + tolerance``; always True where the actor is
        not involved, where there is no status quo, and where it has salience 0.
    outcome_gap : (..., n_actors, n_issues)
        How far the outcome must move towards the status quo for the actor to accept:
        ``|x - x_i| - |q - x_i| - tolerance span / s``, floored at 0.
    move_gap : (..., n_actors, n_issues)
        How far the actor's position must move towards the outcome for it to accept the outcome
        as it stands: to the midpoint of x and q, shifted by the tolerance, floored at 0.
    """
    x_i = np.asarray(position, dtype=float)
    s = np.asarray(salience, dtype=float)
    x = np.asarray(outcome, dtype=float)[..., None, :]
    q = np.asarray(status_quo, dtype=float)
    span = np.asarray(span, dtype=float)
    has_q = ~np.isnan(q)
    qq = np.where(has_q, q, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        allowed = np.where(s > 0, tolerance * span / s, np.inf)  # extra distance tolerated
        excess = np.abs(x - x_i) - np.abs(qq - x_i)
        outcome_gap = np.maximum(excess - allowed, 0.0)
        direction = np.sign(x - qq)
        threshold = (x + qq) / 2 - direction * np.minimum(allowed, np.abs(x - qq)) / 2
        move_gap = np.maximum(direction * (threshold - x_i), 0.0)
    ok = np.isfinite(x_i) & np.asarray(involved, dtype=bool) & has_q
    accepts = ~ok | (outcome_gap <= _EPS * span)
    outcome_gap = np.where(accepts, 0.0, outcome_gap)
    move_gap = np.where(accepts, 0.0, move_gap)
    return accepts, outcome_gap, move_gap


def decide(accepts, agenda: Agenda, weight):
    """Which issues are agreed given who accepts.

    Parameters
    ----------
    accepts : bool (..., n_actors, n_issues)
    agenda : Agenda
    weight : (..., n_actors, n_issues)
        Majority voting weight (capability, or capability × salience), 0 where not involved.

    Returns
    -------
    agreed : bool (..., n_issues)
        The rule is met and no veto holder rejects.
    support : (..., n_issues)
        Weight share of the accepting actors among those the rule counts (among the involved
        actors for ``none``); 1 when nobody has weight.
    blocking : bool (..., n_actors, n_issues)
        Rejecting veto holders, and rejecting actors the rule needs where the rule failed.
    """
    accepts = np.asarray(accepts, dtype=bool)
    kind = np.array(agenda.kind)
    majority = kind == "majority"
    voters = np.where((kind == "none")[None, :], np.asarray(weight) > 0, agenda.counted)
    w = np.where(voters, weight, 0.0)
    total = w.sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        support = np.where(total > 0, (w * accepts).sum(axis=-2) / total, 1.0)
    all_counted = np.all(accepts | ~agenda.counted, axis=-2)
    rule_ok = np.where(majority, support >= agenda.threshold - _EPS, all_counted)
    rule_ok = np.where(kind == "none", True, rule_ok)
    veto_ok = np.all(accepts | ~agenda.veto, axis=-2)
    blocking = ~accepts & (agenda.veto | (agenda.counted & ~rule_ok[..., None, :]))
    return rule_ok & veto_ok, support, blocking


def open_issues(agreed, requires) -> np.ndarray:
    """Issues not yet agreed whose required issues are all agreed, (..., n_issues)."""
    agreed = np.asarray(agreed, dtype=bool)
    waiting = np.any(requires & ~agreed[..., None, :], axis=-1)
    return ~agreed & ~waiting


# -- negotiating one stage ----------------------------------------------------------------------
#: ``negotiate(position, open) -> (proposal, position)``: forecasts of the open issues (..., n_issues)
#: and the positions the stage ends with, both for every draw.
Negotiator = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _with_draws(a: ScenarioArrays, sel, position) -> ScenarioArrays:
    cap = np.asarray(a.capability)
    sal = np.asarray(a.salience)
    return a.replace(
        capability=cap[sel] if cap.ndim > 1 else cap,
        salience=sal[sel] if sal.ndim > 2 else sal,
        position=position[sel],
    )


def _negotiator(model: registry.Model, scenario: Scenario, a: ScenarioArrays, rng, kwargs: dict,
                carry: bool) -> Negotiator:
    """A stage negotiation with ``model`` over the draws of ``a`` (leading axis of position).

    An iterative model that declares ``positions`` (its forecast gives the positions after its
    last round) is run on all draws at once; otherwise it is run draw by draw through
    ``trajectory``.
    """
    from accord.forecast import model_kwargs

    cache: dict[tuple[int, ...], dict] = {}

    def kw(idx: tuple[int, ...]) -> dict:
        # Scenario-level keyword arguments (linkages…) must only name the issues at the table.
        if idx not in cache:
            cache[idx] = model_kwargs(scenario.with_issues([a.issue_ids[i] for i in idx]), model) | kwargs
        return cache[idx]

    def patterns(open_):
        keys, inverse = np.unique(open_, axis=0, return_inverse=True)
        for k, key in enumerate(keys):
            idx = tuple(int(i) for i in np.flatnonzero(key))
            if idx:
                yield np.flatnonzero(inverse.reshape(-1) == k), idx

    def iterative(position, open_):
        proposal = np.full(open_.shape, np.nan)
        new = position.copy()
        for sel, idx in patterns(open_):
            if model.positions:  # the forecast gives the positions after its last round: all draws at once
                sub = _with_draws(a, sel, position).take_issues(idx)
                res = model.forecast(sub, rng=rng, **kw(idx))
                proposal[np.ix_(sel, idx)] = res.outcome
                end = np.asarray(res.positions, dtype=float)
                new[np.ix_(sel, np.arange(a.n_actors), idx)] = np.where(sub.involved, end, np.nan)
                continue
            for d in sel:
                sub = _with_draws(a, d, position).take_issues(idx)
                traj = model.trajectory(sub, rng=rng, **kw(idx))
                proposal[d, list(idx)] = traj.forecast
                end = np.asarray(traj.positions[-1], dtype=float)
                new[d][:, list(idx)] = np.where(sub.involved, end, np.nan)
        return proposal, new

    def joint(position, open_):
        proposal = np.full(open_.shape, np.nan)
        for sel, idx in patterns(open_):
            sub = _with_draws(a, sel, position).take_issues(idx)
            proposal[np.ix_(sel, idx)] = model.forecast(sub, rng=rng, **kw(idx)).outcome
        return proposal, position

    def separate(position, open_):
        full = tuple(range(a.n_issues))
        out = np.asarray(model.forecast(_with_draws(a, slice(None), position), rng=rng, **kw(full)).outcome)
        return np.broadcast_to(out, open_.shape).copy(), position

    if model.iterative and carry:
        return iterative
    return joint if model.joint else separate


# -- the stage loop -----------------------------------------------------------------------------
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


def _num(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


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
    return np.abs(r.proposal[:, j] - r.status_quo[j]) <= _EPS * (iss.upper - iss.lower)


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
            "position": _num(r.position[0, i, j]),
            "outcome_gap": _num(r.outcome_gap[0, i, j]),
            "acceptable": _num(r.proposal[0, j] - np.sign(r.proposal[0, j] - r.status_quo[j]) * r.outcome_gap[0, i, j]),
            "move_gap": _num(r.move_gap[0, i, j]),
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
        "outcome": _num(r.outcome[0, j]),
        "proposal": _num(r.proposal[0, j]),
        "status_quo": _num(r.status_quo[j]),
        "support": _num(r.support[0, j]) if opened else None,
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
            "outcome_gap": _num(np.median(r.outcome_gap[hit, i, j])),
            "move_gap": _num(np.median(r.move_gap[hit, i, j])),
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
        "outcome": _num(q[1]),
        "outcome_given_agreement": {"mean": _num(x.mean()) if x.size else None,
                                    "p5": _num(q[0]), "p50": _num(q[1]), "p95": _num(q[2])},
        "status_quo": _num(r.status_quo[j]),
        "support": _num(np.mean(r.support[r.opened[:, j] > 0, j])) if (r.opened[:, j] > 0).any() else None,
        "blockers": blockers,
        "waiting_for": [w for w in waiting if w["p"] > 0],
        "n": n,
    }


def _sample(scenario: Scenario, a: ScenarioArrays, n_draws: int, rng, uncertainty) -> ScenarioArrays:
    """Monte Carlo draws of the inputs (leading axis), as :mod:`accord.uncertainty.sampling` makes them."""
    u = uncertainty if uncertainty is not None else Uncertainty.from_meta(dict(scenario.meta or {}))
    return sample(a, n_draws, rng, u)


def run_process(
    scenario: Scenario,
    model: str | registry.Model = "compromise",
    *,
    stages: int | None = None,
    draws: int = 0,
    seed: int | None = 0,
    drop: Sequence[str] = (),
    params: dict | None = None,
    majority_weight: str = "capability",
    tolerance: float = 0.0,
    carry_positions: bool = True,
    accept_by: str = "current",
    uncertainty=None,
) -> ProcessResult:
    """Play the scenario's agenda over ``stages`` stages with ``model``.

    Parameters
    ----------
    scenario : Scenario
    model : str or Model
        Any registered model (default ``compromise``).
    stages : int, optional
        Default: the issues on the longest precondition chain (before ``drop``) plus one, so
        every issue has at least one retry after it can first open.
    draws : int
        Monte Carlo draws of the inputs (0: one point run on the inputs as given).
    seed : int
        Seeds both the input draws and stochastic models (``SeedSequence(seed)``, one child each).
    drop : names
        Preconditions to drop first (see :func:`drop_preconditions`).
    params : dict
        Keyword arguments for the model (``variant``, ``rounds``, …).
    majority_weight : ``capability`` or ``capability-salience``
    tolerance : float
        See :func:`acceptance`.
    carry_positions : bool
        Whether an iterative model resumes from the positions the previous stage ended with
        (False: it forecasts each stage from the initial positions, like a closed-form model).
    accept_by : ``current`` or ``stated``
        Judge each forecast by the positions the stage ends with, or by the stated positions.
    uncertainty : accord.uncertainty.sampling.Uncertainty, optional
        Defaults for inputs without a stance range (default: from ``scenario.meta``).
    """
    if majority_weight not in MAJORITY_WEIGHTS:
        raise AccordError(f"majority weight must be one of {', '.join(MAJORITY_WEIGHTS)}, got {majority_weight!r}")
    if draws < 0:
        raise AccordError(f"--draws must be >= 0, got {draws}")
    if accept_by not in ("current", "stated"):
        raise AccordError(f"accept_by must be current or stated, got {accept_by!r}")
    if not tolerance >= 0:
        raise AccordError(f"tolerance must be >= 0, got {tolerance}")
    # The default number of stages comes from the agenda as written, so that a what-if dropping
    # a precondition is played over as many stages as the base case.
    n_stages = agenda(scenario).depth + 1 if stages is None else int(stages)
    scenario, dropped = drop_preconditions(scenario, drop)
    m_ = model if isinstance(model, registry.Model) else registry.get(model)
    a = scenario.arrays()
    ag = agenda(scenario, a)
    if n_stages < 1:
        raise AccordError(f"--stages must be >= 1, got {n_stages}")
    input_ss, model_ss = np.random.SeedSequence(seed).spawn(2)
    if draws:
        a = _sample(scenario, a, draws, np.random.default_rng(input_ss), uncertainty)
    else:
        a = a.replace(position=a.position[None], salience=a.salience[None])
    n_d = a.position.shape[0]
    negotiate = _negotiator(m_, scenario, a, np.random.default_rng(model_ss), dict(params or {}), carry_positions)

    span = a.upper - a.lower
    cap = np.asarray(a.capability, dtype=float)[..., :, None]
    position = np.asarray(a.position, dtype=float).copy()
    salience = np.broadcast_to(a.salience, position.shape)
    shape_dm, shape_dnm = (n_d, a.n_issues), position.shape
    agreed = np.zeros(shape_dm, dtype=bool)
    stage = np.zeros(shape_dm, dtype=int)
    opened = np.zeros(shape_dm, dtype=int)
    proposal = np.full(shape_dm, np.nan)
    support = np.full(shape_dm, np.nan)
    accepts = np.ones(shape_dnm, dtype=bool)
    blocking = np.zeros(shape_dnm, dtype=bool)
    outcome_gap = np.zeros(shape_dnm)
    move_gap = np.zeros(shape_dnm)
    judged = position.copy()
    stated = position.copy()
    moved_enough = _EPS * span
    open_by_stage = np.zeros((n_stages, *shape_dm), dtype=bool)
    for t in range(1, n_stages + 1):
        open_ = open_issues(agreed, ag.requires)
        open_by_stage[t - 1] = open_
        if not open_.any():
            continue
        offer, ended = negotiate(position, open_)
        by = ended if accept_by == "current" else stated
        acc, og, mg = acceptance(by, salience, a.involved, a.status_quo, offer, span, tolerance=tolerance)
        weight = cap * (salience if majority_weight == "capability-salience" else 1.0)
        weight = np.where(a.involved, weight, 0.0)
        ok, sup, blk = decide(acc, ag, weight)
        change = np.isnan(a.status_quo) | (np.abs(offer - a.status_quo) > moved_enough)
        ok &= np.isfinite(offer) & change
        now = open_ & ok
        opened = np.where(open_ & (opened == 0), t, opened)
        stage = np.where(now, t, stage)
        agreed |= now
        proposal = np.where(open_, offer, proposal)
        support = np.where(open_, sup, support)
        o3 = open_[..., None, :]
        accepts = np.where(o3, acc, accepts)
        blocking = np.where(o3, blk & ~now[..., None, :], blocking)
        outcome_gap = np.where(o3, og, outcome_gap)
        move_gap = np.where(o3, mg, move_gap)
        judged = np.where(o3, by, judged)
        position = np.where(o3 & ~now[..., None, :], ended, position)
    notes = []
    no_q = [i for i, q in zip(a.issue_ids, a.status_quo, strict=True) if np.isnan(q)]
    if no_q:
        notes.append("no status quo on " + ", ".join(no_q)
                     + ": each actor's disagreement point is its worst point on the scale, so the forecast is accepted once the issue opens")
    if m_.iterative and carry_positions:
        judge = "the positions a stage ends with" if accept_by == "current" else "the stated positions"
        notes.append(f"{m_.name} is iterative: positions carry over between stages; forecasts are judged by {judge}")
    return ProcessResult(
        scenario=scenario, model=m_.name, agenda=ag, status_quo=np.asarray(a.status_quo, dtype=float),
        n_stages=n_stages, n_draws=int(draws), agreed=agreed, stage=stage, opened=opened,
        outcome=np.where(agreed, proposal, a.status_quo), proposal=proposal, support=support,
        accepts=accepts, blocking=blocking, outcome_gap=outcome_gap, move_gap=move_gap,
        position=judged, open_by_stage=open_by_stage, seed=seed, dropped=dropped, notes=notes,
        majority_weight=majority_weight, tolerance=float(tolerance),
    )
