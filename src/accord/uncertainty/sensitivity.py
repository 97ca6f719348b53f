"""Which inputs move a forecast most: one-at-a-time swings and Sobol indices.

Input names: ``ACTOR.capability``, ``ACTOR.ISSUE.position``, ``ACTOR.ISSUE.salience``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from accord.errors import AccordError
from accord.forecast import model_kwargs
from accord.limits import check_memory, limit
from accord.models import registry
from accord.scenario import Scenario, ScenarioArrays


@dataclass(frozen=True)
class Swings:
    """How far each input is pushed in the one-at-a-time analysis.

    A position goes to its stance range (low/high) when there is one, otherwise ± ``position``
    percent of the issue's scale (``position_unit="points"``: scale units), or the issue's own
    swing in ``issues`` (``{issue_id: (value, unit)}``); a salience ± ``salience`` (within
    [0, 1]); a capability × (1 ± ``capability``). On a 0–100 scale the default, 10 %, is 10
    points; on a 0–20 scale it is 2.
    """

    position: float = 10.0
    salience: float = 0.2
    capability: float = 0.5
    position_unit: str = "percent"
    issues: Mapping[str, tuple[float, str]] = field(default_factory=dict)

    def position_swings(self, a: ScenarioArrays) -> np.ndarray:
        """The position swing of each issue (n_issues,), in its scale units."""
        span = np.asarray(a.upper, float) - np.asarray(a.lower, float)
        out = np.empty(a.n_issues)
        for k, issue in enumerate(a.issue_ids):
            value, unit = self.issues.get(issue, (self.position, self.position_unit))
            out[k] = value * (span[k] / 100.0 if unit == "percent" else 1.0)
        return out


def _inputs(a: ScenarioArrays, sw: Swings):
    """(name, kind, actor index, issue index, low value, high value) for every input."""
    unknown = sorted(set(sw.issues) - set(a.issue_ids))
    if unknown:
        raise AccordError(f"position swing for unknown issue(s) {', '.join(unknown)}; issues: {', '.join(a.issue_ids)}")
    swing = sw.position_swings(a)
    out = []
    for j, actor in enumerate(a.actor_ids):
        c = a.capability[j]
        out.append((f"{actor}.capability", "capability", j, -1, c * (1 - sw.capability), c * (1 + sw.capability)))
    for j, actor in enumerate(a.actor_ids):
        for k, issue in enumerate(a.issue_ids):
            if not a.involved[j, k]:
                continue
            x = a.position[j, k]
            lo = a.position_low[j, k] if not np.isnan(a.position_low[j, k]) else max(a.lower[k], x - swing[k])
            hi = a.position_high[j, k] if not np.isnan(a.position_high[j, k]) else min(a.upper[k], x + swing[k])
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


def _check_batch(what: str, rows: int, a: ScenarioArrays, model, progress) -> None:
    """Refuse a batch of ``rows`` scenario copies whose arrays would not fit in memory: capability,
    position and salience per row, and as much again for the model's own temporaries; run in
    :data:`PIECES` pieces when a caller watches the progress of a deterministic model."""
    pieces = PIECES if progress is not None and not model.stochastic and rows > PIECES else 1
    check_memory(what, 8.0 * (rows / pieces) * (a.n_actors + 2 * a.n_actors * a.n_issues) * 2)


def _run(model, batch, kwargs):
    return np.asarray(model.forecast(batch, rng=np.random.default_rng(0), **kwargs).outcome, dtype=float)


#: Pieces a long batch is cut into when someone watches its progress.
PIECES = 20


def _run_rows(model, a: ScenarioArrays, rows: int, build: Callable[[slice], ScenarioArrays], kwargs,
              progress: Callable[[int, int], None] | None) -> np.ndarray:
    """The forecasts of ``rows`` batch rows, ``build(sl)`` giving the inputs of rows ``sl``; in
    :data:`PIECES` pieces with ``progress(done, total)`` after each when a caller watches (a
    deterministic model gives the same numbers either way)."""
    pieces = PIECES if progress is not None and not model.stochastic and rows > PIECES else 1
    # (a stochastic model runs whole, from one random stream, so that watching never changes it)
    cuts = np.linspace(0, rows, pieces + 1).astype(int)
    out = []
    for k in range(pieces):
        out.append(_run(model, build(slice(cuts[k], cuts[k + 1])), kwargs))
        if progress is not None:
            progress(k + 1, pieces)
    return np.concatenate(out, axis=0)


def one_at_a_time(scenario: Scenario, model: str = "compromise", swings: Swings = Swings(), *,
                  progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Each input pushed to its low and high value in turn, the others held at their estimates.

    Returns one row per (issue, input) that touches the issue: ``issue``, ``input``, ``low``,
    ``high``, ``outcome_low``, ``outcome_high``, ``base``, ``swing`` (|outcome_high −
    outcome_low|), sorted by issue then swing, largest first (the order of a tornado chart).
    ``progress(done, total)`` is called as the runs advance.
    """
    m = registry.get(model)
    a = scenario.arrays()
    kwargs = model_kwargs(scenario, m)
    inputs = _inputs(a, swings)
    values = np.array([i[4] for i in inputs] + [i[5] for i in inputs])
    both = inputs + inputs
    _check_batch("a one-at-a-time analysis", 2 * len(inputs), a, m, progress)
    base = _run(m, a.replace(capability=a.capability[None], position=a.position[None], salience=a.salience[None]), kwargs)[0]
    if progress is None or m.stochastic:  # two batches: a stochastic model's numbers depend on the cut
        out_lo = _run(m, _with_values(a, inputs, values[:len(inputs)]), kwargs)
        out_hi = _run(m, _with_values(a, inputs, values[len(inputs):]), kwargs)
        if progress is not None:
            progress(1, 1)
    else:
        runs = _run_rows(m, a, len(both), lambda sl: _with_values(a, both[sl], values[sl]), kwargs, progress)
        out_lo, out_hi = runs[:len(inputs)], runs[len(inputs):]
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
    swings: Swings = Swings(), *, progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Sobol first-order (S1) and total (ST) indices of one issue's forecast (Saltelli 2002;
    Saltelli et al. 2010), via SALib. Inputs vary uniformly over their one-at-a-time range.
    ``progress(done, total)`` is called as the runs advance.

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
    if not inputs:
        raise AccordError(f"no input moves issue {issue!r}: every input of it has an empty range")
    if not 1 <= n <= limit("samples"):
        raise AccordError(f"the Sobol sample size must be between 1 and {limit('samples'):,}, got {n:,}")
    _check_batch(f"a Sobol analysis with {n:,} samples", n * (len(inputs) + 2), a, m, None)  # every row is built at once
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
    batch = a.replace(capability=cap, position=pos, salience=sal)
    y = _run_rows(m, a, len(x), lambda sl: batch.replace(capability=cap[sl], position=pos[sl], salience=sal[sl]),
                  model_kwargs(scenario, m), progress)[:, k]
    res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    df = pd.DataFrame({"input": problem["names"], "S1": res["S1"], "S1_conf": res["S1_conf"],
                       "ST": res["ST"], "ST_conf": res["ST_conf"]})
    df.insert(0, "issue", issue)
    return df.sort_values("ST", ascending=False).reset_index(drop=True)
