"""Shared fixtures: paths to the example and to the shared reference data, the store's back-ends."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
EXAMPLES = ROOT / "examples"
SYRIA = EXAMPLES / "syria-issg-2015.yaml"
#: The smallest valid scenario file: two actors, one issue (the bad-input tests mutate it).
TWO_ACTORS_YAML = """\
title: t
actors:
  - {id: a, name: A, capability: 1}
  - {id: b, name: B, capability: 2}
issues:
  - {id: x, name: X}
stances:
  a:
    x: {position: 10, salience: 0.5}
  b:
    x: {position: 90, salience: 0.5}
"""


def shared(*parts: str) -> Path:
    """A file under ../shared/data, or skip when the reference data is not beside the checkout."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"reference data not found: {p}")
    return p


def result_arrays(result) -> dict:
    """A model's result as one dict of arrays: ``outcome`` and its other figures."""
    return {"outcome": result.outcome, **result.figures()}


def same_result(a, b) -> bool:
    """Two model results with the same figures, bit for bit (NaN equal to NaN)."""
    x, y = result_arrays(a), result_arrays(b)
    return x.keys() == y.keys() and all(np.array_equal(x[k], y[k], equal_nan=True) for k in x)


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """Run the accord CLI in-process: returns (exit status, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        from accord.cli import main

        monkeypatch.setattr(sys, "argv", ["accord", *map(str, args)])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


# -- the store's back-ends ----------------------------------------------------------------------
#: A PostgreSQL server the store tests may use: a URL whose user may create databases (.ci/run
#: starts a throw-away server and sets it). Unset, the tests start a server of their own when
#: PostgreSQL's programs are installed, else they skip the PostgreSQL half and say why.
PG_ENV = "ACCORD_TEST_PG_URL"


@pytest.fixture(scope="session")
def pg_server_url():
    """The URL of a PostgreSQL server's maintenance database (see :data:`PG_ENV`)."""
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"PostgreSQL half skipped: psycopg cannot be loaded ({exc}); pip install 'accord[postgres]'")
    url = os.environ.get(PG_ENV, "").strip()
    if url:
        yield url
        return
    import pg_server

    if pg_server.find_bindir() is None:
        pytest.skip(f"PostgreSQL half skipped: ${PG_ENV} is unset and PostgreSQL's server programs are not "
                    "installed (Debian: apt-get install postgresql)")
    folder = tempfile.mkdtemp(prefix="accord-pg-")
    try:
        server = pg_server.start(folder)
    except (RuntimeError, OSError) as exc:
        pg_server.stop(folder)
        pytest.skip(f"PostgreSQL half skipped: no throw-away server could be started: {exc}")
    yield server.url
    pg_server.stop(folder)


@pytest.fixture(scope="session")
def pg_database(pg_server_url):
    """A database of this test process's own on the server (dropped at the end)."""
    from sqlalchemy import create_engine, make_url, text

    name = f"accord_test_{os.getpid()}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # a server given by URL that cannot be used must fail loudly
        admin.dispose()
        pytest.fail(f"cannot create a test database on {make_url(pg_server_url).render_as_string()}: {exc}")
    yield make_url(pg_server_url).set(drivername="postgresql+psycopg", database=name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def reset_pg(url) -> None:
    """Empty a test database: end its other sessions (a killed client's, a store left open),
    then drop and recreate the public schema."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def pg_url(pg_database) -> str:
    """The URL (with its password) of an empty PostgreSQL database for one test."""
    reset_pg(pg_database)
    return pg_database.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """An empty store on each back-end: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "accord.db")
    return request.getfixturevalue("pg_url")
