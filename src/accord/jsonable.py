"""Plain JSON from accord's results: NumPy scalars and arrays become numbers and lists, and a
number that is not finite becomes null, so that any JSON parser reads what accord writes."""

from __future__ import annotations

import math

import numpy as np


def number(x) -> float | None:
    """A finite float, or None (for None, NaN and infinities)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def jsonable(v):
    """``v`` with every NumPy value made plain and every non-finite number None, recursively
    (dict keys become strings, tuples lists)."""
    if isinstance(v, np.ndarray):
        return jsonable(v.tolist()) if v.ndim else number(v)
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (float, np.floating)):
        return number(v)
    if isinstance(v, np.integer):
        return int(v)
    return v
