"""The JSON API under ``/api/``: the same operations as the pages, described by ``/api/openapi.json``."""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from accord.errors import AccordError, InputFileError, Problem, ScenarioError
from accord.rng import MAX_SEED
from accord.scenario import Scenario
from accord.store import NotFound, RunInfo, Store, VersionInfo

router = APIRouter(prefix="/api", tags=["api"])

MAX_ID = 2**62
MAX_DRAWS = 20_000
MAX_TEXT = 5_000_000

ScenarioId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="scenario id")]
VersionNo = Annotated[int, PathParam(ge=1, le=MAX_ID, description="version number")]
RunId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="run id")]


# -- schemas ----------------------------------------------------------------------------------
class VersionOut(BaseModel):
    scenario_id: int
    number: int
    title: str
    n_actors: int
    n_issues: int
    message: str
    created_at: str


class ScenarioOut(BaseModel):
    id: int
    title: str
    created_at: str
    latest: VersionOut
    n_versions: int
    n_runs: int


class ProblemOut(BaseModel):
    message: str
    where: str = ""
    file: str | None = None
    line: int | None = None


class ScenarioIn(BaseModel):
    """A scenario as accord YAML text, or as the same document in JSON."""

    model_config = ConfigDict(extra="forbid")
    yaml: str | None = Field(None, max_length=MAX_TEXT, description="accord YAML text")
    document: dict[str, Any] | None = Field(None, description="the YAML document as JSON")


class SaveIn(ScenarioIn):
    parent: int = Field(..., ge=1, le=MAX_ID, description="the version these changes were made on")
    message: str = Field("", max_length=1000)


class DuplicateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int | None = Field(None, ge=1, le=MAX_ID)
    title: str | None = Field(None, min_length=1, max_length=500)


class VersionDetail(BaseModel):
    info: VersionOut
    yaml: str
    document: dict[str, Any]
    problems: list[ProblemOut]


class ValidationOut(BaseModel):
    valid: bool
    problems: list[ProblemOut]


class ModelOut(BaseModel):
    name: str
    title: str
    citation: str
    iterative: bool
    stochastic: bool
    joint: bool
    variants: list[str]


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int | None = Field(None, ge=1, le=MAX_ID, description="default: the latest version")
    models: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=lambda: ["all"], max_length=50)
    variant: str | None = Field(None, max_length=100, description="variant for every chosen model that has it")
    rounds: int | None = Field(None, ge=0, le=1000, description="rounds for the iterative models")
    seed: int = Field(0, ge=0, le=MAX_SEED)
    draws: int = Field(0, ge=0, le=MAX_DRAWS, description="Monte Carlo draws (needs accord.uncertainty.simulate)")
    wait: bool = Field(False, description="answer only when the run has finished")


class RunOut(BaseModel):
    id: int
    scenario_id: int
    version: int
    models: list[str]
    variant: str | None
    params: dict[str, Any]
    seed: int
    draws: int
    accord_version: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float
    message: str
    created_at: str
    finished_at: str | None
    results: dict[str, Any] | None = None


class Diff(BaseModel):
    rows: list[dict[str, Any]]
    n_changes: int | None = None


# -- helpers ----------------------------------------------------------------------------------
def store_of(request: Request) -> Store:
    return request.app.state.store


def _version_out(v: VersionInfo) -> VersionOut:
    return VersionOut(**asdict(v))


def _problems(problems: list[Problem]) -> list[ProblemOut]:
    return [ProblemOut(message=p.message, where=p.where, file=p.file, line=p.line) for p in problems]


def web_sized(scenario: Scenario) -> Scenario:
    """``scenario`` if the web app can show and edit it (actors × issues within the
    ``web_cells`` limit, see :mod:`accord.limits`), else a :class:`ScenarioError` saying so."""
    from accord.scenario import size_problems

    problems = size_problems(len(scenario.actors), len(scenario.issues), cells="web_cells")
    if problems:
        raise ScenarioError(problems)
    return scenario


def _depth(doc, deepest: int) -> int:
    """How deeply a JSON document nests (stops counting past ``deepest``), without recursion."""
    stack, most = [(doc, 1)], 0
    while stack:
        node, d = stack.pop()
        most = max(most, d)
        if most > deepest:
            break
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((c, d + 1) for c in children if isinstance(c, (dict, list)))
    return most


