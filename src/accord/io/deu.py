"""The DEU datasets (Decision-making in the European Union): real EU legislative decisions.

Thomson, Stokman, Achen & König (eds., 2006) *The European Union Decides*; Thomson et al. (2012)
DEU II, *JEPP* 19(4); Arregui & Perarnaud (2022) DEU III, *JEPP* 29(1), deposit
doi:10.34810/data53. Every controversial issue of a Commission proposal is a 0–100 scale with
each actor's position and salience (0–100), the reference point ``rp`` (status quo) and the
actual outcome ``out``.

Two layouts are read:

folder
    ``issues.csv`` (``isnr, prnr, prname, type, council, proc, counvte, intro, rp, out[, split]``),
    ``positions.csv`` (``isnr, actor, position, salience``) and an optional ``actors.csv``
    (``actor`` and numeric columns, e.g. a GDP capability proxy). A path to one of those files
    reads its folder.
single file (the deposit's layout)
    semicolon-separated, one row per issue with the issue columns above and, per actor code, a
    position column (``com``, ``be``, …; also ``<code>pos``, ``pos_<code>``) and a salience
    column (``s<code>``, ``<code>sal``, ``sal_<code>``); or one row per (issue, actor) with
    ``actor``, ``position``, ``salience`` columns. 999 means missing.

Choices (documented in docs/backtest.md): 999 or a blank is missing in either layout; an actor with
a position but no salience gets salience 0 (it counts in unweighted summaries, carries no weight in
weighted ones; this reproduces the published baselines); ``rp`` becomes the issue's status quo;
``Unan`` issues get :class:`~accord.scenario.DecisionRule` ``consensus`` among the member states
with a position and those states as vetoes, QMV issues ``majority``; under codecision (``COD``)
the Parliament holds a veto too. Every actor's capability is 1 (DEU records no capability; see
:mod:`accord.backtest.capability`) unless ``actors.csv`` has a ``capability`` column. The per-issue columns (outcome, procedure, rule, date, split, …) are
kept as a list of rows in ``Scenario.meta["deu"]``; :func:`deu_table` gives them as a DataFrame.
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

from accord.errors import InputFileError, OutputFileError, Problem, ScenarioError
from accord.io._files import check_output, read_text, write_atomic
from accord.io.csv_formats import duplicate_columns
from accord.scenario import Actor, DecisionRule, Issue, Scenario, Stance, validate

if TYPE_CHECKING:  # pandas is imported where frames are made: sniffing a file needs none
    import pandas as pd

ISSUE_COLUMNS = ("isnr", "prnr", "prname", "type", "council", "proc", "counvte", "intro", "rp", "out", "split")
POSITION_COLUMNS = ("isnr", "actor", "position", "salience")
MISSING = 999.0

#: DEU actor codes and names (the Commission, the Parliament, then member states).
ACTOR_NAMES = {
    "com": "European Commission", "ep": "European Parliament",
    "at": "Austria", "be": "Belgium", "bu": "Bulgaria", "cr": "Croatia", "cy": "Cyprus",
    "cz": "Czech Republic", "dk": "Denmark", "ee": "Estonia", "fi": "Finland", "fr": "France",
    "de": "Germany", "el": "Greece", "hu": "Hungary", "ie": "Ireland", "it": "Italy",
    "lv": "Latvia", "lt": "Lithuania", "lu": "Luxembourg", "mt": "Malta", "nl": "Netherlands",
    "pl": "Poland", "pt": "Portugal", "ro": "Romania", "si": "Slovenia", "sk": "Slovakia",
    "es": "Spain", "se": "Sweden", "uk": "United Kingdom",
}
INSTITUTIONS = ("com", "ep")


# -- detection ----------------------------------------------------------------------------------

def sniff_deu(path_or_text) -> str | None:
    """``"deu"`` if ``path_or_text`` (a folder, a file path or a file's text) is DEU data, else None."""
    if isinstance(path_or_text, os.PathLike) or (
        isinstance(path_or_text, str) and "\n" not in path_or_text and len(path_or_text) < 4096
        and _is_path(path_or_text)
    ):
        p = Path(path_or_text)
        if p.is_dir():
            return "deu" if (p / "issues.csv").exists() and (p / "positions.csv").exists() else None
        try:
            text = read_text(p)
        except InputFileError:
            return None
    else:
        text = str(path_or_text)
    first = text.lstrip("\ufeff").lstrip().splitlines()[0] if text.strip() else ""
    for sep in (";", ",", "\t"):
        header = [h.strip().strip('"').lower() for h in first.split(sep)]
        if "isnr" in header and ({"prnr", "out", "rp"} & set(header) or {"actor", "position"} <= set(header)):
            return "deu"
    return None


def _is_path(text: str) -> bool:
    try:
        return Path(text).exists()
    except (OSError, ValueError):  # a name too long to be a path, a NUL byte: text, then
        return False


# -- reading ------------------------------------------------------------------------------------

def read_deu(path, split: str | tuple[str, ...] | None = None, *, missing_salience: str = "zero") -> Scenario:
    """Read DEU data (a folder, one of its files, or the deposit's single file) as a Scenario.

    Parameters
    ----------
    path
        Folder with ``issues.csv`` and ``positions.csv``; ``issues.csv``/``positions.csv`` itself;
        or a single semicolon-separated file.
    split
        Keep only issues whose ``split`` column is this value (or one of these values).
    missing_salience
        ``"zero"`` (default): a position without salience gets salience 0; ``"mean"``: the mean
        salience of the other actors on that issue.

    Raises
    ------
    ScenarioError
        Naming the file and line of every problem found.
    """
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"no such file or folder: {path}")
    if p.is_file() and p.name.lower() in ("issues.csv", "positions.csv", "actors.csv"):
        p = p.parent
    if p.is_dir():
        issues, positions, actors = _read_folder(p)
        title = f"DEU: {p.name}"
    else:
        issues, positions = _read_single(p)
        actors = None
        title = f"DEU: {p.stem}"
    if split is not None:
        keep = {split} if isinstance(split, str) else set(split)
        if "split" not in issues.columns:
            raise ScenarioError(f"split {split!r} asked for, but the issues have no split column", file=str(p))
        issues = issues[issues["split"].isin(keep)]
        if issues.empty:
            raise ScenarioError(f"no issue has split {split!r}", file=str(p))
        positions = positions[positions["isnr"].isin(set(issues["isnr"]))]
    return _build(issues, positions, actors, title, missing_salience)


