"""Actors, issues, stances and the scenario that holds them.

The records here are what people write and read; :meth:`Scenario.arrays` is the one place where
they become the arrays every model works on.

Glossary (the field's words, used throughout accord):

capability
    An actor's potential to affect the outcome if it committed everything (BdM's "power" /
    KTAB's "influence"). Any non-negative number; only ratios matter.
position
    The outcome an actor advocates on an issue, on the issue's scale.
salience
    How much the issue matters to the actor, 0 (not at all) to 1 (drops everything else for it).
status quo
    Where the issue stays if nothing is agreed (the reversion point; DEU's ``rp``).
unknown
    "No estimate yet": a capability, position or salience a draft leaves to the analyst (``None``
    here, ``unknown`` in a file). A draft validates; :meth:`Scenario.arrays`, the way into every
    model, refuses it and names what to fill in (:class:`~accord.errors.UnknownEstimateError`).
evidence
    A statement behind a stance: the words, the report they come from and the sentence they are in.
"""

from __future__ import annotations

import datetime
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date as _date

import numpy as np

from accord.errors import AccordError, Problem, ScenarioError, UnknownEstimateError
from accord.limits import limit

DECISION_RULES = ("none", "consensus", "unanimity", "majority")
#: An actor's colour: ``#rrggbb`` (it reaches style attributes and chart libraries, so nothing else).
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?")
#: Fields of ``meta.uncertainty`` (see :mod:`accord.uncertainty.sampling`).
UNCERTAINTY_FIELDS = ("position_sd", "salience_sd", "capability_concentration", "issues")


@dataclass(frozen=True)
class Actor:
    """A party to the negotiation."""

    id: str
    name: str
    capability: float | None  # None: no estimate yet
    group: str | None = None
    colour: str | None = None
    description: str = ""
    rationale: str = ""
    #: Per-stage discount factor in (0, 1] (how much a deal one stage later is worth to this
    #: actor); None: the scenario's ``process.patience``.
    patience: float | None = None


@dataclass(frozen=True)
class DecisionRule:
    """How an issue is decided.

    ``kind`` is one of ``none`` (no formal rule: the forecast stands), ``consensus`` (every actor in
    ``parties`` must accept; all involved actors when empty), ``unanimity`` (every involved actor
    must accept) or ``majority`` (the capability share of actors who accept must reach
    ``threshold``).
    """

    kind: str = "none"
    parties: tuple[str, ...] = ()
    threshold: float = 0.5


@dataclass(frozen=True)
class Issue:
    """A decision on a one-dimensional scale ``[lower, upper]`` (0–100 by default)."""

    id: str
    name: str
    lower: float = 0.0
    upper: float = 100.0
    anchors: tuple[tuple[float, str], ...] = ()
    status_quo: float | None = None
    rule: DecisionRule = field(default_factory=DecisionRule)
    veto: tuple[str, ...] = ()
    description: str = ""
    rationale: str = ""
    group: str | None = None  # e.g. a proposal that bundles issues (DEU's prnr)


@dataclass(frozen=True)
class Evidence:
    """What a stance rests on: ``quote`` (the words), ``source`` (the id of a scenario source) and
    ``sentence`` (the sentence of the report the words are in)."""

    quote: str
    source: str = ""
    sentence: str = ""


@dataclass(frozen=True)
class Stance:
    """An actor's position and salience on one issue, with optional uncertainty and evidence.

    ``position`` or ``salience`` is ``None`` while nobody has estimated it (a draft).
    """

    actor: str
    issue: str
    position: float | None
    salience: float | None
    low: float | None = None
    high: float | None = None
    rationale: str = ""
    source: str = ""
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Precondition:
    """Issue ``issue`` opens only when every issue in ``requires`` is agreed.

    ``owner`` names the actor who demands it, so a what-if can drop it.
    """

    issue: str
    requires: tuple[str, ...]
    owner: str | None = None
    rationale: str = ""


@dataclass(frozen=True)
class Linkage:
    """A trade that may never happen: between ``issues[0]`` and ``issues[1]``.

    ``"*"`` as the second issue forbids every trade involving the first; ``actor`` limits the ban to
    that actor's exchanges (``None``: everybody).
    """

    issues: tuple[str, str]
    actor: str | None = None
    rationale: str = ""


