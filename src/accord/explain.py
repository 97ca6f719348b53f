"""Why each issue lands where it does: the explanation ``accord explain`` prints, the report's
"Explanation" section and the web results page's panel show (one document, :func:`explain`).

Per issue, for one model (``compromise`` by default: closed form and smooth in every input, so
the measures below are exact and cheap, and the baseline the elaborate models rarely beat on
real decisions; Achen 2006):

forecast
    the model's outcome and :func:`accord.labels.outcome_label`;
how sure
    the other models' forecasts (their range, and how many land nearest the same anchor) and,
    with ``draws``, the model's Monte Carlo spread over the input uncertainty (p10–p90 and the
    share of draws nearest the same anchor);
pull (leave-one-out)
    for every actor, the forecast minus the forecast without that actor (the model rerun on the
    other actors): how far, and which way, its presence moves the outcome. The *pivotal* actors
    are those whose pull is largest in size (at least a quarter of the largest and 1 % of the
    scale; at most five), most pivotal first;
leverage and capability effect (derivatives)
    how far the outcome moves per point the actor's position moves (central difference over
    ±1 % of the scale; 1 for the median actor of a weighted median, its weight share for the
    compromise), and how far it moves if the actor's capability were 10 % higher;
coalitions
    the involved actors sorted by position and cut wherever neighbours are more than
    :data:`COALITION_GAP` (15 %) of the scale apart; each with its members, range, centre
    (capability × salience weighted) and share of the capability × salience weight;
smallest change
    the smallest change of one actor's position (on a grid of 0.5 % of the scale) or capability
    (× 0 to × 8) that moves the forecast into another anchor's region (the values nearest that
    anchor; :func:`accord.labels.region`). A position move of d % of the scale and a capability
    change of d % of the actor's capability count as the same size. A joint model (exchange,
    SMP) needs a run per actor, issue and grid point, so its positions are tried on a coarser
    grid, 2.5 % of the scale (:data:`JOINT_GRID`, 41 points), every (actor, issue, point) row and
    every capability row in one batched call; a position change on one issue counts for every
    issue it moves (the change names the issue whose position moves). The search runs with the
    model's Monte Carlo parameters (``Model.draw_params``): the exchange model's floats, about a
    millisecond a run against ~15 ms for its exact decimals; the forecast explained stays the
    model's exact one, and an issue the floats already put nearest another anchor is skipped
    with a note. Syria: about 3 s with SMP, 10 s with the exchange model (2 cores);
decided
    whether the process (rules, vetoes, preconditions; strategic mode, inputs as stated) agrees
    the model's forecast (:func:`accord.process.agreement.agreement`);
summary
    a paragraph a briefing can quote, made of the above.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from accord import __version__
from accord.errors import ModelError, ParameterError
from accord.forecast import forecast as run_forecast
from accord.forecast import model_kwargs
from accord.jsonable import jsonable
from accord.labels import Scale, outcome_label, region
from accord.models import registry
from accord.scenario import Scenario, ScenarioArrays

#: The model explained when none is named.
DEFAULT_MODEL = "compromise"
#: Neighbouring positions further apart than this share of the scale split coalitions.
COALITION_GAP = 0.15
#: Pivotal: a pull at least this share of the largest pull ...
PIVOTAL_SHARE = 0.25
#: ... and at least this share of the scale; at most :data:`PIVOTAL_MAX` actors.
PIVOTAL_MIN = 0.01
PIVOTAL_MAX = 5
#: Step of the position derivative, as a share of the scale.
STEP = 0.01
#: Capability change whose effect is reported (``capability_effect``).
CAPABILITY_STEP = 0.10
#: Positions tried in the smallest-change search: this many points across each scale (0.5 %).
GRID = 201
#: ... for a joint model, which needs a run per actor, issue and point (2.5 %): Syria with SMP or
#: the exchange model, 95 (actor, issue) pairs × 41 points and 15 actors × 62 capabilities run in
#: about 5 s.
JOINT_GRID = 41
#: A change counts when it puts the forecast this share of the scale inside another region (not
#: "midway" on its edge).
MARGIN = 0.005
#: Capability factors tried in the smallest-change search.
FACTORS = np.unique(np.concatenate([[0.0], np.geomspace(1 / 8, 8, 61)]))

MEASURES = {
    "model": "the model explained (compromise unless chosen): its forecast, pulls and changes",
    "pull": "forecast minus the forecast without the actor (the model rerun on the others)",
    "pivotal": f"actors with the largest |pull|: at least {PIVOTAL_SHARE:.0%} of the largest and "
               f"{PIVOTAL_MIN:.0%} of the scale, at most {PIVOTAL_MAX}, most pivotal first",
    "leverage": f"outcome points per point of the actor's position (central difference, ±{STEP:.0%} of the scale)",
    "capability_effect": f"outcome change if the actor's capability were {CAPABILITY_STEP:.0%} higher",
    "coalitions": f"positions sorted and cut where neighbours are more than {COALITION_GAP:.0%} of the scale apart; "
                  "weight = capability × salience",
    "change": "smallest change of one actor's position (0.5 % grid; 2.5 % for joint models, in their Monte Carlo "
              "arithmetic) or capability (× 0 to × 8) that moves the forecast nearest another anchor; d % of the "
              "scale and d % of capability count the same",
    "how_sure": "the models' spread and, with draws, the model's p10–p90 over the input uncertainty",
}


def explain(
    scenario: Scenario,
    model: str = DEFAULT_MODEL,
    *,
    models: Sequence[str] | None = None,
    draws: int = 0,
    seed: int = 0,
    params: dict[str, dict] | None = None,
    spread=None,
    decided: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """The explanation of every issue (see the module docstring), as a JSON-ready document::

        {"accord_version", "scenario", "model", "models", "draws", "seed", "measures",
         "issues": [{"issue", "issue_name", "scale", "forecast", "outcome_label", "region",
                     "models": {name: {"outcome", "outcome_label"}}, "spread", "draws",
                     "pivotal": [actor id, ...], "actors": [...], "coalitions": [...],
                     "change", "decided", "summary"}],
         "notes": [...]}

    ``models`` are the models whose spread says how sure the forecast is (None: every registered
    model); ``spread`` may pass their :class:`~accord.results.Forecast` already made. ``draws``
    adds the model's Monte Carlo spread. ``progress(done, total)`` is called between steps.
    """
    m = registry.get(model)
    params = {k: dict(v) for k, v in (params or {}).items()}
    kwargs = model_kwargs(scenario, m) | params.get(m.name, {})
    a = scenario.arrays()
    scales = [Scale.of(i) for i in scenario.issues]
    notes: list[str] = []
    steps = 6 + (1 if draws else 0)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps)

    if spread is None:
        names = [x.name for x in registry.resolve(list(models) if models else None)]
        spread = run_forecast(scenario, models=list(dict.fromkeys([m.name, *names])), seed=seed, params=params)
    base = np.asarray(spread.outcomes[m.name], float) if m.name in spread.outcomes else \
        _run(m, a, kwargs, seed)
    step()
    pull = base[None, :] - _without_each(m, scenario, params.get(m.name, {}), seed)
    step()
    leverage, cap_effect = _derivatives(m, a, kwargs, seed)
    step()
    change, skipped, said = _changes(m, a, kwargs, seed, base, scales)
    notes += said
    step()
    mc = _draws(scenario, m.name, draws, seed, params, base, scales) if draws else None
    if draws:
        step()
    verdict = _decided(scenario, m.name, seed, params) if decided else {}
    step()
    issues = []
    for k, issue in enumerate(scenario.issues):
        item = _issue(scenario, a, k, scales[k], m, base[k], spread, pull[:, k], leverage[:, k], cap_effect[:, k],
                      change[k], mc[k] if mc else None, verdict.get(issue.id), skipped.get(k))
        issues.append(item)
    step()
    return jsonable({
        "accord_version": __version__,
        "scenario": scenario.title,
        "model": m.name,
        "models": list(spread.outcomes),
        "draws": draws,
        "seed": seed,
        "measures": MEASURES,
        "issues": issues,
        "notes": notes + [f"{name}: {n}" for name, ns in spread.notes.items() for n in ns],
    })


# -- the runs ------------------------------------------------------------------------------------
def _run(m, a: ScenarioArrays, kwargs, seed) -> np.ndarray:
    """The model's outcome (..., n_issues); NaN where the model cannot run."""
    try:
        return np.asarray(m.forecast(a, rng=np.random.default_rng(seed), **kwargs).outcome, float)
    except ParameterError:
        raise
    except ModelError:
        return np.full(np.broadcast_shapes(np.shape(a.capability)[:-1], np.shape(a.position)[:-2]) + (a.n_issues,),
                       np.nan)


