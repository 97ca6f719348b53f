"""Compiled step loop of the exchange round: the same computation as the NumPy engine, per candidate.

:func:`accord.models.exchange._reference.run_round` (the NumPy reference) spends most of a single run in
per-call overhead: a round is a few dozen to a few hundred *dependent* steps (realise the best
exchange, recalculate the 5–30 it touches, choose again), each a handful of tiny array operations.
Here the step loop runs in one numba kernel over the same flat per-candidate arrays, and every
floating-point expression is the reference's, operation by operation and in the same order, so the
two engines give identical numbers (tested bit for bit), not merely close ones.

The kernel is a small state machine that hands control back to Python only for what it cannot do:

* ``NEED_EXACT``: with the decimal shadow on, the voting positions of each realised exchange come
  from the shadow's 28-digit decimals (:mod:`accord.models.exchange._decimal`); Python computes
  them and the kernel continues with them.
* ``NEED_GAP``: a recalculated exchange finds its outcome within ``EXACT_TOL`` of the demanding
  actor's position; the sign of the difference is taken from the shadow (rare: ~3 per round).
* ``NEED_RANDOM``: with ``ties="uniform"`` each step draws one uniform per open repetition from
  the caller's ``rng``, with ``ties="decide"`` one per repetition whose two best exchanges tie,
  exactly as the reference does, so the two engines consume the same stream.

The candidates of a round are built here too (:func:`_candidates`, the reference's order); the
random rates of the stochastic variants come from the same Python callable as in the reference,
and the per-issue sums from the same NumPy expressions. The best exchange of each repetition comes
from a max tree over its candidates (:func:`_set_leaf`, :func:`_tied`), which gives the same
maximum, the same tie window and the same order among tied candidates as the reference's scan;
with ``ties="decide"`` from Decide's list instead (:func:`_sort_list`, :func:`_pop_list`), kept
sorted by merging the exchanges that changed into those that did not.
With the decimal shadow on, each realised exchange costs one pass through Python; the shadow
skips the bound checks that the float engine found far from the bound (``SURE_MARGIN``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from accord.models.exchange._reference import (
    COLUMNS,
    EXACT_TOL,
    MIN_MOVE,
    RANK_BITS,
    TIE_RTOL,
    TIE_RULES,
    Candidates,
    RoundResult,
    compromise,
)

_JIT = {"cache": True, "nogil": True, "error_model": "numpy", "boundscheck": False}

# What the kernel asks of Python when it returns.
DONE, NEED_GAP, NEED_RANDOM, NEED_EXACT, NEED_SPACE = 0, 1, 2, 3, 4
# Where the kernel resumes (ctl[PHASE]).
CALC, SELECT, REALISE = 0, 1, 2
# Slots of the control vector.
(PHASE, N_TOUCHED, N_PICKS, N_STEPS, N_REQ, N_OPEN, UNIF_READY, EXACT, RULE, N, M, N_UNIF, SORTED, LEVEL,
 HIST_DONE, N_MEMBERS) = range(16)
# Tie rules (ctl[RULE]), in the order of TIE_RULES.
FIRST, UNIFORM, DECIDE = range(3)

# Columns of the integer table G (K, 9), one row per candidate.
I_I, I_J, I_P, I_Q, I_REP, I_RSUM_I, I_REC_I, I_RSUM_J, I_REC_J = range(9)
# Columns of the float table F (K, 28): constants first, then the state that moves (a row per
# candidate keeps what one recalculation reads in a few cache lines).
(F_KAPPA, F_SIP, F_SIQ, F_SJP, F_SJQ, F_WIQ, F_WJP, F_SP, F_SQ, F_DEM_I, F_DEM_J,
 F_WA_I, F_XA_I, F_INVS_I, F_BASE_I, F_WA_J, F_XA_J, F_INVS_J, F_BASE_J, F_START_I, F_START_J,
 F_SUP_I, F_SUP_J, F_HIST_I, F_HIST_J, F_MOVE_I, F_MOVE_J, F_GAIN) = range(28)
# Columns of the boolean table B (K, 7).
B_NEG_I, B_POS_I, B_NEG_J, B_POS_J, B_VALID, B_SURE_I, B_SURE_J, B_HIT_I, B_HIT_J = range(9)
#: A bound check whose two differences (demander's position minus the outcome before and after
#: the move) both exceed this in size has the same answer in the shadow's decimals: float and
#: decimal states differ by rounding only (~1e-12 on the 0–100 scale), so the shadow may skip it.
SURE_MARGIN = 1e-7
# Rows of the step record (one column per realised exchange, in order).
S_XI, S_YI, S_XJ, S_YJ, S_GAIN, S_OQ0, S_OQ1, S_OP0, S_OP1 = range(9)


# -- one candidate, as the reference computes it -----------------------------------------------
@njit(**_JIT)
def _outcome(k, side, v, mover_wins, F, G, rec_val, rec_has, rec_sum):
    """Outcome of the side's supply issue with its actor at ``v`` (reference: ``_State._outcome``)."""
    if side == 0:
        wa, xa, inv_s, base = F[k, F_WA_I], F[k, F_XA_I], F[k, F_INVS_I], F[k, F_BASE_I]
        ri, rs = G[k, I_REC_I], G[k, I_RSUM_I]
    else:
        wa, xa, inv_s, base = F[k, F_WA_J], F[k, F_XA_J], F[k, F_INVS_J], F[k, F_BASE_J]
        ri, rs = G[k, I_REC_J], G[k, I_RSUM_J]
    has = rec_has[ri]
    num = base + rec_sum[rs]
    if mover_wins:
        num = num + wa * (v - xa)
        if has:
            num = num - wa * (rec_val[ri] - xa)
    elif not has:
        num = num + wa * (v - xa)
    return num * inv_s


