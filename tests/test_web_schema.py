"""Schemathesis: requests generated from the OpenAPI schema never get a server error (5xx)."""

from __future__ import annotations

import warnings

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from accord.report.runner import run_scenario  # noqa: E402
from accord.web import create_app  # noqa: E402

#: Examples per operation: 21 operations, under a minute in all.
EXAMPLES = 12


class _QuickRuns:
    """Every run done at once with the cheapest model: the fuzzing is about request handling."""

    def __init__(self, store):
        self.store = store

    def submit(self, run_id):
        self.execute(run_id)

    def execute(self, run_id):
        info = self.store.run_info(run_id)
        scenario, _ = self.store.load(info.scenario_id, info.version)
        self.store.update_run(run_id, status="done", progress=1.0,
                              results=run_scenario(scenario, ["mean"], seed=info.seed))

    def close(self):
        pass


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    app = create_app(str(tmp_path_factory.mktemp("schema") / "schema.db"))
    store = app.state.store
    app.state.runs = _QuickRuns(store)
    # Scenario 1 (the bundled example) with version 1 and run 1; scenario 2 is the one DELETE gets.
    store.duplicate(1)
    app.state.runs.execute(store.create_run(1, 1, models=["mean"], seed=0).id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return schemathesis.openapi.from_asgi("/api/openapi.json", on_localhost(app))


def on_localhost(app):
    """The app as a browser on the default loopback server reaches it (schemathesis says
    ``Host: testserver``, which the app refuses as a foreign name)."""

    async def shim(scope, receive, send):
        if scope["type"] == "http":
            headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"host"]
            scope = dict(scope, headers=[*headers, (b"host", b"localhost")])
        return await app(scope, receive, send)

    return shim


#: Ids that exist, swapped into half the generated requests so they reach past the 404s.
KNOWN = {"scenario_id": 1, "number": 1, "run_id": 1, "scenario": 1, "a": 1, "b": 1, "version": 1}


def _labels() -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = create_app("sqlite://", examples=False)
        return [r.ok().label for r in schemathesis.openapi.from_asgi("/api/openapi.json", on_localhost(app)).get_all_operations()]


@pytest.mark.slow  # about 25 s for all operations
@pytest.mark.parametrize("label", _labels())
def test_no_server_errors(schema, label):
    op = next(r.ok() for r in schema.get_all_operations() if r.ok().label == label)

    @given(case=op.as_strategy(), known=st.booleans())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def check(case, known):
        if known:
            for params in (case.path_parameters, case.query):
                for key in list(params or {}):
                    if key in KNOWN:
                        params[key] = 2 if case.method == "DELETE" else KNOWN[key]
        response = case.call()
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"

    check()
