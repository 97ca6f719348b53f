"""Monte Carlo with running summaries (``simulate(..., stream=True)``) and every model on every
executor: the same numbers whoever runs the chunks (issue 22)."""

from __future__ import annotations

import numpy as np
import pytest

from accord.io import read_scenario
from accord.models import registry
from accord.uncertainty.executors import DaskExecutor, Processes, Serial
from accord.uncertainty.sampling import Uncertainty
from accord.uncertainty.simulate import simulate
from accord.uncertainty.streaming import BINS, MAX_TASKS, Summary, batch_sizes, summarise

from conftest import SYRIA

NOISY = Uncertainty(position_sd=5, salience_sd=0.1, capability_concentration=100)
REGIONS = [(0, 30), (50, 100)]


@pytest.fixture(scope="module")
def syria():
    return read_scenario(SYRIA)


def test_every_model_gives_the_same_draws_on_one_process_two_workers_and_dask(syria):
    # All nine models, the exchange model in floats (Monte Carlo's default): bit for bit.
    models = [m.name for m in registry.available() if not m.stochastic]
    assert "exchange" in models and len(models) >= 9
    serial = simulate(syria, models, 40, seed=11, uncertainty=NOISY, executor=Serial())
    with Processes(2) as ex:
        procs = simulate(syria, models, 40, seed=11, uncertainty=NOISY, executor=ex)
    with DaskExecutor("local", workers=2) as ex:
        dask = simulate(syria, models, 40, seed=11, uncertainty=NOISY, executor=ex)
    for m in models:
        np.testing.assert_array_equal(serial.draws[m], procs.draws[m], err_msg=m)
        np.testing.assert_array_equal(serial.draws[m], dask.draws[m], err_msg=m)


def test_streamed_summary_is_the_summary_of_the_draws(syria):
    models = ["compromise", "median", "eum", "exchange"]
    kept = simulate(syria, models, 1200, seed=4, uncertainty=NOISY, executor=Serial())
    streamed = simulate(syria, models, 1200, seed=4, uncertainty=NOISY, executor=Serial(), stream=True,
                        regions=REGIONS)
    assert streamed.draws == {} and streamed.n_draws == 1200
    a, b = kept.summary(REGIONS), streamed.summary(REGIONS)
    assert list(a.columns) == list(b.columns)
    assert (a[["issue", "model", "n"]] == b[["issue", "model", "n"]]).all().all()
    np.testing.assert_allclose(b["mean"], a["mean"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(b["sd"], a["sd"], rtol=0, atol=1e-10)
    for q in ("p10", "p50", "p90"):  # read from the histogram: within one bin of the scale
        assert np.abs(b[q] - a[q]).max() <= 100 / BINS
    for lo, hi in REGIONS:
        np.testing.assert_array_equal(b[f"p_{lo:g}_{hi:g}"], a[f"p_{lo:g}_{hi:g}"])
    assert streamed.to_json(REGIONS)["draws"] == 1200


def test_streamed_summary_is_the_same_on_every_executor(syria):
    runs = [simulate(syria, ["compromise", "smp"], 3000, seed=9, uncertainty=NOISY, executor=Serial(), stream=True,
                     regions=REGIONS)]
    with Processes(2) as ex:
        runs.append(simulate(syria, ["compromise", "smp"], 3000, seed=9, uncertainty=NOISY, executor=ex, stream=True,
                             regions=REGIONS))
    with DaskExecutor("inprocess") as ex:
        runs.append(simulate(syria, ["compromise", "smp"], 3000, seed=9, uncertainty=NOISY, executor=ex, stream=True,
                             regions=REGIONS))
    first = runs[0].summary(REGIONS)
    for other in runs[1:]:
        assert other.summary(REGIONS).equals(first)


def test_a_streamed_run_refuses_what_it_did_not_keep(syria):
    ens = simulate(syria, ["compromise"], 20, seed=1, uncertainty=NOISY, executor=Serial(), stream=True,
                   regions=[(0, 30)])
    with pytest.raises(Exception, match="regions"):
        ens.summary([(10, 20)])
    with pytest.raises(Exception, match="keeps no draws"):
        ens.to_frame()


def test_batches_depend_on_the_number_of_chunks_only():
    for n in (1, 7, 64, 65, 4000):
        sizes = batch_sizes(n)
        assert sum(sizes) == n and len(sizes) == min(n, MAX_TASKS) and max(sizes) - min(sizes) <= 1


def test_merging_summaries_gives_the_summary_of_all_draws():
    rng = np.random.default_rng(0)
    # Dense draws (the histogram's quantile is within a bin of the draws' when neighbouring
    # draws are closer than a bin, as in any Monte Carlo run of thousands of draws).
    x = rng.uniform(0, 100, (2, 19_999, 3))
    x[0, 5, 1] = np.nan
    whole = Summary.of(x, [0, 0, 0], [100, 100, 100], [(0, 50)])
    parts = summarise([Summary.of(x[:, lo:lo + 250], [0, 0, 0], [100, 100, 100], [(0, 50)])
                       for lo in range(0, 19_999, 250)])
    np.testing.assert_array_equal(parts.n, whole.n)
    np.testing.assert_array_equal(parts.hist, whole.hist)
    np.testing.assert_array_equal(parts.regions, whole.regions)
    np.testing.assert_allclose(parts.mean, np.nanmean(x, axis=1), atol=1e-12)
    np.testing.assert_allclose(parts.sd(), np.nanstd(x, axis=1, ddof=1), atol=1e-12)
    q = parts.quantiles([0.1, 0.5, 0.9], [0, 0, 0], [100, 100, 100])
    np.testing.assert_allclose(q, np.nanpercentile(x, [10, 50, 90], axis=1), atol=100 / BINS)