@njit(**_JIT)
def _move_ok(k, side, move, F, B):
    if side == 0:
        sup, hist, neg, pos = F[k, F_SUP_I], F[k, F_HIST_I], B[k, B_NEG_I], B[k, B_POS_I]
    else:
        sup, hist, neg, pos = F[k, F_SUP_J], F[k, F_HIST_J], B[k, B_NEG_J], B[k, B_POS_J]
    y = sup + move
    size = abs(move)
    direction = (not pos) if move < 0 else (not neg)
    return (size > MIN_MOVE) and (size <= 100) and (y >= -EXACT_TOL) and (y <= 100 + EXACT_TOL) \
        and (hist + move <= 100) and direction


@njit(**_JIT)
def _gain(k, rp, rq, F):
    gi = abs(rp * F[k, F_SIP] - rq * F[k, F_SIQ])
    gj = abs(rq * F[k, F_SJQ] - rp * F[k, F_SJP])
    g = gi if gi <= gj else gj
    if gi != gi or gj != gj:  # np.minimum propagates NaN, then the reference zeroes it
        g = np.nan
    return g if np.isfinite(g) else 0.0


@njit(**_JIT)
def _bound(k, side, F, G, B, rec_val, rec_has, rec_sum, gap_val, req, ctl):
    """Cut a move that would push its outcome past the demander's position (``_bound_by_outcome``).

    Returns False when the decimal shadow's sign is needed and not yet known (request queued).
    Notes in ``B[k, B_SURE_*]`` whether the move stands and is far from the bound (see SURE_MARGIN)."""
    if side == 0:
        sup, move, target = F[k, F_SUP_I], F[k, F_MOVE_I], F[k, F_DEM_J]
    else:
        sup, move, target = F[k, F_SUP_J], F[k, F_MOVE_J], F[k, F_DEM_I]
    d0 = target - _outcome(k, side, sup, True, F, G, rec_val, rec_has, rec_sum)
    d1 = target - _outcome(k, side, sup + move, True, F, G, rec_val, rec_has, rec_sum)
    sure = abs(d0) > SURE_MARGIN and abs(d1) > SURE_MARGIN
    if ctl[EXACT] and abs(d0) <= EXACT_TOL:
        d0 = gap_val[side, k]
        if d0 != d0:
            n = ctl[N_REQ]
            req[0, n] = k
            req[1, n] = side
            ctl[N_REQ] = n + 1
            return False
    if ((d0 >= 0) and (d1 >= 0)) or ((d0 <= 0) and (d1 <= 0)):
        B[k, B_SURE_I + side] = sure
        return True
    B[k, B_SURE_I + side] = False
    cur = _outcome(k, side, sup, False, F, G, rec_val, rec_has, rec_sum)
    if side == 0:
        share = F[k, F_WA_I] * F[k, F_INVS_I]
    else:
        share = F[k, F_WA_J] * F[k, F_INVS_J]
    delta = abs((target - cur) / share)
    ra = delta * share
    kappa = F[k, F_KAPPA]
    m_self = -delta if sup > target else delta
    if side == 0:
        rq = ra
        rp = ra / kappa
        m_other = rp * F[k, F_SP] / F[k, F_WJP]
        F[k, F_MOVE_I] = m_self
        F[k, F_MOVE_J] = -m_other if F[k, F_SUP_J] > F[k, F_DEM_I] else m_other
    else:
        rp = ra
        rq = ra * kappa
        m_other = rq * F[k, F_SQ] / F[k, F_WIQ]
        F[k, F_MOVE_J] = m_self
        F[k, F_MOVE_I] = -m_other if F[k, F_SUP_I] > F[k, F_DEM_J] else m_other
    F[k, F_GAIN] = _gain(k, rp, rq, F)
    return True


