"""Which inputs move a forecast most: one-at-a-time swings and Sobol indices.

Input names: ``ACTOR.capability``, ``ACTOR.ISSUE.position``, ``ACTOR.ISSUE.salience``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from accord.errors import AccordError
from accord.forecast import model_kwargs
from accord.models import registry
from accord.scenario import Scenario, ScenarioArrays


@dataclass(frozen=True)
class Swings:
    """How far each input is pushed in the one-at-a-time analysis.

    A position goes to its stance range (low/high) when there is one, otherwise ± ``position``
    scale units; a salience ± ``salience`` (within [0, 1]); a capability × (1 ± ``capability``).
    """

    position: float = 10.0
    salience: float = 0.2
    capability: float = 0.5


def _inputs(a: ScenarioArrays, sw: Swings):
    """(name, kind, actor index, issue index, low value, high value) for every input."""
    out = []
    for j, actor in enumerate(a.actor_ids):
        c = a.capability[j]
        out.append((f"{actor}.capability", "capability", j, -1, c * (1 - sw.capability), c * (1 + sw.capability)))
    for j, actor in enumerate(a.actor_ids):
        for k, issue in enumerate(a.issue_ids):
            if not a.involved[j, k]:
                continue
            x = a.position[j, k]
            lo = a.position_low[j, k] if not np.isnan(a.position_low[j, k]) else max(a.lower[k], x - sw.position)
            hi = a.position_high[j, k] if not np.isnan(a.position_high[j, k]) else min(a.upper[k], x + sw.position)
            out.append((f"{actor}.{issue}.position", "position", j, k, lo, hi))
            s = a.salience[j, k]
            out.append((f"{actor}.{issue}.salience", "salience", j, k, max(0.0, s - sw.salience), min(1.0, s + sw.salience)))
    return out


def _with_values(a: ScenarioArrays, inputs, values: np.ndarray) -> ScenarioArrays:
    """A batch of inputs: row r sets input ``inputs[r]`` to ``values[r]``, all else unchanged."""
    b = len(inputs)
    cap = np.repeat(a.capability[None], b, axis=0)
    pos = np.repeat(a.position[None], b, axis=0)
    sal = np.repeat(a.salience[None], b, axis=0)
    for r, (_, kind, j, k, _, _) in enumerate(inputs):
        if kind == "capability":
            cap[r, j] = values[r]
        elif kind == "position":
            pos[r, j, k] = values[r]
        else:
            sal[r, j, k] = values[r]
    return a.replace(capability=cap, position=pos, salience=sal)


def _run(model, batch, kwargs):
    return np.asarray(model.forecast(batch, rng=np.random.default_rng(0), **kwargs).outcome, dtype=float)


def one_at_a_time(scenario: Scenario, model: str = "compromise", swings: Swings = Swings()) -> pd.DataFrame:
    """Each input pushed to its low and high value in turn, the others held at their estimates.

    Returns one row per (issue, input) that touches the issue: ``issue``, ``input``, ``low``,
    ``high``, ``outcome_low``, ``outcome_high``, ``base``, ``swing`` (|outcome_high −
    outcome_low|), sorted by issue then swing, largest first (the order of a tornado chart).
    """
    m = registry.get(model)
    a = scenario.arrays()
    kwargs = model_kwargs(scenario, m)
    inputs = _inputs(a, swings)
    lows = np.array([i[4] for i in inputs])
    highs = np.array([i[5] for i in inputs])
    base = _run(m, a.replace(capability=a.capability[None], position=a.position[None], salience=a.salience[None]), kwargs)[0]
    out_lo = _run(m, _with_values(a, inputs, lows), kwargs)
    out_hi = _run(m, _with_values(a, inputs, highs), kwargs)
    rows = []
    for r, (name, kind, _j, k, lo, hi) in enumerate(inputs):
        issues = range(a.n_issues) if (kind == "capability" or m.joint) else [k]
        for i in issues:
            if kind == "capability" and not a.involved[_j, i]:
                continue
            rows.append({
                "issue": a.issue_ids[i], "input": name, "kind": kind, "low": lo, "high": hi,
                "outcome_low": out_lo[r, i], "outcome_high": out_hi[r, i], "base": base[i],
                "swing": abs(out_hi[r, i] - out_lo[r, i]),
            })
    df = pd.DataFrame(rows)
    order = {iss: n for n, iss in enumerate(a.issue_ids)}
    df["_o"] = df.issue.map(order)
    return df.sort_values(["_o", "swing"], ascending=[True, False]).drop(columns="_o").reset_index(drop=True)


def sobol(
    scenario: Scenario, issue: str, model: str = "compromise", n: int = 256, seed: int = 0,
    swings: Swings = Swings(),
) -> pd.DataFrame:
    """Sobol first-order (S1) and total (ST) indices of one issue's forecast (Saltelli 2002;
    Saltelli et al. 2010), via SALib. Inputs vary uniformly over their one-at-a-time range.

    Needs the optional extra: ``pip install 'accord[salib]'``.
    """
    try:
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import sobol as sobol_sample
    except ImportError:
        raise AccordError("variance-based sensitivity needs SALib: pip install 'accord[salib]'") from None
    m = registry.get(model)
    a = scenario.arrays()
    if issue not in a.issue_ids:
        raise AccordError(f"unknown issue {issue!r}; issues: {', '.join(a.issue_ids)}")
    k = a.issue_ids.index(issue)
    inputs = [i for i in _inputs(a, swings) if (i[1] == "capability" and a.involved[i[2], k]) or i[3] == k]
    inputs = [i for i in inputs if i[5] > i[4]]
    problem = {"num_vars": len(inputs), "names": [i[0] for i in inputs], "bounds": [[i[4], i[5]] for i in inputs]}
    x = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    cap = np.repeat(a.capability[None], len(x), axis=0)
    pos = np.repeat(a.position[None], len(x), axis=0)
    sal = np.repeat(a.salience[None], len(x), axis=0)
    for c, (_, kind, j, kk, _, _) in enumerate(inputs):
        if kind == "capability":
            cap[:, j] = x[:, c]
        elif kind == "position":
            pos[:, j, kk] = x[:, c]
        else:
            sal[:, j, kk] = x[:, c]
    y = _run(m, a.replace(capability=cap, position=pos, salience=sal), model_kwargs(scenario, m))[:, k]
    res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    df = pd.DataFrame({"input": problem["names"], "S1": res["S1"], "S1_conf": res["S1_conf"],
                       "ST": res["ST"], "ST_conf": res["ST_conf"]})
    df.insert(0, "issue", issue)
    return df.sort_values("ST", ascending=False).reset_index(drop=True)
