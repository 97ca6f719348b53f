"""Moving a whole store: every scenario, version, run and setting, between SQLite and PostgreSQL.

An export is a JSON Lines file (gzip-compressed when its name ends in ``.gz``)::

    {"format": "accord-store", "format_version": 1, "schema_version": 2, ...}   header
    {"scenario": {"id": 1, "title": ..., "created_at": ...}}                    one per scenario
    {"version": {"scenario_id": 1, "number": 1, "yaml": ..., ...}}              one per version
    {"run": {"id": 1, "scenario_id": 1, "version": 1, "results": ..., ...}}      one per run
    {"setting": {"key": ..., "value": ...}}                                     one per setting
    {"end": {"scenarios": 1, "versions": 1, "runs": 1, "settings": 1}}          the counts

The rows are read in one transaction (a consistent snapshot) and written as stored: the YAML and
the runs' JSON results are strings, copied byte for byte. The last line's counts let an import
notice a truncated file.

An import checks every record (fields, types, lengths, each version's YAML is a valid scenario,
versions numbered 1, 2, 3, ... per scenario, runs of existing versions), writes everything in one
transaction, then counts what the store holds against the file: any problem and nothing is
imported. Into an empty store ids are kept (links to ``/scenarios/ID`` and ``/runs/ID`` stay
valid); with ``append`` the scenarios and runs get new ids after those already there.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import BigInteger, Float, Integer, String, Table, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from accord import __version__
from accord.errors import StoreError
from accord.store import Store
from accord.store.backend import insert_for
from accord.store.schema import SCHEMA_VERSION, runs, scenarios, settings, versions

FORMAT = "accord-store"
FORMAT_VERSION = 1
#: Record kind -> table, in the order an export writes them (parents before children).
KINDS: dict[str, Table] = {"scenario": scenarios, "version": versions, "run": runs, "setting": settings}
PLURAL = {"scenario": "scenarios", "version": "versions", "run": "runs", "setting": "settings"}
_BATCH = 500


# -- export ---------------------------------------------------------------------------------------
def records(store: Store) -> Iterator[dict]:
    """The store as export records (header first, counts last), read in one snapshot."""
    counts = dict.fromkeys(PLURAL.values(), 0)
    yield {"format": FORMAT, "format_version": FORMAT_VERSION, "schema_version": SCHEMA_VERSION,
           "accord_version": __version__, "backend": store.backend,
           "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    with store._read() as conn:
        if store.backend == "postgresql":
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        expected = {PLURAL[k]: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for k, t in KINDS.items()}
        orders = {"scenario": [scenarios.c.id], "version": [versions.c.scenario_id, versions.c.number],
                  "run": [runs.c.id], "setting": [settings.c.key]}
        for kind, table in KINDS.items():
            columns = [c for c in table.c if not (table is versions and c.name == "id")]
            result = conn.execution_options(yield_per=_BATCH).execute(select(*columns).order_by(*orders[kind]))
            for row in result.mappings():
                counts[PLURAL[kind]] += 1
                yield {kind: dict(row)}
        if counts != expected:  # cannot happen inside one snapshot; a guard, not a branch
            raise StoreError(f"{store.where} changed while it was exported ({counts} read, {expected} counted)")
    yield {"end": counts}


def export_file(store: Store, path: str | os.PathLike) -> dict[str, int]:
    """Write the store to ``path`` (see the module docstring); the counts written.

    The file is written beside its final name and renamed at the end, so a failed export leaves
    no partial file.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    counts: dict[str, int] = {}
    try:
        with os.fdopen(fd, "wb") as raw:
            sink = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if target.suffix == ".gz" else raw
            with io.TextIOWrapper(sink, encoding="utf-8", newline="\n") as out:
                for record in records(store):
                    out.write(json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":")))
                    out.write("\n")
                    counts = record.get("end", counts)
                out.flush()
                if sink is not raw:
                    sink.close()
                raw.flush()
                os.fsync(raw.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return counts


# -- import ---------------------------------------------------------------------------------------
def read_file(path: str | os.PathLike) -> Iterator[tuple[int, dict]]:
    """The records of an export file with their line numbers; :class:`StoreError` naming the line
    for anything that is not one JSON object per line."""
    p = Path(path)
    if p.is_dir():
        raise StoreError(f"{p} is a directory; expected an export file written by `accord store export`")
    try:
        with p.open("rb") as f:
            gz = f.read(2) == b"\x1f\x8b"
        handle = gzip.open(p, "rt", encoding="utf-8") if gz else p.open(encoding="utf-8")
    except OSError as exc:
        raise StoreError(f"cannot read {p}: {exc.strerror or exc}") from None
    with handle:
        n = 0
        try:
            for n, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise StoreError(f"{p}:{n}: not a JSON record ({exc.msg}); expected an export written by "
                                     "`accord store export`") from None
                if not isinstance(record, dict):
                    raise StoreError(f"{p}:{n}: expected a JSON object, got {type(record).__name__}")
                yield n, record
        except (UnicodeDecodeError, EOFError, gzip.BadGzipFile, OSError) as exc:
            raise StoreError(f"{p}:{n + 1}: cannot be read ({exc}); a damaged or truncated export") from None


@dataclass
class _Import:
    """What an import has read so far (to check each record against the ones before it)."""

    name: str
    append: bool
    scenario_ids: dict[int, int] = field(default_factory=dict)  # id in the file -> id in the store
    last_version: dict[int, int] = field(default_factory=dict)  # file's scenario id -> last number
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PLURAL.values(), 0))
    pending: dict[str, list[dict]] = field(default_factory=dict)


