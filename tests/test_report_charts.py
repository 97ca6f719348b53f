"""Charts render and their data functions return what they plot."""

from __future__ import annotations

import numpy as np
import pytest

from accord.io import read_scenario

from conftest import SYRIA


@pytest.fixture(scope="module")
def syria():
    return read_scenario(SYRIA)


def test_power_shares_sum_to_one_and_plot(syria, tmp_path):
    from accord.report.power import plot_power, power_data

    df = power_data(syria)
    np.testing.assert_allclose(df.groupby("issue").share.sum(), 1.0)
    ax = plot_power(syria, "assad-fate")
    ax.figure.savefig(tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 5000


def test_distributions_plot(syria, tmp_path):
    from accord.report.distributions import distributions_data, plot_distributions
    from accord.uncertainty.sampling import Uncertainty
    from accord.uncertainty.simulate import simulate

    ens = simulate(syria, ["compromise", "median"], 300, seed=0, uncertainty=Uncertainty(position_sd=5))
    d = distributions_data(ens, "ceasefire")
    assert len(d) == 600 and set(d.model) == {"compromise", "median"}
    plot_distributions(ens, "ceasefire").figure.savefig(tmp_path / "d.png")
    assert (tmp_path / "d.png").stat().st_size > 5000
