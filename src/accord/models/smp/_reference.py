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

from dataclasses import dataclass

import numpy as np

from accord.errors import ModelError
from accord.models.smp.votes import scalar_pce, seqsum, vote

BIG_R_ADJUST = ("none", "one_third", "half", "two_thirds", "full")
BIG_R_RANGE = ("min", "mid", "max")
THIRD_PARTY_COMMIT = ("no_commit", "semi_commit", "full_commit")
BARGAIN_INTERPOLATION = ("s1p1", "s2p2", "s2pmax")
BARGAIN_MODELS = ("init_only", "init_rcvr", "pw_comp")
STATE_TRANSITIONS = ("deterministic", "stochastic")

_MIN_SIG_EDU = 1e-5  # KTAB's bestChallenge: gains below this are not worth a challenge
PAD_BUDGET = 100_000  # votes in one padded batch of bargain elections before grouping by width
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
class Bargains:
    """The bargains proposed in one turn, in KTAB's queue order; arrays of length m.

    ``init``/``rcvr``: actor indices; ``pos_init``/``pos_rcvr`` (m, d): where each would move;
    ``p``: the initiator's estimate that it beats the target; ``gain``: its expected gain;
    ``view``: 0 for the initiator's interpolation, 1 for the target's (``init_rcvr`` model).
    """

    init: np.ndarray
    rcvr: np.ndarray
    pos_init: np.ndarray
    pos_rcvr: np.ndarray
    p: np.ndarray
    gain: np.ndarray
    view: np.ndarray

    @classmethod
    def none(cls, d: int) -> Bargains:
        e = np.zeros(0)
        return cls(e.astype(int), e.astype(int), np.zeros((0, d)), np.zeros((0, d)), e, e, e.astype(int))

    def __len__(self) -> int:
        return self.init.size


@dataclass
class Turn:
    """What one state of the run holds (KTAB's ``SMPState`` after ``setAllAUtil``)."""

    position: np.ndarray  # (n, d)
    ideal: np.ndarray  # (n, d)
    risk: np.ndarray  # (n,) KTAB's nra: risk attitudes inferred from the landscape
    util: np.ndarray | None  # (n, n, n) A[h, i, j]; None from the compiled engine (_smp_numba)
    win_probability: np.ndarray | None = None  # (n,) probability each actor's position wins
    unique: np.ndarray | None = None  # indices of the distinct positions (KTAB's uIndices)
    p_unique: np.ndarray | None = None  # probability each distinct position wins
    bargains: Bargains | None = None  # bargains proposed from this state


# -- distances and utilities -----------------------------------------------------------------

def weighted_distance(ideal: np.ndarray, pos: np.ndarray, sal: np.ndarray, ss2: np.ndarray | None = None) -> np.ndarray:
    """KTAB's ``bvDiff``: D[i, j] = sqrt(Σ_k (s_ik (x̂_ik − x_jk))² / Σ_k s_ik²).

    ``ideal`` and ``sal`` (n, d) belong to the judging actors i, ``pos`` (m, d) are the judged
    positions; returns (n, m). ``ss2`` (n, 1), Σ_k s_ik², may be passed in precomputed.
    """
    if ss2 is None:
        ss2 = salience_norm(sal)
    ds = (ideal[:, None, :] - pos[None, :, :]) * sal[:, None, :]
    ds = ds * ds
    ds2 = ds[:, :, 0]
    for k in range(1, ideal.shape[1]):  # dimensions are few; KTAB adds them in order
        ds2 = ds2 + ds[:, :, k]
    return np.sqrt(ds2 / ss2)


def salience_norm(sal: np.ndarray) -> np.ndarray:
    """Σ_k s_ik² per actor, (n, 1), added in KTAB's order."""
    ss2 = sal[:, :1] * sal[:, :1]
    for k in range(1, sal.shape[1]):
        ss2 = ss2 + sal[:, k:k + 1] * sal[:, k:k + 1]
    return ss2


def utility(dist, risk):
    """KTAB's ``bsUtil``: u = (1 − d)(1 + d R) for d ≤ 1, else (1 − d)(1 + R).

    Weighted distances between points of [0, 1]^d never exceed 1, so the second branch is
    evaluated only if some distance does (round-off).
    """
    out = (1 - dist) * (1 + dist * risk)
    if dist.max(initial=0.0) > 1:
        out = np.where(dist <= 1, out, (1 - dist) * (1 + risk))
    return out


