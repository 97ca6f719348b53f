"""KTAB's SMP scenario files: CSV and XML readers, CSV and XML writers, format sniffing.

KTAB (KAPSARC Toolkit for Behavioral Analysis, MIT licence) reads two formats in
``examples/smp/libsrc/smpread.cpp``:

CSV
    line 1 ``name,description,numActors,numDims`` (extra trailing fields ignored); line 2 a
    header ``Actor,Description,Power,<dim> Position,<dim> Salience,...``; then one row per
    actor: name, description, capability, then position (0–100) and salience (0–100) per
    dimension, each actor's saliences summing to at most 100.
XML
    ``<Scenario>`` with ``name``, ``desc``, ``prngSeed``, optional ``ModelParameters`` (KTAB's
    nine switches), ``Dimensions/dName``, ``Actors/Actor`` (``name``, ``description``,
    ``capability``, ``Position/dCoord``, ``Salience/dSal``) and optional
    ``IdealAdjustment/iaPair`` (``adjustingIdeal``, ``referencePos``, ``adjust``).

Mapping onto accord: each dimension is an :class:`~accord.scenario.Issue` on the scale 0–100
(no status quo: SMP has none); each actor's capability is its Power/Influence column; salience
per issue is Sal/100. Model parameters, the PRNG seed, ideal adjustments and the file's names go
to ``Scenario.meta["ktab"]``, where :mod:`accord.models.smp` picks them up.

An empty ``<dCoord></dCoord>`` (as in KTAB's own ``smpExample.xml``, which KTAB itself refuses
with "no text for the following xml element: dCoord") is read as "no position": the actor has no
stance on that issue, and the salience given there is kept in
``meta["ktab"]["missing_positions"]``. The SMP model then places such an actor at the others'
weighted mean on that issue with salience 0 (see :mod:`accord.models.smp`).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import xml.parsers.expat
from dataclasses import dataclass, field
from pathlib import Path

from accord.errors import InputFileError, Problem, ScenarioError
from accord.io._files import read_text, write_atomic
from accord.limits import limit
from accord.scenario import Actor, Issue, Scenario, Stance

_HEADER_CAPABILITY = ("power", "influence", "capability", "cap", "weight")


def _number(text: str) -> float | None:
    try:
        x = float(text)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


# -- sniffing --------------------------------------------------------------------------------

def sniff_ktab(text: str) -> str | None:
    """``"ktab-csv"`` or ``"ktab-xml"`` when ``text`` looks like a KTAB SMP file, else None."""
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    if head.startswith("<"):
        return "ktab-xml" if "<Scenario" in head and ("<Actors" in head or "<Dimensions" in head) else None
    lines = [ln for ln in head.splitlines() if ln.strip()][:2]
    if len(lines) < 2:
        return None
    try:
        first = [f.strip() for f in next(csv.reader([lines[0]], skipinitialspace=True))]
        header = [f.strip().lower() for f in next(csv.reader([lines[1]], skipinitialspace=True))]
    except (csv.Error, StopIteration):
        return None
    if len(first) < 4 or not (first[2].isdigit() and first[3].isdigit()):
        return None
    if len(header) < 5 or header[0] != "actor" or not header[1].startswith("desc"):
        return None
    return "ktab-csv" if header[2] in _HEADER_CAPABILITY else None


# -- CSV -------------------------------------------------------------------------------------

def read_ktab_csv(path: str | os.PathLike) -> Scenario:
    """A scenario from KTAB's SMP CSV (see the module docstring); errors name file and line."""
    name = str(path)
    return loads_ktab_csv(read_text(path), name)


