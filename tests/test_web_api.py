"""The JSON API: every endpoint, with good and bad input."""

from __future__ import annotations

import io
import zipfile

import pytest
import yaml

from accord.io import read_scenario
from accord.io.yaml_format import dumps
from web_helpers import make_client, syria_id

from conftest import SYRIA

SMALL = """
title: small
actors:
  - {id: a, name: A, capability: 1}
  - {id: b, name: B, capability: 2}
issues:
  - {id: x, name: X}
stances:
  a: {x: [10, 0.5]}
  b: {x: [90, 0.8]}
"""


@pytest.fixture
def client(tmp_path):
    with make_client(tmp_path) as c:
        yield c


def test_health_models_formats(client):
    assert client.get("/api/health").json()["status"] == "ok"
    names = [m["name"] for m in client.get("/api/models").json()]
    assert "compromise" in names
    formats = client.get("/api/formats").json()
    assert "yaml" in formats["formats"] and isinstance(formats["draws"], bool)


def test_openapi_schema_lists_the_api(client):
    schema = client.get("/api/openapi.json").json()
    assert "/api/scenarios/{scenario_id}/versions" in schema["paths"]
    assert not any(p.startswith("/runs") for p in schema["paths"])  # pages stay out of the schema
    assert client.get("/docs").status_code == 404  # the Swagger UI would load from a CDN


def test_starts_with_the_bundled_example(client):
    sid = syria_id(client)
    detail = client.get(f"/api/scenarios/{sid}").json()
    assert detail["info"]["number"] == 1
    assert len(detail["document"]["actors"]) == len(read_scenario(SYRIA).actors)


def test_examples_load_once_only(tmp_path):
    with make_client(tmp_path) as c:
        c.delete(f"/api/scenarios/{syria_id(c)}")
    with make_client(tmp_path) as c:  # restart on the same store: the deleted example stays deleted
        assert c.get("/api/scenarios").json() == []


def test_create_from_yaml_and_from_document(client):
    r = client.post("/api/scenarios", json={"yaml": SMALL})
    assert r.status_code == 201 and r.json()["number"] == 1
    doc = client.get(f"/api/scenarios/{syria_id(client)}").json()["document"]
    r = client.post("/api/scenarios", json={"document": doc})
    assert r.status_code == 201, r.text
    again = client.get(f"/api/scenarios/{r.json()['scenario_id']}").json()["yaml"]
    assert again == dumps(read_scenario(SYRIA))


@pytest.mark.parametrize("body, status, words", [
    ({}, 422, "either 'yaml' or 'document'"),
    ({"yaml": SMALL, "document": {}}, 422, "either"),
    ({"yaml": "title: [unclosed"}, 422, "not valid YAML"),
    ({"yaml": SMALL.replace("0.8", "1.8")}, 422, "salience"),
    ({"yaml": SMALL, "extra": 1}, 422, "extra"),
    ({"document": {"actors": "nope"}}, 422, "actors"),
])
def test_create_refuses_bad_input(client, body, status, words):
    r = client.post("/api/scenarios", json=body)
    assert r.status_code == status
    assert words in r.text


def test_problems_carry_their_location(client):
    r = client.post("/api/scenarios", json={"yaml": SMALL.replace("0.8", "1.8")})
    problem = r.json()["problems"][0]
    assert problem["where"] == "stances[b][x].salience" and problem["line"] == 10


def test_validate(client):
    assert client.post("/api/validate", json={"yaml": SMALL}).json() == {"valid": True, "problems": []}
    bad = client.post("/api/validate", json={"yaml": SMALL.replace("capability: 2", "capability: -2")}).json()
    assert not bad["valid"] and "capability" in bad["problems"][0]["message"]


