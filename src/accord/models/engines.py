"""The engine that runs an iterative model: compiled loops (numba) or the NumPy reference.

Each iterative model keeps both side by side in its folder (``_kernel.py`` and ``_reference.py``);
they compute the same runs, and the tests hold them to it. This module is the one place that
chooses between them: ``None`` means numba when it imports, else NumPy; a name asked for must be
one of :data:`ENGINES` and must be available.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path

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
        fn = numba()
    except ImportError as exc:
        if engine is None:
            return numpy
        raise ParameterError(f"engine 'numba' is not available ({exc}); use engine='numpy'") from exc
    announce_compile(sys.modules[fn.__module__])
    return fn


_ANNOUNCED: set[str] = set()


def compiled(module) -> bool:
    """Whether numba's on-disk cache holds kernels of ``module`` (compiled by an earlier run)."""
    where = Path(module.__file__)
    stem = where.stem
    custom = os.environ.get("NUMBA_CACHE_DIR")
    if custom:
        return any(Path(custom).glob(f"**/{stem}.*.nbi"))
    return any((where.parent / "__pycache__").glob(f"{stem}.*.nbi"))


def announce_compile(module) -> None:
    """Say once on stderr that the kernels of ``module`` are compiled now, when no earlier run
    compiled them on this machine: the first run of an iterative model waits 10-60 s for it.
    Only the kernels a command calls are compiled (numba compiles a function on its first call
    and caches it beside the module), so a compromise forecast compiles nothing."""
    name = module.__name__
    if name in _ANNOUNCED:
        return
    _ANNOUNCED.add(name)
    if not compiled(module):
        model = name.split(".")[2] if name.startswith("accord.models.") else name
        print(f"accord: compiling the {model} kernels for this machine (first use only: numba caches them; "
              "10-60 s)", file=sys.stderr, flush=True)
