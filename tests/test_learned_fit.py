"""Fitting the learned model without leaks: grouped folds, features blind to outcomes, the fit
reproducing the stored parameters, and the backtest passing roles and scoring intervals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.backtest import backtest, interval_coverage, learn, predict
from accord.backtest.learn import RECIPES, grouped_folds, out_of_fold, training_data
from accord.io.deu import read_deu
from accord.models import get
from accord.models.learned import candidates, parameters

from conftest import shared


@settings(max_examples=60, deadline=None)
@given(groups=st.lists(st.sampled_from("abcdefghijklmnop"), min_size=1, max_size=60),
       k=st.integers(2, 6), seed=st.integers(0, 10_000))
def test_grouped_folds_never_split_a_group(groups, k, seed):
    folds = grouped_folds(groups, k, seed)
    assert folds.shape == (len(groups),)
    assert folds.min() >= 0 and folds.max() < k
    for g in set(groups):
        assert len(set(folds[np.array(groups) == g])) == 1
    if len(set(groups)) >= k:
        assert len(set(folds)) == k
    np.testing.assert_array_equal(folds, grouped_folds(groups, k, seed))


@pytest.fixture(scope="module")
def train():
    return read_deu(shared("deu3"), split="train")


def test_features_do_not_change_when_outcomes_do(train):
    # Leakage guard: scramble every outcome (and split label) in the records; the arrays the fit
    # uses and every feature stay identical, only the outcome vector moves.
    data = training_data(train)
    rng = np.random.default_rng(0)
    rows = [dict(r, out=float(rng.uniform(0, 100))) for r in train.meta["deu"]]
    scrambled = training_data(train.replace(meta=dict(train.meta) | {"deu": rows}))
    assert not np.array_equal(data.outcome, scrambled.outcome)
    for name, value in candidates(data.arrays, data.roles).items():
        np.testing.assert_array_equal(value, candidates(scrambled.arrays, scrambled.roles)[name], err_msg=name)
    for field in ("position", "salience", "capability", "status_quo", "lower", "upper", "involved", "veto"):
        np.testing.assert_array_equal(getattr(data.arrays, field), getattr(scrambled.arrays, field))


def test_cross_validation_never_fits_on_the_held_out_proposals(train, monkeypatch):
    data = training_data(train)
    seen = []
    monkeypatch.setattr(learn, "fit", lambda d, features, lam=0.01: seen.append(set(d.group)) or parameters())
    parts = out_of_fold(data, RECIPES["compact"]["features"], k=5, seed=3)
    assert len(parts) == len(seen) == 5
    for (mask, _), fitted_on in zip(parts, seen, strict=True):
        assert fitted_on.isdisjoint(set(data.group[mask]))
        assert fitted_on | set(data.group[mask]) == set(data.group)


def test_training_data_is_the_train_split_only():
    full = read_deu(shared("deu3"))
    data = training_data(full, split="train")
    splits = {r["isnr"]: r["split"] for r in full.meta["deu"]}
    assert data.issues and all(splits[i] == "train" for i in data.issues)
    assert data.roles == {"com": "agenda-setter", "ep": "chamber"}


def test_fit_reproduces_the_stored_parameters(train):
    # benchmarks/fit_learned.py wrote learned.json from this fit (deterministic).
    data = training_data(train)
    stored = parameters("compact")
    p = learn.fit(data, RECIPES["compact"]["features"], lam=RECIPES["compact"]["lam"])
    np.testing.assert_allclose(p["beta"], stored["beta"], atol=1e-5)
    assert p["rho"] == pytest.approx(stored["rho"], abs=1e-5)
    assert p["spread"] == pytest.approx(stored["spread"], abs=1e-4)


def test_backtest_passes_roles_and_scores_intervals(train):
    summary, pred = backtest(train, ["learned", "compromise"], "equal", n_boot=0)
    row = summary.set_index("model").loc["learned"]
    assert 0 < row["coverage50"] < row["coverage80"] < 1 and row["crps"] > 0
    # The same forecasts as the model run directly with the EU roles on all train issues.
    data = training_data(train)
    direct = get("learned").forecast(data.arrays, roles=data.roles).outcome
    got = pred[pred["model"] == "learned"].set_index("issue").loc[list(data.issues), "forecast"].to_numpy()
    np.testing.assert_allclose(got, direct, rtol=0, atol=1e-9)
    without = get("learned").forecast(data.arrays).outcome
    assert not np.allclose(got, without)  # the chamber's role does matter on DEU


def test_interval_coverage_table(train):
    pred = predict(train, ["learned", "focal", "mean"], "equal")
    cov = interval_coverage(pred)
    assert set(cov["model"]) == {"learned", "focal"}
    assert cov["nominal"].between(0, 1).all() and cov["observed"].between(0, 1).all()
    at80 = cov[(cov["model"] == "learned") & np.isclose(cov["nominal"], 0.8)]
    assert len(at80) == 1


def test_cli_backtest_plot_and_interval_columns(run_cli, tmp_path):
    plot = tmp_path / "reliability.png"
    code, out, err = run_cli("backtest", shared("deu3"), "--split", "train", "-m", "learned,focal,mean",
                             "--boot", "0", "--plot", plot)
    assert code == 0, err
    assert plot.stat().st_size > 1000
    assert "cov. 80%" in out and "CRPS" in out
    assert "in-sample" in out  # learned on its own training split says so
