"""Uncertainty relative to each issue's scale: position spreads, sensitivity swings and regions."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.errors import AccordError
from accord.io.yaml_format import loads
from accord.scenario import Actor, Issue, Scenario, Stance
from accord.uncertainty.sampling import Uncertainty, parse_spread, sample
from accord.uncertainty.sensitivity import Swings, one_at_a_time
from accord.uncertainty.simulate import Region, parse_region, simulate

from conftest import SYRIA


def mixed(meta=None) -> Scenario:
    """Two actors on a 0–100 issue and a 0–20 issue, both at the middle."""
    return Scenario(
        "mixed", (Actor("a", "A", 1), Actor("b", "B", 1)),
        (Issue("law", "Law", 0, 100), Issue("tax", "Tax", 0, 20)),
        (Stance("a", "law", 50, 1), Stance("b", "law", 50, 1), Stance("a", "tax", 10, 1), Stance("b", "tax", 10, 1)),
        meta=meta or {},
    )


def spread(s: Scenario, u: Uncertainty) -> np.ndarray:
    x = sample(s.arrays(), 20_000, np.random.default_rng(1), u).position
    return x.std(axis=0).mean(axis=0)


def test_position_sd_is_a_share_of_each_scale_by_default():
    sd = spread(mixed(), Uncertainty.from_meta({}, position_sd=10))
    assert sd == pytest.approx([10, 2], rel=0.05)


def test_position_sd_in_points_is_the_same_on_every_scale():
    sd = spread(mixed(), Uncertainty.from_meta({}, position_sd="2 points"))
    assert sd == pytest.approx([2, 2], rel=0.05)


def test_per_issue_overrides_in_meta():
    meta = {"uncertainty": {"position_sd": 10, "issues": {"tax": {"position_sd": "0.5 points", "salience_sd": 0}}}}
    sd = spread(mixed(meta), Uncertainty.from_meta(meta))
    assert sd == pytest.approx([10, 0.5], rel=0.05)
    with pytest.raises(AccordError, match="unknown issue"):
        spread(mixed(), Uncertainty.from_meta({"uncertainty": {"issues": {"nope": {"position_sd": 1}}}}))
    with pytest.raises(AccordError, match="position_sd and/or salience_sd"):
        Uncertainty.from_meta({"uncertainty": {"issues": {"tax": {"spread": 1}}}})


def test_on_0_100_scales_percent_and_points_draw_the_same_numbers():
    s = loads(SYRIA.read_text(), str(SYRIA))
    a, b = (simulate(s, ["compromise"], 300, 4, uncertainty=Uncertainty.from_meta({}, position_sd=v)).draws["compromise"]
            for v in (5, "5 points"))
    assert np.array_equal(a, b)


@given(st.one_of(st.floats(0, 1e6), st.text(max_size=12)))
def test_spreads_parse_or_say_what_was_expected(value):
    try:
        number, unit = parse_spread(value)
    except AccordError as exc:
        assert "position_sd must be" in str(exc)
    else:
        assert number >= 0 and unit in ("percent", "points")


def test_sensitivity_swings_follow_the_scale():
    df = one_at_a_time(mixed(), "compromise")
    rows = df[df.kind == "position"].set_index(["issue", "input"])
    assert rows.loc[("law", "a.law.position"), ["low", "high"]].tolist() == [40, 60]
    assert rows.loc[("tax", "a.tax.position"), ["low", "high"]].tolist() == [8, 12]
    df = one_at_a_time(mixed(), "compromise", Swings(issues={"tax": (1.0, "points")}))
    rows = df[df.kind == "position"].set_index(["issue", "input"])
    assert rows.loc[("tax", "a.tax.position"), ["low", "high"]].tolist() == [9, 11]


def test_watching_sensitivity_does_not_change_it():
    s = loads(SYRIA.read_text(), str(SYRIA))
    ticks = []
    for model in ("compromise", "eum"):
        quiet = one_at_a_time(s, model)
        watched = one_at_a_time(s, model, progress=lambda d, t: ticks.append((d, t)))
        assert quiet.equals(watched)
    assert ticks[-1][0] == ticks[-1][1] > 1


def test_regions_relative_and_per_issue():
    assert parse_region("0:30") == Region(0, 30, None, relative=True)
    assert parse_region("tax=5:10") == Region(5, 10, "tax", relative=False)
    assert Region(0, 30, relative=True).bounds(0, 20) == (0, 6)
    for bad in ("5", "a:b", "=1:2", "3:1"):
        with pytest.raises(AccordError, match="--region"):
            parse_region(bad)
    ens = simulate(mixed(), ["compromise"], 1000, 0, uncertainty=Uncertainty.from_meta({}, position_sd=10))
    summary = ens.summary([parse_region("40:60"), parse_region("tax=9:11")]).set_index("issue")
    # 40–60 % of each scale: 40–60 on law, 8–12 on tax, ± one sd of the mean of two draws (10/√2
    # % of the scale) each: P ≈ 0.84 on both; tax=9:11 only on tax
    assert summary.loc["law", "p_40_60"] == pytest.approx(0.84, abs=0.05)
    assert summary.loc["tax", "p_40_60"] == pytest.approx(0.84, abs=0.05)
    assert np.isnan(summary.loc["law", "p_tax_9_11"]) and 0 < summary.loc["tax", "p_tax_9_11"] <= 1
    doc = ens.to_json([parse_region("40:60"), parse_region("tax=9:11")])
    tax = next(f for f in doc["forecasts"] if f["issue"] == "tax")
    assert [(r["low"], r["high"], r["region"]) for r in tax["regions"]] == [(8, 12, "40:60"), (9, 11, "tax=9:11")]
    law = next(f for f in doc["forecasts"] if f["issue"] == "law")
    assert len(law["regions"]) == 1


def test_cli_draws_with_relative_options(run_cli):
    code, out, err = run_cli("forecast", SYRIA, "-m", "compromise", "--draws", "100", "--position-sd", "5%",
                             "--region", "0:30", "--region", "ceasefire=50:100", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["uncertainty"]["position_sd"] == 5 and doc["uncertainty"]["position_unit"] == "percent"
    cease = next(f for f in doc["forecasts"] if f["issue"] == "ceasefire")
    assert {r["region"] for r in cease["regions"]} == {"0:30", "ceasefire=50:100"}
    code, _, err = run_cli("forecast", SYRIA, "--draws", "10", "--position-sd", "lots")
    assert code == 2 and "position_sd must be" in err
    code, _, err = run_cli("forecast", SYRIA, "--draws", "10", "--region", "nope=1:2")
    assert code == 2 and "unknown issue 'nope'" in err


def test_sensitivity_plot_has_a_panel_per_issue(run_cli, tmp_path):
    out = tmp_path / "t.png"
    code, _, err = run_cli("sensitivity", SYRIA, "--plot", out, "--top", "3", "--position-swing", "assad-fate=3 points")
    assert code == 0, err
    assert out.exists() and "one tornado per issue: 7" in err
    code, _, err = run_cli("sensitivity", SYRIA, "--position-swing", "nope=3")
    assert code == 2 and "unknown issue" in err


def test_streamed_runs_count_relative_and_per_issue_regions_exactly():
    regions = [parse_region("40:60"), parse_region("tax=9:11"), (45, 55)]
    u = Uncertainty.from_meta({}, position_sd=10)
    kept = simulate(mixed(), ["compromise", "median"], 300, 2, uncertainty=u, workers=1).summary(regions)
    streamed = simulate(mixed(), ["compromise", "median"], 300, 2, uncertainty=u, workers=1, stream=True,
                        regions=regions).summary(regions)
    for key in ("p_40_60", "p_tax_9_11", "p_45_55"):
        np.testing.assert_array_equal(streamed[key].to_numpy(), kept[key].to_numpy())
    assert streamed["outcome_label"].tolist() == kept["outcome_label"].tolist()
    with pytest.raises(AccordError, match="counts only the regions given"):
        simulate(mixed(), ["compromise"], 20, 2, uncertainty=u, workers=1, stream=True).summary([parse_region("0:10")])
