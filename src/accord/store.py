"""Scenarios and runs kept in a database: every saved version and every run, nothing overwritten.

The default store is a SQLite file at ``$ACCORD_DB`` or, when that is unset,
``$XDG_DATA_HOME/accord/accord.db`` (``~/.local/share/accord/accord.db``). Any SQLAlchemy URL
works (``postgresql+psycopg://user@host/db``); ``$ACCORD_DB`` may hold a URL or a file path.

Versions. A scenario is a sequence of versions 1, 2, 3, ... stored as canonical accord YAML. A
save names the version it was edited from (``parent``); if that is no longer the latest version,
somebody else saved in between and the save fails with :class:`Conflict` instead of silently
replacing their work. A unique (scenario, number) constraint backs this up when two writers race.

Durability. Every write is one transaction. On SQLite the store uses write-ahead logging with
``synchronous=FULL`` and takes the write lock at ``BEGIN IMMEDIATE``, so a process killed in the
middle of a save (even with SIGKILL) leaves every earlier version intact and the file readable.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from accord import __version__
from accord.errors import AccordError
from accord.jsonable import jsonable
from accord.scenario import Scenario

RUN_STATES = ("queued", "running", "done", "failed")

metadata = MetaData()

scenarios = Table(
    "scenarios", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(500), nullable=False),
    Column("created_at", String(32), nullable=False),
)

versions = Table(
    "versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scenario_id", Integer, ForeignKey("scenarios.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("title", String(500), nullable=False),
    Column("yaml", Text, nullable=False),
    Column("n_actors", Integer, nullable=False),
    Column("n_issues", Integer, nullable=False),
    Column("message", String(1000), nullable=False, default=""),
    Column("created_at", String(32), nullable=False),
    UniqueConstraint("scenario_id", "number", name="uq_version_number"),
)

runs = Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scenario_id", Integer, ForeignKey("scenarios.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("models", Text, nullable=False),  # JSON list of model names
    Column("variant", String(200)),
    Column("params", Text, nullable=False),  # JSON {model: {param: value}}
    Column("seed", Integer, nullable=False),
    Column("draws", Integer, nullable=False, default=0),
    Column("accord_version", String(50), nullable=False),
    Column("status", String(20), nullable=False),
    Column("progress", Float, nullable=False, default=0.0),
    Column("message", Text, nullable=False, default=""),
    Column("results", Text),  # JSON, see accord.report.runner.run_scenario
    Column("created_at", String(32), nullable=False),
    Column("finished_at", String(32)),
)

settings = Table(
    "settings", metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)


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
    if env:
        return as_url(env)
    return as_url(str(default_path()))


def as_url(target: str) -> str:
    """A database URL from a URL or a SQLite file path."""
    if "://" in target:
        return target
    return f"sqlite:///{Path(target).expanduser().resolve()}"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dumps_json(data) -> str:
    """JSON text without NaN or infinity (stored results must be readable by any JSON parser)."""
    return json.dumps(jsonable(data), allow_nan=False, separators=(",", ":"))


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:")
        if not memory:
            path = url.split("///", 1)[1] if "///" in url else ""
            if path:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if memory else None,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own implicit
            # transactions would defer the write lock and ignore BEGIN IMMEDIATE).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            if not memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            # Writers take the lock up front so the read-check-insert of a save is atomic.
            write = conn.get_execution_options().get("accord_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


class Store:
    """Versioned scenarios and their runs in one database (see the module docstring).

    >>> from accord.scenario import from_arrays
    >>> store = Store("sqlite://")
    >>> v1 = store.create_scenario(from_arrays([1, 1], [[0], [100]], [[1], [1]]))
    >>> v2 = store.save(v1.scenario_id, from_arrays([1, 2], [[0], [100]], [[1], [1]]), parent=1)
    >>> [v.number for v in store.versions(v1.scenario_id)]
    [2, 1]
    """

    def __init__(self, url: str | None = None):
        self.url = as_url(url) if url else default_url()
        self.engine = _engine(self.url)
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- transactions -------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(accord_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # -- scenarios ----------------------------------------------------------------------------
    def create_scenario(self, scenario: Scenario, *, message: str = "created") -> VersionInfo:
        """Store a new scenario as its version 1."""
        text = _to_yaml(scenario)
        now = _now()
        with self._write() as conn:
            sid = conn.execute(
                insert(scenarios).values(title=scenario.title[:500], created_at=now)
            ).inserted_primary_key[0]
            return self._insert_version(conn, sid, 1, scenario, text, message, now)

    def save(self, scenario_id: int, scenario: Scenario, *, parent: int, message: str = "") -> VersionInfo:
        """Store ``scenario`` as the version after ``parent``; :class:`Conflict` if that is stale."""
        text = _to_yaml(scenario)
        now = _now()
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
                    update(scenarios).where(scenarios.c.id == scenario_id).values(title=scenario.title[:500])
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
            found = conn.execute(
                select(versions.c.id).where((versions.c.scenario_id == scenario_id) & (versions.c.number == version))
            ).first()
            if found is None:
                raise NotFound(f"scenario {scenario_id} has no version {version}")
            rid = conn.execute(insert(runs).values(
                scenario_id=scenario_id, version=version, models=dumps_json(list(models)), variant=variant,
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
            values["message"] = message
        if results is not None:
            values["results"] = dumps_json(results)
        if not values:
            return
        with self._write() as conn:
            done = conn.execute(update(runs).where(runs.c.id == run_id).values(**values))
            if done.rowcount == 0:
                raise NotFound(f"no run {run_id}")

    def run_info(self, run_id: int) -> RunInfo:
        with self._read() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().first()
        if row is None:
            raise NotFound(f"no run {run_id}")
        return _run_info(row)

    def run_results(self, run_id: int) -> dict | None:
        """The results JSON of a run (None until it has finished)."""
        with self._read() as conn:
            row = conn.execute(select(runs.c.results).where(runs.c.id == run_id)).first()
        if row is None:
            raise NotFound(f"no run {run_id}")
        return None if row[0] is None else json.loads(row[0])

    def list_runs(self, scenario_id: int | None = None, *, limit: int = 500) -> list[RunInfo]:
        """Runs, newest first (of one scenario when ``scenario_id`` is given)."""
        query = select(*[c for c in runs.c if c.name != "results"]).order_by(runs.c.id.desc()).limit(limit)
        if scenario_id is not None:
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
            conn.execute(delete(settings).where(settings.c.key == key))
            conn.execute(insert(settings).values(key=key, value=value))

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _require(conn: Connection, scenario_id: int) -> None:
        if conn.execute(select(scenarios.c.id).where(scenarios.c.id == scenario_id)).first() is None:
            raise NotFound(f"no scenario {scenario_id}")

    @staticmethod
    def _latest_number(conn: Connection, scenario_id: int) -> int:
        return conn.execute(
            select(func.max(versions.c.number)).where(versions.c.scenario_id == scenario_id)
        ).scalar_one() or 0

    @staticmethod
    def _insert_version(conn, sid, number, scenario, text, message, now) -> VersionInfo:
        values = dict(
            scenario_id=sid, number=number, title=scenario.title[:500], yaml=text,
            n_actors=len(scenario.actors), n_issues=len(scenario.issues), message=message[:1000], created_at=now,
        )
        conn.execute(insert(versions).values(**values))
        return _version_info(values)


def _to_yaml(scenario: Scenario) -> str:
    """Canonical YAML of a valid scenario (an invalid one raises :class:`ScenarioError`)."""
    from accord.io import yaml_format

    return yaml_format.dumps(scenario.validated())


def _version_info(r) -> VersionInfo:
    return VersionInfo(
        scenario_id=r["scenario_id"], number=r["number"], title=r["title"], n_actors=r["n_actors"],
        n_issues=r["n_issues"], message=r["message"] or "", created_at=r["created_at"],
    )


def _run_info(r) -> RunInfo:
    return RunInfo(
        id=r["id"], scenario_id=r["scenario_id"], version=r["version"], models=json.loads(r["models"]),
        variant=r["variant"], params=json.loads(r["params"]), seed=r["seed"], draws=r["draws"],
        accord_version=r["accord_version"], status=r["status"], progress=r["progress"], message=r["message"] or "",
        created_at=r["created_at"], finished_at=r["finished_at"],
    )
