"""The web app against hostile input (issue #17): foreign Host names (DNS rebinding), colours that
would reach style attributes, nesting, oversized scenarios, blocking imports, server paths in
titles, refused forms answered as pages."""

from __future__ import annotations

import inspect
import io

import pytest

from accord.errors import AccordError
from web_helpers import csrf_of, make_client, syria_id

SMALL = """\
title: small
actors:
  - {id: a, name: A, capability: 1}
  - {id: b, name: B, capability: 1}
issues:
  - {id: x, name: X}
stances:
  a: {x: {position: 10, salience: 0.5}}
  b: {x: {position: 90, salience: 0.5}}
"""


@pytest.fixture
def client(tmp_path):
    return make_client(tmp_path)


@pytest.mark.parametrize("host", ["evil.test", "evil.test:8000", "attacker.example.com", "127.0.0.1.evil.test",
                                  "localhost.evil.test:80", "10.0.0.5:8000", "", "[::2]:8000", "0.0.0.0:8000"])
@pytest.mark.parametrize("path", ["/", "/api/scenarios", "/api/health", "/scenarios/1"])
def test_a_foreign_host_name_is_refused(client, host, path):
    r = client.get(path, headers={"Host": host})
    assert r.status_code == 400, (host, path, r.status_code)
    assert "host name" in r.text
    assert ("json" in r.headers["content-type"]) == path.startswith("/api/")


def test_a_foreign_host_cannot_write_either(client):
    r = client.post("/api/scenarios", json={"yaml": SMALL}, headers={"Host": "evil.test"})
    assert r.status_code == 400
    assert len(client.get("/api/scenarios").json()) == 1  # nothing added


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "LOCALHOST:1", "127.0.0.1", "127.0.0.1:8000",
                                  "127.1.2.3:9", "[::1]", "[::1]:8000", "localhost."])
def test_loopback_names_are_answered(client, host):
    assert client.get("/api/health", headers={"Host": host}).status_code == 200


def test_allowed_hosts_need_a_token(tmp_path):
    with pytest.raises(AccordError, match="--allowed-host needs --token"):
        make_client(tmp_path, allowed_hosts=["accord.lan"])


def test_allowed_hosts_with_a_token(tmp_path):
    c = make_client(tmp_path, token="t" * 16, allowed_hosts=["accord.lan"])
    auth = {"Authorization": "Bearer " + "t" * 16}
    assert c.get("/api/health", headers=auth | {"Host": "accord.lan:8000"}).status_code == 200
    assert c.get("/api/health", headers=auth | {"Host": "localhost"}).status_code == 200
    assert c.get("/api/health", headers=auth | {"Host": "evil.test"}).status_code == 400


def test_serve_refuses_allowed_hosts_without_a_token(run_cli):
    code, _, err = run_cli("serve", "--allowed-host", "accord.lan", "--db", "sqlite://")
    assert code == 2 and "--allowed-host needs --token" in err


@pytest.mark.parametrize("colour", ["red; background: url(https://evil.test/x)", "\"><script>alert(1)</script>",
                                    "#12345g", "#fff", "expression(alert(1))", "javascript:alert(1)"])
def test_colours_cannot_reach_style_attributes(client, colour):
    doc = SMALL.replace("{id: a, name: A, capability: 1}", f"{{id: a, name: A, capability: 1, colour: {colour!r}}}")
    r = client.post("/api/scenarios", json={"yaml": doc})
    assert r.status_code == 422 and "colour must look like #1f77b4" in r.text


def test_a_stored_bad_colour_is_not_rendered():
    from accord.report.charts import actor_colour, default_colour

    assert actor_colour("#A1b2C3", 0) == "#A1b2C3"
    for bad in ("red;x:y", None, "", 3, "#abc"):
        assert actor_colour(bad, 2) == default_colour(2)


@pytest.mark.parametrize("body", [
    {"yaml": "title: " + "[" * 5000 + "]" * 5000},
    {"yaml": "a:\n" + "".join("  " * k + "- \n" for k in range(1, 400))},
    {"document": {"title": "t", "meta": eval("{'a': " * 150 + "1" + "}" * 150)}},  # noqa: S307 - a literal
    {"yaml": SMALL.replace("capability: 1}", "capability: " + "9" * 10000 + "}", 1)},
    {"yaml": "title: a\ntitle: b\n"},
])
def test_hostile_documents_are_422_not_500(client, body):
    for path in ("/api/scenarios", "/api/validate"):
        r = client.post(path, json=body)
        assert r.status_code in (200, 422), (path, r.status_code, r.text[:300])
        assert r.status_code == 422 or r.json()["valid"] is False