def import_records(store: Store, lines: Iterable[tuple[int, dict]], *, name: str = "the export",
                   append: bool = False) -> dict[str, int]:
    """Add exported records to ``store`` in one transaction; the counts imported.

    ``lines`` yields (line number, record) as :func:`read_file` does; ``name`` is how messages
    name the source. Raises :class:`StoreError` (and imports nothing) for a record that is not
    valid, a file without its closing counts, counts that do not match, or a store that already
    holds scenarios when ``append`` is False.
    """
    state = _Import(name, append)
    it = iter(lines)
    first = next(it, None)
    if first is None:
        raise StoreError(f"{name} is empty; expected an export written by `accord store export`")
    _check_header(*first, name)
    end: dict | None = None
    with store._write() as conn:
        before = {PLURAL[k]: conn.execute(select(func.count()).select_from(t)).scalar_one()
                  for k, t in KINDS.items()}
        if before["scenarios"] and not append:
            raise StoreError(f"{store.where} already holds {before['scenarios']} scenarios; import into an "
                             "empty store, or pass --append to add these with new ids")
        if append and store.backend == "postgresql":
            conn.execute(text("LOCK TABLE scenarios, runs IN EXCLUSIVE MODE"))  # ids taken in order
        try:
            for n, record in it:
                if end is not None:
                    raise StoreError(f"{name}:{n}: a record after the closing counts")
                if set(record) == {"end"}:
                    end = record["end"]
                    continue
                _add(conn, state, n, record)
            _flush(conn, state)
        except IntegrityError as exc:  # checked record by record, so a clash with rows already there
            raise StoreError(f"{name} clashes with what {store.where} holds ({str(exc.orig).splitlines()[0]}); "
                             "nothing was imported") from None
        if end is None:
            raise StoreError(f"{name} ends without its closing counts: a truncated export; nothing was imported")
        if not isinstance(end, dict) or {k: end.get(k) for k in state.counts} != state.counts:
            raise StoreError(f"{name}: its closing line counts {end} but it holds {state.counts}; a damaged "
                             "export; nothing was imported")
        after = {PLURAL[k]: conn.execute(select(func.count()).select_from(t)).scalar_one() for k, t in KINDS.items()}
        added = {k: after[k] - before[k] for k in after}
        # A setting the target had already is kept or replaced, so it adds no row.
        if {**added, "settings": 0} != {**state.counts, "settings": 0} or added["settings"] > state.counts["settings"]:
            raise StoreError(f"{store.where}: the import added {added} rows, not the {state.counts} of {name}; "
                             "nothing was imported")
        if store.backend == "postgresql":
            for table in (scenarios, versions, runs):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                  f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"))
    return state.counts


def import_file(store: Store, path: str | os.PathLike, *, append: bool = False) -> dict[str, int]:
    """Import an export file into ``store`` (see :func:`import_records`)."""
    return import_records(store, read_file(path), name=str(path), append=append)


def copy(source: Store, target: Store, *, append: bool = False) -> dict[str, int]:
    """Copy every scenario, version, run and setting of ``source`` into ``target``."""
    return import_records(target, enumerate(records(source), 1), name=source.where, append=append)


def _check_header(n: int, record: dict, name: str) -> None:
    if record.get("format") != FORMAT:
        raise StoreError(f"{name}:{n}: not an accord store export (its first line has no "
                         f'"format": "{FORMAT}")')
    fv = record.get("format_version")
    if not isinstance(fv, int) or fv > FORMAT_VERSION:
        raise StoreError(f"{name}: export format version {fv!r}, written by accord "
                         f"{record.get('accord_version', '?')}; this accord reads version {FORMAT_VERSION}: "
                         "upgrade accord")


