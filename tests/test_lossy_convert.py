"""A conversion says what the target format cannot hold, and --strict refuses to drop it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.errors import LossyConversionError
from accord.forecast import forecast
from accord.io import conversion_losses, read_scenario, write_scenario
from accord.io.losses import differences

from conftest import SYRIA
from strategies import scenario_arrays


@pytest.fixture(scope="module")
def syria():
    return read_scenario(SYRIA)


def test_accord_yaml_holds_everything(syria):
    assert conversion_losses(syria, "yaml") == []


def test_tidy_csv_names_what_it_drops(syria):
    lost = conversion_losses(syria, "tidy")
    for field in ("title", "description", "3 sources", "1 precondition", "1 linkage", "anchors of 7 issues",
                  "decision rules of 5 issues", "rationales of 7 issues", "rationales of 15 actors"):
        assert field in lost
    # what the tidy layout does hold is not listed
    assert not any(x.startswith(("positions", "saliences", "capabilities", "vetoes", "names of")) for x in lost)


def test_deu_round_trip_keeps_capabilities_and_forecasts(syria, tmp_path):
    write_scenario(syria, tmp_path / "deu", format="deu")
    back = read_scenario(tmp_path / "deu", format="deu")
    assert {a.id: a.capability for a in back.actors} == {a.id: a.capability for a in syria.actors}
    before = forecast(syria, ["compromise", "median"]).outcomes
    after = forecast(back.with_issues(syria.issue_ids), ["compromise", "median"]).outcomes
    for m in before:
        np.testing.assert_allclose(after[m], before[m], rtol=1e-12)
    lost = conversion_losses(syria, "deu")
    assert "anchors of 7 issues" in lost and not any(x.startswith("capabilities") for x in lost)


def test_rescaling_formats_report_the_scale_not_every_position(syria):
    s = syria.with_issues(["assad-fate"])
    s = s.replace(issues=(replace(s.issues[0], lower=0, upper=20, status_quo=20, anchors=((0, "go"), (20, "stay"))),),
                  stances=tuple(replace(st, position=st.position / 5, low=None, high=None) for st in s.stances))
    lost = conversion_losses(s, "ktab-csv")
    assert "scales of 1 issue" in lost
    assert not any(x.startswith("positions") for x in lost)


def test_cli_says_what_was_dropped_and_strict_refuses(run_cli, tmp_path):
    target = tmp_path / "s.csv"
    code, _, err = run_cli("convert", SYRIA, target)
    assert code == 0 and target.exists()
    assert "dropped" in err and "anchors of 7 issues" in err and "1 precondition" in err
    strict = tmp_path / "strict.csv"
    code, _, err = run_cli("convert", SYRIA, strict, "--strict")
    assert code == 2 and not strict.exists()
    assert "tidy cannot hold" in err and "nothing written" in err
    code, _, err = run_cli("convert", SYRIA, tmp_path / "s.yaml", "--strict")
    assert code == 0 and "cannot hold" not in err


def test_strict_writer_refuses_in_python(syria, tmp_path):
    with pytest.raises(LossyConversionError) as info:
        write_scenario(syria, tmp_path / "x.csv", strict=True)
    assert "anchors of 7 issues" in info.value.lost
    assert not (tmp_path / "x.csv").exists()


def test_ktab_xml_refuses_saliences_its_reader_refuses(syria, tmp_path):
    from accord.errors import ScenarioError

    with pytest.raises(ScenarioError, match="KTAB allows at most 100"):
        write_scenario(syria, tmp_path / "s.xml", format="ktab-xml")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_arrays(max_actors=6), st.sampled_from(["yaml", "tidy", "deu"]))
def test_a_format_that_reports_no_loss_gives_the_scenario_back(tmp_path_factory, s, fmt):
    lost = conversion_losses(s, fmt)
    path = tmp_path_factory.mktemp("rt") / ("deu" if fmt == "deu" else f"s.{'yaml' if fmt == 'yaml' else 'csv'}")
    write_scenario(s, path, format=fmt)
    back = read_scenario(path, format=fmt)
    assert differences(s, back) == lost
    if fmt == "yaml":
        assert lost == []
    if not lost:
        a, b = s.arrays(), back.with_issues(s.issue_ids).arrays()
        order = [b.actor_ids.index(x) for x in a.actor_ids]
        np.testing.assert_allclose(b.position[order], a.position, rtol=1e-9)
        np.testing.assert_allclose(b.capability[order], a.capability, rtol=1e-9)


def test_differences_notice_a_single_changed_field(syria):
    assert differences(syria, syria) == []
    issue = replace(syria.issues[2], anchors=())
    changed = syria.replace(issues=syria.issues[:2] + (issue,) + syria.issues[3:])
    assert differences(syria, changed) == ["anchors of 1 issue"]
    changed = syria.replace(stances=tuple(replace(s, salience=0.5) if s.actor == "us" else s for s in syria.stances))
    assert differences(syria, changed) == ["saliences of 7 stances"]
