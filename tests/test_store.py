"""The versioned store: saves never overwrite, stale saves conflict, runs keep their provenance.

Every test that takes ``store`` runs on SQLite and on PostgreSQL (see ``store_url`` in conftest).
"""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from accord import __version__
from accord.errors import ScenarioError
from accord.io import read_scenario
from accord.scenario import from_arrays
from accord.store import Conflict, NotFound, Store, StoreError, as_url, default_path, default_url

from conftest import SYRIA


def small(cap_b: float = 1.0, title: str = "two actors"):
    return from_arrays([1, cap_b], [[0], [100]], [[1, ], [0.5]], title=title)


@pytest.fixture
def store(store_url):
    s = Store(store_url)
    yield s
    s.close()


def test_save_creates_a_new_version_and_keeps_the_old(store):
    v1 = store.create_scenario(small(1.0))
    v2 = store.save(v1.scenario_id, small(3.0), parent=1, message="B is stronger")
    assert (v1.number, v2.number) == (1, 2)
    assert [v.number for v in store.versions(v1.scenario_id)] == [2, 1]
    old, _ = store.load(v1.scenario_id, 1)
    new, info = store.load(v1.scenario_id)
    assert old.actor("a1").capability == 1.0 and new.actor("a1").capability == 3.0
    assert info.number == 2 and info.message == "B is stronger"


def test_syria_round_trips_exactly(store):
    s = read_scenario(SYRIA)
    v = store.create_scenario(s)
    again, info = store.load(v.scenario_id)
    assert again == s
    assert (info.n_actors, info.n_issues) == (len(s.actors), len(s.issues))


def test_stale_save_conflicts_instead_of_overwriting(store):
    v1 = store.create_scenario(small(1.0))
    store.save(v1.scenario_id, small(2.0), parent=1)  # Alice saves version 2
    with pytest.raises(Conflict) as exc:
        store.save(v1.scenario_id, small(5.0), parent=1)  # Bob edited version 1 too
    assert exc.value.latest == 2 and exc.value.parent == 1
    assert "version 2" in str(exc.value) and "not saved" in str(exc.value)
    latest, info = store.load(v1.scenario_id)
    assert info.number == 2 and latest.actor("a1").capability == 2.0


def test_saving_on_a_version_that_does_not_exist_is_refused(store):
    v1 = store.create_scenario(small())
    with pytest.raises(StoreError, match="does not exist"):
        store.save(v1.scenario_id, small(), parent=7)


def test_invalid_scenario_is_never_stored(store):
    bad = from_arrays([1, 1], [[0], [100]], [[1], [1.5]])  # salience above 1
    with pytest.raises(ScenarioError, match="salience"):
        store.create_scenario(bad)
    assert store.list_scenarios() == []
    v1 = store.create_scenario(small())
    with pytest.raises(ScenarioError):
        store.save(v1.scenario_id, bad, parent=1)
    assert store.latest_number(v1.scenario_id) == 1


def test_concurrent_saves_on_one_parent_let_exactly_one_through(store):
    v1 = store.create_scenario(small())
    outcomes = []

    def save(k):
        try:
            outcomes.append(store.save(v1.scenario_id, small(1.0 + k), parent=1).number)
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes, key=str) == [2] + ["conflict"] * 5
    assert [v.number for v in store.versions(v1.scenario_id)] == [2, 1]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lags=st.lists(st.integers(0, 3), min_size=1, max_size=12))
def test_versions_stay_contiguous_whatever_the_parents(store, lags):
    """Saving with a parent `lag` versions behind the latest succeeds only when lag is 0."""
    v = store.create_scenario(small())
    expected = 1
    for k, lag in enumerate(lags):
        parent = max(expected - lag, 1)
        try:
            info = store.save(v.scenario_id, small(1.0 + k), parent=parent)
            assert parent == expected
            expected = info.number
        except Conflict:
            assert parent != expected
    assert [x.number for x in store.versions(v.scenario_id)] == list(range(expected, 0, -1))


def test_duplicate_and_delete(store):
    v1 = store.create_scenario(small(title="base"))
    store.save(v1.scenario_id, small(2.0, title="base"), parent=1)
    copy = store.duplicate(v1.scenario_id, 1)
    dup, info = store.load(copy.scenario_id)
    assert info.number == 1 and dup.title == "base (copy)" and dup.actor("a1").capability == 1.0
    run = store.create_run(v1.scenario_id, 2, models=["compromise"], seed=1)
    store.delete_scenario(v1.scenario_id)
    with pytest.raises(NotFound):
        store.load(v1.scenario_id)
    with pytest.raises(NotFound):
        store.run_info(run.id)
    assert [s.id for s in store.list_scenarios()] == [copy.scenario_id]
    with pytest.raises(NotFound):
        store.delete_scenario(v1.scenario_id)


