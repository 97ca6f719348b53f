"""docs/architecture.md: its worked example of adding a model runs (in a fresh interpreter, so
that the model it registers does not join the registry of the other tests)."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT


def test_adding_a_model_example_runs():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    for code in blocks:
        proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
