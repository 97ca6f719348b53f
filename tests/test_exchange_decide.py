"""Regression against the Decide exchange model's own runs (../shared/data/reference/decide/).

Decide (release 2025.3.1, equal gain, p = 0) wrote, per iteration, every actor's position at the
start ("before") and its voting position after the iteration's exchanges ("after").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accord.io.decide import read_decide
from accord.models.exchange import exchange_run, exchange_runs
from accord.models.exchange._reference import compromise

from conftest import shared

#: Acceptance tolerance on the 0–100 scale. We reproduce trade10x5 to rounding (the decimal
#: shadow resolves Decide's near-ties the way its decimals do), so 1e-6 is asserted as well.
TOL = 0.5


def reference(name):
    ref = pd.read_csv(shared("reference", "decide", f"decide-run-{name}-equal-gain-10-rounds.csv"))
    s = read_decide(shared("reference", "decide", f"{name}.csv"))
    a = s.arrays()
    n_rounds = ref["iteration"].max() + 1
    out = {}
    for kind in ("before", "after"):
        grid = np.full((n_rounds, a.n_actors, a.n_issues), np.nan)
        rows = ref[ref["type"] == kind]
        grid[rows["iteration"], rows["actor"].map(a.actor_ids.index), rows["issue"].map(a.issue_ids.index)] = rows["position"]
        out[kind] = grid
    return a, out


def weights(a):
    return np.where(a.involved, np.asarray(a.capability)[:, None] * a.salience, 0.0)


def test_exchange_against_decide_trade10x5():
    a, ref = reference("trade10x5")
    run = exchange_run(a, rounds=10)
    w = weights(a)
    for r in range(10):
        assert np.nanmax(np.abs(run.voting[r] - ref["after"][r])) < TOL, f"round {r + 1} voting positions"
        assert np.nanmax(np.abs(run.start[r] - ref["before"][r])) < TOL, f"round {r + 1} start positions"
        assert np.max(np.abs(run.outcome_after[r] - compromise(ref["after"][r], w))) < TOL, f"round {r + 1} outcomes"
    np.testing.assert_allclose(run.voting, ref["after"], atol=1e-6)


def test_exchange_against_decide_cop21_first_round():
    # Round 1 of COP21 has tied gains; whichever order Decide took, the tied exchanges are
    # independent enough that the deterministic order gives the same first-round positions
    # within the acceptance tolerance on most entries. We check the start positions exactly
    # (inputs) and that the outcome moved the same way on every issue.
    a, ref = reference("cop21")
    run = exchange_run(a, rounds=1)
    np.testing.assert_allclose(run.start[0], ref["before"][0], atol=1e-9)
    w = weights(a)
    moved_ref = compromise(ref["after"][0], w) - compromise(ref["before"][0], w)
    moved = run.outcome_after[0] - run.outcome_before[0]
    assert np.all(np.sign(np.round(moved, 6)) == np.sign(np.round(moved_ref, 6)))


@pytest.mark.slow
def test_exchange_against_decide_cop21_within_random_tie_ranges():
    """Decide's COP21 run against the per-round ranges of 100 runs with Decide's own tie rule.

    ``ties="random"`` is Decide's rule (a coin between the two best of its stably sorted list, the
    loser moved or copied to the end; docs/models/exchange.md, "Ties"). With Python's random
    stream fed in, it reproduces Decide's runs exactly when Decide's sort key is rounded as ours
    (checked on COP21, Copenhagen and the sample data, 11 runs); Decide's own decimals order some
    equal gains by their last digits, so its runs are compared by distribution.

    100 samples cannot contain every value of another sample: our own independent runs fall
    inside these ranges at 98.5–99.5 % of the voting positions. Measured for this reference run
    (seed 1): 99.2 % inside, every outcome within 0.2 of its range (uniform ties among all tied
    exchanges, the rule before: 98.2 % and 0.61). Asserted: 99 % and 0.5; a rule that does not
    draw Decide's runs (``ties="first"``, or no tie-breaking) fails both.
    """
    a, ref = reference("cop21")
    runs = exchange_runs(a, repetitions=100, rounds=10, ties="random", rng=np.random.default_rng(1), exact=False)
    inside, excess = containment(a, runs, ref["after"])
    assert excess.max() <= 0.5, f"outcomes outside the ranges at (round, issue) {np.argwhere(excess > 0.5).tolist()}"
    assert inside >= 0.99


def containment(a, runs, voting):
    """Share of ``voting`` (rounds, actors, issues) inside the runs' per-round min-max, and how far
    each round's compromise outcome lies outside the runs' range (rounds, issues)."""
    v = np.array([r.voting for r in runs])
    lo, hi = v.min(axis=0), v.max(axis=0)
    w = weights(a)
    outcomes = np.array([[compromise(x, w) for x in r] for r in v])
    ref_out = np.array([compromise(x, w) for x in voting])
    excess = np.maximum(outcomes.min(axis=0) - ref_out, ref_out - outcomes.max(axis=0))
    known = ~np.isnan(voting)
    inside = (voting >= lo - 1e-6) & (voting <= hi + 1e-6)
    return inside[known].mean(), excess


def test_exchange_decide_ties_on_cop21_first_rounds():
    # The quick check of the same: two rounds, 30 runs. Measured: 99.7 % inside, outcomes inside
    # (uniform ties: 99.7 % and 0.45 outside; first-in-order: 83 % and 4.3).
    a, ref = reference("cop21")
    runs = exchange_runs(a, repetitions=30, rounds=2, ties="random", rng=np.random.default_rng(3), exact=False)
    inside, excess = containment(a, runs, ref["after"][:2])
    assert excess.max() <= 0.1
    assert inside >= 0.99
    assert min(sum(r.ties) for r in runs) > 5  # coins were thrown in every run
