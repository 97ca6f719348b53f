"""Compiled kernel of the expected utility model: every round of many rows, one row at a time.

The same computation as :func:`accord.models.eum._reference.run` (the NumPy reference), written as
loops that numba compiles: a row (one issue of one draw) plays all its rounds, with its stopping
checks, before the next row starts, so every temporary (one value per actor, or an (n, n)
matrix of which a round uses one row and column per distinct position) is reused from round to
round; rows run in parallel threads. Results equal the reference to ~1e-15 (the tests ask
1e-9): the arithmetic follows the reference operation by operation, in the same order where
rounding could break a tie, and the powers x^r come from :func:`_exp` and :func:`_log` below
(fdlibm's algorithms, < 1 ulp, written so that the loops calling them vectorise).

Work per round and row, with n actors standing on m distinct positions (m falls from n as
actors capitulate onto each other's positions; ~n/3 on average over 20 rounds of random
scenarios): one log d, log(1 - d) and log(1 + d) per unordered pair of positions; one exp per
actor and position for the votes d^r of step 2 (docs/models/eum.md); for the offers of step 3,
each receiver looks at the positions nearest to its own first and stops at the nearest
confrontation (the best offer of ~90 % of receivers), two exps (U_s, U_f) per position looked
at. The vote sums are prefix sums over voters sorted by position (the G(x_j) - G(x_i)
separation), so nothing is O(n^3).
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit, prange, types
from numba.extending import intrinsic

from accord.models.eum._reference import EU_TIE, KEY_TIE, NO_OFFER, Rules

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
#
# Actors that stand on the same position (they do more and more: capitulations and confrontations
# move an actor onto another's position) share every quantity that depends on positions only.
# A round therefore works on the m distinct positions ("groups": runs of equal positions in
# sorted order) wherever it can: distances and their logs per pair of groups (O(m^2)), the vote
# sums and the risk exponents' dangers per actor and group (O(n m)), U_s and U_f per receiver and
# group it looks at (the exps). A receiver looks at the groups nearest to its own first and stops
# at the nearest confrontation, the best offer of most receivers (see _offers). Every value is
# computed from the same operands by the same operations as per pair of actors, so the results
# are bit for bit those of a pair-by-pair computation (and of the NumPy engine to ~1e-15).

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
def _groups(n, xs, gid, gx, gs):
    """Runs of equal positions in sorted order: gid[p], the group of place p, gx[g] its position,
    gs[g] its first place (gs[m] = n); returns m, the number of groups."""
    m = 0
    for p in range(n):
        if p == 0 or xs[p] != xs[p - 1]:
            gx[m] = xs[p]
            gs[m] = p
            m += 1
        gid[p] = m - 1
    gs[m] = n
    return m


@njit(**_JIT)
def _votes(n, m, gid, gbase, glog, r, linear, ws, invs, n_in, all_pairs, s_g, drow, dk, ke):
    """Prefix sums s_g[u, h] = Σ_k w_k D_kh over the voters k of the first u groups (added one by
    one in sorted order, the reference's order of additions), for every group h, with D_kh =
    d_kh if ``linear`` else exp(r_k log d_kh). Returns the all-pairs denominator
    Σ_k w_k Σ_{a, a'} |D_ka - D_ka'| over actors a, a' (0 if not ``all_pairs``): the m-th
    smallest of voter k's N values enters with weight 2(2m - N + 1), and as D_ka grows with
    |x_a - x_k|, merging the actors left and right of k sorts them in O(n).
    """
    for h in range(m):
        s_g[0, h] = 0.0
    for k in range(n):
        wk = ws[k]
        gk = gid[k] & _NN
        first = k == 0 or gid[k - 1] != gk
        nxt = s_g[gk + 1]
        if linear:
            row = gbase[gk]
            for h in range(m):
                drow[h] = row[h]
        else:
            lrow = glog[gk]
            rk = r[k]
            for h in range(m):
                drow[h] = _exp(lrow[h] * rk, ke)
        # The first voter of group gk adds to the sums up to group gk - 1, the others in place
        # (two loops: one over two arrays that may be one would not vectorise).
        if first:
            prev = s_g[gk]
            for h in range(m):
                nxt[h] = prev[h] + drow[h] * wk
        else:
            for h in range(m):
                nxt[h] += drow[h] * wk
        if all_pairs:
            bk = gbase[gk]
            acc = 0.0
            i = 0
            if invs[k] == 1:
                acc += (2.0 * (2 * i - n_in + 1)) * drow[gk]
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
                gl = gid[max(left, 0)] & _NN
                gr = gid[min(right, n - 1)] & _NN
                if right >= n or (left >= 0 and bk[gl] <= bk[gr]):
                    v = drow[gl]
                    left -= 1
                else:
                    v = drow[gr]
                    right += 1
                acc += (2.0 * (2 * i - n_in + 1)) * v
                i += 1
            dk[k] = acc * wk
    return _pairwise_sum(dk[:n]) if all_pairs else 0.0


@njit(**_JIT)
def _win_probability(m, s_g, den_all, all_pairs, u_g, prob, prob_t):
    """prob[g, h]: the probability that an actor at group g wins against one at group h (0 when
    no vote is cast), and prob_t, its transpose; an actor's own group and uninvolved actors are
    masked by the callers.

    For g < h the positive votes for g come from the voters of the u_gh = u_g[g, h] groups left
    of the midpoint: S_h(u) - S_g(u); those for h, (G_g - G_h) + the same (docs/models/eum.md).
    Rows are written left to right (no stores down a column) and the lower triangles mirrored
    after.
    """
    big = s_g[m]
    for g in range(m):
        row = prob[g]
        col = prob_t[g]
        ur = u_g[g]
        gg = big[g]
        for h in range(g + 1, m):
            h = h & _NN
            u = ur[h] & _NN
            left = s_g[u, h] - s_g[u, g]
            nu = max(left, 0.0)
            nd = max(left + (gg - big[h]), 0.0)
            den = den_all if all_pairs else nu + nd
            ok = den > 0.0
            row[h] = nu / den if ok else 0.0
            col[h] = nd / den if ok else 0.0
    for g in range(m):
        prob[g, g] = 0.0
        prob_t[g, g] = 0.0
        for h in range(g):
            prob[g, h] = prob_t[h, g]
            prob_t[g, h] = prob[h, g]


@njit(**_JIT)
def _danger(n, m, gid, gbase, invs, ss, prob, acc_a, acc_b, danger):
    """Σ_k EU(k challenges i) with r = 1 (docs/models/eum.md, step 1). The sums over challengers
    k depend on i's position only: one per group, adding the challengers in sorted order as the
    reference does (an uninvolved challenger or one on i's position adds an exact 0)."""
    for h in range(m):
        acc_a[h] = 0.0
        acc_b[h] = 0.0
    for k in range(n):
        if invs[k] == 1:
            gk = gid[k] & _NN
            row = gbase[gk]
            pr = prob[gk]
            for h in range(m):
                acc_a[h] += row[h]
            for h in range(m):
                acc_b[h] += row[h] * (1.0 - pr[h])
    for q in range(n):
        g = gid[q] & _NN
        a = acc_a[g] if invs[q] == 1 else 0.0
        b = acc_b[g] if invs[q] == 1 else 0.0
        danger[q] = 2.0 * a - 4.0 * ss[q] * b


@njit(**_JIT)
def _classify(eu_a, eu_b, printed):
    """Offer kind from the receiver's EU_ij (a) and EU_ji (b): 0 confrontation, 1 compromise,
    2 capitulation, 3 none (NO_OFFER); the reference's boolean algebra, branch-free."""
    loses = eu_b > EU_TIE
    conf = loses & (eu_a > EU_TIE) & (eu_b > eu_a + EU_TIE)
    yields = loses & (eu_a < -EU_TIE)
    comp = yields & (eu_b >= -eu_a - EU_TIE)
    cap = printed & yields & (eu_b < -eu_a - EU_TIE)
    return 3 - 3 * np.int64(conf) - 2 * np.int64(comp) - np.int64(cap)


@njit(**_JIT)
def _status_quo(rp, half_r, q_sq, t_sq, mu_dist, dist, span):
    """Q·U_sq + (1 - Q)(T·U_b + (1 - T)·U_w), as ``_eum_core._status_quo_term``."""
    usq = 2.0 - half_r
    e = (mu_dist + dist) / span
    ub = 2.0 - 4.0 * max(0.5 - 0.25 * e, 0.0) ** rp
    uw = 2.0 - 4.0 * (0.5 + 0.25 * e) ** rp
    return q_sq * usq + (1.0 - q_sq) * (t_sq * ub + (1.0 - t_sq) * uw)


@njit(inline="always", **_JIT)  # a call with this many arguments costs more than the work
def _group_terms(h, r_r, h_r, s_r, x_r, mu_r, lm, lp, p_rs, p_sr, gx, mu_g, q_one, q_sq, t_sq,
                 span, ke):
    """For receiver R and a sender in group h: U_s - (status quo term) of EU_R(RS), the gap
    U_s - U_f, 1 - P_RS, and EU_R(SR) (which does not depend on the sender's salience)."""
    us = 2.0 - h_r * _exp(r_r * lm[h], ke)
    gap = h_r * _exp(r_r * lp[h], ke) - (2.0 - us)
    if q_one:
        ua = us - (2.0 - h_r)
        ub = ua
    else:
        dist = abs(gx[h] - x_r)
        ua = us - _status_quo(r_r, h_r, q_sq, t_sq, mu_r, dist, span)
        ub = us - _status_quo(r_r, h_r, q_sq, t_sq, mu_g[h], dist, span)
    return ua, gap, 1.0 - p_rs[h], ub - (s_r * (1.0 - p_sr[h])) * gap


@njit(**_JIT)
def _offers(n, m, xs, ss, r, half, order, gid, gs, gx, mu_g, invs, glm, glp, prob, prob_t, q_sq,
            t_sq, span, scholz, printed, best_kind, best_j, best_x, best_a, best_b, ke):
    """Every actor's best offer. Receiver R judges sender S's offer by its own EU_R(RS) (a) and
    EU_R(SR) (b) with its exponent r_R: U_s and U_f need (1 - d)^r_R and (1 + d)^r_R, which,
    like everything but S's salience, depend on S's group only (:func:`_group_terms`). The
    best offer has the lowest kind, then the lowest key (the distance moved, or Scholz's
    weighted position for a compromise), then the lowest input index of its sender. The sender,
    target and utilities are written only where there is an offer (``_write`` reads no others)."""
    q_one = q_sq == 1.0
    tie = KEY_TIE * span
    for R in range(n):
        best_kind[R] = NO_OFFER
        if invs[R] == 0:
            continue
        g_r = gid[R] & _NN
        r_r, h_r, s_r, x_r = r[R], half[R], ss[R], xs[R]
        lm, lp, p_rs, p_sr = glm[g_r], glp[g_r], prob[g_r], prob_t[g_r]
        mu_r = mu_g[g_r]
        # Senders' groups in order of distance from R's, both sides at equal distances. The
        # best offer is a confrontation for ~90 % of receivers (random scenarios, 20 rounds),
        # and a confrontation's key is the distance, so once one is found only groups at the
        # same distance remain to be seen: most receivers look at one or two groups.
        b_kind = NO_OFFER
        b_j = n
        b_key = np.inf
        b_x = b_a = b_b = 0.0
        b_d = np.inf
        left = g_r - 1
        right = g_r + 1
        while True:
            d_l = x_r - gx[left & _NN] if left >= 0 else np.inf
            d_r = gx[right & _NN] - x_r if right < m else np.inf
            d = min(d_l, d_r)
            if d == np.inf or d > b_d:
                break
            for side in range(2):
                if side == 0:
                    if d_l != d:
                        continue
                    h = left & _NN
                    left -= 1
                else:
                    if d_r != d:
                        continue
                    h = right & _NN
                    right += 1
                ua, gap, omp, eb = _group_terms(h, r_r, h_r, s_r, x_r, mu_r, lm, lp, p_rs, p_sr,
                                                gx, mu_g, q_one, q_sq, t_sq, span, ke)
                if not eb > EU_TIE:  # R does not expect to lose against this group: no offer
                    continue
                x_s = gx[h]
                for S in range(gs[h], gs[h + 1]):
                    S = S & _NN
                    if invs[S] == 0:
                        continue
                    ea = ua - (ss[S] * omp) * gap
                    kind = _classify(ea, eb, printed)
                    if kind > b_kind or kind == NO_OFFER:
                        continue
                    ratio = -ea / eb if kind == 1 else 1.0
                    comp = ratio < 1.0
                    tgt = x_r + (x_s - x_r) * ratio if comp else x_s
                    if kind == 1 and scholz:
                        aa = abs(ea)
                        bb = abs(eb)
                        key = (aa * x_r + bb * x_s) / (aa + bb)
                    else:
                        key = abs(tgt - x_r)
                    j = order[S]
                    if (kind < b_kind) | (key < b_key - tie) | ((key <= b_key + tie) & (j < b_j)):
                        b_kind, b_key, b_j, b_x, b_a, b_b = kind, key, j, tgt, ea, eb
                    if kind == 0:
                        # A group's places run in input order (the sort is stable), so its
                        # first confrontation is its best offer.
                        b_d = d
                        break
        best_kind[R] = b_kind
        if b_kind != NO_OFFER:
            best_j[R] = b_j
            best_x[R] = b_x
            best_a[R] = b_a
            best_b[R] = b_b


@njit(**_JIT)
def _round(x, w, s, inv, span, flags, q_sq, t_sq, order, ws_, cf, ci):
    """One round of one row (input order in, ``new_x`` etc. in input order out), as
    ``_eum_core._one_round``: actors sorted by position, grouped by equal positions."""
    vec, gvec, mats, ivec = ws_
    n = x.shape[0]
    ke, kl = _constants(cf, ci)
    all_pairs, scholz, printed, security = flags[0] == 1, flags[1] == 1, flags[2] == 1, flags[3] == 1
    _sort(x, order)
    xs, ws, ss, r, half, mu_d, danger, dk = vec[:8]
    best_x, best_a, best_b = vec[8:11]
    gx, mu_g, acc_a, acc_b, drow = gvec
    gbase, glog, glm, glp, prob, prob_t, s_g, u_g = mats
    invs, best_kind, best_j, u_col, gid, gs = ivec
    n_in = 0
    for p in range(n):
        o = order[p]
        xs[p] = x[o]
        ws[p] = w[o]
        ss[p] = s[o]
        invs[p] = 1 if inv[o] else 0
        n_in += invs[p]
    inv_span = 1.0 / span
    m = _groups(n, xs, gid, gx, gs)

    # Per pair of groups: d = |x_h - x_g| / range, log d for the votes d^r, log(1 - d) and
    # log(1 + d) for U_s and U_f (each once and mirrored: |x_h - x_g| = |x_g - x_h| exactly), and
    # u_gh, the groups left of the midpoint (x_g + x_h) / 2.
    for g in range(m):
        row = gbase[g]
        xg = gx[g]
        for h in range(m):
            row[h] = abs(gx[h] - xg) * inv_span
    for g in range(m):
        row = gbase[g]
        if security:
            lr = glog[g]
            for h in range(g, m):
                lr[h] = _log(row[h], kl)
        lr = glm[g]
        for h in range(g, m):
            lr[h] = _log(1.0 - row[h], kl)
        lr = glp[g]
        for h in range(g, m):
            lr[h] = _log(1.0 + row[h], kl)
    for g in range(m):
        for h in range(g):
            if security:
                glog[g, h] = glog[h, g]
            glm[g, h] = glm[h, g]
            glp[g, h] = glp[h, g]
    for h in range(m, m + 4):
        gx[h] = np.inf  # sentinels for the midpoint counts
    for h in range(m):
        u_col[h] = 0
    for g in range(m - 1):
        xg = gx[g]
        ur = u_g[g]
        # u_gh is at least u_(g-1)h (the midpoint only moves right with g) and seldom more than
        # 3 above it: count 4 groups branch-free and walk on only when all 4 are left of it.
        # Each h is then independent of the last.
        for h in range(g + 1, m):
            h = h & _NN
            mid = (xg + gx[h]) * 0.5
            k = u_col[h] & _NN
            c = ((gx[k] < mid) + (gx[k + 1] < mid)) + ((gx[k + 2] < mid) + (gx[k + 3] < mid))
            k += c
            if c == 4:
                while k < m and gx[k] < mid:
                    k += 1
            u_col[h] = k
            ur[h] = k

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
        for g in range(m):
            mu_g[g] = abs(gx[g] - mu)

    if security:
        # Risk exponents from the dangers with r = 1 (no exp or log: bit for bit the reference).
        den_all = _votes(n, m, gid, gbase, glog, r, True, ws, invs, n_in, all_pairs, s_g, drow, dk, ke)
        _win_probability(m, s_g, den_all, all_pairs, u_g, prob, prob_t)
        _danger(n, m, gid, gbase, invs, ss, prob, acc_a, acc_b, danger)
        if not q_one:
            c = (1.0 - q_sq) * (2.0 * t_sq - 1.0)
            for q in range(n):
                dk[q] = 0.0
            for p in range(n):
                for q in range(n):
                    e = (mu_d[p] + abs(xs[q] - xs[p])) * inv_span
                    dk[q] += e if (invs[p] == 1) & (invs[q] == 1) & (p != q) else 0.0
            for q in range(n):
                danger[q] -= c * dk[q]
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
        den_all = _votes(n, m, gid, gbase, glog, r, False, ws, invs, n_in, all_pairs, s_g, drow, dk, ke)
    else:
        for q in range(n):
            r[q] = 1.0
        den_all = _votes(n, m, gid, gbase, glog, r, True, ws, invs, n_in, all_pairs, s_g, drow, dk, ke)
    _win_probability(m, s_g, den_all, all_pairs, u_g, prob, prob_t)
    for p in range(n):
        half[p] = 4.0 * 0.5 ** r[p]
    _offers(n, m, xs, ss, r, half, order, gid, gs, gx, mu_g, invs, glm, glp, prob, prob_t, q_sq,
            t_sq, span, scholz, printed, best_kind, best_j, best_x, best_a, best_b, ke)


@njit(**_JIT)
def _write(x, order, ws_, new_x, rec_other, rec_kind, rec_eu_a, rec_eu_o, rec_r):
    """The round's results back in input order (and, when recording, who moved how)."""
    vec, gvec, mats, ivec = ws_
    xs, r = vec[0], vec[3]
    best_x, best_a, best_b = vec[8:11]
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
    vec = (np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n),
           np.empty(n), np.empty(n), np.empty(n), np.empty(n))
    # gx (the first) ends in four +inf sentinels for the midpoint counts.
    gvec = (np.full(n + 4, np.inf), np.empty(n), np.empty(n), np.empty(n), np.empty(n))
    mats = (np.empty((n, n)), np.empty((n, n)), np.empty((n, n)), np.empty((n, n)),
            np.empty((n, n)), np.empty((n, n)), np.empty((n + 1, n)), np.empty((n, n), dtype=np.int64))
    ivec = (np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64),
            np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), np.empty(n + 1, dtype=np.int64))
    return vec, gvec, mats, ivec


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
    """:func:`accord.models.eum._reference.run` compiled: same arguments, same results (to ~1e-15)."""
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
    threads = get_num_threads()
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

