"""Timeline of a process run: which issues are closed, negotiated or agreed at each stage."""

from __future__ import annotations

import numpy as np
import pandas as pd

from accord.report._mpl import axes

#: Colours of the three states of an issue at a stage.
COLOURS = {"agreed": "#2e7d32", "negotiated": "#f0a030", "closed": "#c8c8c8"}


def timeline_data(result) -> pd.DataFrame:
    """One row per (issue, stage) of an :class:`accord.process.ProcessResult`.

    Columns: ``issue``, ``issue_name``, ``stage`` (1…S), ``p_agreed`` (agreed at this stage or
    before), ``p_agreed_now`` (agreed at this stage), ``p_negotiated`` (open at this stage but not
    agreed), ``p_closed`` (waiting for a precondition, or retried no more). The three shares
    ``p_agreed + p_negotiated + p_closed`` sum to 1; a point run gives 0s and 1s. The strategic
    mode adds ``p_package_now`` and ``p_conceded_now`` (agreed now in a package, or because its
    blockers gave in) and ``p_chip_dropped`` (a precondition on the issue dropped at this stage).
    """
    rows = []
    stage = np.asarray(result.stage)
    via = result.via if result.via is not None else np.zeros_like(stage)
    chips = result.chips
    drops = []
    if chips is not None:
        for k, pre in enumerate(result.scenario.preconditions):
            drops.append((list(result.issue_ids).index(pre.issue), chips["code"][:, k] == 4, chips["stage"][:, k]))
    for t in range(1, result.n_stages + 1):
        open_t = result.open_by_stage[t - 1]
        done = (stage > 0) & (stage <= t)
        now = stage == t
        for j, issue in enumerate(result.issue_ids):
            p_agreed = float(done[:, j].mean())
            p_neg = float((open_t[:, j] & ~now[:, j]).mean())
            chip = np.zeros(stage.shape[0], dtype=bool)
            for gate, was_dropped, when in drops:
                if gate == j:
                    chip |= was_dropped & (when == t)
            rows.append({
                "issue": issue,
                "issue_name": result.scenario.issues[j].name,
                "stage": t,
                "p_agreed": p_agreed,
                "p_agreed_now": float(now[:, j].mean()),
                "p_negotiated": p_neg,
                "p_closed": max(0.0, 1.0 - p_agreed - p_neg),
                "p_package_now": float((now[:, j] & (via[:, j] == 3)).mean()),
                "p_conceded_now": float((now[:, j] & (via[:, j] == 2)).mean()),
                "p_chip_dropped": float(chip.mean()),
            })
    return pd.DataFrame(rows)


def plot_timeline(result, ax=None):
    """Issues down, stages across; each cell split by the share agreed, negotiated and closed.

    Green: agreed at or before this stage; orange: negotiated without agreement; grey: closed
    (waiting for a precondition). With draws the cell heights are probabilities; the number in a
    cell is the probability of agreement at that very stage. In a point run the mark says how:
    ✓ on its own, P in a package, C when its blockers gave in; a ▼ at the left of a cell marks
    a precondition on that issue dropped at that stage.
    """
    df = timeline_data(result)
    issues = list(result.issue_ids)
    ax = axes(ax, figsize=(1.2 * result.n_stages + 3.5, 0.45 * len(issues) + 1.2))
    height = 0.8
    for row in df.itertuples(index=False):
        y = len(issues) - 1 - issues.index(row.issue)
        bottom = y - height / 2
        for state, share in (("agreed", row.p_agreed), ("negotiated", row.p_negotiated), ("closed", row.p_closed)):
            if share > 0:
                ax.bar(row.stage, share * height, bottom=bottom, width=0.95, color=COLOURS[state],
                       edgecolor="white", linewidth=0.5)
                bottom += share * height
        if row.p_agreed_now > 0:
            if result.n_draws:
                text = f"{row.p_agreed_now:.0%}"
            else:
                text = "P" if row.p_package_now else "C" if row.p_conceded_now else "✓"
            ax.text(row.stage, y, text, ha="center", va="center", fontsize=8, color="white")
        if row.p_chip_dropped > 0:
            label = "▼" if result.n_draws == 0 else f"▼{row.p_chip_dropped:.0%}"
            ax.text(row.stage - 0.44, y, label, ha="left", va="center", fontsize=7, color="white")
    ax.set_yticks(range(len(issues)), issues[::-1])
    ax.set_xticks(range(1, result.n_stages + 1))
    ax.set_xlim(0.5, result.n_stages + 0.5)
    ax.set_ylim(-0.6, len(issues) - 0.4)
    ax.set_xlabel("stage")
    handles = [ax.bar(0, 0, color=c, label=s) for s, c in COLOURS.items()]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    what = f"{result.n_draws} draws" if result.n_draws else "one run"
    ax.set_title(f"{result.scenario.title}: process ({result.model}, {what})", fontsize=10)
    return ax
