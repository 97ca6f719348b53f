"""docs/store.md quotes the store's messages: each quoted phrase is what accord says."""

from __future__ import annotations

import sqlite3

import pytest

from accord.store import BadStore, Store, StoreError

from conftest import ROOT

DOC = (ROOT / "docs" / "store.md").read_text()


def _message(make) -> str:
    with pytest.raises(StoreError) as exc:
        make()
    return str(exc.value)


def test_quoted_messages_are_the_real_ones(tmp_path):
    text_file = tmp_path / "t.csv"
    text_file.write_text("id,title\n1,x\n")
    foreign = tmp_path / "f.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE moz_places (id INTEGER)")
    conn.commit()
    conn.close()
    cut = tmp_path / "cut.db"
    Store(str(tmp_path / "whole.db")).close()
    whole = (tmp_path / "whole.db").read_bytes()
    cut.write_bytes(whole[: len(whole) // 2 // 4096 * 4096 or 4096])
    cases = {
        "is a directory, not a database file; name a file in it": lambda: Store(str(tmp_path)),
        "is not a SQLite database (it is a text file starting 'id,title')": lambda: Store(str(text_file)),
        "is not an accord store: it holds another application's tables": lambda: Store(str(foreign)),
        "pages its header counts": lambda: Store(str(cut)),
        "pip install 'accord[postgres]'": lambda: Store("postgresql+psycopg2://u@h/db"),
    }
    for phrase, make in cases.items():
        assert phrase in DOC, phrase
        assert phrase in _message(make), phrase
    with pytest.raises(BadStore):
        Store(str(cut))


def test_the_url_table_forms_are_accepted():
    from accord.store.backend import parse_target

    for form in ("postgresql://USER:PASSWORD@HOST:5432/DATABASE", "postgres://u@h/d", "postgresql+psycopg://u@h/d",
                 "sqlite:///relative/path.db", "sqlite:////absolute/path.db", "sqlite://", "~/work/syria.db"):
        assert parse_target(form).backend in ("sqlite", "postgresql")
