"""Backtest: the published DEU III baselines, the JSON contract, failures, joint runs, metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accord.backtest import (
    backtest,
    backtest_command,
    crps_from_quantiles,
    issue_table,
    predict,
    run_model,
    summarise,
    units,
)
from accord.errors import ModelError
from accord.io.deu import read_deu
from accord.models import Model, available
from accord.results import ModelResult

from conftest import shared


@pytest.fixture(scope="module")
def deu3():
    return read_deu(shared("deu3"))


def test_compromise_against_deu3_readme(deu3):
    """The data README's baselines on the 245 issues, to the 2 decimals it prints."""
    summary, pred = backtest(deu3, ["compromise", "mean"], "equal", n_boot=0)
    mae = summary.set_index("model")["mae"]
    assert pred["issue"].nunique() == 245
    assert round(mae["compromise"], 2) == 24.33
    assert round(mae["mean"], 2) == 24.27
    a = deu3.arrays()
    plain_median = np.nanmedian(np.where(a.involved, a.position, np.nan), axis=0)
    outcome = issue_table(deu3)["outcome"].to_numpy()
    assert round(float(np.abs(plain_median - outcome).mean()), 2) == 29.61


def test_backtest_command_json_contract():
    report, summary = backtest_command(shared("deu3"), ["compromise", "median"], "equal,council-votes", n_boot=200)
    assert report["n_issues"] == 245
    assert {"model", "mae", "rmse", "n"} <= set(report["models"][0])
    assert len(report["models"]) == 4
    assert isinstance(summary, pd.DataFrame) and len(summary) == 4
    row = next(m for m in report["models"] if m["model"] == "compromise" and m["capability"] == "equal")
    assert round(row["mae"], 2) == 24.33 and row["n"] == 245
    assert row["mae_lo"] < row["mae"] < row["mae_hi"]
    med = next(m for m in report["models"] if m["model"] == "median" and m["capability"] == "equal")
    assert med["diff_lo"] < med["diff"] < med["diff_hi"]
    assert row["n_COD"] + row["n_CNS"] == 245 and row["n_QMV"] + row["n_Unan"] == 245


def test_split_scores_only_that_split():
    report, _ = backtest_command(shared("deu3"), ["compromise"], "equal", split="dev", n_boot=0)
    assert report["n_issues"] == 105


def _fake(name, fn, joint=False):
    return Model(name=name, title=name, citation="test", forecast=fn, joint=joint)


def test_failing_issues_are_isolated_and_explained(deu3):
    """A model that refuses issues without a status quo is scored on the rest, with reasons."""

    def picky(a, rng=None):
        if np.isnan(a.status_quo).any():
            raise ModelError("needs a status quo")
        return ModelResult(np.full(a.n_issues, 50.0))

    table = issue_table(deu3)
    arrays = deu3.arrays()
    cap = np.ones((arrays.n_actors, arrays.n_issues))
    res = run_model(_fake("picky", picky), arrays, cap, units(arrays, table["group"], cap, table["scored"].to_numpy()))
    missing = np.isnan(arrays.status_quo)
    assert np.isnan(res["forecast"][missing]).all()
    assert (res["forecast"][~missing] == 50).all()  # retried one issue at a time
    assert set(res["reason"][missing]) == {"ModelError: needs a status quo"}


def test_joint_models_see_one_proposal_at_a_time(deu3):
    seen = []

    def record(a, rng=None):
        seen.append(a.issue_ids)
        return ModelResult(np.full(a.n_issues, 0.0))

    table = issue_table(deu3).set_index("issue")
    arrays = deu3.arrays()
    cap = np.ones((arrays.n_actors, arrays.n_issues))
    run_model(_fake("joint", record, joint=True), arrays, cap, units(arrays, table["group"], cap, table["scored"].to_numpy()))
    assert sum(len(s) for s in seen) == 245
    assert len(seen) == table["group"].nunique()
    assert all(table.loc[list(s), "group"].nunique() == 1 for s in seen)


