"""Shared helpers for the web app tests."""

from __future__ import annotations

import re
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note about httpx vs httpx2
    from fastapi.testclient import TestClient

from accord.web import create_app


def make_client(tmp_path, **kwargs) -> TestClient:
    app = create_app(str(tmp_path / "web.db"), **kwargs)
    return TestClient(app, base_url="http://localhost")


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "page has no CSRF field"
    return m.group(1)


def syria_id(client) -> int:
    return next(s["id"] for s in client.get("/api/scenarios").json() if s["title"].startswith("ISSG Syria"))
