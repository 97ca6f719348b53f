"""A process killed with SIGKILL in the middle of saving loses no earlier version."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import text

from accord.store import Store

WRITER = r"""
import sys
from accord.scenario import from_arrays
from accord.store import Store

store = Store(sys.argv[1])
sid = int(sys.argv[2])
parent = store.latest_number(sid)
k = 0
while True:
    k += 1
    # A big rationale makes each save a multi-page write, so the kill lands inside one.
    s = from_arrays([1, 1 + k], [[0], [100]], [[1], [0.5]], title="t" * 400 + str(k))
    info = store.save(sid, s, parent=parent)
    parent = info.number
    print(parent, flush=True)  # printed only after the commit returned
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
@pytest.mark.parametrize("delay", [0.05, 0.37])
def test_sigkill_during_saves_loses_no_committed_version(tmp_path, delay):
    db = str(tmp_path / "crash.db")
    store = Store(db)
    from accord.scenario import from_arrays

    sid = store.create_scenario(from_arrays([1, 1], [[0], [100]], [[1], [0.5]], title="base")).scenario_id
    store.close()
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, db, str(sid)], stdout=subprocess.PIPE, text=True, env=env)
    committed = []
    try:
        # Wait until it is saving steadily, then kill it at an arbitrary moment.
        while len(committed) < 5:
            line = proc.stdout.readline()
            assert line, "the writer died before saving"
            committed.append(int(line))
        time.sleep(delay)
    finally:
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate(timeout=30)
    committed += [int(x) for x in rest.split()]
    assert proc.returncode == -signal.SIGKILL

    store = Store(db)
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    numbers = [v.number for v in store.versions(sid)]
    # Every version the writer saw committed is there, with nothing missing in between.
    assert set(range(1, max(committed) + 1)) <= set(numbers)
    assert numbers == list(range(max(numbers), 0, -1))
    for n in (1, *committed):
        scenario, _ = store.load(sid, n)
        assert scenario.actor("a1").capability == (1 if n == 1 else n)
    # The store still takes saves.
    latest = numbers[0]
    info = store.save(sid, from_arrays([1, 1], [[0], [100]], [[1], [0.5]]), parent=latest)
    assert info.number == latest + 1
    store.close()
