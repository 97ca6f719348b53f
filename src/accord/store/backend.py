"""The store's two back-ends, SQLite and PostgreSQL: where a store is, its engine, its failures.

Everything the rest of the store needs to know about a back-end is here: the database a URL or a
path names, checked once (:func:`parse_target`); a look at a SQLite file before SQLite touches it
(:func:`check_sqlite_file`: a directory, a text file, a truncated file are refused without being
changed); the engine with its durability and lock-wait settings (:func:`make_engine`); and a
database failure turned into a message that names the store and what is wrong
(:func:`database_error`).
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import StaticPool

from accord.errors import BadStore, StoreError, StoreLocked, StoreUnavailable

#: Seconds a read or a save waits for a lock another program holds before it gives up with
#: :class:`StoreLocked` (SQLite's busy timeout, PostgreSQL's lock_timeout). A save takes a few
#: milliseconds, so only a stuck or long-running other program waits this long.
LOCK_TIMEOUT = 5.0
#: Seconds to wait for a PostgreSQL server to accept a connection.
CONNECT_TIMEOUT = 10
SQLITE_MAGIC = b"SQLite format 3\x00"
URL_FORMS = ("a SQLite file path, sqlite:///PATH, or postgresql://USER:PASSWORD@HOST:PORT/DATABASE "
             "(postgresql+psycopg:// and postgres:// mean the same)")
INSTALL_POSTGRES = "pip install 'accord[postgres]'"


@dataclass(frozen=True)
class Target:
    """A database a store lives in, as checked by :func:`parse_target`."""

    url: URL
    backend: str  # "sqlite" or "postgresql"
    path: Path | None = None  # the SQLite file (None for an in-memory database)

    @property
    def shown(self) -> str:
        """How messages name the store: the file, or the URL without its password."""
        if self.backend == "sqlite":
            return str(self.path) if self.path else "the in-memory SQLite database"
        return self.url.render_as_string(hide_password=True)

    @property
    def memory(self) -> bool:
        return self.backend == "sqlite" and self.path is None


def parse_target(target: str) -> Target:
    """The database named by a URL or a SQLite file path, or :class:`StoreError` saying why not.

    Accepted: a file path (``~`` expanded), ``sqlite:///PATH``, ``sqlite://`` (in memory),
    ``postgresql://``, ``postgres://`` and ``postgresql+psycopg://`` URLs (all served by
    psycopg 3). Any other scheme or driver is refused here rather than failing later inside
    SQLAlchemy.
    """
    text = str(target).strip()
    if not text:
        raise StoreError(f"no database given; expected {URL_FORMS}")
    if "://" not in text:
        return Target(URL.create("sqlite", database=str(_resolve(text))), "sqlite", _resolve(text))
    try:
        url = make_url(text)
    except ArgumentError:
        raise StoreError(f"{_redact(text)!r} is not a database URL; expected {URL_FORMS}") from None
    backend, _, driver = url.drivername.partition("+")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise StoreError(f"unknown SQLite driver {driver!r} in {_redact(text)!r}; use sqlite:///PATH")
        if url.query:
            raise StoreError(f"{_redact(text)!r}: options in a SQLite URL are not supported; use sqlite:///PATH")
        if url.database in (None, "", ":memory:"):
            return Target(URL.create("sqlite"), "sqlite", None)
        path = _resolve(url.database)
        return Target(URL.create("sqlite", database=str(path)), "sqlite", path)
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg"):
            raise StoreError(
                f"unknown PostgreSQL driver {driver!r} in {_redact(text)!r}: accord talks to PostgreSQL "
                f"through psycopg 3; write postgresql://… (or postgresql+psycopg://…) and {INSTALL_POSTGRES}"
            )
        url = url.set(drivername="postgresql+psycopg")
        if not url.database:
            raise StoreError(f"{url.render_as_string(hide_password=True)!r} names no database; expected "
                             "postgresql://USER:PASSWORD@HOST:PORT/DATABASE")
        return Target(url, "postgresql")
    raise StoreError(f"unsupported database {url.drivername!r} in {_redact(text)!r}: accord keeps its store "
                     f"in SQLite or PostgreSQL; expected {URL_FORMS}")


def _resolve(path: str) -> Path:
    try:
        return Path(path).expanduser().absolute()
    except RuntimeError:  # "~someone" for a user this machine does not know
        raise StoreError(f"{path!r}: cannot tell whose home folder {path.split('/')[0]!r} is") from None


def _redact(text: str) -> str:
    """A URL as typed, with anything between ``user:`` and ``@`` hidden."""
    scheme, sep, rest = text.partition("://")
    auth, at, host = rest.rpartition("@")
    if sep and at and ":" in auth:
        return f"{scheme}://{auth.split(':', 1)[0]}:***@{host}"
    return text


# -- SQLite files ---------------------------------------------------------------------------------
def check_sqlite_file(path: Path) -> None:
    """Refuse a path that cannot hold an accord store, before SQLite opens (and so changes) it.

    A missing file is fine (its folder is made); an empty file is a new store. Anything else must
    be a whole SQLite database: its header read and its size checked against the page count the
    header gives, so a truncated copy is named as such instead of failing on some later query.
    Whether a SQLite database is accord's is decided once it is open (:mod:`accord.store.schema`).
    """
    if path.is_dir():
        raise BadStore(f"{path} is a directory, not a database file; name a file in it, e.g. {path / 'accord.db'}")
    if not path.exists():
        if path.is_symlink():
            raise BadStore(f"{path} is a link to {os.readlink(path)}, which does not exist")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BadStore(f"cannot make the folder {path.parent} for the store {path}: "
                           f"{exc.strerror or exc}") from None
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise BadStore(f"cannot create the store {path}: the folder {path.parent} is not writable")
        return
    if not path.is_file():
        raise BadStore(f"{path} is not a regular file (a device, a pipe or a socket), so it cannot be a store")
    try:
        with path.open("rb") as f:
            head = f.read(100)
        size = path.stat().st_size
    except OSError as exc:
        raise BadStore(f"cannot read {path}: {exc.strerror or exc}") from None
    _check_writable(path)
    if size == 0:
        return
    if len(head) < len(SQLITE_MAGIC) and SQLITE_MAGIC.startswith(head):
        raise BadStore(f"{path} is damaged: a truncated SQLite file of {size} bytes, shorter than its own header")
    if not head.startswith(SQLITE_MAGIC):
        raise BadStore(f"{path} is not a SQLite database ({_describe(head)}); accord's store is a SQLite "
                       "file that accord creates itself: give the name of a new file or of an accord store")
    if len(head) < 100:
        raise BadStore(f"{path} is damaged: a truncated SQLite file of {size} bytes, shorter than its own header")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise BadStore(f"{path} is damaged: its SQLite header gives an impossible page size ({page_size})")
    pages = int.from_bytes(head[28:32], "big")
    header_counts = head[24:28] == head[92:96]  # SQLite trusts the page count only then
    wal = path.with_name(path.name + "-wal")
    recovering = wal.exists() and wal.stat().st_size > 0  # a crashed writer's log: SQLite replays it
    if not recovering and size % page_size:
        raise BadStore(f"{path} is damaged: {size} bytes is not a whole number of its {page_size}-byte pages "
                       "(a truncated or partly copied file)")
    if not recovering and header_counts and pages and size < pages * page_size:
        raise BadStore(f"{path} is damaged: it holds {size // page_size} of the {pages} pages its header "
                       f"counts ({size} of {pages * page_size} bytes; a truncated or partly copied file)")


def _check_writable(path: Path) -> None:
    """A store is written to: the file, and its folder (SQLite keeps a -wal and a -shm file
    beside it) or those two files when they exist already."""
    if not os.access(path, os.R_OK | os.W_OK):
        raise BadStore(f"{path} is read-only for this user; accord writes to its store (every save, every "
                       "run): make it writable (chmod u+w) or copy it to a file you may write")
    side = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
    for f in side:
        if f.exists() and not os.access(f, os.R_OK | os.W_OK):
            raise BadStore(f"{path} cannot be written: {f.name} beside it is read-only for this user")
    if not all(f.exists() for f in side) and not os.access(path.parent, os.W_OK | os.X_OK):
        raise BadStore(f"{path} is in a read-only folder ({path.parent}): SQLite writes its -wal and -shm files "
                       "beside the store; make the folder writable or copy the file somewhere writable")


def _describe(head: bytes) -> str:
    """A few words on what a file that is not a SQLite database seems to be."""
    try:  # the first 100 bytes may end inside a character: an incremental decoder leaves it out
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() or c in "\t\r\n\f\v" for c in text):
        first = text.strip().splitlines()[0][:40] if text.strip() else ""
        return f"it is a text file starting {first!r}" if first else "it is a text file of blank lines"
    return f"its first bytes are {head[:8].hex(' ')}"


# -- engines --------------------------------------------------------------------------------------
def make_engine(target: Target, timeout: float = LOCK_TIMEOUT) -> Engine:
    """An engine for ``target``; SQLite files are looked at first (:func:`check_sqlite_file`).

    SQLite: ``synchronous=FULL`` (write-ahead logging is set by the store, see
    :meth:`accord.store.Store._open`), foreign keys on, a busy timeout of
    ``timeout`` seconds, and transactions begun by SQLAlchemy (``BEGIN IMMEDIATE`` for writers, so
    the read-check-insert of a save is atomic). PostgreSQL: psycopg 3, ``lock_timeout`` of
    ``timeout`` seconds, connections checked before use.
    """
    if target.backend == "sqlite":
        return _sqlite_engine(target, timeout)
    try:
        import psycopg  # noqa: F401  - only to say clearly that it is missing
    except ImportError as exc:
        raise StoreError(f"{target.shown} is a PostgreSQL database and the psycopg driver cannot be loaded "
                         f"({exc}): {INSTALL_POSTGRES}") from None
    return create_engine(
        target.url, pool_pre_ping=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT,
                      "options": f"-c lock_timeout={int(timeout * 1000)}",
                      "application_name": "accord"},
    )


def _sqlite_engine(target: Target, timeout: float) -> Engine:
    if target.path is not None:
        check_sqlite_file(target.path)
    engine = create_engine(
        target.url,
        connect_args={"check_same_thread": False, "timeout": timeout},
        poolclass=StaticPool if target.memory else None,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own implicit
        # transactions would defer the write lock and ignore BEGIN IMMEDIATE).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            # Write-ahead logging is switched on by the store once it has seen that the file is
            # its own (it is a setting kept in the file: a foreign database must not get it).
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        write = conn.get_execution_options().get("accord_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def insert_for(conn):
    """The back-end's INSERT construct, which has ``on_conflict_do_update`` / ``_do_nothing``."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


