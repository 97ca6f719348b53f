"""Whole runs of the deterministic exchange model in floats, many draws in one compiled call.

A Monte Carlo forecast needs only the last round's voting positions of each draw, from the
equal-gain model with first-in-order ties and no decimal shadow. :mod:`._kernel` serves every
variant, tie rule and the shadow, and so hands control back to Python each round (and at every
question the shadow must answer); here all rounds of all draws run in one call with nothing to
ask, which removes ~1.7 ms of Python a draw on the Syria example. The numbers are the
reference's: every floating-point expression is :mod:`._reference`'s, in the same order
(tests/test_exchange_engines.py compares the outcomes with ``==``).

Measured on Syria (15 actors × 7 issues, 10 rounds: ~400 candidates and ~69 realised exchanges a
round, ~14,000 candidate calculations a draw), one draw after another, against the general
kernel driven round by round (alternating runs in one process; benchmarks/montecarlo.py):

* the whole run compiled, the general kernel's helpers: 4.2 -> 3.1 ms a draw;
* a candidate's calculation with its fields read once into locals and written once, the shadow's
  bookkeeping (sure flags, near-tie requests) left out: 3.1 -> 1.7;
* no helper that takes arrays (numba increfs and decrefs every array argument and every view,
  with atomic operations, at each call: 16 % of the time was in ``NRT_incref``): 1.7 -> 1.2-1.3;
* the best gain kept per block of :data:`BLOCK` candidates, and the free (unbounded) moves kept
  for candidates whose outcome alone moved: -> 1.0-1.2 (docs/models/exchange.md, "Speed").

Layout: one row per candidate in a float table ``F`` (the constants one calculation reads, then
the state that moves, so that a calculation touches four cache lines), an integer table ``G``
and a flag table ``B``; the candidates in which an actor supplies or demands an issue, by side,
as one compressed table (``starts``/``members``) of four sections.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from accord.models.exchange._reference import EXACT_TOL, MIN_MOVE, TIE_RTOL

_JIT = {"cache": True, "nogil": True, "error_model": "numpy", "boundscheck": False}

# Columns of F: side i's field at X_I, side j's at X_I + 1 where a loop runs over the sides.
(KAPPA, SIP, SIQ, SJP, SJQ, WIQ, WJP, SP, SQ, DEM_I, DEM_J, START_I, START_J, INVS_I, INVS_J,
 BASE_I, BASE_J, SUP_I, SUP_J, HIST_I, HIST_J, MOVE_I, MOVE_J, GAIN,
 FREE_RP, FREE_RQ, FREE_MI, FREE_MJ, FREE_GAIN) = range(29)
N_F = 29
# Columns of G.
CI, CJ, CP, CQ, RS_I, RS_J = range(6)
# Columns of B (flags): moves kept in the history went down / up, per side; still possible.
NEG_I, NEG_J, POS_I, POS_J, VALID, FREE_VALID, STALE = range(7)
N_B = 7
# Sections of the member table: candidates by (actor, issue) where the actor supplies as side i,
# supplies as side j, demands as side i, demands as side j.
SUP_BY_I, SUP_BY_J, DEM_BY_I, DEM_BY_J = range(4)
#: Candidates per block of the best-gain search: each block's maximum is kept, so that a step
#: scans the block maxima and the few blocks whose maximum fell, not every candidate.
BLOCK = 32


@njit(inline="always", **_JIT)
def _move_ok(sup, hist, neg, pos, move):
    """The reference's ``_State._move_ok`` for one side."""
    y = sup + move
    size = abs(move)
    direction = (not pos) if move < 0 else (not neg)
    return (size > MIN_MOVE) and (size <= 100) and (y >= -EXACT_TOL) and (y <= 100 + EXACT_TOL) \
        and (hist + move <= 100) and direction


@njit(inline="always", **_JIT)
def _gain(rp, rq, sip, siq, sjp, sjq):
    """The reference's ``_State._gain``: the smaller partner's gain, 0 when not finite."""
    gi = abs(rp * sip - rq * siq)
    gj = abs(rq * sjq - rp * sjp)
    g = gi if gi <= gj else gj
    if gi != gi or gj != gj:  # np.minimum propagates NaN, then the reference zeroes it
        g = np.nan
    return g if np.isfinite(g) else 0.0


