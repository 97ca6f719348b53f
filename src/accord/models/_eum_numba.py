"""Compiled kernel of the expected utility model: every round of many rows, one row at a time.

The same computation as :func:`accord.models._eum_core.run` (the NumPy reference), written as
loops that numba compiles: a row (one issue of one draw) plays all its rounds, with its stopping
checks, before the next row starts, so every temporary is an (n, n) matrix reused from round to
round and rows run in parallel threads. Results equal the reference to ~1e-15 (the tests ask
1e-9): the arithmetic follows the reference operation by operation, in the same order where
rounding could break a tie, and the powers x^r come from :func:`_exp` and :func:`_log` below
(fdlibm's algorithms, < 1 ulp, written so that the loops calling them vectorise).

Work per round and row, with n actors: one log per unordered pair (log d, shared by the two
actors) and one exp per ordered pair for the votes d^r of step 2; log(1 - d) and log(1 + d) per
unordered pair and two exps per ordered pair for U_s and U_f of step 3 (docs/models/eum.md).
The vote sums are prefix sums over voters sorted by position (the G(x_j) - G(x_i) separation),
so nothing is O(n^3).
"""

from __future__ import annotations


import numpy as np
from numba import njit, prange, types
from numba.extending import intrinsic

from accord.models._eum_core import NO_OFFER, Rules

_JIT = {"cache": True, "nogil": True, "error_model": "numpy", "boundscheck": False}
_FMA = dict(_JIT, fastmath={"contract"})


# -- elementary functions ------------------------------------------------------------------------

@intrinsic
def _bits(typingctx, x):
    """The IEEE bits of a float64 as an int64 (a register move, unlike a view of an array)."""
    if isinstance(x, types.Float) and x.bitwidth == 64:
        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], context.get_value_type(types.int64))
        return types.int64(types.float64), codegen
    return None


@intrinsic
def _float(typingctx, x):
    """The float64 whose IEEE bits are the int64 x."""
    if isinstance(x, types.Integer) and x.bitwidth == 64:
        def codegen(context, builder, sig, args):
            return builder.bitcast(args[0], context.get_value_type(types.float64))
        return types.float64(types.int64), codegen
    return None


_SHIFT = 6755399441055744.0  # 1.5 * 2^52: adding it rounds to an integer kept in the low bits
_SHIFT_BITS = 0x4338000000000000
_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
_LOG2E = 1.44269504088896338700e00


@njit(**_FMA)
def _exp(y):
    """exp(y) for y <= 0 (fdlibm's reduction and rational approximation, < 1 ulp); 0 below -708.

    Branch-free so that a loop over it compiles to SIMD code; exp(0) is exactly 1.
    """
    t = y * _LOG2E + _SHIFT
    k = _bits(t) - _SHIFT_BITS
    kf = t - _SHIFT
    hi = y - kf * _LN2_HI
    lo = kf * _LN2_LO
    r = hi - lo
    z = r * r
    c = r - z * (1.66666666666666019037e-01 + z * (-2.77777777770155933842e-03 + z * (
        6.61375632143793436117e-05 + z * (-1.65339022054652515390e-06 + z * 4.13813679705723846039e-08))))
    e = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    out = e * _float((k + 1023) << 52)
    return out if y >= -708.0 else 0.0


@njit(**_FMA)
def _log(x):
    """log(x) for normal x > 0 (fdlibm's algorithm, < 1 ulp); -inf at 0, NaN below. Branch-free."""
    ix = _bits(x)
    hx = (ix >> 32) + (0x3FF00000 - 0x3FE6A09E)
    k = (hx >> 20) - 0x3FF
    hx = (hx & 0x000FFFFF) + 0x3FE6A09E
    m = _float((hx << 32) | (ix & 0xFFFFFFFF))
    f = m - 1.0
    kf = _float(k + 0x4338000000000000) - _SHIFT  # k as a float without an int64 conversion
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01))
    t2 = z * (6.666666666666735130e-01 + w * (2.857142874366239149e-01 + w * (
        1.818357216161805012e-01 + w * 1.479819860511658591e-01)))
    out = s * (hfsq + t1 + t2) + kf * _LN2_LO
    out = kf * _LN2_HI - ((hfsq - out) - f)
    return out if x > 0.0 else (-np.inf if x == 0.0 else np.nan)