@njit(**_JIT)
def _calculate(k, F, G, B, rec_val, rec_has, rec_sum, gap_val, req, ctl):
    """Moves, gain and validity of candidate ``k`` from the current positions (``_State.calculate``)."""
    kappa = F[k, F_KAPPA]
    sp, sq, wiq, wjp = F[k, F_SP], F[k, F_SQ], F[k, F_WIQ], F[k, F_WJP]
    sup_i, sup_j, dem_i, dem_j = F[k, F_SUP_I], F[k, F_SUP_J], F[k, F_DEM_I], F[k, F_DEM_J]
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
    gain = _gain(k, rp, rq, F)
    F[k, F_MOVE_I] = mi
    F[k, F_MOVE_J] = mj
    F[k, F_GAIN] = gain
    valid = _move_ok(k, 0, mi, F, B) and _move_ok(k, 1, mj, F, B) and (gain >= MIN_MOVE)
    if valid:
        known_i = _bound(k, 0, F, G, B, rec_val, rec_has, rec_sum, gap_val, req, ctl)
        known_j = _bound(k, 1, F, G, B, rec_val, rec_has, rec_sum, gap_val, req, ctl)
        if not (known_i and known_j):
            return False
        if not B[k, B_SURE_I]:
            # The shadow recomputes side i, whose move feeds side j's check: recompute j too.
            B[k, B_SURE_J] = False
        valid = _move_ok(k, 0, F[k, F_MOVE_I], F, B) and _move_ok(k, 1, F[k, F_MOVE_J], F, B)
    B[k, B_VALID] = valid
    return True


# -- the best exchange per repetition: a max tree over each repetition's candidates -----------------
@njit(**_JIT)
def _set_leaf(tree, tree_at, offsets, r, k, v):
    """Candidate ``k`` of repetition ``r`` now counts ``v`` (its gain if valid, else -inf)."""
    base, size = tree_at[r, 0], tree_at[r, 1]
    node = size + k - offsets[r]
    tree[base + node] = v
    node //= 2
    while node >= 1:
        a, b = tree[base + 2 * node], tree[base + 2 * node + 1]
        tree[base + node] = a if a >= b else b
        node //= 2


@njit(**_JIT)
def _tied(tree, tree_at, offsets, r, limit, out, stack):
    """The candidates of repetition ``r`` whose value reaches ``limit``, in candidate order, into
    ``out``; returns how many (only subtrees whose maximum reaches the limit are visited)."""
    base, size = tree_at[r, 0], tree_at[r, 1]
    count = 0
    stack[0] = 1
    sp = 1
    while sp > 0:
        sp -= 1
        node = stack[sp]
        if not tree[base + node] >= limit:
            continue
        if node >= size:
            out[count] = offsets[r] + node - size
            count += 1
        else:  # right child below the left one, so leaves come out in order
            stack[sp] = 2 * node + 1
            stack[sp + 1] = 2 * node
            sp += 2
    return count


# -- Decide's list (ties="decide"): the reference's _DecideList -----------------------------------
@njit(**_JIT)
def _rank_key(g):
    """The reference's ``rank_key``: the gain rounded to RANK_BITS significant bits."""
    m, e = math.frexp(g)
    return math.ldexp(np.floor(m * 2.0**RANK_BITS + 0.5), e - RANK_BITS)


@njit(**_JIT)
def _sort_list(r, lists, keys, n_list, offsets, F, B, dirty, keep, keep_at, keep_key, moved, moved_at, moved_key):
    """Drop the impossible exchanges from repetition ``r``'s list and sort it stably by rank key,
    highest first. The entries of exchanges that did not change since the last sort are still in
    order; the changed ones (recalculated, or put at the end) are sorted and merged in, equal keys
    in list order, which is the reference's stable sort of the whole list. ``keys`` holds each
    entry's negated rank key beside it (valid while its exchange is unchanged)."""
    base = offsets[r]
    n_keep = 0
    n_moved = 0
    for t in range(n_list[r]):
        k = lists[base + t]
        if not dirty[k]:  # unchanged since it was sorted, hence still possible
            keep[n_keep] = k
            keep_at[n_keep] = t
            keep_key[n_keep] = keys[base + t]
            n_keep += 1
        elif B[k, B_VALID]:
            moved[n_moved] = k
            moved_at[n_moved] = t
            moved_key[n_moved] = -_rank_key(F[k, F_GAIN])
            n_moved += 1
    order = np.argsort(moved_key[:n_moved], kind="mergesort")
    a = 0
    b = 0
    out = base
    while a < n_keep or b < n_moved:
        take_keep = b >= n_moved
        if a < n_keep and b < n_moved:
            c = order[b]
            ka, kc = keep_key[a], moved_key[c]
            take_keep = ka < kc or (ka == kc and keep_at[a] < moved_at[c])
        if take_keep:
            lists[out] = keep[a]
            keys[out] = keep_key[a]
            a += 1
        else:
            c = order[b]
            lists[out] = moved[c]
            keys[out] = moved_key[c]
            b += 1
        out += 1
    for b in range(n_moved):
        dirty[moved[b]] = False
    n_list[r] = out - base


@njit(**_JIT)
def _pop_list(r, coin, u, lists, keys, n_list, offsets, copies, dirty):
    """Take the exchange repetition ``r`` realises from the head of its sorted list: the first, or
    after a coin (``u >= 0.5``: the second, the first moved to the end; else the first, the second
    copied to the end)."""
    base, size = offsets[r], n_list[r]
    first = lists[base]
    if coin and u >= 0.5:
        pick = lists[base + 1]
        for z in range(size - 2):
            lists[base + z] = lists[base + z + 2]
            keys[base + z] = keys[base + z + 2]
        lists[base + size - 2] = first
        dirty[first] = True
        n_list[r] = size - 1
    else:
        pick = first
        for z in range(size - 1):
            lists[base + z] = lists[base + z + 1]
            keys[base + z] = keys[base + z + 1]
        if coin:
            second = lists[base]  # moved up by one
            lists[base + size - 1] = second
            copies[second] += 1
            dirty[second] = True
        else:
            n_list[r] = size - 1
    copies[pick] -= 1
    return pick


