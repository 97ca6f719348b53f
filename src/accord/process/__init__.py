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

from accord.process.agenda import Agenda, agenda, drop_preconditions, open_issues
from accord.process.result import ProcessResult
from accord.process.rules import MAJORITY_WEIGHTS, acceptance, decide
from accord.process.run import run_process

__all__ = [
    "MAJORITY_WEIGHTS", "Agenda", "ProcessResult", "acceptance", "agenda", "decide", "drop_preconditions",
    "open_issues", "run_process",
]
