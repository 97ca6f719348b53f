"""Bueno de Mesquita's expected utility model (EUM), as unravelled by Scholz, Calbert & Smith (2011).

Every round each actor i estimates, for every other actor j, its expected utility of challenging
j (EU_ij) and j's of challenging it (EU_ji); from those it receives offers (confrontation,
compromise, capitulation), takes one, and all actors move at once. The forecast is the median
(Condorcet) position after the last round, with the capability × salience weighted mean beside
it. Each issue is played on its own, vectorised over issues and Monte Carlo draws: one code path
serves one forecast and ten thousand. Equations, variants and the evidence for each choice:
docs/models/eum.md.

Two engines compute the same numbers: ``"numpy"`` (:mod:`accord.models.eum._reference`, the
reference, vectorised over rows) and ``"numba"`` (:mod:`accord.models.eum._kernel`, compiled
loops, one row at a time on every core; the default when numba is installed). They agree to
~1e-15 and are tested against each other.

References: Bueno de Mesquita (1994) "Political forecasting: an expected utility method", in
Bueno de Mesquita & Stokman (eds.) *European Community Decision Making*, 71–104; Scholz, Calbert &
Smith (2011) "Unravelling Bueno de Mesquita's group decision model", *J. Theoretical Politics*
23(4): 510–531; the replication jmckib/bdm-scholz-expected-utility-model (2013).
"""

from __future__ import annotations

from dataclasses import asdict, fields, replace

import numpy as np

from accord.models import engines
from accord.models.base import Model
from accord.models.eum._reference import (
    KINDS,
    NO_OFFER,
    STOP_CODES,
    Rules,
    condorcet_median,
    position_span,
    run,
    weighted_mean,
)
from accord.models.params import MAX_ROUNDS, Interval, Options, checked, describe_parameters
from accord.results import ModelResult, Trajectory
from accord.scenario import ScenarioArrays

__all__ = [
    "DEFAULT_ROUNDS", "DEFAULT_TOL", "MODEL", "VARIANTS", "Rules", "forecast", "rules_for", "trajectory",
]

#: Named bundles of the choices in :class:`Rules`; keyword arguments override single choices.
VARIANTS: dict[str, Rules] = {
    # As printed by Scholz et al. (2011): P_ij + P_ji = 1, the compromise that moves the actor
    # least, capitulation when the challenger gains less than the actor loses.
    "paper": Rules(),
    # Everything as the reference log computes it (jmckib's replication of Scholz's code).
    "scholz_compatible": Rules(denominator="all_pairs", compromise="scholz", capitulation="never"),
    # Scholz's code with the replication's capitulation bug fixed.
    "scholz_code": Rules(denominator="all_pairs", compromise="scholz", capitulation="printed"),
    # The paper's choices with every actor risk neutral (r = 1).
    "risk_neutral": Rules(risk="neutral"),
}
DEFAULT_VARIANT = "paper"
DEFAULT_ROUNDS = 10
DEFAULT_TOL = 1e-6
# Pair matrices per chunk of rows (NumPy engine): keeps the ~20 temporaries of a round in cache.
_CHUNK_PAIRS = 1 << 16

#: What each parameter may be (:mod:`accord.models.params`); the fields of :class:`Rules` are
#: parameters too, overriding the variant's choice.
CONSTRAINTS = {
    "variant": Options(tuple(VARIANTS), none=True),
    "rounds": Interval(int, 0, MAX_ROUNDS, none=True),
    "tol": Interval(float, 0.0, None, none=True),
    "engine": Options(engines.ENGINES, none=True),
    "denominator": Options(("pair", "all_pairs")),
    "compromise": Options(("least_move", "scholz")),
    "capitulation": Options(("printed", "never")),
    "q": Interval(float, 0.0, 1.0),
    "t": Interval(float, 0.0, 1.0),
    "position_range": Options(("initial", "current", "scale")),
    "risk": Options(("security", "neutral")),
}
_RULES = {f.name: (f.default, describe_parameters(Rules.__doc__).get(f.name, "")) for f in fields(Rules)}


def _runner(engine: str | None):
    """The round loop of an engine, and whether it wants rows in cache-sized chunks (NumPy)."""
    def compiled():
        from accord.models.eum._kernel import run as kernel

        return kernel

    play = engines.pick(engine, numpy=run, numba=compiled)
    return play, play is run


def rules_for(variant: str | None = None, **overrides) -> Rules:
    """The :class:`Rules` of a named variant (``None``: the default), with single choices replaced."""
    rules = VARIANTS[DEFAULT_VARIANT if variant is None else variant]
    return replace(rules, **overrides) if overrides else rules


