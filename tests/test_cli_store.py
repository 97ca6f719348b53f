"""``accord store``: info, list, check, and whole stores moved between SQLite and PostgreSQL with
their counts checked; a damaged export imports nothing."""

from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.io import read_scenario
from accord.scenario import from_arrays
from accord.store import Store, StoreError
from accord.store.transfer import copy, export_file, import_file

from conftest import SYRIA


def pair(k: float = 1.0, title: str = "pair"):
    return from_arrays([1, k], [[0], [100]], [[1], [0.5]], title=title)


def fill(store: Store) -> None:
    """Scenarios with several versions, runs done and failed, a deleted scenario (a gap in the
    ids), unicode and NUL in titles, a seed past 2**31, settings."""
    syria = read_scenario(SYRIA)
    a = store.create_scenario(syria)
    store.save(a.scenario_id, syria.replace(title="Syria, B"), parent=1, message="ünïcode ✓")
    gone = store.create_scenario(pair(title="deleted"))
    b = store.create_scenario(pair(title="nul\x00 and 日本"))
    for k in range(2, 5):
        store.save(b.scenario_id, pair(k, title="nul\x00 and 日本"), parent=k - 1)
    run = store.create_run(a.scenario_id, 2, models=["compromise", "eum"], seed=2**32 - 1, draws=10,
                           variant="paper", params={"eum": {"variant": "paper"}})
    store.update_run(run.id, status="done", progress=1.0, results={"forecast": {"x": [1.5, None]}, "t": "é"})
    failed = store.create_run(b.scenario_id, 3, models=["mean"], seed=0)
    store.update_run(failed.id, status="failed", message="boom")
    store.delete_scenario(gone.scenario_id)
    store.set_setting("examples_loaded", "1")


def snapshot(store: Store) -> dict:
    """Everything a store holds, by id."""
    out = {"scenarios": {}, "runs": {}, "settings": store.get_setting("examples_loaded")}
    for s in store.list_scenarios():
        out["scenarios"][s.id] = (s.title, s.created_at, [
            (v.number, v.title, v.message, v.created_at, v.n_actors, store.version_text(s.id, v.number)[0])
            for v in store.versions(s.id)])
    for r in store.list_runs():
        out["runs"][r.id] = (r, store.run_results(r.id))
    return out


@pytest.fixture
def source(tmp_path):
    store = Store(str(tmp_path / "source.db"))
    fill(store)
    yield store
    store.close()


def test_export_then_import_on_each_back_end_keeps_everything(source, store_url, tmp_path, run_cli):
    out = tmp_path / "all.jsonl.gz"
    code, _, err = run_cli("store", "export", str(out), "--db", source.url)
    assert code == 0 and "exported 2 scenarios, 6 versions, 2 runs, 1 settings" in err
    with gzip.open(out, "rt") as f:
        lines = [json.loads(x) for x in f]
    assert lines[0]["format"] == "accord-store" and lines[-1] == {"end": {
        "scenarios": 2, "versions": 6, "runs": 2, "settings": 1}}
    code, _, err = run_cli("store", "import", str(out), "--db", store_url)
    assert code == 0 and "imported 2 scenarios, 6 versions, 2 runs, 1 settings" in err and "counts checked" in err
    target = Store(store_url)
    assert snapshot(target) == snapshot(source)
    # ids go on after the imported ones (PostgreSQL's sequences were moved on)
    assert target.create_scenario(pair()).scenario_id == 4
    run = target.create_run(1, 1, models=["mean"], seed=1)
    assert run.id == 3
    target.close()


def test_copy_sqlite_to_postgresql_and_back(source, pg_url, tmp_path, run_cli):
    code, _, err = run_cli("store", "copy", source.url, pg_url)
    assert code == 0 and "copied 2 scenarios, 6 versions, 2 runs" in err
    assert "***" in err and pg_url.split(":")[2].split("@")[0] not in err  # no password shown
    back = tmp_path / "back.db"
    code, _, err = run_cli("store", "copy", pg_url, str(back))
    assert code == 0
    pg, again = Store(pg_url), Store(str(back))
    assert snapshot(pg) == snapshot(source) == snapshot(again)
    pg.close()
    again.close()


def test_import_into_a_store_with_scenarios_needs_append(source, store_url, tmp_path):
    out = tmp_path / "all.jsonl"
    export_file(source, out)
    target = Store(store_url)
    mine = target.create_scenario(pair(title="mine"))
    with pytest.raises(StoreError, match="already holds 1 scenarios.*--append"):
        import_file(target, out)
    counts = import_file(target, out, append=True)
    assert counts == {"scenarios": 2, "versions": 6, "runs": 2, "settings": 1}
    titles = {s.id: s.title for s in target.list_scenarios()}
    assert titles[mine.scenario_id] == "mine" and len(titles) == 3
    assert sorted(titles) == [1, 2, 3]  # new ids after the ones there
    runs = target.list_runs()
    assert {r.scenario_id for r in runs} <= set(titles) - {mine.scenario_id}
    appended = max(titles)
    assert target.versions(appended)[0].number == 4
    target.close()


def test_info_list_and_check(source, run_cli):
    code, out, _ = run_cli("store", "info", "--db", source.url, "--format", "json")
    info = json.loads(out)
    assert code == 0 and info["schema_version"] == 2 and info["versions"] == 6 and info["backend"] == "sqlite"
    code, out, _ = run_cli("store", "list", "--db", source.url, "--format", "json")
    assert code == 0 and [r["versions"] for r in json.loads(out)] == [4, 2]
    code, _, err = run_cli("store", "check", "--db", source.url)
    assert code == 0 and "6 versions of 2 scenarios read back" in err


