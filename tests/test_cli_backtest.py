"""`accord backtest` on the DEU III folder: the published baselines and the JSON contract."""

from __future__ import annotations

import json

from conftest import shared


def test_backtest_json_contract_and_baselines(run_cli):
    path = shared("deu3")
    code, out, err = run_cli("backtest", path, "--model", "compromise", "--model", "mean",
                             "--capability", "equal", "--format", "json", "--boot", "200")
    assert code == 0, err
    data = json.loads(out)
    assert data["n_issues"] == 245
    by = {m["model"]: m for m in data["models"]}
    for m in by.values():
        assert {"model", "mae", "rmse", "n"} <= set(m)
    assert round(by["compromise"]["mae"], 2) == 24.33
    assert round(by["mean"]["mae"], 2) == 24.27
    assert by["compromise"]["n"] == 245


def test_backtest_table_and_bad_path(run_cli, tmp_path):
    code, out, err = run_cli("backtest", shared("deu3"), "-m", "compromise", "--split", "dev", "--boot", "100")
    assert code == 0, err
    assert "compromise" in out and "105" in out
    code, _, err = run_cli("backtest", tmp_path / "nothing")
    assert code == 2 and "nothing" in err