def big_r(p: np.ndarray, rng_name: str) -> np.ndarray:
    """KTAB's ``bigRfromProb``: risk attitudes from each position's win probability.

    ``mid`` maps the least likely position to −1/2 and the likeliest to +1 (risk averse: an
    actor whose position is likely to win has more to lose). When all probabilities are equal
    KTAB divides by zero; accord gives every actor R = 0 (risk neutral) instead.
    """
    p_min, p_max = min(1.0, float(p.min())), max(0.0, float(p.max()))
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


def assess(position, ideal, sal, cap, sw: Switches, ss2: np.ndarray | None = None) -> Turn:
    """KTAB's ``SMPState::setAllAUtil``: risk attitudes, then every actor's utility estimates.

    Risk-neutral utilities (R = 0) give a probabilistic Condorcet election over all n positions
    (duplicates included, as KTAB does); its win probabilities set each actor's R; h then rates
    position j for actor i with the risk attitude it ascribes to i.
    """
    dist = weighted_distance(ideal, position, sal, ss2)
    neutral = 1 - dist  # (1 − d)(1 + d·0) is exactly 1 − d
    p = scalar_pce(neutral, cap, sw.voting_rule, sw.victory_prob_model, sw.pce_model)
    risk = big_r(p, sw.big_r_range)
    est = estimated_risk(risk, sw.big_r_adjust)
    # built as [i, h, j] (contiguous) and viewed as A[h, i, j]: the challenge step reads it by
    # third party first, so the view saves a copy of the n³ tensor every turn
    if dist.max() <= 1:
        by_i = neutral[:, None, :] * (1 + dist[:, None, :] * est.T[:, :, None])
    else:
        by_i = utility(dist[:, None, :], est.T[:, :, None])
    return Turn(position=position, ideal=ideal, risk=risk, util=by_i.transpose(1, 0, 2))


# -- challenges ------------------------------------------------------------------------------

def _challenge(uii, uij, uji, ujj, uki, ukj, uni, unj, unn, wi, wj, sj, wn, third, sw: Switches):
    """KTAB's ``probEduChlg``: h's estimate of P(i beats j) and of k's expected gain if i challenges j.

    Arguments are h's utility estimates broadcast to a common shape S; ``uni``, ``unj``,
    ``unn``, ``wn`` and ``third`` (is n a third party?) have a LEADING third-party axis. The
    principals add their votes to the coalitions (each starting at 1e-10); each third party n
    then weighs the little contest (i+n : j) against (i : j+n) under the commitment rule and
    votes accordingly. The challenge succeeds with P = C_ij / (C_ij + C_ji); a target that cares
    little (salience s_j) simply yields:
    E[Δu_k] = (1 − s_j) u(i wins) + s_j (P u(i wins) + (1 − P) u(j wins)) − u(status quo).
    """
    rule = sw.voting_rule
    eu_sq = uki + ukj
    u_win = uki + uki
    u_lose = ukj + ukj
    ci = vote(rule, wi, uii, uij)
    cj = vote(rule, wj, uji, ujj)
    # max(x, 0) adds exactly what KTAB's "if (x > 0) c += x" adds (0.0 changes nothing)
    c_ij = (1e-10 + np.maximum(ci, 0.0)) + np.maximum(cj, 0.0)
    c_ji = (1e-10 - np.minimum(ci, 0.0)) - np.minimum(cj, 0.0)

    cn = vote(rule, wn, uni, unj)
    cni = c_ij + np.maximum(cn, 0.0)
    cnj = c_ji - np.minimum(cn, 0.0)
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
    vn = vote(rule, wn, u_ik_j, u_i_jk) * third  # third: 1.0 for third parties, else 0.0
    c_ij = seqsum(np.maximum(vn, 0.0), c_ij)
    # KTAB subtracts each negative vote; negation is exact, so sum them negated and flip back
    c_ji = -seqsum(np.minimum(vn, 0.0), -c_ji)
    p_ij = c_ij / (c_ij + c_ji)
    p_ji = c_ji / (c_ij + c_ji)
    eu_contest = p_ij * u_win + p_ji * u_lose
    eu_challenge = (1 - sj) * u_win + sj * eu_contest
    return p_ij, eu_challenge - eu_sq