def _value(raw: str, col: str, name: str, line: int, problems: list[Problem], lo=0.0, hi=100.0):
    raw = (raw or "").strip()
    if raw in ("", "."):
        return None
    try:
        v = float(raw.replace(",", ".")) if raw.count(",") == 1 and "." not in raw else float(raw)
    except ValueError:
        problems.append(Problem(f"{col} must be a number, got {raw!r}", f"column {col}", name, line))
        return None
    if v == MISSING:
        return None
    if not math.isfinite(v) or not lo <= v <= hi:
        problems.append(Problem(f"{col} must be between {lo:g} and {hi:g} (999 = missing), got {raw}", f"column {col}", name, line))
        return None
    return v


def _rows(text: str, name: str, delimiter: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    if not text.strip():
        raise InputFileError(f"{name}: the file is empty")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().strip('"').lower() for h in next(reader)]
        duplicate_columns(header, name)
        rows = []
        for record in reader:
            if not any(c.strip() for c in record):
                continue
            if len(record) > len(header) and any(c.strip() for c in record[len(header):]):
                raise InputFileError(f"{name}:{reader.line_num}: {len(record)} fields but the header has {len(header)}")
            rows.append((reader.line_num, {h: (record[k].strip() if k < len(record) else "") for k, h in enumerate(header)}))
    except csv.Error as exc:
        raise InputFileError(f"{name}:{reader.line_num}: cannot parse CSV: {exc}") from None
    return header, rows


def _require(header: list[str], needed, name: str) -> None:
    missing = [c for c in needed if c not in header]
    if missing:
        raise InputFileError(f"{name}:1: missing column(s) {', '.join(missing)}; found {', '.join(header) or 'none'}")


def _issue_rows(rows, name: str, problems: list[Problem]) -> pd.DataFrame:
    import pandas as pd

    out, seen = [], {}
    for line, r in rows:
        isnr = r.get("isnr", "")
        if not isnr:
            problems.append(Problem("missing isnr", "column isnr", name, line))
            continue
        if isnr in seen:
            problems.append(Problem(f"duplicate issue {isnr!r} (first on line {seen[isnr]})", "column isnr", name, line))
            continue
        seen[isnr] = line
        row = {c: r.get(c, "") for c in ISSUE_COLUMNS if c not in ("rp", "out")}
        row["prnr"] = row["prnr"] or isnr
        row["rp"] = _value(r.get("rp", ""), "rp", name, line, problems)
        row["out"] = _value(r.get("out", ""), "out", name, line, problems)
        row["line"] = line
        out.append(row)
    return pd.DataFrame(out, columns=[*ISSUE_COLUMNS, "line"])


