"""Shared fixtures: paths to the example and to the shared reference data."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
EXAMPLES = ROOT / "examples"
SYRIA = EXAMPLES / "syria-issg-2015.yaml"


def shared(*parts: str) -> Path:
    """A file under ../shared/data, or skip when the reference data is not beside the checkout."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"reference data not found: {p}")
    return p


def result_arrays(result) -> dict:
    """A model's result as one dict of arrays: ``outcome`` and its other figures."""
    return {"outcome": result.outcome, **result.figures()}


def same_result(a, b) -> bool:
    """Two model results with the same figures, bit for bit (NaN equal to NaN)."""
    x, y = result_arrays(a), result_arrays(b)
    return x.keys() == y.keys() and all(np.array_equal(x[k], y[k], equal_nan=True) for k in x)


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """Run the accord CLI in-process: returns (exit status, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        from accord.cli import main

        monkeypatch.setattr(sys, "argv", ["accord", *map(str, args)])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
