"""Limits on what accord accepts: file sizes, scenario sizes, draws, stages, nesting depth.

Each limit has a default chosen well above any real negotiation (DEU III, the largest data set
accord reads, has 30 actors, 245 issues and a 93 kB positions file) and far below what would
exhaust a laptop, and can be raised with an environment variable ``ACCORD_MAX_<NAME>`` (for
example ``ACCORD_MAX_ACTORS=5000``). docs/reliability.md lists them and says what each guards.
The value is read on every check, so a change to the environment applies to the next command.
"""

from __future__ import annotations

import os

from accord.errors import AccordError

#: name: (default, what it limits). Names are lower case; the variable is ACCORD_MAX_<NAME>.
LIMITS: dict[str, tuple[int, str]] = {
    "file_bytes": (20 * 1024 * 1024, "bytes in one input file"),
    "actors": (1_000, "actors in a scenario"),
    "issues": (1_000, "issues in a scenario"),
    "cells": (100_000, "actors × issues in a scenario"),
    "web_cells": (20_000, "actors × issues in a scenario imported or saved in the web app"),
    "depth": (64, "nesting depth of a YAML or XML file"),
    "digits": (100, "digits in one number of an input file"),
    "draws": (100_000_000, "Monte Carlo draws in one run (without --stream, memory is checked too)"),
    "stages": (1_000, "stages of a process run"),
    "repetitions": (100_000, "repeated runs of a stochastic model (trajectory --repetitions)"),
    "workers": (256, "local worker processes (--workers)"),
    "bootstrap": (100_000, "bootstrap resamples of a backtest (--boot)"),
    "samples": (65_536, "Sobol base samples (sensitivity --samples)"),
    "memory_mb": (4_096, "megabytes a sensitivity analysis or a run may allocate for its arrays"),
}


def limit(name: str) -> int:
    """The limit ``name`` (see :data:`LIMITS`), from ``ACCORD_MAX_<NAME>`` when that is set."""
    default, _ = LIMITS[name]
    var = f"ACCORD_MAX_{name.upper()}"
    raw = os.environ.get(var, "").strip().replace("_", "")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise AccordError(f"{var} must be a whole number >= 1, got {os.environ[var]!r}")
    return int(raw)


def check_count(flag: str, value: int, name: str, *, low: int = 1) -> int:
    """``value`` of a command-line flag or field, or :class:`AccordError` when it is below
    ``low`` or above the limit ``name``."""
    high = limit(name)
    if value < low:
        raise AccordError(f"{flag} must be at least {low:,}, got {value:,}")
    if value > high:
        raise AccordError(f"{flag} must be at most {high:,}, got {value:,} (raise it with ACCORD_MAX_{name.upper()})")
    return value


def check_memory(what: str, n_bytes: float) -> None:
    """Refuse work whose arrays would need more than the ``memory_mb`` limit, before allocating."""
    cap = limit("memory_mb")
    if n_bytes > cap * 1024 * 1024:
        raise AccordError(
            f"{what} would need about {n_bytes / 2**30:,.1f} GiB of memory; the limit is "
            f"{cap / 1024:,.1f} GiB (raise it with ACCORD_MAX_MEMORY_MB, or ask for less)"
        )


def describe() -> list[tuple[str, int, str]]:
    """(environment variable, value in force, meaning) for every limit."""
    return [(f"ACCORD_MAX_{k.upper()}", limit(k), text) for k, (_, text) in LIMITS.items()]