@dataclass(frozen=True)
class Stage:
    """A round of talks in the process: a label, an ISO date, and whether it is a deadline (no
    stage follows it: what is not agreed by then stays at its status quo)."""

    label: str = ""
    date: str = ""
    deadline: bool = False


@dataclass(frozen=True)
class ProcessSettings:
    """How the strategic process weighs time (docs/process.md).

    ``patience`` is the default per-stage discount factor δ of every actor (an agreement one stage
    later is worth δ of one now; per 30 days when the stages carry dates); ``ally_pressure`` λ
    in [0, 1] is how far allies who want a move lower an actor's patience; ``stages`` optionally
    dates the rounds of talks (their number then sets the process's stages).
    """

    patience: float = 0.9
    ally_pressure: float = 0.5
    stages: tuple[Stage, ...] = ()


@dataclass(frozen=True)
class Source:
    id: str
    title: str = ""
    url: str = ""
    date: str = ""


@dataclass(frozen=True)
class ScenarioArrays:
    """The numeric view of a scenario.

    Shapes: ``capability`` (n_actors,); ``position``, ``salience``, ``involved``, ``veto``,
    ``position_low``, ``position_high`` (n_actors, n_issues); ``status_quo``, ``lower``, ``upper``
    (n_issues,). A position is NaN where the actor is not involved; its salience is then 0.
    ``status_quo`` is NaN where unknown; ``position_low``/``position_high`` are NaN where no
    uncertainty was given.

    Monte Carlo draws add a leading axis to ``capability``, ``position`` and ``salience``
    (see :mod:`accord.uncertainty.simulate`); models treat any leading axes as batch axes. A batch may draw
    only some of the three: the registry's models (:func:`accord.models.registry.get`) broadcast
    them first (:meth:`broadcast`); a model module's own functions expect all three batched.
    """

    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    capability: np.ndarray
    position: np.ndarray
    salience: np.ndarray
    involved: np.ndarray
    status_quo: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    veto: np.ndarray
    position_low: np.ndarray
    position_high: np.ndarray

    @property
    def n_actors(self) -> int:
        return len(self.actor_ids)

    @property
    def n_issues(self) -> int:
        return len(self.issue_ids)

    def replace(self, **changes) -> ScenarioArrays:
        return replace(self, **changes)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The leading (Monte Carlo draw) axes of ``capability``, ``position`` and ``salience``,
        broadcast together: () for a single scenario."""
        return np.broadcast_shapes(
            np.shape(self.capability)[:-1], np.shape(self.position)[:-2], np.shape(self.salience)[:-2]
        )

    def broadcast(self) -> ScenarioArrays:
        """The same arrays with ``capability``, ``position`` and ``salience`` sharing the batch
        axes (read-only views where one lacked them; ``self`` when none does), so that a batch
        that draws only some inputs gives one forecast per draw."""
        lead = self.batch_shape
        n, m = self.n_actors, self.n_issues
        shapes = {"capability": lead + (n,), "position": lead + (n, m), "salience": lead + (n, m)}
        changes = {k: np.broadcast_to(getattr(self, k), v) for k, v in shapes.items() if np.shape(getattr(self, k)) != v}
        return replace(self, **changes) if changes else self

    def take_issues(self, index: Sequence[int]) -> ScenarioArrays:
        """The same actors on a subset of the issues."""
        index = np.asarray(index, dtype=int)
        return replace(
            self,
            issue_ids=tuple(self.issue_ids[i] for i in index),
            position=self.position[..., index],
            salience=self.salience[..., index],
            involved=self.involved[:, index],
            status_quo=self.status_quo[index],
            lower=self.lower[index],
            upper=self.upper[index],
            veto=self.veto[:, index],
            position_low=self.position_low[:, index],
            position_high=self.position_high[:, index],
        )

    def take_actors(self, index: Sequence[int]) -> ScenarioArrays:
        """A subset (or reordering) of the actors."""
        index = np.asarray(index, dtype=int)
        return replace(
            self,
            actor_ids=tuple(self.actor_ids[i] for i in index),
            capability=self.capability[..., index],
            position=self.position[..., index, :],
            salience=self.salience[..., index, :],
            involved=self.involved[index],
            veto=self.veto[index],
            position_low=self.position_low[index],
            position_high=self.position_high[index],
        )


@dataclass(frozen=True)
class Scenario:
    """A negotiation: who takes part, what is decided, and where everybody stands."""

    title: str
    actors: tuple[Actor, ...]
    issues: tuple[Issue, ...]
    stances: tuple[Stance, ...]
    date: str = ""
    description: str = ""
    sources: tuple[Source, ...] = ()
    preconditions: tuple[Precondition, ...] = ()
    linkages: tuple[Linkage, ...] = ()
    meta: Mapping[str, object] = field(default_factory=dict)
    process: ProcessSettings = field(default_factory=ProcessSettings)

    # -- look-ups ---------------------------------------------------------------------------
    @property
    def actor_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.actors)

    @property
    def issue_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.issues)

    def actor(self, actor_id: str) -> Actor:
        for a in self.actors:
            if a.id == actor_id:
                return a
        raise KeyError(actor_id)

    def issue(self, issue_id: str) -> Issue:
        for i in self.issues:
            if i.id == issue_id:
                return i
        raise KeyError(issue_id)

    def stance(self, actor_id: str, issue_id: str) -> Stance | None:
        for s in self.stances:
            if s.actor == actor_id and s.issue == issue_id:
                return s
        return None

    # -- checks -----------------------------------------------------------------------------
    def problems(self) -> list[Problem]:
        """Every problem with this scenario (empty when it is valid)."""
        return validate(self)

    def validated(self) -> Scenario:
        """This scenario, or :class:`ScenarioError` listing every problem."""
        problems = self.problems()
        if problems:
            raise ScenarioError(problems)
        return self

    def unknown_estimates(self) -> list[str]:
        """Where this draft still says "no estimate yet": ``actors[ID].capability`` and
        ``stances[ACTOR][ISSUE].position`` / ``.salience``, in file order (empty when complete)."""
        out = [f"actors[{a.id}].capability" for a in self.actors if a.capability is None]
        for st in self.stances:
            out += [f"stances[{st.actor}][{st.issue}].{name}"
                    for name in ("position", "salience") if getattr(st, name) is None]
        return out

    # -- numbers ----------------------------------------------------------------------------
    def arrays(self) -> ScenarioArrays:
        """The scenario as arrays (see :class:`ScenarioArrays`).

        Every model starts here, so this is where a draft is refused: an
        :class:`~accord.errors.UnknownEstimateError` names every value still ``unknown``.
        """
        missing = self.unknown_estimates()
        if missing:
            raise UnknownEstimateError(missing)
        a_index = {a: k for k, a in enumerate(self.actor_ids)}
        i_index = {i: k for k, i in enumerate(self.issue_ids)}
        n, m = len(a_index), len(i_index)
        position = np.full((n, m), np.nan)
        salience = np.zeros((n, m))
        low = np.full((n, m), np.nan)
        high = np.full((n, m), np.nan)
        for s in self.stances:
            a, i = a_index[s.actor], i_index[s.issue]
            position[a, i] = s.position
            salience[a, i] = s.salience
            if s.low is not None:
                low[a, i] = s.low
            if s.high is not None:
                high[a, i] = s.high
        veto = np.zeros((n, m), dtype=bool)
        for k, issue in enumerate(self.issues):
            for actor_id in issue.veto:
                veto[a_index[actor_id], k] = True
        return ScenarioArrays(
            actor_ids=self.actor_ids,
            issue_ids=self.issue_ids,
            capability=np.array([a.capability for a in self.actors], dtype=float),
            position=position,
            salience=salience,
            involved=~np.isnan(position),
            status_quo=np.array(
                [np.nan if i.status_quo is None else i.status_quo for i in self.issues], dtype=float
            ),
            lower=np.array([i.lower for i in self.issues], dtype=float),
            upper=np.array([i.upper for i in self.issues], dtype=float),
            veto=veto,
            position_low=low,
            position_high=high,
        )

    # -- edits (return new scenarios) -------------------------------------------------------
    def replace(self, **changes) -> Scenario:
        return replace(self, **changes)

    def without_actor(self, actor_id: str) -> Scenario:
        """The scenario with an actor and everything it owns removed."""
        self.actor(actor_id)
        return replace(
            self,
            actors=tuple(a for a in self.actors if a.id != actor_id),
            stances=tuple(s for s in self.stances if s.actor != actor_id),
            issues=tuple(
                replace(
                    i,
                    veto=tuple(v for v in i.veto if v != actor_id),
                    rule=replace(i.rule, parties=tuple(p for p in i.rule.parties if p != actor_id)),
                )
                for i in self.issues
            ),
            preconditions=tuple(p for p in self.preconditions if p.owner != actor_id),
            linkages=tuple(link for link in self.linkages if link.actor != actor_id),
        )

    def with_issues(self, issue_ids: Iterable[str]) -> Scenario:
        """The scenario restricted to some issues (stances, preconditions and linkages follow)."""
        keep = list(issue_ids)
        for i in keep:
            self.issue(i)
        keep_set = set(keep)
        return replace(
            self,
            issues=tuple(self.issue(i) for i in keep),
            stances=tuple(s for s in self.stances if s.issue in keep_set),
            preconditions=tuple(
                p
                for p in self.preconditions
                if p.issue in keep_set and all(r in keep_set for r in p.requires)
            ),
            linkages=tuple(
                link
                for link in self.linkages
                if link.issues[0] in keep_set and link.issues[1] in keep_set | {"*"}
            ),
        )


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def size_problems(n_actors: int, n_issues: int, *, cells: str = "cells") -> list[Problem]:
    """Problems with a scenario's size against the limits (:mod:`accord.limits`); ``cells``
    names the limit on actors × issues (the web app has a tighter one)."""
    out = []
    for what, n, name in (("actors", n_actors, "actors"), ("issues", n_issues, "issues")):
        if n > limit(name):
            out.append(Problem(f"{n:,} {what}; at most {limit(name):,} are allowed (raise it with "
                               f"ACCORD_MAX_{name.upper()})", what))
    if not out and n_actors * n_issues > limit(cells):
        out.append(Problem(f"{n_actors:,} actors × {n_issues:,} issues = {n_actors * n_issues:,}; at most "
                           f"{limit(cells):,} are allowed (raise it with ACCORD_MAX_{cells.upper()})", "actors"))
    return out


def date_problem(text: str, where: str) -> Problem | None:
    """A date written as YYYY-MM-DD (or YYYY-MM) must exist; other text is left alone."""
    m = _ISO_DATE.fullmatch(str(text).strip())
    if not m:
        return None
    year, month, day = int(m[1]), int(m[2]), int(m[3] or 1)
    try:
        datetime.date(year, month, day)
    except ValueError as exc:
        return Problem(f"{text!r} is not a date ({exc})", where)
    return None


#: Units a position spread may be given in: a percentage of each issue's scale (the default) or
#: the issue's own scale units.
POSITION_UNITS = ("percent", "points")
_AMOUNT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(%|pc|percent|pt|pts|points?|units?)?\s*$")


def parse_spread(value, what: str = "position_sd") -> tuple[float, str]:
    """A position spread as (number, unit): ``5``, ``"5"`` and ``"5%"`` are 5 % of each issue's
    scale; ``"5 points"`` (``pt``, ``units``) is 5 in the issue's own units.

    >>> parse_spread("2.5 points"), parse_spread(10)
    ((2.5, 'points'), (10.0, 'percent'))
    """
    if isinstance(value, bool):
        raise AccordError(f"{what} must be a number (a percentage of the scale) or 'N points', got {value!r}")
    if isinstance(value, (int, float)):
        number, unit = float(value), "percent"
    else:
        m = _AMOUNT.match(str(value))
        if not m:
            raise AccordError(f"{what} must be a number (a percentage of the issue's scale, e.g. 5 or 5%) "
                              f"or a number of scale points (e.g. '2 points'), got {value!r}")
        number = float(m.group(1))
        unit = "points" if (m.group(2) or "%").startswith(("pt", "point", "unit")) else "percent"
    if not math.isfinite(number) or number < 0:
        raise AccordError(f"{what} must be a finite number >= 0, got {value!r}")
    return number, unit


def uncertainty_problems(values: Mapping, where: str = "meta.uncertainty") -> list[Problem]:
    """Problems with scenario-wide uncertainty settings (``meta.uncertainty`` or the matching
    command-line options): known names, finite numbers, within the range that has a meaning.

    A number for ``position_sd`` is a percentage of each issue's scale (at most 100: wider puts
    every draw at the scale's ends); text such as ``"2 points"`` is read by :func:`parse_spread`.
    """
    if not isinstance(values, Mapping):
        return [Problem(f"expected a mapping with {', '.join(UNCERTAINTY_FIELDS)}, got {type(values).__name__}", where)]
    out = []
    for key, v in values.items():
        w = f"{where}.{key}"
        if key not in UNCERTAINTY_FIELDS:
            out.append(Problem(f"unknown field {key!r}; expected {', '.join(UNCERTAINTY_FIELDS)}", w))
        elif key == "issues":
            if not isinstance(v, Mapping):
                out.append(Problem("issues must map issue ids to {position_sd, salience_sd}", w))
                continue
            for issue, spec in v.items():
                if isinstance(spec, Mapping):
                    out += [p for p in uncertainty_problems(spec, f"{w}.{issue}")
                            if p.where.rsplit(".", 1)[-1] in ("position_sd", "salience_sd")]
        elif v is None:
            continue
        elif key == "position_sd":
            try:
                number, unit = parse_spread(v)
            except AccordError as exc:
                out.append(Problem(str(exc), w))
                continue
            if unit == "percent" and number > 100:
                out.append(Problem(f"position_sd is a percentage of the scale and must be at most 100 (wider puts "
                                   f"every draw at the scale's ends); write 'N points' for scale units, got {v!r}", w))
        elif isinstance(v, bool) or not isinstance(v, (int, float)):
            out.append(Problem(f"{key} must be a number, got {v!r}", w))
        elif key == "capability_concentration":
            if math.isnan(v) or v <= 0:
                out.append(Problem(f"capability_concentration must be > 0 (.inf: capabilities fixed), got {v!r}", w))
        elif not math.isfinite(v) or v < 0:
            out.append(Problem(f"{key} must be a finite number >= 0, got {v!r}", w))
        elif key == "salience_sd" and v > 0.5:
            out.append(Problem(f"salience_sd must be at most 0.5 (the widest a salience in [0, 1] can vary), got {v!r}", w))
    return out


def validate(s: Scenario) -> list[Problem]:
    """Every problem with a scenario, so a user can fix them all at once."""
    out: list[Problem] = size_problems(len(s.actors), len(s.issues))
    if out:
        return out  # the rest would take long and say little
    if not s.actors:
        out.append(Problem("a scenario needs at least two actors, found none", "actors"))
    elif len(s.actors) == 1:
        out.append(Problem("a scenario needs at least two actors, found one", "actors"))
    if not s.issues:
        out.append(Problem("a scenario needs at least one issue, found none", "issues"))

    seen: set[str] = set()
    for k, a in enumerate(s.actors):
        where = f"actors[{a.id or k}]"
        if not isinstance(a.id, str) or not a.id.strip():
            out.append(Problem("actor id must be a non-empty string", where + ".id"))
        elif a.id in seen:
            out.append(Problem(f"duplicate actor id {a.id!r}", where + ".id"))
        seen.add(a.id)
        if a.colour is not None and not (isinstance(a.colour, str) and COLOUR.fullmatch(a.colour)):
            out.append(Problem(f"colour must look like #1f77b4 (# and six hex digits), got {a.colour!r}", where + ".colour"))
        if a.capability is None:
            pass  # no estimate yet: a draft (arrays() refuses it)
        elif not _finite(a.capability):
            out.append(Problem(f"capability must be a finite number, got {a.capability!r}", where + ".capability"))
        elif a.capability < 0:
            out.append(Problem(f"capability must be >= 0, got {a.capability}", where + ".capability"))
        if a.patience is not None and not (_finite(a.patience) and 0 < a.patience <= 1):
            out.append(Problem(f"patience must be in (0, 1], got {a.patience!r}", where + ".patience"))
    if s.actors and all(a.capability is not None and _finite(a.capability) and a.capability == 0 for a in s.actors):
        out.append(Problem("every actor has capability 0: at least one must be positive", "actors"))
    actor_ids = seen

    seen_i: set[str] = set()
    issues = {}
    for k, i in enumerate(s.issues):
        where = f"issues[{i.id or k}]"
        if not isinstance(i.id, str) or not i.id.strip():
            out.append(Problem("issue id must be a non-empty string", where + ".id"))
        elif i.id in seen_i:
            out.append(Problem(f"duplicate issue id {i.id!r}", where + ".id"))
        seen_i.add(i.id)
        issues[i.id] = i
        if not (_finite(i.lower) and _finite(i.upper)) or i.lower >= i.upper:
            out.append(Problem(f"scale must have lower < upper, got [{i.lower}, {i.upper}]", where + ".scale"))
            continue
        for value, _label in i.anchors:
            if not _finite(value) or not i.lower <= value <= i.upper:
                out.append(Problem(f"scale anchor {value!r} is off the scale [{i.lower:g}, {i.upper:g}]", where + ".scale"))
        if i.status_quo is not None and (
            not _finite(i.status_quo) or not i.lower <= i.status_quo <= i.upper
        ):
            out.append(Problem(f"status quo must be on the scale [{i.lower:g}, {i.upper:g}], got {i.status_quo!r}", where + ".status_quo"))
        if i.rule.kind not in DECISION_RULES:
            out.append(Problem(f"decision rule must be one of {', '.join(DECISION_RULES)}, got {i.rule.kind!r}", where + ".rule"))
        if not _finite(i.rule.threshold) or not 0 < i.rule.threshold <= 1:
            out.append(Problem(f"majority threshold must be in (0, 1], got {i.rule.threshold!r}", where + ".rule.threshold"))
        for who in (*i.veto, *i.rule.parties):
            if who not in actor_ids:
                out.append(Problem(f"unknown actor {who!r}", where))

    pairs: set[tuple[str, str]] = set()
    known_sources = {src.id for src in s.sources}
    for st in s.stances:
        where = f"stances[{st.actor}][{st.issue}]"
        if st.actor not in actor_ids:
            out.append(Problem(f"stance for unknown actor {st.actor!r}", where))
        if st.issue not in issues:
            out.append(Problem(f"stance for unknown issue {st.issue!r}", where))
        if (st.actor, st.issue) in pairs:
            out.append(Problem("duplicate stance", where))
        pairs.add((st.actor, st.issue))
        issue = issues.get(st.issue)
        lo, hi = (issue.lower, issue.upper) if issue else (-math.inf, math.inf)
        if st.position is None:
            if st.low is not None or st.high is not None:
                out.append(Problem("low and high bound a position: give the position, or leave low and high "
                                   "out while it is unknown", where))
        elif not _finite(st.position):
            out.append(Problem(f"position must be a finite number, got {st.position!r}", where + ".position"))
        elif not lo <= st.position <= hi:
            out.append(Problem(f"position {st.position:g} is off the scale [{lo:g}, {hi:g}]", where + ".position"))
        if st.salience is not None and (not _finite(st.salience) or not 0 <= st.salience <= 1):
            out.append(Problem(f"salience must be between 0 and 1, got {st.salience!r}", where + ".salience"))
        for k, ev in enumerate(st.evidence):
            if not isinstance(ev.quote, str) or not ev.quote.strip():
                out.append(Problem("evidence needs the quoted words (quote)", f"{where}.evidence[{k}].quote"))
            if ev.source and ev.source not in known_sources:
                expected = ", ".join(sorted(known_sources)) or "none declared"
                out.append(Problem(f"evidence source {ev.source!r} is not one of the scenario's sources ({expected})",
                                   f"{where}.evidence[{k}].source"))
        for name in ("low", "high"):
            v = getattr(st, name)
            if v is None:
                continue
            if not _finite(v) or not lo <= v <= hi:
                out.append(Problem(f"{name} must be on the scale [{lo:g}, {hi:g}], got {v!r}", f"{where}.{name}"))
        if st.position is not None and _finite(st.position):
            low = st.low if _finite(st.low) else st.position
            high = st.high if _finite(st.high) else st.position
            if not low <= st.position <= high:
                out.append(Problem(f"need low <= position <= high, got {low:g} <= {st.position:g} <= {high:g}", where))

    per_issue = Counter(st.issue for st in s.stances)
    for issue_id in issues:
        if issue_id and per_issue[issue_id] == 0 and s.actors:
            out.append(Problem("no actor has a stance on this issue", f"issues[{issue_id}]"))

    for text, where in ((s.date, "date"), *((src.date, f"sources[{src.id}].date") for src in s.sources)):
        found = date_problem(text, where) if text else None
        if found:
            out.append(found)
    meta = s.meta or {}
    if isinstance(meta, Mapping) and meta.get("uncertainty") is not None:
        out += uncertainty_problems(meta["uncertainty"])

    for k, p in enumerate(s.preconditions):
        where = f"preconditions[{k}]"
        for i in (p.issue, *p.requires):
            if i not in issues:
                out.append(Problem(f"unknown issue {i!r}", where))
        if p.issue in p.requires:
            out.append(Problem(f"issue {p.issue!r} cannot require itself", where))
        if p.owner is not None and p.owner not in actor_ids:
            out.append(Problem(f"unknown actor {p.owner!r}", where + ".owner"))
    cycle = _precondition_cycle(s.preconditions)
    if cycle:
        out.append(Problem("preconditions form a cycle: " + " -> ".join(cycle), "preconditions"))

    out += _process_problems(s.process)

    for k, link in enumerate(s.linkages):
        where = f"linkages[{k}]"
        a, b = link.issues
        if a not in issues:
            out.append(Problem(f"unknown issue {a!r}", where))
        if b != "*" and b not in issues:
            out.append(Problem(f"unknown issue {b!r}", where))
        if link.actor is not None and link.actor not in actor_ids:
            out.append(Problem(f"unknown actor {link.actor!r}", where + ".actor"))
    return out


def _process_problems(settings: ProcessSettings) -> list[Problem]:
    out = []
    if not (_finite(settings.patience) and 0 < settings.patience <= 1):
        out.append(Problem(f"patience must be in (0, 1], got {settings.patience!r}", "process.patience"))
    if not (_finite(settings.ally_pressure) and 0 <= settings.ally_pressure <= 1):
        out.append(Problem(f"ally_pressure must be in [0, 1], got {settings.ally_pressure!r}", "process.ally_pressure"))
    dates = []
    for k, stage in enumerate(settings.stages):
        if stage.date:
            try:
                dates.append((k, _date.fromisoformat(stage.date)))
            except ValueError:
                out.append(Problem(f"date must be YYYY-MM-DD, got {stage.date!r}", f"process.stages[{k}].date"))
        if stage.deadline and k != len(settings.stages) - 1:
            out.append(Problem("only the last stage can be a deadline (no stage follows a deadline)",
                               f"process.stages[{k}].deadline"))
    if dates and len(dates) != len(settings.stages):
        out.append(Problem("date every stage or none", "process.stages"))
    for (_, d0), (k1, d1) in zip(dates, dates[1:], strict=False):
        if d1 <= d0:
            out.append(Problem(f"stage dates must increase: {d0} then {d1}", f"process.stages[{k1}].date"))
    return out


def _precondition_cycle(preconditions: Iterable[Precondition]) -> list[str] | None:
    graph: dict[str, set[str]] = {}
    for p in preconditions:
        graph.setdefault(p.issue, set()).update(p.requires)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def from_arrays(
    capability,
    position,
    salience,
    *,
    actor_ids: Sequence[str] | None = None,
    issue_ids: Sequence[str] | None = None,
    status_quo=None,
    lower: float = 0.0,
    upper: float = 100.0,
    title: str = "scenario",
) -> Scenario:
    """A scenario from plain arrays (NaN position = not involved); handy in tests and notebooks.

    >>> s = from_arrays([1, 1], [[0], [100]], [[1], [1]])
    >>> s.arrays().position.tolist()
    [[0.0], [100.0]]
    """
    cap = np.asarray(capability, dtype=float)
    pos = np.asarray(position, dtype=float)
    sal = np.asarray(salience, dtype=float)
    if pos.ndim == 1:
        pos, sal = pos[:, None], sal.reshape(-1, 1)
    n, m = pos.shape
    actor_ids = list(actor_ids or [f"a{k}" for k in range(n)])
    issue_ids = list(issue_ids or [f"i{k}" for k in range(m)])
    sq = np.full(m, np.nan) if status_quo is None else np.broadcast_to(np.asarray(status_quo, float), (m,))
    actors = tuple(Actor(a, a, float(c)) for a, c in zip(actor_ids, cap, strict=True))
    issues = tuple(
        Issue(i, i, lower, upper, status_quo=None if np.isnan(q) else float(q))
        for i, q in zip(issue_ids, sq, strict=True)
    )
    stances = tuple(
        Stance(actor_ids[a], issue_ids[i], float(pos[a, i]), float(sal[a, i]))
        for a in range(n)
        for i in range(m)
        if not np.isnan(pos[a, i])
    )
    return Scenario(title, actors, issues, stances)