def _without_each(m, s: Scenario, params: dict, seed) -> np.ndarray:
    """(n_actors, n_issues): the outcome with each actor left out in turn (the scenario without it
    and what it owns, so that arrays a model takes from the scenario follow); NaN where that
    leaves an issue with nobody, or the model cannot run."""
    out = np.full((len(s.actors), len(s.issues)), np.nan)
    for j, actor in enumerate(s.actors):
        rest = s.without_actor(actor.id)
        a = rest.arrays()
        if a.capability.sum() <= 0:
            continue
        alone = ~a.involved.any(axis=0)
        if not alone.all():
            out[j] = np.where(alone, np.nan, _run(m, a, model_kwargs(rest, m) | params, seed))
    return out


def _batch(a: ScenarioArrays, cap=None, pos=None) -> ScenarioArrays:
    rows = len(cap if cap is not None else pos)
    return a.replace(
        capability=cap if cap is not None else np.repeat(a.capability[None], rows, axis=0),
        position=pos if pos is not None else np.repeat(a.position[None], rows, axis=0),
        salience=np.repeat(a.salience[None], rows, axis=0),
    )


def _derivatives(m, a: ScenarioArrays, kwargs, seed) -> tuple[np.ndarray, np.ndarray]:
    """(leverage, capability effect), each (n_actors, n_issues) (see the module docstring).

    A model that looks at issues one at a time moves an actor's position on every issue in one
    row; a joint model needs a row per (actor, issue)."""
    n, mi = a.n_actors, a.n_issues
    span = a.upper - a.lower
    up = np.minimum(a.position + STEP * span, a.upper)
    down = np.maximum(a.position - STEP * span, a.lower)
    if m.joint:
        pairs = [(j, k) for j in range(n) for k in range(mi) if a.involved[j, k]]
        pos = np.repeat(a.position[None], 2 * len(pairs), axis=0)
        for r, (j, k) in enumerate(pairs):
            pos[2 * r, j, k], pos[2 * r + 1, j, k] = up[j, k], down[j, k]
        res = _run(m, _batch(a, pos=pos), kwargs, seed) if pairs else np.empty((0, mi))
        leverage = np.full((n, mi), np.nan)
        for r, (j, k) in enumerate(pairs):
            leverage[j, k] = (res[2 * r, k] - res[2 * r + 1, k]) / (up[j, k] - down[j, k])
    else:
        pos = np.repeat(a.position[None], 2 * n, axis=0)
        for j in range(n):
            pos[2 * j, j], pos[2 * j + 1, j] = up[j], down[j]
        res = _run(m, _batch(a, pos=pos), kwargs, seed)
        with np.errstate(invalid="ignore", divide="ignore"):
            leverage = (res[0::2] - res[1::2]) / (up - down)
    leverage = np.where(a.involved, leverage, np.nan)
    cap = np.repeat(a.capability[None], n + 1, axis=0)
    cap[np.arange(n), np.arange(n)] *= 1 + CAPABILITY_STEP
    res = _run(m, _batch(a, cap=cap), kwargs, seed)
    return leverage, res[:n] - res[n][None, :]