# -- the step loop -------------------------------------------------------------------------------
@njit(**_JIT)
def _steps(picks, n_picks, F, G, rec_val, rec_has, rec_sum, step_k, step_f, ya, yb, ctl):
    """Record the picked exchanges (one per open repetition) and their float voting positions."""
    for t in range(n_picks):
        pick = picks[t]
        s = ctl[N_STEPS]
        step_k[s] = pick
        xi, xj = F[pick, F_SUP_I], F[pick, F_SUP_J]
        step_f[S_XI, s] = xi
        step_f[S_XJ, s] = xj
        step_f[S_GAIN, s] = F[pick, F_GAIN]
        step_f[S_OQ0, s] = _outcome(pick, 0, xi, True, F, G, rec_val, rec_has, rec_sum)
        step_f[S_OQ1, s] = _outcome(pick, 0, xi + F[pick, F_MOVE_I], True, F, G, rec_val, rec_has, rec_sum)
        step_f[S_OP0, s] = _outcome(pick, 1, xj, True, F, G, rec_val, rec_has, rec_sum)
        step_f[S_OP1, s] = _outcome(pick, 1, xj + F[pick, F_MOVE_J], True, F, G, rec_val, rec_has, rec_sum)
        ctl[N_STEPS] = s + 1
        ya[t] = xi + F[pick, F_MOVE_I]
        yb[t] = xj + F[pick, F_MOVE_J]
    ctl[N_PICKS] = n_picks

@njit(**_JIT)
def _touch(table, key, B, touched, mark, ctl):
    for c in range(table.shape[1]):
        h = table[key, c]
        if h < 0:
            break
        if B[h, B_VALID] and not mark[h]:
            mark[h] = True
            touched[ctl[N_TOUCHED]] = h
            ctl[N_TOUCHED] += 1


@njit(**_JIT)
def _resupply(table, key, y, hist_row, move_row, neg_row, pos_row, sup_row, hit_row, F, B, touched, mark, ctl):
    """Open exchanges in which the mover supplies the same issue now start from its new position;
    the move they had is kept in the side's history (Decide's direction check)."""
    for c in range(table.shape[1]):
        h = table[key, c]
        if h < 0:
            break
        if not B[h, B_VALID]:
            continue
        mv = F[h, move_row]
        F[h, hist_row] += mv
        if mv < 0:
            B[h, neg_row] = True
        if mv > 0:
            B[h, pos_row] = True
        F[h, sup_row] = y
        B[h, hit_row] = True
        if not mark[h]:
            mark[h] = True
            touched[ctl[N_TOUCHED]] = h
            ctl[N_TOUCHED] += 1


@njit(**_JIT)
def _record(rs, mover, y, start, x0, w, rec_val, rec_has, rec_sum, n, m):
    """Record ``mover``'s new position for the demander and issue ``rs`` (``_State._record``)."""
    f = rs * n + mover
    issue = rs % m
    rep = rs // (m * n)
    x = x0[rep, mover, issue]
    wm = w[rep, mover, issue]
    has = rec_has[f]
    old = rec_val[f]
    if not has:
        new = y
    elif start <= old:
        new = old if old <= y else y
    else:
        new = old if old >= y else y
    t = wm * (new - x)
    if has:
        t = t - wm * (old - x)
    rec_sum[rs] = rec_sum[rs] + t
    rec_val[f] = new
    rec_has[f] = True