def scenario_from_body(body: ScenarioIn, name: str = "request") -> Scenario:
    from accord.io import yaml_format
    from accord.limits import limit

    if (body.yaml is None) == (body.document is None):
        raise InputFileError("give the scenario as either 'yaml' or 'document'")
    if body.yaml is not None:
        return web_sized(yaml_format.loads(body.yaml, name))
    if _depth(body.document, limit("depth")) > limit("depth"):
        raise InputFileError(f"{name}: the document is nested more than {limit('depth')} levels deep")
    import yaml

    try:
        text = yaml.safe_dump(_numeric_anchor_keys(body.document), sort_keys=False, allow_unicode=True)
    except yaml.YAMLError as exc:
        raise InputFileError(f"{name}: the document cannot be written as YAML: {exc}") from None
    return web_sized(yaml_format.loads(text, name))


def _numeric_anchor_keys(doc: dict) -> dict:
    """JSON object keys are strings; the YAML document keys scale anchors by number."""
    issues = doc.get("issues")
    if not isinstance(issues, list):
        return doc
    fixed = []
    for issue in issues:
        anchors = issue.get("scale", {}).get("anchors") if isinstance(issue, dict) and isinstance(issue.get("scale"), dict) else None
        if isinstance(anchors, dict):
            def number(k):
                try:
                    return float(k) if isinstance(k, str) else k
                except ValueError:
                    return k

            issue = issue | {"scale": issue["scale"] | {"anchors": {number(k): v for k, v in anchors.items()}}}
        fixed.append(issue)
    return doc | {"issues": fixed}


def run_out(info: RunInfo, results: dict | None = None) -> RunOut:
    return RunOut(**asdict(info), results=results)


def resolve_models(names: list[str]) -> list[str]:
    from accord.models import registry

    return [m.name for m in registry.resolve(names)]


def run_params(names: list[str], variant: str | None, rounds: int | None) -> dict[str, dict]:
    """Per-model keyword arguments: a variant only for models that have it, rounds for iterative ones."""
    from accord.models import get

    params: dict[str, dict] = {}
    used = False
    for name in names:
        m = get(name)
        kw = {}
        if variant and m.variants and variant in m.variants:
            kw["variant"] = variant
            used = True
        if rounds is not None and m.iterative:
            kw["rounds"] = rounds
        if kw:
            params[name] = kw
    if variant and not used:
        raise AccordError(f"no chosen model has a variant {variant!r}")
    return params


def start_run(request: Request, scenario_id: int, version: int | None, models: list[str], *, seed: int,
              draws: int, params: dict, wait: bool) -> RunInfo:
    store = store_of(request)
    if version is None:
        version = store.latest_number(scenario_id)
    variant = next((kw["variant"] for kw in params.values() if "variant" in kw), None)
    info = store.create_run(scenario_id, version, models=models, seed=seed, draws=draws, variant=variant,
                            params=params)
    if wait:
        request.app.state.runs.execute(info.id)
        return store.run_info(info.id)
    request.app.state.runs.submit(info.id)
    return info


def csv_text(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _csv_safe(v) for v in row])
    return buf.getvalue()


def _csv_safe(v):
    # A cell starting with = + - @ is a formula to a spreadsheet; text cells get a quote mark.
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v


def export_bytes(scenario: Scenario, fmt: str) -> tuple[bytes, str, str]:
    """A scenario written in ``fmt``: (content, media type, file name)."""
    from accord.io import FORMATS, write_scenario

    if fmt not in FORMATS:
        raise InputFileError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    stem = _slug(scenario.title)
    ext = {"yaml": ".yaml", "tidy": ".csv", "bdm": ".csv", "ktab-csv": ".csv", "ktab-xml": ".xml",
           "decide": ".tsv", "deu": ""}[fmt]
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"{stem}{ext}"
        write_scenario(scenario, target, format=fmt)
        if target.is_dir():
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in sorted(target.rglob("*")):
                    if f.is_file():
                        zf.write(f, f.relative_to(target))
            return buf.getvalue(), "application/zip", f"{stem}-deu.zip"
        media = {".yaml": "application/yaml", ".xml": "application/xml"}.get(ext, "text/csv")
        return target.read_bytes(), media, target.name


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "scenario"


