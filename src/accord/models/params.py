"""Model parameters: one table per model entry point, read from its signature and docstring, and
one check of every keyword argument against it.

A model module declares what each of its parameters may be, as scikit-learn's estimators do with
``_parameter_constraints``, and decorates its entry points::

    CONSTRAINTS = {"rounds": Interval(int, 0, MAX_ROUNDS), "variant": Options(*VARIANTS, none=True)}

    @checked(CONSTRAINTS)
    def forecast(arrays, rng=None, *, variant=None, rounds=10): ...

The table (:class:`Param` per keyword: default from the signature, description from the NumPy-style
``Parameters`` section of the docstring, allowed values from the constraint) is attached to the
function as ``forecast.params``; ``accord models --params`` prints it and ``--param`` is checked
against it. A call with an unknown name, a value of the wrong type or out of range raises
:class:`~accord.errors.ParameterError` naming the parameter, what it may be and, for an unknown
name, the parameters there are.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from accord.errors import ParameterError

#: Most rounds any iterative model is asked to play: far beyond what any published run uses, and
#: a bound on the work one request can ask for.
MAX_ROUNDS = 10_000


class Constraint:
    """What a parameter may be: :meth:`check` returns the value (converted where the type allows
    it, e.g. ``3.0`` for an int) or raises :class:`ParameterError`; :meth:`describe` says it in words."""

    none: bool = False

    def check(self, name: str, value):
        if value is None:
            if self.none:
                return None
            raise ParameterError(f"{name} must be {self.describe()}, got None")
        return self._check(name, value)

    def _check(self, name: str, value):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover
        raise NotImplementedError

    def _fail(self, name, value):
        raise ParameterError(f"{name} must be {self.describe()}, got {value!r}")


@dataclass(frozen=True)
class Interval(Constraint):
    """A number of ``kind`` (int or float) in [low, high] (``open_low``: low excluded)."""

    kind: type
    low: float | None = None
    high: float | None = None
    none: bool = False
    open_low: bool = False

    def _check(self, name, value):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            self._fail(name, value)
        try:  # an integer too large for a float (a 400-digit --param) is out of range, not a crash
            if self.kind is int:
                if not (isinstance(value, numbers.Integral) or float(value).is_integer()):
                    self._fail(name, value)
                value = int(value)
            else:
                value = float(value)
                if math.isnan(value):
                    self._fail(name, value)
        except OverflowError:
            self._fail(name, value)
        if self.low is not None and (value < self.low or (self.open_low and value == self.low)):
            self._fail(name, value)
        if self.high is not None and value > self.high:
            self._fail(name, value)
        return value

    def describe(self) -> str:
        what = "an integer" if self.kind is int else "a number"
        lo = "" if self.low is None else f"{self.low:g}"
        hi = "" if self.high is None else f"{self.high:g}"
        if self.low is not None and self.high is not None:
            text = f"{what} in {'(' if self.open_low else '['}{lo}, {hi}]"
        elif self.low is not None:
            text = f"{what} {'>' if self.open_low else '>='} {lo}"
        elif self.high is not None:
            text = f"{what} <= {hi}"
        else:
            text = what
        return text + (" or None" if self.none else "")


@dataclass(frozen=True)
class Options(Constraint):
    """One of ``values``; ``aliases`` maps other accepted spellings to them (``normalise`` is
    applied to both sides first, e.g. to ignore case and underscores)."""

    values: tuple[str, ...]
    aliases: Mapping[str, str] | None = None
    none: bool = False
    normalise: Callable[[str], str] | None = None

    def _check(self, name, value):
        if not isinstance(value, str):
            self._fail(name, value)
        norm = self.normalise or (lambda s: s.strip().lower())
        key = norm(value)
        for v in self.values:
            if norm(v) == key:
                return v
        for alias, v in (self.aliases or {}).items():
            if norm(alias) == key:
                return v
        self._fail(name, value)

    def describe(self) -> str:
        text = "one of " + ", ".join(self.values)
        return text + (" (or None)" if self.none else "")


@dataclass(frozen=True)
class Boolean(Constraint):
    """True or False (``none``: or None, meaning "the model decides")."""

    none: bool = False

    def _check(self, name, value):
        if not isinstance(value, (bool, np.bool_)):
            self._fail(name, value)
        return bool(value)

    def describe(self) -> str:
        return "true or false" + (" (or None)" if self.none else "")


@dataclass(frozen=True)
class Levels(Constraint):
    """A sequence of probability levels, each strictly between 0 and 1."""

    def _check(self, name, value):
        try:
            levels = tuple(float(v) for v in value)
        except (TypeError, ValueError, OverflowError):
            self._fail(name, value)
        if not levels or not all(0 < v < 1 for v in levels):
            self._fail(name, value)
        return levels

    def describe(self) -> str:
        return "a list of levels in (0, 1)"


@dataclass(frozen=True)
class Array(Constraint):
    """An array taken from the scenario (linkages, per-issue power, ideal adjustments), not a
    single value: set in the scenario file, not with ``--param``."""

    shape: str
    none: bool = True

    def _check(self, name, value):
        try:
            return np.asarray(value)
        except (TypeError, ValueError):
            self._fail(name, value)

    def describe(self) -> str:
        return f"an array of shape {self.shape}, from the scenario"


@dataclass(frozen=True)
class Param:
    """One row of a model's parameter table."""

    name: str
    default: Any
    description: str
    constraint: Constraint

    @property
    def allowed(self) -> str:
        return self.constraint.describe()

    @property
    def settable(self) -> bool:
        """Whether ``--param`` can set it (arrays come from the scenario)."""
        return not isinstance(self.constraint, Array)


