"""Damaged, foreign, read-only and locked stores, and bad store URLs: refused with a message that
names the store and what is wrong (the CLI exits 2), and never changed by the attempt."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from accord.errors import AccordError
from accord.io import read_scenario
from accord.scenario import from_arrays
from accord.store import BadStore, Store, StoreError, StoreLocked, StoreUnavailable
from accord.store import backend as store_backend
from accord.store.backend import SQLITE_MAGIC, parse_target

from conftest import SYRIA

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pair(k: float = 1.0):
    return from_arrays([1, k], [[0], [100]], [[1], [0.5]], title="pair")


@pytest.fixture(scope="module")
def good_store_bytes(tmp_path_factory) -> bytes:
    """A closed, checkpointed accord store with a few scenarios, versions and runs."""
    path = tmp_path_factory.mktemp("good") / "good.db"
    store = Store(str(path))
    syria = read_scenario(SYRIA)
    store.create_scenario(syria)
    for k in range(6):
        v = store.create_scenario(pair(k + 1))
        store.save(v.scenario_id, pair(k + 2), parent=1)
        run = store.create_run(v.scenario_id, 2, models=["compromise"], seed=k)
        store.update_run(run.id, status="done", results={"k": k})
    store.close()
    assert not Path(f"{path}-wal").exists()
    return path.read_bytes()


def refused(path: Path, match: str) -> str:
    """Open ``path`` expecting BadStore naming it; the file must be unchanged."""
    before = digest(path) if path.is_file() else None
    with pytest.raises(BadStore) as exc:
        Store(str(path))
    message = str(exc.value)
    assert str(path) in message, message
    assert match in message, message
    if before is not None:
        assert digest(path) == before
    return message


# -- files that are not stores --------------------------------------------------------------------
@SETTINGS
@given(raw=st.binary(min_size=1, max_size=5000))
def test_random_bytes_are_refused_unchanged(tmp_path_factory, raw):
    assume(not SQLITE_MAGIC.startswith(raw[:16]) and not raw.startswith(SQLITE_MAGIC))
    path = tmp_path_factory.mktemp("rand") / "random.db"
    path.write_bytes(raw)
    refused(path, "is not a SQLite database")


@SETTINGS
@given(content=st.text(min_size=1, max_size=2000).filter(lambda t: t.strip()))
def test_text_files_are_refused_as_text(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("text") / "notes.txt"
    path.write_text(content, encoding="utf-8")
    assume(not path.read_bytes().startswith(SQLITE_MAGIC[:1]))
    printable = all(c.isprintable() or c in "\t\r\n\f\v" for c in content[:100])
    refused(path, "is a text file" if printable else "is not a SQLite database")


@SETTINGS
@given(data=st.data())
def test_truncated_stores_are_refused_unchanged(tmp_path_factory, good_store_bytes, data):
    cut = data.draw(st.integers(1, len(good_store_bytes) - 1), label="bytes kept")
    path = tmp_path_factory.mktemp("cut") / "cut.db"
    path.write_bytes(good_store_bytes[:cut])
    message = refused(path, "is damaged")
    assert "truncated" in message


@SETTINGS
@given(data=st.data())
def test_overwritten_bytes_give_a_store_error_or_nothing(tmp_path_factory, good_store_bytes, data):
    """Garbage written over part of a store: opening and reading it back either works or fails
    with a store error (never another exception, never a traceback)."""
    raw = bytearray(good_store_bytes)
    start = data.draw(st.integers(0, len(raw) - 1), label="at")
    junk = data.draw(st.binary(min_size=1, max_size=600), label="junk")
    raw[start:start + len(junk)] = junk
    path = tmp_path_factory.mktemp("junk") / "junk.db"
    path.write_bytes(bytes(raw[:len(good_store_bytes)]))
    try:
        store = Store(str(path))
        try:
            for s in store.list_scenarios():
                for v in store.versions(s.id):
                    store.load(s.id, v.number)
            for r in store.list_runs():
                store.run_results(r.id)
        finally:
            store.close()
    except AccordError as exc:
        assert str(exc)


def test_a_directory_a_device_and_a_folder_that_cannot_be_made(tmp_path):
    refused(tmp_path, "is a directory")
    assert "name a file in it" in str(pytest.raises(BadStore, Store, str(tmp_path)).value)
    if Path("/dev/null").exists():
        with pytest.raises(BadStore, match="/dev/null is not a regular file"):
            Store("/dev/null")
    blocker = tmp_path / "plain-file"
    blocker.write_text("x")
    with pytest.raises(BadStore, match=f"cannot make the folder {blocker}"):
        Store(str(blocker / "sub" / "accord.db"))


def test_a_missing_folder_is_made(tmp_path):
    path = tmp_path / "new" / "deeper" / "accord.db"
    Store(str(path)).close()
    assert path.is_file()


# -- read-only and locked ---------------------------------------------------------------------------
def _without_override(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run the accord CLI so that file permissions bind it: as root, without the capabilities that
    let root write any file (util-linux's setpriv); as anyone else, as is."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv to drop the right to write read-only files")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]
    return subprocess.run([*prefix, sys.executable, "-c", "from accord.cli import main; main()", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_store_exits_2_naming_the_file(tmp_path, what):
    folder = tmp_path / "ro"
    path = folder / "ro.db"
    store = Store(str(path))
    store.create_scenario(pair())
    store.close()
    if what == "file":
        path.chmod(0o444)
    else:
        folder.chmod(0o555)  # the file may be written, but its -wal and -shm files cannot be made
    before = digest(path)
    try:
        done = _without_override(["store", "info", "--db", str(path)], tmp_path)
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)
    assert done.returncode == 2, done.stderr
    assert str(path) in done.stderr and "read-only" in done.stderr, done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert digest(path) == before


def _hold_lock(path: Path, mode: str, hold: threading.Event, ready: threading.Event) -> None:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    if mode == "exclusive-mode":
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("INSERT INTO settings VALUES ('held', '1')")
        conn.execute("COMMIT")  # in exclusive locking mode the lock stays after the commit
    else:
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("INSERT INTO settings VALUES ('held', '1')")
    ready.set()
    hold.wait(30)
    if mode != "exclusive-mode":
        conn.execute("ROLLBACK")
    conn.close()


@pytest.fixture
def locked(tmp_path):
    """A store whose lock another connection holds (``how``: a writer's transaction on the usual
    WAL store, or a program in exclusive locking mode); released at the end."""
    path = tmp_path / "locked.db"
    store = Store(str(path))
    sid = store.create_scenario(pair()).scenario_id
    store.close()
    hold, threads = threading.Event(), []

    def lock(mode: str) -> tuple[Path, int]:
        ready = threading.Event()
        t = threading.Thread(target=_hold_lock, args=(path, mode, hold, ready), daemon=True)
        t.start()
        threads.append(t)
        assert ready.wait(10)
        return path, sid

    yield lock
    hold.set()
    for t in threads:
        t.join(10)


def test_a_save_on_a_locked_store_fails_fast_and_clearly(locked):
    path, sid = locked("writer")
    store = Store(str(path), timeout=0.3)
    assert store.load(sid)[1].number == 1  # readers are not blocked by a writer (WAL)
    start = time.monotonic()
    with pytest.raises(StoreLocked) as exc:
        store.save(sid, pair(2), parent=1)
    assert time.monotonic() - start < 5
    assert str(path) in str(exc.value) and "locked by another program" in str(exc.value)
    assert "nothing was changed" in str(exc.value)
    assert isinstance(exc.value, StoreUnavailable)
    store.close()


def test_opening_a_store_held_in_exclusive_mode_fails_clearly(locked):
    path, _ = locked("exclusive-mode")
    with pytest.raises(StoreLocked, match=f"{path} is locked by another program"):
        Store(str(path), timeout=0.3)


def test_cli_on_a_locked_store_exits_2(locked, run_cli, monkeypatch):
    path, _ = locked("exclusive-mode")
    monkeypatch.setattr(store_backend, "LOCK_TIMEOUT", 0.3)
    code, _, err = run_cli("store", "info", "--db", str(path))
    assert code == 2 and str(path) in err and "locked" in err


def test_serve_refuses_a_store_locked_for_writing(locked, run_cli, monkeypatch):
    path, _ = locked("writer")
    monkeypatch.setattr(store_backend, "LOCK_TIMEOUT", 0.3)
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("serve started on a locked store"))
    code, _, err = run_cli("serve", "--db", str(path))
    assert code == 2 and str(path) in err and "locked" in err


# -- PostgreSQL ----------------------------------------------------------------------------------------
def test_postgresql_lock_wait_is_bounded(pg_url):
    from sqlalchemy import create_engine, text

    store = Store(pg_url, timeout=0.3)
    sid = store.create_scenario(pair()).scenario_id
    other = create_engine(pg_url)
    with other.connect() as conn, conn.begin():
        conn.execute(text("LOCK TABLE versions IN ACCESS EXCLUSIVE MODE"))
        start = time.monotonic()
        with pytest.raises(StoreLocked, match="busy"):
            store.save(sid, pair(2), parent=1)
        assert time.monotonic() - start < 5
    assert store.save(sid, pair(2), parent=1).number == 2  # and works once the lock is gone
    other.dispose()
    store.close()


def test_postgresql_server_problems_are_named(pg_url):
    from sqlalchemy import make_url

    url = make_url(pg_url)
    wrong_password = url.set(password="not-the-password").render_as_string(hide_password=False)
    with pytest.raises(BadStore, match="refused the login") as exc:
        Store(wrong_password)
    assert "not-the-password" not in str(exc.value)
    missing = url.set(database="no_such_db").render_as_string(hide_password=False)
    with pytest.raises(BadStore, match="createdb no_such_db"):
        Store(missing)
    with socket_closed_port() as port:
        closed = url.set(port=port).render_as_string(hide_password=False)
        with pytest.raises(StoreUnavailable, match="cannot reach the PostgreSQL server") as exc:
            Store(closed)
    assert url.password not in str(exc.value)


class socket_closed_port:
    """A loopback port nothing listens on."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def __exit__(self, *exc) -> None:
        return None


