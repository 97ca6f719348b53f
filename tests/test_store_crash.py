"""A process killed with SIGKILL in the middle of saving loses no acknowledged version, on SQLite
and on PostgreSQL: a program using the store, and the web app (``accord serve``) itself."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from sqlalchemy import text

from accord.scenario import from_arrays
from accord.store import Store

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

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


def pair(k: float = 1.0, title: str = "base"):
    return from_arrays([1, k], [[0], [100]], [[1], [0.5]], title=title)


def check_intact(store: Store) -> None:
    if store.backend == "sqlite":
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


@pytest.mark.parametrize("delay", [0.05, 0.37])
def test_sigkill_during_saves_loses_no_committed_version(store_url, delay):
    store = Store(store_url)
    sid = store.create_scenario(pair()).scenario_id
    store.close()
    env = os.environ | {"PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-c", WRITER, store_url, str(sid)], stdout=subprocess.PIPE,
                            text=True, env=env)
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

    store = Store(store_url)
    check_intact(store)
    numbers = [v.number for v in store.versions(sid)]
    # Every version the writer saw committed is there, with nothing missing in between.
    assert set(range(1, max(committed) + 1)) <= set(numbers)
    assert numbers == list(range(max(numbers), 0, -1))
    for n in (1, *committed):
        scenario, _ = store.load(sid, n)
        assert scenario.actor("a1").capability == (1 if n == 1 else n)
    # The store still takes saves.
    latest = numbers[0]
    info = store.save(sid, pair(), parent=latest)
    assert info.number == latest + 1
    store.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_sigkill_of_the_web_app_loses_no_acknowledged_save(store_url, tmp_path):
    """Four clients save versions through the JSON API of a real ``accord serve``; it is killed
    with SIGKILL mid-stream. Every save answered 201 is in the store afterwards."""
    store = Store(store_url)
    ids = [store.create_scenario(pair(title=f"client {c}")).scenario_id for c in range(4)]
    store.close()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-c", "from accord.cli import main; main()", "serve", "--db", store_url,
           "--port", str(port), "--no-examples"]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    acknowledged: dict[int, list[int]] = {sid: [] for sid in ids}
    busy = dict.fromkeys(ids, 0)
    stop = threading.Event()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/health", timeout=2).read()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read()
                assert time.monotonic() < deadline, "accord serve did not start"
                time.sleep(0.1)

        def client(sid):
            parent, k = 1, 0
            while not stop.is_set():
                k += 1
                doc = {"parent": parent, "message": f"save {k}", "document": {
                    "accord": 1, "title": "t" * 300 + str(k),
                    "actors": [{"id": "a", "capability": 1}, {"id": "b", "capability": 1 + k}],
                    "issues": [{"id": "i"}],
                    "stances": {"a": {"i": {"position": 0, "salience": 1}},
                                "b": {"i": {"position": 100, "salience": 0.5}}}}}
                try:
                    status, body = _post(f"{base}/api/scenarios/{sid}/versions", doc)
                except (OSError, http.client.HTTPException, ValueError):
                    return  # the server is gone (refused, reset, or killed mid-answer)
                if status == 503:  # the database stayed locked past the timeout (a loaded machine): not saved, said so
                    busy[sid] += 1
                    continue
                assert status == 201, (status, body)
                acknowledged[sid].append(body["number"])
                parent = body["number"]

        threads = [threading.Thread(target=client, args=(sid,)) for sid in ids]
        for t in threads:
            t.start()
        give_up = time.monotonic() + 120
        while sum(map(len, acknowledged.values())) < 20 and server.poll() is None and time.monotonic() < give_up:
            time.sleep(0.02)
        time.sleep(0.13)
        server.send_signal(signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join(timeout=60)
    finally:
        stop.set()
        if server.poll() is None:
            server.kill()
        server.communicate(timeout=30)
    assert server.returncode == -signal.SIGKILL
    # Enough saves were acknowledged for the test to mean something; on a loaded machine a client
    # may lose its connection before the kill and stop early (its saves, if any, are checked too).
    assert sum(map(len, acknowledged.values())) >= 20, (acknowledged, busy)

    store = Store(store_url)
    check_intact(store)
    for sid, numbers in acknowledged.items():
        stored = [v.number for v in store.versions(sid)]
        assert stored == list(range(len(stored), 0, -1))  # no gaps
        assert set(numbers) <= set(stored)
        for n in numbers:
            scenario, _ = store.load(sid, n)
            assert scenario.actor("b").capability == n  # save k made version k + 1 with capability 1 + k
    store.close()
