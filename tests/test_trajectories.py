"""Repeated trajectories of a stochastic model: per-round ranges, reproducible by seed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from accord.io import read_scenario
from accord.models import get
from accord.uncertainty.trajectories import repeat

from conftest import SYRIA


def test_a_deterministic_model_has_no_spread():
    r = repeat(get("eum"), read_scenario(SYRIA).arrays(), 3, seed=1, rounds=4)
    assert r.repetitions == 3
    np.testing.assert_array_equal(r.positions.min(axis=0), r.positions.max(axis=0))


def test_random_ties_spread_and_the_same_seed_repeats(run_cli):
    args = ("trajectory", SYRIA, "-m", "exchange", "-p", "ties=random", "-p", "rounds=3", "--repetitions", "8",
            "--seed", "5", "-f", "json")
    code, out, err = run_cli(*args)
    assert code == 0, err
    data = json.loads(out)
    assert data["repetitions"] == 8 and {r["round"] for r in data["rounds"]} == {0, 1, 2, 3}
    spread = 0.0
    for item in data["rounds"]:
        o = item["outcome"]
        assert o["min"] - 1e-9 <= o["mean"] <= o["max"] + 1e-9
        for p in item["positions"].values():
            if p["min"] is not None:
                assert p["min"] - 1e-9 <= p["mean"] <= p["max"] + 1e-9
                spread = max(spread, p["max"] - p["min"])
    assert spread > 0  # Syria has tied gains: the runs differ
    assert run_cli(*args)[1] == out


def test_each_run_lies_within_the_ranges():
    a = read_scenario(SYRIA).arrays()
    r = repeat(get("exchange"), a, 5, seed=2, ties="random", rounds=3)
    one = get("exchange").trajectory(a, rng=np.random.default_rng(np.random.SeedSequence(2).spawn(5)[3]),
                                      ties="random", rounds=3)
    np.testing.assert_array_equal(one.positions, r.positions[3])  # run k is the k-th child seed's


@pytest.mark.parametrize(("extra", "message"), [(["--repetitions", "0"], "at least 1"),
                                                (["--repetitions", "3", "--plot", "x.png"], "leave out --repetitions")])
def test_bad_repetitions_are_clear_errors(run_cli, extra, message):
    code, _, err = run_cli("trajectory", SYRIA, "-m", "exchange", *extra)
    assert code == 2 and message in err