# -- URLs ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("url", "match"), [
    ("mysql://u@h/db", "unsupported database 'mysql'"),
    ("http://example.org/store", "unsupported database 'http'"),
    ("file:///tmp/x.db", "unsupported database 'file'"),
    ("postgresql+asyncpg://u:hunter2@h/db", "unknown PostgreSQL driver 'asyncpg'"),
    ("postgresql+psycopg2://u@h/db", "unknown PostgreSQL driver 'psycopg2'"),
    ("sqlite+aiosqlite:///x.db", "unknown SQLite driver 'aiosqlite'"),
    ("postgresql://u:hunter2@h", "names no database"),
    ("sqlite:///x.db?mode=ro", "options in a SQLite URL"),
    ("://nothing", "not a database URL"),
    ("", "no database given"),
    ("   ", "no database given"),
])
def test_bad_urls_are_refused_once_at_the_boundary(url, match, run_cli):
    with pytest.raises(StoreError, match=match) as exc:
        Store(url)
    assert "hunter2" not in str(exc.value)
    if url.strip():
        code, _, err = run_cli("store", "info", "--db", url)
        assert code == 2 and match.split("'")[0] in err and "hunter2" not in err


def test_accepted_url_forms():
    assert parse_target("postgres://u:p@h/db").url.drivername == "postgresql+psycopg"
    assert parse_target("postgresql://u:p@h:5433/db").url.port == 5433
    assert parse_target("postgresql+psycopg://u@h/db").shown == "postgresql+psycopg://u@h/db"
    assert parse_target("postgresql://u:secret@h/db").shown == "postgresql+psycopg://u:***@h/db"
    assert parse_target("sqlite://").memory and parse_target("sqlite:///:memory:").memory
    assert parse_target("~/x.db").path == Path("~/x.db").expanduser()
    assert parse_target("sqlite:///rel.db").path == Path.cwd() / "rel.db"


