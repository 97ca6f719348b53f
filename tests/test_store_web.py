"""The web app over either back-end, and over a store it cannot write to for a moment: a locked
database answers 503 and the editor keeps the edit on screen."""

from __future__ import annotations

import sqlite3
import threading
import warnings
from contextlib import contextmanager

import pytest

from accord.rng import MAX_SEED
from accord.store import backend as store_backend
from accord.web import create_app
from test_web_pages import editor_form
from web_helpers import syria_id

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@contextmanager
def write_lock(path):
    """Another program in the middle of a write transaction on the SQLite store at ``path``."""
    ready, release = threading.Event(), threading.Event()

    def hold():
        conn = sqlite3.connect(path, isolation_level=None, timeout=10)
        conn.execute("BEGIN IMMEDIATE")
        ready.set()
        release.wait(30)
        conn.execute("ROLLBACK")
        conn.close()

    t = threading.Thread(target=hold, daemon=True)
    t.start()
    assert ready.wait(10)
    try:
        yield
    finally:
        release.set()
        t.join(10)


@pytest.fixture
def locked_client(tmp_path, monkeypatch):
    monkeypatch.setattr(store_backend, "LOCK_TIMEOUT", 0.3)
    path = tmp_path / "web.db"
    with TestClient(create_app(str(path)), base_url="http://localhost") as client:
        yield client, path


def test_editor_save_on_a_locked_store_is_503_and_keeps_the_edit(locked_client):
    client, path = locked_client
    sid = syria_id(client)
    form = editor_form(client.get(f"/scenarios/{sid}").text)
    form |= {"title": "An edit that must not be lost", "s0_0_salience": "0.37", "message": "my change"}
    with write_lock(path):
        r = client.post(f"/scenarios/{sid}", data=form | {"action": "save"}, follow_redirects=False)
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert 'id="unavailable"' in r.text and "Not saved" in r.text and "locked by another program" in r.text
    assert str(path) in r.text
    assert 'value="An edit that must not be lost"' in r.text and 'value="0.37"' in r.text
    assert editor_form(r.text)["title"] == "An edit that must not be lost"
    assert client.get(f"/api/scenarios/{sid}/versions").json()[0]["number"] == 1  # nothing saved
    # Once the other program is done, the same form saves.
    again = editor_form(r.text)
    r = client.post(f"/scenarios/{sid}", data=again | {"action": "save"}, follow_redirects=False)
    assert r.status_code == 303
    doc = client.get(f"/api/scenarios/{sid}").json()
    assert doc["info"]["number"] == 2 and doc["document"]["title"] == "An edit that must not be lost"


def test_api_save_and_create_on_a_locked_store_are_503(locked_client):
    client, path = locked_client
    sid = syria_id(client)
    body = client.get(f"/api/scenarios/{sid}").json()
    with write_lock(path):
        r = client.post(f"/api/scenarios/{sid}/versions", json={"parent": 1, "yaml": body["yaml"]})
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        assert "locked by another program" in r.json()["detail"] and str(path) in r.json()["detail"]
        r = client.post("/api/scenarios", json={"yaml": body["yaml"]})
        assert r.status_code == 503
        assert client.get("/api/scenarios").status_code == 200  # reading goes on (write-ahead log)
        assert client.get(f"/scenarios/{sid}").status_code == 200
    r = client.post(f"/api/scenarios/{sid}/versions", json={"parent": 1, "yaml": body["yaml"]})
    assert r.status_code == 201


def test_the_web_app_on_each_back_end(store_url):
    with TestClient(create_app(store_url), base_url="http://localhost") as client:
        scenarios = client.get("/api/scenarios").json()
        assert any(s["title"].startswith("ISSG Syria") for s in scenarios)
        sid = syria_id(client)
        body = client.get(f"/api/scenarios/{sid}").json()
        assert client.post(f"/api/scenarios/{sid}/versions", json={"parent": 1, "yaml": body["yaml"]}).status_code == 201
        stale = client.post(f"/api/scenarios/{sid}/versions", json={"parent": 1, "yaml": body["yaml"]})
        assert stale.status_code == 409 and stale.json()["latest"] == 2 and "not saved" in stale.json()["detail"]
        # The largest seed the command line takes is the web's too, and the store keeps it.
        run = client.post(f"/api/scenarios/{sid}/runs", json={"models": ["compromise"], "seed": MAX_SEED,
                                                             "wait": True})
        assert run.status_code == 201, run.text
        assert run.json()["seed"] == MAX_SEED
        too_big = client.post(f"/api/scenarios/{sid}/runs", json={"models": ["compromise"], "seed": MAX_SEED + 1})
        assert too_big.status_code == 422
        for page in ("/", f"/scenarios/{sid}", f"/scenarios/{sid}/versions", "/runs", f"/runs/{run.json()['id']}"):
            assert client.get(page).status_code == 200, page
        assert client.get(f"/api/scenarios/{2**62}").status_code == 404
        assert client.delete(f"/api/scenarios/{sid}").status_code == 204
    with TestClient(create_app(store_url), base_url="http://localhost") as client:  # a second start loads no examples again
        assert all(s["id"] != sid for s in client.get("/api/scenarios").json())
        assert len(client.get("/api/scenarios").json()) == len(scenarios) - 1


def test_concurrent_api_saves_from_one_parent_one_201_and_clear_409s(store_url):
    from test_store_concurrency import together

    with TestClient(create_app(store_url, examples=False), base_url="http://localhost") as client:
        created = client.post("/api/scenarios", json={"document": {
            "accord": 1, "title": "race", "actors": [{"id": "a", "capability": 1}, {"id": "b", "capability": 1}],
            "issues": [{"id": "i"}], "stances": {"a": {"i": {"position": 0, "salience": 1}},
                                                 "b": {"i": {"position": 100, "salience": 1}}}}})
        sid = created.json()["scenario_id"]
        yaml_text = client.get(f"/api/scenarios/{sid}").json()["yaml"]
        answers = together(10, lambda i: client.post(
            f"/api/scenarios/{sid}/versions", json={"parent": 1, "yaml": yaml_text, "message": f"client {i}"}))
        codes = sorted(r.status_code for r in answers)
        assert codes == [201] + [409] * 9
        for r in answers:
            if r.status_code == 409:
                body = r.json()
                assert body["parent"] == 1 and body["latest"] == 2 and "your changes were not saved" in body["detail"]
        assert [v["number"] for v in client.get(f"/api/scenarios/{sid}/versions").json()] == [2, 1]
