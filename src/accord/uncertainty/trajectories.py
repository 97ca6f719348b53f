"""Repeated runs of an iterative model: the per-round range of every position and outcome.

A stochastic model (the exchange model with random ties, SMP's stochastic transition, the
random-rate exchange) gives a different trajectory on every run. Analysts compare a single
observed run, such as Decide's, with the range of many of ours, round by round (docs/models/exchange.md).
Run k draws from the k-th child of ``SeedSequence(seed)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from accord import __version__
from accord.jsonable import number
from accord.models.registry import Model
from accord.scenario import ScenarioArrays


@dataclass
class TrajectoryRanges:
    """``positions`` (n_runs, n_rounds + 1, n_actors, n_issues), ``outcome`` (n_runs, n_rounds + 1,
    n_issues); a run that stopped early holds its last row to the end."""

    model: str
    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    seed: int | None
    positions: np.ndarray
    outcome: np.ndarray

    @property
    def repetitions(self) -> int:
        return self.positions.shape[0]

    def summary_frame(self) -> pd.DataFrame:
        """One row per (round, issue): the outcome's min, mean and max over the runs."""
        lo, mid, hi = self.outcome.min(axis=0), self.outcome.mean(axis=0), self.outcome.max(axis=0)
        r, m = lo.shape
        return pd.DataFrame({
            "round": np.repeat(np.arange(r), m), "issue": np.tile(self.issue_ids, r),
            "min": lo.reshape(-1), "mean": mid.reshape(-1), "max": hi.reshape(-1),
        })

    def to_frame(self) -> pd.DataFrame:
        """One row per (round, issue, actor): the position's min, mean and max over the runs."""
        p = self.positions
        r, n, m = p.shape[1:]
        idx = pd.MultiIndex.from_product([range(r), self.issue_ids, self.actor_ids], names=["round", "issue", "actor"])
        cols = {name: f(p, axis=0).transpose(0, 2, 1).reshape(-1) for name, f in
                (("min", np.min), ("mean", np.mean), ("max", np.max))}
        return pd.DataFrame(cols, index=idx).reset_index()

    def to_json(self) -> dict:
        p, o = self.positions, self.outcome
        lo, mid, hi = p.min(axis=0), p.mean(axis=0), p.max(axis=0)
        rounds = []
        for r in range(p.shape[1]):
            for k, issue in enumerate(self.issue_ids):
                rounds.append({
                    "round": r,
                    "issue": issue,
                    "outcome": {"min": number(o[:, r, k].min()), "mean": number(o[:, r, k].mean()),
                                "max": number(o[:, r, k].max())},
                    "positions": {a: {"min": number(lo[r, j, k]), "mean": number(mid[r, j, k]), "max": number(hi[r, j, k])}
                                  for j, a in enumerate(self.actor_ids)},
                })
        return {"accord_version": __version__, "model": self.model, "repetitions": self.repetitions,
                "seed": self.seed, "rounds": rounds}


def repeat(model: Model, arrays: ScenarioArrays, repetitions: int, seed: int | None = 0, **kwargs) -> TrajectoryRanges:
    """``repetitions`` trajectories of ``model`` (keyword arguments as for its ``trajectory``)."""
    streams = np.random.SeedSequence(seed).spawn(max(1, int(repetitions)))
    runs = [model.trajectory(arrays, rng=np.random.default_rng(s), **kwargs) for s in streams]
    rows = max(t.positions.shape[0] for t in runs)
    return TrajectoryRanges(
        model=model.name, actor_ids=arrays.actor_ids, issue_ids=arrays.issue_ids, seed=seed,
        positions=np.stack([_held(t.positions, rows) for t in runs]),
        outcome=np.stack([_held(t.outcomes, rows) for t in runs]),
    )


def _held(x: np.ndarray, rows: int) -> np.ndarray:
    """``x`` with its last row repeated up to ``rows`` rows."""
    return np.concatenate([x, np.repeat(x[-1:], rows - len(x), axis=0)]) if len(x) < rows else x
