"""DNS rebinding, in a real browser: a page served under a foreign host name that resolves to the
loopback server is refused, while the server's own names work.

Chromium's ``--host-resolver-rules`` makes ``evil.test`` resolve to 127.0.0.1, which is what an
attacker's DNS does after a page on ``evil.test`` has loaded: the browser then treats the local
server as ``evil.test`` itself (same origin), so only the ``Host`` header tells them apart.
"""

from __future__ import annotations

import pytest
from browser_helpers import ARGS as BROWSER_ARGS
from browser_helpers import CHROMIUM, live_app

pytestmark = [pytest.mark.browser]

ARGS = [*BROWSER_ARGS, "--host-resolver-rules=MAP evil.test 127.0.0.1"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with live_app(tmp_path_factory.mktemp("rebinding") / "accord.db") as port:
        yield port


def test_a_rebound_host_name_is_refused(server):
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed at /usr/bin/chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            # The attacker's page, now talking to the local server under its own name.
            refused = page.goto(f"http://evil.test:{server}/")
            assert refused.status == 400
            assert "does not answer to the host name" in page.content()
            api = page.evaluate("fetch('/api/scenarios').then(r => r.status)")
            assert api == 400
            # The server's own names still work.
            for name in ("127.0.0.1", "localhost"):
                ok = page.goto(f"http://{name}:{server}/")
                assert ok.status == 200, name
                assert "ISSG Syria" in page.content()
        finally:
            browser.close()
