"""accord YAML: the canonical, hand-edited scenario format (see docs/scenario-format.md).

Problems are reported with the line they are on. YAML aliases are refused outright: scenarios
never need them, and they are how "billion laughs" files blow up a parser.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from accord.errors import InputFileError, Problem, ScenarioError
from accord.limits import limit
from accord.scenario import (
    Actor,
    DecisionRule,
    Evidence,
    Issue,
    Linkage,
    Precondition,
    ProcessSettings,
    Scenario,
    Source,
    Stage,
    Stance,
    validate,
)

FORMAT_VERSION = 1
#: How a file says "no estimate yet" for a capability, position or salience (a draft).
UNKNOWN = "unknown"


class _Map(dict):
    line: int = 0
    key_lines: dict
    raw: dict  # key -> the text of a plain scalar value read as a number or boolean

    def line_of(self, key) -> int:
        return self.key_lines.get(key, self.line)


class _List(list):
    line: int = 0
    item_lines: list
    raw: dict  # index -> the text of a plain scalar item read as a number or boolean


#: libyaml's parser when PyYAML was built with it (the pure-Python one took ~0.1 s of a forecast's
#: ~0.5 s on the Syria example); the same documents, nodes and line numbers.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_LOADER):
    """Scalars resolved as YAML 1.2's core schema, the way people mean them.

    PyYAML follows YAML 1.1, where ``no``, ``yes``, ``on`` and ``off`` are booleans (Norway's id
    ``no`` becomes False), ``010`` is octal 8, ``1:10`` is sexagesimal 70, ``1e3`` is text and
    ``2015-02-30`` is a date that fails to construct. Here only ``true``/``false`` are booleans,
    integers are decimal (``0o``/``0x`` prefixes for the others), ``1e3`` is a number, and
    everything else, dates included, is text; the text of a plain scalar is kept besides, so an id
    typed as ``010`` stays ``"010"``.
    """


_Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     "-+0123456789."),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    _Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))

_SCALAR_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null")}
_COLLECTION_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}


def _scalar(node: yaml.ScalarNode):
    """The value of a scalar node (see :class:`_Loader`), or a ConstructorError naming its line."""
    tag, text = node.tag, node.value
    if tag not in _SCALAR_TAGS:
        raise ConstructorError(None, None, f"the tag {tag!r} is not allowed in scenario files", node.start_mark)
    try:
        if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
            digits = sum(c.isdigit() for c in text)
            if digits > limit("digits"):
                raise ConstructorError(None, None, f"a number with {digits} digits; at most {limit('digits')} "
                                       "are allowed", node.start_mark)
            if tag.endswith(":int"):
                t = text.strip()
                base = 8 if t[:2] == "0o" else 16 if t[:2] == "0x" else 10
                return int(t[2:] if base != 10 else t, base)
            t = text.strip().lower()
            if t.lstrip("+-") == ".inf":
                return -math.inf if t.startswith("-") else math.inf
            return math.nan if t == ".nan" else float(t)
        if tag.endswith(":bool"):
            return text.strip().lower() == "true"
        if tag.endswith(":null"):
            if text.strip() not in ("", "~", "null", "Null", "NULL"):
                raise ValueError(f"{text!r} is not null")
            return None
        return text
    except ValueError as exc:
        raise ConstructorError(None, None, f"{text!r} is not a valid {tag.rsplit(':', 1)[-1]} ({exc})",
                               node.start_mark) from None


def _unquoted(node: yaml.Node) -> bool:
    """A scalar typed without quotes (PyYAML marks its style None, libyaml an empty string)."""
    return isinstance(node, yaml.ScalarNode) and not node.style


def _raw(node: yaml.Node, value) -> str | None:
    """The typed text of a plain scalar read as something other than text."""
    if _unquoted(node) and not isinstance(value, str):
        return node.value
    return None




def _parse(text: str, name: str) -> Any:
    """YAML text to plain containers that remember their line numbers."""
    try:
        depth, deepest = 0, limit("depth")
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1
                raise InputFileError(f"{name}:{line}: YAML aliases (*name) are not allowed in scenario files")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > deepest:
                    raise InputFileError(f"{name}:{event.start_mark.line + 1}: nested more than {deepest} levels "
                                         "deep (a scenario file needs about five; raise the limit with ACCORD_MAX_DEPTH)")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            return None if node is None else _build(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        problem = exc.problem or exc.context
        if "maximum nesting depth" in str(problem):  # libyaml's own cap, met while it scans ahead of ours
            problem = f"nested more than {limit('depth')} levels deep (raise the limit with ACCORD_MAX_DEPTH)"
            raise InputFileError(f"{name}{line}: {problem}") from None
        raise InputFileError(f"{name}{line}: not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputFileError(f"{name}: not valid YAML: {exc}") from None


def value(text: str, name: str = "value"):
    """One value typed on a command line, read as scenario files are (YAML 1.2 core: ``010`` is
    ten, ``1e3`` a number, ``no`` text); an :class:`InputFileError` naming ``name`` if it is not
    valid YAML."""
    return _parse(text, name)


def _build(node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        if node.tag not in _COLLECTION_TAGS:
            raise ConstructorError(None, None, f"the tag {node.tag!r} is not allowed in scenario files", node.start_mark)
        out = _Map()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        out.raw = {}
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                # A key is the text typed: `010:` and `no:` name the actors "010" and "no".
                key = k.value if _unquoted(k) and k.tag in _SCALAR_TAGS else _scalar(k)
                key = key if isinstance(key, str) else str(key)
            else:
                raise ConstructorError(None, None, "a key must be a plain value, not a list or mapping", k.start_mark)
            if key in out:
                raise ConstructorError(None, None, f"duplicate key {key!r} (first on line {out.key_lines[key]}); "
                                       "each key may appear once", k.start_mark)
            value = _build(v)
            out[key] = value
            out.key_lines[key] = k.start_mark.line + 1
            raw = _raw(v, value)
            if raw is not None:
                out.raw[key] = raw
        return out
    if isinstance(node, yaml.SequenceNode):
        if node.tag not in _COLLECTION_TAGS:
            raise ConstructorError(None, None, f"the tag {node.tag!r} is not allowed in scenario files", node.start_mark)
        out = _List(_build(v) for v in node.value)
        out.line = node.start_mark.line + 1
        out.item_lines = [v.start_mark.line + 1 for v in node.value]
        out.raw = {k: r for k, (v, x) in enumerate(zip(node.value, out, strict=True)) if (r := _raw(v, x)) is not None}
        return out
    return _scalar(node)


def _key_number(text: str) -> float | None:
    """A mapping key (kept as typed) read as a finite number, as a plain value would be."""
    if not re.fullmatch(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?", text.strip()):
        return None
    if sum(c.isdigit() for c in text) > limit("digits"):
        return None
    x = float(text)
    return x if math.isfinite(x) else None


class _Reader:
    def __init__(self, name: str):
        self.name = name
        self.problems: list[Problem] = []
        self.lines: dict[str, int] = {}

    def fail(self, message: str, where: str, line: int | None) -> None:
        self.problems.append(Problem(message, where, self.name, line))

    def number(self, m: _Map, key: str, where: str, *, required: bool = True, default=None):
        if key not in m:
            if required:
                self.fail(f"missing field {key!r}", where, m.line)
            return default
        v = m[key]
        if v is None and not required:
            return default
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.fail(f"{key} must be a number, got {v!r}", f"{where}.{key}", m.line_of(key))
            return default if not required else math.nan
        try:
            v = float(v)
        except OverflowError:
            v = math.inf
        if not math.isfinite(v):
            self.fail(f"{key} must be a finite number, got {m.raw.get(key, v)!s}", f"{where}.{key}", m.line_of(key))
        return v

    def estimate(self, m: _Map, key: str, where: str) -> float | None:
        """A required number that a draft may leave as ``unknown`` (then None)."""
        v = m.get(key)
        if isinstance(v, str) and v.strip().lower() == UNKNOWN:
            return None
        if isinstance(v, str):
            self.fail(f"{key} must be a number or {UNKNOWN!r} (no estimate yet), got {v!r}", f"{where}.{key}",
                      m.line_of(key))
            return math.nan
        return self.number(m, key, where)

    def evidence(self, sm: _Map, where: str) -> tuple[Evidence, ...]:
        raw = sm.get("evidence")
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.fail("evidence must be a list of entries with quote, source and sentence", f"{where}.evidence",
                      sm.line_of("evidence"))
            return ()
        out = []
        for k, item in enumerate(raw):
            here = f"{where}.evidence[{k}]"
            self.lines[here] = raw.item_lines[k]
            if isinstance(item, str):  # a bare quote
                out.append(Evidence(quote=item))
                continue
            em = self.mapping(item, here, raw.item_lines[k])
            if em is None:
                continue
            for key in em:
                if key not in ("quote", "source", "sentence"):
                    self.fail(f"unknown field {key!r} (expected quote, source, sentence)", f"{here}.{key}", em.line_of(key))
            out.append(Evidence(quote=self.text(em, "quote", here, required=True), source=self.text(em, "source", here),
                                sentence=self.text(em, "sentence", here)))
        return tuple(out)

    def text(self, m: _Map, key: str, where: str, *, required: bool = False, default: str = "") -> str:
        if key not in m or m[key] is None:
            if required:
                self.fail(f"missing field {key!r}", where, m.line)
            return default
        v = m[key]
        if isinstance(v, (dict, list)):
            self.fail(f"{key} must be text, got a {'mapping' if isinstance(v, dict) else 'list'}", f"{where}.{key}", m.line_of(key))
            return default
        return m.raw.get(key, v if isinstance(v, str) else str(v))

    def ids(self, m: _Map, key: str, where: str) -> tuple[str, ...]:
        v = m.get(key)
        if v is None:
            return ()
        if isinstance(v, str):
            return (v,)
        if not isinstance(v, list) or not all(isinstance(x, str) or k in v.raw for k, x in enumerate(v)):
            self.fail(f"{key} must be a list of ids", f"{where}.{key}", m.line_of(key))
            return ()
        return tuple(v.raw.get(k, x) for k, x in enumerate(v))

    def mapping(self, v, where: str, line: int | None) -> _Map | None:
        if not isinstance(v, dict):
            self.fail(f"expected a mapping (key: value lines), got {type(v).__name__}", where, line)
            return None
        return v

    def items(self, doc: _Map, key: str) -> list[tuple[_Map, int]]:
        v = doc.get(key)
        if v is None:
            return []
        if not isinstance(v, list):
            self.fail(f"{key} must be a list (lines starting with '-')", key, doc.line_of(key))
            return []
        out = []
        for k, item in enumerate(v):
            line = v.item_lines[k]
            m = self.mapping(item, f"{key}[{k}]", line)
            if m is not None:
                out.append((m, line))
        return out

    # -- sections --------------------------------------------------------------------------
    def actor(self, m: _Map, k: int) -> Actor:
        aid = self.text(m, "id", f"actors[{k}]", required=True)
        where = f"actors[{aid or k}]"
        self.lines.setdefault(where, m.line)
        for key in m:
            self.lines.setdefault(f"{where}.{key}", m.line_of(key))
        return Actor(
            id=aid,
            name=self.text(m, "name", where, default=aid),
            capability=self.estimate(m, "capability", where),
            group=self.text(m, "group", where) or None,
            colour=self.text(m, "colour", where) or self.text(m, "color", where) or None,
            description=self.text(m, "description", where),
            rationale=self.text(m, "rationale", where),
            patience=self.number(m, "patience", where, required=False),
        )

    def process(self, doc: _Map) -> ProcessSettings:
        raw = doc.get("process")
        if raw is None:
            return ProcessSettings()
        m = self.mapping(raw, "process", doc.line_of("process"))
        if m is None:
            return ProcessSettings()
        self.lines["process"] = m.line
        for key in m:
            self.lines[f"process.{key}"] = m.line_of(key)
            if key not in ("patience", "ally_pressure", "stages"):
                self.fail(f"unknown field {key!r} (expected patience, ally_pressure, stages)", f"process.{key}", m.line_of(key))
        stages = []
        for k, (sm, line) in enumerate(self.items(m, "stages")):
            where = f"process.stages[{k}]"
            self.lines[where] = line
            deadline = sm.get("deadline", False)
            if not isinstance(deadline, bool):
                self.fail(f"deadline must be true or false, got {deadline!r}", where + ".deadline", sm.line_of("deadline"))
                deadline = False
            stages.append(Stage(label=self.text(sm, "label", where), date=self.text(sm, "date", where),
                                deadline=deadline))
        default = ProcessSettings()
        return ProcessSettings(
            patience=self.number(m, "patience", "process", required=False, default=default.patience),
            ally_pressure=self.number(m, "ally_pressure", "process", required=False, default=default.ally_pressure),
            stages=tuple(stages),
        )

    def issue(self, m: _Map, k: int) -> Issue:
        iid = self.text(m, "id", f"issues[{k}]", required=True)
        where = f"issues[{iid or k}]"
        self.lines[where] = m.line
        for key in m:
            self.lines[f"{where}.{key}"] = m.line_of(key)
        lower, upper, anchors = 0.0, 100.0, []
        scale = m.get("scale")
        if scale is not None:
            sm = self.mapping(scale, where + ".scale", m.line_of("scale"))
            if sm is not None:
                lower = self.number(sm, "lower", where + ".scale", required=False, default=0.0)
                upper = self.number(sm, "upper", where + ".scale", required=False, default=100.0)
                raw = sm.get("anchors") or {}
                if not isinstance(raw, dict):
                    self.fail("anchors must map scale points to labels, e.g. 0: \"Assad leaves\"", where + ".scale.anchors", sm.line_of("anchors"))
                    raw = {}
                for value, label in raw.items():
                    x = _key_number(value)
                    if x is None:
                        self.fail(f"anchor {value!r} must be a number on the scale", where + ".scale.anchors", raw.line_of(value))
                        continue
                    if isinstance(label, (dict, list)):
                        self.fail(f"the label of anchor {value} must be text", where + ".scale.anchors", raw.line_of(value))
                        continue
                    anchors.append((x, raw.raw.get(value, "" if label is None else str(label))))
        rule = DecisionRule()
        raw_rule = m.get("rule")
        if isinstance(raw_rule, str):
            rule = DecisionRule(kind=raw_rule)
        elif isinstance(raw_rule, dict):
            rule = DecisionRule(
                kind=self.text(raw_rule, "kind", where + ".rule", default="none"),
                parties=self.ids(raw_rule, "parties", where + ".rule"),
                threshold=self.number(raw_rule, "threshold", where + ".rule", required=False, default=0.5),
            )
        elif raw_rule is not None:
            self.fail("rule must be a rule name or a mapping with kind, parties, threshold", where + ".rule", m.line_of("rule"))
        return Issue(
            id=iid,
            name=self.text(m, "name", where, default=iid),
            lower=lower,
            upper=upper,
            anchors=tuple(sorted(anchors)),
            status_quo=self.number(m, "status_quo", where, required=False),
            rule=rule,
            veto=self.ids(m, "veto", where),
            description=self.text(m, "description", where),
            rationale=self.text(m, "rationale", where),
            group=self.text(m, "group", where) or None,
        )

    def stances(self, doc: _Map) -> list[Stance]:
        raw = doc.get("stances")
        if raw is None:
            return []
        by_actor = self.mapping(raw, "stances", doc.line_of("stances"))
        if by_actor is None:
            return []
        out = []
        for actor, issues in by_actor.items():
            m = self.mapping(issues, f"stances[{actor}]", by_actor.line_of(actor))
            if m is None:
                continue
            for issue, st in m.items():
                where = f"stances[{actor}][{issue}]"
                line = m.line_of(issue)
                self.lines[where] = line
                if isinstance(st, list):
                    if len(st) != 2:
                        self.fail("a short stance is [position, salience]", where, line)
                        continue
                    st_map = _Map(position=st[0], salience=st[1])
                    st_map.line, st_map.key_lines = line, {}
                    st = st_map
                sm = self.mapping(st, where, line)
                if sm is None:
                    continue
                for key in sm:
                    self.lines[f"{where}.{key}"] = sm.line_of(key)
                out.append(Stance(
                    actor=str(actor),
                    issue=str(issue),
                    position=self.estimate(sm, "position", where),
                    salience=self.estimate(sm, "salience", where),
                    low=self.number(sm, "low", where, required=False),
                    high=self.number(sm, "high", where, required=False),
                    rationale=self.text(sm, "rationale", where),
                    source=self.text(sm, "source", where),
                    evidence=self.evidence(sm, where),
                ))
        return out

    def line_for(self, where: str) -> int | None:
        probe = where
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            cut = max(probe.rfind("."), probe.rfind("["))
            if cut <= 0:
                break
            probe = probe[:cut]
        return None


KNOWN_KEYS = {
    "accord", "title", "date", "description", "sources", "actors", "issues", "stances",
    "preconditions", "linkages", "process", "meta",
}


def loads(text: str, name: str = "<string>") -> Scenario:
    """Parse accord YAML text into a validated :class:`Scenario`."""
    doc = _parse(text, name)
    if doc is None:
        raise InputFileError(f"{name}: the file is empty; expected a scenario with actors, issues and stances")
    if not isinstance(doc, dict):
        raise InputFileError(f"{name}:1: expected a YAML mapping with title, actors, issues and stances")
    r = _Reader(name)
    for key in doc:
        if key not in KNOWN_KEYS:
            r.fail(f"unknown field {key!r} (expected one of {', '.join(sorted(KNOWN_KEYS))})", str(key), doc.line_of(key))
    actors = tuple(r.actor(m, k) for k, (m, _) in enumerate(r.items(doc, "actors")))
    issues = tuple(r.issue(m, k) for k, (m, _) in enumerate(r.items(doc, "issues")))
    stances = tuple(r.stances(doc))
    preconditions = []
    for k, (m, line) in enumerate(r.items(doc, "preconditions")):
        r.lines[f"preconditions[{k}]"] = line
        preconditions.append(Precondition(
            issue=r.text(m, "issue", f"preconditions[{k}]", required=True),
            requires=r.ids(m, "requires", f"preconditions[{k}]"),
            owner=r.text(m, "owner", f"preconditions[{k}]") or None,
            rationale=r.text(m, "rationale", f"preconditions[{k}]"),
        ))
    linkages = []
    for k, (m, line) in enumerate(r.items(doc, "linkages")):
        r.lines[f"linkages[{k}]"] = line
        pair = r.ids(m, "issues", f"linkages[{k}]")
        if len(pair) != 2:
            r.fail("issues must name two issues (or an issue and \"*\")", f"linkages[{k}].issues", line)
            continue
        linkages.append(Linkage(
            issues=(pair[0], pair[1]),
            actor=r.text(m, "actor", f"linkages[{k}]") or None,
            rationale=r.text(m, "rationale", f"linkages[{k}]"),
        ))
    sources = tuple(
        Source(
            id=r.text(m, "id", f"sources[{k}]", required=True),
            title=r.text(m, "title", f"sources[{k}]"),
            url=r.text(m, "url", f"sources[{k}]"),
            date=r.text(m, "date", f"sources[{k}]"),
        )
        for k, (m, _) in enumerate(r.items(doc, "sources"))
    )
    meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
    scenario = Scenario(
        title=r.text(doc, "title", "title", default=name),
        actors=actors,
        issues=issues,
        stances=stances,
        date=r.text(doc, "date", "date"),
        description=r.text(doc, "description", "description"),
        sources=sources,
        preconditions=tuple(preconditions),
        linkages=tuple(linkages),
        meta=dict(meta),
        process=r.process(doc),
    )
    for key in doc:
        r.lines.setdefault(str(key), doc.line_of(key))
    if isinstance(doc.get("meta"), dict):
        for key, value in doc["meta"].items():
            r.lines[f"meta.{key}"] = doc["meta"].line_of(key)
            for sub in value if isinstance(value, dict) else ():
                r.lines[f"meta.{key}.{sub}"] = value.line_of(sub)
    if not r.problems:
        r.problems += [
            Problem(p.message, p.where, name, r.line_for(p.where)) for p in validate(scenario)
        ]
    if r.problems:
        raise ScenarioError(r.problems)
    return scenario


def to_document(s: Scenario) -> dict:
    """A scenario as plain data in the canonical layout (what :func:`dumps` writes)."""

    def clean(d: dict) -> dict:
        return {k: v for k, v in d.items() if v not in (None, "", (), [], {})}

    doc: dict[str, Any] = {"accord": FORMAT_VERSION, "title": s.title}
    doc.update(clean({"date": s.date, "description": s.description}))
    if s.sources:
        doc["sources"] = [clean(vars(src)) for src in s.sources]
    doc["actors"] = [
        clean({"id": a.id, "name": a.name, "capability": _estimate(a.capability), "group": a.group,
               "colour": a.colour, "patience": _plain(a.patience), "description": a.description,
               "rationale": a.rationale})
        for a in s.actors
    ]
    issues = []
    for i in s.issues:
        scale: dict[str, Any] = {}
        if (i.lower, i.upper) != (0.0, 100.0):
            scale.update(lower=_plain(i.lower), upper=_plain(i.upper))
        if i.anchors:
            scale["anchors"] = {_plain(v): label for v, label in i.anchors}
        rule: Any = None
        if i.rule.kind != "none" or i.rule.parties:
            rule = clean({"kind": i.rule.kind, "parties": list(i.rule.parties),
                          "threshold": _plain(i.rule.threshold) if i.rule.kind == "majority" else None})
            if list(rule) == ["kind"]:
                rule = rule["kind"]
        issues.append(clean({
            "id": i.id, "name": i.name, "scale": scale, "status_quo": _plain(i.status_quo),
            "rule": rule, "veto": list(i.veto), "group": i.group, "description": i.description,
            "rationale": i.rationale,
        }))
    doc["issues"] = issues
    stances: dict[str, dict[str, Any]] = {}
    for st in s.stances:
        stances.setdefault(st.actor, {})[st.issue] = {
            "position": _estimate(st.position), "salience": _estimate(st.salience)
        } | clean({
            "low": _plain(st.low), "high": _plain(st.high), "rationale": st.rationale, "source": st.source,
            "evidence": [clean(vars(ev)) for ev in st.evidence],
        })
    doc["stances"] = stances
    if s.preconditions:
        doc["preconditions"] = [
            clean({"issue": p.issue, "requires": list(p.requires), "owner": p.owner, "rationale": p.rationale})
            for p in s.preconditions
        ]
    if s.linkages:
        doc["linkages"] = [
            clean({"issues": list(link.issues), "actor": link.actor, "rationale": link.rationale})
            for link in s.linkages
        ]
    if s.process != ProcessSettings():
        doc["process"] = clean({
            "patience": _plain(s.process.patience), "ally_pressure": _plain(s.process.ally_pressure),
            "stages": [clean({"label": st.label, "date": st.date, "deadline": st.deadline or None})
                       for st in s.process.stages],
        })
    if s.meta:
        doc["meta"] = _plain_tree(s.meta)
    return doc


def _estimate(v):
    """A number, or :data:`UNKNOWN` where a draft has no estimate yet."""
    return UNKNOWN if v is None else _plain(v)


def _plain(v):
    if v is None:
        return None
    v = float(v)
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def _plain_tree(v):
    if isinstance(v, dict):
        return {str(k): _plain_tree(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain_tree(x) for x in v]
    if hasattr(v, "to_dict"):
        return _plain_tree(v.to_dict(orient="list") if hasattr(v, "columns") else v.to_dict())
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def _str_presenter(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def dumps(s: Scenario) -> str:
    """The scenario as accord YAML text."""
    text = yaml.dump(to_document(s), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    # Keep stance lines compact: `assad-fate: {position: 20, salience: 0.9}` reads better in a
    # hand-edited file, but flow style breaks long rationales; the block layout is kept.
    return re.sub(r"\n(?=[a-z]+:)", "\n\n", text)
