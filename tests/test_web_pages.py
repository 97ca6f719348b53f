"""Server-rendered pages: every page renders, the editor saves versions, and the guards hold."""

from __future__ import annotations

import re

import pytest

from accord.scenario import Actor
from web_helpers import csrf_of, make_client, syria_id

XSS = "<script>alert(1)</script>"


@pytest.fixture
def client(tmp_path):
    with make_client(tmp_path) as c:
        yield c


def editor_form(html: str) -> dict[str, str]:
    """The values a browser would submit from the editor page (inputs, textareas, selects)."""
    form = html[html.index('<form method="post" action="/scenarios/'):]
    form = form[: form.index("</form>")]
    data: dict[str, str] = {}
    for tag in re.finditer(r"<input([^>]*)>", form):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag.group(1)))
        if "name" not in attrs or attrs.get("type") in ("checkbox", "radio"):
            continue
        data[attrs["name"]] = _unescape(attrs.get("value", ""))
    for m in re.finditer(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[m.group(1)] = _unescape(m.group(2))
    for m in re.finditer(r'<select name="([^"]+)">(.*?)</select>', form, re.S):
        sel = re.search(r"<option selected>([^<]*)</option>", m.group(2)) or re.search(r"<option[^>]*>([^<]*)</option>", m.group(2))
        data[m.group(1)] = _unescape(sel.group(1))
    return data


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_every_page_renders(client):
    sid = syria_id(client)
    run = client.post(f"/api/scenarios/{sid}/runs", json={"models": ["compromise"], "wait": True}).json()
    for url in ("/", f"/scenarios/{sid}", f"/scenarios/{sid}?version=1", f"/scenarios/{sid}/versions",
                f"/scenarios/{sid}/run", f"/scenarios/{sid}/delete", "/runs", f"/runs?scenario={sid}",
                f"/runs/{run['id']}", "/compare", f"/compare?scenario={sid}&a=1&b=1",
                f"/compare?run_a={run['id']}&run_b={run['id']}", "/static/app.js", "/static/app.css"):
        r = client.get(url)
        assert r.status_code == 200, (url, r.text[:500])
    assert client.get("/scenarios/999").status_code == 404
    assert "Not found" in client.get("/runs/999").text


def test_plotly_is_served_from_the_installed_package_never_a_cdn(client):
    r = client.get("/vendor/plotly.min.js")
    assert r.status_code == 200 and len(r.content) > 1_000_000
    import plotly

    assert plotly.__version__.split(".")[0] in r.text[:2000] or "plotly" in r.text[:2000].lower()
    sid = syria_id(client)
    run = client.post(f"/api/scenarios/{sid}/runs", json={"models": ["compromise"], "wait": True}).json()
    page = client.get(f"/runs/{run['id']}").text
    assert '<script src="/vendor/plotly.min.js">' in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    # The results page says beside the forecasts whether the process agrees them.
    assert 'id="agreement-table"' in page and "never opens" in page


def test_editor_saves_a_new_version(client):
    sid = syria_id(client)
    page = client.get(f"/scenarios/{sid}").text
    data = editor_form(page)
    assert data["s0_0_salience"] == "0.9" or data["s0_0_salience"]
    data["s0_0_salience"] = "0.35"
    data["message"] = "US cares less about Assad"
    r = client.post(f"/scenarios/{sid}", data=data | {"action": "save"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    versions = client.get(f"/api/scenarios/{sid}/versions").json()
    assert [v["number"] for v in versions] == [2, 1] and versions[0]["message"] == "US cares less about Assad"
    diff = client.get("/api/compare/versions", params={"scenario": sid, "a": 1, "b": 2}).json()
    assert [(r["key"], r["field"], r["b"]) for r in diff["rows"]] == [("us on assad-fate", "salience", 0.35)]


def test_editor_keeps_preconditions_and_linkages_through_renames(client):
    sid = syria_id(client)
    data = editor_form(client.get(f"/scenarios/{sid}").text)
    k = next(k for k in range(20) if data.get(f"a{k}_id") == "russia")
    data[f"a{k}_id"] = "ru"
    j = next(j for j in range(20) if data.get(f"i{j}_id") == "delegation")
    data[f"i{j}_id"] = "delegation-talks"
    for i in range(20):
        for key in (f"i{i}_veto", f"i{i}_parties"):
            if key in data:
                data[key] = data[key].replace("russia", "ru")
    r = client.post(f"/scenarios/{sid}", data=data | {"action": "save"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:3000]
    doc = client.get(f"/api/scenarios/{sid}").json()["document"]
    assert doc["preconditions"][0]["owner"] == "ru"
    assert "delegation-talks" in doc["preconditions"][0]["requires"]
    assert doc["linkages"][0]["actor"] == "us"
    assert "ru" in doc["stances"] and "delegation-talks" in doc["stances"]["ru"]


def test_editor_shows_problems_inline_and_does_not_save(client):
    sid = syria_id(client)
    data = editor_form(client.get(f"/scenarios/{sid}").text)
    data["s1_0_salience"] = "1.7"
    data["a2_capability"] = "lots"
    r = client.post(f"/scenarios/{sid}", data=data | {"action": "save"})
    assert r.status_code == 422
    assert 'data-for="a2_capability">&#39;lots&#39; is not a number' in r.text
    assert 'class="invalid" name="a2_capability"' in r.text
    data["a2_capability"] = "45"
    r = client.post(f"/scenarios/{sid}", data=data | {"action": "save"})
    assert r.status_code == 422 and 'data-for="s1_0_salience">salience must be between 0 and 1' in r.text
    assert client.get(f"/api/scenarios/{sid}/versions").json()[0]["number"] == 1
    live = client.post(f"/scenarios/{sid}/check", data=data).json()
    assert "s1_0_salience" in live["fields"] and live["problems"]


def test_editor_conflict_is_reported_not_overwritten(client):
    sid = syria_id(client)
    alice = editor_form(client.get(f"/scenarios/{sid}").text)
    bob = dict(alice)
    alice["s0_0_salience"] = "0.5"
    assert client.post(f"/scenarios/{sid}", data=alice | {"action": "save"}, follow_redirects=False).status_code == 303
    bob["s0_0_salience"] = "0.1"
    r = client.post(f"/scenarios/{sid}", data=bob | {"action": "save"})
    assert r.status_code == 409 and "your changes were not saved" in r.text
    assert 'value="0.1"' in r.text  # Bob's edits are still on his screen
    doc = client.get(f"/api/scenarios/{sid}").json()["document"]
    assert doc["stances"]["us"]["assad-fate"]["salience"] == 0.5


def test_editor_adds_and_removes_rows(client):
    sid = syria_id(client)
    data = editor_form(client.get(f"/scenarios/{sid}").text)
    r = client.post(f"/scenarios/{sid}", data=data | {"action": "add-actor"})
    assert r.status_code == 200 and 'name="a15_id" value="actor16"' in r.text
    data = editor_form(r.text)
    data |= {"a15_name": "Iraq", "a15_capability": "10", "s15_0_position": "80", "s15_0_salience": "0.4",
             "a14_remove": "1"}
    r = client.post(f"/scenarios/{sid}", data=data | {"action": "save"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:3000]
    doc = client.get(f"/api/scenarios/{sid}").json()["document"]
    ids = [a["id"] for a in doc["actors"]]
    assert ids[-1] == "actor16" and "egypt" not in ids and doc["stances"]["actor16"]["assad-fate"]["position"] == 80


def test_actor_name_with_script_renders_as_text(client):
    sid = syria_id(client)
    data = editor_form(client.get(f"/scenarios/{sid}").text)
    data["a0_name"] = XSS
    data["title"] = XSS + " title"
    assert client.post(f"/scenarios/{sid}", data=data | {"action": "save"}, follow_redirects=False).status_code == 303
    run = client.post(f"/api/scenarios/{sid}/runs", json={"models": ["compromise"], "wait": True}).json()
    for url in ("/", f"/scenarios/{sid}", f"/scenarios/{sid}/versions", f"/runs/{run['id']}", "/runs",
                f"/compare?scenario={sid}&a=1&b=2", f"/runs/{run['id']}/report.html"):
        page = client.get(url).text
        assert XSS not in page, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/scenarios/{sid}").text


def test_library_import_duplicate_delete(client, tmp_path):
    from conftest import SYRIA

    page = client.get("/").text
    token = csrf_of(page)
    r = client.post("/scenarios/import", data={"csrf": token, "format": ""},
                    files={"file": ("syria.yaml", SYRIA.read_bytes())}, follow_redirects=False)
    assert r.status_code == 303
    new_id = int(re.search(r"/scenarios/(\d+)", r.headers["location"]).group(1))
    r = client.post("/scenarios/import", data={"csrf": token}, files={"file": ("bad.yaml", b"title: [")})
    assert r.status_code == 422 and "bad.yaml was not imported" in r.text
    r = client.post(f"/scenarios/{new_id}/duplicate", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    assert len(client.get("/api/scenarios").json()) == 3
    assert "cannot be undone" in client.get(f"/scenarios/{new_id}/delete").text
    r = client.post(f"/scenarios/{new_id}/delete", data={"csrf": token}, follow_redirects=False)
    assert r.headers["location"].endswith("/delete")  # no confirmation: nothing deleted
    assert len(client.get("/api/scenarios").json()) == 3
    r = client.post(f"/scenarios/{new_id}/delete", data={"csrf": token, "confirm": "yes"}, follow_redirects=False)
    assert r.status_code == 303 and len(client.get("/api/scenarios").json()) == 2
    r = client.post("/scenarios/new", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303


def test_run_form_starts_a_run(client):
    sid = syria_id(client)
    page = client.get(f"/scenarios/{sid}/run").text
    r = client.post(f"/scenarios/{sid}/run", data={"csrf": csrf_of(page), "models": "compromise", "seed": "1",
                                                   "version": "1"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/runs/")
    r = client.post(f"/scenarios/{sid}/run", data={"csrf": csrf_of(page), "models": "compromise", "seed": "x"},
                    follow_redirects=False)
    assert "error=seed" in r.headers["location"]
    r = client.post(f"/scenarios/{sid}/run", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert "error=unknown" in r.headers["location"]


def test_forms_need_the_csrf_token(client):
    sid = syria_id(client)
    client.get("/")  # sets the CSRF cookie
    for url, data in ((f"/scenarios/{sid}/duplicate", {}), (f"/scenarios/{sid}/delete", {"confirm": "yes"}),
                      ("/scenarios/new", {}), (f"/scenarios/{sid}", {"action": "save"})):
        for token in (None, "forged-token-forged-token"):
            r = client.post(url, data=data | ({"csrf": token} if token else {}))
            assert r.status_code == 403, url
    assert len(client.get("/api/scenarios").json()) == 1


def test_cross_site_writes_are_refused(client):
    sid = syria_id(client)
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        r = client.delete(f"/api/scenarios/{sid}", headers=headers)
        assert r.status_code == 403
    assert client.delete(f"/api/scenarios/{sid}", headers={"Origin": "http://localhost"}).status_code == 204


def test_request_size_limit(tmp_path):
    with make_client(tmp_path, max_body=10_000) as c:
        r = c.post("/api/scenarios", json={"yaml": "x" * 20_000})
        assert r.status_code == 413

        def chunks():  # no Content-Length: the limit must hold while streaming
            for _ in range(30):
                yield b"a" * 1000

        r = c.post("/api/validate", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413


def test_token_guards_every_request(tmp_path):
    with make_client(tmp_path, token="s3cret-token") as c:
        assert c.get("/").status_code == 401
        assert c.get("/api/scenarios").status_code == 401
        assert c.get("/static/app.css").status_code == 401
        assert c.get("/api/scenarios", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/scenarios", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        assert c.get("/api/scenarios", headers={"X-Accord-Token": "s3cret-token"}).status_code == 200
        r = c.get("/?token=s3cret-token")
        assert r.status_code == 200 and "accord_token" in r.headers["set-cookie"]
        assert c.get("/runs").status_code == 200  # the cookie carries it from now on


def test_serve_refuses_a_public_address_without_token(run_cli):
    code, _, err = run_cli("serve", "--host", "0.0.0.0")
    assert code == 2 and "--token" in err
    code, _, err = run_cli("serve", "--host", "192.168.1.5", "--token", "short")
    assert code == 2 and "at least 8" in err


def test_loopback_detection():
    from accord.web.security import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("example.org")


def test_responses_forbid_inline_scripts(client):
    csp = client.get("/").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_csv_cells_cannot_become_spreadsheet_formulas():
    import csv
    import io

    from accord.web.api import csv_text

    text = csv_text(["name"], [["=HYPERLINK(\"x\")"], ["-3"], [-3.0]])
    assert [r[0] for r in csv.reader(io.StringIO(text))][1:] == ["'=HYPERLINK(\"x\")", "'-3", "-3.0"]


def test_actor_record_unchanged():
    # The editor relies on these fields existing; fail loudly if the record changes shape.
    assert {"id", "name", "capability", "group", "colour", "description", "rationale"} <= set(Actor.__dataclass_fields__)


DRAFT_YAML = """
title: a draft with evidence
sources: [{id: r1, title: "a report"}]
actors:
  - {id: a, name: Alpha, capability: unknown}
  - {id: b, name: Beta, capability: 2}
issues:
  - {id: deal, name: The deal}
stances:
  a:
    deal:
      position: unknown
      salience: unknown
      evidence:
        - {quote: "no deal until the sanctions go", source: r1, sentence: "Alpha said: no deal until the sanctions go."}
  b:
    deal: [40, 0.5]
"""


def test_editor_shows_a_stances_evidence_beside_it_and_keeps_it(client):
    sid = client.post("/api/scenarios", json={"yaml": DRAFT_YAML}).json()["scenario_id"]
    page = client.get(f"/scenarios/{sid}").text
    cell = page[page.index('id="evidence-0-0"'):]
    cell = cell[: cell.index("</td>")]
    assert "<q>no deal until the sanctions go</q>" in cell and "<cite>r1</cite>" in cell
    assert "Alpha said: no deal until the sanctions go." in cell
    assert 'href="#evidence-0-0"' in page  # the grid cell points at it
    data = editor_form(page)
    assert data["s0_0_position"] == "unknown" and data["a0_capability"] == "unknown"
    # rename the actor and estimate the salience: the evidence follows, the position stays unknown
    data["a0_id"], data["s0_0_salience"] = "alpha", "0.8"
    r = client.post(f"/scenarios/{sid}", data=data | {"action": "save"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    doc = client.get(f"/api/scenarios/{sid}").json()["document"]
    stance = doc["stances"]["alpha"]["deal"]
    assert stance["position"] == "unknown" and stance["salience"] == 0.8
    assert stance["evidence"][0]["quote"] == "no deal until the sanctions go"
    # a run of the draft fails, naming the values to fill in
    run = client.post(f"/api/scenarios/{sid}/runs", json={"models": ["compromise"], "wait": True}).json()
    assert run["status"] == "failed" and "stances[alpha][deal].position" in run["message"]
