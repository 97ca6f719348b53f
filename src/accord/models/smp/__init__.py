"""KTAB's spatial model of politics (SMP): multi-dimensional bargaining, as KTAB computes it.

Every actor holds a position on all issues at once (a point in [0, 1]^m after rescaling each
issue's scale) and judges a position by its salience-weighted Euclidean distance d from its
ideal point (its current position), with utility u = (1 − d)(1 + d R). A turn of the model:

1. Risk attitudes. A probabilistic Condorcet election over the actors' positions (risk-neutral
   utilities, capability-weighted proportional votes) gives each position a chance to win;
   actors whose position is likely to win are read as risk averse (R up to +1), the unlikely as
   risk acceptant (R down to −1/2). Each actor h estimates every other's R anchored on its own.
2. Challenges. Each actor i weighs challenging each j: the two principals vote, every third
   party joins the side it prefers in the little contest (i+n : j) versus (i : j+n), which gives
   P(i beats j); j yields outright in proportion to 1 − salience. i picks the target with the
   largest expected gain (if above 1e-5).
3. Bargains. i proposes that both move, dimension by dimension, to salience² × probability²
   weighted compromises of their positions (rounded to 4 decimals, as KTAB does).
4. Resolution. Every actor's queue holds the status quo and the bargains it initiated or
   received; everybody values the state after each bargain by its mean utility over all
   positions; a capability-weighted probabilistic Condorcet election among the queue picks the
   bargain the actor adopts (the likeliest, or a draw with stochastic transitions).
5. Stopping. The run stops when a turn moves the actors less than 2 % of what the first turn
   moved them (Σ of Euclidean moves, plus 1e-4), after at least two turns, or after 100 turns.

The nine KTAB switches are keyword arguments with KTAB's defaults (see :data:`SWITCHES`).
Accord's forecast for an issue is the probability-weighted mean of the final positions,
Σ_u P(u wins) x_u over the distinct positions u (``outcome``); the capability × salience
weighted ``median`` and ``mean`` of the final positions are reported beside it.

Citation: Wise, B., Lester, S. & Efird, B. (2015–2019), *KAPSARC Toolkit for Behavioral
Analysis (KTAB)*, KAPSARC, MIT licence, github.com/KAPSARC/KTAB (``examples/smp``); Efird, B.
& Wise, B. (2017) "The spatial model of politics in KTAB", KAPSARC methodology paper.
"""

from __future__ import annotations

import numpy as np

from accord.errors import ModelError
from accord.models import engines
from accord.models.base import Model
from accord.models.params import MAX_ROUNDS, Array, Interval, Options, checked
from accord.models.smp import _reference as core
from accord.models.smp.votes import PCE_MODELS, VICTORY_MODELS, VOTING_RULES
from accord.models.weighting import weighted_mean, weighted_median
from accord.results import ModelResult, Trajectory
from accord.rng import generator
from accord.scenario import ScenarioArrays

#: KTAB's nine model parameters: accord keyword -> (KTAB XML element, accord choices, KTAB names).
SWITCHES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "victory_prob_model": ("VictoryProbModel", VICTORY_MODELS, ("Linear", "Square", "Quartic", "Octic", "Binary")),
    "pce_model": ("PCEModel", PCE_MODELS, ("Conditional", "MarkovIncentive", "MarkovUniform")),
    "state_transition": ("StateTransitions", core.STATE_TRANSITIONS, ("Deterministic", "Stochastic")),
    "voting_rule": ("VotingRule", VOTING_RULES, ("Binary", "PropBin", "Prop", "PropCbc", "Cubic", "ASymProsp")),
    "big_r_adjust": ("BigRAdjust", core.BIG_R_ADJUST, ("None", "OneThird", "Half", "TwoThirds", "Full")),
    "big_r_range": ("BigRRange", core.BIG_R_RANGE, ("Min", "Mid", "Max")),
    "third_party_commit": ("ThirdPartyCommit", core.THIRD_PARTY_COMMIT, ("NoCommit", "SemiCommit", "FullCommit")),
    "bargain_interpolation": ("InterVecBrgn", core.BARGAIN_INTERPOLATION, ("S1P1", "S2P2", "S2PMax")),
    "bargain_model": ("BargnModel", core.BARGAIN_MODELS, ("InitOnlyInterp", "InitRcvrInterp", "PWCompInterp")),
}
VARIANTS = core.STATE_TRANSITIONS
#: What the KTAB switches stand for, for ``accord models --params``.
SWITCH_DOCS = {
    "victory_prob_model": "How vote shares become the probability that a coalition wins (KTAB's VictoryProbModel).",
    "pce_model": "How pairwise victory probabilities become each position's chance to win overall (PCEModel).",
    "state_transition": "Whether each actor adopts the likeliest bargain or draws one (StateTransitions).",
    "voting_rule": "How a voter's difference in utility becomes its vote (VotingRule).",
    "big_r_adjust": "How far each actor's estimate of another's risk attitude moves toward its own (BigRAdjust).",
    "big_r_range": "The range of risk attitudes R read from the chances to win (BigRRange).",
    "third_party_commit": "How far third parties commit to the side they prefer in a challenge (ThirdPartyCommit).",
    "bargain_interpolation": "How the two parties' positions are weighted in a bargain (InterVecBrgn).",
    "bargain_model": "Whose interpolation a bargain uses (BargnModel).",
}


