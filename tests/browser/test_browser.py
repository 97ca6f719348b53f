"""The web app and the HTML report in a real headless Chromium (Debian's, driven by Playwright).

Screenshots of every page go to ``test-output/browser/``. Skipped when ``/usr/bin/chromium`` is
absent (CI installs it with apt).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_helpers import ARGS, CHROMIUM, live_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # about 45 s

ROOT = Path(__file__).resolve().parents[2]
SYRIA = ROOT / "examples" / "syria-issg-2015.yaml"
OUT = ROOT / "test-output" / "browser"
XSS = "<script>alert(1)</script>"


# A run compiles the models' numba kernels when the cache is cold (a fresh clone): minutes, not seconds.
RUN_TIMEOUT = 400_000


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with live_app(tmp_path_factory.mktemp("browser") / "accord.db") as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    pg.dialogs = []
    # Leaving an editor with unsaved edits asks first (test_readable_results.py checks that); these
    # flows mean to leave. Any other dialog (an alert from injected script) is recorded.
    pg.on("dialog", lambda d: d.accept() if d.type == "beforeunload" else (pg.dialogs.append(d.message), d.dismiss()))
    pg.external = []
    pg.on("request", lambda r: r.url.startswith(("http://127.0.0.1", "data:", "blob:")) or pg.external.append(r.url))
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def shot(pg, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def best_iterative_model() -> str:
    from accord.models import available

    names = [m.name for m in available()]
    return "eum" if "eum" in names else "compromise"


def test_analyst_flow(page, server, tmp_path):
    pg = page
    # 1. The library starts with the bundled example; import the Syria file too.
    pg.goto(server + "/")
    assert pg.locator("#library").inner_text().count("ISSG Syria") == 1
    shot(pg, "01-library")
    pg.set_input_files("#import-form input[type=file]", str(SYRIA))
    pg.click("#import-form button[type=submit]")
    pg.wait_for_url(lambda u: "message=imported" in u)
    scenario_url = pg.url.split("?")[0]
    assert "version 1" in pg.locator("#version-badge").inner_text()
    shot(pg, "02-editor")

    # 2. Change a salience in the stance grid and save: version 2 appears.
    cell = pg.locator("#s0_0_salience")
    assert cell.input_value() != "0.35"
    cell.fill("0.35")
    pg.click("#save")
    pg.wait_for_url(lambda u: "saved+version+2" in u)
    assert "saved version 2" in pg.locator("#message").inner_text()
    assert pg.locator("#s0_0_salience").input_value() == "0.35"
    assert "version 2" in pg.locator("#version-badge").inner_text()

    # Inline validation: a bad value is flagged next to its cell before saving.
    pg.locator("#s1_0_salience").fill("1.7")
    pg.wait_for_selector("span.field-error[data-for=s1_0_salience]:has-text('between 0 and 1')")
    assert pg.locator("#problems").is_visible()
    shot(pg, "03-editor-validation")
    pg.locator("#s1_0_salience").fill("0.9")
    pg.wait_for_selector("#problems.hidden", state="attached")

    pg.goto(scenario_url + "/versions")
    assert pg.locator("#versions tbody tr").count() == 2
    shot(pg, "04-versions")

    # 3. Run the expected utility model with 200 draws.
    model = best_iterative_model()
    pg.goto(scenario_url + "/run")
    for box in pg.locator("input[name=models]").all():
        box.set_checked(box.get_attribute("value") == model)
    draws = pg.locator("#draws")
    assert draws.count() == 1, "draws should be offered (accord.uncertainty.simulate is installed)"
    draws.fill("200")
    shot(pg, "05-run-form")
    pg.click("#run-button")
    pg.wait_for_url(lambda u: "/runs/" in u)
    if pg.locator("#progress-panel").count():
        shot(pg, "06-run-progress")
    pg.wait_for_selector("#chart-forecast[data-rendered]", timeout=RUN_TIMEOUT)
    if model != "compromise":
        pg.wait_for_selector("#chart-positions[data-rendered] .main-svg")
    pg.wait_for_selector("#chart-distribution[data-rendered] .violinlayer path")
    assert pg.locator("#forecast-table tbody tr").count() == 7
    shot(pg, "07-results")

    # 4. Download the report.
    with pg.expect_download() as info:
        pg.click("#report-link")
    report = tmp_path / "report.html"
    info.value.save_as(report)
    text = report.read_text(encoding="utf-8")
    assert "Positions by round" in text and "Forecast distributions" in text

    # 5. Compare the two versions.
    pg.goto(scenario_url + "/versions")
    pg.click("#compare-button")
    pg.wait_for_selector("#version-diff")
    diff = pg.locator("#version-diff").inner_text()
    assert "1 change(s)" in diff and "us on assad-fate" in diff and "0.35" in diff
    shot(pg, "08-compare-versions")

    pg.goto(server + "/runs")
    assert pg.locator("table.runs tbody tr").count() >= 1
    shot(pg, "09-run-history")
    assert pg.dialogs == [] and pg.external == []


def test_script_in_an_actor_name_renders_as_text(page, server):
    pg = page
    pg.goto(server + "/")
    pg.click("#library tbody tr:first-child a.button:has-text('Edit')")
    pg.locator("input[name=a0_name]").fill(XSS)
    pg.locator("input[name=title]").fill(XSS + " scenario")
    pg.click("#save")
    pg.wait_for_url(lambda u: "saved+version" in u)
    assert XSS in pg.locator("#stance-grid").inner_text()
    pg.goto(server + "/")
    assert XSS + " scenario" in pg.locator("#library").inner_text()
    scenario_url = pg.url
    pg.click(f"#library a:has-text('{XSS} scenario')")
    scenario_url = pg.url.split("?")[0]
    pg.goto(scenario_url + "/run")
    for box in pg.locator("input[name=models]").all():
        box.set_checked(box.get_attribute("value") == best_iterative_model())
    pg.click("#run-button")
    pg.wait_for_selector("#chart-forecast[data-rendered]", timeout=RUN_TIMEOUT)
    if pg.locator("#positions-select").count():
        pg.wait_for_selector("#chart-positions[data-rendered]")
        assert XSS in pg.locator("#chart-positions g.legend").text_content()
    shot(pg, "10-xss-results")
    assert pg.dialogs == [], "a script from an actor name ran"


def test_report_renders_offline(browser, tmp_path, run_cli):
    out = tmp_path / "report.html"
    code, _, err = run_cli("report", str(SYRIA), "-o", str(out), "--model", best_iterative_model(),
                           "--model", "compromise", "--draws", "200")
    assert code == 0, err
    context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
    requests = []
    context.route("**/*", lambda route: (requests.append(route.request.url),
                                         route.continue_() if route.request.url.startswith("file:") else route.abort()))
    pg = context.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(out.as_uri())
    pg.wait_for_selector("#chart-forecast[data-rendered] .main-svg")
    pg.wait_for_selector("#chart-distribution[data-rendered] .violinlayer path")
    n_charts = pg.locator(".chart").count()
    pg.wait_for_function(f"document.querySelectorAll('.chart[data-rendered]').length === {n_charts}")
    OUT.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(OUT / "11-report-offline.png"), full_page=False)
    assert [u for u in requests if not u.startswith("file:")] == []
    assert errors == []
    context.close()
