"""Request guards: Host header, access token, cross-site request refusal, request size limit.

Pure ASGI middleware so the size limit also holds for chunked uploads without a Content-Length.
"""

from __future__ import annotations

import hmac
import html
import json
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from starlette.exceptions import HTTPException

TOKEN_COOKIE = "accord_token"
CSRF_COOKIE = "accord_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without the port: ``[::1]:8000`` -> ``::1``."""
    h = header.strip().lower()
    if h.startswith("["):
        return h[1:h.find("]")] if "]" in h else h
    name, sep, port = h.rpartition(":")
    return name if sep and port.isdigit() and ":" not in name else h


def host_allowed(header: str | None, allowed: frozenset[str] = frozenset()) -> bool:
    """Whether a request's ``Host`` names this server: a loopback name or address, or one of
    ``allowed`` (``*``: any). A page on another site that has its own name resolve to 127.0.0.1
    (DNS rebinding) sends that name, and is refused."""
    if not header:
        return False
    name = host_name(header).rstrip(".")
    return is_loopback(name) or "*" in allowed or name in allowed


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def is_loopback(host: str) -> bool:
    import ipaddress

    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _TooLarge(HTTPException):
    """Raised while reading a body past the limit; an HTTPException so FastAPI answers 413 itself
    instead of calling it a body parsing error."""

    def __init__(self, limit: int):
        super().__init__(413, f"request body larger than {limit} bytes")


class Guard:
    """Refuse requests to a foreign host name, without the token (when one is set), cross-site
    writes and large bodies.

    Host: only loopback names (``localhost``, ``127.0.0.1``, ``::1``, with any port) unless a
    token is set and ``allowed_hosts`` names more (:func:`host_allowed`); answered 400.

    The token may come as ``Authorization: Bearer T``, an ``X-Accord-Token`` header, the cookie
    set after a first visit with ``?token=T``, or that query parameter itself.
    Cross-site writes: a POST/PUT/PATCH/DELETE whose ``Origin`` names another host, or whose
    ``Sec-Fetch-Site`` says cross-site, is refused; HTML forms also carry a CSRF token checked by
    the form handlers (double-submit cookie).
    """

    def __init__(self, app, *, token: str | None, max_body: int, allowed_hosts=()):
        self.app = app
        self.token = token
        self.max_body = max_body
        self.allowed_hosts = frozenset(h.strip().lower().rstrip(".") for h in allowed_hosts or ())

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        path = scope.get("path", "")
        set_cookie = None
        if not host_allowed(headers.get("host"), self.allowed_hosts):
            return await _reply(send, 400, f"this server does not answer to the host name {headers.get('host', '')!r} "
                                "(only its own names are accepted; see accord serve --allowed-host)", path)
        if self.token:
            supplied = _supplied_token(headers, scope)
            if not same_token(supplied, self.token):
                return await _reply(send, 401, "a valid access token is required (see accord serve --token)", path)
            query_token = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [None])[0]
            if query_token and same_token(query_token, self.token):
                set_cookie = f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
        if scope["method"] not in SAFE_METHODS and _cross_site(headers):
            return await _reply(send, 403, "cross-site request refused", path)
        length = headers.get("content-length")
        if length is not None:
            try:
                too_big = int(length) > self.max_body
            except ValueError:
                return await _reply(send, 400, "bad Content-Length", path)
            if too_big:
                return await _reply(send, 413, f"request body larger than {self.max_body} bytes", path)

        received = 0
        started = False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _TooLarge(self.max_body)
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if set_cookie:
                    message = dict(message)
                    message["headers"] = [*message.get("headers", []), (b"set-cookie", set_cookie.encode())]
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _reply(send, 413, f"request body larger than {self.max_body} bytes", path)


def _supplied_token(headers: dict, scope) -> str | None:
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    if headers.get("x-accord-token"):
        return headers["x-accord-token"]
    if "cookie" in headers:
        jar = SimpleCookie()
        try:
            jar.load(headers["cookie"])
        except Exception:  # noqa: BLE001 - a malformed cookie header is simply no token
            jar = SimpleCookie()
        if TOKEN_COOKIE in jar:
            return jar[TOKEN_COOKIE].value
    return parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [None])[0]


def _cross_site(headers: dict) -> bool:
    if headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return True
    origin = headers.get("origin")
    if origin is None:
        return False  # not a browser (curl, scripts) or a same-origin navigation of an old browser
    if origin == "null":
        return True
    return urlsplit(origin).netloc.lower() != headers.get("host", "").lower()


async def _reply(send, status: int, message: str, path: str) -> None:
    if path.startswith("/api/"):
        body = json.dumps({"detail": message}).encode()
        ctype = b"application/json"
    else:
        body = (f"<!doctype html><html lang=en><meta charset=utf-8><title>{status}</title>"
                f"<h1>{status}</h1><p>{html.escape(message)}</p></html>").encode()
        ctype = b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
