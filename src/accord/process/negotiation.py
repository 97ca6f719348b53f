"""Negotiating the open issues of one stage with a registered model, over every draw at once."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from accord.forecast import model_kwargs
from accord.models.base import Model
from accord.scenario import Scenario, ScenarioArrays

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


def negotiator(model: Model, scenario: Scenario, a: ScenarioArrays, rng, kwargs: dict,
                carry: bool) -> Negotiator:
    """A stage negotiation with ``model`` over the draws of ``a`` (leading axis of position).

    An iterative model that declares ``positions`` (its forecast gives the positions after its
    last round) is run on all draws at once; otherwise it is run draw by draw through
    ``trajectory``.
    """
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