# -- failures -------------------------------------------------------------------------------------
#: PostgreSQL error codes (SQLSTATE) that mean "wait and try again".
_PG_BUSY = {"55P03": "a lock another session holds", "40001": "a concurrent transaction",
            "40P01": "a deadlock with another session", "57014": "a statement timeout"}


def database_error(exc: DBAPIError, target: Target, timeout: float = LOCK_TIMEOUT) -> StoreError:
    """The store error a database failure means, with a message naming the store."""
    where = target.shown
    orig = getattr(exc, "orig", None) or exc
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    low = first.lower()
    if target.backend == "sqlite":
        if "locked" in low or "busy" in low:
            return StoreLocked(f"{where} is locked by another program (waited {timeout:g} s for it); nothing was "
                               "changed: try again once that program has finished")
        if "readonly" in low or "read-only" in low:
            return BadStore(f"{where} is read-only for this user (or its folder is: SQLite writes a -wal and a "
                            "-shm file beside it); accord needs to write to its store: change the permissions "
                            "or copy the file somewhere writable")
        if "malformed" in low or "not a database" in low or "encrypted" in low or "corrupt" in low:
            return BadStore(f"{where} is damaged: SQLite says {first!r}")
        if "unable to open" in low:
            return BadStore(f"{where} cannot be opened: SQLite says {first!r} (is its folder writable?)")
        if "disk" in low or "full" in low:
            return StoreUnavailable(f"{where} cannot be written: SQLite says {first!r}")
        return StoreUnavailable(f"{where}: SQLite says {first!r}")
    code = getattr(orig, "sqlstate", None)
    if code is None:  # psycopg gives no SQLSTATE for a refused connection; its message says why
        detail = str(orig).lower()
        code = ("28P01" if "authentication failed" in detail or "no password supplied" in detail
                else "3D000" if "does not exist" in detail and "database" in detail
                else "28000" if "no pg_hba.conf entry" in detail else None)
        first = next((line.strip() for line in str(orig).splitlines() if "FATAL" in line), first)
    if code in _PG_BUSY:
        return StoreLocked(f"{where} is busy: the change waited for {_PG_BUSY[code]} and gave up "
                           f"(lock timeout {timeout:g} s); nothing was changed: try again")
    if code == "3D000":
        name = target.url.database
        return BadStore(f"{where}: the server has no database {name!r}; create it first (createdb {name}) "
                        "or name another")
    if code in ("28P01", "28000"):
        return BadStore(f"{where}: the server refused the login: {first}")
    if code == "42501":
        return BadStore(f"{where}: permission denied: {first}")
    if code == "25006":
        return BadStore(f"{where} is read-only (a read-only transaction or a standby server): {first}")
    if code is None or code.startswith("08") or code.startswith("57"):
        return StoreUnavailable(f"cannot reach the PostgreSQL server of {where}: {first}")
    return StoreUnavailable(f"{where}: PostgreSQL says {first} (SQLSTATE {code})")
