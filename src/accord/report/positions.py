"""Positions by round of an iterative model (EUM, SMP, exchange): one line per actor, median and mean.

Generic over :class:`accord.results.Trajectory`: it reads only ``positions``, ``median``, ``mean``,
``outcome``, ``actor_ids``, ``issue_ids`` and ``model``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from accord.report._mpl import axes

#: Emphasised series drawn over the actors' lines.
STYLES = {
    "median": {"color": "black", "linewidth": 2.6, "linestyle": "-", "zorder": 5},
    "mean": {"color": "#c62828", "linewidth": 2.2, "linestyle": "--", "zorder": 4},
    "outcome": {"color": "#1565c0", "linewidth": 2.2, "linestyle": ":", "zorder": 6},
}


def positions_data(trajectory) -> pd.DataFrame:
    """One row per (round, issue, series) of a trajectory.

    Columns: ``round`` (0 = initial positions), ``issue``, ``series`` (an actor id, ``median``,
    ``mean``, and ``outcome`` when the model's outcome is not its median), ``kind`` (``actor``
    or the series name) and ``position`` (NaN where an actor is not involved in the issue).
    """
    t = trajectory
    n_rounds = t.positions.shape[0]
    series: list[tuple[str, str, np.ndarray]] = []  # (name, kind, values (rounds, issues))
    for a, actor in enumerate(t.actor_ids):
        series.append((actor, "actor", t.positions[:, a, :]))
    series.append(("median", "median", np.asarray(t.median)))
    series.append(("mean", "mean", np.asarray(t.mean)))
    outcome = getattr(t, "outcome", None)
    if outcome is not None and not np.allclose(outcome, t.median, equal_nan=True):
        series.append(("outcome", "outcome", np.asarray(outcome)))
    frames = []
    for name, kind, values in series:
        frames.append(pd.DataFrame({
            "round": np.repeat(np.arange(n_rounds), len(t.issue_ids)),
            "issue": np.tile(np.asarray(t.issue_ids, dtype=object), n_rounds),
            "series": name,
            "kind": kind,
            "position": np.asarray(values, dtype=float).reshape(-1),
        }))
    df = pd.concat(frames, ignore_index=True)
    return df.sort_values(["issue", "round"], kind="stable").reset_index(drop=True)


def plot_positions(trajectory, ax=None, issue=None):
    """Every actor's position by round on one issue (thin lines), median and mean emphasised.

    ``issue`` is an issue id or index (default: the first issue). Actors are labelled in the
    legend when there are at most 12 of them. Returns the matplotlib Axes.
    """
    t = trajectory
    if issue is None:
        issue = t.issue_ids[0]
    elif isinstance(issue, (int, np.integer)):
        issue = t.issue_ids[int(issue)]
    if issue not in t.issue_ids:
        raise ValueError(f"unknown issue {issue!r}; issues: {', '.join(map(str, t.issue_ids))}")
    df = positions_data(t)
    df = df[df["issue"] == issue]
    ax = axes(ax)
    actors = df[df["kind"] == "actor"]
    label_actors = actors["series"].nunique() <= 12
    for name, part in actors.groupby("series", sort=False):
        if part["position"].isna().all():
            continue
        ax.plot(part["round"], part["position"], linewidth=1.0, alpha=0.75, marker="o", markersize=2.5,
                label=name if label_actors else None)
    for kind, style in STYLES.items():
        part = df[df["kind"] == kind]
        if not part.empty:
            ax.plot(part["round"], part["position"], label=kind, **style)
    n_rounds = int(df["round"].max()) if len(df) else 0
    ax.set_xlim(-0.2, max(n_rounds, 1) + 0.2)
    ax.set_xticks(range(0, n_rounds + 1, max(1, (n_rounds + 9) // 10)))
    ax.set_xlabel("round")
    ax.set_ylabel("position")
    title = getattr(t, "model", "")
    variant = getattr(t, "variant", None)
    if variant:
        title += f" ({variant})"
    stopped = getattr(t, "stopped", None)
    ax.set_title(f"{title}: {issue}" + (f" — stopped: {stopped}" if stopped else ""), loc="left", fontsize=10)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    ax.grid(True, alpha=0.3)
    return ax
