"""Who accepts an outcome over the status quo, and which issues the rules then agree (pure
functions over arrays; the equations are in the package docstring and docs/process.md)."""

from __future__ import annotations

import numpy as np

from accord.process.agenda import Agenda

MAJORITY_WEIGHTS = ("capability", "capability-salience")
#: Floating-point slack when comparing utilities, as a share of the scale.
EPS = 1e-9


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
    accepts = ~ok | (outcome_gap <= EPS * span)
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
    rule_ok = np.where(majority, support >= agenda.threshold - EPS, all_counted)
    rule_ok = np.where(kind == "none", True, rule_ok)
    veto_ok = np.all(accepts | ~agenda.veto, axis=-2)
    blocking = ~accepts & (agenda.veto | (agenda.counted & ~rule_ok[..., None, :]))
    return rule_ok & veto_ok, support, blocking
