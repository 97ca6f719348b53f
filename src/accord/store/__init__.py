"""Scenarios and runs kept in a database: every saved version and every run, nothing overwritten.

The default store is a SQLite file at ``$ACCORD_DB`` or, when that is unset,
``$XDG_DATA_HOME/accord/accord.db`` (``~/.local/share/accord/accord.db``). A PostgreSQL server
works by URL (``postgresql://user:password@host/db``, with ``pip install 'accord[postgres]'``);
``$ACCORD_DB`` may hold a URL or a file path. Back-end details (URL forms, engines, turning
database failures into messages) are in :mod:`accord.store.backend`; the tables, the schema
version and the migrations in :mod:`accord.store.schema`; export and import in
:mod:`accord.store.transfer`. See docs/store.md.

Versions. A scenario is a sequence of versions 1, 2, 3, ... stored as canonical accord YAML. A
save names the version it was edited from (``parent``); if that is no longer the latest version,
somebody else saved in between and the save fails with :class:`Conflict` instead of silently
replacing their work. A unique (scenario, number) constraint backs this up when two writers race.

Durability. Every write is one transaction. On SQLite the store uses write-ahead logging with
``synchronous=FULL`` and takes the write lock at ``BEGIN IMMEDIATE``, so a process killed in the
middle of a save (even with SIGKILL) leaves every earlier version intact and the file readable.
On PostgreSQL a save locks its scenario's row (``SELECT ... FOR UPDATE``) for the same effect.

Failures. A store that cannot be used raises :class:`BadStore` (not a database, damaged, another
application's, read-only, newer than this accord) and a lock held by another program for longer
than ``timeout`` seconds raises :class:`StoreLocked`; both are :class:`StoreUnavailable`, the web
app's 503. Nothing is changed by an operation that fails.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from accord import __version__
from accord.errors import BadStore, Conflict, NotFound, StoreError, StoreLocked, StoreUnavailable
from accord.jsonable import jsonable
from accord.scenario import Scenario
from accord.store import backend
from accord.store.backend import (
    Target,
    database_error,
    insert_for,
    make_engine,
    parse_target,
)
from accord.store.schema import (
    MAX_ROW_ID,
    SCHEMA_VERSION,
    prepare,
    read_version,
    runs,
    scenarios,
    settings,
    versions,
)

__all__ = [
    "BadStore", "Conflict", "NotFound", "RunInfo", "SCHEMA_VERSION", "ScenarioInfo", "Store", "StoreError",
    "StoreLocked", "StoreUnavailable", "VersionInfo", "as_url", "default_path", "default_url",
]

RUN_STATES = ("queued", "running", "done", "failed")
#: The key of the PostgreSQL advisory lock that makes opening (creating, migrating) a store
#: one program at a time.
_OPEN_LOCK = 0x616363  # "acc"


@dataclass(frozen=True)
class VersionInfo:
    scenario_id: int
    number: int
    title: str
    n_actors: int
    n_issues: int
    message: str
    created_at: str


@dataclass(frozen=True)
class ScenarioInfo:
    id: int
    title: str
    created_at: str
    latest: VersionInfo
    n_versions: int
    n_runs: int


@dataclass(frozen=True)
class RunInfo:
    id: int
    scenario_id: int
    version: int
    models: list[str]
    variant: str | None
    params: dict
    seed: int
    draws: int
    accord_version: str
    status: str
    progress: float
    message: str
    created_at: str
    finished_at: str | None


def default_path() -> Path:
    """Where the SQLite store lives when neither ``--db`` nor ``$ACCORD_DB`` says otherwise."""
    base = os.environ.get("XDG_DATA_HOME") or "~/.local/share"
    return Path(base).expanduser() / "accord" / "accord.db"


def default_url() -> str:
    """``$ACCORD_DB`` (a URL or a file path), else the SQLite file at :func:`default_path`."""
    env = os.environ.get("ACCORD_DB", "").strip()
    return as_url(env or str(default_path()))


def as_url(target: str) -> str:
    """A database URL from a URL or a SQLite file path, checked (:class:`StoreError` when it
    names no database accord can use; see :func:`accord.store.backend.parse_target`)."""
    return parse_target(target).url.render_as_string(hide_password=False)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dumps_json(data) -> str:
    """JSON text without NaN or infinity (stored results must be readable by any JSON parser)."""
    return json.dumps(jsonable(data), allow_nan=False, separators=(",", ":"))


def _plain(value: str, limit: int | None = None) -> str:
    """Text for a plain column: PostgreSQL cannot hold NUL characters in text, so they become
    U+FFFD on both back-ends (the scenario's YAML keeps them, escaped)."""
    value = value.replace("\x00", "\ufffd")
    return value if limit is None else value[:limit]


class Store:
    """Versioned scenarios and their runs in one database (see the module docstring).

    ``url`` is a database URL or a SQLite file path (default :func:`default_url`; forms in
    :func:`accord.store.backend.parse_target`); ``timeout`` is how many seconds an operation
    waits for a lock another program holds before it fails with :class:`StoreLocked` (default
    :data:`accord.store.backend.LOCK_TIMEOUT`). Opening checks the database (:class:`BadStore`
    for one that is not an accord store, is damaged, read-only or newer than this accord) and
    migrates a store made by an older accord (``migrated_from`` then gives its schema version).

    >>> from accord.scenario import from_arrays
    >>> store = Store("sqlite://")
    >>> v1 = store.create_scenario(from_arrays([1, 1], [[0], [100]], [[1], [1]]))
    >>> v2 = store.save(v1.scenario_id, from_arrays([1, 2], [[0], [100]], [[1], [1]]), parent=1)
    >>> [v.number for v in store.versions(v1.scenario_id)]
    [2, 1]
    """

    def __init__(self, url: str | None = None, *, timeout: float | None = None):
        self.target: Target = parse_target(default_url() if url is None else url)
        timeout = backend.LOCK_TIMEOUT if timeout is None else timeout
        self.url = self.target.url.render_as_string(hide_password=False)
        self.where = self.target.shown  #: the store as messages name it (no password)
        self.backend = self.target.backend
        self.timeout = timeout
        self.engine = make_engine(self.target, timeout)
        try:
            self.migrated_from: int | None = self._open()
        except BaseException:
            self.engine.dispose()
            raise

    def close(self) -> None:
        self.engine.dispose()

    def _open(self) -> int | None:
        """Check the database, then create, migrate or accept it (see :mod:`accord.store.schema`).

        The first look only reads, so a SQLite database of another application is refused before
        anything (not even its journal mode) is changed.
        """
        with self._read() as conn:
            version = read_version(conn, self.where)
        if self.backend == "sqlite" and not self.target.memory:
            with self._guard():
                raw = self.engine.raw_connection()
                try:
                    raw.driver_connection.execute("PRAGMA journal_mode=WAL").fetchall()
                finally:
                    raw.close()
        if version == SCHEMA_VERSION:
            return None
        with self._write() as conn:
            if self.backend == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _OPEN_LOCK})
            return prepare(conn, self.where)

    # -- transactions -------------------------------------------------------------------------
    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Database failures as store errors that name the store (an IntegrityError passes: the
        callers that expect one handle it)."""
        try:
            yield
        except IntegrityError:
            raise
        except (DBAPIError, sqlite3.Error) as exc:  # sqlite3's own: from the raw connection in _open
            raise database_error(exc, self.target, self.timeout) from exc
        except UnicodeDecodeError as exc:  # SQLite hands back text that was stored as UTF-8
            raise BadStore(f"{self.where} is damaged: it holds text that is not UTF-8 ({exc.reason})") from exc
        except PoolTimeout as exc:
            raise StoreLocked(f"{self.where}: every connection to the database is in use; try again") from exc

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._guard(), self.engine.connect() as conn:
            conn.execution_options(accord_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._guard(), self.engine.connect() as conn, conn.begin():
            yield conn

    def schema_version(self) -> int:
        """The schema version the database records (:data:`SCHEMA_VERSION` once opened)."""
        with self._read() as conn:
            return read_version(conn, self.where) or 0

    def counts(self) -> dict[str, int]:
        """How many scenarios, versions and runs the store holds."""
        with self._read() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in (scenarios, versions, runs)}

    # -- scenarios ----------------------------------------------------------------------------
    def create_scenario(self, scenario: Scenario, *, message: str = "created") -> VersionInfo:
        """Store a new scenario as its version 1."""
        text = _to_yaml(scenario)
        now = _now()
        with self._write() as conn:
            sid = conn.execute(
                insert(scenarios).values(title=_plain(scenario.title, 500), created_at=now)
            ).inserted_primary_key[0]
            return self._insert_version(conn, sid, 1, scenario, text, message, now)

    def save(self, scenario_id: int, scenario: Scenario, *, parent: int, message: str = "") -> VersionInfo:
        """Store ``scenario`` as the version after ``parent``; :class:`Conflict` if that is stale."""
        text = _to_yaml(scenario)
        now = _now()
        if not _row_id(scenario_id):
            raise NotFound(f"no scenario {scenario_id}")
        try:
            with self._write() as conn:
                # FOR UPDATE serialises concurrent saves on PostgreSQL; SQLite already holds the
                # database write lock since BEGIN IMMEDIATE.
                row = conn.execute(
                    select(scenarios.c.id).where(scenarios.c.id == scenario_id).with_for_update()
                ).first()
                if row is None:
                    raise NotFound(f"no scenario {scenario_id}")
                latest = self._latest_number(conn, scenario_id)
                if parent > latest or parent < 1:
                    raise StoreError(f"version {parent} does not exist; the latest version is {latest}")
                if parent != latest:
                    raise Conflict(scenario_id, parent, latest)
                conn.execute(
                    update(scenarios).where(scenarios.c.id == scenario_id).values(title=_plain(scenario.title, 500))
                )
                return self._insert_version(conn, scenario_id, latest + 1, scenario, text, message, now)
        except IntegrityError:
            # Another writer inserted the same number between our check and our insert.
            raise Conflict(scenario_id, parent, self.latest_number(scenario_id)) from None

    def duplicate(self, scenario_id: int, number: int | None = None, *, title: str | None = None) -> VersionInfo:
        """A new scenario whose version 1 is a copy of a version of another."""
        scenario, info = self.load(scenario_id, number)
        title = title or f"{scenario.title} (copy)"
        return self.create_scenario(
            scenario.replace(title=title), message=f"copy of scenario {scenario_id} version {info.number}"
        )

    def delete_scenario(self, scenario_id: int) -> None:
        """Delete a scenario with all its versions and runs."""
        with self._write() as conn:
            self._require(conn, scenario_id)
            conn.execute(delete(runs).where(runs.c.scenario_id == scenario_id))
            conn.execute(delete(versions).where(versions.c.scenario_id == scenario_id))
            conn.execute(delete(scenarios).where(scenarios.c.id == scenario_id))

    def list_scenarios(self) -> list[ScenarioInfo]:
        """Every scenario with its latest version, most recently changed first."""
        with self._read() as conn:
            latest = (
                select(versions.c.scenario_id, func.max(versions.c.number).label("n"), func.count().label("count"))
                .group_by(versions.c.scenario_id)
                .subquery()
            )
            run_counts = (
                select(runs.c.scenario_id, func.count().label("count")).group_by(runs.c.scenario_id).subquery()
            )
            rows = conn.execute(
                select(
                    scenarios.c.id, scenarios.c.created_at.label("scenario_created_at"), versions.c.scenario_id,
                    versions.c.number, versions.c.title, versions.c.n_actors, versions.c.n_issues,
                    versions.c.message, versions.c.created_at,
                    latest.c.count.label("n_versions"), run_counts.c.count.label("n_runs"),
                )
                .join(latest, latest.c.scenario_id == scenarios.c.id)
                .join(versions, (versions.c.scenario_id == scenarios.c.id) & (versions.c.number == latest.c.n))
                .outerjoin(run_counts, run_counts.c.scenario_id == scenarios.c.id)
                .order_by(versions.c.created_at.desc(), scenarios.c.id.desc())
            ).mappings().all()
        return [
            ScenarioInfo(
                id=r["id"], title=r["title"], created_at=r["scenario_created_at"], latest=_version_info(r),
                n_versions=r["n_versions"], n_runs=r["n_runs"] or 0,
            )
            for r in rows
        ]

    def scenario_info(self, scenario_id: int) -> ScenarioInfo:
        for info in self.list_scenarios():
            if info.id == scenario_id:
                return info
        raise NotFound(f"no scenario {scenario_id}")

    def versions(self, scenario_id: int) -> list[VersionInfo]:
        """Every version of a scenario, newest first."""
        with self._read() as conn:
            self._require(conn, scenario_id)
            rows = conn.execute(
                select(versions).where(versions.c.scenario_id == scenario_id).order_by(versions.c.number.desc())
            ).mappings().all()
        return [_version_info(r) for r in rows]

    def latest_number(self, scenario_id: int) -> int:
        with self._read() as conn:
            self._require(conn, scenario_id)
            return self._latest_number(conn, scenario_id)

    def version_text(self, scenario_id: int, number: int | None = None) -> tuple[str, VersionInfo]:
        """The stored YAML of a version (the latest when ``number`` is None)."""
        with self._read() as conn:
            self._require(conn, scenario_id)
            if number is None:
                number = self._latest_number(conn, scenario_id)
            elif not _row_id(number):
                raise NotFound(f"scenario {scenario_id} has no version {number}")
            row = conn.execute(
                select(versions).where((versions.c.scenario_id == scenario_id) & (versions.c.number == number))
            ).mappings().first()
        if row is None:
            raise NotFound(f"scenario {scenario_id} has no version {number}")
        return row["yaml"], _version_info(row)

    def load(self, scenario_id: int, number: int | None = None) -> tuple[Scenario, VersionInfo]:
        """A stored version as a :class:`Scenario`."""
        from accord.io import yaml_format

        text, info = self.version_text(scenario_id, number)
        return yaml_format.loads(text, f"scenario {scenario_id} version {info.number}"), info

    # -- runs ---------------------------------------------------------------------------------
    def create_run(
        self,
        scenario_id: int,
        version: int,
        *,
        models: Sequence[str],
        seed: int,
        draws: int = 0,
        variant: str | None = None,
        params: dict | None = None,
    ) -> RunInfo:
        """Record a run (status ``queued``) of a stored version."""
        with self._write() as conn:
            self._require(conn, scenario_id)
            if not _row_id(version):
                raise NotFound(f"scenario {scenario_id} has no version {version}")
            found = conn.execute(
                select(versions.c.id).where((versions.c.scenario_id == scenario_id) & (versions.c.number == version))
            ).first()
            if found is None:
                raise NotFound(f"scenario {scenario_id} has no version {version}")
            rid = conn.execute(insert(runs).values(
                scenario_id=scenario_id, version=version, models=dumps_json(list(models)),
                variant=None if variant is None else _plain(variant, 200),
                params=dumps_json(params or {}), seed=int(seed), draws=int(draws),
                accord_version=__version__, status="queued", progress=0.0, message="", created_at=_now(),
            )).inserted_primary_key[0]
        return self.run_info(rid)

    def update_run(
        self,
        run_id: int,
        *,
        status: str | None = None,
        progress: float | None = None,
        message: str | None = None,
        results: dict | None = None,
    ) -> None:
        """Record a run's progress or its end (``done`` or ``failed``)."""
        values: dict = {}
        if status is not None:
            if status not in RUN_STATES:
                raise StoreError(f"unknown run status {status!r}")
            values["status"] = status
            if status in ("done", "failed"):
                values["finished_at"] = _now()
        if progress is not None:
            values["progress"] = float(min(max(progress, 0.0), 1.0))
        if message is not None:
            values["message"] = _plain(message)
        if results is not None:
            values["results"] = dumps_json(results)
        if not values:
            return
        if not _row_id(run_id):
            raise NotFound(f"no run {run_id}")
        with self._write() as conn:
            done = conn.execute(update(runs).where(runs.c.id == run_id).values(**values))
            if done.rowcount == 0:
                raise NotFound(f"no run {run_id}")

    def run_info(self, run_id: int) -> RunInfo:
        if not _row_id(run_id):
            raise NotFound(f"no run {run_id}")
        with self._read() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().first()
        if row is None:
            raise NotFound(f"no run {run_id}")
        return _run_info(row)

    def run_results(self, run_id: int) -> dict | None:
        """The results JSON of a run (None until it has finished)."""
        if not _row_id(run_id):
            raise NotFound(f"no run {run_id}")
        with self._read() as conn:
            row = conn.execute(select(runs.c.results).where(runs.c.id == run_id)).first()
        if row is None:
            raise NotFound(f"no run {run_id}")
        return None if row[0] is None else _stored_json(row[0], f"results of run {run_id}")

    def list_runs(self, scenario_id: int | None = None, *, limit: int = 500) -> list[RunInfo]:
        """Runs, newest first (of one scenario when ``scenario_id`` is given)."""
        query = select(*[c for c in runs.c if c.name != "results"]).order_by(runs.c.id.desc()).limit(limit)
        if scenario_id is not None:
            if not _row_id(scenario_id):
                return []
            query = query.where(runs.c.scenario_id == scenario_id)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [_run_info(r) for r in rows]

    def fail_unfinished_runs(self, message: str = "interrupted: the server stopped before the run finished") -> int:
        """Mark runs left queued or running by a previous server as failed."""
        with self._write() as conn:
            done = conn.execute(
                update(runs).where(runs.c.status.in_(("queued", "running")))
                .values(status="failed", message=message, finished_at=_now())
            )
            return done.rowcount

    # -- settings -----------------------------------------------------------------------------
    def get_setting(self, key: str, default: str | None = None) -> str | None:
        with self._read() as conn:
            row = conn.execute(select(settings.c.value).where(settings.c.key == key)).first()
        return default if row is None else row[0]

    def set_setting(self, key: str, value: str) -> None:
        with self._write() as conn:
            stmt = insert_for(conn)(settings).values(key=key, value=value)
            conn.execute(stmt.on_conflict_do_update(index_elements=[settings.c.key], set_={"value": value}))

    def add_setting(self, key: str, value: str) -> bool:
        """Set ``key`` unless it is set already; whether this call set it (of two programs that
        try at once, exactly one does)."""
        with self._write() as conn:
            stmt = insert_for(conn)(settings).values(key=key, value=value)
            stmt = stmt.on_conflict_do_nothing(index_elements=[settings.c.key]).returning(settings.c.key)
            return conn.execute(stmt).first() is not None

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _require(conn: Connection, scenario_id: int) -> None:
        if not _row_id(scenario_id) or conn.execute(select(scenarios.c.id).where(scenarios.c.id == scenario_id)).first() is None:
            raise NotFound(f"no scenario {scenario_id}")

    @staticmethod
    def _latest_number(conn: Connection, scenario_id: int) -> int:
        return conn.execute(
            select(func.max(versions.c.number)).where(versions.c.scenario_id == scenario_id)
        ).scalar_one() or 0

    @staticmethod
    def _insert_version(conn, sid, number, scenario, text, message, now) -> VersionInfo:
        values = dict(
            scenario_id=sid, number=number, title=_plain(scenario.title, 500), yaml=text,
            n_actors=len(scenario.actors), n_issues=len(scenario.issues), message=_plain(message, 1000),
            created_at=now,
        )
        conn.execute(insert(versions).values(**values))
        return _version_info(values)