def import_bytes(raw: bytes, filename: str, fmt: str | None) -> Scenario:
    """Read an uploaded scenario file in any supported format (blocking: call it from a worker
    thread, never on the event loop), titled after the uploaded file when it names no title."""
    from accord.io import FORMATS, read_scenario

    if fmt in ("", "auto"):
        fmt = None
    if fmt is not None and fmt not in FORMATS:
        raise InputFileError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    name = Path((filename or "upload").replace("\\", "/")).name[:200] or "upload"
    # The temporary copy keeps the upload's name (made safe), so that formats which take their
    # title or messages from the file name show the user's name, not a server path.
    safe = re.sub(r"[^A-Za-z0-9._ -]", "_", name).strip(" .")[:100] or "upload"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / safe
        path.write_bytes(raw)
        try:
            scenario = read_scenario(path, format=fmt)
        except ScenarioError as exc:
            # Name the user's file, not our temporary copy.
            raise type(exc)([Problem(p.message.replace(str(path), name), p.where,
                                     name if p.file else None, p.line) for p in exc.problems]) from None
    if tmp in scenario.title or scenario.title.startswith(str(path)):
        scenario = scenario.replace(title=scenario.title.replace(str(path), Path(name).stem or name))
    return web_sized(scenario)


# -- endpoints --------------------------------------------------------------------------------
@router.get("/health")
def health() -> dict[str, str]:
    from accord import __version__

    return {"status": "ok", "version": __version__}


@router.get("/models", response_model=list[ModelOut])
def list_models():
    from accord.models import available

    return [ModelOut(name=m.name, title=m.title, citation=m.citation, iterative=m.iterative,
                     stochastic=m.stochastic, joint=m.joint, variants=list(m.variants)) for m in available()]


@router.get("/formats")
def formats() -> dict[str, Any]:
    from accord.io import FORMATS

    return {"formats": list(FORMATS), "draws": True, "process": True}


@router.get("/scenarios", response_model=list[ScenarioOut])
def list_scenarios(request: Request):
    return [ScenarioOut(id=s.id, title=s.title, created_at=s.created_at, latest=_version_out(s.latest),
                        n_versions=s.n_versions, n_runs=s.n_runs) for s in store_of(request).list_scenarios()]


@router.post("/scenarios", status_code=201, response_model=VersionOut)
def create_scenario(request: Request, body: ScenarioIn):
    scenario = scenario_from_body(body)
    return _version_out(store_of(request).create_scenario(scenario, message="created via the API"))


@router.post("/scenarios/import", status_code=201, response_model=VersionOut)
def import_scenario(
    request: Request,
    file: Annotated[UploadFile, File(description="a scenario file in any supported format")],
    format: Annotated[str | None, Form(max_length=20, description="override format detection")] = None,
):
    # A plain ``def``: FastAPI runs it in a worker thread, so parsing a large upload never holds
    # up the other requests.
    raw = file.file.read()
    scenario = import_bytes(raw, file.filename or "upload", format)
    return _version_out(store_of(request).create_scenario(scenario, message=f"imported {file.filename or ''}".strip()))


@router.post("/validate", response_model=ValidationOut)
def validate(body: ScenarioIn):
    try:
        scenario_from_body(body)
    except ScenarioError as exc:
        return ValidationOut(valid=False, problems=_problems(exc.problems))
    return ValidationOut(valid=True, problems=[])


@router.get("/scenarios/{scenario_id}", response_model=VersionDetail)
def get_scenario(request: Request, scenario_id: ScenarioId):
    return _detail(store_of(request), scenario_id, None)


@router.delete("/scenarios/{scenario_id}", status_code=204, response_class=Response)
def delete_scenario(request: Request, scenario_id: ScenarioId):
    store_of(request).delete_scenario(scenario_id)
    return Response(status_code=204)


@router.post("/scenarios/{scenario_id}/duplicate", status_code=201, response_model=VersionOut)
def duplicate(request: Request, scenario_id: ScenarioId, body: DuplicateIn | None = None):
    body = body or DuplicateIn()
    return _version_out(store_of(request).duplicate(scenario_id, body.version, title=body.title))


@router.get("/scenarios/{scenario_id}/versions", response_model=list[VersionOut])
def list_versions(request: Request, scenario_id: ScenarioId):
    return [_version_out(v) for v in store_of(request).versions(scenario_id)]


@router.get("/scenarios/{scenario_id}/versions/{number}", response_model=VersionDetail)
def get_version(request: Request, scenario_id: ScenarioId, number: VersionNo):
    return _detail(store_of(request), scenario_id, number)


@router.post("/scenarios/{scenario_id}/versions", status_code=201, response_model=VersionOut,
             responses={409: {"description": "the parent version is no longer the latest"}})
