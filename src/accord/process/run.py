"""Playing a scenario's agenda over stages: the stage loop (:func:`run_process`).

Each stage: in the strategic mode the precondition owners and their counterparts first decide
whether to drop a chip or give in (:mod:`accord.process.strategy`); the open issues are
negotiated with the model and put to their rules one by one; in the strategic mode the issues
that failed are then tried as packages (:mod:`accord.process.packages`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from accord.errors import AccordError
from accord.models import registry
from accord.models.exchange import forbidden_linkages
from accord.process import strategy as chips
from accord.process.agenda import agenda, drop_preconditions, open_issues
from accord.process.negotiation import negotiator
from accord.process.packages import PackageLog, search
from accord.process.result import VIA, ProcessResult
from accord.process.rules import EPS, MAJORITY_WEIGHTS, acceptance, decide
from accord.scenario import Scenario, ScenarioArrays
from accord.uncertainty.sampling import Uncertainty, sample

STRATEGIES = ("strategic", "none")
#: Days of delay that cost one factor of patience when stages carry dates.
PATIENCE_DAYS = 30.0


def _sample(scenario: Scenario, a: ScenarioArrays, n_draws: int, rng, uncertainty) -> ScenarioArrays:
    """Monte Carlo draws of the inputs (leading axis), as :mod:`accord.uncertainty.sampling` makes them."""
    u = uncertainty if uncertainty is not None else Uncertainty.from_meta(dict(scenario.meta or {}))
    return sample(a, n_draws, rng, u)


def run_process(
    scenario: Scenario,
    model: str | registry.Model = "compromise",
    *,
    stages: int | None = None,
    draws: int = 0,
    seed: int | None = 0,
    drop: Sequence[str] = (),
    params: dict | None = None,
    majority_weight: str = "capability",
    tolerance: float = 0.0,
    carry_positions: bool = True,
    accept_by: str = "current",
    uncertainty=None,
    strategy: str = "strategic",
) -> ProcessResult:
    """Play the scenario's agenda over ``stages`` stages with ``model``.

    Parameters
    ----------
    scenario : Scenario
    model : str or Model
        Any registered model (default ``compromise``).
    stages : int, optional
        Default: the issues on the longest precondition chain (before ``drop``) plus one, so
        every issue has at least one retry after it can first open.
    draws : int
        Monte Carlo draws of the inputs (0: one point run on the inputs as given).
    seed : int
        Seeds both the input draws and stochastic models (``SeedSequence(seed)``, one child each).
    drop : names
        Preconditions to drop first (see :func:`drop_preconditions`).
    params : dict
        Keyword arguments for the model (``variant``, ``rounds``, …).
    majority_weight : ``capability`` or ``capability-salience``
    tolerance : float
        See :func:`acceptance`.
    carry_positions : bool
        Whether an iterative model resumes from the positions the previous stage ended with
        (False: it forecasts each stage from the initial positions, like a closed-form model).
    accept_by : ``current`` or ``stated``
        Judge each forecast by the positions the stage ends with, or by the stated positions.
    uncertainty : accord.uncertainty.sampling.Uncertainty, optional
        Defaults for inputs without a stance range (default: from ``scenario.meta``).
    strategy : ``strategic`` or ``none``
        ``strategic`` (the default): precondition owners drop their chips or their counterparts
        give in, as a war of attrition with discounting decides, and issues that fail one by one
        are tried as packages; ``none``: rules, vetoes and preconditions apply mechanically.
        With dated ``process.stages`` the default number of stages is theirs.
    """
    if majority_weight not in MAJORITY_WEIGHTS:
        raise AccordError(f"majority weight must be one of {', '.join(MAJORITY_WEIGHTS)}, got {majority_weight!r}")
    if draws < 0:
        raise AccordError(f"--draws must be >= 0, got {draws}")
    if accept_by not in ("current", "stated"):
        raise AccordError(f"accept_by must be current or stated, got {accept_by!r}")
    if not tolerance >= 0:
        raise AccordError(f"tolerance must be >= 0, got {tolerance}")
    if strategy not in STRATEGIES:
        raise AccordError(f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    # The default number of stages comes from the agenda as written, so that a what-if dropping
    # a precondition is played over as many stages as the base case.
    dated = scenario.process.stages
    n_stages = (len(dated) or agenda(scenario).depth + 1) if stages is None else int(stages)
    scenario, dropped = drop_preconditions(scenario, drop)
    m_ = model if isinstance(model, registry.Model) else registry.get(model)
    a = scenario.arrays()
    ag = agenda(scenario, a)
    if n_stages < 1:
        raise AccordError(f"--stages must be >= 1, got {n_stages}")
    input_ss, model_ss = np.random.SeedSequence(seed).spawn(2)
    if draws:
        a = _sample(scenario, a, draws, np.random.default_rng(input_ss), uncertainty)
    else:
        a = a.replace(position=a.position[None], salience=a.salience[None])
    kwargs = (dict(m_.draw_params) if draws else {}) | dict(params or {})  # Monte Carlo defaults
    negotiate = negotiator(m_, scenario, a, np.random.default_rng(model_ss), kwargs, carry_positions)

    span = a.upper - a.lower
    cap = np.asarray(a.capability, dtype=float)[..., :, None]
    salience = np.broadcast_to(a.salience, a.position.shape)
    st = _Stages.start(np.asarray(a.position, dtype=float), n_stages)
    stated = st.position.copy()
    moved_enough = EPS * span
    weight = np.where(a.involved, cap * (salience if majority_weight == "capability-salience" else 1.0), 0.0)
    book = _Chips(scenario, a, st.agreed.shape[0]) if strategy == "strategic" else None
    no_trade = forbidden_linkages(scenario)

    def judge(offer, ended):
        """Who accepts ``offer`` (by the positions a stage ends with, or the stated ones)."""
        by = ended if accept_by == "current" else stated
        acc, og, mg = acceptance(by, salience, a.involved, a.status_quo, offer, span, tolerance=tolerance)
        change = np.isnan(a.status_quo) | (np.abs(offer - a.status_quo) > moved_enough)
        return by, acc, og, mg, np.isfinite(offer) & change

    for t in range(1, n_stages + 1):
        if book is not None and book.owned.any() and not st.agreed.all():
            # Every actor looks at every issue as if it were decided now, and the chips move.
            preview, ended = negotiate(st.position, np.ones(st.agreed.shape, dtype=bool))
            by, acc, _, _, moves = judge(preview, ended)
            ok, _, blk = decide(acc, ag, weight)
            state = chips.ChipState(
                gain=chips.gains(by, salience, a.involved, a.status_quo, a.lower, a.upper, preview),
                passes=ok & moves, blocking=blk, delta=book.patience(t),
                affinity=chips.affinity(by, salience, a.involved, a.lower, a.upper),
                capability=np.broadcast_to(a.capability, (st.agreed.shape[0], a.n_actors)),
                ally_pressure=scenario.process.ally_pressure, horizon=n_stages - t + 1)
            book.decide(state, t, st.agreed, open_issues(st.agreed, book.requires()))
        open_ = open_issues(st.agreed, ag.requires if book is None else book.requires())
        st.open_by_stage[t - 1] = open_
        if not open_.any():
            continue
        offer, ended = negotiate(st.position, open_)
        by, alone, og, mg, moves = judge(offer, ended)
        acc = alone if book is None else alone | (book.conceding & open_[..., None, :])
        ok, sup, blk = decide(acc, ag, weight)
        now = open_ & ok & moves
        st.via = np.where(now, np.where(np.any(acc & ~alone, axis=-2), VIA["concession"], VIA["alone"]), st.via)
        if book is not None:
            gain = chips.gains(by, salience, a.involved, a.status_quo, a.lower, a.upper, offer)
            found = search(gain, acc, a.involved, ag, weight, open_ & ~now, open_ & moves, no_trade,
                           no_trade.all(axis=0), tolerance)
            took = book.take_packages(found, t, gain, acc, st)
            now |= took
            acc = np.where(took[..., None, :], True, acc)
            blk = np.where(took[..., None, :], False, blk)
        st.record(t, open_, now, offer, sup, acc, blk, og, mg, by, ended)
        if book is not None:
            book.settle(t, st.agreed)
    notes = []
    no_q = [i for i, q in zip(a.issue_ids, a.status_quo, strict=True) if np.isnan(q)]
    if no_q:
        notes.append("no status quo on " + ", ".join(no_q)
                     + ": each actor's disagreement point is its worst point on the scale, so the forecast is accepted once the issue opens")
    if m_.iterative and carry_positions:
        judge = "the positions a stage ends with" if accept_by == "current" else "the stated positions"
        notes.append(f"{m_.name} is iterative: positions carry over between stages; forecasts are judged by {judge}")
    return ProcessResult(
        scenario=scenario, model=m_.name, agenda=ag, status_quo=np.asarray(a.status_quo, dtype=float),
        n_stages=n_stages, n_draws=int(draws), agreed=st.agreed, stage=st.stage, opened=st.opened,
        outcome=np.where(st.agreed, st.proposal, a.status_quo), proposal=st.proposal, support=st.support,
        accepts=st.accepts, blocking=st.blocking, outcome_gap=st.outcome_gap, move_gap=st.move_gap,
        position=st.judged, open_by_stage=st.open_by_stage, seed=seed, dropped=dropped, notes=notes,
        majority_weight=majority_weight, tolerance=float(tolerance), strategy=strategy, via=st.via,
        chips=book.summary() if book is not None else None,
        packages=list(book.packages.values()) if book is not None else [], bought=st.bought,
    )


@dataclass
class _Stages:
    """What the stage loop keeps per draw and issue (and actor): see :class:`ProcessResult`."""

    position: np.ndarray
    agreed: np.ndarray
    via: np.ndarray
    stage: np.ndarray
    opened: np.ndarray
    proposal: np.ndarray
    support: np.ndarray
    accepts: np.ndarray
    blocking: np.ndarray
    outcome_gap: np.ndarray
    move_gap: np.ndarray
    bought: np.ndarray
    judged: np.ndarray
    open_by_stage: np.ndarray

    @classmethod
    def start(cls, position: np.ndarray, n_stages: int) -> _Stages:
        dm, dnm = position.shape[:1] + position.shape[2:], position.shape
        return cls(
            position=position.copy(), agreed=np.zeros(dm, dtype=bool), via=np.zeros(dm, dtype=np.int8),
            stage=np.zeros(dm, dtype=int), opened=np.zeros(dm, dtype=int), proposal=np.full(dm, np.nan),
            support=np.full(dm, np.nan), accepts=np.ones(dnm, dtype=bool), blocking=np.zeros(dnm, dtype=bool),
            outcome_gap=np.zeros(dnm), move_gap=np.zeros(dnm), bought=np.zeros(dnm, dtype=bool),
            judged=position.copy(), open_by_stage=np.zeros((n_stages, *dm), dtype=bool))

    def record(self, t, open_, now, offer, sup, acc, blk, og, mg, by, ended) -> None:
        """Stage t's result: what opened, what was agreed, and where the rest stands."""
        self.opened = np.where(open_ & (self.opened == 0), t, self.opened)
        self.stage = np.where(now, t, self.stage)
        self.agreed |= now
        self.proposal = np.where(open_, offer, self.proposal)
        self.support = np.where(open_, sup, self.support)
        o3 = open_[..., None, :]
        self.accepts = np.where(o3, acc, self.accepts)
        self.blocking = np.where(o3, blk & ~now[..., None, :], self.blocking)
        self.outcome_gap = np.where(o3, og, self.outcome_gap)
        self.move_gap = np.where(o3, mg, self.move_gap)
        self.judged = np.where(o3, by, self.judged)
        self.position = np.where(o3 & ~now[..., None, :], ended, self.position)


