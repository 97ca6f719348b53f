"""``accord serve`` (the local web app) and ``accord report`` (a self-contained HTML report)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import InputFormatOpt, ModelOpt, app, err
from accord.errors import AccordError
from accord.limits import check_count
from accord.rng import MAX_SEED


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on. Anything but loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    db: Annotated[str | None, typer.Option(help="Store: a SQLite file path or a database URL (sqlite:///PATH, postgresql://USER:PASSWORD@HOST/DB; default: $ACCORD_DB or ~/.local/share/accord/accord.db).")] = None,
    token: Annotated[str | None, typer.Option(envvar="ACCORD_TOKEN", help="Access token every request must carry (required for a non-loopback --host).")] = None,
    examples: Annotated[bool, typer.Option(help="Load the bundled example scenarios into a new store.")] = True,
    allowed_host: Annotated[list[str] | None, typer.Option(
        "--allowed-host", help="Another host name the server answers to (repeatable; needs --token). Loopback "
        "names always work; other names are refused so that no web page can reach the app by DNS rebinding.")] = None,
) -> None:
    """Serve the web app: scenario library, editor, runs, results, reports."""
    import uvicorn

    from accord.web import create_app
    from accord.web.security import is_loopback

    if not is_loopback(host) and not token:
        raise AccordError(
            f"refusing to listen on {host} without --token: anyone who can reach it could read and change "
            "your scenarios. Pass --token (or set ACCORD_TOKEN), or keep the default 127.0.0.1."
        )
    if token is not None and len(token) < 8:
        raise AccordError("--token must be at least 8 characters")
    hosts = list(allowed_host or [])
    if token and not is_loopback(host) and host not in ("0.0.0.0", "::", ""):
        hosts.append(host)  # the address it listens on names it too
    if hosts and not token:
        raise AccordError("--allowed-host needs --token: without one, any page a browser opens could use "
                          "those names to read and change your scenarios")
    application = create_app(db, token, examples=examples, allowed_hosts=hosts)
    if token and not hosts:
        err.print("note: only loopback names (localhost, 127.0.0.1) are answered; add --allowed-host NAME "
                  "for the names other machines use")
    store = application.state.store
    if store.migrated_from is not None:
        from accord.store import SCHEMA_VERSION

        err.print(f"migrated {store.where} from store schema version {store.migrated_from} to {SCHEMA_VERSION}")
    where = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    err.print(f"accord web app on {where}{'?token=…' if token else ''} (store: {store.where}); Ctrl-C stops it")
    uvicorn.run(application, host=host, port=port, log_level="warning")


@app.command()
def report(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (any supported format).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")] = Path("report.html"),
    model: ModelOpt = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws over the input uncertainty (0: none).", min=0)] = 0,
    seed: Annotated[int, typer.Option(help="Seed for stochastic models and draws.", min=0, max=MAX_SEED)] = 0,
    input_format: InputFormatOpt = None,
) -> None:
    """Write a self-contained HTML report (charts inline; opens offline)."""
    from accord.io import read_scenario
    from accord.io._files import check_output, write_atomic
    from accord.report.html import build_report

    check_output(output, what="report")
    if draws:
        check_count("--draws", draws, "draws")
    s = read_scenario(scenario, format=input_format)
    html = build_report(s, model, draws=draws, seed=seed)
    write_atomic(output, html)
    err.print(f"wrote {output} ({len(html) / 1e6:.1f} MB)")
