"""The tutorial's scenario and claims hold (docs are tested like code)."""

from __future__ import annotations

import re

import pytest

from accord.forecast import forecast
from accord.io.yaml_format import loads

from conftest import ROOT

TUTORIAL = ROOT / "docs" / "tutorial-first-forecast.md"


def yaml_block(text: str) -> str:
    return re.search(r"```yaml\n(.*?)```", text, re.S).group(1)


def test_tutorial_budget_numbers():
    s = loads(yaml_block(TUTORIAL.read_text()), "budget.yaml")
    f = forecast(s, models=["compromise", "median"])
    assert f.outcomes["compromise"][0] == pytest.approx(362.5 / 73)
    assert f.outcomes["median"][0] == 4


def test_scenario_format_example_is_valid_yaml_layout():
    text = (ROOT / "docs" / "scenario-format.md").read_text()
    block = yaml_block(text)
    assert "stances:" in block and "preconditions:" in block


def test_readme_starts_with_the_two_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    code = [ln for ln in lines[:8] if ln.startswith("make ")]
    assert code[0].startswith("make run") and code[1].startswith("make test")