# -- damaged exports -------------------------------------------------------------------------------
@pytest.fixture
def export_lines(source, tmp_path) -> list[str]:
    out = tmp_path / "all.jsonl"
    export_file(source, out)
    return out.read_text().splitlines()


def _import_fails(lines: list[str], tmp_path, match: str, store_url: str | None = None) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    target = Store(store_url or str(tmp_path / "target.db"))
    with pytest.raises(StoreError, match=match):
        import_file(target, bad)
    assert target.counts() == {"scenarios": 0, "versions": 0, "runs": 0}  # nothing was imported
    target.close()


def test_truncated_export_imports_nothing(export_lines, store_url, tmp_path):
    _import_fails(export_lines[:-1], tmp_path, "truncated export", store_url)
    _import_fails(export_lines[:5], tmp_path, "truncated export", store_url)


def test_count_mismatch_imports_nothing(export_lines, tmp_path):
    lines = list(export_lines)
    end = json.loads(lines[-1])
    end["end"]["versions"] += 1
    lines[-1] = json.dumps(end)
    _import_fails(lines, tmp_path, "closing line counts")
    dropped = [x for x in export_lines if '"run"' not in x[:8]]
    _import_fails(dropped, tmp_path, "closing line counts")


@pytest.mark.parametrize(("edit", "match"), [
    (lambda r: r["version"].update(yaml="accord: 1\ntitle: [unclosed"), "YAML is not a valid scenario"),
    (lambda r: r["version"].update(number=7), "jumps from version"),
    (lambda r: r["version"].update(scenario_id=99), "which the file does not hold"),
    (lambda r: r["version"].update(n_actors="two"), "n_actors must be a whole number"),
    (lambda r: r["version"].update(colour="red"), "unknown field 'colour'"),
    (lambda r: r["version"].pop("yaml"), "yaml is missing"),
    (lambda r: r["version"].update(title="x" * 501), "at most 500"),
])
def test_a_bad_version_record_imports_nothing(export_lines, tmp_path, edit, match):
    lines = list(export_lines)
    k = next(i for i, x in enumerate(lines) if x.startswith('{"version"'))
    record = json.loads(lines[k])
    edit(record)
    lines[k] = json.dumps(record)
    _import_fails(lines, tmp_path, match)


@pytest.mark.parametrize(("edit", "match"), [
    (lambda r: r["run"].update(version=99), "which the file does not hold"),
    (lambda r: r["run"].update(results="{not json"), "results is not JSON"),
    (lambda r: r["run"].update(status="exploded"), "unknown status"),
    (lambda r: r["run"].update(seed=True), "seed must be a whole number"),
    (lambda r: r["run"].update(seed=2**70), "out of range"),
])
def test_a_bad_run_record_imports_nothing(export_lines, tmp_path, edit, match):
    lines = list(export_lines)
    k = next(i for i, x in enumerate(lines) if x.startswith('{"run"'))
    record = json.loads(lines[k])
    edit(record)
    lines[k] = json.dumps(record)
    _import_fails(lines, tmp_path, match)


def test_not_an_export(tmp_path, run_cli):
    target = tmp_path / "t.db"
    for name, content, match in [
        ("empty.jsonl", "", "is empty"),
        ("yaml.jsonl", "accord: 1\n", "not a JSON record"),
        ("other.jsonl", '{"format": "something"}\n', "not an accord store export"),
        ("future.jsonl", '{"format": "accord-store", "format_version": 99}\n', "export format version 99"),
        ("list.jsonl", '{"format": "accord-store", "format_version": 1}\n[1]\n', "expected a JSON object"),
    ]:
        path = tmp_path / name
        path.write_text(content)
        code, _, err = run_cli("store", "import", str(path), "--db", str(target))
        assert code == 2 and match in err, (name, err)
    code, _, err = run_cli("store", "import", str(tmp_path), "--db", str(target))
    assert code == 2 and "is a directory" in err
    (tmp_path / "bad.gz").write_bytes(gzip.compress(b'{"format": "accord-store", "format_version": 1}\n')[:-9])
    code, _, err = run_cli("store", "import", str(tmp_path / "bad.gz"), "--db", str(target))
    assert code == 2 and "damaged or truncated export" in err


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damage_to_an_export_imports_all_or_nothing(export_lines, tmp_path_factory, data):
    """Lines dropped, duplicated or cut short: the import either takes all of an export that is
    still whole, or fails with a store error and leaves the target empty."""
    lines = list(export_lines)
    k = data.draw(st.integers(0, len(lines) - 1), label="line")
    how = data.draw(st.sampled_from(["drop", "duplicate", "cut"]), label="how")
    if how == "drop":
        del lines[k]
    elif how == "duplicate":
        lines.insert(k, lines[k])
    else:
        lines[k] = lines[k][: data.draw(st.integers(0, max(len(lines[k]) - 1, 0)), label="cut at")]
    folder = tmp_path_factory.mktemp("damaged")
    bad = folder / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    target = Store(str(folder / "t.db"))
    try:
        import_file(target, bad)
    except StoreError:
        assert target.counts() == {"scenarios": 0, "versions": 0, "runs": 0}
    else:
        assert target.counts() == {"scenarios": 2, "versions": 6, "runs": 2}
    target.close()


def test_copy_refuses_a_bad_source_before_touching_the_target(tmp_path, run_cli):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a store\n")
    code, _, err = run_cli("store", "copy", str(bad), str(tmp_path / "t.db"))
    assert code == 2 and "is not a SQLite database" in err
    assert not (tmp_path / "t.db").exists()


def test_copy_function_counts(source, tmp_path):
    target = Store(str(tmp_path / "copy.db"))
    assert copy(source, target) == {"scenarios": 2, "versions": 6, "runs": 2, "settings": 1}
    assert snapshot(target) == snapshot(source)
    target.close()