def loads_ktab_csv(text: str, name: str = "<ktab csv>") -> Scenario:
    """:func:`read_ktab_csv` on text already read."""
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    try:
        rows = [(reader.line_num, [f.strip() for f in row]) for row in reader if any(f.strip() for f in row)]
    except csv.Error as exc:
        raise InputFileError(f"{name}:{reader.line_num}: cannot parse CSV: {exc}") from None
    if len(rows) < 2:
        raise InputFileError(f"{name}: a KTAB CSV needs a scenario line, a header line and actor rows")
    line1, first = rows[0]
    if len(first) < 4:
        raise ScenarioError([Problem("first line must be name,description,numActors,numDims", "", name, line1)])
    n_act, n_dim = _count(first[2], "numActors", name, line1), _count(first[3], "numDims", name, line1)
    line2, header = rows[1]
    need = 3 + 2 * n_dim
    header = [h for h in header]
    if len([h for h in header if h]) < need:
        raise ScenarioError([Problem(
            f"header has {len([h for h in header if h])} columns; {n_dim} dimension(s) need {need} "
            "(Actor, Description, Power, then Position and Salience per dimension)", "", name, line2)])
    dims: list[str] = []
    seen: set[str] = set()
    for k in range(n_dim):
        label = header[3 + 2 * k] or f"Dim{k + 1}"
        dims.append(label if label not in seen else f"{label} ({k + 1})")
        seen.add(dims[-1])
    body = rows[2:]
    if len(body) != n_act:
        line = body[-1][0] if body else line2
        raise ScenarioError([Problem(
            f"the first line declares {n_act} actors but {len(body)} actor rows follow", "", name, line)])

    problems: list[Problem] = []
    actors, stances = [], []
    for line, row in body:
        row = row + [""] * (need - len(row))
        actor_id = row[0]
        if not actor_id:
            problems.append(Problem("actor name is empty", "Actor", name, line))
            continue
        cap = _number(row[2])
        if cap is None or cap < 0:
            problems.append(Problem(f"capability must be a number >= 0, got {row[2]!r}", f"{actor_id}.Power", name, line))
            cap = 0.0
        actors.append(Actor(actor_id, row[1] or actor_id, cap, description=row[1]))
        total = 0.0
        for k, dim in enumerate(dims):
            pos, sal = _number(row[3 + 2 * k]), _number(row[4 + 2 * k])
            where = f"{actor_id}.{dim}"
            if pos is None or not 0 <= pos <= 100:
                problems.append(Problem(f"position must be a number in [0, 100], got {row[3 + 2 * k]!r}", where, name, line))
                continue
            if sal is None or not 0 <= sal <= 100:
                problems.append(Problem(f"salience must be a number in [0, 100], got {row[4 + 2 * k]!r}", where, name, line))
                continue
            total += sal
            stances.append(Stance(actor_id, dim, pos, sal / 100.0))
        if total > 100 + 1e-9:
            problems.append(Problem(f"saliences add up to {total:g}; KTAB allows at most 100 per actor", actor_id, name, line))
    if problems:
        raise ScenarioError(problems)
    meta = {"ktab": {
        "format": "csv", "name": first[0], "description": first[1],
        "capability_column": header[2], "dimension_names": dims,
    }}
    return _scenario(first[0], first[1], actors, dims, stances, meta, name)


