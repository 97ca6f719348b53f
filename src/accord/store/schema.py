"""The store's tables, its schema version and the migrations from older versions.

A store records what it is in the table ``accord_meta``: ``application = accord`` and
``schema_version``. :func:`prepare` runs when a store is opened and, in one transaction:

- creates the tables in an empty database;
- migrates a store made by an older accord, one step of :data:`MIGRATIONS` at a time;
- refuses a store made by a newer accord, and a database holding anyone else's tables (accord
  never adds its tables beside another application's).

Schema versions:

1. accord 0.1.0 before versioning: ``scenarios``, ``versions``, ``runs``, ``settings``; no
   ``accord_meta`` (such a store is recognised by exactly those four tables and their columns).
2. ``accord_meta``; ``runs.seed`` becomes a 64-bit integer (seeds go up to 2**63 - 1,
   :data:`accord.rng.MAX_SEED`, more than PostgreSQL's ``integer`` holds; SQLite's integers were 64-bit already).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection

from accord import __version__
from accord.errors import BadStore

SCHEMA_VERSION = 2
APPLICATION = "accord"
#: The largest id or version number a store holds (32-bit integer columns).
MAX_ROW_ID = 2**31 - 1

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
    Column("seed", BigInteger, nullable=False),
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

meta = Table(
    "accord_meta", metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

#: The tables (and some of their columns) by which a store of schema version 1 is recognised.
V1_COLUMNS = {
    "scenarios": {"id", "title", "created_at"},
    "versions": {"id", "scenario_id", "number", "title", "yaml", "n_actors", "n_issues", "message", "created_at"},
    "runs": {"id", "scenario_id", "version", "models", "params", "seed", "status", "results"},
    "settings": {"key", "value"},
}


def _v1_to_v2(conn: Connection) -> None:
    meta.create(conn)
    if conn.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE runs ALTER COLUMN seed TYPE BIGINT"))


#: MIGRATIONS[n] turns a store of schema version n into version n + 1, inside the opening
#: transaction (all steps commit together, or none does).
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2}


def read_version(conn: Connection, where: str) -> int | None:
    """The schema version of the store ``conn`` is in (None: an empty database).

    Raises :class:`BadStore` for a database that is not an accord store, and for a store of a
    schema version newer than :data:`SCHEMA_VERSION`.
    """
    look = inspect(conn)
    names = set(look.get_table_names())
    others = set(look.get_view_names())  # a database with only views is somebody's too
    if meta.name in names:
        rows = dict(conn.execute(select(meta.c.key, meta.c.value)).all())
        if rows.get("application") != APPLICATION:
            raise BadStore(f"{where} has a table named accord_meta that accord did not write "
                           f"(application {rows.get('application')!r}); it is not an accord store")
        try:
            version = int(rows["schema_version"])
        except (KeyError, ValueError):
            raise BadStore(f"{where} is damaged: its accord_meta table gives no schema version "
                           f"({rows.get('schema_version')!r})") from None
        missing = {t for t in metadata.tables if t != meta.name} - names
        if version == SCHEMA_VERSION and missing:
            raise BadStore(f"{where} is damaged: it is an accord store without its table(s) "
                           f"{', '.join(sorted(missing))}")
        if version > SCHEMA_VERSION:
            raise BadStore(f"{where} is a store of schema version {version}, written by "
                           f"{rows.get('written_by') or 'a newer accord'}; this accord ({__version__}) knows "
                           f"schema versions up to {SCHEMA_VERSION}. Upgrade accord (pip install -U accord) "
                           "to open it")
        return version
    if not names and not others:
        return None
    if names == set(V1_COLUMNS) and not others and all(
        V1_COLUMNS[t] <= {c["name"] for c in inspect(conn).get_columns(t)} for t in V1_COLUMNS
    ):
        return 1
    names |= others
    shown = ", ".join(sorted(names)[:8]) + (", …" if len(names) > 8 else "")
    raise BadStore(f"{where} is not an accord store: it holds another application's tables ({shown}). accord "
                   "adds no tables to a database that has others; give the name of a new file (or, on "
                   "PostgreSQL, of an empty database)")


def prepare(conn: Connection, where: str) -> int | None:
    """Bring the database ``conn`` is in to :data:`SCHEMA_VERSION`; the version it had before when
    this call migrated it (None when it created the store or found nothing to do). Run inside a write transaction that holds the store's lock, so two
    programs opening an old store at once migrate it once."""
    version = read_version(conn, where)
    if version is None:
        metadata.create_all(conn)
        _write_meta(conn)
        return None
    if version == SCHEMA_VERSION:
        return None  # another program migrated it while this one waited for the lock
    for step in range(version, SCHEMA_VERSION):
        MIGRATIONS[step](conn)
    _write_meta(conn)
    return version


def _write_meta(conn: Connection) -> None:
    conn.execute(delete(meta).where(meta.c.key.in_(("application", "schema_version", "written_by"))))
    conn.execute(insert(meta), [
        {"key": "application", "value": APPLICATION},
        {"key": "schema_version", "value": str(SCHEMA_VERSION)},
        {"key": "written_by", "value": f"accord {__version__}"},
    ])
