"""Ctrl-C ends a command even while the main thread is stuck in code that never looks at signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from accord import interrupts

STUCK = """
import hashlib, pathlib, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as a terminal's foreground command, even if started with SIGINT ignored
from accord import interrupts
interrupts.install(lambda text: print(text, file=sys.stderr, flush=True))
interrupts.on_interrupt(lambda: pathlib.Path(sys.argv[1]).write_text("stopped"))
print("ready", flush=True)
hashlib.pbkdf2_hmac("sha256", b"x", b"y", 10**9)  # minutes in C, no signal looked at
"""


@pytest.mark.slow
def test_the_backstop_ends_a_process_stuck_in_compiled_code(tmp_path):
    marker = tmp_path / "stopped"
    p = subprocess.Popen([sys.executable, "-c", STUCK, str(marker)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    assert p.stdout.readline().strip() == b"ready"
    time.sleep(0.3)
    t0 = time.monotonic()
    os.killpg(p.pid, signal.SIGINT)
    try:
        _, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        pytest.fail("still running 20 s after Ctrl-C")
    took = time.monotonic() - t0
    assert p.returncode == 130 and err.decode().strip() == "interrupted"
    assert marker.read_text() == "stopped"  # registered worker pools are stopped first
    assert interrupts.GRACE <= took < interrupts.GRACE + 1.5, took


def test_said_once_whichever_path_gets_there_first():
    said: list[str] = []
    before = interrupts._said.is_set()
    interrupts._said.clear()
    try:
        interrupts.say_once(said.append)
        interrupts.say_once(said.append)
    finally:
        if not before:
            interrupts._said.clear()
    assert said == ["interrupted"]


def test_install_only_from_the_main_thread():
    import threading

    box = {}
    t = threading.Thread(target=lambda: box.setdefault("ok", interrupts.install(print)))
    t.start()
    t.join()
    assert box["ok"] is False