def _changes(m, a: ScenarioArrays, kwargs, seed, base, scales) -> tuple[list, dict[int, str], list[str]]:
    """Per issue, the smallest single change moving the forecast into another anchor's region
    (None where the issue has no anchors or none does), the issues skipped (index -> why) and the
    notes the search leaves.

    A model that looks at issues one at a time changes an actor's position on every issue in one
    row, on a grid of :data:`GRID` points. A joint model needs a row per (actor, issue, point):
    :data:`JOINT_GRID` points, every row in one batched call, and a change of position on one
    issue counts for every issue it moves. The search's runs take the model's Monte Carlo
    parameters (``Model.draw_params``: the exchange model's floats) under the user's; where they
    put the unchanged scenario in another region than the forecast explained, the issue is
    skipped."""
    n, mi = a.n_actors, a.n_issues
    span = a.upper - a.lower
    own = {key: v for key, v in m.draw_params if key not in kwargs}  # Monte Carlo defaults the user left
    kw = own | kwargs
    notes: list[str] = []
    skipped: dict[int, str] = {}
    size = JOINT_GRID if m.joint else GRID
    points = np.linspace(a.lower, a.upper, size)  # (size, n_issues): the positions tried
    # rows: (actor, issue whose position moves; None: every issue, a per-issue model)
    pairs = [(j, q) for j in range(n) for q in range(mi) if a.involved[j, q]] if m.joint else \
        [(j, None) for j in range(n)]
    pos = np.repeat(a.position[None], len(pairs) * size, axis=0)
    for r, (j, q) in enumerate(pairs):
        rows = slice(r * size, (r + 1) * size)
        if q is None:
            pos[rows, j] = points
        else:
            pos[rows, j, q] = points[:, q]
    by_position = _run(m, _batch(a, pos=pos), kw, seed).reshape(len(pairs), size, mi) if pairs else \
        np.empty((0, size, mi))
    cap = np.repeat(a.capability[None], n * len(FACTORS), axis=0)
    for j in range(n):
        cap[j * len(FACTORS):(j + 1) * len(FACTORS), j] = a.capability[j] * FACTORS
    by_capability = _run(m, _batch(a, cap=cap), kw, seed).reshape(n, len(FACTORS), mi)
    if own:
        unchanged = _run(m, a, kw, seed)
        said = ", ".join(f"{key}={v!r}" for key, v in own.items())
        notes.append(f"the smallest change for {m.name} is searched with its Monte Carlo parameters ({said}); "
                     "the forecast explained is the model's own")
        for k, scale in enumerate(scales):
            if region(base[k], scale) is not None and region(unchanged[k], scale) != region(base[k], scale):
                skipped[k] = (f"the smallest change is not searched on {a.issue_ids[k]}: with {said} the unchanged "
                              f"scenario already lands at {_num(unchanged[k])}, nearest another anchor than the "
                              f"forecast {_num(base[k])}")
                notes.append(skipped[k])
    if m.joint:
        notes.append(f"the smallest change for the joint model {m.name} tries positions on a grid of "
                     f"{1 / (JOINT_GRID - 1):.1%} of the scale ({JOINT_GRID} points; a run per actor, issue and "
                     f"point: {len(pairs) * size + n * len(FACTORS)} runs in one batch), not {1 / (GRID - 1):.1%}")
    out = []
    for k, scale in enumerate(scales):
        here = region(base[k], scale)
        if here is None or k in skipped:
            out.append(None)
            continue
        # candidates in the per-issue search's order: per actor, its positions then its capabilities
        blocks: list[tuple] = []
        for r, (j, q) in enumerate(pairs):
            q = k if q is None else q
            if q == k and not a.involved[j, k]:
                continue
            blocks.append((j, 0, r, q))
        blocks += [(j, 1, j, None) for j in range(n)
                   if a.capability[j] > 0 and (m.joint or a.involved[j, k])]
        blocks.sort(key=lambda b: (b[0], b[1]))
        best = None
        for j, kind, r, q in blocks:
            if kind == 0:
                ys = by_position[r, :, k]
                sizes = np.abs(points[:, q] - a.position[j, q]) / span[q]
            else:
                ys = by_capability[r, :, k]
                sizes = np.abs(FACTORS - 1.0)
            to = _elsewhere_many(ys, scale, here)
            ok = np.flatnonzero(to >= 0)
            if not ok.size:
                continue
            t = ok[np.argmin(sizes[ok])]
            if best is not None and not sizes[t] < best["size"]:
                continue
            if kind == 0:
                best = {"actor": a.actor_ids[j], "kind": "position", "issue": a.issue_ids[q],
                        "from": a.position[j, q], "to": points[t, q], "size": sizes[t],
                        "outcome": ys[t], "region": int(to[t])}
            else:
                best = {"actor": a.actor_ids[j], "kind": "capability", "from": a.capability[j],
                        "to": a.capability[j] * FACTORS[t], "factor": FACTORS[t], "size": sizes[t],
                        "outcome": ys[t], "region": int(to[t])}
        if best is not None:
            best["anchor"] = scale.anchors[best["region"]][1]
            best["outcome_label"] = outcome_label(best["outcome"], scale)
            best["grid"] = 1 / (size - 1)
            if own:
                best["run_with"] = own
        out.append(best)
    return out, skipped, notes


