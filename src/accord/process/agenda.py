"""The procedural side of a scenario as arrays: decision rules, vetoes, preconditions, and which
issues are open at a stage."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from accord.errors import AccordError
from accord.scenario import Scenario, ScenarioArrays


@dataclass(frozen=True)
class Agenda:
    """The procedural side of a scenario as arrays.

    ``kind`` holds the decision rule per issue; ``threshold`` (n_issues,) the majority threshold;
    ``counted`` (n_actors, n_issues) the actors whose acceptance the rule needs (consensus,
    unanimity) or whose weight it counts (majority), none for ``none``; ``veto`` (n_actors,
    n_issues) the veto holders; ``requires`` (n_issues, n_issues) is True at [b, a] when issue b
    opens only after issue a is agreed.
    """

    issue_ids: tuple[str, ...]
    kind: tuple[str, ...]
    threshold: np.ndarray
    counted: np.ndarray
    veto: np.ndarray
    requires: np.ndarray

    @property
    def depth(self) -> int:
        """Issues on the longest precondition chain (1 without preconditions)."""
        m = len(self.issue_ids)
        level = np.ones(m, dtype=int)
        for _ in range(m):  # longest path in a DAG by relaxation; m passes always suffice
            level = np.maximum(level, np.where(self.requires, level[None, :] + 1, 1).max(axis=1, initial=1))
        return int(level.max(initial=1))

    def take(self, index) -> Agenda:
        """The agenda of some issues only (their rules and vetoes; preconditions among them)."""
        idx = list(index)
        return Agenda(tuple(self.issue_ids[j] for j in idx), tuple(self.kind[j] for j in idx), self.threshold[idx],
                      self.counted[:, idx], self.veto[:, idx], self.requires[np.ix_(idx, idx)])


def agenda(scenario: Scenario, arrays: ScenarioArrays | None = None) -> Agenda:
    """The rules, vetoes and preconditions of ``scenario`` as an :class:`Agenda`."""
    a = scenario.arrays() if arrays is None else arrays
    actor = {x: k for k, x in enumerate(a.actor_ids)}
    issue = {x: k for k, x in enumerate(a.issue_ids)}
    n, m = a.n_actors, a.n_issues
    counted = np.zeros((n, m), dtype=bool)
    for j, iss in enumerate(scenario.issues):
        if iss.rule.kind == "none":
            continue
        if iss.rule.parties:  # the named parties are the deciding body, under any rule
            counted[[actor[p] for p in iss.rule.parties], j] = True
        else:
            counted[:, j] = a.involved[:, j]
    requires = np.zeros((m, m), dtype=bool)
    for p in scenario.preconditions:
        for r in p.requires:
            requires[issue[p.issue], issue[r]] = True
    return Agenda(
        issue_ids=a.issue_ids,
        kind=tuple(i.rule.kind for i in scenario.issues),
        threshold=np.array([i.rule.threshold for i in scenario.issues], dtype=float),
        counted=counted,
        veto=np.asarray(a.veto, dtype=bool),
        requires=requires,
    )


def drop_preconditions(scenario: Scenario, names: Iterable[str]) -> tuple[Scenario, list[str]]:
    """The scenario without the preconditions owned by, or placed on, each of ``names``.

    A name is an actor id (drop every precondition that actor demands) or an issue id (drop the
    preconditions of that issue). Returns the new scenario and a description of what was dropped;
    a name that matches no precondition is an error listing the owners and issues that would.
    """
    names = list(names)
    kept = list(scenario.preconditions)
    dropped: list[str] = []
    for name in names:
        hit = [p for p in kept if p.owner == name or p.issue == name]
        if not hit:
            owners = sorted({p.owner for p in scenario.preconditions if p.owner})
            issues = sorted({p.issue for p in scenario.preconditions})
            raise AccordError(
                f"no precondition is owned by or placed on {name!r}; owners: {', '.join(owners) or 'none'}; "
                f"issues with preconditions: {', '.join(issues) or 'none'}"
            )
        kept = [p for p in kept if p not in hit]
        dropped += [f"{p.issue} requires {', '.join(p.requires)}" + (f" (owner {p.owner})" if p.owner else "") for p in hit]
    return scenario.replace(preconditions=tuple(kept)), dropped


def open_issues(agreed, requires) -> np.ndarray:
    """Issues not yet agreed whose required issues are all agreed, (..., n_issues)."""
    agreed = np.asarray(agreed, dtype=bool)
    waiting = np.any(requires & ~agreed[..., None, :], axis=-1)
    return ~agreed & ~waiting
