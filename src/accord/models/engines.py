"""The engine that runs an iterative model: compiled loops (numba) or the NumPy reference.

Each iterative model keeps both side by side in its folder (``_kernel.py`` and ``_reference.py``);
they compute the same runs, and the tests hold them to it. This module is the one place that
chooses between them: ``None`` means numba when it imports, else NumPy; a name asked for must be
one of :data:`ENGINES` and must be available.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from accord.errors import ParameterError

ENGINES = ("numba", "numpy")


def numba_installed() -> bool:
    """Whether numba is installed (without importing it: that takes ~0.5 s, so it waits for use)."""
    return importlib.util.find_spec("numba") is not None


def default() -> str:
    """The engine used when none is asked for."""
    return "numba" if numba_installed() else "numpy"


def name(engine: str | None) -> str:
    """The engine ``engine`` stands for (``None``: :func:`default`)."""
    return default() if engine is None else engine


def pick(engine: str | None, *, numpy: Callable, numba: Callable[[], Callable]) -> Callable:
    """The function that runs ``engine``: ``numpy`` itself, or what ``numba()`` returns (it
    imports the compiled kernel, which is compiled on first use and cached on disk). The default
    falls back on NumPy when the kernel cannot be imported; an engine asked for by name does not."""
    chosen = name(engine)
    if chosen == "numpy":
        return numpy
    if chosen != "numba":
        raise ParameterError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    try:
        return numba()
    except ImportError as exc:
        if engine is None:
            return numpy
        raise ParameterError(f"engine 'numba' is not available ({exc}); use engine='numpy'") from exc