def _read_folder(folder: Path):
    iname, pname = str(folder / "issues.csv"), str(folder / "positions.csv")
    for f in (iname, pname):
        if not Path(f).exists():
            raise InputFileError(f"{folder}: a DEU folder needs issues.csv and positions.csv; {Path(f).name} is missing")
    problems: list[Problem] = []
    header, rows = _rows(read_text(iname), iname, ",")
    _require(header, ("isnr", "out"), iname)
    issues = _issue_rows(rows, iname, problems)
    header, rows = _rows(read_text(pname), pname, ",")
    _require(header, POSITION_COLUMNS, pname)
    positions = _position_rows(rows, pname, problems, set(issues["isnr"]))
    actors = None
    aname = folder / "actors.csv"
    if aname.exists():
        header, rows = _rows(read_text(aname), str(aname), ",")
        _require(header, ("actor",), str(aname))
        actors = {}
        for line, r in rows:
            vals = {}
            for k, v in r.items():
                if k == "actor":
                    continue
                try:
                    vals[k] = float(v)
                except ValueError:
                    problems.append(Problem(f"{k} must be a number, got {v!r}", f"column {k}", str(aname), line))
            actors[r["actor"].lower()] = vals
    if problems:
        raise ScenarioError(problems)
    return issues, positions, actors


def _position_rows(rows, name: str, problems: list[Problem], known: set[str]) -> pd.DataFrame:
    import pandas as pd

    out, seen = [], {}
    for line, r in rows:
        isnr, actor = r.get("isnr", ""), r.get("actor", "").lower()
        if isnr not in known:
            problems.append(Problem(f"position for unknown issue {isnr!r}", "column isnr", name, line))
            continue
        if not actor:
            problems.append(Problem("missing actor", "column actor", name, line))
            continue
        key = (isnr, actor)
        if key in seen:
            problems.append(Problem(f"duplicate position of {actor} on {isnr} (first on line {seen[key]})", "", name, line))
            continue
        seen[key] = line
        pos = _value(r.get("position", ""), "position", name, line, problems)
        sal = _value(r.get("salience", ""), "salience", name, line, problems)
        if pos is not None:
            out.append({"isnr": isnr, "actor": actor, "position": pos, "salience": sal, "line": line})
    return pd.DataFrame(out, columns=["isnr", "actor", "position", "salience", "line"])


def _salience_column(header: list[str], code: str) -> str | None:
    for c in (f"s{code}", f"{code}sal", f"{code}_sal", f"sal_{code}", f"sal{code}"):
        if c in header:
            return c
    return None


def _position_column(header: list[str], code: str) -> str | None:
    for c in (code, f"{code}pos", f"{code}_pos", f"pos_{code}", f"pos{code}"):
        if c in header:
            return c
    return None


def _read_single(path: Path):
    import pandas as pd

    name = str(path)
    text = read_text(path)
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    delimiter = ";" if ";" in first else ("\t" if "\t" in first else ",")
    header, rows = _rows(text, name, delimiter)
    _require(header, ("isnr",), name)
    problems: list[Problem] = []
    if {"actor", "position"} <= set(header):  # long layout: issue columns repeat on each row
        firsts, seen = [], set()
        for line, r in rows:
            if r.get("isnr") not in seen:
                seen.add(r.get("isnr"))
                firsts.append((line, r))
        issues = _issue_rows(firsts, name, problems)
        positions = _position_rows(rows, name, problems, set(issues["isnr"]))
    else:
        _require(header, ("out",), name)
        issues = _issue_rows(rows, name, problems)
        codes = [c for c in ACTOR_NAMES if _position_column(header, c)]
        if not codes:
            raise InputFileError(f"{name}:1: no actor position columns (com, ep, be, …) in the header")
        out = []
        for line, r in rows:
            for code in codes:
                pos = _value(r.get(_position_column(header, code), ""), code, name, line, problems)
                scol = _salience_column(header, code)
                sal = _value(r.get(scol, ""), scol, name, line, problems) if scol else None
                if pos is not None:
                    out.append({"isnr": r.get("isnr", ""), "actor": code, "position": pos, "salience": sal, "line": line})
        positions = pd.DataFrame(out, columns=["isnr", "actor", "position", "salience", "line"])
    if problems:
        raise ScenarioError(problems)
    return issues, positions