@njit(**_JIT)
def _block_sum(a, lo, n):
    """NumPy's pairwise summation of a[lo:lo + n] for n <= 128: eight running sums."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - n % 8:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(**_JIT)
def _pairwise_sum(a):
    """Σ a in NumPy's pairwise order, so the sum equals ``a.sum()`` bit for bit.

    NumPy halves blocks longer than 128 (at a multiple of 8) and adds the halves; the recursion
    is unrolled onto a stack here (numba's cache mishandles recursive functions).
    """
    todo = np.empty((64, 3), dtype=np.int64)  # (start, length, halves added yet?)
    vals = np.empty(64)
    todo[0, 0], todo[0, 1], todo[0, 2] = 0, a.shape[0], 0
    top = 1
    nv = 0
    while top > 0:
        top -= 1
        lo, n, phase = todo[top, 0], todo[top, 1], todo[top, 2]
        if n <= 128:
            vals[nv] = _block_sum(a, lo, n)
            nv += 1
        elif phase == 1:
            nv -= 1
            vals[nv - 1] = vals[nv - 1] + vals[nv]
        else:
            n2 = n // 2
            n2 -= n2 % 8
            todo[top, 2] = 1
            todo[top + 1, 0], todo[top + 1, 1], todo[top + 1, 2] = lo + n2, n - n2, 0
            todo[top + 2, 0], todo[top + 2, 1], todo[top + 2, 2] = lo, n2, 0
            top += 3
    return vals[0]


# -- one round of one row ------------------------------------------------------------------------

@njit(**_JIT)
def _sort(x, order):
    """Insertion sort of ``order`` by (x, index): NumPy's stable argsort, O(n) when nearly sorted."""
    n = x.shape[0]
    for i in range(1, n):
        j = order[i]
        xj = x[j]
        k = i - 1
        while k >= 0 and (x[order[k]] > xj or (x[order[k]] == xj and order[k] > j)):
            order[k + 1] = order[k]
            k -= 1
        order[k + 1] = j


@njit(**_JIT)
def _win_probability(n, d_log, r, ws, invs, cnt, all_pairs, s_t, drow, srt, dk, prob):
    """prob[p, q] = P_pq (sorted places) from votes w_k d_ka^r_k; d_log[a, k] = log d_ak.

    ``r`` None-like (r[0] < 0) means r = 1 and ``d_log`` then holds d itself. The prefix sums
    s_t[t, a] = Σ_{k < t} w_k D_ka run over voters k in sorted order, in the reference's order.
    """
    linear = r[0] < 0.0
    for a in range(n):
        s_t[0, a] = 0.0
    for k in range(n):
        rk = r[k]
        wk = ws[k]
        row = d_log[k]  # symmetric: d_log[k, a] = d_log[a, k]
        if linear:
            for a in range(n):
                drow[a] = row[a]
        else:
            for a in range(n):
                drow[a] = _exp(row[a] * rk)
        prev = s_t[k]
        nxt = s_t[k + 1]
        for a in range(n):
            nxt[a] = prev[a] + drow[a] * wk
        if all_pairs:
            # Σ_{a, a'} |D_ka - D_ka'| over involved candidates from the sorted values.
            m = 0
            for a in range(n):
                if invs[a]:
                    srt[m] = drow[a]
                    m += 1
            srt[:m].sort()
            acc = 0.0
            for i in range(m):
                acc += (2.0 * (2 * i - m + 1)) * srt[i]
            dk[k] = acc * wk
    den_all = _pairwise_sum(dk[:n]) if all_pairs else 0.0
    g = s_t[n]
    for p in range(n):
        prob[p, p] = 0.0
        for q in range(p + 1, n):
            a_pq = 0.0
            a_qp = 0.0
            if invs[p] and invs[q] and cnt[p, q] >= 0:
                t = cnt[p, q]
                left = s_t[t, q] - s_t[t, p]
                num_pq = max(left, 0.0)
                num_qp = max(left + (g[p] - g[q]), 0.0)
                den = num_pq + num_qp if not all_pairs else den_all
                if den > 0.0:
                    a_pq = num_pq / den
                    a_qp = num_qp / den
            prob[p, q] = a_pq
            prob[q, p] = a_qp


@njit(**_JIT)
def _round(x, w, s, inv, span, flags, q_sq, t_sq, order, wk, mats, cnt, ints, new_x, rec_other,
           rec_kind, rec_eu_a, rec_eu_o, rec_r):
    """One round of one row (input order in, input order out); see ``_eum_core._one_round``."""
    n = x.shape[0]
    all_pairs, scholz, printed, security = flags[0] == 1, flags[1] == 1, flags[2] == 1, flags[3] == 1
    _sort(x, order)
    xs, ws, ss, r, mu_d, danger, a_sum, b_sum, drow, srt, dk = (
        wk[0], wk[1], wk[2], wk[3], wk[4], wk[5], wk[6], wk[7], wk[8], wk[9], wk[10])
    base, logs, lm, lp, prob, s_t = mats[0], mats[1], mats[2], mats[3], mats[4], mats[5]
    invs = ints[0]
    rank = ints[1]
    for p in range(n):
        o = order[p]
        xs[p] = x[o]
        ws[p] = w[o]
        ss[p] = s[o]
        invs[p] = 1 if inv[o] else 0
        rank[o] = p
    inv_span = 1.0 / span

    # Pair geometry: base = d_pq, midpoint counts (-1 where p, q are not distinct), logs.
    for p in range(n):
        base[p, p] = 0.0
        for q in range(p + 1, n):
            b = abs(xs[q] - xs[p]) * inv_span
            base[p, q] = b
            base[q, p] = b
    k = 0
    for p in range(n):
        kk = k
        for q in range(p, n):
            mid = (xs[p] + xs[q]) * 0.5
            while kk < n and xs[kk] < mid:
                kk += 1
            if q == p:
                k = kk
            dist = xs[q] - xs[p] > 0.0
            cnt[p, q] = kk if dist else -1
            cnt[q, p] = kk if dist else -1
    for p in range(n):
        rowb = base[p]
        rowl, rowm, rowp = logs[p], lm[p], lp[p]
        for q in range(n):
            b = rowb[q]
            rowm[q] = _log(1.0 - b)
            rowp[q] = _log(1.0 + b)
        if security:
            for q in range(n):
                rowl[q] = _log(rowb[q])

    q_one = q_sq == 1.0
    if not q_one:
        cum = 0.0
        for p in range(n):
            cum += ws[p]
        target_w = cum * (0.5 - 1e-12)
        cum = 0.0
        mu = xs[0]
        for p in range(n):
            cum += ws[p]
            if cum >= target_w:
                mu = xs[p]
                break
        for p in range(n):
            mu_d[p] = abs(xs[p] - mu)

    # Risk exponents from dangers computed with r = 1.
    if security:
        r[0] = -1.0
        _win_probability(n, base, r, ws, invs, cnt, all_pairs, s_t, drow, srt, dk, prob)
        for q in range(n):
            a_sum[q] = 0.0
            b_sum[q] = 0.0
            danger[q] = 0.0
        for p in range(n):
            for q in range(n):
                bm = base[p, q] if invs[p] == 1 and invs[q] == 1 else 0.0
                a_sum[q] += bm
                b_sum[q] += bm * (1.0 - prob[p, q])
        for q in range(n):
            danger[q] = 2.0 * a_sum[q] - 4.0 * ss[q] * b_sum[q]
        if not q_one:
            c = (1.0 - q_sq) * (2.0 * t_sq - 1.0)
            for q in range(n):
                a_sum[q] = 0.0
            for p in range(n):
                for q in range(n):
                    e = (mu_d[p] + abs(xs[q] - xs[p])) * inv_span
                    a_sum[q] += e if (invs[p] == 1 and invs[q] == 1 and p != q) else 0.0
            for q in range(n):
                danger[q] -= c * a_sum[q]
        hi = -np.inf
        lo = np.inf
        for q in range(n):
            if invs[q] == 1:
                hi = max(hi, danger[q])
                lo = min(lo, danger[q])
        spread = hi - lo
        ok = np.isfinite(spread) and spread > 0.0
        for q in range(n):
            big_r = (2.0 * danger[q] - hi - lo) / spread if ok else 0.0
            big_r = min(max(big_r, -1.0), 1.0)
            r[q] = (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0)
        _win_probability(n, logs, r, ws, invs, cnt, all_pairs, s_t, drow, srt, dk, prob)
    else:
        for q in range(n):
            r[q] = 1.0
        a_sum[0] = -1.0  # r = 1: votes use the distances themselves
        _win_probability(n, base, a_sum, ws, invs, cnt, all_pairs, s_t, drow, srt, dk, prob)

    # Offers to p from every q, in p's eyes and with p's r; the best by kind, then key, then
    # input order (the reference's argmin over the actors in input order).
    us_row, gap_row = a_sum, b_sum
    for p in range(n):
        o = order[p]
        if rec_r.shape[0] > 0:
            rec_r[o] = r[p]
        new_x[o] = xs[p]
        if rec_other.shape[0] > 0:
            rec_other[o] = -1
            rec_kind[o] = NO_OFFER
            rec_eu_a[o] = np.nan
            rec_eu_o[o] = np.nan
        if invs[p] == 0:
            continue
        rp = r[p]
        half_r = 4.0 * 0.5**rp
        rowm, rowp = lm[p], lp[p]
        for q in range(n):
            us = 2.0 - half_r * _exp(rp * rowm[q])
            us_row[q] = us
            gap_row[q] = half_r * _exp(rp * rowp[q]) - (2.0 - us)
        sq_base = 2.0 - half_r
        best_kind = NO_OFFER
        best_key = np.inf
        best_j = n
        best_target = 0.0
        best_a = 0.0
        best_b = 0.0
        xp = xs[p]
        for q in range(n):
            if cnt[p, q] < 0 or invs[q] == 0:
                continue
            us = us_row[q]
            gap = gap_row[q]
            if q_one:
                sq_p = sq_base
                sq_q = sq_base
            else:
                dpq = abs(xs[q] - xp)
                sq_p = _status_quo(rp, half_r, q_sq, t_sq, mu_d[p], dpq, span)
                sq_q = _status_quo(rp, half_r, q_sq, t_sq, mu_d[q], dpq, span)
            eu_pq = us - sq_p - ss[q] * (1.0 - prob[p, q]) * gap
            eu_qp = us - sq_q - ss[p] * (1.0 - prob[q, p]) * gap
            if not eu_qp > 0.0:
                continue
            neg = -eu_pq
            if eu_pq > 0.0:
                if not eu_qp > eu_pq:
                    continue
                kind = 0
            elif eu_pq < 0.0:
                if eu_qp > neg:
                    kind = 1
                elif printed and eu_qp < neg:
                    kind = 2
                else:
                    continue
            else:
                continue
            if kind > best_kind:
                continue
            xq = xs[q]
            if kind == 1:
                target = xp + (xq - xp) * (neg / eu_qp)
                if scholz:
                    aa = abs(eu_pq)
                    bb = abs(eu_qp)
                    key = (aa * xp + bb * xq) / (aa + bb)
                else:
                    key = abs(target - xp)
            else:
                target = xq
                key = abs(xq - xp) if scholz else abs(target - xp)
            j = order[q]
            if kind < best_kind or key < best_key or (key == best_key and j < best_j):
                best_kind = kind
                best_key = key
                best_j = j
                best_target = target
                best_a = eu_pq
                best_b = eu_qp
        if best_kind != NO_OFFER:
            new_x[o] = best_target
            if rec_other.shape[0] > 0:
                rec_other[o] = best_j
                rec_kind[o] = best_kind
                rec_eu_a[o] = best_a
                rec_eu_o[o] = best_b


@njit(**_JIT)
def _status_quo(rp, half_r, q_sq, t_sq, mu_dist, dist, span):
    """Q·U_sq + (1 - Q)(T·U_b + (1 - T)·U_w), as ``_eum_core._status_quo_term``."""
    usq = 2.0 - half_r
    e = (mu_dist + dist) / span
    ub = 2.0 - 4.0 * max(0.5 - 0.25 * e, 0.0) ** rp
    uw = 2.0 - 4.0 * (0.5 + 0.25 * e) ** rp
    return q_sq * usq + (1.0 - q_sq) * (t_sq * ub + (1.0 - t_sq) * uw)


# -- every round of many rows --------------------------------------------------------------------

@njit(**_JIT)
def _play_rows(lo, hi, x0, w, s, inv, span, flags, q_sq, t_sq, rounds, tol, x_out, played,
               stopped, cycle, hist, rec_other, rec_kind, rec_eu_a, rec_eu_o, rec_r):
    """Rows lo..hi-1 through up to ``rounds`` rounds, with the reference's stopping rules."""
    n = x0.shape[1]
    record = hist.shape[0] > 0
    current = flags[4] == 1
    wk = np.empty((11, n))
    mats = np.empty((6, n + 1, n))
    cnt = np.empty((n, n), dtype=np.int64)
    ints = np.empty((2, n), dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    x = np.empty(n)
    new = np.empty(n)
    past = np.empty((rounds + 1 if tol >= 0.0 else 1, n))
    no_int = np.empty(0, dtype=np.int64)
    no_kind = np.empty(0, dtype=np.int8)
    no_float = np.empty(0)
    for b in range(lo, hi):
        inv_b = inv[b]
        for i in range(n):
            order[i] = i
            x[i] = x0[b, i]
            past[0, i] = x[i]
        sp = span[b]
        n_played = 0
        code = 0
        back = 0
        for it in range(rounds):
            if current:
                top = -np.inf
                bottom = np.inf
                for i in range(n):
                    if inv_b[i]:
                        top = max(top, x[i])
                        bottom = min(bottom, x[i])
                sp = top - bottom
                if not (np.isfinite(sp) and sp > 0.0):
                    sp = 1.0
            if record:
                _round(x, w[b], s[b], inv_b, sp, flags, q_sq, t_sq, order, wk, mats, cnt, ints, new,
                       rec_other[it, b], rec_kind[it, b], rec_eu_a[it, b], rec_eu_o[it, b], rec_r[it, b])
            else:
                _round(x, w[b], s[b], inv_b, sp, flags, q_sq, t_sq, order, wk, mats, cnt, ints, new,
                       no_int, no_kind, no_float, no_float, no_float)
            n_played += 1
            done = False
            if tol >= 0.0:
                limit = tol * sp
                step = 0.0
                for i in range(n):
                    if inv_b[i]:
                        step = max(step, abs(new[i] - x[i]))
                done = step <= limit
                for k in range(it):  # the latest match: the shortest cycle
                    far = 0.0
                    for i in range(n):
                        if inv_b[i]:
                            far = max(far, abs(new[i] - past[k, i]))
                    if far <= limit:
                        back = it + 1 - k
                if done:
                    code = 1
                    back = 0
                elif back > 0:
                    code = 2
                for i in range(n):
                    past[it + 1, i] = new[i]
            for i in range(n):
                x[i] = new[i]
            if record:
                hist[it + 1, b] = x
            if code != 0:
                break
        if record:
            for it in range(n_played, rounds):
                hist[it + 1, b] = x
                rec_other[it, b] = -1
                rec_kind[it, b] = NO_OFFER
                rec_eu_a[it, b] = np.nan
                rec_eu_o[it, b] = np.nan
                rec_r[it, b] = np.nan
            hist[0, b] = x0[b]
        x_out[b] = x
        played[b] = n_played
        stopped[b] = code
        cycle[b] = back


@njit(parallel=True, **_JIT)
def _play_parallel(n_chunks, x0, w, s, inv, span, flags, q_sq, t_sq, rounds, tol, x_out, played,
                   stopped, cycle, hist, rec_other, rec_kind, rec_eu_a, rec_eu_o, rec_r):
    n_rows = x0.shape[0]
    for c in prange(n_chunks):
        _play_rows(c * n_rows // n_chunks, (c + 1) * n_rows // n_chunks, x0, w, s, inv, span,
                   flags, q_sq, t_sq, rounds, tol, x_out, played, stopped, cycle, hist,
                   rec_other, rec_kind, rec_eu_a, rec_eu_o, rec_r)


# Below this many actor pairs in a call, one thread: starting threads costs more than it saves.
_PARALLEL_PAIRS = 20_000


def run(x0, w, s, inv, span, rules: Rules, *, rounds: int, tol: float | None, record: bool = False):
    """:func:`accord.models._eum_core.run` compiled: same arguments, same results (to ~1e-15)."""
    x0 = np.ascontiguousarray(x0, dtype=np.float64)
    w = np.ascontiguousarray(w, dtype=np.float64)
    s = np.ascontiguousarray(s, dtype=np.float64)
    inv = np.ascontiguousarray(inv, dtype=np.bool_)
    span = np.ascontiguousarray(span, dtype=np.float64)
    n_rows, n = x0.shape
    flags = np.array([
        rules.denominator == "all_pairs", rules.compromise == "scholz",
        rules.capitulation == "printed", rules.risk == "security", rules.position_range == "current",
    ], dtype=np.int64)
    x = np.empty_like(x0)
    played = np.zeros(n_rows, dtype=np.intp)
    stopped = np.zeros(n_rows, dtype=np.int8)
    cycle = np.zeros(n_rows, dtype=np.intp)
    shape = (rounds, n_rows, n) if record else (0, 0, 0)
    hist = np.empty((rounds + 1, n_rows, n) if record else (0, 0, 0))
    rec = (np.empty(shape, dtype=np.intp), np.empty(shape, dtype=np.int8), np.empty(shape),
           np.empty(shape), np.empty(shape))
    args = (x0, w, s, inv, span, flags, float(rules.q), float(rules.t), int(rounds),
            -1.0 if tol is None else float(tol), x, played, stopped, cycle, hist) + rec
    threads = _threads()
    if threads > 1 and n_rows > 1 and n_rows * n * n * max(rounds, 1) >= _PARALLEL_PAIRS:
        _play_parallel(min(n_rows, 8 * threads), *args)
    else:
        _play_rows(0, n_rows, *args)
    out = {"x": x, "rounds": played, "stopped": stopped, "cycle": cycle}
    if record:
        k = int(played.max()) if n_rows else 0
        out["history"] = [hist[i] for i in range(k + 1)]
        out["moves"] = [
            {"other": rec[0][i], "kind": rec[1][i], "eu_actor": rec[2][i], "eu_other": rec[3][i], "r": rec[4][i]}
            for i in range(k)
        ]
    return out


def _threads() -> int:
    from numba import get_num_threads

    return get_num_threads()
