"""Ctrl-C that ends the command line within a second or two, whatever the process is doing.

Python handles a signal only when its main thread runs Python code. Two things can keep it away
for many seconds: compiled code (numba compiling or running a kernel, LLVM optimising) and
interpreter shutdown waiting for a thread (a process pool's manager thread waiting for a worker
that was being started when the signal came). The normal path stays the first choice: the main
thread gets ``KeyboardInterrupt``, stops its workers, says "interrupted" and exits 130. As a
backstop, :func:`install` has the signal written to a pipe by the C-level handler (which runs at
once, see :func:`signal.set_wakeup_fd`); a watcher thread reads it and, if the process is still
alive :data:`GRACE` seconds later, stops what registered with :func:`on_interrupt` (worker
pools), says "interrupted" and ends the process with status 130.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

#: Seconds the normal path has before the watcher ends the process.
GRACE = 1.0

_stops: dict[int, Callable[[], None]] = {}
_lock = threading.Lock()
_said = threading.Event()


def on_interrupt(stop: Callable[[], None]) -> Callable[[], None]:
    """Have ``stop`` called (once, from the watcher thread) before a stuck process is ended;
    returns the function that unregisters it."""
    key = id(stop)
    with _lock:
        _stops[key] = stop

    def remove() -> None:
        with _lock:
            _stops.pop(key, None)

    return remove


def say_once(say: Callable[[str], None]) -> None:
    """Say "interrupted" unless the other path (main thread or watcher) already has."""
    with _lock:
        if _said.is_set():
            return
        _said.set()
    say("interrupted")


def install(say: Callable[[str], None]) -> bool:
    """Start the backstop for this process (main thread only; once). ``say`` prints a line to
    the user. False where it cannot be installed (not the main thread, no pipes)."""
    if threading.current_thread() is not threading.main_thread() or any(
            t.name == "accord-interrupt-watch" for t in threading.enumerate()):
        return False
    try:
        r, w = os.pipe()
        os.set_blocking(w, False)
        signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    except (OSError, ValueError):
        return False
    threading.Thread(target=_watch, args=(r, say), name="accord-interrupt-watch", daemon=True).start()
    return True


def _watch(fd: int, say: Callable[[str], None]) -> None:
    while True:
        try:
            data = os.read(fd, 64)
        except OSError:
            return
        if not data:
            return
        if signal.SIGINT in data:
            break
    time.sleep(GRACE)
    with _lock:
        stops = list(_stops.values())
    for stop in stops:
        with contextlib.suppress(Exception):
            stop()
    with contextlib.suppress(Exception):
        say_once(say)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(130)