def _rows(a: ScenarioArrays):
    """Arrays as rows (one per draw × issue): x, w, s, inv (n_rows, n), scale span, lead shape."""
    cap = np.asarray(a.capability, dtype=float)
    pos = np.asarray(a.position, dtype=float)
    sal = np.asarray(a.salience, dtype=float)
    n, m = np.shape(a.involved)
    lead = np.broadcast_shapes(cap.shape[:-1], pos.shape[:-2], sal.shape[:-2])
    pos = np.broadcast_to(np.swapaxes(pos, -1, -2), lead + (m, n)).reshape(-1, n)
    sal = np.broadcast_to(np.swapaxes(sal, -1, -2), lead + (m, n)).reshape(-1, n)
    cap = np.broadcast_to(cap[..., None, :], lead + (m, n)).reshape(-1, n)
    inv = np.broadcast_to(np.asarray(a.involved, bool).T, lead + (m, n)).reshape(-1, n)
    inv = inv & np.isfinite(pos)
    anchor = np.where(inv, pos, np.inf).min(axis=1, keepdims=True)
    x = np.where(inv, pos, np.where(np.isfinite(anchor), anchor, 0.0))
    w = np.where(inv, cap * sal, 0.0)
    s = np.where(inv, sal, 0.0)
    scale = np.broadcast_to(np.asarray(a.upper, float) - np.asarray(a.lower, float), lead + (m,))
    scale = scale.reshape(-1)
    return x, w, s, inv, cap, np.where(scale > 0, scale, 1.0), lead


def _span(rules: Rules, x, inv, scale):
    return scale if rules.position_range == "scale" else position_span(x, inv)


def _median(x, w, cap, inv):
    out = condorcet_median(x, w)
    # Everyone at salience 0: fall back on capability alone, as the baseline median does.
    return np.where(np.isnan(out), condorcet_median(x, np.where(inv, cap, 0.0)), out)


def _mean(x, w, cap, inv):
    out = weighted_mean(x, w)
    return np.where(np.isnan(out), weighted_mean(x, np.where(inv, cap, 0.0)), out)