def _add(conn: Connection, state: _Import, n: int, record: dict) -> None:
    if len(record) != 1 or next(iter(record)) not in KINDS:
        raise StoreError(f"{state.name}:{n}: expected one of {', '.join(KINDS)} or end, got "
                         f"{', '.join(map(str, record))[:80] or 'an empty object'}")
    kind, row = next(iter(record.items()))
    table = KINDS[kind]
    where = f"{state.name}:{n}: {kind}"
    if not isinstance(row, dict):
        raise StoreError(f"{where}: expected an object of its fields")
    row = _checked_row(table, row, where)
    if kind == "scenario":
        old = row["id"]
        if old in state.scenario_ids:
            raise StoreError(f"{where}: scenario {old} appears twice")
        if state.append:
            del row["id"]
            _flush(conn, state)
            state.scenario_ids[old] = conn.execute(insert(scenarios).values(**row)).inserted_primary_key[0]
        else:
            state.scenario_ids[old] = old
            _queue(conn, state, kind, row)
        state.last_version[old] = 0
    elif kind == "version":
        old = row["scenario_id"]
        if old not in state.scenario_ids:
            raise StoreError(f"{where}: of scenario {old}, which the file does not hold before it")
        if row["number"] != state.last_version[old] + 1:
            raise StoreError(f"{where}: scenario {old} jumps from version {state.last_version[old]} to "
                             f"{row['number']}; versions are numbered 1, 2, 3, ...")
        _check_yaml(row["yaml"], where)
        state.last_version[old] = row["number"]
        _queue(conn, state, kind, {**row, "scenario_id": state.scenario_ids[old]})
    elif kind == "run":
        old = row["scenario_id"]
        if not 1 <= row["version"] <= state.last_version.get(old, 0):
            raise StoreError(f"{where}: a run of scenario {old} version {row['version']}, which the file does "
                             "not hold before it")
        for key in ("models", "params") + (("results",) if row.get("results") is not None else ()):
            try:
                json.loads(row[key])
            except (TypeError, json.JSONDecodeError):
                raise StoreError(f"{where}: {key} is not JSON text") from None
        if state.append:
            del row["id"]
        _queue(conn, state, kind, {**row, "scenario_id": state.scenario_ids[old]})
    else:
        # Appended, the target's own settings stay; into an empty store, the file's win.
        stmt = insert_for(conn)(settings).values(**row)
        conn.execute(stmt.on_conflict_do_nothing(index_elements=[settings.c.key]) if state.append else
                     stmt.on_conflict_do_update(index_elements=[settings.c.key], set_={"value": row["value"]}))
    state.counts[PLURAL[kind]] += 1


def _queue(conn: Connection, state: _Import, kind: str, row: dict) -> None:
    state.pending.setdefault(kind, []).append(row)
    if len(state.pending[kind]) >= _BATCH:
        _flush(conn, state)


def _flush(conn: Connection, state: _Import) -> None:
    """Insert the queued rows, parents first."""
    for kind in KINDS:
        rows = state.pending.pop(kind, None)
        if rows:
            conn.execute(insert(KINDS[kind]), rows)


def _checked_row(table: Table, row: dict, where: str) -> dict:
    """``row`` with exactly the table's columns, each of the right type and length."""
    wanted = {c.name: c for c in table.c if not (table is versions and c.name == "id")}
    unknown = set(row) - set(wanted)
    if unknown:
        raise StoreError(f"{where}: unknown field {sorted(unknown)[0]!r} (fields: {', '.join(wanted)})")
    out = {}
    for name, col in wanted.items():
        value = row.get(name)
        if value is None:
            if not col.nullable:
                raise StoreError(f"{where}: {name} is missing")
            out[name] = None
            continue
        kind = col.type
        if isinstance(kind, Integer):
            if isinstance(value, bool) or not isinstance(value, int):
                raise StoreError(f"{where}: {name} must be a whole number, got {value!r:.40}")
            limit = 2**63 if isinstance(kind, BigInteger) else 2**31
            if not -limit <= value < limit or (col.primary_key and value < 1):
                raise StoreError(f"{where}: {name} = {value} is out of range")
        elif isinstance(kind, Float):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise StoreError(f"{where}: {name} must be a number, got {value!r:.40}")
            value = float(value)
        elif isinstance(value, str):
            if "\x00" in value:
                raise StoreError(f"{where}: {name} holds a NUL character, which a store cannot keep")
            if isinstance(kind, String) and kind.length and len(value) > kind.length:
                raise StoreError(f"{where}: {name} is {len(value)} characters long; at most {kind.length}")
        else:
            raise StoreError(f"{where}: {name} must be text, got {type(value).__name__}")
        out[name] = value
    if table is runs and out["status"] not in ("queued", "running", "done", "failed"):
        raise StoreError(f"{where}: unknown status {out['status']!r}")
    return out


def _check_yaml(text_: str, where: str) -> None:
    from accord.io import yaml_format

    try:
        yaml_format.loads(text_, where)
    except StoreError:
        raise
    except Exception as exc:  # ScenarioError names the problem; anything else is a damaged record
        raise StoreError(f"{where}: its YAML is not a valid scenario: {exc}") from None