def all_challenges(t: Turn, cap, sal_sum, sw: Switches, third: np.ndarray):
    """i's own estimate (h = k = i) for every challenge i → j: P[i, j] and gain G[i, j], (n, n).

    ``third[n, i, j]`` is 1.0 if n is a third party to (i, j), else 0.0.
    """
    a = t.util
    n = a.shape[0]
    r = np.arange(n)
    w = sal_sum * cap
    own = a[r, r, :]  # A[i, i, j]
    at_i = a[r, :, r]  # A[i, j, i]
    diag = a[:, r, r]  # A[i, j, j]
    uii = own[r, r][:, None]
    by_third = np.ascontiguousarray(a.transpose(1, 0, 2))  # [n, i, j] = A[i, n, j]
    return _challenge(
        uii, own, at_i, diag, uii, own,
        at_i.T[:, :, None], by_third, diag.T[:, :, None],
        w[:, None], w[None, :], sal_sum[None, :], w[:, None, None], third, sw,
    )


def one_challenge(t: Turn, h, k, i, j, cap, sal_sum, sw: Switches):
    """``probEduChlg(h, k, i, j)`` for index arrays h, k, i, j of one shape (m,)."""
    a = t.util
    n = a.shape[0]
    nn = np.arange(n)[:, None]
    w = sal_sum * cap
    third = ((nn != i[None, :]) & (nn != j[None, :])).astype(float)
    return _challenge(
        a[h, i, i], a[h, i, j], a[h, j, i], a[h, j, j], a[h, k, i], a[h, k, j],
        a[h[None, :], nn, i[None, :]], a[h[None, :], nn, j[None, :]], a[h[None, :], nn, nn],
        w[i], w[j], sal_sum[j], w[:, None], third, sw,
    )


