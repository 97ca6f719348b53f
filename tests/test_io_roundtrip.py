"""Readers and writers round-trip, and the reference files load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accord.errors import AccordError
from accord.io import detect_format, from_frame, read_scenario, to_frame, write_scenario
from accord.io.yaml_format import dumps, loads

from conftest import SYRIA, shared


def same_arrays(a, b):
    x, y = a.arrays(), b.arrays()
    assert x.actor_ids == y.actor_ids and x.issue_ids == y.issue_ids
    np.testing.assert_allclose(x.capability, y.capability)
    np.testing.assert_allclose(x.position, y.position, equal_nan=True)
    np.testing.assert_allclose(x.salience, y.salience)
    np.testing.assert_allclose(x.status_quo, y.status_quo, equal_nan=True)
    np.testing.assert_array_equal(x.veto, y.veto)


def test_yaml_roundtrip_keeps_everything():
    s = read_scenario(SYRIA)
    again = loads(dumps(s), "again.yaml")
    assert again == s


def test_tidy_csv_roundtrip(tmp_path):
    s = read_scenario(SYRIA)
    write_scenario(s, tmp_path / "s.csv")
    assert detect_format(tmp_path / "s.csv") == "tidy"
    again = read_scenario(tmp_path / "s.csv")
    same_arrays(s, again)
    assert [a.name for a in again.actors] == [a.name for a in s.actors]


def test_dataframe_roundtrip():
    s = read_scenario(SYRIA)
    df = to_frame(s)
    assert isinstance(df, pd.DataFrame) and len(df) == len(s.stances)
    same_arrays(s, from_frame(df))


def test_bdm_csv_reads_the_emissions_example(tmp_path):
    path = shared("reference", "emissions", "actors.csv")
    assert detect_format(path) == "bdm"
    s = read_scenario(path)
    a = s.arrays()
    assert a.n_actors == 10 and a.n_issues == 1
    assert (a.lower[0], a.upper[0]) == (4.0, 10.0)
    write_scenario(s, tmp_path / "e.csv", format="bdm")
    same_arrays(s, read_scenario(tmp_path / "e.csv"))


def test_convert_command(tmp_path, run_cli):
    code, _, err = run_cli("convert", SYRIA, tmp_path / "s.csv")
    assert code == 0, err
    code, _, err = run_cli("convert", tmp_path / "s.csv", tmp_path / "s.yaml")
    assert code == 0, err
    same_arrays(read_scenario(SYRIA), read_scenario(tmp_path / "s.yaml"))


def test_format_can_be_overridden(tmp_path):
    path = tmp_path / "weird.txt"
    path.write_text("actor,issue,position,salience\na,x,10,0.5\nb,x,90,1\n")
    assert read_scenario(path, format="tidy").arrays().n_actors == 2
    with pytest.raises(Exception, match="unknown format"):
        read_scenario(path, format="excel")


def test_saved_file_is_never_partial(tmp_path, monkeypatch):
    """A failure while writing leaves the previous file intact (atomic replace)."""
    import accord.io._files as files

    s = read_scenario(SYRIA)
    target = tmp_path / "s.yaml"
    write_scenario(s, target)
    before = target.read_text()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", boom)
    with pytest.raises(AccordError, match="cannot write .*disk full"):
        write_scenario(s.replace(title="changed"), target)
    assert target.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.yaml"]