def test_import_runs_off_the_event_loop():
    """Parsing blocks; the API handler is a plain function (FastAPI runs it in a worker thread)
    and the page handler hands the parsing to one."""
    from accord.web import api, pages

    assert not inspect.iscoroutinefunction(api.import_scenario)
    assert "run_in_threadpool(api.import_bytes" in inspect.getsource(pages.import_scenario)


def test_imports_are_capped_by_actors_times_issues(client, monkeypatch):
    monkeypatch.setenv("ACCORD_MAX_WEB_CELLS", "50")
    rows = "".join(f"a{k},i{j},{(k + j) % 100},0.5\n" for k in range(10) for j in range(6))
    r = client.post("/api/scenarios/import", files={"file": ("big.csv", "actor,issue,position,salience\n" + rows)})
    assert r.status_code == 422 and "10 actors × 6 issues" in r.text and "ACCORD_MAX_WEB_CELLS" in r.text
    r = client.post("/api/scenarios", json={"yaml": SMALL})
    assert r.status_code == 201


def test_a_hundred_thousand_actors_are_refused(client):
    rows = "".join(f"a{k},x,{k % 100},0.5\n" for k in range(100_000))
    r = client.post("/api/scenarios/import", files={"file": ("many.csv", "actor,issue,position,salience\n" + rows)})
    assert r.status_code == 422 and "at most 1,000" in r.text


@pytest.mark.parametrize("name, content, title", [
    ("cop talks.csv", "actor,issue,position,salience\na,x,10,0.5\nb,x,90,0.5\n", "cop talks"),
    ("../../etc/passwd.csv", "actor,issue,position,salience\na,x,10,0.5\nb,x,90,0.5\n", "passwd"),
    ("C:\\Users\\me\\plan.csv", "Actor,Capability,Position,Salience\nA,1,4,0.5\nB,1,6,0.5\n", "plan"),
])
def test_imports_are_titled_after_the_uploaded_file(client, name, content, title):
    r = client.post("/api/scenarios/import", files={"file": (name, content)})
    assert r.status_code == 201, r.text
    assert r.json()["title"] == title
    assert "/tmp" not in r.text


def test_a_refused_form_answers_a_page(client):
    client.get("/")
    r = client.post("/scenarios/new", data={"csrf": "forged"})
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("text/html")
    assert "security token" in r.text


def test_unknown_pages_answer_pages(client):
    r = client.get("/no/such/page")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert client.get("/api/no/such").headers["content-type"].startswith("application/json")


def test_the_editor_refuses_a_scenario_too_large_for_it(client, monkeypatch):
    sid = syria_id(client)
    page = client.get(f"/scenarios/{sid}")
    monkeypatch.setenv("ACCORD_MAX_WEB_CELLS", "20")
    from accord.web.forms import draft_from_scenario

    scenario, _ = client.app.state.store.load(sid)
    draft = draft_from_scenario(scenario)
    form = {"csrf": csrf_of(page.text), "parent": "1", "action": "save", "title": draft["title"],
            "n_actors": str(len(draft["actors"])), "n_issues": str(len(draft["issues"]))}
    for k, a in enumerate(draft["actors"]):
        form |= {f"a{k}_{f}": v for f, v in a.items()}
    for k, i in enumerate(draft["issues"]):
        form |= {f"i{k}_{f}": v for f, v in i.items()}
    for (a, i), cell in draft["stances"].items():
        form |= {f"s{a}_{i}_{f}": v for f, v in cell.items()}
    r = client.post(f"/scenarios/{sid}", data=form)
    assert r.status_code == 422, r.text[:500]
    assert "ACCORD_MAX_WEB_CELLS" in r.text
    monkeypatch.delenv("ACCORD_MAX_WEB_CELLS")
    assert client.post(f"/scenarios/{sid}", data=form, follow_redirects=False).status_code == 303  # the same form saves


def test_upload_larger_than_the_body_limit(tmp_path):
    c = make_client(tmp_path, max_body=1000)
    r = c.post("/api/scenarios/import", files={"file": ("s.yaml", io.BytesIO(b"x" * 5000))})
    assert r.status_code == 413
