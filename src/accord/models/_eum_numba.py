"""Compiled kernel of the expected utility model: every round of many rows, one row at a time.

The same computation as :func:`accord.models._eum_core.run` (the NumPy reference), written as
loops that numba compiles: a row (one issue of one draw) plays all its rounds, with its stopping
checks, before the next row starts, so every temporary (an (n, n) matrix, or one value per
unordered pair of actors, stored row after row) is reused from round to round; rows run in
parallel threads. Results equal the reference to ~1e-15 (the tests ask
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


# Indices masked with _NN are known to be >= 0, so numba's negative-index wrap-around (a select
# per access) disappears and loops starting at p + 1 or at an index read from an array compile to
# SIMD code (unmasked, such loops ran scalar at ~4x the cost).
_NN = 0x7FFFFFFFFFFFFFFF

# The constants of _exp and _log reach them as run-time values (see _constants): numba compiles
# for LLVM's large code model, in which every literal constant is re-materialised inside each loop
# (an address load and a broadcast per constant per iteration); values loaded once before a loop
# stay in registers, which makes a loop of exps or logs ~25 % faster with the same operations,
# so the results are bit for bit those of the literal constants.
_CONST_F = np.array([
    # _exp: log2(e), 1.5 * 2^52 (adding it rounds to an integer kept in the low bits), ln 2 in a
    # high and a low part, fdlibm's rational approximation P1..P5, 1, 2, the underflow limit, 0
    1.44269504088896338700e00, 6755399441055744.0, 6.93147180369123816490e-01,
    1.90821492927058770002e-10, 1.66666666666666019037e-01, -2.77777777770155933842e-03,
    6.61375632143793436117e-05, -1.65339022054652515390e-06, 4.13813679705723846039e-08, 1.0,
    2.0, -708.0, 0.0,
    # _log: fdlibm's Lg2, Lg4, Lg6, Lg1, Lg3, Lg5, Lg7, 0.5, -inf, NaN
    3.999999999940941908e-01, 2.222219843214978396e-01, 1.531383769920937332e-01,
    6.666666666666735130e-01, 2.857142874366239149e-01, 1.818357216161805012e-01,
    1.479819860511658591e-01, 0.5, -np.inf, np.nan,
])
_CONST_I = np.array([
    0x4338000000000000, 1023,  # the bits of 1.5 * 2^52, the exponent bias
    0x3FF00000 - 0x3FE6A09E, 0x3FF, 0x000FFFFF, 0x3FE6A09E, 0xFFFFFFFF,  # _log's bit masks
], dtype=np.int64)


@njit(**_JIT)
def _constants(cf, ci):
    """_exp's and _log's constants as two tuples of values (from _CONST_F and _CONST_I)."""
    ke = (cf[0], cf[1], cf[2], cf[3], cf[4], cf[5], cf[6], cf[7], cf[8], cf[9], cf[10], cf[11],
          cf[12], ci[0], ci[1])
    kl = (cf[2], cf[3], cf[1], cf[13], cf[14], cf[15], cf[16], cf[17], cf[18], cf[19], cf[20],
          cf[9], cf[10], cf[12], cf[21], cf[22], ci[2], ci[3], ci[4], ci[5], ci[6], ci[0])
    return ke, kl


@njit(**_FMA)
def _exp(y, ke):
    """exp(y) for y <= 0 (fdlibm's reduction and rational approximation, < 1 ulp); 0 below -708.

    Branch-free so that a loop over it compiles to SIMD code; exp(0) is exactly 1. ``ke``: the
    constants from :func:`_constants`.
    """
    log2e, shift, ln2_hi, ln2_lo, p1, p2, p3, p4, p5, one, two, limit, zero, shift_bits, bias = ke
    t = y * log2e + shift
    k = _bits(t) - shift_bits
    kf = t - shift
    hi = y - kf * ln2_hi
    lo = kf * ln2_lo
    r = hi - lo
    z = r * r
    c = r - z * (p1 + z * (p2 + z * (p3 + z * (p4 + z * p5))))
    e = one - ((lo - (r * c) / (two - c)) - hi)
    out = e * _float((k + bias) << 52)
    return out if y >= limit else zero


@njit(**_FMA)
def _log(x, kl):
    """log(x) for normal x > 0 (fdlibm's algorithm, < 1 ulp); -inf at 0, NaN below. Branch-free.
    ``kl``: the constants from :func:`_constants`."""
    (ln2_hi, ln2_lo, shift, lg2, lg4, lg6, lg1, lg3, lg5, lg7, half, one, two, zero, ninf, nan,
     c1, c2, c3, c4, c5, shift_bits) = kl
    ix = _bits(x)
    hx = (ix >> 32) + c1
    k = (hx >> 20) - c2
    hx = (hx & c3) + c4
    m = _float((hx << 32) | (ix & c5))
    f = m - one
    kf = _float(k + shift_bits) - shift  # k as a float without an int64 conversion
    hfsq = half * f * f
    s = f / (two + f)
    z = s * s
    w = z * z
    t1 = w * (lg2 + w * (lg4 + w * lg6))
    t2 = z * (lg1 + w * (lg3 + w * (lg5 + w * lg7)))
    out = s * (hfsq + t1 + t2) + kf * ln2_lo
    out = kf * ln2_hi - ((hfsq - out) - f)
    return out if x > zero else (ninf if x == zero else nan)


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
    """``order`` sorted by (x, index), i.e. NumPy's stable argsort: insertion sort from last
    round's order for few actors (O(n) when nearly sorted), merge sort for many (an actor that
    loses a confrontation can jump across all others: O(n^2) for insertion)."""
    n = x.shape[0]
    if n > 32:
        order[:] = np.argsort(x, kind="mergesort")
        return
    for i in range(1, n):
        j = order[i]
        xj = x[j]
        k = i - 1
        while k >= 0 and (x[order[k]] > xj or (x[order[k]] == xj and order[k] > j)):
            order[k + 1] = order[k]
            k -= 1
        order[k + 1] = j


@njit(**_JIT)
def _votes(n, base, lb, start, r, linear, ws, invs, n_in, all_pairs, s_t, drow, tmp, dk, ke):
    """Prefix sums s_t[t, a] = Σ_{k < t} w_k D_ka over voters k in sorted order (the reference's
    order of additions), with D_ka = d_ka if ``linear`` else exp(r_k log d_ka) (log d from the
    packed ``lb``). Returns the all-pairs denominator Σ_k w_k Σ_{a, a'} |D_ka - D_ka'| (0 if
    not ``all_pairs``): the m-th smallest of voter k's N values enters with weight
    2(2m - N + 1), and as D_ka grows with |x_a - x_k|, merging the actors left and right of k
    sorts them in O(n).
    """
    for a in range(n):
        s_t[0, a] = 0.0
    for k in range(n):
        wk = ws[k]
        prev = s_t[k]
        nxt = s_t[k + 1]
        # One array per branch (not one name for either): loops over a name bound to one of two
        # arrays do not vectorise.
        if linear:
            row = base[k]
            for a in range(n):
                drow[a] = row[a]
        else:
            for a in range(k):
                tmp[a] = lb[(start[a] + k - a - 1) & _NN]
            tmp[k] = -np.inf
            sk = start[k] - k - 1
            for a in range(k + 1, n):
                tmp[a & _NN] = lb[(sk + a) & _NN]
            rk = r[k]
            for a in range(n):
                drow[a] = _exp(tmp[a] * rk, ke)
        d = drow
        for a in range(n):
            nxt[a] = prev[a] + d[a] * wk
        if all_pairs:
            bk = base[k]
            acc = 0.0
            i = 0
            if invs[k] == 1:
                acc += (2.0 * (2 * i - n_in + 1)) * d[k]
                i += 1
            left = k - 1
            right = k + 1
            while True:
                while left >= 0 and invs[left] == 0:
                    left -= 1
                while right < n and invs[right] == 0:
                    right += 1
                if left < 0 and right >= n:
                    break
                if right >= n or (left >= 0 and bk[left] <= bk[right]):
                    v = d[left]
                    left -= 1
                else:
                    v = d[right]
                    right += 1
                acc += (2.0 * (2 * i - n_in + 1)) * v
                i += 1
            dk[k] = acc * wk
    return _pairwise_sum(dk[:n]) if all_pairs else 0.0


@njit(**_JIT)
def _win_probability(n, s_t, den_all, all_pairs, start, valid, t_pk, p_up, p_dn):
    """P_pq into p_up[i] and P_qp into p_dn[i] for the pair i = (p, q), p < q (packed), 0 unless
    the pair is ``valid`` (both involved, distinct positions) and some vote is cast.

    The positive votes for p against q come from the t_pq = t_pk[i] voters left of the
    midpoint: S_q(t) - S_p(t); for q against p, (G_p - G_q) + the same (docs/models/eum.md).
    """
    g = s_t[n]
    for p in range(n - 1):
        s0 = start[p] - p - 1  # packed index of (p, q) is s0 + q
        gp = g[p]
        for q in range(p + 1, n):  # gathers: scalar
            i = (s0 + q) & _NN
            q = q & _NN
            t = t_pk[i] & _NN
            left = s_t[t, q] - s_t[t, p]
            p_up[i] = max(left, 0.0)
            p_dn[i] = max(left + (gp - g[q]), 0.0)
    for i in range(p_up.shape[0]):  # divisions: one long SIMD loop
        nu = p_up[i]
        nd = p_dn[i]
        den = den_all if all_pairs else nu + nd
        ok = valid[i] & (den > 0.0)
        p_up[i] = nu / den if ok else 0.0
        p_dn[i] = nd / den if ok else 0.0


@njit(**_JIT)
def _danger(n, base, invs, ss, start, p_up, p_dn, acc_a, acc_b, danger):
    """Σ_k EU(k challenges i) with r = 1 (docs/models/eum.md, step 1), adding the challengers in
    sorted order as the reference does, so the values are bit for bit the reference's."""
    for q in range(n):
        acc_a[q] = 0.0
        acc_b[q] = 0.0
    for p in range(n):
        ok_p = invs[p] == 1
        row = base[p]
        s0 = start[p] - p - 1
        for q in range(p + 1, n):  # p challenges q
            i = (s0 + q) & _NN
            q = q & _NN
            bm = row[q] if ok_p & (invs[q] == 1) else 0.0
            acc_a[q] += bm
            acc_b[q] += bm * (1.0 - p_up[i])
        sa = acc_a[p]
        sb = acc_b[p]
        for q in range(p + 1, n):  # q challenges p
            i = (s0 + q) & _NN
            q = q & _NN
            bm = row[q] if ok_p & (invs[q] == 1) else 0.0
            sa += bm
            sb += bm * (1.0 - p_dn[i])
        acc_a[p] = sa
        acc_b[p] = sb
    for q in range(n):
        danger[q] = 2.0 * acc_a[q] - 4.0 * ss[q] * acc_b[q]


@njit(**_JIT)
def _classify(eu_a, eu_b, printed):
    """Offer kind from the receiver's EU_ij (a) and EU_ji (b): 0 confrontation, 1 compromise,
    2 capitulation, 3 none (NO_OFFER); the reference's boolean algebra, branch-free."""
    loses = eu_b > 0.0
    conf = loses & (eu_a > 0.0) & (eu_b > eu_a)
    yields = loses & (eu_a < 0.0)
    comp = yields & (eu_b > -eu_a)
    cap = printed & yields & (eu_b < -eu_a)
    return 3 - 3 * np.int64(conf) - 2 * np.int64(comp) - np.int64(cap)


@njit(**_JIT)
def _status_quo(rp, half_r, q_sq, t_sq, mu_dist, dist, span):
    """Q·U_sq + (1 - Q)(T·U_b + (1 - T)·U_w), as ``_eum_core._status_quo_term``."""
    usq = 2.0 - half_r
    e = (mu_dist + dist) / span
    ub = 2.0 - 4.0 * max(0.5 - 0.25 * e, 0.0) ** rp
    uw = 2.0 - 4.0 * (0.5 + 0.25 * e) ** rp
    return q_sq * usq + (1.0 - q_sq) * (t_sq * ub + (1.0 - t_sq) * uw)


_BLOCK = 128  # pairs per block of the offers: the block's ~20 scratch arrays stay in L1


@njit(**_JIT)
def _offers(n, xs, ss, r, half, order, pp, qq, b_pk, p_up, p_dn, valid, q_sq, t_sq, mu_d, span,
            scholz, printed, blk, kinds, best_kind, best_key, best_j, best_x, best_a, best_b, ke, kl):
    """Every actor's best offer. For the pair i = (p, q), p < q: in p's eyes (r_p) EU_p(pq) and
    EU_p(qp) decide q's offer to p; in q's eyes (r_q) EU_q(qp) and EU_q(pq) decide p's offer to
    q. U_s and U_f need (1 - d)^r and (1 + d)^r. Pairs go in blocks through short loops over
    separate arrays, each of which compiles to SIMD code."""
    (rpb, rqb, hpb, hqb, lm, lp, e1, e2, e3, e4, ea_p, eb_p, ea_q, eb_q, xpb, xqb, spb, sqb, a_b,
     c_b) = blk
    q_one = q_sq == 1.0
    for p in range(n):
        best_kind[p] = NO_OFFER
        best_key[p] = np.inf
        best_j[p] = n
        best_x[p] = 0.0
        best_a[p] = 0.0
        best_b[p] = 0.0
    n_pairs = pp.shape[0]
    cur = -1
    bk, bkey, bj, bx, ba, bb = NO_OFFER, np.inf, n, 0.0, 0.0, 0.0
    for i0 in range(0, n_pairs, _BLOCK):
        m = min(_BLOCK, n_pairs - i0)
        # The actors' values for the block's pairs: row p of the packed pairs is (p, p+1..n-1).
        j = 0
        while j < m:
            p = pp[(i0 + j) & _NN] & _NN
            q0 = qq[(i0 + j) & _NN]
            ln = min(n - q0, m - j)
            rv, hv, xv, sv = r[p], half[p], xs[p], ss[p]
            for u in range(ln):
                rpb[(j + u) & _NN] = rv
                hpb[(j + u) & _NN] = hv
                xpb[(j + u) & _NN] = xv
                spb[(j + u) & _NN] = sv
            for u in range(ln):
                rqb[(j + u) & _NN] = r[(q0 + u) & _NN]
                hqb[(j + u) & _NN] = half[(q0 + u) & _NN]
            for u in range(ln):
                xqb[(j + u) & _NN] = xs[(q0 + u) & _NN]
                sqb[(j + u) & _NN] = ss[(q0 + u) & _NN]
            j += ln
        # s_q (1 - P_pq) and s_p (1 - P_qp); NaN where no offer can follow (NaN fails every test).
        for j in range(m):
            i = (i0 + j) & _NN
            a_b[j] = sqb[j] * (1.0 - p_up[i]) if valid[i] else np.nan
        for j in range(m):
            i = (i0 + j) & _NN
            c_b[j] = spb[j] * (1.0 - p_dn[i]) if valid[i] else np.nan
        for j in range(m):
            lm[j] = _log(1.0 - b_pk[(i0 + j) & _NN], kl)
        for j in range(m):
            lp[j] = _log(1.0 + b_pk[(i0 + j) & _NN], kl)
        for j in range(m):
            e1[j] = _exp(rpb[j] * lm[j], ke)
        for j in range(m):
            e2[j] = _exp(rpb[j] * lp[j], ke)
        for j in range(m):
            e3[j] = _exp(rqb[j] * lm[j], ke)
        for j in range(m):
            e4[j] = _exp(rqb[j] * lp[j], ke)
        if q_one:
            for j in range(m):
                h = hpb[j]
                us = 2.0 - h * e1[j]
                ea_p[j] = us - (2.0 - h) - a_b[j] * (h * e2[j] - (2.0 - us))
            for j in range(m):
                h = hpb[j]
                us = 2.0 - h * e1[j]
                eb_p[j] = us - (2.0 - h) - c_b[j] * (h * e2[j] - (2.0 - us))
            for j in range(m):
                h = hqb[j]
                us = 2.0 - h * e3[j]
                ea_q[j] = us - (2.0 - h) - c_b[j] * (h * e4[j] - (2.0 - us))
            for j in range(m):
                h = hqb[j]
                us = 2.0 - h * e3[j]
                eb_q[j] = us - (2.0 - h) - a_b[j] * (h * e4[j] - (2.0 - us))
        else:
            for j in range(m):
                p = pp[(i0 + j) & _NN] & _NN
                q = qq[(i0 + j) & _NN] & _NN
                dpq = abs(xs[q] - xs[p])
                h = hpb[j]
                rp = rpb[j]
                us = 2.0 - h * e1[j]
                gap = h * e2[j] - (2.0 - us)
                ea_p[j] = us - _status_quo(rp, h, q_sq, t_sq, mu_d[p], dpq, span) - a_b[j] * gap
                eb_p[j] = us - _status_quo(rp, h, q_sq, t_sq, mu_d[q], dpq, span) - c_b[j] * gap
                h = hqb[j]
                rq = rqb[j]
                us = 2.0 - h * e3[j]
                gap = h * e4[j] - (2.0 - us)
                ea_q[j] = us - _status_quo(rq, h, q_sq, t_sq, mu_d[q], dpq, span) - c_b[j] * gap
                eb_q[j] = us - _status_quo(rq, h, q_sq, t_sq, mu_d[p], dpq, span) - a_b[j] * gap
        for j in range(m):
            kinds[j] = _classify(ea_p[j], eb_p[j], printed) + 4 * _classify(ea_q[j], eb_q[j], printed)
        # Where each offer would take its receiver (e1, e3) and the key that ranks it (e2, e4):
        # the distance moved, or Scholz's weighted position for a compromise.
        tgt_p, key_p, tgt_q, key_q = e1, e2, e3, e4
        for j in range(m):
            comp = (kinds[j] & 3) == 1
            xp = xpb[j]
            tgt_p[j] = xp + (xqb[j] - xp) * (-ea_p[j] / eb_p[j]) if comp else xqb[j]
        for j in range(m):
            comp = (kinds[j] >> 2) == 1
            xq = xqb[j]
            tgt_q[j] = xq + (xpb[j] - xq) * (-ea_q[j] / eb_q[j]) if comp else xpb[j]
        if scholz:
            for j in range(m):
                a = abs(ea_p[j])
                b = abs(eb_p[j])
                comp = (kinds[j] & 3) == 1
                key_p[j] = (a * xpb[j] + b * xqb[j]) / (a + b) if comp else abs(xqb[j] - xpb[j])
            for j in range(m):
                a = abs(ea_q[j])
                b = abs(eb_q[j])
                comp = (kinds[j] >> 2) == 1
                key_q[j] = (a * xqb[j] + b * xpb[j]) / (a + b) if comp else abs(xpb[j] - xqb[j])
        else:
            for j in range(m):
                key_p[j] = abs(tgt_p[j] - xpb[j])
            for j in range(m):
                key_q[j] = abs(tgt_q[j] - xqb[j])
        # Keep each receiver's best offer: lower kind, then lower key, then lower input index
        # (the reference's argmin over actors in input order). Receiver p's offers from its own
        # row are kept in registers; q's are scattered.
        for j in range(m):
            i = (i0 + j) & _NN
            p = pp[i] & _NN
            if p != cur:
                if cur >= 0:
                    best_kind[cur], best_key[cur], best_j[cur] = bk, bkey, bj
                    best_x[cur], best_a[cur], best_b[cur] = bx, ba, bb
                cur = p
                bk, bkey, bj = best_kind[p], best_key[p], best_j[p]
                bx, ba, bb = best_x[p], best_a[p], best_b[p]
            k = kinds[j]
            q = qq[i] & _NN
            kp = k & 3
            key = key_p[j]
            jq = order[q]
            if (kp != NO_OFFER) & ((kp < bk) | ((kp == bk) & ((key < bkey) | ((key == bkey) & (jq < bj))))):
                bk, bkey, bj, bx, ba, bb = kp, key, jq, tgt_p[j], ea_p[j], eb_p[j]
            kq = k >> 2
            key = key_q[j]
            jp = order[p]
            ck = best_kind[q]
            ckey = best_key[q]
            if (kq != NO_OFFER) & ((kq < ck) | ((kq == ck) & ((key < ckey) | ((key == ckey) & (jp < best_j[q]))))):
                best_kind[q] = kq
                best_key[q] = key
                best_j[q] = jp
                best_x[q] = tgt_q[j]
                best_a[q] = ea_q[j]
                best_b[q] = eb_q[j]
    if cur >= 0:
        best_kind[cur], best_key[cur], best_j[cur] = bk, bkey, bj
        best_x[cur], best_a[cur], best_b[cur] = bx, ba, bb


@njit(**_JIT)
def _round(x, w, s, inv, span, flags, q_sq, t_sq, order, ws_, cf, ci):
    """One round of one row (input order in, ``new_x`` etc. in input order out), as
    ``_eum_core._one_round``: actors sorted by position; pair quantities once per unordered
    pair of sorted places p < q, stored packed row after row (pair i = (pp[i], qq[i]))."""
    vec, mats, ivec, packed, pk_int, blk, valid, start = ws_
    n = x.shape[0]
    ke, kl = _constants(cf, ci)
    all_pairs, scholz, printed, security = flags[0] == 1, flags[1] == 1, flags[2] == 1, flags[3] == 1
    _sort(x, order)
    xs, ws, ss, r, half, mu_d, acc_a, acc_b, drow, dk, danger, tmp = vec[:12]
    best_key, best_x, best_a, best_b = vec[12:16]
    base, s_t = mats
    b_pk, lb_pk, p_up, p_dn = packed
    pp, qq, t_pk = pk_int
    invs, best_kind, best_j, kinds, t_col = ivec
    n_in = 0
    for p in range(n):
        o = order[p]
        xs[p] = x[o]
        ws[p] = w[o]
        ss[p] = s[o]
        invs[p] = 1 if inv[o] else 0
        n_in += invs[p]
    inv_span = 1.0 / span

    # d_pq = |x_q - x_p| / range (a full matrix for the votes, packed for the pairs), its log
    # for the votes d^r, and which pairs can vote against each other and make offers.
    for p in range(n):
        row = base[p]
        xp = xs[p]
        for q in range(n):
            row[q] = abs(xs[q] - xp) * inv_span
    for q in range(n):
        t_col[q] = 0
    for p in range(n - 1):
        row = base[p]
        s0 = start[p] - p - 1
        ok_p = invs[p] == 1
        xp = xs[p]
        for q in range(p + 1, n):
            i = (s0 + q) & _NN
            q = q & _NN
            b_pk[i] = row[q]
            valid[i] = ok_p & (invs[q] == 1) & (xs[q] > xp)
        # t_pq: voters left of the midpoint (x_p + x_q) / 2. It is at least t_(p-1)q (the
        # midpoint only moves right with p) and seldom more than 3 above it: count 4 places
        # branch-free (xs ends in +inf sentinels) and walk on only when all 4 are left of it.
        # Each q is then independent of the last (a pointer along q stalls on mispredictions).
        for q in range(p + 1, n):
            q = q & _NN
            mid = (xp + xs[q]) * 0.5
            k = t_col[q] & _NN
            c = ((xs[k] < mid) + (xs[k + 1] < mid)) + ((xs[k + 2] < mid) + (xs[k + 3] < mid))
            k += c
            if c == 4:
                while k < n and xs[k] < mid:
                    k += 1
            t_col[q] = k
            t_pk[(s0 + q) & _NN] = k
    n_pairs = pp.shape[0]
    if security:
        for i in range(n_pairs):
            lb_pk[i] = _log(b_pk[i], kl)

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

    if security:
        # Risk exponents from the dangers with r = 1 (no exp or log: bit for bit the reference).
        den_all = _votes(n, base, lb_pk, start, r, True, ws, invs, n_in, all_pairs, s_t, drow, tmp, dk, ke)
        _win_probability(n, s_t, den_all, all_pairs, start, valid, t_pk, p_up, p_dn)
        _danger(n, base, invs, ss, start, p_up, p_dn, acc_a, acc_b, danger)
        if not q_one:
            c = (1.0 - q_sq) * (2.0 * t_sq - 1.0)
            for q in range(n):
                acc_a[q] = 0.0
            for p in range(n):
                for q in range(n):
                    e = (mu_d[p] + abs(xs[q] - xs[p])) * inv_span
                    acc_a[q] += e if (invs[p] == 1) & (invs[q] == 1) & (p != q) else 0.0
            for q in range(n):
                danger[q] -= c * acc_a[q]
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
        den_all = _votes(n, base, lb_pk, start, r, False, ws, invs, n_in, all_pairs, s_t, drow, tmp, dk, ke)
    else:
        for q in range(n):
            r[q] = 1.0
        den_all = _votes(n, base, lb_pk, start, r, True, ws, invs, n_in, all_pairs, s_t, drow, tmp, dk, ke)
    _win_probability(n, s_t, den_all, all_pairs, start, valid, t_pk, p_up, p_dn)
    for p in range(n):
        half[p] = 4.0 * 0.5 ** r[p]
    _offers(n, xs, ss, r, half, order, pp, qq, b_pk, p_up, p_dn, valid, q_sq, t_sq, mu_d, span,
            scholz, printed, blk, kinds, best_kind, best_key, best_j, best_x, best_a, best_b, ke, kl)


@njit(**_JIT)
def _write(x, order, ws_, new_x, rec_other, rec_kind, rec_eu_a, rec_eu_o, rec_r):
    """The round's results back in input order (and, when recording, who moved how)."""
    vec, mats, ivec, packed, pk_int, blk, valid, start = ws_
    xs, r = vec[0], vec[3]
    best_key, best_x, best_a, best_b = vec[12:16]
    best_kind, best_j = ivec[1], ivec[2]
    record = rec_other.shape[0] > 0
    for p in range(x.shape[0]):
        o = order[p]
        moves = best_kind[p] != NO_OFFER
        new_x[o] = best_x[p] if moves else xs[p]
        if record:
            rec_r[o] = r[p]
            rec_other[o] = best_j[p] if moves else -1
            rec_kind[o] = best_kind[p]
            rec_eu_a[o] = best_a[p] if moves else np.nan
            rec_eu_o[o] = best_b[p] if moves else np.nan


# -- every round of many rows --------------------------------------------------------------------

@njit(**_JIT)
def _workspace(n):
    """Scratch arrays of one thread. Each is its own allocation, not a row of a shared one: LLVM
    vectorises a loop over several arrays only when it can tell them apart."""
    # xs (the first) ends in four +inf sentinels for the midpoint counts.
    xs = np.full(n + 4, np.inf)
    vec = (xs, np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n),
           np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n),
           np.empty(n), np.empty(n), np.empty(n), np.empty(n))
    mats = (np.empty((n, n)), np.empty((n + 1, n)))
    ivec = (np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64),
            np.empty(_BLOCK, dtype=np.int64), np.empty(n, dtype=np.int64))
    n_pairs = n * (n - 1) // 2
    packed = (np.empty(n_pairs), np.empty(n_pairs), np.empty(n_pairs), np.empty(n_pairs))
    pp = np.empty(n_pairs, dtype=np.int64)
    qq = np.empty(n_pairs, dtype=np.int64)
    start = np.empty(n + 1, dtype=np.int64)
    i = 0
    for p in range(n):
        start[p] = i
        for q in range(p + 1, n):
            pp[i] = p
            qq[i] = q
            i += 1
    start[n] = i
    b = _BLOCK
    blk = (np.empty(b), np.empty(b), np.empty(b), np.empty(b), np.empty(b), np.empty(b),
           np.empty(b), np.empty(b), np.empty(b), np.empty(b), np.empty(b), np.empty(b),
           np.empty(b), np.empty(b), np.empty(b), np.empty(b), np.empty(b), np.empty(b),
           np.empty(b), np.empty(b))
    valid = np.empty(n_pairs, dtype=np.bool_)
    t_pk = np.empty(n_pairs, dtype=np.int64)
    return vec, mats, ivec, packed, (pp, qq, t_pk), blk, valid, start