def _count(text: str, what: str, name: str, line: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 1:
        raise ScenarioError([Problem(f"{what} must be a whole number >= 1, got {text!r}", what, name, line)])
    return value


def _scenario(title, description, actors, dims, stances, meta, name) -> Scenario:
    issues = tuple(Issue(d, d, 0.0, 100.0) for d in dims)
    s = Scenario(title or Path(name).stem, tuple(actors), issues, tuple(stances), description=description, meta=meta)
    problems = s.problems()
    if problems:
        raise ScenarioError(problems, file=name)
    return s


def write_ktab_csv(scenario: Scenario, path: str | os.PathLike) -> None:
    """Write ``scenario`` as KTAB's SMP CSV (positions rescaled to 0–100, saliences × 100).

    KTAB needs every actor's position on every issue and saliences summing to at most 100 per
    actor; a scenario that breaks either raises :class:`ScenarioError` naming the actors.
    """
    write_atomic(path, dumps_ktab_csv(scenario))


def dumps_ktab_csv(scenario: Scenario) -> str:
    """The KTAB CSV text of ``scenario`` (see :func:`write_ktab_csv`)."""
    a = scenario.arrays()
    problems = []
    for i, actor in enumerate(scenario.actors):
        missing = [scenario.issues[k].id for k in range(a.n_issues) if not a.involved[i, k]]
        if missing:
            problems.append(Problem(f"no position on {', '.join(missing)}; KTAB needs one on every issue", f"actors[{actor.id}]"))
    problems += _salience_problems(scenario, a)
    if problems:
        raise ScenarioError(problems)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    meta = (scenario.meta or {}).get("ktab") or {}
    w.writerow([scenario.title, scenario.description or meta.get("description", ""), a.n_actors, a.n_issues])
    head = ["Actor", "Description", meta.get("capability_column") or "Power"]
    for issue in scenario.issues:
        head += [issue.id, f"{issue.id} Salience"]
    w.writerow(head)
    for i, actor in enumerate(scenario.actors):
        row = [actor.id, actor.description or (actor.name if actor.name != actor.id else ""), f"{actor.capability:g}"]
        for k, issue in enumerate(scenario.issues):
            x = 100.0 * (a.position[i, k] - issue.lower) / (issue.upper - issue.lower)
            row += [f"{x:.10g}", f"{100.0 * a.salience[i, k]:.10g}"]
        w.writerow(row)
    return buf.getvalue()


# -- XML -------------------------------------------------------------------------------------

@dataclass
class _Node:
    tag: str
    line: int
    parts: list[str] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def all(self, tag: str) -> list[_Node]:
        return [c for c in self.children if c.tag == tag]

    def first(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)


class _Refused(Exception):
    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.line = line


def _parse_xml(text: str, name: str) -> _Node:
    """A light element tree that remembers each element's line (ElementTree does not).

    Linear in the size of the file (text arrives in pieces, joined once). A document type
    declaration is refused before anything in it is read: scenario files never need one, and its
    entities are how "billion laughs" files blow up a parser.
    """
    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    with contextlib.suppress(AttributeError):
        parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_Node] = []
    root: list[_Node] = []
    deepest = limit("depth")

    def start(tag, attrs):
        node = _Node(tag, parser.CurrentLineNumber)
        (stack[-1].children if stack else root).append(node)
        stack.append(node)
        if len(stack) > deepest:
            raise _Refused(f"elements nested more than {deepest} deep (raise the limit with ACCORD_MAX_DEPTH)",
                           parser.CurrentLineNumber)

    def end(tag):
        stack.pop()

    def chars(data):
        if stack:
            stack[-1].parts.append(data)

    def doctype(*_args):
        raise _Refused("a <!DOCTYPE> declaration is not allowed in a KTAB scenario file (entities could "
                       "expand without bound); remove it", parser.CurrentLineNumber)

    def entity(*_args):
        raise _Refused("<!ENTITY> declarations are not allowed in a KTAB scenario file", parser.CurrentLineNumber)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    try:
        parser.Parse(text.lstrip("\ufeff"), True)
    except _Refused as exc:
        raise InputFileError(f"{name}:{exc.line}: {exc}") from None
    except xml.parsers.expat.ExpatError as exc:
        raise InputFileError(f"{name}:{exc.lineno}: not well-formed XML: {xml.parsers.expat.ErrorString(exc.code)}") from None
    if not root:
        raise InputFileError(f"{name}: no XML element found")
    return root[0]


def read_ktab_xml(path: str | os.PathLike) -> Scenario:
    """A scenario from KTAB's SMP XML, with model parameters and seed in ``meta["ktab"]``."""
    name = str(path)
    return loads_ktab_xml(read_text(path), name)