def test_every_registered_model_runs_on_two_proposals(deu3):
    """Whatever is registered runs; each model reports n and why it failed where it did."""
    small = deu3.with_issues([i.id for i in deu3.issues if i.group in ("d00032", "n98092")])
    summary, pred = backtest(small, None, "council-votes", n_boot=0)
    assert set(summary["model"]) == {m.name for m in available()}
    assert (summary["n"] + summary["n_failed"] == 8).all()
    failed = pred[pred["forecast"].isna()]
    assert failed["reason"].notna().all()


def test_summary_hand_computed():
    pred = pd.DataFrame({
        "model": ["m"] * 4 + ["compromise"] * 4,
        "capability": "equal",
        "issue": ["a", "b", "c", "d"] * 2,
        "group": ["g1", "g1", "g2", "g3"] * 2,
        "split": "",
        "procedure": ["COD", "COD", "CNS", "CNS"] * 2,
        "rule": ["QMV", "Unan", "QMV", "QMV"] * 2,
        "outcome": [0.0, 50.0, 100.0, 20.0] * 2,
        "forecast": [10.0, 20.0, np.nan, 20.0, 0.0, 50.0, 90.0, 40.0],
        "reason": [None, None, "ModelError: no", None, None, None, None, None],
    })
    pred["abs_error"] = (pred["forecast"] - pred["outcome"]).abs()
    s = summarise(pred, n_boot=500).set_index("model")
    m = s.loc["m"]
    assert m["n"] == 3 and m["n_failed"] == 1
    assert m["mae"] == pytest.approx((10 + 30 + 0) / 3)
    assert m["rmse"] == pytest.approx(np.sqrt((100 + 900) / 3))
    assert m["median_ae"] == 10 and m["within10"] == pytest.approx(2 / 3)
    # paired on a, b, d: |e_m| − |e_ref| = 10, 30, −20
    assert m["diff"] == pytest.approx(20 / 3)
    assert m["mae_COD"] == 20 and m["mae_CNS"] == 0 and m["mae_Unan"] == 30
    assert "ModelError: no (1 issues)" in m["failures"]


def test_crps_from_quantiles_against_exact_uniform():
    """U(0, 1): CRPS(y) = y² − y + 1/3 on [0, 1], y − 2/3 above (E|X − y| − ½ E|X − X′|); quantile grid of 200 midpoints."""
    levels = (np.arange(200) + 0.5) / 200
    y = np.array([0.0, 0.3, 0.5, 1.0, 2.0])
    q = {lv: np.full_like(y, lv) for lv in levels}
    exact = np.where(y <= 1, y**2 - y + 1 / 3, y - 2 / 3)
    np.testing.assert_allclose(crps_from_quantiles(y, q), exact, atol=1e-4)


def test_intervals_scored_for_models_with_quantiles(deu3):
    summary, pred = backtest(deu3.with_issues(deu3.issue_ids[:40]), ["focal"], "equal", n_boot=0)
    row = summary.iloc[0]
    assert 0 <= row["coverage50"] <= row["coverage80"] <= 1
    assert row["crps"] < row["mae"]  # a spread-out forecast beats its own median on CRPS
    assert {"q10", "q25", "q75", "q90", "q2.5"} <= set(pred.columns)


def test_unknown_capability_is_an_error(deu3):
    from accord.errors import AccordError

    with pytest.raises(AccordError, match="unknown capability"):
        predict(deu3, ["compromise"], "votes-by-magic")


def test_capability_file(deu3, tmp_path):
    f = tmp_path / "cap.csv"
    f.write_text("actor,capability\n" + "\n".join(f"{a},{1 + k}" for k, a in enumerate(deu3.actor_ids)))
    pred = predict(deu3.with_issues(deu3.issue_ids[:5]), ["compromise"], str(f))
    assert pred["forecast"].notna().all()
    f.write_text("actor,capability\nde,1\n")
    with pytest.raises(Exception, match="no capability for actor"):
        predict(deu3, ["compromise"], str(f))