def describe_parameters(doc: str | None) -> dict[str, str]:
    """Parameter descriptions from a NumPy-style docstring: in its ``Parameters`` section (or, if it
    has none, in the whole docstring, as a dataclass documents its fields) a line ``name : type``,
    ``a, b : type`` or ``name`` starts an entry and the indented lines under it describe it; an
    entry without them is described by the text after its colon."""
    if not doc:
        return {}
    lines = inspect.cleandoc(doc).splitlines()
    titled = [k for k, line in enumerate(lines[:-1]) if line.strip() and set(lines[k + 1].strip()) == {"-"}]
    section = next((k for k in titled if lines[k].strip() == "Parameters"), None)
    if section is not None:
        end = next((k for k in titled if k > section), len(lines))
        lines = lines[section + 2:end]
    out: dict[str, str] = {}
    entry: tuple[list[str], str] | None = None
    text: list[str] = []
    for line in [*lines, "<end>"]:
        head = _ENTRY.match(line)
        if head or line == "<end>":
            if entry:
                names, hint = entry
                for n in names:
                    out[n] = _plain(" ".join(text) or hint)
            entry = ([n.strip() for n in head.group(1).split(",")], (head.group(2) or "").strip()) if head else None
            text = []
        elif entry and line[:1].isspace():
            text.append(line.strip())
    return out


def _plain(text: str) -> str:
    """reStructuredText roles and literals as plain text: :data:`~a.B` -> B, ``x`` -> x."""
    text = re.sub(r":\w+:`~?(?:[\w.]+\.)?([^`.]+)`", r"\1", text)
    return text.replace("``", "")


_ENTRY = re.compile(r"^\*{0,2}([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*(?::\s*(.*))?$")


def build_table(fn: Callable, constraints: Mapping[str, Constraint],
                extra: Mapping[str, tuple[Any, str]] | None = None, docs: str | None = None) -> dict[str, Param]:
    """The keyword parameters of ``fn`` (after ``rng``) with their defaults, descriptions and
    constraints; ``extra`` adds those taken through ``**kwargs`` as name -> (default, description);
    ``docs`` is a docstring that describes what ``fn``'s own does not (a sibling entry point's)."""
    docs = describe_parameters(docs) | describe_parameters(fn.__doc__)
    table: dict[str, Param] = {}
    for p in inspect.signature(fn).parameters.values():
        if p.kind is not inspect.Parameter.KEYWORD_ONLY or p.name == "rng":
            continue
        if p.name not in constraints:
            raise TypeError(f"{fn.__qualname__}: parameter {p.name!r} has no constraint")
        table[p.name] = Param(p.name, p.default, docs.get(p.name, ""), constraints[p.name])
    for name, (default, description) in (extra or {}).items():
        table[name] = Param(name, default, description, constraints[name])
    return table


def check(table: Mapping[str, Param], kwargs: Mapping[str, Any], model: str) -> dict[str, Any]:
    """``kwargs`` checked against ``table`` and converted; a :class:`ParameterError` otherwise."""
    unknown = [k for k in kwargs if k not in table]
    if unknown:
        known = ", ".join(table) or "none"
        raise ParameterError(f"{model}: unknown parameter(s) {', '.join(map(repr, unknown))}; its parameters: {known}")
    return {k: table[k].constraint.check(k, v) for k, v in kwargs.items()}


def checked(constraints: Mapping[str, Constraint], *, model: str,
            extra: Mapping[str, tuple[Any, str]] | None = None, docs: str | None = None) -> Callable:
    """Decorator for a model entry point ``fn(arrays, rng=None, *, ...)``: every keyword argument
    is checked against the table built from ``fn`` (:func:`build_table`), attached as ``.params``."""

    def wrap(fn: Callable) -> Callable:
        table = build_table(fn, constraints, extra, docs)

        @functools.wraps(fn)
        def run(arrays, rng=None, **kwargs):
            return fn(arrays, rng=rng, **check(table, kwargs, model))

        run.params = table
        return run

    return wrap
