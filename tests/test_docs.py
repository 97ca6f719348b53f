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


def test_tutorial_from_news_runs(run_cli, tmp_path, monkeypatch):
    """Every block of docs/tutorial-from-news.md runs, in order, from a copy of the repository's
    layout (the seed report beside it as ../shared/seed)."""
    import shlex
    import shutil

    seed = ROOT.parent / "shared" / "seed" / "kerry-in-moscow-2015.txt"
    if not seed.exists():
        pytest.skip("the seed report is not beside the checkout")
    work = tmp_path / "repo"
    (work / "examples").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "syria-issg-2015.yaml", work / "examples")
    (tmp_path / "shared" / "seed").mkdir(parents=True)
    shutil.copy(seed, tmp_path / "shared" / "seed")
    monkeypatch.chdir(work)
    text = (ROOT / "docs" / "tutorial-from-news.md").read_text()
    blocks = re.findall(r"```(sh|python)\n(.*?)```", text, re.S)
    assert len(blocks) >= 7
    for kind, body in blocks:
        if kind == "python":
            exec(compile(body, "tutorial-from-news.md", "exec"), {})
            continue
        for line in body.strip().splitlines():
            command, _, fallback = line.partition(" || ")
            args = shlex.split(command)
            assert args[0] == "accord"
            code, out, err = run_cli(*args[1:])
            assert code == (2 if fallback else 0), (line, err)
            if fallback:
                assert "no estimate yet" in err
    assert (work / "syria-estimated.yaml").exists() and (work / "syria-with-evidence.yaml").exists()