def _build(issues: pd.DataFrame, positions: pd.DataFrame, actors, title: str, missing_salience: str) -> Scenario:
    if missing_salience not in ("zero", "mean"):
        raise ValueError(f"missing_salience must be 'zero' or 'mean', got {missing_salience!r}")
    order = list(ACTOR_NAMES)
    present = set(positions["actor"])
    actor_ids = [a for a in order if a in present] + sorted(present - set(order))
    by_issue = {isnr: g for isnr, g in positions.groupby("isnr", sort=False)}
    issue_objs, stances, table = [], [], []
    for row in issues.to_dict("records"):
        row = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        isnr = row["isnr"]
        g = by_issue.get(isnr)
        states = tuple(a for a in (g["actor"] if g is not None else ()) if a not in INSTITUTIONS)
        proc = str(row.get("proc") or "").upper()
        vote = str(row.get("counvte") or "")
        if vote.lower().startswith("unan"):
            rule = DecisionRule("consensus", parties=states)
            veto = states
        else:
            rule = DecisionRule("majority", threshold=0.5)
            veto = ()
        if proc == "COD" and g is not None and "ep" in set(g["actor"]):
            veto = (*veto, "ep")
        issue_objs.append(Issue(
            id=isnr, name=f"{row.get('prname') or row.get('prnr')} ({isnr})",
            status_quo=row["rp"], rule=rule, veto=veto, group=row.get("prnr") or None,
        ))
        if g is not None:
            sal = g["salience"].astype(float)
            fill = 0.0 if missing_salience == "zero" or sal.isna().all() else float(sal.mean())
            for a, x, s in zip(g["actor"], g["position"], sal.fillna(fill), strict=True):
                stances.append(Stance(a, isnr, float(x), float(s) / 100.0))
        meta_row = {k: v for k, v in row.items() if k != "line"}
        meta_row["n_positions"] = 0 if g is None else len(g)
        meta_row["n_missing_salience"] = 0 if g is None else int(g["salience"].isna().sum())
        table.append(meta_row)
    # DEU records no capability: 1 for everyone, unless actors.csv has a capability column (as
    # write_deu writes it), so that a scenario written as DEU and read back keeps its capabilities.
    cap = {a: float((actors or {}).get(a, {}).get("capability", 1.0)) for a in actor_ids}
    actor_objs = tuple(Actor(a, ACTOR_NAMES.get(a, a), cap[a], group="institution" if a in INSTITUTIONS else "member state") for a in actor_ids)
    meta = {"deu": table, "source": "DEU (Thomson et al. 2006; Thomson et al. 2012; Arregui & Perarnaud 2022)",
            "institution": "eu"}
    if actors is not None:
        meta["deu_actors"] = actors
    scenario = Scenario(title=title, actors=actor_objs, issues=tuple(issue_objs), stances=tuple(stances), meta=meta)
    problems = validate(scenario)
    if problems:
        raise ScenarioError(problems)
    return scenario


def deu_table(scenario: Scenario) -> pd.DataFrame:
    """The per-issue DEU columns kept by :func:`read_deu`, indexed by ``isnr``."""
    import pandas as pd

    rows = scenario.meta.get("deu") if scenario.meta else None
    if not rows:
        raise ScenarioError("this scenario has no DEU issue table (meta['deu']); read it with read_deu")
    return pd.DataFrame(list(rows)).set_index("isnr", drop=False)


# -- writing ------------------------------------------------------------------------------------

def write_deu(scenario: Scenario, folder) -> None:
    """Write ``scenario`` as a DEU folder (``issues.csv``, ``positions.csv``, ``actors.csv``).

    Issue columns come from ``meta["deu"]`` when present (else the issue's group, status quo and
    rule); positions and saliences are rescaled to 0–100 from each issue's own scale.
    """
    folder = check_output(folder, what="DEU folder", folder_ok=True)
    if folder.exists() and not folder.is_dir():
        raise OutputFileError(f"{folder}: a DEU scenario is written to a folder, and this is a file")
    if not folder.exists():
        try:
            folder.mkdir()
        except OSError as exc:
            raise OutputFileError(f"cannot create the folder {folder}: {exc.strerror or exc}") from None
    known = {r["isnr"]: r for r in (scenario.meta.get("deu") or [])} if scenario.meta else {}
    issue_lines, scale = [], {}
    for i in scenario.issues:
        scale[i.id] = (i.lower, i.upper - i.lower)
        r = dict(known.get(i.id, {}))
        r.setdefault("isnr", i.id)
        r.setdefault("prnr", i.group or i.id)
        r.setdefault("prname", i.name)
        r.setdefault("counvte", "Unan" if i.rule.kind in ("unanimity", "consensus") else "QMV")
        r["rp"] = None if i.status_quo is None else 100 * (i.status_quo - i.lower) / (i.upper - i.lower)
        issue_lines.append([_cell(r.get(c)) for c in ISSUE_COLUMNS])
    pos_lines = []
    for s in scenario.stances:
        lo, span = scale[s.issue]
        pos_lines.append([s.issue, s.actor, _cell(100 * (s.position - lo) / span), _cell(100 * s.salience)])
    write_atomic(folder / "issues.csv", _csv([list(ISSUE_COLUMNS), *issue_lines]))
    write_atomic(folder / "positions.csv", _csv([list(POSITION_COLUMNS), *pos_lines]))
    write_atomic(folder / "actors.csv", _csv([["actor", "capability"], *[[a.id, _cell(a.capability)] for a in scenario.actors]]))


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:g}" if v == round(v, 6) else repr(v)
    return str(v)


def _csv(rows) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()
