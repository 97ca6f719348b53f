"""The EUM explanation page: its Python example runs and its stated numbers hold."""

from __future__ import annotations

import re

from conftest import ROOT

PAGE = ROOT / "docs" / "models" / "eum.md"


def test_python_blocks_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), {})
    assert "converged [7. 7. 7. 7. 7.]" in capsys.readouterr().out


def test_every_variant_is_documented():
    from accord.models import eum

    text = PAGE.read_text()
    for name in eum.VARIANTS:
        assert f"`{name}`" in text
