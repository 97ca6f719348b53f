"""Run models on a scenario and gather everything the results page and the report show, as JSON.

This is the one place the web app and ``accord report`` call the library; optional parts
(Monte Carlo draws from :mod:`accord.uncertainty.simulate`, the process simulation from :mod:`accord.process`,
a sensitivity tornado) are added when they apply.

The results document::

    {"accord_version", "scenario": {"title", "actors": [{id, name, colour, group}],
                                    "issues": [{id, name, lower, upper, status_quo, anchors}]},
     "models": [name, ...], "seed", "draws", "params",
     "forecast": Forecast.to_json(),
     "trajectories": {model: Trajectory.to_json()},          # iterative models only
     "ensemble": {"draws", "summary": [{model, issue, mean, sd, p10, p50, p90}],
                  "samples": {model: {issue: [outcome per draw]}}} or None,
     "tornado": [{model, issue, input, low, high, base, input_low, input_high}] or None,
     "process": ProcessResult.to_json() plus "timeline" rows, or None,
     "explain": accord.explain.explain() (compromise; the run's models as the spread) or None,
     "notes": [text, ...]}

Every forecast row carries its ``outcome_label`` (:mod:`accord.labels`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from accord import __version__
from accord.errors import AccordError
from accord.jsonable import jsonable
from accord.scenario import Scenario

#: Draws kept per model for the distribution charts; summaries use every draw.
MAX_STORED_SAMPLES = 2000

Progress = Callable[[float, str], None]


def scenario_summary(s: Scenario) -> dict:
    """Labels and colours the charts need, independent of the stored scenario."""
    return {
        "title": s.title,
        "actors": [{"id": a.id, "name": a.name, "colour": a.colour, "group": a.group} for a in s.actors],
        "issues": [
            {"id": i.id, "name": i.name, "lower": i.lower, "upper": i.upper, "status_quo": i.status_quo,
             "anchors": [[v, label] for v, label in i.anchors]}
            for i in s.issues
        ],
    }


def run_scenario(
    scenario: Scenario,
    models: list[str] | None = None,
    *,
    seed: int = 0,
    draws: int = 0,
    params: dict[str, dict] | None = None,
    progress: Progress | None = None,
) -> dict:
    """Forecast, trajectories of the iterative models, and the optional extras (see module doc)."""
    from accord.forecast import forecast, model_kwargs
    from accord.models import registry
    from accord.process.agreement import agreement, has_agenda

    report = progress or (lambda _f, _m: None)
    params = {k: dict(v) for k, v in (params or {}).items()}
    chosen = registry.resolve(models)
    names = [m.name for m in chosen]
    notes: list[str] = []
    steps = 1 + sum(m.iterative for m in chosen) + (1 if draws else 0) + 3
    done = 0

    def step(message: str) -> None:
        nonlocal done
        done += 1
        report(min(done / steps, 0.99), message)

    report(0.0, "forecasting")
    fc = forecast(scenario, names, seed=seed, params=params)
    if has_agenda(scenario):
        fc.agreement = agreement(scenario, names, seed=seed, params=params)
    step("forecast done")

    trajectories: dict[str, dict] = {}
    arrays = scenario.arrays()
    for m in chosen:
        if not m.iterative:
            continue
        kwargs = model_kwargs(scenario, m) | params.get(m.name, {})
        try:
            traj = m.trajectory(arrays, rng=np.random.default_rng(seed), **kwargs)
            trajectories[m.name] = traj.to_json()
        except AccordError as exc:
            notes.append(f"{m.name}: no trajectory: {exc}")
        step(f"{m.name} rounds done")

    ensemble = None
    if draws:
        ensemble, note = _ensemble(scenario, names, draws, seed, params, lambda f: report((done + f) / steps, "draws"))
        if note:
            notes.append(note)
        step("draws done")

    tornado, note = _tornado(scenario, names, seed)
    if note:
        notes.append(note)
    step("sensitivity done")
    process, note = _process(scenario, names, seed, params)
    if note:
        notes.append(note)
    step("process done")
    explained, note = _explain(scenario, fc, seed, params)
    if note:
        notes.append(note)
    report(1.0, "done")
    return {
        "accord_version": __version__,
        "scenario": scenario_summary(scenario),
        "models": names,
        "seed": seed,
        "draws": draws,
        "params": params,
        "forecast": fc.to_json(),
        "trajectories": trajectories,
        "ensemble": ensemble,
        "tornado": tornado,
        "process": process,
        "explain": explained,
        "notes": notes + [f"{m}: {n}" for m, ns in fc.notes.items() for n in ns],
    }


# -- optional parts ---------------------------------------------------------------------------
def _ensemble(scenario, names, draws, seed, params, progress) -> tuple[dict | None, str | None]:
    from accord.uncertainty.simulate import simulate

    try:
        # In this process: the server runs one job at a time per thread and should not fork pools.
        ens = simulate(scenario, names, draws, seed, params=params or None, workers=1,
                           progress=lambda done, total: progress(done / max(total, 1)))
    except AccordError as exc:
        return None, f"draws: {exc}"
    summary = [{k: jsonable(v) for k, v in row.items()} for row in ens.summary().to_dict("records")]
    samples = {
        model: {issue: [float(x) for x in values[:MAX_STORED_SAMPLES, k] if np.isfinite(x)]
                for k, issue in enumerate(ens.issue_ids)}
        for model, values in ens.draws.items()
    }
    return {"draws": ens.n_draws, "summary": summary, "samples": samples,
            "uncertainty": {k: jsonable(v) for k, v in vars(ens.uncertainty).items()}}, None


#: Inputs kept per (model, issue) in the tornado.
TORNADO_TOP = 10


def _tornado(scenario, names, seed) -> tuple[list | None, str | None]:
    from accord.models import registry
    from accord.uncertainty.sensitivity import one_at_a_time

    rows = []
    skipped = []
    for name in names:
        if registry.get(name).joint:
            # One-at-a-time swings rerun the model twice per input; a joint model bargains over
            # every issue at once, which makes that minutes on a real scenario.
            skipped.append(name)
            continue
        try:
            df = one_at_a_time(scenario, name)
        except AccordError as exc:
            return None, f"sensitivity ({name}): {exc}"
        for _, part in df.groupby("issue", sort=False):
            for rec in part.head(TORNADO_TOP).to_dict("records"):
                rows.append({"model": name, "issue": rec["issue"], "input": rec["input"],
                             "low": jsonable(rec["outcome_low"]), "high": jsonable(rec["outcome_high"]),
                             "base": jsonable(rec["base"]), "input_low": jsonable(rec["low"]),
                             "input_high": jsonable(rec["high"])})
    note = f"sensitivity not computed for the joint model(s) {', '.join(skipped)} (too slow)" if skipped else None
    return rows or None, note


def _process(scenario, names, seed, params) -> tuple[dict | None, str | None]:
    """The agenda played with the first chosen model (only when the scenario has an agenda)."""
    from accord.process import run_process
    from accord.report.timeline import timeline_data

    if not names:
        return None, None
    if not (scenario.preconditions or any(i.rule.kind != "none" or i.veto for i in scenario.issues)):
        return None, None
    model = names[0]
    try:
        result = run_process(scenario, model, seed=seed, params=params.get(model))
    except AccordError as exc:
        return None, f"process ({model}): {exc}"
    data = result.to_json()
    data["timeline"] = [{k: jsonable(v) for k, v in r.items()} for r in timeline_data(result).to_dict("records")]
    return data, None


def _explain(scenario, fc, seed, params) -> tuple[dict | None, str | None]:
    """Why each issue lands where it does, with the compromise model (closed form: a second or
    so); the run's own forecasts are the spread that says how sure."""
    from accord.explain import DEFAULT_MODEL, explain

    try:
        return explain(scenario, DEFAULT_MODEL, spread=fc, seed=seed, params=params), None
    except AccordError as exc:
        return None, f"explanation: {exc}"