def save_version(request: Request, scenario_id: ScenarioId, body: SaveIn):
    store = store_of(request)
    store.latest_number(scenario_id)  # 404 before judging the body
    scenario = scenario_from_body(body)
    return _version_out(store.save(scenario_id, scenario, parent=body.parent, message=body.message))


@router.get("/scenarios/{scenario_id}/export", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}}})
def export(
    request: Request,
    scenario_id: ScenarioId,
    format: Annotated[str, Query(max_length=20)] = "yaml",
    version: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
):
    scenario, _ = store_of(request).load(scenario_id, version)
    content, media, filename = export_bytes(scenario, format)
    return Response(content, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.post("/scenarios/{scenario_id}/runs", status_code=202, response_model=RunOut)
def create_run(request: Request, scenario_id: ScenarioId, body: RunIn):
    store_of(request).latest_number(scenario_id)
    models = resolve_models(body.models)
    params = run_params(models, body.variant, body.rounds)
    info = start_run(request, scenario_id, body.version, models, seed=body.seed, draws=body.draws,
                     params=params, wait=body.wait)
    results = store_of(request).run_results(info.id) if body.wait else None
    return JSONResponse(run_out(info, results).model_dump(), status_code=201 if body.wait else 202)


@router.get("/runs", response_model=list[RunOut])
def list_runs(request: Request, scenario: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None):
    store = store_of(request)
    if scenario is not None:
        store.latest_number(scenario)
    return [run_out(r) for r in store.list_runs(scenario)]


@router.get("/runs/{run_id}", response_model=RunOut)
def get_run(request: Request, run_id: RunId, results: bool = True):
    store = store_of(request)
    info = store.run_info(run_id)
    return run_out(info, store.run_results(run_id) if results else None)


@router.get("/runs/{run_id}/report", response_class=HTMLResponse)
def run_report(request: Request, run_id: RunId):
    return HTMLResponse(report_html(store_of(request), run_id),
                        headers={"Content-Disposition": f'attachment; filename="accord-run-{run_id}.html"'})


@router.get("/runs/{run_id}/tables/{name}", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def run_table(request: Request, run_id: RunId, name: Literal["forecast", "offers", "distribution", "positions", "process"]):
    from accord.report.charts import TABLES

    results = finished_results(store_of(request), run_id)
    header, rows = TABLES[name](results)
    return Response(csv_text(header, rows), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="run-{run_id}-{name}.csv"'})


@router.get("/compare/versions", response_model=Diff)
def compare_versions(
    request: Request,
    scenario: Annotated[int, Query(ge=1, le=MAX_ID)],
    a: Annotated[int, Query(ge=1, le=MAX_ID)],
    b: Annotated[int, Query(ge=1, le=MAX_ID)],
    other: Annotated[int | None, Query(ge=1, le=MAX_ID, description="scenario of version b (default: the same)")] = None,
):
    from accord.web.compare import compare_versions as diff

    store = store_of(request)
    sa, _ = store.load(scenario, a)
    sb, _ = store.load(other or scenario, b)
    return diff(sa, sb)


@router.get("/compare/runs", response_model=Diff)
def compare_runs(request: Request, a: Annotated[int, Query(ge=1, le=MAX_ID)],
                 b: Annotated[int, Query(ge=1, le=MAX_ID)]):
    from accord.web.compare import compare_runs as diff

    store = store_of(request)
    return diff(finished_results(store, a), finished_results(store, b))


# -- shared with the pages --------------------------------------------------------------------
def _detail(store: Store, scenario_id: int, number: int | None) -> VersionDetail:
    from accord.io import yaml_format

    scenario, info = store.load(scenario_id, number)
    text, _ = store.version_text(scenario_id, info.number)
    return VersionDetail(info=_version_out(info), yaml=text, document=yaml_format.to_document(scenario),
                         problems=[])


def finished_results(store: Store, run_id: int) -> dict:
    info = store.run_info(run_id)
    results = store.run_results(run_id)
    if results is None:
        raise NotFound(f"run {run_id} has no results ({info.status}{': ' + info.message if info.message else ''})")
    return results


def report_html(store: Store, run_id: int) -> str:
    from accord.report.html import render_report

    info = store.run_info(run_id)
    results = finished_results(store, run_id)
    scenario, _ = store.load(info.scenario_id, info.version)
    return render_report(results, scenario=scenario,
                         provenance={"run": run_id, "scenario id": info.scenario_id, "version": info.version})