@njit(inline="always", **_JIT)
def _outcome(base, recorded, w, x, has, old, inv_s, v, mover_wins):
    """The reference's ``_State._outcome``: the supply issue's outcome with the mover at ``v``,
    from the round's start (``base``), the moves recorded for the demander (``recorded``) and,
    when the mover has a record itself (``has``, at ``old``), that record replaced or kept."""
    num = base + recorded
    if mover_wins:
        num = num + w * (v - x)
        if has:
            num = num - w * (old - x)
    elif not has:
        num = num + w * (v - x)
    return num * inv_s


@njit(**_JIT)
def run_draws(x, w, sal, involved, ban_pair, ban_actor, rounds, salience_weight, fixed_weight):
    """Voting positions after the last of ``rounds`` rounds, per draw, shape (R, n, m).

    ``x`` (R, n, m) start positions on the 0–100 scale (NaN where not involved), ``w`` the
    weights capability × salience (0 where not involved), ``sal`` the saliences, ``involved``
    (n, m); ``ban_pair`` (m, m) and ``ban_actor`` (n, m, m) the forbidden linkages, as
    :func:`accord.models.exchange._kernel.run_round` takes them. Equal-gain rates, first-in-order
    ties, floats: the reference's ``run_round`` with ``ties="first"`` and no shadow, round after
    round with the partial return in between.
    """
    R, n, m = x.shape
    out = np.empty_like(x)
    cap = 16
    F = np.zeros((cap, N_F))
    G = np.zeros((cap, 6), np.int64)
    B = np.zeros((cap, N_B), np.bool_)
    gv = np.zeros(cap)
    touched = np.zeros(cap, np.int64)
    mark = np.zeros(cap, np.bool_)
    members = np.zeros(4 * cap, np.int64)
    block_max = np.zeros(cap // BLOCK + 1)
    dirty = np.zeros(cap // BLOCK + 1, np.bool_)
    keys = n * m
    starts = np.zeros(4 * keys + 1, np.int64)
    fill = np.zeros(4 * keys, np.int64)
    rec_val = np.zeros(n * m * n)
    rec_has = np.zeros(n * m * n, np.bool_)
    rec_sum = np.zeros(n * m)
    S = np.zeros(m)
    base = np.zeros(m)
    left = np.zeros((n, m), np.bool_)
    group = np.zeros(n, np.int64)
    x0 = np.zeros((n, m))
    voting = np.zeros((n, m))
    start_next = np.zeros((n, m))
    for r in range(R):
        x0[:, :] = x[r]
        voting[:, :] = x[r]
        for _ in range(rounds):
            voting[:, :] = x0
            start_next[:, :] = x0
            # The outcome's denominator and numerator, summed over actors in order (as NumPy's
            # reduction over the actor axis does), and who is left of each issue's outcome.
            for i in range(m):
                S[i] = 0.0
                base[i] = 0.0
            for a in range(n):
                for i in range(m):
                    wa = w[r, a, i]
                    S[i] += wa
                    v = x0[a, i]
                    base[i] += wa * (0.0 if v != v else v) if wa > 0 else 0.0
            for i in range(m):
                o = base[i] / S[i] if S[i] > 0 else 0.0
                for a in range(n):
                    left[a, i] = involved[a, i] and (x0[a, i] <= o + EXACT_TOL)
            # Candidates in the reference's order: issue pair p < q, A–D before B–C, then actors.
            K = 0
            for p in range(m):
                for q in range(p + 1, m):
                    if ban_pair[p, q]:
                        continue
                    c0 = c1 = c2 = c3 = 0
                    for a in range(n):
                        if involved[a, p] and involved[a, q] and not ban_actor[a, p, q]:
                            g = np.int64(left[a, p]) + 2 * np.int64(left[a, q])
                            c0 += g == 0
                            c1 += g == 1
                            c2 += g == 2
                            c3 += g == 3
                    K += c0 * c3 + c1 * c2
            if K > cap:
                cap = max(K, 2 * cap)
                F = np.zeros((cap, N_F))
                G = np.zeros((cap, 6), np.int64)
                B = np.zeros((cap, N_B), np.bool_)
                gv = np.zeros(cap)
                touched = np.zeros(cap, np.int64)
                mark = np.zeros(cap, np.bool_)
                members = np.zeros(4 * cap, np.int64)
                block_max = np.zeros(cap // BLOCK + 1)
                dirty = np.zeros(cap // BLOCK + 1, np.bool_)
            k = 0
            for p in range(m):
                for q in range(p + 1, m):
                    if ban_pair[p, q]:
                        continue
                    for a in range(n):
                        group[a] = -1
                        if involved[a, p] and involved[a, q] and not ban_actor[a, p, q]:
                            group[a] = np.int64(left[a, p]) + 2 * np.int64(left[a, q])
                    for kind in range(2):
                        for a in range(n):
                            if group[a] != kind:
                                continue
                            for b in range(n):
                                if group[b] != 3 - kind:
                                    continue
                                # a demands p unless b cares relatively more about it.
                                i, j = a, b
                                if sal[r, a, p] * sal[r, b, q] < sal[r, b, p] * sal[r, a, q]:
                                    i, j = b, a
                                G[k, CI], G[k, CJ], G[k, CP], G[k, CQ] = i, j, p, q
                                G[k, RS_I] = j * m + q
                                G[k, RS_J] = i * m + p
                                sip, siq, sjp, sjq = sal[r, i, p], sal[r, i, q], sal[r, j, p], sal[r, j, q]
                                F[k, KAPPA] = (sip + sjp) / (siq + sjq)
                                F[k, SIP], F[k, SIQ], F[k, SJP], F[k, SJQ] = sip, siq, sjp, sjq
                                F[k, WIQ], F[k, WJP] = w[r, i, q], w[r, j, p]
                                F[k, SP], F[k, SQ] = S[p], S[q]
                                F[k, DEM_I], F[k, DEM_J] = x0[i, p], x0[j, q]
                                F[k, START_I] = F[k, SUP_I] = x0[i, q]
                                F[k, START_J] = F[k, SUP_J] = x0[j, p]
                                F[k, INVS_I] = 1.0 / S[q] if S[q] > 0 else 0.0
                                F[k, INVS_J] = 1.0 / S[p] if S[p] > 0 else 0.0
                                F[k, BASE_I], F[k, BASE_J] = base[q], base[p]
                                F[k, HIST_I] = F[k, HIST_J] = 0.0
                                for f in range(N_B):
                                    B[k, f] = False
                                B[k, STALE] = True
                                k += 1
            # Members: the candidates of each (actor, issue) key by role, in candidate order.
            for t in range(4 * keys + 1):
                starts[t] = 0
            for k in range(K):
                i, j, p, q = G[k, CI], G[k, CJ], G[k, CP], G[k, CQ]
                starts[SUP_BY_I * keys + i * m + q + 1] += 1
                starts[SUP_BY_J * keys + j * m + p + 1] += 1
                starts[DEM_BY_I * keys + i * m + p + 1] += 1
                starts[DEM_BY_J * keys + j * m + q + 1] += 1
            for t in range(4 * keys):
                starts[t + 1] += starts[t]
                fill[t] = starts[t]
            for k in range(K):
                i, j, p, q = G[k, CI], G[k, CJ], G[k, CP], G[k, CQ]
                for key in (SUP_BY_I * keys + i * m + q, SUP_BY_J * keys + j * m + p,
                            DEM_BY_I * keys + i * m + p, DEM_BY_J * keys + j * m + q):
                    members[fill[key]] = k
                    fill[key] += 1
            for t in range(n * m * n):
                rec_has[t] = False
                rec_val[t] = 0.0
            for t in range(n * m):
                rec_sum[t] = 0.0
            # Every candidate is calculated first; then each step realises the best and
            # recalculates the ones it touched. One code path for both (see the module).
            nt = K
            for k in range(K):
                touched[k] = k
                mark[k] = False
                gv[k] = -np.inf
            n_blocks = (K + BLOCK - 1) // BLOCK
            for c in range(n_blocks):
                block_max[c] = -np.inf
                dirty[c] = False
            while True:
                for t in range(nt):
                    h = touched[t]
                    mark[h] = False
                    kappa = F[h, KAPPA]
                    sp, sq, wiq, wjp = F[h, SP], F[h, SQ], F[h, WIQ], F[h, WJP]
                    sup_i, sup_j, dem_i, dem_j = F[h, SUP_I], F[h, SUP_J], F[h, DEM_I], F[h, DEM_J]
                    sip, siq, sjp, sjq = F[h, SIP], F[h, SIQ], F[h, SJP], F[h, SJQ]
                    hist_i, hist_j = F[h, HIST_I], F[h, HIST_J]
                    neg_i, pos_i, neg_j, pos_j = B[h, NEG_I], B[h, POS_I], B[h, NEG_J], B[h, POS_J]
                    if B[h, STALE]:
                        # The reference's _State.calculate: j moves all the way to i's position
                        # on p, unless i's matching move would take it past j's position on q.
                        dist_p = abs(dem_i - sup_j)
                        dist_q = abs(dem_j - sup_i)
                        rp = dist_p * wjp / sp
                        rq = rp * kappa
                        mi = rq * sq / wiq
                        mj = dist_p
                        if abs(mi) > dist_q:
                            rq = dist_q * wiq / sq
                            rp = rq / kappa
                            mi = dist_q
                            mj = rp * sp / wjp
                        if sup_i > dem_j:
                            mi = -mi
                        if sup_j > dem_i:
                            mj = -mj
                        gain = _gain(rp, rq, sip, siq, sjp, sjq)
                        valid = _move_ok(sup_i, hist_i, neg_i, pos_i, mi) and \
                            _move_ok(sup_j, hist_j, neg_j, pos_j, mj) and (gain >= MIN_MOVE)
                        F[h, FREE_RP], F[h, FREE_RQ], F[h, FREE_MI], F[h, FREE_MJ] = rp, rq, mi, mj
                        F[h, FREE_GAIN] = gain
                        B[h, FREE_VALID] = valid
                        B[h, STALE] = False
                    else:
                        # Only an outcome it is bounded by moved: the free moves stand.
                        rp, rq, mi, mj = F[h, FREE_RP], F[h, FREE_RQ], F[h, FREE_MI], F[h, FREE_MJ]
                        gain = F[h, FREE_GAIN]
                        valid = B[h, FREE_VALID]
                    if valid:
                        # _bound_by_outcome, side i (it supplies q; j demanded it) then side j.
                        wa, xa, inv_s, bs = wiq, F[h, START_I], F[h, INVS_I], F[h, BASE_I]
                        rs = G[h, RS_I]
                        ri = rs * n + G[h, CI]
                        has, old, rec = rec_has[ri], rec_val[ri], rec_sum[rs]
                        d0 = dem_j - _outcome(bs, rec, wa, xa, has, old, inv_s, sup_i, True)
                        d1 = dem_j - _outcome(bs, rec, wa, xa, has, old, inv_s, sup_i + mi, True)
                        if not (((d0 >= 0) and (d1 >= 0)) or ((d0 <= 0) and (d1 <= 0))):
                            cur = _outcome(bs, rec, wa, xa, has, old, inv_s, sup_i, False)
                            share = wa * inv_s
                            delta = abs((dem_j - cur) / share)
                            ra = delta * share
                            rq = ra
                            rp = ra / kappa
                            m_other = rp * sp / wjp
                            mi = -delta if sup_i > dem_j else delta
                            mj = -m_other if sup_j > dem_i else m_other
                            gain = _gain(rp, rq, sip, siq, sjp, sjq)
                        wa, xa, inv_s, bs = wjp, F[h, START_J], F[h, INVS_J], F[h, BASE_J]
                        rs = G[h, RS_J]
                        ri = rs * n + G[h, CJ]
                        has, old, rec = rec_has[ri], rec_val[ri], rec_sum[rs]
                        d0 = dem_i - _outcome(bs, rec, wa, xa, has, old, inv_s, sup_j, True)
                        d1 = dem_i - _outcome(bs, rec, wa, xa, has, old, inv_s, sup_j + mj, True)
                        if not (((d0 >= 0) and (d1 >= 0)) or ((d0 <= 0) and (d1 <= 0))):
                            cur = _outcome(bs, rec, wa, xa, has, old, inv_s, sup_j, False)
                            share = wa * inv_s
                            delta = abs((dem_i - cur) / share)
                            ra = delta * share
                            rp = ra
                            rq = ra * kappa
                            m_other = rq * sq / wiq
                            mj = -delta if sup_j > dem_i else delta
                            mi = -m_other if sup_i > dem_j else m_other
                            gain = _gain(rp, rq, sip, siq, sjp, sjq)
                        valid = _move_ok(sup_i, hist_i, neg_i, pos_i, mi) and \
                            _move_ok(sup_j, hist_j, neg_j, pos_j, mj)
                    F[h, MOVE_I] = mi
                    F[h, MOVE_J] = mj
                    F[h, GAIN] = gain
                    B[h, VALID] = valid
                    # Keep each block's maximum: raised at once, recomputed when it fell.
                    before = gv[h]
                    now = gain if valid else -np.inf
                    gv[h] = now
                    c = h // BLOCK
                    if now > block_max[c]:
                        block_max[c] = now
                    elif now < before and before == block_max[c]:
                        dirty[c] = True
                # The best exchange: the highest gain; equal within TIE_RTOL, the first.
                top = -np.inf
                for c in range(n_blocks):
                    if dirty[c]:
                        dirty[c] = False
                        best = -np.inf
                        for k in range(c * BLOCK, min(K, (c + 1) * BLOCK)):
                            if gv[k] > best:
                                best = gv[k]
                        block_max[c] = best
                    if block_max[c] > top:
                        top = block_max[c]
                if not np.isfinite(top):
                    break
                limit = top - TIE_RTOL * abs(top)
                pick = 0
                for c in range(n_blocks):
                    if block_max[c] >= limit:
                        for k in range(c * BLOCK, min(K, (c + 1) * BLOCK)):
                            if gv[k] >= limit:
                                pick = k
                                break
                        break
                a, b, p, q = G[pick, CI], G[pick, CJ], G[pick, CP], G[pick, CQ]
                y_a = F[pick, SUP_I] + F[pick, MOVE_I]
                y_b = F[pick, SUP_J] + F[pick, MOVE_J]
                B[pick, VALID] = False
                gv[pick] = -np.inf
                dirty[pick // BLOCK] = True
                # Record each mover's new position for the partner that demanded the issue
                # (the reference's _State._record: a second record keeps the one nearer the
                # mover's start).
                for side in range(2):
                    if side == 0:
                        rs, mover, y, start = b * m + q, a, y_a, F[pick, START_I]
                    else:
                        rs, mover, y, start = a * m + p, b, y_b, F[pick, START_J]
                    f = rs * n + mover
                    xm = x0[mover, rs % m]
                    wm = w[r, mover, rs % m]
                    has = rec_has[f]
                    old = rec_val[f]
                    if not has:
                        new = y
                    elif start <= old:
                        new = old if old <= y else y
                    else:
                        new = old if old >= y else y
                    dt = wm * (new - xm)
                    if has:
                        dt = dt - wm * (old - xm)
                    rec_sum[rs] = rec_sum[rs] + dt
                    rec_val[f] = new
                    rec_has[f] = True
                # Open exchanges in which a mover supplies the same issue start from its new
                # position, keeping their previous move in the history (Decide's direction
                # check); those in which the partners demand the moved issues see the new
                # outcome. All of them are recalculated.
                nt = 0
                for role in range(8):
                    side = role & 1
                    if role < 4:
                        key = (a * m + q) if role < 2 else (b * m + p)
                        y = y_a if role < 2 else y_b
                        sec = SUP_BY_I + side
                    else:
                        key = (b * m + q) if role < 6 else (a * m + p)
                        sec = DEM_BY_I + side
                    lo = starts[sec * keys + key]
                    hi = starts[sec * keys + key + 1]
                    for t in range(lo, hi):
                        h = members[t]
                        if not B[h, VALID]:
                            continue
                        if role < 4:
                            mv = F[h, MOVE_I + side]
                            F[h, HIST_I + side] += mv
                            if mv < 0:
                                B[h, NEG_I + side] = True
                            if mv > 0:
                                B[h, POS_I + side] = True
                            F[h, SUP_I + side] = y
                            B[h, STALE] = True
                        if not mark[h]:
                            mark[h] = True
                            touched[nt] = h
                            nt += 1
                voting[a, q] = y_a
                voting[b, p] = y_b
                # Partial return (the reference's _partial; the last exchange on a cell wins).
                share = (1 - sal[r, a, q]) * salience_weight + fixed_weight
                start_next[a, q] = (1 - share) * x0[a, q] + share * y_a
                share = (1 - sal[r, b, p]) * salience_weight + fixed_weight
                start_next[b, p] = (1 - share) * x0[b, p] + share * y_b
            x0[:, :] = start_next
        out[r] = voting
    return out
