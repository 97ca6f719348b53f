"""Models: pure functions over :class:`~accord.scenario.ScenarioArrays`, listed in a registry."""

from accord.models.registry import Model, available, get, register, resolve

__all__ = ["Model", "available", "get", "register", "resolve"]
