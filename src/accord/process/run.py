"""Playing a scenario's agenda over stages: the stage loop (:func:`run_process`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from accord.errors import AccordError
from accord.models import registry
from accord.process.agenda import agenda, drop_preconditions, open_issues
from accord.process.negotiation import negotiator
from accord.process.result import ProcessResult
from accord.process.rules import EPS, MAJORITY_WEIGHTS, acceptance, decide
from accord.scenario import Scenario, ScenarioArrays
from accord.uncertainty.sampling import Uncertainty, sample


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
    negotiate = negotiator(m_, scenario, a, np.random.default_rng(model_ss), dict(params or {}), carry_positions)

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
    moved_enough = EPS * span
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
