"""``--param``: model parameters from the command line, checked against what each model declares."""

from __future__ import annotations

import json

import numpy as np
import pytest

from accord.forecast import forecast
from accord.io import read_scenario

from conftest import SYRIA


def _outcomes(out: str, model: str) -> list[float]:
    return [f["outcome"] for f in json.loads(out)["forecasts"] if f["model"] == model]


def test_a_param_reaches_the_model(run_cli):
    code, out, err = run_cli("forecast", SYRIA, "-m", "eum", "-p", "eum.denominator=all_pairs", "-p", "rounds=3",
                             "-f", "json")
    assert code == 0, err
    expected = forecast(read_scenario(SYRIA), ["eum"], params={"eum": {"denominator": "all_pairs", "rounds": 3}})
    np.testing.assert_allclose(_outcomes(out, "eum"), expected.outcomes["eum"])
    code, default, _ = run_cli("forecast", SYRIA, "-m", "eum", "-f", "json")
    assert _outcomes(default, "eum") != _outcomes(out, "eum")  # the setting changed something


def test_values_are_typed_and_reach_a_trajectory(run_cli):
    code, out, err = run_cli("trajectory", SYRIA, "-m", "exchange", "-p", "ties=random", "-p", "rounds=2",
                             "-f", "json")
    assert code == 0, err
    assert max(r["round"] for r in json.loads(out)["rounds"]) == 2  # "2" was read as the int 2


@pytest.mark.parametrize(("args", "message"), [
    (["-m", "mean", "-p", "rounds=3"], "no model here takes 'rounds'"),
    (["-m", "eum", "-p", "smp.rounds=3"], "model 'smp' is not among those run"),
    (["-m", "eum", "-p", "rounds"], "expected NAME=VALUE"),
    (["-m", "eum", "-p", "denominator=bogus"], "denominator must be one of pair, all_pairs"),
    (["-m", "exchange", "-p", "ties=sometimes"], "ties must be one of"),
    (["-m", "eum", "-p", "q=2", "--draws", "5"], "q must be a number in [0, 1]"),
    (["-m", "exchange", "-p", "forbidden=[[true]]"], "a single value is expected"),
])
def test_a_bad_param_is_a_clear_error(run_cli, args, message):
    code, out, err = run_cli("forecast", SYRIA, *args)
    assert code == 2, (out, err)
    assert message in " ".join(err.split()) and "Traceback" not in err


def test_models_lists_the_parameters(run_cli):
    code, out, err = run_cli("models", "--params")
    assert code == 0, err
    assert "ties" in out and "denominator" in out and "min_delta_ratio" in out
