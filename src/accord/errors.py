"""Errors a user can act on: each problem names where it is and what was expected."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input.

    ``where`` is a human pointer such as ``"stances[us][assad-fate].salience"``;
    ``file`` and ``line`` are filled in by readers when they know them.
    """

    message: str
    where: str = ""
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        loc = ""
        if self.file:
            loc = self.file
            if self.line is not None:
                loc += f":{self.line}"
        if self.where:
            loc = f"{loc} {self.where}".strip()
        return f"{loc}: {self.message}" if loc else self.message

    def located(self, file: str | None = None, line: int | None = None) -> Problem:
        return Problem(
            self.message,
            self.where,
            self.file if self.file is not None else file,
            self.line if self.line is not None else line,
        )


class AccordError(Exception):
    """Base class for errors shown to users as a short message (exit status 2)."""


class ScenarioError(AccordError):
    """One or more problems with a scenario or an input file, reported all at once."""

    def __init__(self, problems: Iterable[Problem] | str, file: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        self.problems = [p.located(file) for p in problems]
        super().__init__(self._text())

    def _text(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class InputFileError(ScenarioError):
    """A file that cannot be read at all (missing, too large, wrong encoding, wrong format)."""


class UnknownEstimateError(AccordError):
    """A draft scenario reached a model: some values still say "no estimate yet" (``unknown``).

    ``missing`` lists where, e.g. ``"stances[us][assad-fate].position"``.
    """

    def __init__(self, missing: Iterable[str], shown: int = 12):
        self.missing = list(missing)
        listed = ", ".join(self.missing[:shown])
        more = f" and {len(self.missing) - shown} more" if len(self.missing) > shown else ""
        super().__init__(
            f"the scenario is a draft: {len(self.missing)} value(s) have no estimate yet ({listed}{more}); "
            "no model can run until each `unknown` is replaced by a number"
        )


class ModelError(AccordError):
    """A model cannot run on this input (for example, it needs a status quo that is missing)."""


class ParameterError(ModelError, ValueError):
    """A model parameter out of its range or not one of its choices (a ValueError too)."""


class StoreError(AccordError):
    """A store operation that cannot be done as asked."""


class NotFound(StoreError):
    """No such scenario, version or run."""


class Conflict(StoreError):
    """A save on top of a version that is no longer the latest."""

    def __init__(self, scenario_id: int, parent: int, latest: int):
        self.scenario_id, self.parent, self.latest = scenario_id, parent, latest
        super().__init__(
            f"version {latest} of this scenario was saved after version {parent}, the one you edited; "
            f"your changes were not saved. Open version {latest}, reapply your changes and save again."
        )


class StoreUnavailable(StoreError):
    """The store's database cannot be used now (a server that does not answer, a full disk);
    nothing was changed. The web app answers 503."""


class StoreLocked(StoreUnavailable):
    """Another program held the database's lock for longer than the store waits."""


class BadStore(StoreUnavailable):
    """The database is not a store accord can use as it is: not a database, damaged, another
    application's, made by a newer accord, read-only, or unreachable as configured."""


class LossyConversionError(AccordError):
    """A conversion asked to be strict would drop what the target format cannot hold.

    ``lost`` names each field, e.g. ``"anchors of 7 issues"``.
    """

    def __init__(self, format: str, lost: Iterable[str]):
        self.format = format
        self.lost = list(lost)
        super().__init__(f"{format} cannot hold {'; '.join(self.lost)}; nothing written (--strict). "
                         "Convert without --strict to write what it can hold, or choose accord YAML")


class OutputFileError(AccordError):
    """An output that cannot be written where asked (missing folder, a folder in the way, a name
    too long, an unknown extension); raised before the work that would fill it."""