def _elsewhere_many(y: np.ndarray, scale: Scale, here: int) -> np.ndarray:
    """Per value, the anchor region it is clearly in (:data:`MARGIN` of the scale from its edges)
    when that is not region ``here``; -1 otherwise (as :func:`accord.labels.region`, vectorised)."""
    y = np.asarray(y, float)
    if not scale.anchors:
        return np.full(y.shape, -1)
    cuts = np.asarray(scale.boundaries(), float)
    margin = MARGIN * scale.span

    def reg(v):
        return np.searchsorted(cuts, v, side="right")

    r = reg(y)
    clear = np.isfinite(y) & (reg(y - margin) == r) & (reg(y + margin) == r)
    return np.where(clear & (r != here), r, -1)


def _draws(scenario, model, draws, seed, params, base, scales) -> list[dict]:
    from accord.uncertainty.simulate import simulate

    ens = simulate(scenario, [model], draws, seed, params=params or None, workers=1)
    x = ens.draws[model]
    out = []
    for k, scale in enumerate(scales):
        col = x[:, k][np.isfinite(x[:, k])]
        here = region(base[k], scale)
        same = None if here is None or not col.size else float(np.mean([region(v, scale) == here for v in col]))
        q = np.percentile(col, [10, 50, 90]) if col.size else np.full(3, np.nan)
        out.append({"n": int(col.size), "p10": q[0], "p50": q[1], "p90": q[2], "p_same_region": same})
    return out


