"""The EUM against the reference log of the EC car-emissions example (Scholz-compatible replication).

The log (../shared/data/reference/emissions/scholz-compatible-10-rounds.txt) is the output of
jmckib/bdm-scholz-expected-utility-model, whose author reports it matches Scholz, Calbert &
Smith's published results for 10 rounds. Tolerance 1e-6 on positions, medians and means (the log
prints full doubles; our vote sums add the same terms in another order, ~1e-15 apart), 1e-9 on
the expected utilities; kinds and actor pairs must match exactly.
"""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

from accord.models import eum
from accord.scenario import from_arrays

from conftest import shared

TOL = 1e-6
MOVE = re.compile(r"^(\S+) (loses confrontation to|compromises with|capitulates to) (\S+)$")
KIND = {"loses confrontation to": "confrontation", "compromises with": "compromise", "capitulates to": "capitulation"}


def read_actors(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return from_arrays(
        [float(r["Capability"]) for r in rows],
        [[float(r["Position"])] for r in rows],
        [[float(r["Salience"])] for r in rows],
        actor_ids=[r["Actor"] for r in rows],
        lower=4,
        upper=10,
    )


def parse_log(path):
    """[(median, mean, moves)] per round, round 0 first; moves are (actor, kind, other, eu_i, eu_j, new)."""
    rounds = [[None, None, []]]
    lines = [ln.rstrip("\n") for ln in open(path) if not ln.startswith("#")]
    k = 0
    while k < len(lines):
        line = lines[k]
        if line.startswith("ROUND"):
            rounds.append([None, None, []])
        elif line.startswith("Median position:"):
            rounds[-1][0] = float(line.split(":")[1])
        elif line.startswith("Mean position:"):
            rounds[-1][1] = float(line.split(":")[1])
        elif (m := MOVE.match(line)) is not None:
            eu_i, eu_j = (float(v) for v in lines[k + 1].strip().split(" vs "))
            new = float(lines[k + 2].strip().split("=")[1])
            rounds[-1][2].append((m[1], KIND[m[2]], m[3], eu_i, eu_j, new))
            k += 2
        k += 1
    return rounds


@pytest.fixture(scope="module")
def reference():
    scenario = read_actors(shared("reference", "emissions", "actors.csv"))
    log = parse_log(shared("reference", "emissions", "scholz-compatible-10-rounds.txt"))
    return scenario, log


def test_log_parses(reference):
    _, log = reference
    assert len(log) == 11
    assert sum(len(r[2]) for r in log) == 30


def test_eum_against_scholz_compatible_log(reference):
    scenario, log = reference
    traj = eum.trajectory(scenario.arrays(), variant="scholz_compatible", rounds=10)
    assert traj.n_rounds == 10 and traj.stopped == "rounds"
    for r, (median, mean, moves) in enumerate(log):
        assert traj.median[r, 0] == pytest.approx(median, abs=TOL), f"median, round {r}"
        assert traj.mean[r, 0] == pytest.approx(mean, abs=TOL), f"mean, round {r}"
        if r == 0:
            continue
        got = traj.events[r - 1]
        assert [(e["actor"], e["kind"], e["other"]) for e in got] == [m[:3] for m in moves], f"round {r}"
        for e, (_, _, _, eu_i, eu_j, new) in zip(got, moves, strict=True):
            assert e["new_position"] == pytest.approx(new, abs=TOL)
            assert e["eu_actor"] == pytest.approx(eu_i, abs=1e-9)
            assert e["eu_other"] == pytest.approx(eu_j, abs=1e-9)
        # Actors without a move keep their position.
        movers = {m[0] for m in moves}
        for a, actor in enumerate(scenario.actor_ids):
            if actor not in movers:
                assert traj.positions[r, a, 0] == traj.positions[r - 1, a, 0]


def test_forecast_matches_trajectory(reference):
    scenario, log = reference
    out = eum.forecast(scenario.arrays(), variant="scholz_compatible", rounds=10)
    assert out.outcome[0] == pytest.approx(log[-1][0], abs=TOL)
    assert out.extra["mean"][0] == pytest.approx(log[-1][1], abs=TOL)


def test_forecast_draws_match_single_runs(reference):
    """Draws on a leading axis give what each draw gives alone (one code path)."""
    scenario, _ = reference
    a = scenario.arrays()
    rng = np.random.default_rng(1)
    k = 5
    pos = np.clip(a.position + rng.normal(0, 0.5, (k,) + a.position.shape), 4, 10)
    sal = np.clip(a.salience + rng.normal(0, 0.05, (k,) + a.salience.shape), 0, 1)
    batch = a.replace(position=pos, salience=sal, capability=np.broadcast_to(a.capability, (k, a.n_actors)))
    together = eum.forecast(batch, variant="scholz_compatible", rounds=10)
    for d in range(k):
        alone = eum.forecast(a.replace(position=pos[d], salience=sal[d]), variant="scholz_compatible", rounds=10)
        assert together.outcome[d] == pytest.approx(alone.outcome, abs=1e-12)
        assert together.extra["mean"][d] == pytest.approx(alone.extra["mean"], abs=1e-12)


def test_cli_trajectory_reproduces_log(reference, run_cli):
    pytest.importorskip("accord.cli")
    import json

    _, log = reference
    path = shared("reference", "emissions", "actors.csv")
    code, out, err = run_cli("trajectory", path, "--model", "eum", "--variant", "scholz_compatible",
                             "--rounds", "10", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert [r["round"] for r in data["rounds"]] == list(range(11))
    for item, (median, mean, moves) in zip(data["rounds"], log, strict=True):
        assert item["median"] == pytest.approx(median, abs=TOL)
        assert item["mean"] == pytest.approx(mean, abs=TOL)
        assert [(o["actor"], o["kind"], o["other"]) for o in item["offers"]] == [m[:3] for m in moves]
        assert [o["new_position"] for o in item["offers"]] == pytest.approx([m[5] for m in moves], abs=TOL)