@njit(**_JIT)
def advance(F, G, B, rec_val, rec_has, rec_sum, x0, w, sal, voting, start_next, tree, tree_at, tied, stack,
            by_sup_i, by_sup_j, by_dem_i, by_dem_j, offsets, touched, mark, picks, ya, yb, unif,
            gap_val, req, step_k, step_f, n_ties, ctl, weights, dl):
    """Run the round until it ends (``DONE``) or needs something from Python (see the module).

    ``dl`` holds Decide's lists (ties="decide"): the entries of every repetition's list in its
    slice of ``lists``, their number, each candidate's number of copies, which candidates changed
    since the last sort, scratch space for the sort and the recalculation passes."""
    lists, keys, n_list, copies, dirty, keep, keep_at, keep_key, moved, moved_at, moved_key, need, members = dl
    n, m = ctl[N], ctl[M]
    R = offsets.shape[0] - 1
    while True:
        phase = ctl[PHASE]
        if phase == CALC:
            level = ctl[LEVEL]
            if level > 0 and not ctl[HIST_DONE]:
                # Another pass for exchanges with more than `level` copies on Decide's list: each
                # side whose own actor moved keeps its current move in the history once more.
                n_members = 0
                for t in range(ctl[N_TOUCHED]):
                    k = touched[t]
                    if copies[k] > level and B[k, B_VALID]:
                        members[n_members] = k
                        n_members += 1
                        for side in range(2):
                            if B[k, B_HIT_I + side]:
                                mv = F[k, F_MOVE_I + side]
                                F[k, F_HIST_I + side] += mv
                                if mv < 0:
                                    B[k, B_NEG_I + 2 * side] = True
                                if mv > 0:
                                    B[k, B_POS_I + 2 * side] = True
                ctl[N_MEMBERS] = n_members
                ctl[HIST_DONE] = 1
            asked = ctl[N_REQ]
            if level == 0:
                for t in range(ctl[N_TOUCHED]):
                    _calculate(touched[t], F, G, B, rec_val, rec_has, rec_sum, gap_val, req, ctl)
            else:
                for t in range(ctl[N_MEMBERS]):
                    _calculate(members[t], F, G, B, rec_val, rec_has, rec_sum, gap_val, req, ctl)
            if ctl[N_REQ] > asked:
                return NEED_GAP  # signs asked for; the pass reruns (idempotent) once they are in
            if ctl[N_REQ] > 0:
                for r in range(ctl[N_REQ]):
                    gap_val[req[1, r], req[0, r]] = np.nan
                ctl[N_REQ] = 0
            if ctl[RULE] == DECIDE:
                more = False
                for t in range(ctl[N_TOUCHED]):
                    k = touched[t]
                    if copies[k] > level + 1 and B[k, B_VALID]:
                        more = True
                        break
                if more:
                    ctl[LEVEL] = level + 1
                    ctl[HIST_DONE] = 0
                    continue
            for t in range(ctl[N_TOUCHED]):
                k = touched[t]
                mark[k] = False
                dirty[k] = True
                B[k, B_HIT_I] = False
                B[k, B_HIT_J] = False
                _set_leaf(tree, tree_at, offsets, G[k, I_REP], k, F[k, F_GAIN] if B[k, B_VALID] else -np.inf)
            ctl[N_TOUCHED] = 0
            ctl[LEVEL] = 0
            ctl[SORTED] = 0
            ctl[PHASE] = SELECT
        elif phase == SELECT and ctl[N_STEPS] + R > step_k.shape[0]:
            return NEED_SPACE  # Decide's copies can realise an exchange twice: more steps than candidates
        elif phase == SELECT and ctl[RULE] == DECIDE:
            # Decide's list: sorted by gain, the head realised, a coin when the two best tie.
            if not ctl[SORTED]:
                n_open = 0
                n_unif = 0
                for r in range(R):
                    if n_list[r] == 0:
                        continue
                    _sort_list(r, lists, keys, n_list, offsets, F, B, dirty, keep, keep_at, keep_key, moved,
                               moved_at, moved_key)
                    if n_list[r] == 0:
                        continue
                    base = offsets[r]
                    top = F[lists[base], F_GAIN]
                    need[n_open] = n_list[r] > 1 and F[lists[base + 1], F_GAIN] >= top - TIE_RTOL * abs(top)
                    n_unif += need[n_open]
                    picks[n_open] = r
                    n_open += 1
                ctl[N_OPEN] = n_open
                ctl[N_UNIF] = n_unif
                ctl[SORTED] = 1
            n_open = ctl[N_OPEN]
            if n_open == 0:
                return DONE
            if ctl[N_UNIF] > 0 and not ctl[UNIF_READY]:
                return NEED_RANDOM
            ctl[UNIF_READY] = 0
            u_at = 0
            for t in range(n_open):
                r = picks[t]
                u = 0.0
                if need[t]:
                    u = unif[u_at]
                    u_at += 1
                    n_ties[r] += 1
                picks[t] = _pop_list(r, need[t], u, lists, keys, n_list, offsets, copies, dirty)
            ctl[PHASE] = REALISE
            _steps(picks, n_open, F, G, rec_val, rec_has, rec_sum, step_k, step_f, ya, yb, ctl)
            if ctl[EXACT]:
                return NEED_EXACT
        elif phase == SELECT:
            # Per repetition the valid candidate with the highest gain; equal within TIE_RTOL tie.
            n_open = 0
            for r in range(R):
                if offsets[r + 1] == offsets[r]:
                    continue
                top = tree[tree_at[r, 0] + 1]
                if np.isfinite(top):
                    picks[n_open] = r
                    ya[n_open] = top - TIE_RTOL * abs(top)  # the limit, until the pick replaces it
                    n_open += 1
            if n_open == 0:
                return DONE
            if ctl[RULE] == UNIFORM and not ctl[UNIF_READY]:
                ctl[N_UNIF] = n_open
                return NEED_RANDOM
            ctl[UNIF_READY] = 0
            for t in range(n_open):
                r = picks[t]
                count = _tied(tree, tree_at, offsets, r, ya[t], tied, stack)
                pick = tied[0]
                if ctl[RULE] == UNIFORM:
                    pick = tied[np.int64(np.floor(unif[t] * count))]
                if count > 1:
                    n_ties[r] += 1
                picks[t] = pick
            ctl[PHASE] = REALISE
            _steps(picks, n_open, F, G, rec_val, rec_has, rec_sum, step_k, step_f, ya, yb, ctl)
            if ctl[EXACT]:
                return NEED_EXACT
        else:  # REALISE: move the picked exchanges' actors and queue what they touch
            n_picks = ctl[N_PICKS]
            s0 = ctl[N_STEPS] - n_picks
            for t in range(n_picks):
                k = picks[t]
                a, b, p, q, r = G[k, I_I], G[k, I_J], G[k, I_P], G[k, I_Q], G[k, I_REP]
                y_a, y_b = ya[t], yb[t]
                step_f[S_YI, s0 + t] = y_a
                step_f[S_YJ, s0 + t] = y_b
                # An exchange still on Decide's list (copied there at a tie) is recalculated
                # against itself like any other it touches; otherwise it leaves the round.
                if ctl[RULE] != DECIDE or copies[k] == 0:
                    B[k, B_VALID] = False
                _set_leaf(tree, tree_at, offsets, r, k, -np.inf)
                base = r * n
                aq, bp, bq, ap = (base + a) * m + q, (base + b) * m + p, (base + b) * m + q, (base + a) * m + p
                _record(bq, a, y_a, F[k, F_START_I], x0, w, rec_val, rec_has, rec_sum, n, m)
                _record(ap, b, y_b, F[k, F_START_J], x0, w, rec_val, rec_has, rec_sum, n, m)
                hi = (F_HIST_I, F_MOVE_I, B_NEG_I, B_POS_I, F_SUP_I, B_HIT_I)
                hj = (F_HIST_J, F_MOVE_J, B_NEG_J, B_POS_J, F_SUP_J, B_HIT_J)
                _resupply(by_sup_i, aq, y_a, *hi, F, B, touched, mark, ctl)
                _resupply(by_sup_i, bp, y_b, *hi, F, B, touched, mark, ctl)
                _resupply(by_sup_j, aq, y_a, *hj, F, B, touched, mark, ctl)
                _resupply(by_sup_j, bp, y_b, *hj, F, B, touched, mark, ctl)
                _touch(by_dem_j, bq, B, touched, mark, ctl)
                _touch(by_dem_i, bq, B, touched, mark, ctl)
                _touch(by_dem_j, ap, B, touched, mark, ctl)
                _touch(by_dem_i, ap, B, touched, mark, ctl)
                voting[r, a, q] = y_a
                voting[r, b, p] = y_b
                # Partial return, as the reference's _partial (the last exchange on a cell wins).
                share = (1 - sal[r, a, q]) * weights[0] + weights[1]
                start_next[r, a, q] = (1 - share) * x0[r, a, q] + share * y_a
                share = (1 - sal[r, b, p]) * weights[0] + weights[1]
                start_next[r, b, p] = (1 - share) * x0[r, b, p] + share * y_b
            ctl[N_PICKS] = 0
            ctl[PHASE] = CALC


