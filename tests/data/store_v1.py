"""A store of schema version 1 (accord 0.1.0 before the store recorded its schema version).

``build(url)`` writes the version-1 tables, exactly as that accord created them, and a little
content into an empty database; ``python tests/data/store_v1.py`` (re)writes
``tests/data/store-v1.sqlite``, the stored old-version file the migration tests open. The
schema below is frozen: it must not follow later changes to accord.store.schema.
"""

from __future__ import annotations

import sys
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
    insert,
    text,
)

HERE = Path(__file__).resolve().parent
FILE = HERE / "store-v1.sqlite"

metadata = MetaData()
Table(
    "scenarios", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(500), nullable=False),
    Column("created_at", String(32), nullable=False),
)
Table(
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
Table(
    "runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scenario_id", Integer, ForeignKey("scenarios.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("models", Text, nullable=False),
    Column("variant", String(200)),
    Column("params", Text, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("draws", Integer, nullable=False, default=0),
    Column("accord_version", String(50), nullable=False),
    Column("status", String(20), nullable=False),
    Column("progress", Float, nullable=False, default=0.0),
    Column("message", Text, nullable=False, default=""),
    Column("results", Text),
    Column("created_at", String(32), nullable=False),
    Column("finished_at", String(32)),
)
Table(
    "settings", metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)


def _yaml(cap_b: int, title: str) -> str:
    return (f"accord: 1\n\ntitle: {title}\n\nactors:\n- id: a\n  name: A\n  capability: 1\n- id: b\n  name: B\n"
            f"  capability: {cap_b}\n\nissues:\n- id: i\n  name: I\n\nstances:\n  a:\n    i:\n      position: 0\n"
            "      salience: 1\n  b:\n    i:\n      position: 100\n      salience: 0.5\n")


#: What build() stores (the tests compare the migrated store with it).
SCENARIOS = [(1, "old pair", "2024-05-01T10:00:00Z"), (2, "another", "2024-05-02T10:00:00Z")]
VERSIONS = [
    (1, 1, "old pair", _yaml(1, "old pair"), "created", "2024-05-01T10:00:00Z"),
    (1, 2, "old pair", _yaml(3, "old pair"), "b is stronger", "2024-05-01T11:00:00Z"),
    (2, 1, "another", _yaml(2, "another"), "created", "2024-05-02T10:00:00Z"),
]
RUNS = [
    (1, 1, 2, '["compromise"]', None, "{}", 7, 0, "0.1.0", "done", 1.0, "done",
     '{"forecast":{"compromise":{"i":75.0}}}', "2024-05-01T12:00:00Z", "2024-05-01T12:00:01Z"),
    (2, 2, 1, '["eum"]', "paper", '{"eum":{"variant":"paper"}}', 2**31 - 1, 100, "0.1.0", "failed", 0.2,
     "interrupted: the server stopped before the run finished", None, "2024-05-02T12:00:00Z",
     "2024-05-02T12:05:00Z"),
]


def build(url: str) -> None:
    """Create the version-1 tables in the empty database at ``url`` and fill them."""
    engine = create_engine(url)
    t = metadata.tables
    with engine.begin() as conn:
        metadata.create_all(conn)
        conn.execute(insert(t["scenarios"]), [dict(id=i, title=ti, created_at=c) for i, ti, c in SCENARIOS])
        conn.execute(insert(t["versions"]), [
            dict(scenario_id=s, number=n, title=ti, yaml=y, n_actors=2, n_issues=1, message=m, created_at=c)
            for s, n, ti, y, m, c in VERSIONS
        ])
        keys = ("id", "scenario_id", "version", "models", "variant", "params", "seed", "draws", "accord_version",
                "status", "progress", "message", "results", "created_at", "finished_at")
        conn.execute(insert(t["runs"]), [dict(zip(keys, r, strict=True)) for r in RUNS])
        conn.execute(insert(t["settings"]), [{"key": "examples_loaded", "value": "1"}])
        if conn.dialect.name == "postgresql":  # rows were given their ids: move the sequences on
            for name in ("scenarios", "versions", "runs"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), MAX(id)) FROM {name}"))
    engine.dispose()


def main() -> int:
    FILE.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{FILE}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")  # as accord 0.1.0 left its files
    engine.dispose()
    build(f"sqlite:///{FILE}")
    print(f"wrote {FILE} ({FILE.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
