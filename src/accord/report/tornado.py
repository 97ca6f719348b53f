"""Sensitivity tornado: the inputs that move one issue's forecast most."""

from __future__ import annotations

import pandas as pd

from accord.report._mpl import axes, plt


def tornado_data(oat: pd.DataFrame, issue: str, top: int = 10) -> pd.DataFrame:
    """The ``top`` largest swings of ``issue`` from :func:`accord.uncertainty.sensitivity.one_at_a_time`."""
    df = oat[oat.issue == issue].sort_values("swing", ascending=False).head(top)
    return df[["input", "low", "high", "outcome_low", "outcome_high", "base", "swing"]].reset_index(drop=True)


def plot_tornado(oat: pd.DataFrame, issue: str, top: int = 10, ax=None, title: str | None = None):
    """Horizontal bars from the outcome at each input's low value to that at its high value."""
    df = tornado_data(oat, issue, top).iloc[::-1]
    ax = axes(ax, figsize=(7, 0.4 * len(df) + 1.2))
    if df.empty:
        ax.set_title(f"{title or issue}: no inputs")
        return ax
    base = df.base.iloc[0]
    for y, row in enumerate(df.itertuples(index=False)):
        ax.barh(y, row.outcome_low - base, left=base, color="#4c78a8", height=0.6)
        ax.barh(y, row.outcome_high - base, left=base, color="#f58518", height=0.6)
    ax.axvline(base, color="black", lw=1)
    ax.set_yticks(range(len(df)), df.input)
    ax.set_xlabel("forecast (blue: input at low value, orange: at high value)")
    ax.set_title(f"Sensitivity of {title or issue}")
    return ax


def plot_tornadoes(oat: pd.DataFrame, issues, top: int = 10, names: dict | None = None):
    """One tornado per issue, stacked in one figure (what ``accord sensitivity --plot`` writes)."""
    issues = list(issues)
    heights = [0.4 * min(top, int((oat.issue == i).sum())) + 1.2 for i in issues]
    fig, axs = plt.subplots(len(issues), 1, figsize=(8, sum(heights)), layout="constrained",
                            gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, issue in zip(axs[:, 0], issues, strict=True):
        plot_tornado(oat, issue, top, ax=ax, title=(names or {}).get(issue, issue))
    return fig