# -- building a round: candidates and their constants ----------------------------------------------
@njit(**_JIT)
def _group(left, involved, r, a, p, q):
    """Decide's group of actor a for issues p, q: 0 left on both ... 3 right on both; -1 not in both."""
    if not (involved[a, p] and involved[a, q]):
        return -1
    return np.int64(left[r, a, p]) + 2 * np.int64(left[r, a, q])


@njit(**_JIT)
def _candidates(left, involved, sal, ban_pair, ban_actor):
    """Every repetition's candidates in the reference's order (:func:`_exchange_round.candidates`):
    issue pair p < q, then A–D before B–C, then actor a, then actor b; a demands p unless b cares
    relatively more about it. Returns i, j, p, q, kappa, inner, rep (K,) and offsets (R + 1,)."""
    R, n, m = left.shape
    offsets = np.zeros(R + 1, np.int64)
    g = np.empty(n, np.int64)
    for sweep in range(2):  # count, then fill
        if sweep == 1:
            K = offsets[R]
            ci, cj, cp, cq = np.empty(K, np.int64), np.empty(K, np.int64), np.empty(K, np.int64), np.empty(K, np.int64)
            kap, inner, rep = np.empty(K), np.empty(K, np.int64), np.empty(K, np.int64)
        k = 0
        for r in range(R):
            for p in range(m):
                for q in range(p + 1, m):
                    if ban_pair[p, q]:
                        continue
                    for a in range(n):
                        g[a] = -1 if ban_actor[a, p, q] else _group(left, involved, r, a, p, q)
                    for kind in range(2):
                        for a in range(n):
                            if g[a] != kind:
                                continue
                            for b in range(n):
                                if g[b] != 3 - kind:
                                    continue
                                if sweep == 1:
                                    swap = sal[r, a, p] * sal[r, b, q] < sal[r, b, p] * sal[r, a, q]
                                    i, j = (b, a) if swap else (a, b)
                                    ci[k], cj[k], cp[k], cq[k], inner[k], rep[k] = i, j, p, q, kind, r
                                    kap[k] = (sal[r, i, p] + sal[r, j, p]) / (sal[r, i, q] + sal[r, j, q])
                                k += 1
            if sweep == 0:
                offsets[r + 1] = k
    return ci, cj, cp, cq, kap, inner, rep, offsets


