"""Backtest: how close each model comes to the outcomes of real decisions (DEU, or any scenario
whose issues carry a known outcome).

The functional core: :func:`predict` runs every model on every scored issue and gives one row per
(model, capability scheme, issue); :func:`summarise` turns those rows into metrics with bootstrap
intervals; :func:`backtest_command` is the pure entry the CLI calls.

Scored set (the DEU convention): issues with an outcome and at least three actors with a position.
Models that look at issues one at a time run on each proposal (``Issue.group``, DEU's ``prnr``) as
a batch; models registered with ``joint=True`` run on each proposal as a whole, so the exchange
model trades only among issues of the same proposal. A model that fails on a proposal is retried
issue by issue (unless joint); each failure is recorded with its reason, and the model is scored
on the issues it did forecast, with its ``n`` shown.

Metrics, on the 0–100 scale: mean absolute error (MAE), root mean squared error, median absolute
error, share within 10 points, a 95 % bootstrap interval for the MAE and for the paired difference
MAE(model) − MAE(reference) on the issues both forecast. The bootstrap resamples proposals, not
issues, because issues of one proposal are decided together (Efron & Tibshirani 1993, ch. 6 on
clustered data). Models that give quantiles (keys ``q10``, ``q25``, … in their output) or are
stochastic (several draws) are also scored on the coverage of their central 50 % and 80 %
intervals and the continuous ranked probability score (CRPS; Gneiting & Raftery 2007), estimated
from quantiles as twice the mean pinball loss over a midpoint grid of levels, or from draws as
E|X − y| − ½ E|X − X'|.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from accord.backtest.issues import CAPABILITY_SCHEMES, MIN_ACTORS, capability_matrix, issue_table
from accord.backtest.run import Unit, predict, run_model, units
from accord.backtest.scores import (
    LEVELS,
    crps_from_quantiles,
    interval_coverage,
    pinball,
    summarise,
)
from accord.errors import AccordError, ScenarioError
from accord.jsonable import jsonable
from accord.scenario import Scenario

__all__ = [
    "CAPABILITY_SCHEMES", "LEVELS", "MIN_ACTORS", "Unit", "backtest", "backtest_command", "capability_matrix",
    "crps_from_quantiles", "interval_coverage", "issue_table", "pinball", "predict", "run_model", "summarise", "units",
]


def backtest(scenario: Scenario, models=None, capability="equal", *, split=None, seed: int = 0,
             n_boot: int = 2000, draws: int = 10, reference: str = "compromise",
             params: dict[str, dict] | None = None, progress=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary, predictions) for a scenario with known outcomes; ``split`` keeps issues whose
    DEU split is that value (or one of those values); ``progress(done, total)`` as in
    :func:`predict`."""
    if split not in (None, "all"):
        keep = {split} if isinstance(split, str) else set(split)
        table = issue_table(scenario)
        ids = table.loc[table["split"].isin(keep), "issue"].tolist()
        if not ids:
            raise ScenarioError(f"no issue has split {split!r}")
        scenario = scenario.with_issues(ids)
    pred = predict(scenario, models, capability, seed=seed, draws=draws, params=params, progress=progress)
    names = set(pred["model"])
    if reference not in names:
        ref = predict(scenario, [reference], capability, seed=seed, draws=draws, params=params)
        summary = summarise(pd.concat([pred, ref], ignore_index=True), reference=reference, n_boot=n_boot, seed=seed)
        summary = summary[summary["model"].isin(names)].reset_index(drop=True)
    else:
        summary = summarise(pred, reference=reference, n_boot=n_boot, seed=seed)
    return summary, pred


def backtest_command(path, models=None, capability="equal", *, split=None, seed: int = 0,
                     n_boot: int = 2000, draws: int = 10, reference: str = "compromise",
                     return_predictions: bool = False, progress=None) -> tuple:
    """Read ``path`` (DEU folder or deposit file, or any scenario file with ``meta.outcomes``),
    backtest, and return ``(report, summary)``.

    ``models``: names (``None`` or ``["all"]``: every registered model; comma-separated names
    allowed); ``capability``: a scheme name, a CSV path, or several (list or comma-separated).
    The report is the JSON contract ``{"n_issues", "split", "capability", "reference",
    "models": [{"model", "capability", "mae", "rmse", "n", ...}]}``. With ``return_predictions``,
    ``(report, summary, predictions)`` (one row per model, scheme and issue, for plots).
    """
    p = Path(path)
    if p.is_dir() or _is_deu(p):
        from accord.io.deu import read_deu

        scenario = read_deu(p)
    else:
        from accord.io import read_scenario

        scenario = read_scenario(p)
    if isinstance(capability, str):
        capability = [c.strip() for c in capability.split(",") if c.strip()] or ["equal"]
    summary, pred = backtest(scenario, models, capability, split=split, seed=seed, n_boot=n_boot,
                             draws=draws, reference=reference, progress=progress)
    n_issues = int(pred["issue"].nunique())
    report = {
        "n_issues": n_issues,
        "split": split or "all",
        "capability": list(capability),
        "reference": reference,
        "models": [{k: jsonable(v) for k, v in row.items()} for row in summary.to_dict("records")],
    }
    return (report, summary, pred) if return_predictions else (report, summary)


def _is_deu(p: Path) -> bool:
    from accord.io.deu import sniff_deu

    try:
        return p.is_file() and sniff_deu(p) == "deu"
    except AccordError:
        return False