def best_targets(gain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """KTAB's ``bestChallenge``: each i's target j with the largest gain above 1e-5 (lowest j on ties).

    Returns (target (n,), has_target (n,) bool).
    """
    n = gain.shape[0]
    ok = gain > _MIN_SIG_EDU
    ok.flat[:: n + 1] = False
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


def propose(t: Turn, cap, sal, sal_sum, sw: Switches, third: np.ndarray) -> Bargains:
    """Every actor's best challenge and the bargain(s) it proposes, in initiator order."""
    p, gain = all_challenges(t, cap, sal_sum, sw, third)
    target, has = best_targets(gain)
    init = np.flatnonzero(has)
    if init.size == 0:
        return Bargains.none(t.position.shape[1])
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
    if model == "init_rcvr":  # both views go on both queues, initiator's first
        pair = np.repeat(np.arange(init.size), 2)
        bi = np.stack([bi, ci], axis=1).reshape(-1, bi.shape[1])
        bj = np.stack([bj, cj], axis=1).reshape(-1, bj.shape[1])
        view = np.tile([0, 1], init.size)
    else:
        pair = np.arange(init.size)
        view = np.zeros(init.size, dtype=int)
    return Bargains(init[pair], rcvr[pair], bi, bj, p[init, rcvr][pair], gain[init, rcvr][pair], view)


def resolve(t: Turn, bargains: Bargains, cap, sal, sw: Switches, rng, ss2=None) -> tuple[np.ndarray, np.ndarray]:
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
    chosen = np.full(n, -1)
    nb = len(bargains)
    if nb == 0:
        return pos.copy(), chosen
    r = np.arange(n)
    init, rcvr = bargains.init, bargains.rcvr
    # table[a, o]: a's mean utility over all positions after option o (0: status quo, then
    # bargain o - 1), summed as KTAB does: moved initiator, moved receiver, then the others in
    # order (for the status quo the first two terms are 0, which changes nothing)
    terms = np.empty((n + 2, n, nb + 1))
    terms[:2, :, 0] = 0.0
    moved_pos = np.concatenate([bargains.pos_init, bargains.pos_rcvr])
    moved_u = utility(weighted_distance(t.ideal, moved_pos, sal, ss2), t.risk[:, None])
    terms[:2, :, 1:] = moved_u.reshape(n, 2, nb).transpose(1, 0, 2)
    terms[2:] = t.util[r, r, :].T[:, :, None]
    terms[2 + init, :, 1 + np.arange(nb)] = 0.0
    terms[2 + rcvr, :, 1 + np.arange(nb)] = 0.0
    table = seqsum(terms) / n

    draws = rng.random(n) if sw.state_transition == "stochastic" else None
    new = pos.copy()
    for movers, option, valid in _option_batches(init, rcvr, n):
        u = table[:, option + 1]  # (n, movers, width); padding (−2) reads the last bargain, ignored
        p = scalar_pce(u, cap, sw.voting_rule, sw.victory_prob_model, sw.pce_model, valid)
        if sw.state_transition == "deterministic":
            pick = np.argmax(p if valid is None else np.where(valid, p, -1.0), axis=1)
        elif sw.state_transition == "stochastic":
            cum = np.cumsum(p, axis=1)
            pick = np.minimum((cum < draws[movers, None]).sum(axis=1), (option >= -1).sum(axis=1) - 1)
        else:
            raise ModelError(
                f"state transition {sw.state_transition!r} not supported; "
                f"choose one of {', '.join(STATE_TRANSITIONS)}"
            )
        m = option[np.arange(movers.size), pick]
        chosen[movers] = m
        moving = m >= 0
        k, m = movers[moving], m[moving]
        new[k] = np.where((init[m] == k)[:, None], bargains.pos_init[m], bargains.pos_rcvr[m])
    return new, chosen


def _option_batches(init: np.ndarray, rcvr: np.ndarray, n: int):
    """Actors with bargains, batched for one vectorised election each: (actors, options, valid).

    Actor k's options are −1 (the status quo), then the bargains it initiated or received, in
    bargain order (``options[r]``; −2 pads). One padded batch when padding is cheap; otherwise
    one batch per queue length, so that a few actors targeted by many others do not inflate
    everybody's election to their size. ``valid`` is None when nothing is padded.
    """
    queues: list[list[int]] = [[] for _ in range(n)]
    for m, (i, j) in enumerate(zip(init.tolist(), rcvr.tolist(), strict=True)):
        queues[i].append(m)
        queues[j].append(m)
    movers = [k for k in range(n) if queues[k]]
    width = 1 + max(len(queues[k]) for k in movers)
    option = np.array([[-1, *queues[k], *([-2] * (width - 1 - len(queues[k])))] for k in movers])
    count = np.array([1 + len(queues[k]) for k in movers])
    movers = np.array(movers)
    if movers.size * width * width * n <= PAD_BUDGET or movers.size == 1:
        valid = option >= -1
        yield movers, option, (None if valid.all() else valid)
        return
    widths = count
    for w in np.unique(widths):
        pick = widths == w
        yield movers[pick], option[pick, :w], None


def update_ideals(ideal: np.ndarray, pos: np.ndarray, accommodate: np.ndarray | None) -> np.ndarray:
    """KTAB's ``newIdeals``: x̂_i ← Σ_j a_ij x_j + (1 − Σ_j a_ij) x̂_i (identity: ideals = positions)."""
    if accommodate is None:
        return pos
    lag = 1.0 - np.minimum(accommodate.sum(axis=1), 1.0)
    return accommodate @ pos + lag[:, None] * ideal


def distinct_positions(pos: np.ndarray) -> tuple[list[list[int]], np.ndarray]:
    """KTAB's ``ueIndices`` for states (T, n, d): the first of every group of close positions.

    Positions closer than 0.1 on the 0–100 scale (Euclidean) count as one; going through the
    actors in order, an actor's position is distinct unless it is close to an earlier distinct
    one. Returns, per state, the indices of the distinct positions, and for every actor the
    index of the distinct position it holds, (T, n) (KTAB's ``posProb`` keeps the last one it
    is close to).
    """
    n_states, n = pos.shape[:2]
    close = _norms(pos[:, :, None, :] - pos[:, None, :, :]) < _POS_TOL  # (T, n, n)
    distinct = np.zeros((n_states, n), dtype=bool)
    covered = np.zeros((n_states, n), dtype=bool)
    for i in range(n):  # vectorised over states
        distinct[:, i] = ~covered[:, i]
        covered |= close[:, i, :] & distinct[:, i, None]
    rank = np.cumsum(distinct, axis=1) - 1  # index among the distinct positions
    last = np.where(close & distinct[:, None, :], np.arange(n), -1).max(axis=2)
    owner = np.take_along_axis(rank, last, axis=1)
    return [np.flatnonzero(row).tolist() for row in distinct], owner


def win_probabilities(turns: list[Turn], cap, sw: Switches, budget: int = 400_000) -> None:
    """KTAB's ``pDist(-1)`` and ``posProb`` for each turn: P(each actor's position wins).

    Each actor rates the distinct positions with its own utilities, and a capability-weighted
    probabilistic Condorcet election over them gives their chances; actors sharing a position
    share its probability. Turns are batched into elections of at most ``budget`` votes.
    Fills ``win_probability``, ``unique`` and ``p_unique`` of every turn.
    """
    n = cap.size
    r = np.arange(n)
    per_batch = max(1, budget // (n * n * n))
    for start in range(0, len(turns), per_batch):
        chunk = turns[start:start + per_batch]
        uniques, owners = distinct_positions(np.stack([t.position for t in chunk]))
        width = max(len(u) for u in uniques)
        option = np.zeros((len(chunk), width), dtype=int)
        valid = np.zeros((len(chunk), width), dtype=bool)
        for row, unique in enumerate(uniques):
            option[row, :len(unique)] = unique
            valid[row, :len(unique)] = True
        own = np.stack([t.util[r, r, :] for t in chunk])  # [turn, voter, position]
        u = np.take_along_axis(own, option[:, None, :], axis=2).transpose(1, 0, 2).copy()
        p = scalar_pce(u, cap, sw.voting_rule, sw.victory_prob_model, sw.pce_model,
                       None if valid.all() else valid)
        for row, t in enumerate(chunk):
            t.unique = np.array(uniques[row])
            t.p_unique = p[row, :len(uniques[row])]
            t.win_probability = t.p_unique[owners[row]]


def _norms(diff: np.ndarray) -> np.ndarray:
    """KTAB's ``norm`` over the last (dimension) axis: sqrt(x₀² + x₁² + ...), added in order."""
    acc = np.zeros(diff.shape[:-1])
    for k in range(diff.shape[-1]):
        acc = acc + diff[..., k] * diff[..., k]
    return np.sqrt(acc)


def state_distance(p1: np.ndarray, p2: np.ndarray) -> float:
    """KTAB's ``stateDist``: Σ_i ‖x_i − x'_i‖ (Euclidean per actor, on [0, 1])."""
    return float(seqsum(_norms(p1 - p2)))


@dataclass
class Run:
    """A finished SMP run on [0, 1]: one :class:`Turn` per state and why it stopped."""

    turns: list[Turn]
    stopped: str
    chosen: list[np.ndarray]  # per step, (n,) option picked by each actor (−1 status quo)


def run(
    position, sal, cap, sw: Switches, *, rng=None, max_turns: int = 100, min_turns: int = 2,
    min_delta_ratio: float = 0.02, accommodate: np.ndarray | None = None, probabilities: str = "all",
    history: bool = True,
) -> Run:
    """KTAB's ``Model::run`` with ``smpStopFn``: step until a step moves less than
    ``min_delta_ratio`` of the first (plus 1e-4), after at least ``min_turns`` steps, or
    ``max_turns`` steps. ``probabilities`` (``all``, ``last``, ``none``): for which states to
    compute the win probabilities. ``history=False`` keeps only the final state (``turns`` has
    one entry, ``chosen`` none): what a forecast needs, without a utility tensor per turn."""
    pos = np.array(position, dtype=float)
    sal = np.asarray(sal, dtype=float)
    cap = np.asarray(cap, dtype=float)
    n = cap.size
    sal_sum = seqsum(np.ascontiguousarray(sal.T))
    ss2 = salience_norm(sal)
    nn = np.arange(n)
    third = ((nn[:, None, None] != nn[None, :, None]) & (nn[:, None, None] != nn[None, None, :])).astype(float)
    t = assess(pos, pos.copy(), sal, cap, sw, ss2)
    turns = [t]
    chosen: list[np.ndarray] = []
    stopped = "rounds"
    d01 = None
    for it in range(1, max_turns + 1):
        t.bargains = propose(t, cap, sal, sal_sum, sw, third)
        new_pos, pick = resolve(t, t.bargains, cap, sal, sw, rng, ss2)
        new_ideal = update_ideals(t.ideal, new_pos, accommodate)
        prev, t = t, assess(new_pos, new_ideal, sal, cap, sw, ss2)
        if history:
            chosen.append(pick)
            turns.append(t)
        else:
            turns = [t]
        step = state_distance(t.position, prev.position)
        if d01 is None:
            d01 = step + 1e-4
        if it >= min_turns and step / d01 < min_delta_ratio:
            stopped = "converged"
            break
    if probabilities != "none":
        win_probabilities(turns if probabilities == "all" else turns[-1:], cap, sw)
    return Run(turns=turns, stopped=stopped, chosen=chosen)