@njit(**_JIT)
def _table(keys, size):
    """Candidate indices by key, in order, as a padded table (size, longest) with -1 for "none"."""
    counts = np.zeros(size, np.int64)
    for k in range(keys.shape[0]):
        counts[keys[k]] += 1
    table = np.full((size, max(counts.max() if size else 0, 1)), -1, np.int64)
    counts[:] = 0
    for k in range(keys.shape[0]):
        table[keys[k], counts[keys[k]]] = k
        counts[keys[k]] += 1
    return table


@njit(**_JIT)
def _state(ci, cj, cp, cq, kap, rep, x0, w, sal, S, base):
    """The per-candidate tables of a round (the reference's ``_State.__init__``)."""
    K = ci.shape[0]
    R, n, m = x0.shape
    F = np.zeros((K, 28))
    G = np.empty((K, 9), np.int64)
    for k in range(K):
        i, j, p, q, r = ci[k], cj[k], cp[k], cq[k], rep[k]
        G[k, I_I], G[k, I_J], G[k, I_P], G[k, I_Q], G[k, I_REP] = i, j, p, q, r
        G[k, I_RSUM_I] = (r * n + j) * m + q
        G[k, I_REC_I] = G[k, I_RSUM_I] * n + i
        G[k, I_RSUM_J] = (r * n + i) * m + p
        G[k, I_REC_J] = G[k, I_RSUM_J] * n + j
        F[k, F_KAPPA] = kap[k]
        F[k, F_SIP], F[k, F_SIQ], F[k, F_SJP], F[k, F_SJQ] = sal[r, i, p], sal[r, i, q], sal[r, j, p], sal[r, j, q]
        F[k, F_WIQ], F[k, F_WJP] = w[r, i, q], w[r, j, p]
        F[k, F_SP], F[k, F_SQ] = S[r, p], S[r, q]
        F[k, F_DEM_I], F[k, F_DEM_J] = x0[r, i, p], x0[r, j, q]
        F[k, F_WA_I], F[k, F_XA_I], F[k, F_BASE_I] = w[r, i, q], x0[r, i, q], base[r, q]
        F[k, F_INVS_I] = 1.0 / S[r, q] if S[r, q] > 0 else 0.0
        F[k, F_WA_J], F[k, F_XA_J], F[k, F_BASE_J] = w[r, j, p], x0[r, j, p], base[r, p]
        F[k, F_INVS_J] = 1.0 / S[r, p] if S[r, p] > 0 else 0.0
        F[k, F_START_I] = F[k, F_SUP_I] = x0[r, i, q]
        F[k, F_START_J] = F[k, F_SUP_J] = x0[r, j, p]
    size = R * n * m
    tables = (_table((rep * n + ci) * m + cq, size), _table((rep * n + cj) * m + cp, size),
              _table((rep * n + ci) * m + cp, size), _table((rep * n + cj) * m + cq, size))
    return F, G, tables