class _Chips:
    """The preconditions' state per draw in the strategic mode: which still hold, the decisions
    taken on them, and the counterparts giving in at this stage."""

    def __init__(self, scenario: Scenario, a: ScenarioArrays, n_d: int):
        self.scenario = scenario
        issue = {x: k for k, x in enumerate(a.issue_ids)}
        actor = {x: k for k, x in enumerate(a.actor_ids)}
        pre = scenario.preconditions
        self.m = a.n_issues
        self.gate = np.array([issue[p.issue] for p in pre], dtype=int)
        self.demands = np.zeros((len(pre), a.n_issues), dtype=bool)
        for k, p in enumerate(pre):
            self.demands[k, [issue[r] for r in p.requires]] = True
        self.owner = np.array([actor[p.owner] if p.owner else -1 for p in pre], dtype=int)
        self.owned = self.owner >= 0
        self.active = np.ones((n_d, len(pre)), dtype=bool)
        self.code = np.full((n_d, len(pre)), chips.WAITING)
        self.when = np.zeros((n_d, len(pre)), dtype=int)
        self.figures = {k: np.full((n_d, len(pre)), np.nan)
                        for k in ("hold_owner", "hold_others", "gate_gain", "demand_gain", "gate_passes")}
        self.conceding = np.zeros((n_d, a.n_actors, a.n_issues), dtype=bool)
        self._pending: list[tuple[int, np.ndarray]] = []
        self.packages: dict[tuple[int, ...], PackageLog] = {}
        base = scenario.process.patience
        self.delta = np.array([x.patience if x.patience is not None else base for x in scenario.actors])
        dates = [s.date for s in scenario.process.stages]
        self.gaps = _gaps(dates)

    def requires(self) -> np.ndarray:
        """(D, m, m): issue b waits for issue a in that draw (the preconditions still held)."""
        req = np.zeros((self.active.shape[0], self.m, self.m), dtype=bool)
        for k in range(len(self.gate)):
            req[:, self.gate[k], :] |= self.active[:, k, None] & self.demands[k][None, :]
        return req

    def patience(self, t: int) -> np.ndarray:
        """Each actor's discount factor for the delay from stage t to the next."""
        gap = self.gaps[t - 1] if t - 1 < len(self.gaps) else 1.0
        return np.broadcast_to(self.delta ** gap, (self.active.shape[0], self.delta.size))

    def decide(self, state: chips.ChipState, t: int, agreed: np.ndarray, open_: np.ndarray) -> None:
        self.conceding[:] = False
        self._pending = []
        for k in np.flatnonzero(self.owned):
            d = chips.decide_chip(state, int(self.gate[k]), self.demands[k], int(self.owner[k]), agreed, open_)
            live = self.active[:, k] & (self.code[:, k] != chips.CONCEDED)
            for name, v in (("hold_owner", d.hold_owner), ("hold_others", d.hold_others),
                            ("gate_gain", d.owner_gate_gain), ("demand_gain", d.owner_demand_gain),
                            ("gate_passes", d.gate_passes)):
                self.figures[name][:, k] = np.where(live & (d.code >= chips.KEPT), v, self.figures[name][:, k])
            released = live & (d.code == chips.RELEASED)
            self.active[:, k] &= ~released
            self.when[:, k] = np.where(released, t, self.when[:, k])
            self.code[:, k] = np.where(live & (d.code != chips.CONCEDED), d.code, self.code[:, k])
            conceding = live & (d.code == chips.CONCEDED)
            self.conceding |= d.conceders[:, :, None] & self.demands[k][None, None, :] & conceding[:, None, None]
            self._pending.append((k, conceding))

    def take_packages(self, found, t: int, gain: np.ndarray, acc: np.ndarray, st: _Stages) -> np.ndarray:
        """Log the packages formed at stage t and mark who gave ground in them; returns the issues
        they agree, per draw."""
        took = np.zeros(st.agreed.shape, dtype=bool)
        actors = np.arange(gain.shape[1])
        for members, draws_ in found:
            idx = list(members)
            log = self.packages.setdefault(members, PackageLog(members, np.zeros(took.shape[0], dtype=int),
                                                               np.zeros((took.shape[0], gain.shape[1]))))
            log.stage[draws_] = t
            log.gains[draws_] = gain[draws_][:, :, idx].sum(axis=2)
            st.bought[np.ix_(draws_, actors, idx)] = ~acc[np.ix_(draws_, actors, idx)]
            took[np.ix_(draws_, idx)] = True
        st.via = np.where(took, VIA["package"], st.via)
        return took

    def settle(self, t: int, agreed: np.ndarray) -> None:
        """Counterparts who gave in: the chip did its work where the demands are now agreed."""
        for k, conceding in self._pending:
            done = conceding & np.all(agreed | ~self.demands[k][None, :], axis=1)
            self.code[:, k] = np.where(done, chips.CONCEDED, np.where(conceding, chips.KEPT, self.code[:, k]))
            self.when[:, k] = np.where(done, t, self.when[:, k])
        self._pending = []

    def summary(self) -> dict:
        return {"code": self.code, "stage": self.when, "owner": self.owner, **self.figures}


def _gaps(dates: Sequence[str]) -> list[float]:
    """Delay between consecutive stages in units of PATIENCE_DAYS (1 per stage without dates)."""
    if not dates or not all(dates):
        return []
    days = [date.fromisoformat(d) for d in dates]
    gaps = [(b - a).days / PATIENCE_DAYS for a, b in zip(days, days[1:], strict=False)]
    return gaps + gaps[-1:] if gaps else [1.0]