def test_a_missing_driver_says_what_to_install(monkeypatch, run_cli):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` now raises ImportError
    with pytest.raises(StoreError, match=r"pip install 'accord\[postgres\]'"):
        Store("postgresql://u@localhost/db")
    code, _, err = run_cli("serve", "--db", "postgresql://u:pw@localhost/db")
    assert code == 2 and "pip install 'accord[postgres]'" in err


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_a_target_or_a_clear_refusal(raw):
    try:
        target = parse_target(raw)
    except StoreError as exc:
        assert str(exc)
        return
    assert target.backend in ("sqlite", "postgresql")


@pytest.mark.parametrize("case", ["text", "directory", "foreign", "truncated"])
def test_cli_exits_2_naming_the_file(case, tmp_path, run_cli, good_store_bytes, monkeypatch):
    path = tmp_path / "case.db"
    if case == "text":
        path.write_text("id,title\n1,hello\n")
    elif case == "directory":
        path.mkdir()
    elif case == "foreign":
        conn = sqlite3.connect(path)
        conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
        conn.commit()
        conn.close()
    else:
        path.write_bytes(good_store_bytes[: len(good_store_bytes) // 3])
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("serve started on a bad store"))
    for args in (["store", "info", "--db", str(path)], ["serve", "--db", str(path)],
                 ["store", "export", str(tmp_path / "out.jsonl"), "--db", str(path)]):
        code, _, err = run_cli(*args)
        assert code == 2, (args, err)
        assert str(path) in err and "internal error" not in err
    if case == "foreign":
        conn = sqlite3.connect(path)
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["moz_places"]
        conn.close()