# -- the round, driven from Python ----------------------------------------------------------------
def run_round(x0, w, sal, involved, *, forbidden=None, kappa=None, rng=None, ties="first",
              salience_weight=0.4, fixed_weight=0.1, shadows=None) -> RoundResult:
    """One round for R repetitions in lockstep; same arguments and result as the NumPy engine's
    :func:`accord.models.exchange._reference.run_round`."""
    R, n, m = x0.shape
    x0 = np.ascontiguousarray(x0, np.float64)
    w = np.ascontiguousarray(w, np.float64)
    sal = np.ascontiguousarray(sal, np.float64)
    involved = np.ascontiguousarray(involved, np.bool_)
    with np.errstate(invalid="ignore", divide="ignore"):
        if shadows is None:
            left = x0 <= compromise(x0, w)[:, None, :] + EXACT_TOL
        else:
            left = np.array([sh.left() for sh in shadows])
        # The outcome's denominator and numerator at the round's start, as the reference sums them.
        S = w.sum(axis=1)
        base = np.where(w > 0, w * np.nan_to_num(x0), 0.0).sum(axis=1)
    ban_pair, ban_actor = np.zeros((m, m), np.bool_), np.zeros((n, m, m), np.bool_)
    if forbidden is not None:
        f = np.asarray(forbidden, dtype=bool)
        if f.ndim == 2:
            ban_pair = np.ascontiguousarray(f)
        else:
            ban_actor = np.ascontiguousarray(f)
    ci, cj, cp, cq, kap, inner, rep, offsets = _candidates(left & involved, involved, sal, ban_pair, ban_actor)
    c = Candidates(i=ci, j=cj, p=cp, q=cq, kappa=kap, inner=inner, rep=rep)
    if kappa is not None and len(c):
        with np.errstate(invalid="ignore", divide="ignore"):
            c.kappa = np.ascontiguousarray(kappa(c, sal), np.float64)
    F, G, tables = _state(ci, cj, cp, cq, c.kappa, rep, x0, w, sal, S, base)
    K = len(c)
    B = np.zeros((K, 9), dtype=np.bool_)
    rec_val, rec_has, rec_sum = np.zeros(R * n * m * n), np.zeros(R * n * m * n, np.bool_), np.zeros(R * n * m)
    voting = x0.copy()
    start_next = x0.copy()
    touched = np.arange(K, dtype=np.int64)
    ctl = np.zeros(16, dtype=np.int64)
    ctl[[N_TOUCHED, EXACT, RULE, N, M]] = K, shadows is not None, TIE_RULES.index(ties), n, m
    picks, unif = np.zeros(R, np.int64), np.zeros(R)
    ya, yb = np.zeros(R), np.zeros(R)
    gap_val = np.full((2, K), np.nan)
    req = np.zeros((2, 2 * K), np.int64)
    step_k = np.zeros(K + R, np.int64)
    step_f = np.zeros((9, K + R))
    n_ties = np.zeros(R, np.int64)
    weights = np.array([salience_weight, fixed_weight], dtype=np.float64)
    moved, cl = [], None
    sizes = np.diff(offsets)
    pow2 = 2 ** np.ceil(np.log2(np.maximum(sizes, 1))).astype(np.int64)
    tree_at = np.stack([np.concatenate([[0], np.cumsum(2 * pow2)[:-1]]), pow2], axis=1).astype(np.int64)
    tree = np.full(int(2 * pow2.sum()), -np.inf)
    longest = max(int(sizes.max(initial=0)), 1)
    tree_args = (tree, tree_at, np.zeros(longest, np.int64), np.zeros(128, np.int64))
    # Decide's lists start in candidate order, every candidate once.
    dl = (np.arange(K, dtype=np.int64), np.zeros(K), sizes.astype(np.int64), np.ones(K, np.int64),
          np.ones(K, np.bool_), np.zeros(longest, np.int64), np.zeros(longest, np.int64), np.zeros(longest),
          np.zeros(longest, np.int64), np.zeros(longest, np.int64), np.zeros(longest), np.zeros(R, np.bool_),
          np.zeros(K, np.int64))
    args = (F, G, B, rec_val, rec_has, rec_sum, x0, w, sal, voting, start_next, *tree_args, *tables, offsets, touched,
            np.zeros(K, np.bool_), picks, ya, yb, unif, gap_val, req, step_k, step_f, n_ties, ctl, weights, dl)
    while (status := advance(*args)) != DONE:
        if status == NEED_SPACE:
            step_k = np.concatenate([step_k, np.zeros_like(step_k)])
            step_f = np.concatenate([step_f, np.zeros_like(step_f)], axis=1)
            args = args[:ARG_STEP_K] + (step_k, step_f) + args[ARG_STEP_K + 2:]
        elif status == NEED_GAP:
            for t in range(ctl[N_REQ]):
                k, side = int(req[0, t]), int(req[1, t])
                gap_val[side, k] = shadows[rep[k]].gap(c, k, "i" if side == 0 else "j")
        elif status == NEED_RANDOM:
            unif[:ctl[N_UNIF]] = rng.random(ctl[N_UNIF])
            ctl[UNIF_READY] = 1
        else:  # NEED_EXACT
            if cl is None:  # the candidates as Python lists: the shadow reads them one by one
                cl = Candidates(*(v.tolist() for v in (ci, cj, cp, cq, c.kappa, inner, rep)))
            for t, k in enumerate(picks[:ctl[N_PICKS]].tolist()):
                r = cl.rep[k]
                yi_d, yj_d = shadows[r].realise(cl, k, sure=B[k, B_SURE_I:B_SURE_J + 1].tolist())
                ya[t], yb[t] = float(yi_d), float(yj_d)
                moved.append((r, cl.i[k], cl.q[k]))
                moved.append((r, cl.j[k], cl.p[k]))
    exchanges = _exchanges(c, step_k[:ctl[N_STEPS]], step_f[:, :ctl[N_STEPS]], R)
    next_dec = None
    if shadows is not None:
        # The next round's start in decimals: the partial return from each moved cell's last
        # voting position (the reference computes it at every move; the last one stands).
        next_dec = [[row[:] for row in sh.x0] for sh in shadows]
        for r, a, i in set(moved):
            next_dec[r][a][i] = shadows[r].partial(a, i, shadows[r].voting[a][i], salience_weight, fixed_weight)
        start_next = np.array([[[np.nan if v is None else float(v) for v in row] for row in nd] for nd in next_dec])
    return RoundResult(voting=voting, start_next=start_next, exchanges=exchanges, n_candidates=np.diff(offsets),
                       ties=n_ties, start_next_exact=next_dec)


#: Where ``step_k`` and ``step_f`` sit in :func:`advance`'s arguments.
ARG_STEP_K = 28


def _exchanges(c, ks, f, R):
    """Per repetition the realised exchanges in order, as the reference's column dict."""
    rep = c.rep[ks]
    order = np.argsort(rep, kind="stable")
    split = np.searchsorted(rep[order], np.arange(R + 1))
    cols = {"i": c.i[ks], "j": c.j[ks], "p": c.p[ks], "q": c.q[ks], "x_i": f[S_XI], "y_i": f[S_YI],
            "x_j": f[S_XJ], "y_j": f[S_YJ], "gain": f[S_GAIN], "outcome_q0": f[S_OQ0], "outcome_q1": f[S_OQ1],
            "outcome_p0": f[S_OP0], "outcome_p1": f[S_OP1], "inner": c.inner[ks]}
    return [{key: cols[key][order[split[r]:split[r + 1]]] for key in COLUMNS} for r in range(R)]