@checked(CONSTRAINTS, model="eum", extra=_RULES)
def forecast(
    arrays: ScenarioArrays,
    rng=None,
    *,
    variant: str | None = None,
    rounds: int | None = None,
    tol: float | None = DEFAULT_TOL,
    engine: str | None = None,
    **choices,
) -> ModelResult:
    """The EUM forecast of every issue, vectorised over leading (draw) axes.

    Parameters
    ----------
    arrays : ScenarioArrays
        capability (..., n_actors), position and salience (..., n_actors, n_issues); actors not
        involved in an issue (NaN position) are left out of it.
    rng : ignored (the model is deterministic).
    variant : str, optional
        A named bundle of the rule choices below (default ``"paper"``: Scholz, Calbert & Smith
        2011 as printed; ``"scholz_compatible"``: their code as the reference log runs it;
        ``"scholz_code"``: that code with its capitulation bug fixed; ``"risk_neutral"``: the
        paper with every actor risk neutral). A rule given on its own overrides the variant's.
    rounds : int, optional
        Most rounds to play (default 10); fewer when positions stop moving (``tol``).
    tol : float or None
        Stop an issue when no position moves more than ``tol`` × position range, or when its
        positions repeat an earlier round's (a cycle). ``None``: always play ``rounds`` rounds.
    engine : {"numba", "numpy"}, optional
        Compiled loops or the NumPy reference (default: numba when installed); same results.
    **choices
        Single fields of :class:`Rules` overriding the variant (e.g. ``q=0.5``).

    Returns
    -------
    ModelResult
        ``outcome``: the median (Condorcet) position after the last round, (..., n_issues);
        ``extra["mean"]``: the capability × salience weighted mean position then;
        ``extra["rounds"]``: rounds played per issue.
    """
    rules = rules_for(variant, **choices)
    rounds = DEFAULT_ROUNDS if rounds is None else rounds
    play, chunked = _runner(engine)
    x, w, s, inv, cap, scale, lead = _rows(arrays)
    span = _span(rules, x, inv, scale)
    n = x.shape[1]
    # The compiled engine takes every row at once and shares them among its threads.
    step = max(1, _CHUNK_PAIRS // max(n * n, 1)) if chunked else max(x.shape[0], 1)
    final = np.empty_like(x)
    played = np.zeros(x.shape[0])
    for lo in range(0, x.shape[0], step):
        sl = slice(lo, lo + step)
        res = play(x[sl], w[sl], s[sl], inv[sl], span[sl], rules, rounds=rounds, tol=tol)
        final[sl] = res["x"]
        played[sl] = res["rounds"]
    m = np.shape(arrays.involved)[1]
    shape = lead + (m,)
    return ModelResult(
        outcome=_median(final, w, cap, inv).reshape(shape),
        extra={"mean": _mean(final, w, cap, inv).reshape(shape), "rounds": played.reshape(shape)},
    )


@checked(CONSTRAINTS, model="eum", extra=_RULES)
def trajectory(
    arrays: ScenarioArrays,
    rng=None,
    *,
    variant: str | None = None,
    rounds: int | None = None,
    tol: float | None = DEFAULT_TOL,
    engine: str | None = None,
    **choices,
) -> Trajectory:
    """Round-by-round positions, offers taken, median and mean of one scenario (no draw axes).

    Parameters are those of :func:`forecast`. ``events[r]`` lists, per issue and in input
    order of the actors, every offer taken in round r + 1: ``issue``, ``actor`` (who moves),
    ``other`` (who made the offer), ``kind`` (confrontation / compromise / capitulation),
    ``winner`` (``other`` for a lost confrontation or a capitulation, None for a compromise),
    ``eu_actor`` and ``eu_other`` (EU_ij and EU_ji in the actor's eyes), ``old_position``,
    ``new_position``, and ``from``/``to`` (the offer's sender and receiver). ``per_round``
    holds each actor's risk exponent r (NaN in round 0). ``stopped`` is ``rounds`` unless every
    issue stopped early: ``cycle`` if any issue cycled, else ``converged``; the per-issue
    reasons are in ``extra``.
    """
    if np.ndim(arrays.capability) != 1:
        raise ValueError("trajectory takes one scenario; use forecast for draws")
    rules = rules_for(variant, **choices)
    rounds = DEFAULT_ROUNDS if rounds is None else rounds
    play, _ = _runner(engine)
    x, w, s, inv, cap, scale, _ = _rows(arrays)
    span = _span(rules, x, inv, scale)
    res = play(x, w, s, inv, span, rules, rounds=rounds, tol=tol, record=True)
    history = res["history"]
    issues, actors = arrays.issue_ids, arrays.actor_ids
    stack = np.stack(history)  # (rounds + 1, n_issues, n_actors)
    positions = np.where(inv[None], stack, np.nan).transpose(0, 2, 1)
    # Every round's median and mean in one call: rounds become rows.
    flat = stack.reshape(-1, stack.shape[-1])
    tiled = [np.broadcast_to(v, stack.shape).reshape(flat.shape) for v in (w, cap, inv)]
    median = _median(flat, *tiled).reshape(stack.shape[:2])
    mean = _mean(flat, *tiled).reshape(stack.shape[:2])
    risk = np.full(stack.shape, np.nan)
    events: list[list[dict]] = []
    for k, mv in enumerate(res["moves"]):
        risk[k + 1] = mv["r"]
        round_events = []
        for b, i in zip(*np.nonzero(mv["kind"] != NO_OFFER), strict=True):
            j = int(mv["other"][b, i])
            kind = KINDS[mv["kind"][b, i]]
            round_events.append({
                "issue": issues[b],
                "actor": actors[i],
                "other": actors[j],
                "kind": kind,
                "winner": None if kind == "compromise" else actors[j],
                "eu_actor": float(mv["eu_actor"][b, i]),
                "eu_other": float(mv["eu_other"][b, i]),
                "old_position": float(history[k][b, i]),
                "new_position": float(history[k + 1][b, i]),
                "from": actors[j],
                "to": actors[i],
            })
        events.append(round_events)
    codes = [STOP_CODES[c] for c in res["stopped"]]
    if all(c != "rounds" for c in codes) and codes:
        stopped = "cycle" if "cycle" in codes else "converged"
    else:
        stopped = "rounds"
    return Trajectory(
        model="eum",
        actor_ids=actors,
        issue_ids=issues,
        positions=positions,
        median=median,
        mean=mean,
        events=events,
        stopped=stopped,
        variant=DEFAULT_VARIANT if variant is None else variant,
        outcome=median,
        per_round={"risk_exponent": risk.transpose(0, 2, 1)},
        extra={
            "stopped_by_issue": dict(zip(issues, codes, strict=True)),
            "rounds_by_issue": {i: int(r) for i, r in zip(issues, res["rounds"], strict=True)},
            "cycle_length": {i: int(c) for i, c in zip(issues, res["cycle"], strict=True) if c},
            "rules": asdict(rules),
            "engine": engines.name(engine),
        },
    )


MODEL = Model(
    name="eum",
    title="Expected utility model",
    citation=(
        "Bueno de Mesquita (1994) in Bueno de Mesquita & Stokman (eds.), European Community "
        "Decision Making, 71-104; Scholz, Calbert & Smith (2011) J. Theoretical Politics 23(4): 510-531."
    ),
    forecast=forecast,
    trajectory=trajectory,
    variants=tuple(VARIANTS),
    summary="challenges, offers and moves by expected utility; median after the last round",
    figures={"mean": "capability × salience weighted mean of the positions after the last round "
                     "(the outcome is their weighted median)",
             "rounds": "rounds played before the positions stopped moving or the limit was reached"},
)