def loads_ktab_xml(text: str, name: str = "<ktab xml>") -> Scenario:
    """:func:`read_ktab_xml` on text already read."""
    from accord.models.smp import SWITCHES  # the switch names are the model's

    root = _parse_xml(text, name)
    if root.tag != "Scenario":
        raise ScenarioError([Problem(f"root element must be <Scenario>, got <{root.tag}>", "", name, root.line)])
    problems: list[Problem] = []

    def need(parent: _Node, tag: str) -> _Node | None:
        node = parent.first(tag)
        if node is None:
            problems.append(Problem(f"<{parent.tag}> has no <{tag}>", tag, name, parent.line))
        return node

    title = (root.first("name").text.strip() if root.first("name") else "")
    desc = (root.first("desc").text.strip() if root.first("desc") else "")
    meta: dict = {"format": "xml", "name": title, "description": desc}
    seed_node = need(root, "prngSeed")
    if seed_node is not None:
        s = seed_node.text.strip()
        if not s.isdigit() or int(s) >= 2 ** 64:
            problems.append(Problem(f"prngSeed must be a whole number below 2^64, got {s!r}", "prngSeed", name, seed_node.line))
        else:
            meta["seed"] = int(s)
    params_node = root.first("ModelParameters")
    if params_node is not None:
        params = {}
        for _key, (element, _, ktab_names) in SWITCHES.items():
            node = need(params_node, element)
            if node is None:
                continue
            value = node.text.strip()
            if value not in ktab_names:
                problems.append(Problem(f"{element} must be one of {', '.join(ktab_names)}, got {value!r}", element, name, node.line))
            params[element] = value
        meta["parameters"] = params

    dims_node = need(root, "Dimensions")
    dims: list[str] = []
    seen: set[str] = set()
    dim_nodes = dims_node.all("dName") if dims_node is not None else []
    if len(dim_nodes) > limit("issues"):
        raise InputFileError(f"{name}:{dims_node.line}: {len(dim_nodes):,} dimensions; at most {limit('issues'):,} "
                             "issues are allowed (raise it with ACCORD_MAX_ISSUES)")
    for node in dim_nodes:
        label = node.text.strip()
        if not label:
            problems.append(Problem("dimension name <dName> is empty", "dName", name, node.line))
        dims.append(label if label not in seen else f"{label} ({len(dims) + 1})")
        seen.add(dims[-1])
    if dims_node is not None and not dims:
        problems.append(Problem("<Dimensions> lists no <dName>", "Dimensions", name, dims_node.line))

    actors, stances, missing = [], [], []
    actors_node = need(root, "Actors")
    actor_nodes = actors_node.all("Actor") if actors_node is not None else []
    if len(actor_nodes) > limit("actors"):
        raise InputFileError(f"{name}:{actors_node.line}: {len(actor_nodes):,} actors; at most {limit('actors'):,} "
                             "are allowed (raise it with ACCORD_MAX_ACTORS)")
    for a_node in actor_nodes:
        n_node, c_node = need(a_node, "name"), need(a_node, "capability")
        actor_id = n_node.text.strip() if n_node is not None else ""
        if n_node is not None and not actor_id:
            problems.append(Problem("actor <name> is empty", "name", name, n_node.line))
        d_node = a_node.first("description")
        description = d_node.text.strip() if d_node is not None else ""
        cap = _number(c_node.text.strip()) if c_node is not None else None
        if c_node is not None and (cap is None or cap <= 0):
            problems.append(Problem(f"capability must be a number > 0, got {c_node.text.strip()!r}", f"{actor_id}.capability", name, c_node.line))
        coords = _values(a_node, "Position", "dCoord", dims, actor_id, name, problems, allow_empty=True)
        sals = _values(a_node, "Salience", "dSal", dims, actor_id, name, problems, allow_empty=False)
        if coords is None or sals is None:
            continue
        total = 0.0
        for dim, (pos, pline), (sal, sline) in zip(dims, coords, sals, strict=True):
            if sal is not None and not 0 <= sal <= 100:
                problems.append(Problem(f"salience must be in [0, 100], got {sal:g}", f"{actor_id}.{dim}", name, sline))
                continue
            total += sal or 0.0
            if pos is None:
                missing.append({"actor": actor_id, "dimension": dim, "salience": (sal or 0.0) / 100.0})
                continue
            if not 0 <= pos <= 100:
                problems.append(Problem(f"position must be in [0, 100], got {pos:g}", f"{actor_id}.{dim}", name, pline))
                continue
            stances.append(Stance(actor_id, dim, pos, (sal or 0.0) / 100.0))
        if total > 100 + 1e-9:
            problems.append(Problem(f"saliences add up to {total:g}; KTAB allows at most 100 per actor", actor_id, name, a_node.line))
        actors.append(Actor(actor_id, description or actor_id, cap or 0.0, description=description))
    if actors_node is not None and not actors_node.all("Actor"):
        problems.append(Problem("<Actors> lists no <Actor>", "Actors", name, actors_node.line))

    ids = {a.id for a in actors}
    pairs = []
    ia_node = root.first("IdealAdjustment")
    for pair in ia_node.all("iaPair") if ia_node is not None else []:
        who, ref, adj = pair.first("adjustingIdeal"), pair.first("referencePos"), pair.first("adjust")
        if who is None or ref is None or adj is None:
            problems.append(Problem("<iaPair> needs adjustingIdeal, referencePos and adjust", "iaPair", name, pair.line))
            continue
        value = _number(adj.text.strip())
        for node in (who, ref):
            if node.text.strip() not in ids:
                problems.append(Problem(f"unknown actor {node.text.strip()!r}", node.tag, name, node.line))
        if value is None or not 0 <= value <= 1:
            problems.append(Problem(f"adjust must be a number in [0, 1], got {adj.text.strip()!r}", "adjust", name, adj.line))
            continue
        pairs.append({"actor": who.text.strip(), "reference": ref.text.strip(), "adjust": value})
    if pairs:
        meta["ideal_adjustment"] = pairs
    if missing:
        meta["missing_positions"] = missing
    if problems:
        raise ScenarioError(problems)
    return _scenario(title, desc, actors, dims, stances, {"ktab": meta}, name)