@njit(**_JIT)
def _play_rows(lo, hi, x0, w, s, inv, span, flags, q_sq, t_sq, rounds, tol, x_out, played,
               stopped, cycle, hist, rec_other, rec_kind, rec_eu_a, rec_eu_o, rec_r, cf, ci):
    """Rows lo..hi-1 through up to ``rounds`` rounds, with the reference's stopping rules."""
    n = x0.shape[1]
    record = hist.shape[0] > 0
    current = flags[4] == 1
    ws_ = _workspace(n)
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
                _round(x, w[b], s[b], inv_b, sp, flags, q_sq, t_sq, order, ws_, cf, ci)
                _write(x, order, ws_, new, rec_other[it, b], rec_kind[it, b], rec_eu_a[it, b],
                       rec_eu_o[it, b], rec_r[it, b])
            else:
                _round(x, w[b], s[b], inv_b, sp, flags, q_sq, t_sq, order, ws_, cf, ci)
                _write(x, order, ws_, new, no_int, no_kind, no_float, no_float, no_float)
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
                   stopped, cycle, hist, rec_other, rec_kind, rec_eu_a, rec_eu_o, rec_r, cf, ci):
    n_rows = x0.shape[0]
    for c in prange(n_chunks):
        _play_rows(c * n_rows // n_chunks, (c + 1) * n_rows // n_chunks, x0, w, s, inv, span,
                   flags, q_sq, t_sq, rounds, tol, x_out, played, stopped, cycle, hist,
                   rec_other, rec_kind, rec_eu_a, rec_eu_o, rec_r, cf, ci)


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
            -1.0 if tol is None else float(tol), x, played, stopped, cycle, hist) + rec + (_CONST_F, _CONST_I)
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
