"""Every model gives one forecast per draw, whichever inputs a batch draws."""

from __future__ import annotations

import numpy as np
import pytest

from accord.io import read_scenario
from accord.models import registry

from conftest import ROOT

K = 3


def _outcome(result):
    return np.asarray(result.outcome, dtype=float)


@pytest.fixture(scope="module")
def syria():
    return read_scenario(ROOT / "examples" / "syria-issg-2015.yaml").arrays()


def _partial_batches(a):
    rng = np.random.default_rng(3)
    return {
        "capability": a.replace(capability=a.capability * rng.uniform(0.7, 1.3, (K, a.n_actors))),
        "salience": a.replace(salience=np.clip(a.salience * rng.uniform(0.7, 1.3, (K,) + a.salience.shape), 0, 1)),
        "position": a.replace(position=np.clip(a.position + rng.normal(0, 3, (K,) + a.position.shape), 0, 100)),
    }


def test_batch_shape_and_broadcast(syria):
    assert syria.batch_shape == ()
    assert syria.broadcast() is syria
    for drawn, batch in _partial_batches(syria).items():
        full = batch.broadcast()
        assert batch.batch_shape == full.batch_shape == (K,), drawn
        assert full.capability.shape == (K, syria.n_actors)
        assert full.position.shape == full.salience.shape == (K, syria.n_actors, syria.n_issues)


@pytest.mark.parametrize("model", [m.name for m in registry.available()])
def test_every_model_forecasts_per_draw_of_a_partial_batch(syria, model):
    fc = registry.get(model).forecast
    for drawn, batch in _partial_batches(syria).items():
        got = _outcome(fc(batch))
        assert got.shape == (K, syria.n_issues), drawn
        full = batch.broadcast()
        explicit = full.replace(**{k: np.array(getattr(full, k)) for k in ("capability", "position", "salience")})
        np.testing.assert_array_equal(got, _outcome(fc(explicit)), err_msg=drawn)
