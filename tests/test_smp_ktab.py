"""SMP against KTAB itself: the 2017 reference history and three full-precision ``smpc`` runs."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from accord.io import read_scenario
from accord.models import get

from conftest import shared

KTAB = ("reference", "ktab")


def _ktab_positions(path) -> np.ndarray:
    """KTAB's ``VectorPosition`` table as an array (n_states, n_actors, n_dims), 0–100."""
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    shape = [1 + max(int(r[k]) for r in rows) for k in ("turn", "actor_index", "dim_index")]
    out = np.full(shape, np.nan)
    for r in rows:
        out[int(r["turn"]), int(r["actor_index"]), int(r["dim_index"])] = float(r["position"])
    return out


def _reference_history(path):
    """(positions (n_states, n_actors, n_dims), win probabilities (n_states, n_actors)) of the 2017 log."""
    lines = open(path, encoding="utf-8").read().splitlines()
    start = lines.index("History of actor positions over time: ") + 1
    prob = next(k for k, ln in enumerate(lines) if ln.startswith("History of actors' winning"))
    series = {}
    for ln in lines[start:prob]:
        label, values = ln.split(":", 1)
        actor, dim = (x.strip() for x in label.split(",", 1))
        series.setdefault(actor, []).append([float(v) for v in values.split()])
    actors = list(series)
    pos = np.array([series[a] for a in actors]).transpose(2, 0, 1)
    probs = np.array([[float(v) for v in ln.split(":", 1)[1].split()] for ln in lines[prob + 1:prob + 1 + len(actors)]]).T
    return actors, pos, probs


def test_smp_against_ktab_reference_history(run_cli):
    """The acceptance run: `accord trajectory SOE-Pol-Comp.csv --model smp` against KTAB's 2017 log.

    Tolerance 0.1 on positions (the log prints one decimal) and 5e-5 on win probabilities
    (four decimals).
    """
    actors, ref, ref_prob = _reference_history(shared(*KTAB, "ref-SOE-Pol-Comp-history.txt"))
    code, out, err = run_cli("trajectory", shared(*KTAB, "SOE-Pol-Comp.csv"), "--model", "smp", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["n_rounds"] + 1 == ref.shape[0] == 28
    assert data["actors"] == actors
    issues = data["issues"]
    got = np.full(ref.shape, np.nan)
    for item in data["rounds"]:
        for j, a in enumerate(actors):
            got[item["round"], j, issues.index(item["issue"])] = item["positions"][a]
    assert np.abs(got - ref).max() <= 0.05 + 1e-9
    assert np.abs(np.array(data["win_probability"]) - ref_prob).max() <= 5e-5 + 1e-12


@pytest.mark.parametrize("name", ["SOE-Pol-Comp", "dummyData-a040", "synth-a50-d3"])
def test_smp_against_ktab_runs(name):
    """KTAB's own smpc runs (default parameters): same number of states, same positions.

    accord follows KTAB's order of floating-point operations, so the positions agree to the
    CSV's printing precision (1e-9 here); the acceptance criterion is 0.1.
    """
    ref = _ktab_positions(shared(*KTAB, f"ktab-run-{name}-positions.csv"))
    scenario = read_scenario(shared(*KTAB, f"{name}.csv"))
    traj = get("smp").trajectory(scenario.arrays())
    assert traj.positions.shape == ref.shape
    assert traj.stopped == "converged"
    np.testing.assert_allclose(traj.positions, ref, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", ["SOE-Pol-Comp", "dummyData-a040", "synth-a50-d3"])
def test_smp_engines_identical_on_ktab_runs(name):
    """The compiled engine and the NumPy reference give the same run, bit for bit."""
    a = read_scenario(shared(*KTAB, f"{name}.csv")).arrays()
    one, two = (get("smp").trajectory(a, engine=e) for e in ("numba", "numpy"))
    assert one.stopped == two.stopped
    for key in ("positions", "outcome", "median", "mean"):
        assert np.array_equal(getattr(one, key), getattr(two, key)), key
    assert np.array_equal(one.extra["win_probability"], two.extra["win_probability"])
    assert one.events == two.events