def _key(name: str) -> str:
    return name.replace("_", "").replace("-", "").replace(" ", "").lower()


def _switch(param: str) -> Options:
    _, ours, ktab = SWITCHES[param]
    return Options(ours, aliases=dict(zip(ktab, ours, strict=True)), normalise=_key)


CONSTRAINTS = {
    "variant": Options(VARIANTS, aliases={"Deterministic": "deterministic", "Stochastic": "stochastic"},
                       normalise=_key, none=True),
    "rounds": Interval(int, 0, MAX_ROUNDS, none=True),
    "min_delta_ratio": Interval(float, 0.0, None),
    "accommodate": Array("(n_actors, n_actors)"),
    "engine": Options(engines.ENGINES, none=True),
} | {k: _switch(k) for k in SWITCHES}
_SWITCH_PARAMS = {k: (getattr(core.Switches(), k), SWITCH_DOCS[k]) for k in SWITCHES}


def switch_value(param: str, value: str) -> str:
    """The accord name of a KTAB switch value; KTAB's own spelling is accepted too.

    >>> switch_value("voting_rule", "PropCbc")
    'prop_cbc'
    """
    return CONSTRAINTS[param].check(param, value)


def switches(variant: str | None = None, **params) -> core.Switches:
    """:class:`~accord.models.smp._reference.Switches` from checked values; ``variant`` sets the
    state transition."""
    values = {k: v for k, v in params.items() if v is not None}
    if variant is not None:
        values["state_transition"] = variant
    return core.Switches(**values)


# -- from a scenario to KTAB's arrays -------------------------------------------------------

def _prepare(capability, position, salience, involved, lower, upper):
    """KTAB's inputs, for one draw or with leading draw axes: (pos01, sal, cap, taking_part, notes).

    Positions are rescaled to [0, 1] per issue. Where an actor has no position on an issue it
    sits at the capability × salience weighted mean of the others' positions there, with
    salience 0 (it does not care, and moves wherever its bargains take it). KTAB needs every
    actor to care about something and to have some capability, so actors with salience 0 on
    every issue or capability 0 take no part (their positions stay as they are). An actor whose
    saliences add up to more than 1 (KTAB's inputs are shares of attention, summing to at most
    100 %) has them divided by their sum.
    """
    notes: list[str] = []
    span = upper - lower
    pos = (np.where(involved, position, lower) - lower) / span
    sal = np.where(involved, salience, 0.0)
    if not involved.all():
        w = np.where(involved, capability[..., :, None] * sal, 0.0)
        total = w.sum(axis=-2)
        fill = np.where(total > 0, (w * np.where(involved, pos, 0.0)).sum(axis=-2) / np.where(total > 0, total, 1), 0.5)
        pos = np.where(involved, pos, fill[..., None, :])
        notes.append("actors without a position on an issue sit at the weighted mean there, with salience 0")
    part = (sal.sum(axis=-1) > 0) & (capability > 0)
    if np.any(part.sum(axis=-1) < 2):
        raise ModelError("smp needs at least two actors with positive capability and salience")
    if not part.all():
        notes.append(f"{int((~part).sum())} actor(s) with capability 0 or no salience take no part")
    tot = sal.sum(axis=-1)
    if np.any(tot > 1 + 1e-12):
        sal = np.where((tot > 1 + 1e-12)[..., None], sal / np.where(tot > 0, tot, 1)[..., None], sal)
        notes.append("saliences of actors summing to more than 1 were divided by their sum")
    return pos, sal, capability, part, notes