def _decided(scenario, model, seed, params) -> dict:
    from accord.process.agreement import agreement, has_agenda

    if not has_agenda(scenario):
        return {}
    return agreement(scenario, [model], seed=seed, params=params)[model]


# -- one issue -----------------------------------------------------------------------------------
def _issue(s: Scenario, a: ScenarioArrays, k, scale: Scale, m, x, spread, pull, leverage, cap_effect, change, mc,
           verdict, why_no_change) -> dict:
    issue = s.issues[k]
    names = {actor.id: actor.name for actor in s.actors}
    if change and change.get("issue"):
        change = change | {"issue_name": next(i.name for i in s.issues if i.id == change["issue"])}
    involved = np.flatnonzero(a.involved[:, k])
    w = a.capability * a.salience[:, k]
    total = w[involved].sum()
    actors = []
    for j in involved:
        actors.append({
            "actor": a.actor_ids[j], "name": names[a.actor_ids[j]], "position": a.position[j, k],
            "capability": a.capability[j], "salience": a.salience[j, k],
            "weight_share": w[j] / total if total > 0 else np.nan,
            "pull": pull[j], "leverage": leverage[j], "capability_effect": cap_effect[j],
            "side": "up" if a.position[j, k] > x else "down" if a.position[j, k] < x else "at",
        })
    actors.sort(key=lambda r: -abs(r["pull"]) if np.isfinite(r["pull"]) else 0.0)
    top = max((abs(r["pull"]) for r in actors if np.isfinite(r["pull"])), default=0.0)
    pivotal = [r["actor"] for r in actors
               if np.isfinite(r["pull"]) and abs(r["pull"]) >= max(PIVOTAL_SHARE * top, PIVOTAL_MIN * scale.span)
               ][:PIVOTAL_MAX]
    here = region(x, scale)
    models = {name: {"outcome": values[k], "outcome_label": outcome_label(float(values[k]), scale)}
              for name, values in spread.outcomes.items()}
    finite = [v["outcome"] for v in models.values() if np.isfinite(v["outcome"])]
    same = sum(1 for v in models.values() if here is not None and region(v["outcome"], scale) == here)
    spread_doc = {"min": min(finite, default=np.nan), "max": max(finite, default=np.nan), "n": len(finite),
                  "same_region": same if here is not None else None}
    item = {
        "issue": issue.id, "issue_name": issue.name,
        "scale": {"lower": scale.lower, "upper": scale.upper, "status_quo": scale.status_quo,
                  "anchors": [[v, label] for v, label in scale.anchors]},
        "forecast": x, "outcome_label": outcome_label(float(x), scale),
        "region": None if here is None else scale.anchors[here][1],
        "models": models, "spread": spread_doc, "draws": mc,
        "pivotal": pivotal, "actors": actors,
        "coalitions": coalitions(a, k, names),
        "change": change,
        "decided": None if verdict is None else {"status": verdict["status"], "why": named(verdict["why"], s)},
    }
    item["summary"] = summary(item, m.title, names, why_no_change if change is None else None)
    return item