def test_save_versions_and_conflict(client):
    sid = client.post("/api/scenarios", json={"yaml": SMALL}).json()["scenario_id"]
    r = client.post(f"/api/scenarios/{sid}/versions", json={"parent": 1, "yaml": SMALL.replace("0.5", "0.6"),
                                                             "message": "a cares more"})
    assert r.status_code == 201 and r.json()["number"] == 2
    stale = client.post(f"/api/scenarios/{sid}/versions", json={"parent": 1, "yaml": SMALL.replace("0.5", "0.7")})
    assert stale.status_code == 409
    assert stale.json()["latest"] == 2 and "not saved" in stale.json()["detail"]
    versions = client.get(f"/api/scenarios/{sid}/versions").json()
    assert [v["number"] for v in versions] == [2, 1] and versions[0]["message"] == "a cares more"
    v1 = client.get(f"/api/scenarios/{sid}/versions/1").json()
    assert v1["document"]["stances"]["a"]["x"]["salience"] == 0.5
    assert client.get(f"/api/scenarios/{sid}/versions/3").status_code == 404
    assert client.post(f"/api/scenarios/{sid}/versions", json={"parent": 9, "yaml": SMALL}).status_code == 422
    assert client.post(f"/api/scenarios/{sid}/versions", json={"parent": 0, "yaml": SMALL}).status_code == 422


def test_missing_things_are_404(client):
    for url in ("/api/scenarios/999", "/api/scenarios/999/versions", "/api/runs/999", "/api/runs/999/report",
                "/api/scenarios/999/export"):
        assert client.get(url).status_code == 404, url
    assert client.delete("/api/scenarios/999").status_code == 404
    assert client.post("/api/scenarios/999/versions", json={"parent": 1, "yaml": SMALL}).status_code == 404
    assert client.get("/api/scenarios/0").status_code == 422
    assert client.get(f"/api/scenarios/{2**70}").status_code == 422


def test_duplicate_and_delete(client):
    sid = syria_id(client)
    r = client.post(f"/api/scenarios/{sid}/duplicate", json={"title": "Syria what-if"})
    assert r.status_code == 201 and r.json()["title"] == "Syria what-if"
    assert client.post(f"/api/scenarios/{sid}/duplicate").status_code == 201
    assert client.post(f"/api/scenarios/{sid}/duplicate", json={"version": 5}).status_code == 404
    assert client.delete(f"/api/scenarios/{sid}").status_code == 204
    titles = [s["title"] for s in client.get("/api/scenarios").json()]
    assert "Syria what-if" in titles and len(titles) == 2


def test_import_any_format_and_export_any(client, tmp_path):
    sid = syria_id(client)
    r = client.get(f"/api/scenarios/{sid}/export", params={"format": "yaml"})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert r.text == dumps(read_scenario(SYRIA))
    csv = client.get(f"/api/scenarios/{sid}/export", params={"format": "tidy"})
    assert csv.status_code == 200 and csv.text.startswith("actor,issue")
    r = client.post("/api/scenarios/import", files={"file": ("syria.csv", csv.content, "text/csv")})
    assert r.status_code == 201 and r.json()["n_actors"] == 15
    r = client.post("/api/scenarios/import", files={"file": ("s.yaml", SYRIA.read_bytes())}, data={"format": "yaml"})
    assert r.status_code == 201
    from accord.io import FORMATS

    for fmt in FORMATS:  # every format either exports or says why not, never a server error
        r = client.get(f"/api/scenarios/{sid}/export", params={"format": fmt})
        assert r.status_code in (200, 422), (fmt, r.text)
        if fmt == "deu" and r.status_code == 200:
            assert zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert client.get(f"/api/scenarios/{sid}/export", params={"format": "pdf"}).status_code == 422


@pytest.mark.parametrize("content, fmt, words", [
    (b"\x00\x01binary", None, "binary"),
    (b"actor,issue,position\nus,x,1\n", None, "salience"),
    (SMALL.encode(), "pdf", "unknown format"),
    (b"", None, ""),
])
def test_import_refuses_bad_files(client, content, fmt, words):
    data = {"format": fmt} if fmt else {}
    r = client.post("/api/scenarios/import", files={"file": ("bad.csv", content)}, data=data)
    assert r.status_code == 422
    assert words in r.text
    assert "/tmp" not in r.text  # the message names the user's file, not a temporary copy


def test_import_needs_a_file(client):
    assert client.post("/api/scenarios/import").status_code == 422


