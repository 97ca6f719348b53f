"""The model registry: every model accord can run, with its citation.

A model module calls :func:`register` at import time. :func:`get` and :func:`available` import
the known model modules on first use, so ``import accord`` stays cheap.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from accord.errors import AccordError

# Modules that register models, in the order models are listed.
MODEL_MODULES = ("accord.models.baselines", "accord.models.eum", "accord.models.smp", "accord.models.exchange", "accord.models.focal")


@dataclass(frozen=True)
class Model:
    """A registered model.

    ``forecast(arrays, rng=None, **params)`` returns the outcome, shape (..., n_issues), where
    leading axes are batch (Monte Carlo draw) axes of the inputs. Iterative models also give
    ``trajectory(arrays, rng=None, **params)`` returning a :class:`accord.results.Trajectory`.
    ``joint`` models look at all issues together (multi-dimensional bargaining, vote trading);
    the others treat each issue on its own.
    """

    name: str
    title: str
    citation: str
    forecast: Callable[..., np.ndarray]
    stochastic: bool = False
    trajectory: Callable | None = None
    variants: tuple[str, ...] = ()
    joint: bool = False
    summary: str = ""
    needs_status_quo: bool = False
    params: dict = field(default_factory=dict)
    #: ``scenario_kwargs(scenario) -> dict``: keyword arguments a model takes from the scenario
    #: records beyond its arrays (forbidden linkages, a file's model parameters).
    scenario_kwargs: Callable | None = None

    @property
    def iterative(self) -> bool:
        return self.trajectory is not None


_REGISTRY: dict[str, Model] = {}
_loaded = False


def register(model: Model) -> Model:
    """Add ``model``; its ``forecast`` is called with the batch axes of the inputs broadcast
    (:meth:`accord.scenario.ScenarioArrays.broadcast`), so that every model returns one
    forecast per draw whichever inputs were drawn."""
    model = _REGISTRY[model.name] = replace(model, forecast=_per_draw(model.forecast))
    return model


def _per_draw(forecast: Callable) -> Callable:
    @functools.wraps(forecast)
    def run(arrays, *args, **kwargs):
        return forecast(arrays.broadcast(), *args, **kwargs)

    return run


def _load() -> None:
    global _loaded
    if _loaded:
        return
    for module in MODEL_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # a model module not written yet
            if exc.name != module:
                raise
    _loaded = True


def available() -> list[Model]:
    """Every registered model, in registry order."""
    _load()
    return list(_REGISTRY.values())


def get(name: str) -> Model:
    """The model called ``name`` (case-insensitive), or an error listing the names."""
    _load()
    key = name.strip().lower()
    if key not in _REGISTRY:
        names = ", ".join(_REGISTRY)
        raise AccordError(f"unknown model {name!r}; available models: {names}")
    return _REGISTRY[key]


def resolve(names: list[str] | tuple[str, ...] | None, *, default: tuple[str, ...] | None = None) -> list[Model]:
    """Model names from the command line (``all`` = every model) to models."""
    _load()
    if not names:
        names = list(default) if default else ["all"]
    out: list[Model] = []
    for name in names:
        for part in name.split(","):
            part = part.strip()
            if not part:
                continue
            batch = available() if part.lower() == "all" else [get(part)]
            out += [m for m in batch if m not in out]
    return out
