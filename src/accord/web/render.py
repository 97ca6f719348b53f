"""Rendering a page of the web app with its form token."""

from __future__ import annotations

from fastapi import Request
from fastapi.templating import Jinja2Templates

from accord.web.security import CSRF_COOKIE, new_csrf_token


def render(request: Request, name: str, context: dict, status: int = 200):
    """A page with the CSRF token its forms carry (double-submit cookie)."""
    templates: Jinja2Templates = request.app.state.templates
    csrf = request.cookies.get(CSRF_COOKIE) or ""
    fresh = len(csrf) < 16
    if fresh:
        csrf = new_csrf_token()
    response = templates.TemplateResponse(request, name, context | {"csrf": csrf}, status_code=status)
    if fresh:
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/")
    return response
