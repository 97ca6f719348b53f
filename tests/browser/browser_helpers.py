"""What the browser tests share: Debian's Chromium and a live ``accord`` web app on a free port."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextlib.contextmanager
def live_app(db_path: Path):
    """The web app on a store at ``db_path``, served by uvicorn on a free loopback port; yields
    the port."""
    import uvicorn

    from accord.web import create_app

    app = create_app(str(db_path))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    try:
        yield port
    finally:
        srv.should_exit = True
        thread.join(10)