def _values(a_node, group, tag, dims, actor_id, name, problems, *, allow_empty):
    """[(value or None if empty, line)] for one actor's <Position>/<Salience>, or None on error."""
    g = a_node.first(group)
    if g is None:
        problems.append(Problem(f"<Actor> has no <{group}>", f"{actor_id}.{group}", name, a_node.line))
        return None
    out = []
    for node in g.all(tag):
        text = node.text.strip()
        if not text:
            if allow_empty:
                out.append((None, node.line))
                continue
            problems.append(Problem(f"<{tag}> is empty", f"{actor_id}.{group}", name, node.line))
            return None
        value = _number(text)
        if value is None:
            problems.append(Problem(f"<{tag}> must be a number, got {text!r}", f"{actor_id}.{group}", name, node.line))
            return None
        out.append((value, node.line))
    if len(out) != len(dims):
        problems.append(Problem(f"<{group}> has {len(out)} <{tag}>, expected one per dimension ({len(dims)})", f"{actor_id}.{group}", name, g.line))
        return None
    return out


def write_ktab_xml(scenario: Scenario, path: str | os.PathLike) -> None:
    """Write ``scenario`` as KTAB's SMP XML, with parameters, seed and ideal adjustments from meta."""
    write_atomic(path, dumps_ktab_xml(scenario))


def _salience_problems(scenario: Scenario, a) -> list[Problem]:
    """KTAB reads saliences as shares of an actor's attention: at most 100 % in all."""
    return [Problem(f"saliences add up to {100 * a.salience[i].sum():g} %; KTAB allows at most 100", f"actors[{actor.id}]")
            for i, actor in enumerate(scenario.actors) if a.salience[i].sum() > 1 + 1e-9]


def dumps_ktab_xml(scenario: Scenario) -> str:
    """The KTAB XML text of ``scenario``; a missing position becomes an empty ``<dCoord/>``.
    Saliences adding up to more than 100 % for an actor are refused, as KTAB (and the reader)
    refuse them."""
    from xml.sax.saxutils import escape

    a = scenario.arrays()
    problems = _salience_problems(scenario, a)
    if problems:
        raise ScenarioError(problems)
    meta = (scenario.meta or {}).get("ktab") or {}
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<Scenario xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="smpSchema.xsd">',
           f"  <name>{escape(scenario.title)}</name>",
           f"  <desc>{escape(scenario.description)}</desc>",
           f"  <prngSeed>{int(meta.get('seed', 0)):020d}</prngSeed>"]
    params = meta.get("parameters")
    if params:
        out.append("  <ModelParameters>")
        out += [f"    <{k}>{escape(str(v))}</{k}>" for k, v in params.items()]
        out.append("  </ModelParameters>")
    out.append("  <Dimensions>")
    out += [f"    <dName>{escape(i.id)}</dName>" for i in scenario.issues]
    out += ["  </Dimensions>", "  <Actors>"]
    extra_sal = {(m["actor"], m["dimension"]): m["salience"] for m in meta.get("missing_positions", [])}
    for i, actor in enumerate(scenario.actors):
        out += ["    <Actor>", f"      <name>{escape(actor.id)}</name>",
                f"      <description>{escape(actor.description or actor.name)}</description>",
                f"      <capability>{actor.capability:g}</capability>", "      <Position>"]
        for k, issue in enumerate(scenario.issues):
            if a.involved[i, k]:
                x = 100.0 * (a.position[i, k] - issue.lower) / (issue.upper - issue.lower)
                out.append(f"        <dCoord>{x:.10g}</dCoord>")
            else:
                out.append("        <dCoord></dCoord>")
        out += ["      </Position>", "      <Salience>"]
        for k, issue in enumerate(scenario.issues):
            s = a.salience[i, k] if a.involved[i, k] else extra_sal.get((actor.id, issue.id), 0.0)
            out.append(f"        <dSal>{100.0 * s:.10g}</dSal>")
        out += ["      </Salience>", "    </Actor>"]
    out.append("  </Actors>")
    pairs = meta.get("ideal_adjustment")
    if pairs:
        out.append("  <IdealAdjustment>")
        for p in pairs:
            out += ["    <iaPair>", f"      <adjustingIdeal>{escape(p['actor'])}</adjustingIdeal>",
                    f"      <referencePos>{escape(p['reference'])}</referencePos>",
                    f"      <adjust>{p['adjust']:g}</adjust>", "    </iaPair>"]
        out.append("  </IdealAdjustment>")
    out.append("</Scenario>")
    return "\n".join(out) + "\n"


__all__ = [
    "dumps_ktab_csv", "dumps_ktab_xml", "loads_ktab_csv", "loads_ktab_xml", "read_ktab_csv",
    "read_ktab_xml", "sniff_ktab", "write_ktab_csv", "write_ktab_xml",
]