def test_runs_keep_model_variant_params_seed_version_and_results(store):
    v1 = store.create_scenario(small())
    run = store.create_run(v1.scenario_id, 1, models=["eum", "compromise"], seed=42, draws=200, variant="paper",
                           params={"eum": {"variant": "paper", "rounds": 5}})
    assert run.status == "queued" and run.accord_version == __version__
    store.update_run(run.id, status="running", progress=0.5, message="draws")
    store.update_run(run.id, status="done", progress=1.0, results={"forecast": [1.0, float("nan")]})
    info = store.run_info(run.id)
    assert (info.models, info.variant, info.seed, info.draws) == (["eum", "compromise"], "paper", 42, 200)
    assert info.params == {"eum": {"variant": "paper", "rounds": 5}}
    assert info.status == "done" and info.finished_at
    assert store.run_results(run.id) == {"forecast": [1.0, None]}  # NaN stored as null
    assert [r.id for r in store.list_runs(v1.scenario_id)] == [run.id]
    assert store.scenario_info(v1.scenario_id).n_runs == 1


def test_run_of_a_missing_version_or_with_a_bad_status_is_refused(store):
    v1 = store.create_scenario(small())
    with pytest.raises(NotFound):
        store.create_run(v1.scenario_id, 9, models=["mean"], seed=0)
    run = store.create_run(v1.scenario_id, 1, models=["mean"], seed=0)
    with pytest.raises(StoreError):
        store.update_run(run.id, status="exploded")
    with pytest.raises(NotFound):
        store.update_run(10_000, status="done")


def test_unfinished_runs_are_marked_failed_on_restart(store):
    v1 = store.create_scenario(small())
    run = store.create_run(v1.scenario_id, 1, models=["mean"], seed=0)
    assert store.fail_unfinished_runs() == 1
    info = store.run_info(run.id)
    assert info.status == "failed" and "interrupted" in info.message


def test_sqlite_is_durable_wal_with_full_sync(tmp_path):
    store = Store(str(tmp_path / "accord.db"))
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    store.close()


def test_default_location(monkeypatch, tmp_path):
    monkeypatch.delenv("ACCORD_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_path() == tmp_path / "accord" / "accord.db"
    assert default_url() == f"sqlite:///{tmp_path / 'accord' / 'accord.db'}"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert str(default_path()).endswith(".local/share/accord/accord.db")
    monkeypatch.setenv("ACCORD_DB", str(tmp_path / "x.db"))
    assert default_url() == f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("ACCORD_DB", "postgresql+psycopg://u@h/db")
    assert default_url() == "postgresql+psycopg://u@h/db"
    assert as_url("sqlite://") == "sqlite://"


def test_settings(store):
    assert store.get_setting("k") is None
    store.set_setting("k", "1")
    store.set_setting("k", "2")
    assert store.get_setting("k") == "2"


def test_values_sqlite_takes_and_postgresql_needs_care_with(store):
    """Seeds up to 2**32 - 1 (the web form's limit), NUL characters in titles and messages, ids
    far beyond any row: the same answers on both back-ends."""
    title = "nul\x00title"
    v1 = store.create_scenario(small(title=title))
    v2 = store.save(v1.scenario_id, small(2.0, title=title), parent=1, message="a\x00b")
    assert v2.message == "a\ufffdb" and store.versions(v1.scenario_id)[0].message == "a\ufffdb"
    assert store.load(v1.scenario_id)[0].title == title  # the YAML keeps it
    assert store.list_scenarios()[0].title == "nul\ufffdtitle"
    run = store.create_run(v1.scenario_id, 2, models=["mean"], seed=2**32 - 1, variant="x\x00")
    assert store.run_info(run.id).seed == 2**32 - 1
    for call in (lambda: store.load(2**62), lambda: store.run_info(2**62), lambda: store.load(v1.scenario_id, 2**62)):
        with pytest.raises(NotFound):
            call()


def test_counts_settings_once_and_schema_version(store):
    from accord.store import SCHEMA_VERSION

    assert store.counts() == {"scenarios": 0, "versions": 0, "runs": 0}
    v1 = store.create_scenario(small())
    store.save(v1.scenario_id, small(2.0), parent=1)
    store.create_run(v1.scenario_id, 1, models=["mean"], seed=0)
    assert store.counts() == {"scenarios": 1, "versions": 2, "runs": 1}
    assert store.add_setting("once", "a") is True
    assert store.add_setting("once", "b") is False
    assert store.get_setting("once") == "a"
    assert store.schema_version() == SCHEMA_VERSION and store.migrated_from is None


def test_password_never_shown(pg_url):
    from sqlalchemy import make_url

    password = make_url(pg_url).password
    store = Store(pg_url)
    assert password and password not in store.where and "***" in store.where
    store.close()
