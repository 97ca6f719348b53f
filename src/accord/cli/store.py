"""``accord store``: look at a store, check it, and move it between SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import Fmt, _print_json, app, err, out

store_app = typer.Typer(
    no_args_is_help=True,
    help="The store of scenarios, versions and runs: info, list, check, export, import, copy.",
)
app.add_typer(store_app, name="store")

DbOpt = Annotated[str | None, typer.Option(
    "--db", help="Store: a SQLite file path or a database URL (sqlite:///PATH, postgresql://USER:PASSWORD@HOST/DB); "
    "default $ACCORD_DB, else ~/.local/share/accord/accord.db.")]
AppendOpt = Annotated[bool, typer.Option(
    "--append", help="Add to a store that already holds scenarios (they get new ids); without it the target "
    "must be empty and ids are kept.")]


def open_store(db: str | None):
    """The store at ``db`` (default :func:`accord.store.default_url`), saying so when opening it
    migrated it from an older schema."""
    from accord.store import SCHEMA_VERSION, Store

    store = Store(db)
    if store.migrated_from is not None:
        err.print(f"migrated {store.where} from store schema version {store.migrated_from} to {SCHEMA_VERSION}")
    return store


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in counts.items())


@store_app.command()
def info(db: DbOpt = None, format: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.table) -> None:
    """Where the store is, its back-end, schema version and what it holds."""
    store = open_store(db)
    try:
        data = {"store": store.where, "backend": store.backend, "schema_version": store.schema_version(),
                **store.counts()}
    finally:
        store.close()
    if format is Fmt.json:
        _print_json(data)
        return
    for key, value in data.items():
        out.print(f"{key:15} {value}", highlight=False)


@store_app.command("list")
def list_(db: DbOpt = None, format: Annotated[Fmt, typer.Option("--format", "-f")] = Fmt.table) -> None:
    """Every scenario with its latest version, most recently changed first."""
    store = open_store(db)
    try:
        rows = [{"id": s.id, "title": s.title, "version": s.latest.number, "versions": s.n_versions,
                 "runs": s.n_runs, "actors": s.latest.n_actors, "issues": s.latest.n_issues,
                 "changed": s.latest.created_at} for s in store.list_scenarios()]
    finally:
        store.close()
    if format is Fmt.json:
        _print_json(rows)
        return
    if format is Fmt.csv:
        import pandas as pd

        out.file.write(pd.DataFrame(rows, columns=list(rows[0]) if rows else ["id"]).to_csv(index=False))
        return
    from rich.table import Table

    table = Table("id", "title", "version", "versions", "runs", "actors", "issues", "changed")
    for r in rows:
        table.add_row(*(str(v) for v in r.values()))
    out.print(table)


@store_app.command()
def check(db: DbOpt = None) -> None:
    """Read every version back as a scenario (and, on SQLite, run its integrity check)."""
    from sqlalchemy import text

    from accord.errors import BadStore

    store = open_store(db)
    try:
        if store.backend == "sqlite":
            with store._read() as conn:
                problems = [r[0] for r in conn.execute(text("PRAGMA integrity_check")).all()]
            if problems != ["ok"]:
                raise BadStore(f"{store.where} is damaged: SQLite's integrity check says "
                               + "; ".join(problems[:5]))
        n = 0
        for s in store.list_scenarios():
            for v in store.versions(s.id):
                store.load(s.id, v.number)
                n += 1
        err.print(f"{store.where}: {n} versions of {len(store.list_scenarios())} scenarios read back, "
                  f"{store.counts()['runs']} runs; no problems found")
    finally:
        store.close()


@store_app.command("export")
def export(
    output: Annotated[Path, typer.Argument(help="File to write (JSON Lines; gzip-compressed when it ends in .gz).")],
    db: DbOpt = None,
) -> None:
    """Write every scenario, version, run and setting to one file."""
    from accord.store.transfer import export_file

    store = open_store(db)
    try:
        counts = export_file(store, output)
    finally:
        store.close()
    err.print(f"exported {_counts(counts)} from {store.where} to {output}")


@store_app.command("import")
def import_(
    input: Annotated[Path, typer.Argument(help="A file written by `accord store export`.")],
    db: DbOpt = None,
    append: AppendOpt = False,
) -> None:
    """Add everything in an export file to a store, in one transaction, counts checked."""
    from accord.store.transfer import import_file

    store = open_store(db)
    try:
        counts = import_file(store, input, append=append)
    finally:
        store.close()
    err.print(f"imported {_counts(counts)} from {input} into {store.where} (counts checked)")


@store_app.command()
def copy(
    source: Annotated[str, typer.Argument(help="Store to copy from (a SQLite file path or a database URL).")],
    target: Annotated[str, typer.Argument(help="Store to copy into.")],
    append: AppendOpt = False,
) -> None:
    """Copy a whole store into another, e.g. a SQLite file onto a PostgreSQL server."""
    from accord.store.transfer import copy as copy_store

    src = open_store(source)
    try:
        dst = open_store(target)
        try:
            counts = copy_store(src, dst, append=append)
        finally:
            dst.close()
    finally:
        src.close()
    err.print(f"copied {_counts(counts)} from {src.where} to {dst.where} (counts checked)")
