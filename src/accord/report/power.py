"""Effective power: each actor's capability × salience on an issue, as a share of the issue's total."""

from __future__ import annotations

import numpy as np
import pandas as pd

from accord.report._mpl import axes
from accord.scenario import Scenario


def power_data(scenario: Scenario) -> pd.DataFrame:
    """One row per involved (actor, issue): ``capability``, ``salience``, ``effective`` (c·s) and
    ``share`` of the issue's total effective power, with the actor's ``position``."""
    a = scenario.arrays()
    eff = np.where(a.involved, a.capability[:, None] * a.salience, 0.0)
    total = eff.sum(axis=0)
    rows = []
    for j, actor in enumerate(a.actor_ids):
        for k, issue in enumerate(a.issue_ids):
            if a.involved[j, k]:
                rows.append({
                    "actor": actor, "issue": issue, "position": a.position[j, k],
                    "capability": a.capability[j], "salience": a.salience[j, k], "effective": eff[j, k],
                    "share": eff[j, k] / total[k] if total[k] > 0 else np.nan,
                })
    return pd.DataFrame(rows)


def plot_power(scenario: Scenario, issue: str | None = None, ax=None):
    """Bars of effective-power share by actor, placed at each actor's position on the issue's
    scale, so one sees where the weight sits (the compromise is the bars' balance point)."""
    df = power_data(scenario)
    issue = issue or scenario.issue_ids[0]
    d = df[df.issue == issue].sort_values("position")
    ax = axes(ax)
    colours = {a.id: a.colour for a in scenario.actors if a.colour}
    names = {a.id: a.name for a in scenario.actors}
    iss = scenario.issue(issue)
    span = iss.upper - iss.lower
    width = span / 60
    bottom: dict[float, float] = {}
    for row in d.itertuples(index=False):  # actors at one position stack up
        base = bottom.get(row.position, 0.0)
        ax.bar(row.position, row.share, width=width, bottom=base, color=colours.get(row.actor, "#4c78a8"),
               alpha=0.85, edgecolor="white", linewidth=0.5)
        bottom[row.position] = base + row.share
    for pos, top in bottom.items():
        label = ", ".join(names[x] for x in d.actor[d.position == pos])
        ax.annotate(label, (pos, top), rotation=90, fontsize=7, xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom")
    compromise = (d.share * d.position).sum()
    ax.axvline(compromise, color="black", ls="--", lw=1, label=f"compromise {compromise:.1f}")
    if iss.status_quo is not None:
        ax.axvline(iss.status_quo, color="grey", ls=":", lw=1, label=f"status quo {iss.status_quo:g}")
    ax.set_xlim(iss.lower - span / 40, iss.upper + span / 40)
    ax.set_ylim(0, max(max(bottom.values()) * 1.6, 0.05))
    ax.set_xlabel(f"{iss.name} (position)")
    ax.set_ylabel("share of effective power (capability × salience)")
    ax.legend(fontsize="small", loc="upper right")
    return ax
