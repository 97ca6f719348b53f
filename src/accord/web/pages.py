"""Server-rendered pages: library, editor, versions, run, results, history, compare."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from accord.errors import AccordError, ScenarioError
from accord.rng import MAX_SEED
from accord.scenario import Actor, Issue, Scenario, Stance
from accord.store import Conflict, Store, StoreUnavailable
from accord.web import api, forms
from accord.web.render import render
from accord.web.security import CSRF_COOKIE, same_token

router = APIRouter(include_in_schema=False)

ScenarioId = Annotated[int, PathParam(ge=1, le=api.MAX_ID)]
RunId = Annotated[int, PathParam(ge=1, le=api.MAX_ID)]
OptionalNumber = Annotated[int | None, Query(ge=1, le=api.MAX_ID)]


def _store(request: Request) -> Store:
    return request.app.state.store


async def _form(request: Request):
    """The submitted form, after checking its CSRF token against the cookie."""
    form = await request.form(max_files=4, max_fields=200_000, max_part_size=api.MAX_TEXT)
    if not same_token(str(form.get("csrf", "")), request.cookies.get(CSRF_COOKIE)):
        raise HTTPException(403, "the form's security token is missing or stale; reload the page and try again")
    return form


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- library ----------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def library(request: Request, message: str = "", error: str = ""):
    from accord.io import FORMATS

    return render(request, "library.html", {
        "scenarios": _store(request).list_scenarios(), "formats": FORMATS,
        "message": message[:300], "error": error[:2000],
    })


@router.post("/scenarios/import")
async def import_scenario(request: Request):
    form = await _form(request)
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return _library_error(request, "choose a scenario file to import")
    raw = await upload.read()
    try:
        # Parsing runs in a worker thread: a large file must not hold up every other request.
        scenario = await run_in_threadpool(api.import_bytes, raw, upload.filename, str(form.get("format") or "") or None)
    except AccordError as exc:
        return _library_error(request, f"{upload.filename} was not imported: {exc}", status=422)
    info = await run_in_threadpool(_store(request).create_scenario, scenario, message=f"imported {upload.filename}")
    return _see(f"/scenarios/{info.scenario_id}?message=imported")


def _library_error(request: Request, error: str, status: int = 400):
    from accord.io import FORMATS

    return render(request, "library.html", {"scenarios": _store(request).list_scenarios(), "formats": FORMATS,
                                            "message": "", "error": error}, status=status)


@router.post("/scenarios/new")
async def new_scenario(request: Request):
    await _form(request)
    blank = Scenario(
        title="New scenario",
        actors=(Actor("a", "Actor A", 1.0), Actor("b", "Actor B", 1.0)),
        issues=(Issue("issue1", "First issue"),),
        stances=(Stance("a", "issue1", 0.0, 0.5), Stance("b", "issue1", 100.0, 0.5)),
    )
    info = await run_in_threadpool(_store(request).create_scenario, blank, message="new scenario")
    return _see(f"/scenarios/{info.scenario_id}")


@router.post("/scenarios/{scenario_id}/duplicate")
async def duplicate(request: Request, scenario_id: ScenarioId):
    form = await _form(request)
    version = _int_or_none(form.get("version"))
    info = await run_in_threadpool(_store(request).duplicate, scenario_id, version)
    return _see(f"/?message=duplicated+as+scenario+{info.scenario_id}")


@router.get("/scenarios/{scenario_id}/delete", response_class=HTMLResponse)
def confirm_delete(request: Request, scenario_id: ScenarioId):
    info = _store(request).scenario_info(scenario_id)
    return render(request, "confirm_delete.html", {"info": info})


@router.post("/scenarios/{scenario_id}/delete")
async def delete(request: Request, scenario_id: ScenarioId):
    form = await _form(request)
    if form.get("confirm") != "yes":
        return _see(f"/scenarios/{scenario_id}/delete")
    await run_in_threadpool(_store(request).delete_scenario, scenario_id)
    return _see("/?message=deleted")


# -- editor -----------------------------------------------------------------------------------
@router.get("/scenarios/{scenario_id}", response_class=HTMLResponse)
def editor(request: Request, scenario_id: ScenarioId, version: OptionalNumber = None, message: str = ""):
    store = _store(request)
    scenario, info = store.load(scenario_id, version)
    latest = store.latest_number(scenario_id)
    return _editor_page(request, scenario_id, forms.draft_from_scenario(scenario), info.number, latest,
                        message=message[:200], base=scenario)


def _editor_page(request, scenario_id, draft, parent, latest, *, problems=(), fields=None, message="",
                 conflict=None, unavailable=None, status=200, base=None, unsaved=False):
    response = render(request, "editor.html", {
        "scenario_id": scenario_id, "draft": draft, "parent": parent, "latest": latest,
        "evidence": forms.evidence_cells(draft, base),
        "problems": [forms.describe(p, draft) for p in problems], "fields": fields or {}, "message": message,
        "conflict": conflict, "unavailable": unavailable,
        "rules": forms.RULE_KINDS, "default_colour": forms.default_colour, "actor_colour": forms.actor_colour,
        "anchors_text": forms.anchors_text,
        "groups": sorted({a["group"] for a in draft["actors"] if a["group"]}),
        "details_open": any(f.endswith(("_low", "_high")) for f in (fields or {})),
        "unsaved": unsaved,
    }, status=status)
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


@router.post("/scenarios/{scenario_id}", response_class=HTMLResponse)
async def editor_post(request: Request, scenario_id: ScenarioId):
    form = await _form(request)
    # The store is used from a worker thread: a save that waits for a locked database must not
    # hold up every other request.
    return await run_in_threadpool(_editor_submit, request, scenario_id, form)


def _editor_submit(request: Request, scenario_id: int, form):
    draft = forms.draft_from_form(form)
    try:
        return _editor_apply(request, scenario_id, form, draft)
    except StoreUnavailable as exc:
        # The edit was not saved: show it again, as typed, with what went wrong.
        parent = _int_or_none(form.get("parent")) or 1
        return _editor_page(request, scenario_id, draft, parent, parent, status=503, unsaved=True,
                            unavailable=f"Not saved: {exc} Your edits are kept below; save again in a moment.")


def _editor_apply(request: Request, scenario_id: int, form, draft):
    store = _store(request)
    parent = _int_or_none(form.get("parent")) or store.latest_number(scenario_id)
    latest = store.latest_number(scenario_id)
    base, _ = store.load(scenario_id, min(parent, latest))
    action = form.get("action", "save")
    if action in ("add-actor", "add-issue"):
        forms.add_rows(draft, actors=int(action == "add-actor"), issues=int(action == "add-issue"))
        return _editor_page(request, scenario_id, draft, parent, latest, message="row added; not saved yet",
                            base=base, unsaved=True)
    scenario, problems, fields = forms.scenario_from_draft(draft, base)
    if not problems:
        try:
            api.web_sized(scenario)
        except ScenarioError as exc:
            problems = list(exc.problems)
    if problems:
        return _editor_page(request, scenario_id, draft, parent, latest, problems=problems, fields=fields,
                            status=422, base=base, unsaved=True)
    if action == "check":
        return _editor_page(request, scenario_id, draft, parent, latest, message="no problems found", base=base,
                            unsaved=True)
    try:
        info = store.save(scenario_id, scenario, parent=parent, message=str(form.get("message", ""))[:1000])
    except Conflict as exc:
        return _editor_page(request, scenario_id, draft, parent, exc.latest, conflict=str(exc), status=409,
                            base=base, unsaved=True)
    return _see(f"/scenarios/{scenario_id}?message=saved+version+{info.number}")


@router.post("/scenarios/{scenario_id}/check")
async def check(request: Request, scenario_id: ScenarioId):
    """Live validation for the editor: the problems and the field each one belongs to."""
    form = await _form(request)
    base, _ = await run_in_threadpool(_store(request).load, scenario_id)
    draft = forms.draft_from_form(form)
    _, problems, fields = forms.scenario_from_draft(draft, base)
    return JSONResponse({"problems": [forms.describe(p, draft) for p in problems], "fields": fields})


@router.get("/scenarios/{scenario_id}/versions", response_class=HTMLResponse)
def versions(request: Request, scenario_id: ScenarioId):
    store = _store(request)
    info = store.scenario_info(scenario_id)
    return render(request, "versions.html", {
        "info": info, "versions": store.versions(scenario_id), "runs": store.list_runs(scenario_id),
    })


# -- runs -------------------------------------------------------------------------------------
@router.get("/scenarios/{scenario_id}/run", response_class=HTMLResponse)
def run_form(request: Request, scenario_id: ScenarioId, version: OptionalNumber = None, error: str = ""):
    from accord.models import available

    store = _store(request)
    scenario, info = store.load(scenario_id, version)
    models = available()
    names = [m.name for m in models]
    default = ["eum"] if "eum" in names else ["compromise"] if "compromise" in names else names[:1]
    return render(request, "run_form.html", {
        "scenario": scenario, "scenario_id": scenario_id, "version": info.number, "models": models,
        "default_models": default, "error": error[:500],
        "versions": store.versions(scenario_id),
    })


@router.post("/scenarios/{scenario_id}/run")
async def run_start(request: Request, scenario_id: ScenarioId):
    form = await _form(request)
    try:
        models = api.resolve_models([str(m) for m in form.getlist("models")] or ["__none__"])
        variant = str(form.get("variant") or "").strip() or None
        rounds = _int_or_none(form.get("rounds"))
        seed = _bounded(form.get("seed"), "seed", 0, MAX_SEED, 0)
        draws = _bounded(form.get("draws"), "draws", 0, api.MAX_DRAWS, 0)
        if rounds is not None and not 0 <= rounds <= 1000:
            raise AccordError("rounds must be between 0 and 1000")
        params = api.run_params(models, variant, rounds)
        for name in models:  # each model's own variant, chosen in its row of the form
            chosen = str(form.get(f"variant-{name}") or "").strip()
            if chosen:
                api.run_params([name], chosen, None)  # refuses a variant the model does not have
                params[name] = params.get(name, {}) | {"variant": chosen}
        info = await run_in_threadpool(lambda: api.start_run(
            request, scenario_id, _int_or_none(form.get("version")), models, seed=seed, draws=draws,
            params=params, wait=False))
    except AccordError as exc:
        from urllib.parse import quote

        return _see(f"/scenarios/{scenario_id}/run?error={quote(str(exc)[:400])}")
    return _see(f"/runs/{info.id}")


@router.get("/runs", response_class=HTMLResponse)
def history(request: Request, scenario: OptionalNumber = None):
    store = _store(request)
    titles = {s.id: s.title for s in store.list_scenarios()}
    return render(request, "runs.html", {"runs": store.list_runs(scenario), "titles": titles, "scenario": scenario})


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: RunId):
    from accord.report import charts

    store = _store(request)
    info = store.run_info(run_id)
    results = store.run_results(run_id)
    title = next((s.title for s in store.list_scenarios() if s.id == info.scenario_id), "")
    context = {"info": info, "results": results, "title": title}
    if results is not None:
        context |= {
            "charts": charts.all_charts(results),
            "forecast_table": charts.forecast_table(results),
            "forecast_labels": charts.forecast_labels(results),
            "names": charts.names(results),
            "agreement_table": charts.agreement_table(results),
            "offers_table": charts.offers_table(results, named=True),
            "distribution_table": charts.distribution_table(results, named=True),
            "process_table": charts.process_table(results),
        }
    return render(request, "run.html", context)


@router.get("/runs/{run_id}/report.html")
def run_report(request: Request, run_id: RunId):
    return Response(api.report_html(_store(request), run_id), media_type="text/html",
                    headers={"Content-Disposition": f'attachment; filename="accord-run-{run_id}.html"'})


# -- compare ----------------------------------------------------------------------------------
@router.get("/compare", response_class=HTMLResponse)
def compare(
    request: Request,
    scenario: OptionalNumber = None,
    a: OptionalNumber = None,
    b: OptionalNumber = None,
    run_a: OptionalNumber = None,
    run_b: OptionalNumber = None,
):
    from accord.web.compare import compare_runs, compare_versions

    store = _store(request)
    context: dict = {"scenarios": store.list_scenarios(), "runs": store.list_runs(limit=200), "scenario": scenario,
                     "a": a, "b": b, "run_a": run_a, "run_b": run_b, "version_diff": None, "run_diff": None,
                     "versions": store.versions(scenario) if scenario else []}
    if scenario and a and b:
        sa, _ = store.load(scenario, a)
        sb, _ = store.load(scenario, b)
        context["version_diff"] = compare_versions(sa, sb)
    if run_a and run_b:
        context["run_diff"] = compare_runs(api.finished_results(store, run_a), api.finished_results(store, run_b))
        context["run_infos"] = (store.run_info(run_a), store.run_info(run_b))
    return render(request, "compare.html", context)


def _int_or_none(v) -> int | None:
    try:
        return int(str(v)) if v not in (None, "") else None
    except ValueError:
        return None


def _bounded(v, name: str, lo: int, hi: int, default: int) -> int:
    if v in (None, ""):
        return default
    try:
        x = int(str(v))
    except ValueError:
        raise AccordError(f"{name} must be a whole number, got {str(v)[:40]!r}") from None
    if not lo <= x <= hi:
        raise AccordError(f"{name} must be between {lo} and {hi}, got {x}")
    return x
