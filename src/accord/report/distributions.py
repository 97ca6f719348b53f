"""Forecast distributions of a Monte Carlo ensemble, per issue and model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from accord.report._mpl import axes


def distributions_data(ensemble, issue: str | None = None) -> pd.DataFrame:
    """Every draw as a row (``draw``, ``issue``, ``model``, ``outcome``), optionally one issue."""
    df = ensemble.to_frame()
    return df if issue is None else df[df.issue == issue].reset_index(drop=True)


def plot_distributions(ensemble, issue: str | None = None, ax=None, bins: int = 40):
    """Histogram per model of one issue's forecast (the first issue by default), with p10–p90 marks."""
    issue = issue or ensemble.issue_ids[0]
    df = distributions_data(ensemble, issue)
    ax = axes(ax)
    k = ensemble.issue_ids.index(issue)
    for model, grp in df.groupby("model", sort=False):
        x = grp.outcome.dropna().to_numpy()
        if x.size == 0:
            continue
        ax.hist(x, bins=bins, alpha=0.5, label=model, density=True)
        lo, hi = np.percentile(x, [10, 90])
        ax.axvspan(lo, hi, alpha=0.05)
    ax.set_xlabel(f"{ensemble.issue_names[k]}")
    ax.set_ylabel("density")
    ax.set_title(f"Forecast distribution ({ensemble.n_draws} draws)")
    ax.legend(fontsize="small")
    return ax