def coalitions(a: ScenarioArrays, k: int, names: dict[str, str] | None = None) -> list[dict]:
    """The involved actors of issue k in camps: sorted by position, cut where neighbours are more
    than :data:`COALITION_GAP` of the scale apart (weights: capability × salience)."""
    idx = np.flatnonzero(a.involved[:, k])
    if not idx.size:
        return []
    order = idx[np.argsort(a.position[idx, k], kind="stable")]
    x = a.position[order, k]
    w = a.capability[order] * a.salience[order, k]
    total = w.sum()
    cuts = np.flatnonzero(np.diff(x) > COALITION_GAP * (a.upper[k] - a.lower[k])) + 1
    out = []
    for part in np.split(np.arange(order.size), cuts):
        ww = w[part]
        out.append({
            "members": [a.actor_ids[j] for j in order[part]],
            "names": [(names or {}).get(a.actor_ids[j], a.actor_ids[j]) for j in order[part]],
            "low": x[part].min(), "high": x[part].max(),
            "centre": float((ww * x[part]).sum() / ww.sum()) if ww.sum() > 0 else float(x[part].mean()),
            "weight_share": ww.sum() / total if total > 0 else np.nan,
        })
    return out


# -- words ---------------------------------------------------------------------------------------
def _num(x) -> str:
    if x is None or not np.isfinite(x):
        return "—"
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def _people(names: list[str], limit: int = 4) -> str:
    if len(names) > limit:
        names = names[:limit] + [f"{len(names) - limit} more"]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _sentence_label(label: str) -> str:
    """A label as the object of "lands …": anchors quoted, the other forms as they read."""
    return label if label.startswith(("closer", "midway", "beyond", "no change", "no forecast")) or " on the " in label \
        else f"at '{label}'"


