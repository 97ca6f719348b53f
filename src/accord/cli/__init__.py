"""The ``accord`` command line: a thin shell over the library, one module per command group."""

from __future__ import annotations

import os
import sys

from rich.markup import escape

from accord.cli.common import app, err
from accord.errors import AccordError

# Each command module adds its commands to the one Typer app when imported, in the order
# `accord --help` lists them.
# isort: off
from accord.cli import forecast, explain, simulate, process, backtest, web, draft, store  # noqa: F401, E402
# isort: on

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: user errors print one short message and exit with status 2."""
    try:
        app()
    except AccordError as exc:
        err.print(f"[red]error[/red]: {escape(str(exc))}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # never a traceback to a user; ACCORD_DEBUG=1 shows it
        if os.environ.get("ACCORD_DEBUG"):
            raise
        err.print(f"[red]internal error[/red]: {type(exc).__name__}: {escape(str(exc))} (set ACCORD_DEBUG=1 for details; please report it)", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
