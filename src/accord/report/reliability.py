"""Reliability of interval forecasts: how often each model's central intervals hold the outcome."""

from __future__ import annotations

import pandas as pd

from accord.report._mpl import axes


def plot_reliability(coverage: pd.DataFrame, ax=None, title: str = "Interval reliability"):
    """Observed against nominal coverage of central intervals, one line per (model, capability),
    from :func:`accord.backtest.scores.interval_coverage`; the diagonal is perfect calibration,
    above it intervals are too wide, below too narrow."""
    ax = axes(ax, figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfect")
    if coverage.empty:
        ax.set_title(f"{title}: no model gives intervals")
        return ax
    several = coverage["capability"].nunique() > 1
    for (model, scheme), df in coverage.groupby(["model", "capability"], sort=False):
        df = df.sort_values("nominal")
        label = f"{model} ({scheme})" if several else model
        ax.plot(df["nominal"], df["observed"], marker="o", ms=3, label=label)
    for level in (0.5, 0.8):
        ax.axvline(level, color="grey", lw=0.5, alpha=0.5)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("nominal coverage of the central interval")
    ax.set_ylabel(f"observed coverage ({int(coverage['n'].max())} issues)")
    ax.set_title(title)
    ax.legend(fontsize="small", loc="lower right")
    return ax