def _runner(engine: str | None, rng):
    """The run function of an engine (:func:`accord.models.engines.pick`); both give identical
    runs (``tests/test_smp.py``, ``tests/test_smp_ktab.py``). A random source that is not a
    Generator (a replay of KTAB's draws) only the reference can call."""
    if engine is None and rng is not None and not isinstance(rng, np.random.Generator):
        return core.run

    def compiled():
        from accord.models.smp._kernel import run

        return run

    return engines.pick(engine, numpy=core.run, numba=compiled)


def _many_runner(engine, sw, accommodate):
    """The compiled many-runs kernel when the compiled engine serves and the runs qualify
    (deterministic transitions, no ideal adjustment), else None."""
    if accommodate is not None or sw.state_transition == "stochastic" or _runner(engine, None) is core.run:
        return None
    from accord.models.smp import _kernel

    engines.announce_compile(_kernel)
    return _kernel.run_last


def _one_run(a: ScenarioArrays, cap, position, salience, sw, rng, rounds, min_delta_ratio, accommodate, probabilities,
             engine=None, history=True):
    pos, sal, cap, part, notes = _prepare(
        np.asarray(cap, float), np.asarray(position, float), np.asarray(salience, float),
        np.asarray(a.involved, bool), np.asarray(a.lower, float), np.asarray(a.upper, float),
    )
    acc = None
    if accommodate is not None:
        acc = np.asarray(accommodate, dtype=float)
        if acc.shape != (cap.size, cap.size):
            raise ModelError(f"accommodate must be an n_actors × n_actors matrix, got shape {acc.shape}")
        if np.any(acc < 0) or np.any(acc > 1) or np.any(acc.sum(axis=1) > 1 + 1e-10):
            raise ModelError("accommodate rates must lie in [0, 1] with row sums at most 1")
        acc = acc[np.ix_(part, part)]
        if np.allclose(acc, np.eye(acc.shape[0]), rtol=0, atol=1e-10):
            acc = None
    if rng is None and sw.state_transition == "stochastic":
        rng = generator()
    result = _runner(engine, rng)(
        pos[part], sal[part], cap[part], sw, rng=rng,
        max_turns=100 if rounds is None else int(rounds), min_delta_ratio=min_delta_ratio,
        accommodate=acc, probabilities=probabilities, history=history,
    )
    return result, pos, part, notes


