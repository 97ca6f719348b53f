"""The editor and results fixes of #21 in headless Chromium: a stance's range refused in plain
words with the range shown, unsaved edits guarded, anchors in the stance grid's headers, a
variant per model, and results with labels, names and the explanation panel.

Screenshots go to ``test-output/browser/`` (docs/img/ holds copies of two of them).
"""

from __future__ import annotations

import pytest
from test_browser import OUT, RUN_TIMEOUT, browser, server  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def tab(browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.dialog_types = []
    pg.on("dialog", lambda d: (pg.dialog_types.append(d.type), d.dismiss()))
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


def open_syria(pg, server) -> str:  # noqa: F811
    pg.goto(server + "/")
    pg.click("#library tbody tr:has-text('ISSG Syria') a.button:has-text('Edit')")
    pg.wait_for_selector("#stance-grid")
    return pg.url.split("?")[0]


def snap(pg, name: str, selector: str | None = None) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    if selector:
        pg.locator(selector).screenshot(path=str(OUT / f"{name}.png"))
    else:
        pg.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def test_a_position_outside_its_range_is_refused_in_words_with_the_range_in_view(tab, server):  # noqa: F811
    pg = tab
    open_syria(pg, server)
    # The United States' stance on Assad's fate has the range 25–45, shown in its cell.
    assert "range 25–45" in pg.locator("#s0_0_range").inner_text()
    assert not pg.locator("#stance-details").evaluate("d => d.open")
    pg.locator("#s0_0_position").fill("60")
    pg.wait_for_selector("#problems:not(.hidden)")
    text = pg.locator("#problems").inner_text()
    assert "United States on Assad's fate" in text and "outside this stance's range 25–45" in text
    assert "stances[us]" not in text and "assad-fate" not in text
    # the range's fields are shown (the details open) and marked
    pg.wait_for_function("document.getElementById('stance-details').open")
    assert "invalid" in pg.locator("#s0_0_low").get_attribute("class")
    assert "outside this stance's range" in pg.locator("span.field-error[data-for=s0_0_position]").inner_text()
    snap(pg, "21-range-refused")
    # saving is refused the same way, the details open on the page sent back
    pg.click("#save")
    pg.wait_for_selector("#problems:not(.hidden)")
    assert "United States on Assad's fate" in pg.locator("#problems").inner_text()
    assert pg.locator("#stance-details").evaluate("d => d.open")
    # widening the range there lets it through
    pg.locator("#s0_0_high").fill("70")
    pg.wait_for_selector("#problems.hidden", state="attached")


def test_unsaved_edits_ask_before_leaving(tab, server):  # noqa: F811
    pg = tab
    url = open_syria(pg, server)
    assert pg.locator("#unsaved").is_hidden()
    pg.locator("#s1_0_salience").click()
    pg.locator("#s1_0_salience").fill("0.65")
    assert pg.locator("#unsaved").is_visible()
    pg.click("a.button:has-text('Versions')")
    pg.wait_for_timeout(500)
    assert pg.dialog_types == ["beforeunload"]
    assert pg.url.split("?")[0] == url                  # the dismissed question kept the page
    assert pg.locator("#s1_0_salience").input_value() == "0.65"
    pg.click("#save")                                   # saving is not leaving
    pg.wait_for_url(lambda u: "saved+version" in u)
    assert pg.dialog_types == ["beforeunload"]
    pg.click("a.button:has-text('Versions')")           # nothing unsaved: no question
    pg.wait_for_url(lambda u: u.endswith("/versions"))
    assert pg.dialog_types == ["beforeunload"]


def test_stance_grid_headers_say_what_the_scale_means(tab, server):  # noqa: F811
    pg = tab
    open_syria(pg, server)
    header = pg.locator("#stance-grid thead th").nth(1)
    text = header.inner_text()
    assert "scale 0–100" in text and "status quo 100" in text
    assert "0: Assad leaves before talks start" in pg.locator("#anchors-0").inner_text()
    assert "100: Assad stays, no transition" in pg.locator("#anchors-0").inner_text()
    snap(pg, "22-stance-grid-anchors", "#stance-grid thead")


def test_each_model_offers_its_own_variants(tab, server):  # noqa: F811
    pg = tab
    url = open_syria(pg, server)
    pg.goto(url + "/run")
    options = {m: pg.locator(f"#variant-{m} option").all_inner_texts() for m in ("eum", "smp", "exchange")}
    assert options["eum"] == ["default", "paper", "scholz_compatible", "scholz_code", "risk_neutral"]
    assert options["smp"] == ["default", "deterministic", "stochastic"]
    assert pg.locator("#variant-compromise").count() == 0
    for box in pg.locator("input[name=models]").all():
        box.set_checked(box.get_attribute("value") in ("eum", "compromise"))
    pg.select_option("#variant-eum", "risk_neutral")
    pg.click("#run-button")
    pg.wait_for_url(lambda u: "/runs/" in u)
    pg.wait_for_selector("#chart-forecast[data-rendered]", timeout=RUN_TIMEOUT)
    assert "variant risk_neutral" in pg.locator("p.meta").inner_text()


def test_results_read_in_words_with_names_and_the_explanation(tab, server):  # noqa: F811
    pg = tab
    url = open_syria(pg, server)
    pg.goto(url + "/run")
    for box in pg.locator("input[name=models]").all():
        box.set_checked(box.get_attribute("value") in ("compromise", "nash", "median"))
    pg.click("#run-button")
    pg.wait_for_url(lambda u: "/runs/" in u)
    pg.wait_for_selector("#chart-forecast[data-rendered]", timeout=RUN_TIMEOUT)
    table = pg.locator("#forecast-table").inner_text()
    assert "Assad leaves during an agreed transition" in table
    assert "no change (status quo): 'Assad stays, no transition'" in table        # Nash on Assad's fate
    panel = pg.locator("#explain-panel")
    assert panel.is_visible()
    text = panel.inner_text()
    assert "Most pivotal: Russia" in text and "Pivotal:" in text
    moves = pg.locator("#process-moves").inner_text()
    assert "Precondition on Timing of the next ISSG meeting" in moves and "owner Russia" in moves
    snap(pg, "23-results-labels", "#forecast-table")
    snap(pg, "24-explain-panel", "#explain-0")
    snap(pg, "25-results-page")
