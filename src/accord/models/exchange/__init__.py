"""Stokman & Van Oosten's exchange model: actors trade voting positions across issues.

An actor gives ground on an issue it cares little about in return for a partner's ground on one
it cares about more. Per round:

1. Each issue's outcome is the compromise Σ c s x / Σ c s (capability × salience weighted mean).
2. For every pair of issues (p, q), actors on opposite sides of both outcomes can trade: the one
   with the larger relative salience s_p / s_q *demands* p and *supplies* q.
3. Moving a voting position by Δx shifts the outcome by the *exchange ratio* r = Δx c s / Σ c s.
   The equal-gain rate sets r_q = r_p (s_ip + s_jp) / (s_iq + s_jq), so that both partners gain
   r_p s_ip - r_q s_iq = r_q s_jq - r_p s_jp in expected utility.
4. Moves are bounded: a supplier goes at most to the demander's position; when the matching move
   would take the partner further, the partner goes all the way and the first move shrinks; no
   move may push the outcome past the demanding actor's own position; positions stay on the scale.
5. The exchange with the highest gain is realised first; every open exchange it touches (same
   actor supplying or demanding the same issue) is recalculated from the new voting positions,
   impossible ones are dropped, and so on until none is left.
6. Third parties gain or lose from the shifted outcomes (externalities).
7. Next round, each actor that moved starts between its old and its voting position: it keeps a
   share 0.1 + 0.4 (1 - s) of the move (partial return; lower salience, more of the move kept).

Variants (``variant=``): ``equal_gain`` (the default, above); ``random_rate`` (the rate drawn
uniformly between the two partners' break-even rates, Dijkstra, van Assen, Stokman & Draaijer
2018); ``randomised_equal_gain`` (the equal-gain rate moved a random share ``p`` of the way toward
one partner's break-even rate). Equal ties between gains go to the first candidate in order
(issue pair, then A–D before B–C groups, then actor order) unless ``ties="random"`` (Decide's own
rule: a coin between the two best of its sorted list, drawn from ``rng``) or ``ties="uniform"``.

The sequence within a round follows the public Decide implementation (GPL; read to understand,
not copied), and reproduces its runs: see ``docs/models/exchange.md`` for the checks and every
place where Decide's behaviour differs from the printed model. Two engines compute a round with
identical results: a compiled step loop (``engine="numba"``, the default) and the NumPy reference
(``engine="numpy"``).

References: Stokman, F. N. & Van Oosten, R. (1994) "The exchange of voting positions: an
object-oriented model of policy networks", in Bueno de Mesquita & Stokman (eds.), *European
Community Decision Making*, Yale UP, 105–127. Dijkstra, J., van Assen, M., Stokman, F. &
Draaijer, J. (2018) "Random variation of exchange rates in the equal utility exchange model".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from accord.errors import ModelError
from accord.models import engines
from accord.models.base import Model
from accord.models.exchange._decimal import DecimalShadow, to_decimal
from accord.models.exchange._reference import compromise
from accord.models.exchange._reference import run_round as _run_round_numpy
from accord.models.params import MAX_ROUNDS, Array, Boolean, Interval, Options, checked
from accord.models.weighting import weighted_median
from accord.results import ModelResult, Trajectory
from accord.rng import generator
from accord.scenario import Scenario, ScenarioArrays

#: Share of a move kept into the next round is FIXED_WEIGHT + SALIENCE_WEIGHT × (1 - salience)
#: (Decide's constants for Stokman & Van Oosten's partial return to original positions).
SALIENCE_WEIGHT = 0.4
FIXED_WEIGHT = 0.1
#: Rounds when none are asked for (Decide's default number of iterations).
DEFAULT_ROUNDS = 10
VARIANTS = ("equal_gain", "random_rate", "randomised_equal_gain")
SCALE = 100.0  # the model works on a 0–100 scale per issue (Decide normalises the same way)
#: Most independent runs (Monte Carlo draws of the deterministic model) run in lockstep by one call
#: of :func:`forecast`. Lockstep runs share each step's passes over their tables; beyond a few
#: runs the tables leave the cache and every step costs more. Syria, 256 draws, ms a draw: exact
#: 36 (8 at a time) against 48 (all at once), floats 7.0 against 13.5.
LOCKSTEP = 8


def _round_engine(engine):
    """The round function of an engine (:func:`accord.models.engines.pick`); both give identical
    results (tests/test_exchange_engines.py)."""

    def compiled():
        from accord.models.exchange._kernel import run_round

        return run_round

    return engines.pick(engine, numpy=_run_round_numpy, numba=compiled)


def _normal(name: str) -> str:
    return name.strip().lower().replace("-", "_")


CONSTRAINTS = {
    "variant": Options(VARIANTS, none=True, normalise=_normal, aliases={
        "equal": "equal_gain", "random": "random_rate", "randomized_equal_gain": "randomised_equal_gain",
        "randomised": "randomised_equal_gain"}),
    "rounds": Interval(int, 0, MAX_ROUNDS),
    "p": Interval(float, 0.0, 1.0),
    "forbidden": Array("(n_issues, n_issues) or (n_actors, n_issues, n_issues)"),
    "power": Array("(n_actors, n_issues)"),
    "ties": Options(("first", "random", "decide", "uniform")),
    "repetitions": Interval(int, 1, 1_000_000),
    "engine": Options(engines.ENGINES, none=True),
    "exact": Boolean(none=True),
    "record": Boolean(),
}


@dataclass
class ExchangeRun:
    """Every round of one run, on the issues' own scales.

    ``start`` (n_rounds, n_actors, n_issues) are the positions each round starts from (Decide's
    "before"), ``voting`` the voting positions after that round's exchanges ("after");
    ``outcome_before``/``outcome_after`` (n_rounds, n_issues) their compromise outcomes.
    ``exchanges[r]`` lists round r's realised exchanges in order (dicts), ``externalities[r]``
    (n_actors,) what third parties gained (+) or lost (-) in round r, in salience-weighted points
    of the 0–100 scale.
    """

    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    start: np.ndarray
    voting: np.ndarray
    outcome_before: np.ndarray
    outcome_after: np.ndarray
    exchanges: list[list[dict]] = field(default_factory=list)
    externalities: np.ndarray | None = None
    ties: list[int] = field(default_factory=list)


# -- linkages ------------------------------------------------------------------------------------
def forbidden_linkages(scenario: Scenario) -> np.ndarray:
    """The trades a scenario forbids, as a boolean mask (n_actors, n_issues, n_issues).

    ``mask[a, p, q]`` is True when actor ``a`` may not trade issue p against issue q (in either
    direction); an exchange is dropped when either partner may not make it. A linkage names two
    issues, or one issue and ``"*"`` (every other issue), and optionally the one actor it binds.
    """
    actors = {a: k for k, a in enumerate(scenario.actor_ids)}
    issues = {i: k for k, i in enumerate(scenario.issue_ids)}
    n, m = len(actors), len(issues)
    mask = np.zeros((n, m, m), bool)
    for link in scenario.linkages:
        first, second = link.issues
        p = issues[first]
        qs = [k for k in range(m) if k != p] if second == "*" else [issues[second]]
        who = slice(None) if link.actor is None else actors[link.actor]
        for q in qs:
            mask[who, p, q] = True
            mask[who, q, p] = True
    return mask


def _check_forbidden(forbidden, n, m):
    if forbidden is None:
        return None
    f = np.asarray(forbidden, dtype=bool)
    if f.shape not in ((m, m), (n, m, m)):
        raise ModelError(f"forbidden must have shape ({m}, {m}) or ({n}, {m}, {m}), got {f.shape}")
    return f | np.swapaxes(f, -1, -2)


# -- rates of the random variants ---------------------------------------------------------------
def _kappa(variant, rng, p):
    """Exchange rate r_q / r_p per candidate for the random variants (None: equal gain)."""
    if variant == "equal_gain" and not p:
        return None
    if rng is None:
        raise ModelError(f"the {variant} exchange model is stochastic: pass rng")

    def draw(c, sal):
        with np.errstate(invalid="ignore", divide="ignore"):
            even_j = sal[c.rep, c.j, c.p] / sal[c.rep, c.j, c.q]  # j gains nothing at this rate
            even_i = sal[c.rep, c.i, c.p] / sal[c.rep, c.i, c.q]  # i gains nothing at this rate
        if variant == "random_rate":
            return even_j + rng.random(len(c)) * (even_i - even_j)
        z = rng.random(len(c))
        towards_i = rng.random(len(c)) < 0.5
        bound = np.where(towards_i, even_i, even_j)
        return c.kappa + p * z * (bound - c.kappa)

    return draw


# -- running -------------------------------------------------------------------------------------
def exchange_run(a: ScenarioArrays, **kwargs) -> ExchangeRun:
    """Run the exchange model once on one scenario (no batch axes); see :func:`exchange_runs`."""
    return exchange_runs(a, repetitions=1, **kwargs)[0]


@checked(CONSTRAINTS, model="exchange")
def exchange_runs(
    a: ScenarioArrays,
    *,
    repetitions: int = 1,
    rounds: int = DEFAULT_ROUNDS,
    variant: str | None = None,
    p: float = 0.0,
    forbidden=None,
    power=None,
    ties: str = "first",
    rng: np.random.Generator | None = None,
    exact: bool | None = None,
    engine: str | None = None,
    record: bool = True,
) -> list[ExchangeRun]:
    """Run the exchange model ``repetitions`` times for ``rounds`` rounds, all runs in lockstep.

    Parameters
    ----------
    repetitions : int
        Independent runs per draw; a stochastic variant or random ties average them (the
        deterministic model runs once whatever is asked).
    a : ScenarioArrays
        capability (..., n_actors), position and salience (..., n_actors, n_issues). Leading
        (Monte Carlo draw) axes are flattened: one run per draw and repetition, draw-major.
    rounds : int
        Number of rounds (Decide's iterations).
    variant : {"equal_gain", "random_rate", "randomised_equal_gain"}
        ``"equal_gain"`` (default: Stokman & Van Oosten's exchange at the rate that gives both
        traders the same gain), ``"random_rate"`` (a rate drawn uniformly between the traders'
        break-even rates) or ``"randomised_equal_gain"`` (the equal-gain rate moved up to ``p``
        of the way to one trader's break-even rate); the random two after Dijkstra et al. 2018.
    p : float
        Randomisation of the equal-gain rate, 0 (none) to 1 (up to a break-even rate).
    forbidden : bool array (n_issues, n_issues) or (n_actors, n_issues, n_issues), optional
        Trades that may not happen: the scenario's forbidden linkages (``linkages:``), between two
        issues or for one actor.
    power : array (n_actors, n_issues), optional
        Capability per actor and issue (Decide's per-row power); replaces ``capability``.
    ties : {"first", "random", "decide", "uniform"}
        How equal gains are broken: ``"first"`` (deterministic) takes the first candidate in
        order; ``"random"`` (= ``"decide"``) follows Decide: a fair coin from ``rng`` between the
        two best exchanges of its stably sorted list, the loser moved (or copied) to the end;
        ``"uniform"`` draws uniformly among all tied exchanges.
    rng : numpy.random.Generator
        One stream for every run (the runs draw from it in lockstep).
    exact : bool, optional
        Keep a decimal shadow so that near-ties resolve as in Decide's decimal arithmetic
        (default: on for the deterministic equal-gain model; Monte Carlo runs pass False).
    engine : {"numba", "numpy"}, optional
        The compiled step loop or the NumPy reference (default: numba when it imports); the
        results are identical.
    record : bool
        Build each run's list of exchanges and its externalities (``False``: positions and
        outcomes only, which is all a forecast needs; Syria, 250 draws: 69 -> 57 ms a draw).
    """
    variant = variant or VARIANTS[0]
    ties = {"random": "decide"}.get(ties, ties)
    if ties != "first" and rng is None:
        raise ModelError(f"ties={ties!r} needs rng")
    involved = np.asarray(a.involved, bool)
    n, m = involved.shape
    reps = repetitions
    pos = np.asarray(a.position, float).reshape(-1, n, m)
    draws = pos.shape[0]
    R = draws * reps
    lower, upper = np.asarray(a.lower, float), np.asarray(a.upper, float)
    span = upper - lower
    sal = np.repeat(np.broadcast_to(np.where(involved, np.asarray(a.salience, float), 0.0), pos.shape), reps, axis=0)
    if power is None:
        cap = np.broadcast_to(np.asarray(a.capability, float).reshape(-1, n)[:, :, None], pos.shape)
    else:
        cap = np.broadcast_to(np.asarray(power, float), pos.shape)
    cap = np.repeat(cap, reps, axis=0)
    x = np.repeat(np.where(involved, (pos - lower) * (SCALE / span), np.nan), reps, axis=0)
    w = np.where(involved, cap * sal, 0.0)
    fmask = _check_forbidden(forbidden, n, m)
    run_round = _round_engine(engine)
    kappa = _kappa(variant, rng, p if variant == "randomised_equal_gain" else 0.0)
    exact = (variant == "equal_gain" and not p) if exact is None else exact
    if exact:
        xd = [_decimal_positions(pos[r // reps], involved, lower, upper) for r in range(R)]
        sd = [_decimal_grid(sal[r], involved) for r in range(R)]
        cd = [_decimal_grid(cap[r], involved) for r in range(R)]
        factors: list[dict] = [{} for _ in range(R)]

    starts, votes, events, ext, n_ties = [], [], [], [], []
    for _ in range(int(rounds)):
        shadows = [DecimalShadow(xd[r], sd[r], cd[r], factors[r]) for r in range(R)] if exact else None
        res = run_round(x, w, sal, involved, forbidden=fmask, kappa=kappa, rng=rng, ties=ties,
                        salience_weight=SALIENCE_WEIGHT, fixed_weight=FIXED_WEIGHT, shadows=shadows)
        starts.append(x)
        votes.append(res.voting)
        if record:
            events.append([_events(e, a, lower, span) for e in res.exchanges])
            ext.append([_externalities(e, x[r], sal[r], involved) for r, e in enumerate(res.exchanges)])
        else:
            events.append([[] for _ in range(R)])
            ext.append([np.zeros(n) for _ in range(R)])
        n_ties.append(res.ties)
        x = res.start_next
        if exact:
            xd = res.start_next_exact
    k = int(rounds)
    start = lower + np.array(starts).reshape(k, R, n, m) * (span / SCALE)
    voting = lower + np.array(votes).reshape(k, R, n, m) * (span / SCALE)
    return [
        ExchangeRun(
            actor_ids=a.actor_ids, issue_ids=a.issue_ids, start=start[:, r], voting=voting[:, r],
            outcome_before=_outcome(start[:, r], w[r]), outcome_after=_outcome(voting[:, r], w[r]),
            exchanges=[ev[r] for ev in events], externalities=np.array([e[r] for e in ext]).reshape(k, n),
            ties=[int(t[r]) for t in n_ties],
        )
        for r in range(R)
    ]


def _outcome(positions, w):
    return compromise(positions, w) if positions.size else np.zeros(positions.shape[:1] + positions.shape[2:])


def _decimal_grid(v, involved):
    return [[to_decimal(v[a, i]) if involved[a, i] else None for i in range(v.shape[1])] for a in range(v.shape[0])]


def _decimal_positions(pos, involved, lower, upper):
    """Positions on the 0–100 scale as Decide holds them: (x - lower) × (100 / (upper - lower)).

    Decide reads the scale ends as decimals (its ``#M`` points), so the factor is a 28-digit
    decimal quotient, not a binary float (it matters on scales other than 0–100).
    """
    import decimal

    out = []
    with decimal.localcontext(decimal.Context(prec=28)):
        factor = [100 / (to_decimal(hi) - to_decimal(lo)) for lo, hi in zip(lower, upper, strict=True)]
        for k in range(pos.shape[0]):
            row = []
            for i in range(pos.shape[1]):
                if not involved[k, i]:
                    row.append(None)
                elif lower[i] == 0 and upper[i] == SCALE:
                    row.append(to_decimal(pos[k, i]))
                else:
                    row.append((to_decimal(pos[k, i]) - to_decimal(lower[i])) * factor[i])
            out.append(row)
    return out


def _events(ex: dict, a: ScenarioArrays, lower, span) -> list[dict]:
    """One event per move: who moved on which issue, towards whom, in return for what."""
    out = []
    scale = span / SCALE
    i, j, p, q = (ex[k] for k in ("i", "j", "p", "q"))
    cols = zip(i.tolist(), j.tolist(), p.tolist(), q.tolist(), ex["gain"].tolist(),
               (lower[q] + ex["x_i"] * scale[q]).tolist(), (lower[q] + ex["y_i"] * scale[q]).tolist(),
               (lower[p] + ex["x_j"] * scale[p]).tolist(), (lower[p] + ex["y_j"] * scale[p]).tolist(), strict=True)
    issues, actors = a.issue_ids, a.actor_ids
    for e, (i_, j_, p_, q_, gain, xi, yi, xj, yj) in enumerate(cols):
        common = {"type": "exchange", "exchange": e + 1, "gain": gain}
        out.append({"issue": issues[q_], "actor": actors[i_], "to": actors[j_], "from_position": xi,
                    "position": yi, "in_return_for": issues[p_], **common})
        out.append({"issue": issues[p_], "actor": actors[j_], "to": actors[i_], "from_position": xj,
                    "position": yj, "in_return_for": issues[q_], **common})
    return out


def _externalities(ex: dict, x, sal, involved) -> np.ndarray:
    """Σ over the round's exchanges of each third party's salience-weighted gain from the shifts.

    For an actor k outside exchange (i, j) on issues p and q: (|o_p - x_kp| - |o'_p - x_kp|) s_kp
    plus the same on q, o and o' the outcome before and after the move (Stokman & Van Oosten 1994).
    Actors not involved in both issues get nothing, as in Decide.
    """
    n = x.shape[0]
    out = np.zeros(n)
    if not len(ex["gain"]):
        return out
    p, q = ex["p"], ex["q"]
    xp, xq = x[:, p], x[:, q]  # (n, E)
    gain_p = np.abs(ex["outcome_p0"] - xp) - np.abs(ex["outcome_p1"] - xp)
    gain_q = np.abs(ex["outcome_q0"] - xq) - np.abs(ex["outcome_q1"] - xq)
    ext = gain_p * sal[:, p] + gain_q * sal[:, q]
    third = involved[:, p] & involved[:, q]
    third[ex["i"], np.arange(len(p))] = False
    third[ex["j"], np.arange(len(p))] = False
    return np.where(third, ext, 0.0).sum(axis=1)


# -- registry entry points ----------------------------------------------------------------------
@checked(CONSTRAINTS, model="exchange", docs=exchange_runs.__doc__)
def forecast(a: ScenarioArrays, rng=None, *, variant=None, rounds=DEFAULT_ROUNDS, p=0.0, forbidden=None,
             power=None, ties="first", repetitions: int = 1, engine=None, exact=None) -> ModelResult:
    """The compromise outcome after the last round's exchanges, shape (..., n_issues).

    Returns a :class:`ModelResult`: ``outcome`` (the voting positions' compromise after ``rounds``
    rounds) and ``extra["before"]`` (the compromise of the initial positions). Stochastic variants and random ties
    average ``repetitions`` runs (all draws and repetitions run in lockstep, drawing from ``rng``);
    the deterministic model runs :data:`LOCKSTEP` draws at a time. ``exact`` as for
    :func:`exchange_runs`: the decimal shadow is on by default for the equal-gain model, because
    exchanges put outcomes exactly on positions and the next comparison then turns on the last
    digit (floats settle such ties otherwise: trade10x5's positions move by up to 8.7 points).
    Monte Carlo runs pass ``exact=False`` unless told otherwise (``MODEL.draw_params``): the
    draws then run whole in one compiled call (:mod:`._draws`), Syria ~1.3 against 16-30 ms a
    draw, and the distribution they give moves by less than the near-ties move single runs
    (docs/uncertainty.md, "Floats in Monte Carlo").
    """
    a = a.broadcast()
    batch = a.batch_shape
    stochastic = bool((variant or VARIANTS[0]) != "equal_gain" or p or ties != "first")
    if stochastic:
        rng = generator(rng)
    reps = repetitions if stochastic else 1
    kwargs = dict(repetitions=reps, rounds=rounds, variant=variant, p=p, forbidden=forbidden, power=power, ties=ties,
                  rng=rng, engine=engine, exact=exact, record=False)
    n, m = np.shape(a.position)[-2:]
    if not stochastic and exact is False and rounds and engines.name(engine) == "numba":
        # Floats, first-in-order ties: every draw's whole run in one compiled call (_draws).
        after = _final_outcomes(a, power, forbidden, rounds)
        x0 = np.where(a.involved, np.asarray(a.position, float), np.nan).reshape(-1, n, m)
        before = np.array([compromise(x0[d], w) for d, w in enumerate(_weights(a, power).reshape(-1, n, m))])
        return ModelResult(outcome=after.reshape(batch + (m,)), extra={"before": before.reshape(batch + (m,))})
    if stochastic:  # the runs draw from rng in lockstep: one call keeps the stream's order
        runs = exchange_runs(a, **kwargs)
    else:  # independent runs, in groups small enough for their tables to stay in the cache
        flat = a.replace(capability=np.reshape(a.capability, (-1, n)), position=np.reshape(a.position, (-1, n, m)),
                         salience=np.reshape(a.salience, (-1, n, m)))
        draws = flat.position.shape[0]
        runs = []
        for lo in range(0, draws, LOCKSTEP):
            group = slice(lo, lo + LOCKSTEP)
            runs += exchange_runs(flat.replace(capability=flat.capability[group], position=flat.position[group],
                                               salience=flat.salience[group]), **kwargs)
    x0 = np.where(a.involved, np.asarray(a.position, float), np.nan).reshape(-1, n, m)
    before = np.array([compromise(x0[d], w) for d, w in enumerate(_weights(a, power).reshape(-1, n, m))])
    after = np.array([r.outcome_after[-1] if len(r.outcome_after) else before[k // reps] for k, r in enumerate(runs)])
    outcome = after.reshape(-1, reps, m).mean(axis=1)
    return ModelResult(outcome=outcome.reshape(batch + (m,)), extra={"before": before.reshape(batch + (m,))})


def _final_outcomes(a: ScenarioArrays, power, forbidden, rounds) -> np.ndarray:
    """The compromise after the last round of the deterministic model in floats, per draw
    (n_draws, n_issues): :func:`exchange_runs`' arithmetic, all draws in one compiled call."""
    from accord.models.exchange import _draws

    engines.announce_compile(_draws)
    involved = np.asarray(a.involved, bool)
    n, m = involved.shape
    full = np.shape(a.position)
    pos = np.asarray(a.position, float).reshape(-1, n, m)
    lower, upper = np.asarray(a.lower, float), np.asarray(a.upper, float)
    span = upper - lower
    sal = np.where(involved, np.asarray(a.salience, float), 0.0)
    sal = np.ascontiguousarray(np.broadcast_to(sal, full).reshape(pos.shape))
    if power is None:
        cap = np.broadcast_to(np.asarray(a.capability, float)[..., None], full).reshape(pos.shape)
    else:
        cap = np.broadcast_to(np.asarray(power, float), pos.shape)
    x = np.where(involved, (pos - lower) * (SCALE / span), np.nan)
    w = np.where(involved, cap * sal, 0.0)
    ban_pair, ban_actor = np.zeros((m, m), bool), np.zeros((n, m, m), bool)
    fmask = _check_forbidden(forbidden, n, m)
    if fmask is not None:
        if fmask.ndim == 2:
            ban_pair = np.ascontiguousarray(fmask)
        else:
            ban_actor = np.ascontiguousarray(fmask)
    voting = _draws.run_draws(x, w, sal, involved, ban_pair, ban_actor, int(rounds), SALIENCE_WEIGHT, FIXED_WEIGHT)
    return compromise(lower + voting * (span / SCALE), w)


def _weights(a, power):
    cap = np.asarray(a.capability, float)[..., None] if power is None else np.asarray(power, float)
    return np.where(a.involved, cap * np.asarray(a.salience, float), 0.0)


@checked(CONSTRAINTS, model="exchange", docs=exchange_runs.__doc__)
def trajectory(a: ScenarioArrays, rng=None, *, variant=None, rounds=DEFAULT_ROUNDS, p=0.0, forbidden=None,
               power=None, ties="first", engine=None, exact=None) -> Trajectory:
    """Round-by-round voting positions: row 0 the initial positions, row k those after round k.

    ``outcome`` and ``mean`` are the compromise of each row, ``median`` its weighted median;
    ``events[k-1]`` lists round k's moves (two per exchange); ``per_round`` adds the compromise of
    the positions each round started from (``outcome_before``) and those positions (``start``).
    """
    v = variant or VARIANTS[0]
    if v != "equal_gain" or p or ties != "first":
        rng = generator(rng)
    run = exchange_run(a, rounds=rounds, variant=v, p=p, forbidden=forbidden, power=power, ties=ties, rng=rng,
                       engine=engine, exact=exact)
    x0 = np.where(a.involved, np.asarray(a.position, float), np.nan)
    positions = np.concatenate([x0[None], run.voting])
    w = _weights(a, power)
    filled = np.nan_to_num(positions)
    outcome = compromise(positions, w)
    median = np.array([weighted_median(filled[r], w) for r in range(len(positions))])
    start = np.concatenate([x0[None], run.start])
    before = np.concatenate([outcome[:1], run.outcome_before])
    ext = np.concatenate([np.zeros((1, len(a.actor_ids))), run.externalities])
    return Trajectory(
        model="exchange", actor_ids=a.actor_ids, issue_ids=a.issue_ids, positions=positions,
        median=median, mean=outcome, events=run.exchanges, stopped="rounds", variant=v, outcome=outcome,
        extra={
            "externalities": [{act: float(e[k]) for k, act in enumerate(a.actor_ids)} for e in ext],
            "exchanges_per_round": [0] + [len(r) // 2 for r in run.exchanges],
        },
        per_round={"outcome_before": before, "start": start},
    )


def realised(run: ExchangeRun) -> Iterable[tuple[int, str, str, str, str]]:
    """(round, supplier, demander, supplied issue, issue received) for every realised exchange."""
    for r, events in enumerate(run.exchanges):
        for e in events[::2]:
            yield r + 1, e["actor"], e["to"], e["issue"], e["in_return_for"]


def power_matrix(scenario: Scenario) -> np.ndarray | None:
    """Per (actor, issue) power, as a Decide file gives it (its reader keeps the rows that differ from
    the actor's capability in ``meta["decide"]["power"]``); capability elsewhere; None without such rows."""
    per_row = (scenario.meta or {}).get("decide", {}).get("power") if isinstance(scenario.meta, dict) else None
    if not per_row:
        return None
    issues = scenario.issue_ids
    out = np.array([[a.capability] * len(issues) for a in scenario.actors], dtype=float)
    for k, a in enumerate(scenario.actor_ids):
        for i, key in enumerate(issues):
            if key in per_row.get(a, {}):
                out[k, i] = per_row[a][key]
    return out


def _scenario_kwargs(scenario: Scenario) -> dict:
    """What the exchange model takes from the scenario records: forbidden linkages, and Decide's
    per-issue power when a Decide file had it."""
    kwargs: dict = {}
    if scenario.linkages:
        kwargs["forbidden"] = forbidden_linkages(scenario)
    power = power_matrix(scenario)
    if power is not None:
        kwargs["power"] = power
    return kwargs


MODEL = Model(
    name="exchange",
    scenario_kwargs=_scenario_kwargs,
    title="Exchange model (Stokman & Van Oosten)",
    citation=(
        "Stokman & Van Oosten (1994) The exchange of voting positions, in Bueno de Mesquita & Stokman (eds.), "
        "European Community Decision Making, 105-127; Dijkstra, van Assen, Stokman & Draaijer (2018) Random "
        "variation of exchange rates in the equal utility exchange model."
    ),
    forecast=forecast,
    trajectory=trajectory,
    variants=VARIANTS,
    joint=True,
    order_invariant=False,
    # Monte Carlo draws in floats (~20x faster than Decide's decimals, docs/uncertainty.md);
    # single forecasts and trajectories keep the decimal shadow that reproduces Decide.
    draw_params=(("exact", False),),
    summary="vote trading across issues: equal-gain exchanges of voting positions, highest gain first",
    figures={"before": "the compromise (capability × salience weighted mean) of the stated positions, "
                       "before any exchange: the outcome minus what trading moved"},
)
