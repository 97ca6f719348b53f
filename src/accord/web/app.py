"""The FastAPI application: server-rendered pages (``pages.py``) and the JSON API (``api.py``)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from accord import __version__
from accord.errors import AccordError, ScenarioError
from accord.report.charts import plotly_js_path
from accord.report.html import TEMPLATES as REPORT_TEMPLATES
from accord.store import Conflict, NotFound, Store, StoreError, StoreUnavailable
from accord.web.render import render
from accord.web.security import Guard

log = logging.getLogger("accord.web")

HERE = Path(__file__).resolve().parent
#: Largest request body accepted (an uploaded scenario, a saved form).
MAX_BODY = 10 * 1024 * 1024
EXAMPLES_SETTING = "examples_loaded"



def example_files() -> list[Path]:
    """The bundled example scenarios (package data ``accord/examples``; the repository's
    ``examples/`` folder links to the same files)."""
    from accord.examples import example_files as files

    return files()


def load_examples(store: Store) -> int:
    """Import the bundled examples once per store (deleting them later does not bring them back)."""
    # Claimed before loading, so two servers starting on one new store load them once.
    if store.get_setting(EXAMPLES_SETTING) or not store.add_setting(EXAMPLES_SETTING, "1"):
        return 0
    from accord.io import read_scenario

    n = 0
    for path in example_files():
        try:
            store.create_scenario(read_scenario(path), message=f"bundled example {path.name}")
            n += 1
        except AccordError as exc:  # a broken example must not stop the app
            log.warning("example %s not loaded: %s", path.name, exc)
    return n


class Runs:
    """Runs models in a background thread, recording progress in the store."""

    def __init__(self, store: Store, workers: int = 1):
        self.store = store
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="accord-run")

    def submit(self, run_id: int) -> None:
        self.pool.submit(self.execute, run_id)

    def execute(self, run_id: int) -> None:
        from accord.report.runner import run_scenario

        info = self.store.run_info(run_id)
        last = [0.0]
        lock = threading.Lock()

        def progress(fraction: float, message: str) -> None:
            now = time.monotonic()
            with lock:
                if now - last[0] < 0.3 and fraction < 1:
                    return
                last[0] = now
            try:
                self.store.update_run(run_id, progress=fraction, message=message)
            except StoreUnavailable:  # progress is a courtesy: a locked store must not fail the run
                log.warning("run %s: progress not recorded, the store is unavailable", run_id)

        try:
            self.store.update_run(run_id, status="running", progress=0.0, message="starting")
            scenario, _ = self.store.load(info.scenario_id, info.version)
            results = run_scenario(scenario, info.models, seed=info.seed, draws=info.draws, params=info.params,
                                   progress=progress)
            self.store.update_run(run_id, status="done", progress=1.0, message="done", results=results)
        except AccordError as exc:
            self.store.update_run(run_id, status="failed", message=str(exc))
        except Exception as exc:  # noqa: BLE001 - a failed run is recorded, never lost
            log.exception("run %s failed", run_id)
            self.store.update_run(run_id, status="failed", message=f"internal error: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def create_app(db_url: str | None = None, token: str | None = None, *, examples: bool = True,
               max_body: int = MAX_BODY, allowed_hosts: Sequence[str] = ()) -> FastAPI:
    """The accord web app over the store at ``db_url`` (default: :func:`accord.store.default_url`).

    With ``token`` every request must carry it (see :class:`accord.web.security.Guard`). Requests
    must name the server by a loopback name (``localhost``, ``127.0.0.1``, ``[::1]``) or, with a
    token, one of ``allowed_hosts`` (``*``: any), so that another site cannot reach it through
    DNS rebinding.
    """
    if allowed_hosts and not token:
        raise AccordError("--allowed-host needs --token: without one, any page a browser opens could use "
                          "those names to read and change your scenarios")
    store = Store(db_url)
    store.fail_unfinished_runs()
    if examples:
        load_examples(store)
    runs = Runs(store)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        runs.close()
        store.close()

    app = FastAPI(
        title="accord", version=__version__, lifespan=lifespan,
        description="Forecast multi-party negotiations: scenarios, versions, runs and reports.",
        openapi_url="/api/openapi.json", docs_url=None, redoc_url=None,  # the docs UIs load from a CDN
    )
    app.state.store = store
    app.state.runs = runs
    app.state.token = token
    templates = Jinja2Templates(directory=[HERE / "templates", REPORT_TEMPLATES])
    templates.env.globals["accord_version"] = __version__
    app.state.templates = templates

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js():
        return FileResponse(plotly_js_path(), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    _error_handlers(app)
    from accord.web import api, pages

    app.include_router(api.router)
    app.include_router(pages.router)
    app.add_middleware(Guard, token=token, max_body=max_body, allowed_hosts=tuple(allowed_hosts))

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        # No inline script runs except ours: charts are JSON read by static/app.js.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-eval'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")  # no-referrer would send "Origin: null"
        return response

    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_handlers(app: FastAPI) -> None:
    def page_or_json(request: Request, status: int, message: str, problems=None):
        if _wants_json(request):
            body = {"detail": message}
            if problems:
                body["problems"] = problems
            return JSONResponse(body, status_code=status)
        return render(request, "error.html", {"status": status, "message": message, "problems": problems or []},
                      status=status)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return page_or_json(request, 404, str(exc))

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict):
        if _wants_json(request):
            return JSONResponse({"detail": str(exc), "latest": exc.latest, "parent": exc.parent}, status_code=409)
        return page_or_json(request, 409, str(exc))

    @app.exception_handler(ScenarioError)
    async def scenario_error(request: Request, exc: ScenarioError):
        problems = [{"message": p.message, "where": p.where, "file": p.file, "line": p.line} for p in exc.problems]
        return page_or_json(request, 422, str(exc), problems)

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError):
        return page_or_json(request, 422, str(exc))

    @app.exception_handler(StoreUnavailable)
    async def store_unavailable(request: Request, exc: StoreUnavailable):
        # Locked, unreachable or unusable: nothing was changed, the request may be tried again.
        response = page_or_json(request, 503, str(exc))
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(AccordError)
    async def accord_error(request: Request, exc: AccordError):
        return page_or_json(request, 422, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        # A page gets a page (a refused form, say), the API its JSON.
        if _wants_json(request) or exc.status_code < 400:
            return await http_exception_handler(request, exc)
        return page_or_json(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        if _wants_json(request):
            return JSONResponse({"detail": _jsonable_errors(exc.errors())}, status_code=422)
        return page_or_json(request, 422, "bad request: " + "; ".join(str(e.get("msg")) for e in exc.errors()))


def _jsonable_errors(errors) -> list:
    out = []
    for e in errors:
        out.append({k: (v if isinstance(v, (str, int, float, bool, type(None), list)) else str(v))
                    for k, v in e.items() if k != "ctx"})
    return out



def env_token() -> str | None:
    return os.environ.get("ACCORD_TOKEN") or None
