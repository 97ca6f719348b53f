"""Monte Carlo: reproducible on every executor, sensible distributions, what-if and sensitivity."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from accord.forecast import forecast
from accord.io import read_scenario
from accord.models import registry
from accord.scenario import from_arrays
from accord.uncertainty import simulate as simulate_module
from accord.uncertainty.executors import DaskExecutor, Processes, Serial
from accord.uncertainty.sampling import Uncertainty, sample
from accord.uncertainty.simulate import CHUNK, MIN_CHUNKS, chunk_sizes, simulate
from accord.uncertainty.whatif import apply_edits, compare

from conftest import SYRIA

MODELS = ["compromise", "median", "nash"]
NOISY = Uncertainty(position_sd=5, salience_sd=0.1, capability_concentration=50)


@pytest.fixture(scope="module")
def syria():
    return read_scenario(SYRIA)


def test_same_seed_same_result_on_every_executor(syria):
    draws = 2 * CHUNK + 17
    serial = simulate(syria, MODELS, draws, seed=7, uncertainty=NOISY, executor=Serial())
    with Processes(2) as ex:
        procs = simulate(syria, MODELS, draws, seed=7, uncertainty=NOISY, executor=ex)
    with DaskExecutor("inprocess") as ex:
        dask = simulate(syria, MODELS, draws, seed=7, uncertainty=NOISY, executor=ex)
    for m in MODELS:
        assert serial.draws[m].shape == (draws, 7)
        np.testing.assert_array_equal(serial.draws[m], procs.draws[m])
        np.testing.assert_array_equal(serial.draws[m], dask.draws[m])
    other = simulate(syria, MODELS, draws, seed=8, uncertainty=NOISY)
    assert not np.array_equal(other.draws["compromise"], serial.draws["compromise"])


@pytest.mark.parametrize("draws", [1, 5, 8, 9, 200, 250, 2 * CHUNK + 17, 10_000])
def test_chunks_cover_the_draws_evenly(draws):
    sizes = chunk_sizes(draws)
    assert sum(sizes) == draws and max(sizes) <= CHUNK and max(sizes) - min(sizes) <= 1
    assert len(sizes) >= min(MIN_CHUNKS, draws)


def test_big_runs_go_to_local_worker_processes_by_default(syria, monkeypatch):
    made = []
    real = simulate_module.make_executor

    def spy(workers, scheduler=None):
        made.append(workers)
        return real(workers, scheduler)

    monkeypatch.setattr(simulate_module, "make_executor", spy)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    serial = simulate(syria, ["eum", "compromise"], 600, seed=3, uncertainty=NOISY, executor=Serial())
    quick = simulate(syria, ["eum", "compromise"], 600, seed=3, uncertainty=NOISY)
    monkeypatch.setattr(simulate_module, "AUTO_SECONDS", 0.0)  # every run is "big" now
    big = simulate(syria, ["eum", "compromise"], 600, seed=3, uncertainty=NOISY)
    assert made == [1, 2]  # a quick run stays here; a big one goes to one process per core
    for m in ("eum", "compromise"):  # the executor changes the time, never the result
        np.testing.assert_array_equal(quick.draws[m], serial.draws[m])
        np.testing.assert_array_equal(big.draws[m], serial.draws[m])


def _kernel_threads(_):
    import numba

    return numba.get_num_threads()


def test_worker_processes_run_kernels_on_one_thread_each():
    # Two workers already fill two cores; numba threads inside each would oversubscribe them.
    with Processes(2) as ex:
        assert ex.map(_kernel_threads, [0, 1]) == [1, 1]
    assert "NUMBA_NUM_THREADS" not in os.environ  # this process keeps its threads


def test_one_draw_without_uncertainty_is_the_point_forecast(syria):
    bare = syria.replace(stances=tuple(s.__class__(**{**vars(s), "low": None, "high": None}) for s in syria.stances))
    ens = simulate(bare, None, 1, seed=3, uncertainty=Uncertainty())
    # ... in the arithmetic of the draws: the exchange model's draws run in floats
    # (Model.draw_params), its point forecast in Decide's decimals.
    params = {m.name: dict(m.draw_params) for m in registry.available() if m.draw_params}
    assert params == {"exchange": {"exact": False}}
    point = forecast(bare, seed=3, params=params)
    for m, x in ens.draws.items():
        np.testing.assert_allclose(x[0], point.outcomes[m], atol=1e-9, err_msg=m)
    assert np.array_equal(ens.point["exchange"], forecast(bare, ["exchange"], seed=3).outcomes["exchange"])


def test_summary_and_regions(syria):
    ens = simulate(syria, ["compromise"], 600, seed=1, uncertainty=NOISY)
    df = ens.summary([(0, 30), (30, 100)])
    assert ((df.p_0_30 >= 0) & (df.p_0_30 <= 1)).all()
    assert (df.p10 <= df.p50).all() and (df.p50 <= df.p90).all()
    data = ens.to_json([(0, 30)])
    item = data["forecasts"][0]
    assert {"issue", "model", "outcome", "mean", "sd", "p10", "p50", "p90", "regions"} <= set(item)
    assert 0 <= item["regions"][0]["probability"] <= 1
    json.dumps(data)


def test_sampled_inputs_stay_valid():
    s = from_arrays([1, 2, 3], [[0, 50], [100, 20], [40, 99]], [[1, 0.5], [0, 0.2], [0.9, 0.01]])
    a = s.arrays()
    b = sample(a, 4000, np.random.default_rng(0), Uncertainty(position_sd=30, salience_sd=0.5, capability_concentration=5))
    assert b.position.shape == (4000, 3, 2)
    assert np.all((b.position >= 0) & (b.position <= 100))
    assert np.all((b.salience >= 0) & (b.salience <= 1))
    np.testing.assert_allclose(b.capability.sum(axis=1), 6)
    # Beta keeps the mean salience; Dirichlet keeps the mean share.
    np.testing.assert_allclose(b.salience.mean(axis=0)[0, 1], 0.5, atol=0.02)
    np.testing.assert_allclose(b.capability.mean(axis=0), [1, 2, 3], atol=0.1)


def test_triangular_stance_range():
    s = read_scenario(SYRIA)
    a = s.arrays()
    b = sample(a, 20000, np.random.default_rng(0), Uncertainty())
    j, k = s.actor_ids.index("us"), s.issue_ids.index("assad-fate")  # 35 in [25, 45]
    x = b.position[:, j, k]
    assert x.min() >= 25 and x.max() <= 45
    assert x.mean() == pytest.approx(35, abs=0.2)  # symmetric triangle: mean = mode
    assert np.all(b.position[:, s.actor_ids.index("assad"), k] == 100)  # no range, no default: fixed


def test_whatif_set_and_drop(syria):
    changed = apply_edits(syria, sets=["russia.assad-fate.position=40"], drop_actors=["iran"])
    assert changed.stance("russia", "assad-fate").position == 40
    assert "iran" not in changed.actor_ids
    df = compare(syria, changed, models=["compromise"], draws=300, seed=0, uncertainty=NOISY)
    row = df[(df.issue == "assad-fate")].iloc[0]
    assert row["diff"] < 0
    assert row.diff_p10 <= row.diff_mean <= row.diff_p90


def test_whatif_errors_name_the_problem(syria):
    from accord.errors import AccordError

    with pytest.raises(AccordError, match="unknown actor 'narnia'"):
        apply_edits(syria, sets=["narnia.assad-fate.position=1"])
    with pytest.raises(AccordError, match="off the scale"):
        apply_edits(syria, sets=["russia.assad-fate.position=400"])
    with pytest.raises(AccordError, match="expected a number"):
        apply_edits(syria, sets=["russia.assad-fate.position=lots"])


def test_sensitivity_oat_and_sobol(syria, tmp_path):
    from accord.report.tornado import plot_tornado
    from accord.uncertainty.sensitivity import one_at_a_time, sobol

    oat = one_at_a_time(syria, "compromise")
    top = oat[oat.issue == "assad-fate"].iloc[0]
    assert top.swing == oat[oat.issue == "assad-fate"].swing.max() > 0
    plot_tornado(oat, "assad-fate").figure.savefig(tmp_path / "t.png")
    assert (tmp_path / "t.png").stat().st_size > 1000
    sob = sobol(syria, "assad-fate", n=64)
    assert {"S1", "ST"} <= set(sob.columns) and len(sob) > 10


def test_cli_draws_json(run_cli):
    code, out, err = run_cli("forecast", SYRIA, "--draws", "300", "--seed", "2", "-m", "compromise", "--region", "0:30", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["draws"] == 300 and len(data["forecasts"]) == 7


def test_cli_compare_and_sensitivity(run_cli):
    code, out, err = run_cli("compare", SYRIA, "--set", "russia.assad-fate.position=40", "-m", "compromise", "--draws", "100", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["comparisons"]
    code, out, err = run_cli("sensitivity", SYRIA, "--issue", "terror-list", "--format", "csv")
    assert code == 0, err
    assert "swing" in out.splitlines()[0]
