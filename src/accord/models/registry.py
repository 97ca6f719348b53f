"""The model registry: every model accord can run, with its citation.

The model modules are imported on first use (:func:`available`, :func:`get`, :func:`resolve`), so
``import accord`` stays cheap. Each gives its :class:`~accord.models.base.Model` (``MODEL``, or
``MODELS`` for a module of several); registering wraps its forecast so that the batch axes of the
inputs are broadcast first and the result type is checked.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace

from accord.errors import AccordError
from accord.models.base import Model
from accord.results import ModelResult

_REGISTRY: dict[str, Model] = {}


def register(model: Model) -> Model:
    """Add ``model``; its ``forecast`` is called with the batch axes of the inputs broadcast
    (:meth:`accord.scenario.ScenarioArrays.broadcast`), so that every model returns one
    forecast per draw whichever inputs were drawn, and must return a :class:`ModelResult`."""
    model = _REGISTRY[model.name] = replace(model, forecast=_per_draw(model.name, model.forecast))
    return model


def _per_draw(name: str, forecast: Callable) -> Callable:
    @functools.wraps(forecast)
    def run(arrays, *args, **kwargs):
        result = forecast(arrays.broadcast(), *args, **kwargs)
        if not isinstance(result, ModelResult):
            raise TypeError(f"model {name}: forecast returned {type(result).__name__}, not a ModelResult")
        return result

    return run


@functools.cache
def _load() -> None:
    from accord.models import baselines, eum, exchange, focal, learned, smp

    for model in (*baselines.MODELS, eum.MODEL, smp.MODEL, exchange.MODEL, focal.MODEL, learned.MODEL):
        register(model)


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
    if not out:
        raise AccordError(f"no model named in {list(names)!r}; available models: {', '.join(_REGISTRY)}")
    return out
