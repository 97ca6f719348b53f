"""The KTAB spatial model of politics (SMP) on KTAB's own [0, 1] scale: one turn and the run.

This module reproduces ``examples/smp/libsrc/smp.cpp`` and ``smpbcn.cpp`` of KTAB (last public
state, fork lsyaseen/KTAB @3b5b063, MIT licence) with vectorised NumPy in place of KTAB's
threads and nested loops. The order of operations, the constants and the tie-breaking follow
KTAB; :mod:`accord.models.smp` documents the model and maps scenarios onto it.

Shapes: ``n`` actors, ``d`` dimensions; positions, ideals and saliences (n, d) on [0, 1];
capabilities (n,). ``A[h, i, j]`` is h's estimate of the utility to actor i of actor j's
position (KTAB's ``aUtil[h](i, j)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from accord.errors import ModelError
from accord.models._smp_votes import scalar_pce, seqsum, vote

BIG_R_ADJUST = ("none", "one_third", "half", "two_thirds", "full")
BIG_R_RANGE = ("min", "mid", "max")
THIRD_PARTY_COMMIT = ("no_commit", "semi_commit", "full_commit")
BARGAIN_INTERPOLATION = ("s1p1", "s2p2", "s2pmax")
BARGAIN_MODELS = ("init_only", "init_rcvr", "pw_comp")
STATE_TRANSITIONS = ("deterministic", "stochastic")

_MIN_SIG_EDU = 1e-5  # KTAB's bestChallenge: gains below this are not worth a challenge
_POS_TOL = 1e-3  # KTAB's SMPModel::posTol: positions this close (Euclidean, [0,1]) are the same


@dataclass(frozen=True)
class Switches:
    """KTAB's nine model parameters (defaults are KTAB's)."""

    victory_prob_model: str = "linear"
    pce_model: str = "conditional"
    state_transition: str = "deterministic"
    voting_rule: str = "proportional"
    big_r_adjust: str = "one_third"
    big_r_range: str = "mid"
    third_party_commit: str = "semi_commit"
    bargain_interpolation: str = "s2p2"
    bargain_model: str = "init_only"


@dataclass
class Turn:
    """What one state of the run holds (KTAB's ``SMPState`` after ``setAllAUtil``)."""

    position: np.ndarray  # (n, d)
    ideal: np.ndarray  # (n, d)
    risk: np.ndarray  # (n,) KTAB's nra: risk attitudes inferred from the landscape
    util: np.ndarray  # (n, n, n) A[h, i, j]
    win_probability: np.ndarray | None = None  # (n,) probability each actor's position wins
    bargains: list[dict] = field(default_factory=list)  # bargains proposed from this state


# -- distances and utilities -----------------------------------------------------------------

def weighted_distance(ideal: np.ndarray, pos: np.ndarray, sal: np.ndarray) -> np.ndarray:
    """KTAB's ``bvDiff``: D[i, j] = sqrt(Σ_k (s_ik (x̂_ik − x_jk))² / Σ_k s_ik²).

    ``ideal`` and ``sal`` (n, d) belong to the judging actors i, ``pos`` (m, d) are the judged
    positions; returns (n, m).
    """
    ds2 = np.zeros((ideal.shape[0], pos.shape[0]))
    ss2 = np.zeros((ideal.shape[0], 1))
    for k in range(ideal.shape[1]):  # dimensions are few; KTAB sums them in order
        ds = (ideal[:, k, None] - pos[None, :, k]) * sal[:, k, None]
        ds2 = ds2 + ds * ds
        ss2 = ss2 + sal[:, k, None] * sal[:, k, None]
    return np.sqrt(ds2 / ss2)


def utility(dist, risk):
    """KTAB's ``bsUtil``: u = (1 − d)(1 + d R) for d ≤ 1, else (1 − d)(1 + R)."""
    return np.where(dist <= 1, (1 - dist) * (1 + dist * risk), (1 - dist) * (1 + risk))


def big_r(p: np.ndarray, rng_name: str) -> np.ndarray:
    """KTAB's ``bigRfromProb``: risk attitudes from each position's win probability.

    ``mid`` maps the least likely position to −1/2 and the likeliest to +1 (risk averse: an
    actor whose position is likely to win has more to lose). When all probabilities are equal
    KTAB divides by zero; accord gives every actor R = 0 (risk neutral) instead.
    """
    p_min, p_max = min(1.0, p.min()), max(0.0, p.max())
    span = p_max - p_min
    if span == 0:
        return np.zeros_like(p)
    if rng_name == "min":
        return (p - p_min) / span
    if rng_name == "mid":
        return (3 * p - (p_max + 2 * p_min)) / (2 * span)
    if rng_name == "max":
        return (2 * p - (p_max + p_min)) / span
    raise ModelError(f"big-R range {rng_name!r} not supported; choose one of {', '.join(BIG_R_RANGE)}")


def estimated_risk(r: np.ndarray, adjust: str) -> np.ndarray:
    """KTAB's ``estNRA``: E[h, i], h's estimate of i's risk attitude (anchored on h's own)."""
    rh, ri = r[:, None], r[None, :]
    if adjust == "none":
        return np.broadcast_to(rh, (r.size, r.size))
    if adjust == "one_third":
        return ((2.0 * rh) + ri) / 3.0
    if adjust == "half":
        return (rh + ri) / 2
    if adjust == "two_thirds":
        return (rh + (2.0 * ri)) / 3.0
    if adjust == "full":
        return np.broadcast_to(ri, (r.size, r.size))
    raise ModelError(f"big-R adjustment {adjust!r} not supported; choose one of {', '.join(BIG_R_ADJUST)}")


def assess(position, ideal, sal, cap, sw: Switches) -> Turn:
    """KTAB's ``SMPState::setAllAUtil``: risk attitudes, then every actor's utility estimates.

    Risk-neutral utilities (R = 0) give a probabilistic Condorcet election over all n positions
    (duplicates included, as KTAB does); its win probabilities set each actor's R; h then rates
    position j for actor i with the risk attitude it ascribes to i.
    """
    dist = weighted_distance(ideal, position, sal)
    neutral = utility(dist, 0.0)
    p = scalar_pce(neutral, cap, sw.voting_rule, sw.victory_prob_model, sw.pce_model)
    risk = big_r(p, sw.big_r_range)
    est = estimated_risk(risk, sw.big_r_adjust)
    util = utility(dist[None, :, :], est[:, :, None])
    return Turn(position=position, ideal=ideal, risk=risk, util=util)


# -- challenges ------------------------------------------------------------------------------

def _challenge(uii, uij, uji, ujj, uki, ukj, uni, unj, unn, wi, wj, sj, wn, third, sw: Switches):
    """KTAB's ``probEduChlg``: h's estimate of P(i beats j) and of k's expected gain if i challenges j.

    Arguments are h's utility estimates, broadcast to a common shape S (``un*`` and ``wn``,
    ``third`` have a trailing third-party axis). The principals add their votes to the coalitions
    (each starting at 1e-10); each third party n then weighs the little contest (i+n : j) against
    (i : j+n) under the commitment rule and votes accordingly. The challenge succeeds with
    probability P = C_ij / (C_ij + C_ji); if j does not care (salience s_j) it simply yields:
    E[Δu_k] = (1 − s_j) u(i wins) + s_j (P u(i wins) + (1 − P) u(j wins)) − u(status quo).
    """
    rule = sw.voting_rule
    eu_sq = uki + ukj
    u_win = uki + uki
    u_lose = ukj + ukj
    ci = vote(rule, wi, uii, uij)
    cj = vote(rule, wj, uji, ujj)
    c_ij = (1e-10 + np.where(ci > 0, ci, 0.0)) + np.where(cj > 0, cj, 0.0)
    c_ji = (1e-10 - np.where(ci < 0, ci, 0.0)) - np.where(cj < 0, cj, 0.0)

    cn = vote(rule, wn, uni, unj)
    cni = np.where(cn > 0, c_ij[..., None] + cn, c_ij[..., None])
    cnj = np.where(cn < 0, c_ji[..., None] - cn, c_ji[..., None])
    pin = cni / (cni + cnj)
    pjn = 1.0 - pin
    twice_i, twice_j = uni + uni, unj + unj
    commit = sw.third_party_commit
    if commit == "semi_commit":
        ik_def_j, j_def_ik, i_def_jk, jk_def_i = twice_i + unn, twice_j + unj, twice_i + uni, twice_j + unn
    elif commit == "full_commit":
        ik_def_j, j_def_ik, i_def_jk, jk_def_i = twice_i + uni, twice_j + unj, twice_i + uni, twice_j + unj
    elif commit == "no_commit":
        ik_def_j, j_def_ik, i_def_jk, jk_def_i = twice_i + unn, twice_j + unn, twice_i + unn, twice_j + unn
    else:
        raise ModelError(
            f"third-party commitment {commit!r} not supported; choose one of {', '.join(THIRD_PARTY_COMMIT)}"
        )
    u_ik_j = (pin * ik_def_j) + (pjn * j_def_ik)
    u_i_jk = (pin * i_def_jk) + (pjn * jk_def_i)
    vn = np.where(third, vote(rule, wn, u_ik_j, u_i_jk), 0.0)
    c_ij = seqsum(np.where(vn > 0, vn, 0.0), start=c_ij)
    c_ji = seqsum(np.where(vn < 0, -vn, 0.0), start=c_ji)
    p_ij = c_ij / (c_ij + c_ji)
    p_ji = c_ji / (c_ij + c_ji)
    eu_contest = p_ij * u_win + p_ji * u_lose
    eu_challenge = (1 - sj) * u_win + sj * eu_contest
    return p_ij, eu_challenge - eu_sq


def all_challenges(t: Turn, cap, sal_sum, sw: Switches, third: np.ndarray):
    """i's own estimate (h = k = i) for every challenge i → j: P[i, j] and gain G[i, j], (n, n)."""
    a = t.util
    n = a.shape[0]
    r = np.arange(n)
    w = sal_sum * cap
    own = a[r, r, :]  # A[i, i, j]
    at_i = a[r, :, r]  # A[i, j, i]
    diag = a[:, r, r]  # A[i, j, j]
    uii = own[r, r][:, None]
    return _challenge(
        uii, own, at_i, diag, uii, own,
        at_i[:, None, :], np.swapaxes(a, 1, 2), diag[:, None, :],
        w[:, None], w[None, :], sal_sum[None, :], w, third, sw,
    )


def one_challenge(t: Turn, h, k, i, j, cap, sal_sum, sw: Switches):
    """``probEduChlg(h, k, i, j)`` for index arrays h, k, i, j of one shape (m,)."""
    a = t.util
    n = a.shape[0]
    nn = np.arange(n)[None, :]
    w = sal_sum * cap
    hh, ii, jj = h[:, None], i[:, None], j[:, None]
    third = (nn != ii) & (nn != jj)
    return _challenge(
        a[h, i, i], a[h, i, j], a[h, j, i], a[h, j, j], a[h, k, i], a[h, k, j],
        a[hh, nn, ii], a[hh, nn, jj], a[hh, nn, nn], w[i], w[j], sal_sum[j], w[None, :], third, sw,
    )


def best_targets(gain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """KTAB's ``bestChallenge``: each i's target j with the largest gain above 1e-5 (lowest j on ties).

    Returns (target (n,), has_target (n,) bool).
    """
    n = gain.shape[0]
    ok = (gain > _MIN_SIG_EDU) & ~np.eye(n, dtype=bool)
    masked = np.where(ok, gain, -np.inf)
    return np.argmax(masked, axis=1), ok.any(axis=1)


# -- bargains --------------------------------------------------------------------------------

def _round4(x):
    """KTAB's round4: (int)(0.5 + 10⁴ x) / 10⁴ (positions are never negative)."""
    return np.trunc(0.5 + x * 10000.0) / 10000.0


def interpolate(ti, si, pi, tj, sj, pj, how: str):
    """KTAB's ``interpolateBrgn``: the positions i and j would take in a bargain, per dimension.

    ``s1p1``/``s2p2``: each dimension moves to the weighted mean of t_i and t_j with weights
    s^n p^m (salience, win probability), a 1e-6 nudge towards one's own side, rounded to 4
    decimals; ``s2pmax``: the weaker side concedes in proportion to the probability gap.
    ``ti``, ``si``, ``tj``, ``sj`` (m, d); ``pi``, ``pj`` (m, 1).
    """
    min_w = 1e-6
    if how in ("s1p1", "s2p2"):
        e = 1 if how == "s1p1" else 2
        wi = (si ** e) * (pi ** e)
        wj = (sj ** e) * (pj ** e)
        bi = _round4(((wi + min_w) * ti + wj * tj) / (wi + min_w + wj))
        bj = _round4((wi * ti + (min_w + wj) * tj) / (wi + min_w + wj))
        return bi, bj
    if how == "s2pmax":
        di = np.where(pj > pi, pj - pi, 0.0)
        dj = np.where(pi > pj, pi - pj, 0.0)
        si2, sj2 = si * si, sj * sj
        dik = (di * sj2) / ((di * sj2) + min_w + ((1 - di) * si2))
        djk = (dj * si2) / ((dj * si2) + min_w + ((1 - dj) * sj2))
        return ti + dik * (tj - ti), tj + djk * (ti - tj)
    raise ModelError(
        f"bargain interpolation {how!r} not supported; choose one of {', '.join(BARGAIN_INTERPOLATION)}"
    )


def propose(t: Turn, cap, sal, sal_sum, sw: Switches, third: np.ndarray) -> list[dict]:
    """Every actor's best challenge and the bargain it proposes, in initiator order.

    Each bargain is a dict with ``init``, ``rcvr`` (actor indices), ``pos_init``, ``pos_rcvr``
    ((d,) arrays), ``p`` (the initiator's P(i beats j)) and ``gain`` (its expected gain).
    """
    p, gain = all_challenges(t, cap, sal_sum, sw, third)
    target, has = best_targets(gain)
    init = np.flatnonzero(has)
    if init.size == 0:
        return []
    rcvr = target[init]
    p_i = p[init, rcvr][:, None]
    pos = t.position
    how = sw.bargain_interpolation
    bi, bj = interpolate(pos[init], sal[init], p_i, pos[rcvr], sal[rcvr], 1 - p_i, how)
    model = sw.bargain_model
    if model not in BARGAIN_MODELS:
        raise ModelError(f"bargain model {model!r} not supported; choose one of {', '.join(BARGAIN_MODELS)}")
    if model != "init_only":
        # KTAB's target-perspective bargain uses get<1> of probEduChlg(j, i, i, j), which is
        # j's estimate of i's expected gain, not a probability; reproduced as KTAB runs it.
        _, du_j = one_challenge(t, rcvr, init, init, rcvr, cap, sal_sum, sw)
        q = du_j[:, None]
        ci, cj = interpolate(pos[init], sal[init], q, pos[rcvr], sal[rcvr], 1 - q, how)
        if model == "pw_comp":
            # KTAB weighs the target's view by the initiator's capability × the target's
            # salience (it reads sCap from the bargain's initiator twice); reproduced.
            wi = (cap[init] * sal_sum[init])[:, None]
            wj = (cap[init] * sal_sum[rcvr])[:, None]
            bi = (wi * bi + wj * ci) / (wi + wj)
            bj = (wi * bj + wj * cj) / (wi + wj)
    out = []
    for m, (i, j) in enumerate(zip(init.tolist(), rcvr.tolist(), strict=True)):
        common = {"init": i, "rcvr": j, "p": float(p[i, j]), "gain": float(gain[i, j])}
        out.append(common | {"pos_init": bi[m], "pos_rcvr": bj[m], "view": "initiator"})
        if model == "init_rcvr":
            out.append(common | {"pos_init": ci[m], "pos_rcvr": cj[m], "view": "target"})
    return out


def resolve(t: Turn, bargains: list[dict], cap, sal, sw: Switches, rng) -> tuple[np.ndarray, np.ndarray]:
    """KTAB's ``updateBestBrgnPositions`` for every actor k at once.

    k's options are the status quo, then the bargains it initiated or received (in initiator
    order). Each actor a values the state after a bargain by the mean utility of all n positions
    (the two moved ones from its ideal with its own R); a probabilistic Condorcet election among
    k's options, weighted by capability alone, picks the likeliest (first on ties) or, with
    stochastic transitions, draws one. Returns the new positions (n, d) and each actor's chosen
    option as an index into ``bargains`` (−1: status quo).
    """
    n = cap.size
    pos = t.position
    a = t.util
    r = np.arange(n)
    own = a[r, r, :]  # A[a, a, j]: a's utility of position j
    u_sq = seqsum(own) / n
    chosen = np.full(n, -1)
    if not bargains:
        return pos.copy(), chosen
    nb = len(bargains)
    init = np.array([b["init"] for b in bargains])
    rcvr = np.array([b["rcvr"] for b in bargains])
    p_init = np.stack([b["pos_init"] for b in bargains])
    p_rcvr = np.stack([b["pos_rcvr"] for b in bargains])
    u_init = utility(weighted_distance(t.ideal, p_init, sal), t.risk[:, None]).T  # (nb, n)
    u_rcvr = utility(weighted_distance(t.ideal, p_rcvr, sal), t.risk[:, None]).T
    others = np.where((r[None, :] == init[:, None]) | (r[None, :] == rcvr[:, None]), 0.0, 1.0)
    rest = own[None, :, :] * others[:, None, :]  # (nb, a, j), moved positions zeroed
    terms = np.concatenate([u_init[..., None], u_rcvr[..., None], rest], axis=-1)
    u_b = seqsum(terms) / n  # (nb, n)

    queues: list[list[int]] = [[] for _ in range(n)]
    for m in range(nb):
        queues[init[m]].append(m)
        queues[rcvr[m]].append(m)
    movers = [k for k in range(n) if queues[k]]
    width = 1 + max(len(queues[k]) for k in movers)
    option = np.full((len(movers), width), -2)
    option[:, 0] = -1
    for row, k in enumerate(movers):
        option[row, 1:1 + len(queues[k])] = queues[k]
    valid = option >= -1
    table = np.concatenate([u_sq[None, :], u_b], axis=0)  # row 0: status quo
    u = table[np.where(valid, option + 1, 0)]  # (movers, width, n)
    p = scalar_pce(np.swapaxes(u, 1, 2), cap, sw.voting_rule, sw.victory_prob_model, sw.pce_model, valid)
    if sw.state_transition == "deterministic":
        pick = np.argmax(np.where(valid, p, -1.0), axis=1)
    elif sw.state_transition == "stochastic":
        draw = rng.random(len(movers))
        cum = np.cumsum(p, axis=1)
        pick = np.minimum((cum < draw[:, None]).sum(axis=1), valid.sum(axis=1) - 1)
    else:
        raise ModelError(
            f"state transition {sw.state_transition!r} not supported; choose one of {', '.join(STATE_TRANSITIONS)}"
        )
    new = pos.copy()
    for row, k in enumerate(movers):
        m = option[row, pick[row]]
        chosen[k] = m
        if m >= 0:
            new[k] = p_init[m] if init[m] == k else p_rcvr[m]
    return new, chosen


def update_ideals(ideal: np.ndarray, pos: np.ndarray, accommodate: np.ndarray | None) -> np.ndarray:
    """KTAB's ``newIdeals``: x̂_i ← Σ_j a_ij x_j + (1 − Σ_j a_ij) x̂_i (identity: ideals = positions)."""
    if accommodate is None:
        return pos
    lag = 1.0 - np.minimum(accommodate.sum(axis=1), 1.0)
    return accommodate @ pos + lag[:, None] * ideal


def win_probabilities(t: Turn, cap, sw: Switches) -> np.ndarray:
    """KTAB's ``pDist(-1)`` and ``posProb``: the probability that each actor's position wins.

    Positions closer than 0.1 on the 0–100 scale count as one; each actor rates the distinct
    positions with its own utilities, and a Condorcet election over them gives their chances.
    An actor's figure is that of its position, so actors sharing one share its probability.
    """
    pos = t.position
    n = pos.shape[0]
    diff = pos[:, None, :] - pos[None, :, :]
    close = (np.sqrt(seqsum(diff * diff)) < _POS_TOL).tolist()
    unique: list[int] = []
    for i in range(n):
        if not any(close[i][u] for u in unique):
            unique.append(i)
    r = np.arange(n)
    u = t.util[r, r, :][:, unique]
    p = scalar_pce(u, cap, sw.voting_rule, sw.victory_prob_model, sw.pce_model)
    # KTAB keeps the last distinct position an actor is equivalent to
    owner = [max(m for m, u_idx in enumerate(unique) if close[i][u_idx]) for i in range(n)]
    return p[owner]


def state_distance(p1: np.ndarray, p2: np.ndarray) -> float:
    """KTAB's ``stateDist``: Σ_i ‖x_i − x'_i‖ (Euclidean per actor, on [0, 1])."""
    diff = p1 - p2
    return float(seqsum(np.sqrt(seqsum(diff * diff))))


@dataclass
class Run:
    """A finished SMP run on [0, 1]: one :class:`Turn` per state and why it stopped."""

    turns: list[Turn]
    stopped: str
    chosen: list[np.ndarray]  # per step, (n,) option picked by each actor (−1 status quo)


def run(
    position, sal, cap, sw: Switches, *, rng=None, max_turns: int = 100, min_turns: int = 2,
    min_delta_ratio: float = 0.02, accommodate: np.ndarray | None = None, with_probabilities: bool = True,
) -> Run:
    """KTAB's ``Model::run`` with ``smpStopFn``: step until a step moves less than
    ``min_delta_ratio`` of the first (plus 1e-4), after at least ``min_turns`` steps, or
    ``max_turns`` steps."""
    pos = np.array(position, dtype=float)
    sal = np.asarray(sal, dtype=float)
    cap = np.asarray(cap, dtype=float)
    n = cap.size
    sal_sum = seqsum(sal)
    nn = np.arange(n)
    third = (nn[None, None, :] != nn[:, None, None]) & (nn[None, None, :] != nn[None, :, None])
    t = assess(pos, pos.copy(), sal, cap, sw)
    turns = [t]
    chosen: list[np.ndarray] = []
    stopped = "rounds"
    d01 = None
    for it in range(1, max_turns + 1):
        t.bargains = propose(t, cap, sal, sal_sum, sw, third)
        new_pos, pick = resolve(t, t.bargains, cap, sal, sw, rng)
        chosen.append(pick)
        new_ideal = update_ideals(t.ideal, new_pos, accommodate)
        t = assess(new_pos, new_ideal, sal, cap, sw)
        turns.append(t)
        step = state_distance(turns[-1].position, turns[-2].position)
        if d01 is None:
            d01 = step + 1e-4
        if it >= min_turns and step / d01 < min_delta_ratio:
            stopped = "converged"
            break
    if with_probabilities:
        for t in turns:
            t.win_probability = win_probabilities(t, cap, sw)
    return Run(turns=turns, stopped=stopped, chosen=chosen)