def summary(item: dict, title: str, names: dict[str, str], why_no_change: str | None = None) -> str:
    """A paragraph a briefing could quote: where it lands, how sure, who pulls which way, who is
    pivotal, the camps, the smallest change that would move it, and whether it is decided."""
    x, sc = item["forecast"], item["scale"]
    parts = [f"{item['issue_name']}: the {title.lower()} puts it at {_num(x)} on {sc['lower']:g}–{sc['upper']:g}, "
             f"{_sentence_label(item['outcome_label'])}."]
    sp = item["spread"]
    if sp["n"] > 1:
        text = f"The {sp['n']} models range from {_num(sp['min'])} to {_num(sp['max'])}"
        if sp["same_region"] is not None:
            text += f"; {sp['same_region']} of {sp['n']} land nearest '{item['region']}'"
        ratio = None if sp["same_region"] is None else sp["same_region"] / sp["n"]
        sure = ("" if ratio is None else " (they agree)" if ratio == 1 else " (most agree)" if ratio >= 2 / 3
                else " (they are split)" if ratio >= 0.5 else " (most disagree)")
        parts.append(text + sure + ".")
    if item["draws"] and item["draws"]["n"]:
        d = item["draws"]
        text = f"Over the input uncertainty, 80 % of draws fall between {_num(d['p10'])} and {_num(d['p90'])}"
        if d["p_same_region"] is not None:
            text += f", {d['p_same_region']:.0%} of them nearest '{item['region']}'"
        parts.append(text + ".")
    movers = [r for r in item["actors"] if np.isfinite(r["pull"]) and abs(r["pull"]) >= PIVOTAL_MIN * (sc["upper"] - sc["lower"])]
    up = [f"{r['name']} ({_num(r['position'])})" for r in movers if r["pull"] > 0][:3]
    down = [f"{r['name']} ({_num(r['position'])})" for r in movers if r["pull"] < 0][:3]
    if up or down:
        bits = ([f"{_people(up)} pull{'s' if len(up) == 1 else ''} it up"] if up else []) + \
               ([f"{_people(down)} pull{'s' if len(down) == 1 else ''} it down"] if down else [])
        parts.append("; ".join(bits) + ".")
    if item["pivotal"]:
        first = next(r for r in item["actors"] if r["actor"] == item["pivotal"][0])
        others = [names.get(p, p) for p in item["pivotal"][1:]]
        text = (f"Most pivotal: {first['name']} (without it the forecast would be {_num(x - first['pull'])})"
                + (f", then {_people(others)}" if others else ""))
        parts.append(text + ".")
    camps = item["coalitions"]
    if len(camps) > 1:
        described = [f"{_people(c['names'], 3)} around {_num(c['centre'])} ({c['weight_share']:.0%} of the weight)"
                     for c in camps]
        parts.append(f"{len(camps)} camps: " + "; ".join(described) + ".")
    elif camps:
        parts.append("One camp: no two neighbouring positions are more than "
                     f"{COALITION_GAP:.0%} of the scale apart.")
    ch = item["change"]
    if ch:
        who = names.get(ch["actor"], ch["actor"])
        whose = who + ("'" if who.endswith("s") else "'s")
        factor = "falling to zero" if ch.get("factor") == 0 else f"× {ch.get('factor', 1):.2g}"
        elsewhere = ch.get("issue") not in (None, item["issue"])
        what = (f"{who} moving from {_num(ch['from'])} to {_num(ch['to'])}"
                + (f" on {ch.get('issue_name') or ch['issue']}" if elsewhere else "") if ch["kind"] == "position"
                else f"{whose} capability {factor} ({_num(ch['from'])} to {_num(ch['to'])})")
        parts.append(f"The smallest single change that would move it nearest '{ch['anchor']}': {what} "
                     f"(forecast {_num(ch['outcome'])}).")
    elif item["region"] is not None and not why_no_change:
        parts.append("No single change of one actor's position (anywhere on the scale) or capability (× 0 to × 8) "
                     "moves it nearest another anchor.")
    if item["decided"]:
        word = {"agreed": "agreed", "blocked": "blocked", "unchanged": "not changed", "closed": "never opened"}.get(
            item["decided"]["status"], item["decided"]["status"])
        why = item["decided"]["why"]
        parts.append(f"Under the process it is {why}." if why.startswith(word) else
                     f"Under the process it is {word}: {why}.")
    return " ".join(parts)


_LISTS = re.compile(r"(rejected by|waits for|package with|unlock) ([\w.-]+(?:, [\w.-]+)*)")


def named(text: str, s: Scenario) -> str:
    """The process's reasons with actor and issue names for the ids they list ("rejected by us,
    russia" -> "rejected by United States, Russia")."""
    lookup = {a.id: a.name for a in s.actors} | {i.id: i.name for i in s.issues}
    return _LISTS.sub(lambda m: m.group(1) + " " + ", ".join(lookup.get(x, x) for x in m.group(2).split(", ")), text)


__all__ = ["COALITION_GAP", "DEFAULT_MODEL", "MEASURES", "coalitions", "explain", "summary"]