def _row_id(value: int) -> bool:
    """Whether ``value`` can be an id or a version number at all (PostgreSQL refuses to compare
    its 32-bit integer columns with larger numbers instead of finding nothing)."""
    return 1 <= value <= MAX_ROW_ID


def _to_yaml(scenario: Scenario) -> str:
    """Canonical YAML of a valid scenario (an invalid one raises :class:`ScenarioError`)."""
    from accord.io import yaml_format

    return yaml_format.dumps(scenario.validated())


def _version_info(r) -> VersionInfo:
    return VersionInfo(
        scenario_id=r["scenario_id"], number=r["number"], title=r["title"], n_actors=r["n_actors"],
        n_issues=r["n_issues"], message=r["message"] or "", created_at=r["created_at"],
    )


def _stored_json(text: str | None, what: str):
    """Stored JSON text, or :class:`BadStore` when it cannot be read (a damaged database)."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        raise BadStore(f"the stored {what} is damaged: not JSON ({str(text)[:60]!r})") from None


def _run_info(r) -> RunInfo:
    return RunInfo(
        id=r["id"], scenario_id=r["scenario_id"], version=r["version"],
        models=_stored_json(r["models"], f"run {r['id']}'s models"), variant=r["variant"],
        params=_stored_json(r["params"], f"run {r['id']}'s parameters"), seed=r["seed"], draws=r["draws"],
        accord_version=r["accord_version"], status=r["status"], progress=r["progress"], message=r["message"] or "",
        created_at=r["created_at"], finished_at=r["finished_at"],
    )