def test_run_and_results(client):
    sid = syria_id(client)
    r = client.post(f"/api/scenarios/{sid}/runs", json={"models": ["compromise", "median"], "seed": 3, "wait": True})
    assert r.status_code == 201, r.text
    run = r.json()
    assert run["status"] == "done" and run["seed"] == 3 and run["models"] == ["compromise", "median"]
    forecasts = run["results"]["forecast"]["forecasts"]
    assert {f["model"] for f in forecasts} == {"compromise", "median"}
    assert client.get("/api/runs", params={"scenario": sid}).json()[0]["id"] == run["id"]
    assert client.get(f"/api/runs/{run['id']}", params={"results": False}).json()["results"] is None
    table = client.get(f"/api/runs/{run['id']}/tables/forecast")
    assert table.status_code == 200 and table.text.splitlines()[0].startswith("issue,scale,compromise,median")
    assert client.get(f"/api/runs/{run['id']}/tables/bogus").status_code == 422
    report = client.get(f"/api/runs/{run['id']}/report")
    assert report.status_code == 200 and "<html" in report.text


def test_no_model_chosen_means_every_model():
    from accord.models import available
    from accord.web.api import resolve_models

    assert resolve_models([]) == resolve_models(["all"]) == [m.name for m in available()]


def test_background_run_reaches_done(client):
    import time

    sid = syria_id(client)
    r = client.post(f"/api/scenarios/{sid}/runs", json={"models": ["mean"]})
    assert r.status_code == 202 and r.json()["status"] == "queued"
    for _ in range(200):
        run = client.get(f"/api/runs/{r.json()['id']}").json()
        if run["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert run["status"] == "done" and run["progress"] == 1.0


def test_iterative_model_run_has_rounds_and_variant(client):
    from accord.models import available

    iterative = [m for m in available() if m.iterative and m.variants]
    if not iterative:
        pytest.skip("no iterative model with variants registered in this build")
    m = iterative[0]
    sid = syria_id(client)
    r = client.post(f"/api/scenarios/{sid}/runs",
                    json={"models": [m.name], "variant": m.variants[-1], "rounds": 3, "wait": True})
    run = r.json()
    assert run["status"] == "done", run["message"]
    assert run["variant"] == m.variants[-1] and run["params"] == {m.name: {"variant": m.variants[-1], "rounds": 3}}
    traj = run["results"]["trajectories"][m.name]
    assert traj["n_rounds"] <= 3 and traj["rounds"][0]["positions"]


@pytest.mark.parametrize("body, words", [
    ({"models": ["nonsense"]}, "unknown model"),
    ({"models": ["compromise"], "variant": "nope"}, "no chosen model has a variant"),
    ({"models": ["compromise"], "seed": -1}, "seed"),
    ({"models": ["compromise"], "draws": 10**9}, "draws"),
    ({"models": ["compromise"], "version": 42}, "no version 42"),
    ({"models": ["compromise"], "rounds": -1}, "rounds"),
    ({"models": "compromise"}, "list"),
])
def test_run_refuses_bad_input(client, body, words):
    r = client.post(f"/api/scenarios/{syria_id(client)}/runs", json=body)
    assert r.status_code in (404, 422), r.text
    assert words in r.text


def test_compare_versions_and_runs(client):
    sid = syria_id(client)
    text = client.get(f"/api/scenarios/{sid}").json()["yaml"]
    doc = yaml.safe_load(text)
    doc["stances"]["us"]["assad-fate"]["salience"] = 0.2
    client.post(f"/api/scenarios/{sid}/versions", json={"parent": 1, "document": doc})
    diff = client.get("/api/compare/versions", params={"scenario": sid, "a": 1, "b": 2}).json()
    assert diff["n_changes"] == 1
    row = diff["rows"][0]
    assert (row["kind"], row["key"], row["field"], row["b"]) == ("stance", "us on assad-fate", "salience", 0.2)
    runs = [client.post(f"/api/scenarios/{sid}/runs", json={"models": ["compromise"], "version": v, "wait": True}).json()
            for v in (1, 2)]
    d = client.get("/api/compare/runs", params={"a": runs[0]["id"], "b": runs[1]["id"]}).json()["rows"]
    assert any(r["difference"] and abs(r["difference"]) > 0 for r in d if r["issue"] == "assad-fate")
    assert client.get("/api/compare/runs", params={"a": runs[0]["id"], "b": 999}).status_code == 404