def seq_weighted(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Σ_u p_u x_u over axis -2 of x (..., k, n_issues), p (..., k), added in the order u = 0, 1, ...

    One order for one draw and for a batch padded with zero weights (adding 0 changes nothing):
    NumPy's ``sum`` would add pairwise or not depending on the array's length and layout."""
    out = p[..., 0, None] * x[..., 0, :]
    for u in range(1, x.shape[-2]):
        out = out + p[..., u, None] * x[..., u, :]
    return out


def _weights(a: ScenarioArrays, cap, sal, part):
    """capability × salience of the actors taking part, (..., n_actors, n_issues)."""
    w = np.asarray(cap, float)[..., None] * np.where(a.involved, np.asarray(sal, float), 0.0)
    return np.where(part[..., None], w, 0.0)


@checked(CONSTRAINTS, model="smp", extra=_SWITCH_PARAMS)
def trajectory(
    a: ScenarioArrays, rng=None, *, rounds: int | None = None, variant: str | None = None,
    min_delta_ratio: float = 0.02, accommodate=None, engine: str | None = None, **params,
) -> Trajectory:
    """Turn-by-turn positions of KTAB's SMP for one scenario (no draw axes).

    Parameters
    ----------
    rounds : int
        Most turns to play (KTAB: 100); the run stops earlier when a turn moves less than
        ``min_delta_ratio`` of the first.
    variant : str
        ``deterministic`` (KTAB's default: each actor adopts the likeliest bargain) or
        ``stochastic`` (each actor draws its bargain with ``rng``).
    min_delta_ratio : float
        Stop when a turn moves the actors less than this share of what the first turn moved them
        (KTAB: 0.02); 0 plays exactly ``rounds`` turns.
    accommodate : array
        KTAB's ideal-adjustment matrix (n_actors × n_actors; the identity: ideals follow positions).
    engine : str
        ``numba`` (one compiled kernel; the default when numba imports) or ``numpy`` (the
        vectorised reference); both give the same run, bit for bit (``docs/models/smp.md``).

    The other keywords are KTAB's switches (:data:`SWITCHES`).

    Returns
    -------
    Trajectory
        ``positions`` (n_turns + 1, n_actors, n_issues) on the issues' scales; ``outcome`` the
        probability-weighted mean position per state; ``extra["win_probability"]`` (n_turns + 1,
        n_actors) the probability that each actor's position wins (KTAB's "History of actors'
        winning probabilities"); ``events`` each turn's bargains, one entry per issue.
    """
    if np.ndim(a.capability) != 1:
        raise ModelError("smp trajectory takes one scenario; use forecast for Monte Carlo draws")
    sw = switches(variant, **params)
    res, pos0, part, notes = _one_run(
        a, a.capability, a.position, a.salience, sw, rng, rounds, min_delta_ratio, accommodate, "all", engine,
    )
    n_states = len(res.turns)
    n, m = pos0.shape
    positions01 = np.repeat(pos0[None], n_states, axis=0)
    positions01[:, part] = np.stack([t.position for t in res.turns])
    span = a.upper - a.lower
    positions = positions01 * span + a.lower
    positions = np.where(a.involved[None] | part[:, None][None], positions, np.nan)
    wts = _weights(a, a.capability, a.salience, part)
    idx = np.flatnonzero(part)
    win = np.zeros((n_states, n))
    share = np.zeros((n_states, n))  # probability mass on each distinct position's first holder
    for s, t in enumerate(res.turns):
        win[s, part] = t.win_probability
        share[s, idx[t.unique]] = t.p_unique
    outcome = np.einsum("sa,sam->sm", share, positions01) * span + a.lower
    median = weighted_median(positions, wts)
    mean = weighted_mean(positions, wts)
    return Trajectory(
        model="smp",
        actor_ids=a.actor_ids,
        issue_ids=a.issue_ids,
        positions=positions,
        median=median,
        mean=mean,
        events=_events(res, a, idx),
        stopped=res.stopped,
        variant=sw.state_transition,
        outcome=outcome,
        extra={
            "win_probability": win,
            "switches": {k: getattr(sw, k) for k in SWITCHES},
            "outcome_is": "probability-weighted mean of the distinct positions (KTAB's PCE)",
            "notes": notes,
        },
    )


def _events(res: core.Run, a: ScenarioArrays, idx: np.ndarray) -> list[list[dict]]:
    """Each turn's bargains as event records, one per bargain and issue (on the issues' scales)."""
    turns = res.turns[:-1]
    if not turns:
        return []
    span = a.upper - a.lower
    ids = [a.actor_ids[k] for k in idx]
    issues = list(enumerate(a.issue_ids))
    # every turn's bargains in one set of arrays: a few NumPy calls per run, not per turn
    counts = [len(t.bargains) for t in turns]
    cat = {f: np.concatenate([getattr(t.bargains, f) for t in turns])
           for f in ("init", "rcvr", "pos_init", "pos_rcvr", "p", "gain", "view")}
    turn_of = np.repeat(np.arange(len(turns)), counts)
    start = np.stack([t.position for t in turns]) * span + a.lower
    adopted: list[list[str]] = [[] for _ in range(turn_of.size)]
    offset = np.concatenate([[0], np.cumsum(counts)])
    for s, row in enumerate(np.stack(res.chosen).tolist()):
        for k, c in enumerate(row):
            if c >= 0:
                adopted[offset[s] + c].append(ids[k])
    m = len(issues)
    # flat lists (one Python object per number, no list per row): fewer objects for the GC
    from_i = start[turn_of, cat["init"]].ravel().tolist()
    from_j = start[turn_of, cat["rcvr"]].ravel().tolist()
    to_i = (cat["pos_init"] * span + a.lower).ravel().tolist()
    to_j = (cat["pos_rcvr"] * span + a.lower).ravel().tolist()
    moves = zip(cat["init"].tolist(), cat["rcvr"].tolist(), cat["p"].tolist(), cat["gain"].tolist(),
                cat["view"].tolist(), adopted, strict=True)
    items: list[dict] = []
    for q, (i, j, p, g, v, adopters) in enumerate(moves):
        # one record per issue: copies of a template keep the keys' order and are cheap
        base = {"issue": None, "kind": "bargain", "initiator": ids[i], "target": ids[j],
                "initiator_from": None, "target_from": None, "initiator_position": None,
                "target_position": None, "win_probability": p, "expected_gain": g,
                "view": "target" if v else "initiator", "adopted_by": adopters}
        for k, issue in issues:
            item = base.copy()
            item["issue"] = issue
            item["initiator_from"] = from_i[q * m + k]
            item["target_from"] = from_j[q * m + k]
            item["initiator_position"] = to_i[q * m + k]
            item["target_position"] = to_j[q * m + k]
            items.append(item)
    return [items[m * offset[s]:m * offset[s + 1]] for s in range(len(turns))]


@checked(CONSTRAINTS, model="smp", extra=_SWITCH_PARAMS, docs=trajectory.__doc__)
def forecast(
    a: ScenarioArrays, rng=None, *, rounds: int | None = None, variant: str | None = None,
    min_delta_ratio: float = 0.02, accommodate=None, engine: str | None = None, **params,
) -> ModelResult:
    """KTAB's SMP outcome per issue, with leading draw axes (..., n_issues).

    ``outcome``: the probability-weighted mean of the final positions (Σ_u P(u wins) x_u over
    distinct positions); ``median`` and ``mean``: capability × salience weighted median and
    mean of the final positions. Each run is a sequence of dependent turns: the draws in which every
    actor takes part run in one compiled call, shared among numba's threads (deterministic
    transitions, no ideal adjustment), the others one by one; the summaries of all draws at once.
    ``engine`` as for :func:`trajectory`.
    """
    sw = switches(variant, **params)
    a = a.broadcast()
    batch = a.batch_shape
    n, m = a.n_actors, a.n_issues
    caps = np.asarray(a.capability, float).reshape(-1, n)
    poss = np.asarray(a.position, float).reshape(-1, n, m)
    sals = np.asarray(a.salience, float).reshape(-1, n, m)
    span = a.upper - a.lower
    x01, sal01, _, parts, _ = _prepare(caps, poss, sals, np.asarray(a.involved, bool), a.lower, a.upper)
    x01 = np.array(x01, dtype=float)
    outcome = np.empty((caps.shape[0], m))
    # Draws in which everybody takes part run in one compiled call (deterministic transitions,
    # ideals following positions): the same runs, without the per-draw Python around the kernel.
    many = _many_runner(engine, sw, accommodate)
    batched = parts.all(axis=1) if many is not None else np.zeros(caps.shape[0], bool)
    if batched.any():
        last, unique, p_unique, _ = many(
            x01[batched], sal01[batched], caps[batched], sw, max_turns=100 if rounds is None else int(rounds),
            min_delta_ratio=min_delta_ratio)
        x01[batched] = last
        held = np.take_along_axis(last, unique[:, :, None], axis=1) * span + a.lower
        outcome[batched] = seq_weighted(held, p_unique)
    for r in np.flatnonzero(~batched):
        res, pos0, part, _ = _one_run(a, caps[r], poss[r], sals[r], sw, rng, rounds, min_delta_ratio, accommodate,
                                      "last", engine, history=False)
        last = res.turns[-1]
        x01[r] = pos0
        x01[r, part] = last.position
        idx = np.flatnonzero(part)
        outcome[r] = seq_weighted(x01[r, idx[last.unique]] * span + a.lower, last.p_unique)
    # the summaries of all draws at once (the same arithmetic per draw as one at a time)
    x = np.where(a.involved | parts[..., None], x01 * span + a.lower, np.nan)
    w = _weights(a, caps, sals, parts)
    return ModelResult(
        outcome=outcome.reshape(batch + (m,)),
        extra={"median": weighted_median(x, w).reshape(batch + (m,)), "mean": weighted_mean(x, w).reshape(batch + (m,))},
    )


def scenario_kwargs(scenario) -> dict:
    """KTAB model parameters and ideal adjustments a KTAB XML file carried (``meta["ktab"]``)."""
    ktab = (scenario.meta or {}).get("ktab") or {}
    kwargs = {}
    params = ktab.get("parameters") or {}
    for key, (element, _, _) in SWITCHES.items():
        if element in params:
            kwargs[key] = params[element]
    pairs = ktab.get("ideal_adjustment") or []
    if pairs:
        ids = {a: k for k, a in enumerate(scenario.actor_ids)}
        acc = np.eye(len(ids))
        for pair in pairs:
            acc[ids[pair["actor"]], ids[pair["reference"]]] = float(pair["adjust"])
        kwargs["accommodate"] = acc
    return kwargs


MODEL = Model(
    name="smp",
    title="Spatial model of politics (KTAB)",
    citation="Wise, Lester & Efird (2015-2019), KAPSARC Toolkit for Behavioral Analysis (KTAB), SMP",
    forecast=forecast,
    trajectory=trajectory,
    variants=VARIANTS,
    joint=True,
    order_invariant=False,
    summary="Multi-dimensional bargaining with probabilistic Condorcet elections, inferred risk "
            "attitudes and third parties; reproduces KTAB's smpc turn by turn.",
    scenario_kwargs=scenario_kwargs,
    figures={"median": "capability × salience weighted median of the positions after the last turn",
             "mean": "capability × salience weighted mean of the positions after the last turn "
                     "(the outcome is the probability-weighted position of KTAB's final state)"},
)
