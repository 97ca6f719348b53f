"""The store's schema version: recorded, old stores migrated, newer ones refused, foreign ones left alone."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, text

from accord.scenario import from_arrays
from accord.store import SCHEMA_VERSION, BadStore, Store
from accord.store.backend import parse_target

sys.path.insert(0, str(Path(__file__).parent / "data"))
import store_v1  # noqa: E402

OLD = Path(__file__).parent / "data" / "store-v1.sqlite"


def pair(k: float = 1.0):
    return from_arrays([1, k], [[0], [100]], [[1], [0.5]], title="new")


@pytest.fixture
def v1_url(request, tmp_path) -> str:
    """A store of schema version 1 on each back-end: a copy of the stored file, or the same
    tables and rows built on the PostgreSQL server."""
    if request.param == "sqlite":
        path = tmp_path / "old.db"
        shutil.copyfile(OLD, path)
        return str(path)
    url = request.getfixturevalue("pg_url")
    store_v1.build(url)
    return url


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("v1_url", ["sqlite", "postgresql"], indirect=True)
def test_a_version_1_store_is_migrated_with_everything_in_it(v1_url):
    store = Store(v1_url)
    assert store.migrated_from == 1 and store.schema_version() == SCHEMA_VERSION
    assert store.counts() == {"scenarios": 2, "versions": 3, "runs": 2}
    listed = {s.id: (s.title, s.latest.number, s.n_versions, s.n_runs) for s in store.list_scenarios()}
    assert listed == {1: ("old pair", 2, 2, 1), 2: ("another", 1, 1, 1)}
    for sid, number, _title, yaml_text, message, created in store_v1.VERSIONS:
        stored, info = store.version_text(sid, number)
        assert (stored, info.message, info.created_at) == (yaml_text, message, created)
    scenario, _ = store.load(1, 2)
    assert scenario.actor("b").capability == 3
    assert store.run_results(1) == {"forecast": {"compromise": {"i": 75.0}}}
    assert store.run_info(2).seed == 2**31 - 1 and store.run_info(2).variant == "paper"
    assert store.get_setting("examples_loaded") == "1"
    # Version 2's change: seeds past 2**31 (the web form allows up to 2**32 - 1).
    run = store.create_run(1, 2, models=["mean"], seed=2**32 - 1)
    assert store.run_info(run.id).seed == 2**32 - 1
    assert store.save(1, pair(4), parent=2).number == 3
    assert store.create_scenario(pair()).scenario_id == 3
    store.close()
    again = Store(v1_url)
    assert again.migrated_from is None and again.counts()["versions"] == 5
    again.close()


def test_the_stored_old_file_is_the_one_the_builder_writes(tmp_path, monkeypatch):
    """tests/data/store-v1.sqlite is what `python tests/data/store_v1.py` writes (same tables and rows)."""
    monkeypatch.setattr(store_v1, "FILE", tmp_path / "fresh.sqlite")
    store_v1.main()

    def dump(path):
        conn = sqlite3.connect(path)
        out = list(conn.iterdump())
        conn.close()
        return out

    assert dump(tmp_path / "fresh.sqlite") == dump(OLD)


def test_migrating_fails_whole_or_not_at_all(tmp_path, monkeypatch):
    """A migration step that fails leaves the old store exactly as it was (one transaction)."""
    import accord.store.schema as schema

    path = tmp_path / "old.db"
    shutil.copyfile(OLD, path)

    def broken(conn):
        schema.meta.create(conn)
        raise BadStore("step failed halfway")

    monkeypatch.setitem(schema.MIGRATIONS, 1, broken)
    with pytest.raises(BadStore, match="halfway"):
        Store(str(path))
    conn = sqlite3.connect(path)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert names == {"scenarios", "versions", "runs", "settings"}
    monkeypatch.undo()
    assert Store(str(path)).migrated_from == 1


@pytest.mark.parametrize("v1_url", ["sqlite", "postgresql"], indirect=True)
def test_programs_opening_an_old_store_at_once_migrate_it_once(v1_url):
    import threading

    barrier = threading.Barrier(5)
    out = []

    def open_it():
        barrier.wait()
        try:
            out.append(Store(v1_url))
        except Exception as exc:  # noqa: BLE001
            out.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(s, Store) for s in out), out
    assert sorted(s.migrated_from or 0 for s in out) == [0, 0, 0, 0, 1]
    for s in out:
        s.close()


def test_a_store_from_a_newer_accord_is_refused(store_url):
    store = Store(store_url)
    store.create_scenario(pair())
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE accord_meta SET value = :v WHERE key = 'schema_version'"), {"v": SCHEMA_VERSION + 1})
        conn.execute(text("UPDATE accord_meta SET value = 'accord 9.0' WHERE key = 'written_by'"))
    store.close()
    with pytest.raises(BadStore) as exc:
        Store(store_url)
    message = str(exc.value)
    assert f"schema version {SCHEMA_VERSION + 1}" in message and "accord 9.0" in message
    assert f"up to {SCHEMA_VERSION}" in message and "Upgrade accord" in message
    assert parse_target(store_url).shown in message


def test_newer_store_message_names_the_file(tmp_path):
    path = tmp_path / "future.db"
    Store(str(path)).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE accord_meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    before = _digest(path)
    with pytest.raises(BadStore, match=rf"{path} is a store of schema version 99"):
        Store(str(path))
    assert _digest(path) == before


# -- databases of other applications ---------------------------------------------------------------
NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True).filter(lambda n: not n.startswith("sqlite"))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables=st.lists(NAMES, min_size=1, max_size=5, unique=True), wal=st.booleans())
def test_another_applications_sqlite_database_is_refused_and_left_untouched(tmp_path_factory, tables, wal):
    path = tmp_path_factory.mktemp("foreign") / "their.db"
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    for name in tables:
        conn.execute(f'CREATE TABLE "{name}" (id INTEGER PRIMARY KEY, note TEXT)')
        conn.execute(f'INSERT INTO "{name}" (note) VALUES (?)', (name,))
    conn.commit()
    conn.close()
    before = _digest(path)
    if set(tables) == set(store_v1.metadata.tables):  # pragma: no cover - four exact names: not drawn
        return
    with pytest.raises(BadStore) as exc:
        Store(str(path))
    assert str(path) in str(exc.value) and "not an accord store" in str(exc.value)
    assert "adds no tables" in str(exc.value)
    assert _digest(path) == before  # not even its journal mode changed
    conn = sqlite3.connect(path)
    assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")} == set(tables)
    conn.close()


@pytest.mark.parametrize("kind", ["one accord name", "accord names plus one", "foreign meta", "only a view"])
def test_lookalikes_of_an_accord_store_are_refused(store_url, kind):
    engine = create_engine(store_url if "://" in store_url else f"sqlite:///{store_url}")
    with engine.begin() as conn:
        if kind == "one accord name":
            conn.execute(text("CREATE TABLE scenarios (id INTEGER PRIMARY KEY, title TEXT)"))
        elif kind == "accord names plus one":
            store_v1.metadata.create_all(conn)
            conn.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
        elif kind == "only a view":
            conn.execute(text("CREATE VIEW answer AS SELECT 42 AS x"))
        else:
            conn.execute(text("CREATE TABLE accord_meta (key TEXT PRIMARY KEY, value TEXT)"))
            conn.execute(text("INSERT INTO accord_meta VALUES ('application', 'accordion-tuner')"))
        before = set(inspect(conn).get_table_names()) | set(inspect(conn).get_view_names())
    engine.dispose()
    with pytest.raises(BadStore, match="not an accord store"):
        Store(store_url)
    engine = create_engine(store_url if "://" in store_url else f"sqlite:///{store_url}")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) | set(inspect(conn).get_view_names()) == before
    engine.dispose()


def test_an_empty_file_becomes_a_new_store(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    store = Store(str(path))
    assert store.schema_version() == SCHEMA_VERSION and store.migrated_from is None
    store.close()


def test_an_accord_store_missing_a_table_is_damaged(store_url):
    Store(store_url).close()
    engine = create_engine(store_url if "://" in store_url else f"sqlite:///{store_url}")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE runs"))
    engine.dispose()
    with pytest.raises(BadStore, match="is damaged: it is an accord store without its table"):
        Store(store_url)
