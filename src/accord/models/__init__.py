"""Models: pure functions over :class:`~accord.scenario.ScenarioArrays`, listed in a registry."""

from accord.models.base import Model
from accord.models.registry import available, get, register, resolve

__all__ = ["Model", "available", "get", "register", "resolve"]
