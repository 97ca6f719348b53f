"""The ``accord`` command line: a thin shell over the library, one module per command group."""

from __future__ import annotations

import contextlib
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
    """Entry point: user errors print one short message and exit with status 2; Ctrl-C ends the
    command with status 130 (:mod:`accord.interrupts`)."""
    from accord import interrupts

    interrupts.install(_say)
    try:
        app()
    except AccordError as exc:
        err.print(f"[red]error[/red]: {escape(str(exc))}", highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        _interrupted()
    except SystemExit as exc:
        # Typer turns Ctrl-C into a silent exit with status 130.
        if exc.code == 130 and isinstance(getattr(exc.__context__, "__cause__", None), KeyboardInterrupt):
            _interrupted()
        raise
    except Exception as exc:  # never a traceback to a user; ACCORD_DEBUG=1 shows it
        if os.environ.get("ACCORD_DEBUG"):
            raise
        err.print(f"[red]internal error[/red]: {type(exc).__name__}: {escape(str(exc))} (set ACCORD_DEBUG=1 for details; please report it)", highlight=False)
        sys.exit(1)


def _say(text: str) -> None:
    err.print(text, highlight=False)


def _interrupted() -> None:
    """Ctrl-C: say so and stop now (status 130). Worker processes were stopped on the way out and
    every ``finally`` has run; the process ends with ``os._exit``, skipping interpreter shutdown,
    which would wait for a compiled kernel still running in a helper thread and has the process
    pool's exit hook write to the pipe of a pool already torn down (a traceback after
    "interrupted")."""
    from accord import interrupts

    interrupts.say_once(_say)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(130)


if __name__ == "__main__":
    main()
