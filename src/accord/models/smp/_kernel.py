"""Compiled SMP run: every turn of :func:`accord.models.smp._reference.run` in one numba kernel.

The NumPy reference (:mod:`accord.models.smp._reference`, :mod:`accord.models.smp.votes`) spends
most of a small run on NumPy's per-call overhead: a few hundred array operations per turn on
13 × 13 × 13 tensors. Here the whole run — assessment, challenges, bargains, resolution,
ideals, stopping rule and win probabilities — is one call of scalar loops, so a 13-actor run
costs well under a millisecond of compiled code and the wrapper's Python is what is left.

Every floating-point operation is the reference's, in the same order: sums that KTAB (and the
reference, through ``seqsum``) accumulates actor by actor are accumulated here in the same loop
order, products and quotients are written with the same association, and no ``fastmath`` flag
lets LLVM reorder or contract them. Terms the reference adds as exact zeros (third parties who
are principals, moved positions in the status-quo column) are skipped, which changes no bit.
The one exception is the ideal-point update with an accommodation matrix: the reference uses a
BLAS matrix product, here it is a loop in KTAB's order, so runs with lagging ideals agree to
rounding (~1e-16 per turn) rather than bit for bit.

Stochastic transitions draw ``rng.random(n)`` once per turn that has bargains, exactly as the
reference does, from the caller's Generator (numba shares its bit generator's state).
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, njit, prange, types
from numba.extending import overload

from accord.errors import ModelError
from accord.models.smp import _reference as core
from accord.models.smp.votes import PCE_MODELS, VICTORY_MODELS, VOTING_RULES

# No fastmath: the order of operations is the result. NumPy's error model: x/0 gives inf or nan
# as in the reference, and without Python's zero-division check the loops vectorise.
_JIT = {"cache": True, "nogil": True, "boundscheck": False, "error_model": "numpy"}

# codes: positions in the name tuples of the reference modules
_PROPORTIONAL, _ASYM = VOTING_RULES.index("proportional"), VOTING_RULES.index("asym_prosp")
_BINARY_RULE, _PROP_BIN = VOTING_RULES.index("binary"), VOTING_RULES.index("prop_bin")
_PROP_CBC, _CUBIC = VOTING_RULES.index("prop_cbc"), VOTING_RULES.index("cubic")
_LINEAR, _SQUARE, _QUARTIC, _OCTIC, _BINARY_VPM = (VICTORY_MODELS.index(k) for k in VICTORY_MODELS)
_CONDITIONAL, _MARKOV_INCENTIVE, _MARKOV_UNIFORM = (PCE_MODELS.index(k) for k in PCE_MODELS)
_STOCHASTIC = core.STATE_TRANSITIONS.index("stochastic")
_NO_COMMIT, _SEMI_COMMIT, _FULL_COMMIT = (core.THIRD_PARTY_COMMIT.index(k) for k in core.THIRD_PARTY_COMMIT)
_S1P1, _S2P2, _S2PMAX = (core.BARGAIN_INTERPOLATION.index(k) for k in core.BARGAIN_INTERPOLATION)
_INIT_ONLY, _INIT_RCVR, _PW_COMP = (core.BARGAIN_MODELS.index(k) for k in core.BARGAIN_MODELS)
_R_MIN, _R_MID, _R_MAX = (core.BIG_R_RANGE.index(k) for k in core.BIG_R_RANGE)
_ADJ_NONE, _ADJ_THIRD, _ADJ_HALF, _ADJ_TWO_THIRDS, _ADJ_FULL = (core.BIG_R_ADJUST.index(k) for k in core.BIG_R_ADJUST)

# switch vector: rule, victory, pce, transition, commit, interpolation, bargain model, R range, R adjust
_SW_FIELDS = (
    ("voting_rule", VOTING_RULES, "voting rule"),
    ("victory_prob_model", VICTORY_MODELS, "victory probability model"),
    ("pce_model", PCE_MODELS, "PCE model"),
    ("state_transition", core.STATE_TRANSITIONS, "state transition"),
    ("third_party_commit", core.THIRD_PARTY_COMMIT, "third-party commitment"),
    ("bargain_interpolation", core.BARGAIN_INTERPOLATION, "bargain interpolation"),
    ("bargain_model", core.BARGAIN_MODELS, "bargain model"),
    ("big_r_range", core.BIG_R_RANGE, "big-R range"),
    ("big_r_adjust", core.BIG_R_ADJUST, "big-R adjustment"),
)
_PROBABILITIES = ("none", "last", "all")
_STOPPED = ("rounds", "converged")


def switch_codes(sw: core.Switches) -> np.ndarray:
    """The switches as the kernel's integer codes (ModelError for a name the model lacks)."""
    codes = []
    for field, names, label in _SW_FIELDS:
        value = getattr(sw, field)
        if value not in names:
            raise ModelError(f"{label} {value!r} not supported; choose one of {', '.join(names)}")
        codes.append(names.index(value))
    return np.array(codes, dtype=np.int64)


# -- votes and elections (kmodel.cpp) ------------------------------------------------------------

@njit(inline="always", **_JIT)
def _challenge_gain(s_ij, s_ji, uki, ukj, sal):
    """(P(i beats j), the expected change of k's utility when i challenges j), from the summed
    votes for each side, k's utilities of i's and j's positions and j's salience sum (KTAB's
    challenge assessment; k = i for the challenger's own view)."""
    u_win = uki + uki
    p_ij = s_ij / (s_ij + s_ji)
    p_ji = s_ji / (s_ij + s_ji)
    eu_contest = p_ij * u_win + p_ji * (ukj + ukj)
    eu_challenge = (1 - sal) * u_win + sal * eu_contest
    return p_ij, eu_challenge - (uki + ukj)


@njit(**_JIT)
def _vote(rule, w, ua, ub):
    """:func:`accord.models.smp.votes.vote` for scalars."""
    du = ua - ub
    if rule == _PROPORTIONAL:
        return w * du
    r_bin = min(max(du / 1e-8, -1.0), 1.0)
    if rule == _BINARY_RULE:
        return w * r_bin
    if rule == _PROP_BIN:
        return w * ((1 - 0.2) * du + 0.2 * r_bin)
    cubic = du * du * du
    if rule == _PROP_CBC:
        return w * ((1 - 0.5) * du + 0.5 * cubic)
    if rule == _CUBIC:
        return w * cubic
    if du < 0.0:  # asym_prosp
        return w * du
    if du > 0.0:
        return (2.0 * w * du) / 3.0
    return 0.0


@njit(**_JIT)
def _victory(model, s1, s2):
    """:func:`accord.models.smp.votes.victory_pair` for scalars: (P(1 wins), P(2 wins))."""
    if model == _LINEAR:
        x1, x2 = s1, s2
    elif model == _SQUARE:
        x1, x2 = s1 * s1, s2 * s2
    elif model == _QUARTIC:
        x1, x2 = s1 * s1 * s1 * s1, s2 * s2 * s2 * s2
    elif model == _OCTIC:
        q1, q2 = s1 * s1 * s1 * s1, s2 * s2 * s2 * s2
        x1, x2 = q1 * q1, q2 * q2
    else:
        thresh, min_x = 1.10, 1e-6
        if s1 >= thresh * s2:
            x1, x2 = 1.0, min_x
        elif s2 >= thresh * s1:
            x1, x2 = min_x, 1.0
        else:
            r12 = s1 / (s1 + s2)
            p12 = (r12 * (thresh + 1.0) - 1.0) / (thresh - 1.0)
            x1, x2 = p12, 1 - p12
    return x1 / (x1 + x2), x2 / (x1 + x2)


@njit(**_JIT)
def _victory_matrix(model, c):
    """:func:`accord.models.smp.votes.victory_matrix`: pv[a, b] = P(a beats b), pv[a, a] = 1/2."""
    m = c.shape[0]
    pv = np.empty((m, m))
    for a in range(m):
        for b in range(m):
            if a == b:
                pv[a, b] = 0.5
            elif model == _BINARY_VPM and a < b:  # KTAB computes the pair once, from the lower triangle
                pv[a, b] = _victory(model, c[b, a], c[a, b])[1]
            else:
                pv[a, b] = _victory(model, c[a, b], c[b, a])[0]
    return pv


@njit(**_JIT)
def _pv(model, a, b, cab, cba):
    """P(a beats b) from the coalitions c[a, b], c[b, a] (a != b), as :func:`_victory_matrix`."""
    if model == _LINEAR:
        return cab / (cab + cba)
    if model == _BINARY_VPM and a < b:
        return _victory(model, cba, cab)[1]
    return _victory(model, cab, cba)[0]


@njit(**_JIT)
def _election(u, cols, m, w, rule, vpm, pce, p, ws):
    """:func:`accord.models.smp.votes.scalar_pce` for one election; True if it converged.

    Voters are the rows of ``u``; option r is column ``cols[r]`` (r < m). Writes P(option r
    wins) into ``p[:m]``. ``ws`` (2, ≥ m, ≥ m) is scratch space, reused between elections.
    """
    nv = u.shape[0]
    # KTAB scans the pairs a > b once: a positive vote v_k(a:b) backs a, a negative one b. For
    # every rule but asym_prosp that equals scanning (b, a) too, as v_k(b:a) = -v_k(a:b) exactly.
    # pro[a, b] = c[a, b] and con[a, b] = c[b, a] for a > b, each summed over k in order.
    if m == 2 and rule == _PROPORTIONAL and pce == _CONDITIONAL and vpm == _LINEAR:
        # KTAB's defaults for two options (most of resolve's elections): the general code's
        # operations below, in its order, without its loops
        c0, c1 = cols[0], cols[1]
        pro1, con1 = 1e-8, 1e-8
        for k in range(nv):
            v = w[k] * (u[k, c1] - u[k, c0])
            pro1 += max(v, 0.0)
            con1 += max(-v, 0.0)
        p0 = 0.5 * (con1 / (con1 + pro1))
        p1 = (pro1 / (pro1 + con1)) * 0.5
        total = p0 + p1
        p[0] = p0 / total
        p[1] = p1 / total
        return True
    pro, con = ws[0], ws[1]
    for a in range(m):
        for b in range(a):
            pro[a, b] = 1e-8
            con[a, b] = 1e-8
    # voter k's utilities of the options, gathered into p (written only at the end) so that the
    # loops over b read contiguous memory and vectorise
    for k in range(nv):
        wk, uk = w[k], u[k]
        for r in range(m):
            p[r] = uk[cols[r]]
        for a in range(1, m):
            ua = p[a]
            if rule == _PROPORTIONAL:
                for b in range(a):
                    v = wk * (ua - p[b])
                    pro[a, b] += max(v, 0.0)
                    con[a, b] += max(-v, 0.0)
            else:
                for b in range(a):
                    v = _vote(rule, wk, ua, p[b])
                    pro[a, b] += max(v, 0.0)
                    con[a, b] += max(-v, 0.0)
    if pce == _CONDITIONAL:  # P(a) ∝ Π_b P(a beats b), the product taken in b order
        total = 0.0
        for a in range(m):
            prod = 1.0
            for b in range(m):
                if a > b:
                    prod *= _pv(vpm, a, b, pro[a, b], con[a, b])
                elif a < b:
                    prod *= _pv(vpm, a, b, con[b, a], pro[b, a])
                else:
                    prod *= 0.5
            p[a] = prod
            total = prod if a == 0 else total + prod
        for a in range(m):
            p[a] = p[a] / total
        return True
    c = np.empty((m, m))
    for a in range(m):
        c[a, a] = 1e-8
        for b in range(a):
            c[a, b] = pro[a, b]
            c[b, a] = con[a, b]
    pv = _victory_matrix(vpm, c)
    q = np.empty(m)
    for a in range(m):
        p[a] = 1.0 / m
    if pce == _MARKOV_UNIFORM:
        for _ in range(1000):
            change = 0.0
            for a in range(m):
                s = pv[a, 0] * (p[a] + p[0])
                for b in range(1, m):
                    s += pv[a, b] * (p[a] + p[b])
                q[a] = s / m
            for a in range(m):
                change = max(change, abs(q[a] - p[a]))
            for a in range(m):
                p[a] = (p[a] + q[a]) / 2.0
            if not change > 1e-6:
                return True
        return False
    challenge = np.empty((m, m))  # markov_incentive
    for a in range(m):
        for b in range(m):
            challenge[a, b] = c[a, b] * pv[a, b] + (1e-10 if a == b else 0.0)
    for b in range(m):
        s = challenge[0, b]
        for a in range(1, m):
            s += challenge[a, b]
        for a in range(m):
            challenge[a, b] = challenge[a, b] / s
    ct = np.empty((m, m))
    for _ in range(1000):
        for a in range(m):
            for b in range(m):
                ct[a, b] = p[a] * challenge[b, a]
        change = 0.0
        for a in range(m):
            s = pv[a, 0] * (ct[a, 0] + ct[0, a])
            for b in range(1, m):
                s += pv[a, b] * (ct[a, b] + ct[b, a])
            q[a] = s
        for a in range(m):
            change = max(change, abs(q[a] - p[a]))
        for a in range(m):
            p[a] = (p[a] + q[a]) / 2.0
        if not change > 1e-8:
            return True
    return False


# -- scratch space: allocated once per batch of runs, not in every turn ---------------------------
# (a turn made ~20 small allocations; at 15 actors malloc, free and numba's reference counting of
# the new arrays were ~15 % of a Monte Carlo draw)
@njit(**_JIT)
def _padded(n):
    """n rounded up to a multiple of 8: the challenges' loop over targets runs in whole vectors
    of AVX-512's 8 doubles (at 15 actors, 2 vector passes instead of one and 7 scalar steps)."""
    return (n + 7) // 8 * 8


@njit(**_JIT)
def _scratch(n, d):
    """Work arrays for every turn of runs with n actors and d dimensions (at most 2n bargains)."""
    nb = 2 * n
    f = (np.zeros((n, _padded(n))), np.zeros((n, _padded(n))), np.empty(n), np.empty((2, n, n)), np.empty(d * n),  # assess
         np.empty(n), np.empty(d), np.empty(d), np.empty((6, _padded(n))),  # propose
         np.empty(d * 2 * nb), np.empty(n * 2 * nb), np.empty((n, nb + 1)), np.empty(nb), np.empty(nb + 1),
         np.empty((2, nb + 1, nb + 1)),  # resolve
         np.empty(n), np.empty((n, n)), np.empty(n))  # win probabilities
    npad = _padded(n)
    f = f + (np.empty((10, n * npad)), np.empty((4, npad)))  # _challenges_default
    i = (np.empty(n, np.int64), np.zeros(n, np.int64), np.empty((n, nb + 1), np.int64), np.empty(n, np.int64))
    b = (np.empty((n, n), np.bool_), np.empty(n, np.bool_), np.empty(n, np.bool_), np.empty((n, nb), np.bool_))
    return f, i, b


# -- one state: distances, risk attitudes, utility estimates -------------------------------------
# (explicit loops rather than array expressions and slice assignments throughout: the results
# are the same, and numba compiles loops in a fraction of the time)

@njit(**_JIT)
def _copy(src, dst):
    """dst[i, k] = src[i, k] for 2-d arrays of one shape."""
    for i in range(src.shape[0]):
        for k in range(src.shape[1]):
            dst[i, k] = src[i, k]


@njit(**_JIT)
def _by_dimension(x, buf):
    """x (n, d) as a contiguous (d, n) array in ``buf`` (at least n·d long)."""
    out = buf[:x.shape[0] * x.shape[1]].reshape((x.shape[1], x.shape[0]))
    for i in range(x.shape[0]):
        for k in range(x.shape[1]):
            out[k, i] = x[i, k]
    return out


@njit(**_JIT)
def _distances(ideal, sal, ss2, pts, out):
    """KTAB's ``bvDiff``: out[i, j], actor i's weighted distance to point j; ``pts`` (d, m).

    Points are passed by dimension so that the loops over them are contiguous (and vectorise):
    each out[i, j] is still Σ_k (s_ik (x̂_ik − x_jk))² added in dimension order.
    """
    n = ideal.shape[0]
    d, m = pts.shape
    for i in range(n):
        o = out[i]
        for k in range(d):
            x, w, row = ideal[i, k], sal[i, k], pts[k]
            if k == 0:
                for j in range(m):
                    e = (x - row[j]) * w
                    o[j] = e * e
            else:
                for j in range(m):
                    e = (x - row[j]) * w
                    o[j] = o[j] + e * e
        q = ss2[i]
        for j in range(m):
            o[j] = np.sqrt(o[j] / q)


@njit(**_JIT)
def _assess(pos, ideal, sal, ss2, cap, sw, util, risk, scr):
    """:func:`accord.models.smp._reference.assess`: fills risk (n,) and util A[h, i, j] (n, n, n)."""
    n = pos.shape[0]
    dist, neutral, p, ws, pts = scr[0][0], scr[0][1], scr[0][2], scr[0][3], scr[0][4]
    cols = scr[1][0]
    _distances(ideal, sal, ss2, _by_dimension(pos, pts), dist)
    for i in range(n):
        cols[i] = i
        for j in range(n):
            neutral[i, j] = 1 - dist[i, j]
    if not _election(neutral, cols, n, cap, sw[0], sw[1], sw[2], p, ws):
        return False
    p_min, p_max = p[0], p[0]
    for i in range(1, n):
        p_min, p_max = min(p_min, p[i]), max(p_max, p[i])
    p_min, p_max = min(1.0, p_min), max(0.0, p_max)
    span = p_max - p_min
    for i in range(n):
        if span == 0:
            risk[i] = 0.0
        elif sw[7] == _R_MIN:
            risk[i] = (p[i] - p_min) / span
        elif sw[7] == _R_MID:
            risk[i] = (3 * p[i] - (p_max + 2 * p_min)) / (2 * span)
        else:
            risk[i] = (2 * p[i] - (p_max + p_min)) / span
    adjust = sw[8]
    for h in range(n):
        rh = risk[h]
        for i in range(n):
            ri = risk[i]
            if adjust == _ADJ_NONE:
                e = rh
            elif adjust == _ADJ_THIRD:
                e = ((2.0 * rh) + ri) / 3.0
            elif adjust == _ADJ_HALF:
                e = (rh + ri) / 2
            elif adjust == _ADJ_TWO_THIRDS:
                e = (rh + (2.0 * ri)) / 3.0
            else:
                e = ri
            out, di, near = util[h, i], dist[i], neutral[i]
            # bsUtil, written as a select so that the loop vectorises; over the padded row in
            # whole vectors (dist and neutral are 0 past n: util's padding stays finite)
            for j in range(util.shape[2]):
                d = di[j]
                out[j] = near[j] * ((1 + d * e) if d <= 1 else (1 + e))
    return True


# -- challenges and bargains (smp.cpp) -----------------------------------------------------------

@njit(**_JIT)
def _challenge(util, h, k, i, j, w, sal_sum, rule, commit):
    """:func:`accord.models.smp._reference._challenge` for one (h, k, i, j): (P(i beats j), E[Δu_k])."""
    a = util[h]
    n = a.shape[0]
    ci = _vote(rule, w[i], a[i, i], a[i, j])
    cj = _vote(rule, w[j], a[j, i], a[j, j])
    c_ij = (1e-10 + max(ci, 0.0)) + max(cj, 0.0)
    c_ji = (1e-10 - min(ci, 0.0)) - min(cj, 0.0)
    s_ij, s_ji = c_ij, c_ji
    for t in range(n):
        if t == i or t == j:  # principals vote 0 here, and adding 0 changes nothing
            continue
        uni, unj, unn = a[t, i], a[t, j], a[t, t]
        cn = _vote(rule, w[t], uni, unj)
        cni = c_ij + max(cn, 0.0)
        cnj = c_ji - min(cn, 0.0)
        pin = cni / (cni + cnj)
        pjn = 1.0 - pin
        twice_i, twice_j = uni + uni, unj + unj
        if commit == _SEMI_COMMIT:
            u_ik_j = (pin * (twice_i + unn)) + (pjn * (twice_j + unj))
            u_i_jk = (pin * (twice_i + uni)) + (pjn * (twice_j + unn))
        elif commit == _FULL_COMMIT:
            u_ik_j = (pin * (twice_i + uni)) + (pjn * (twice_j + unj))
            u_i_jk = (pin * (twice_i + uni)) + (pjn * (twice_j + unj))
        else:
            u_ik_j = (pin * (twice_i + unn)) + (pjn * (twice_j + unn))
            u_i_jk = (pin * (twice_i + unn)) + (pjn * (twice_j + unn))
        vn = _vote(rule, w[t], u_ik_j, u_i_jk)
        s_ij += max(vn, 0.0)
        s_ji -= min(vn, 0.0)
    return _challenge_gain(s_ij, s_ji, a[k, i], a[k, j], sal_sum[j])


@njit(**_JIT)
def _challenges(util, i, w, sal_sum, rule, commit, c_ij, c_ji, s_ij, s_ji, p_out, g_out):
    """:func:`accord.models.smp._reference.all_challenges` for initiator i (h = k = i), every target j.

    The third-party loop runs outside the loop over targets, so each target's coalitions are
    still summed over third parties in order while the targets vectorise. Fills p_out and
    g_out (n,); entry i is meaningless.
    """
    a = util[i]
    n, npad = a.shape[0], a.shape[1]  # targets past n are padding (util's rows are padded)
    uii, wi = a[i, i], w[i]
    for j in range(n):
        ci = _vote(rule, wi, uii, a[i, j])
        cj = _vote(rule, w[j], a[j, i], a[j, j])
        c_ij[j] = (1e-10 + max(ci, 0.0)) + max(cj, 0.0)
        c_ji[j] = (1e-10 - min(ci, 0.0)) - min(cj, 0.0)
        s_ij[j] = c_ij[j]
        s_ji[j] = c_ji[j]
    for j in range(n, npad):  # finite values the padding lanes compute with, never read
        c_ij[j] = c_ji[j] = s_ij[j] = s_ji[j] = 1.0
    for t in range(n):
        if t == i:
            continue
        row = a[t]
        uni, unn, wt = row[i], row[t], w[t]
        twice_i = uni + uni
        if rule == _PROPORTIONAL and commit == _SEMI_COMMIT:  # KTAB's defaults, branch-free
            for j in range(npad):
                unj = row[j]
                cn = wt * (uni - unj)
                cni = c_ij[j] + max(cn, 0.0)
                cnj = c_ji[j] - min(cn, 0.0)
                pin = cni / (cni + cnj)
                pjn = 1.0 - pin
                twice_j = unj + unj
                vn = wt * (((pin * (twice_i + unn)) + (pjn * (twice_j + unj)))
                           - ((pin * (twice_i + uni)) + (pjn * (twice_j + unn))))
                third = t != j  # the target votes 0 here, and adding 0 changes nothing
                s_ij[j] += max(vn, 0.0) if third else 0.0
                s_ji[j] -= min(vn, 0.0) if third else 0.0
            continue
        for j in range(n):
            unj = row[j]
            cn = _vote(rule, wt, uni, unj)
            cni = c_ij[j] + max(cn, 0.0)
            cnj = c_ji[j] - min(cn, 0.0)
            pin = cni / (cni + cnj)
            pjn = 1.0 - pin
            twice_j = unj + unj
            if commit == _SEMI_COMMIT:
                u_ik_j = (pin * (twice_i + unn)) + (pjn * (twice_j + unj))
                u_i_jk = (pin * (twice_i + uni)) + (pjn * (twice_j + unn))
            elif commit == _FULL_COMMIT:
                u_ik_j = (pin * (twice_i + uni)) + (pjn * (twice_j + unj))
                u_i_jk = u_ik_j
            else:
                u_ik_j = (pin * (twice_i + unn)) + (pjn * (twice_j + unn))
                u_i_jk = u_ik_j
            vn = _vote(rule, wt, u_ik_j, u_i_jk)
            third = t != j
            s_ij[j] += max(vn, 0.0) if third else 0.0
            s_ji[j] -= min(vn, 0.0) if third else 0.0
    for j in range(n):
        p_out[j], g_out[j] = _challenge_gain(s_ij[j], s_ji[j], uii, a[i, j], sal_sum[j])


@njit(**_JIT)
def _challenges_default(util, w, sal_sum, flat, keep):
    """:func:`_challenges` for every initiator at once, with KTAB's default voting rule and
    third-party commitment: P(i beats j) and i's expected gain in ``flat[7]``, ``flat[8]`` at
    i * npad + j.

    The same sums in the same order (each (i, j) over third parties t in order). A third party's
    votes are computed initiator by initiator (row i of util[i, t] read in place, u_ti and u_tt
    held as scalars: copying them out into 240-entry arrays first cost a quarter of the
    challenges at 15 actors), then added to the sums in one pass over all (i, j) pairs each
    (merging those passes into the row loop defeats vectorisation). A third party who is the
    initiator or the target adds an exact 0, as in :func:`_challenges`.
    """
    n, npad = util.shape[0], util.shape[2]
    size = n * npad
    c_ij, c_ji, s_ij, s_ji = flat[0], flat[1], flat[2], flat[3]  # flat[4:7] unused
    p_out, g_out, vote = flat[7], flat[8], flat[9]
    for i in range(n):
        a = util[i]
        uii, wi = a[i, i], w[i]
        for j in range(n):
            k = i * npad + j
            ci = wi * (uii - a[i, j])
            cj = w[j] * (a[j, i] - a[j, j])
            c_ij[k] = s_ij[k] = (1e-10 + max(ci, 0.0)) + max(cj, 0.0)
            c_ji[k] = s_ji[k] = (1e-10 - min(ci, 0.0)) - min(cj, 0.0)
        for j in range(n, npad):  # finite values the padding lanes compute with, never read
            k = i * npad + j
            c_ij[k] = c_ji[k] = s_ij[k] = s_ji[k] = 1.0
    for t in range(n):
        wt = w[t]
        # t votes in every contest but its own (initiator t: row t; target t: column t). The
        # loops below add its vote everywhere, branch-free and in separate passes (each with few
        # arrays, so that LLVM vectorises them), and the entries t must not touch are put back:
        # the same as adding an exact 0 to them.
        for j in range(npad):
            keep[0, j] = s_ij[t * npad + j]
            keep[1, j] = s_ji[t * npad + j]
        for i in range(n):
            keep[2, i] = s_ij[i * npad + t]
            keep[3, i] = s_ji[i * npad + t]
        for i in range(n):
            row = util[i, t]
            uni, unn = row[i], row[t]
            twice_i = uni + uni
            o = i * npad
            for j in range(npad):
                unj = row[j]
                cn = wt * (uni - unj)
                cni = c_ij[o + j] + max(cn, 0.0)
                cnj = c_ji[o + j] - min(cn, 0.0)
                pin = cni / (cni + cnj)
                pjn = 1.0 - pin
                twice_j = unj + unj
                vote[o + j] = wt * (((pin * (twice_i + unn)) + (pjn * (twice_j + unj)))
                                    - ((pin * (twice_i + uni)) + (pjn * (twice_j + unn))))
        for k in range(size):
            s_ij[k] += max(vote[k], 0.0)
        for k in range(size):
            s_ji[k] -= min(vote[k], 0.0)
        for i in range(n):
            s_ij[i * npad + t] = keep[2, i]
            s_ji[i * npad + t] = keep[3, i]
        for j in range(npad):
            s_ij[t * npad + j] = keep[0, j]
            s_ji[t * npad + j] = keep[1, j]
    for i in range(n):
        a = util[i]
        uii = a[i, i]
        for j in range(n):
            k = i * npad + j
            p_out[k], g_out[k] = _challenge_gain(s_ij[k], s_ji[k], uii, a[i, j], sal_sum[j])


@njit(**_JIT)
def _round4(x):
    return np.trunc(0.5 + x * 10000.0) / 10000.0


@njit(**_JIT)
def _interpolate(pos, sal, i, j, pi, pj, how, bi, bj):
    """:func:`accord.models.smp._reference.interpolate` for one pair: fills bi, bj (d,)."""
    min_w = 1e-6
    for k in range(pos.shape[1]):
        ti, si, tj, sj = pos[i, k], sal[i, k], pos[j, k], sal[j, k]
        if how == _S2PMAX:
            di = pj - pi if pj > pi else 0.0
            dj = pi - pj if pi > pj else 0.0
            si2, sj2 = si * si, sj * sj
            dik = (di * sj2) / ((di * sj2) + min_w + ((1 - di) * si2))
            djk = (dj * si2) / ((dj * si2) + min_w + ((1 - dj) * sj2))
            bi[k] = ti + dik * (tj - ti)
            bj[k] = tj + djk * (ti - tj)
            continue
        if how == _S2P2:
            wi = (si * si) * (pi * pi)
            wj = (sj * sj) * (pj * pj)
        else:
            wi = si * pi
            wj = sj * pj
        bi[k] = _round4(((wi + min_w) * ti + wj * tj) / (wi + min_w + wj))
        bj[k] = _round4((wi * ti + (min_w + wj) * tj) / (wi + min_w + wj))


@njit(**_JIT)
def _propose(pos, sal, sal_sum, cap, util, sw, b_init, b_rcvr, b_pi, b_pr, b_p, b_gain, b_view, scr):
    """:func:`accord.models.smp._reference.propose`: fills the bargain arrays, returns their number."""
    n = pos.shape[0]
    rule, commit, how, model = sw[0], sw[4], sw[5], sw[6]
    w, ci, cj, work = scr[0][5], scr[0][6], scr[0][7], scr[0][8]
    for i in range(n):
        w[i] = sal_sum[i] * cap[i]
    d = pos.shape[1]
    c_ij, c_ji, s_ij, s_ji, p, g = work[0], work[1], work[2], work[3], work[4], work[5]
    flat, keep = scr[0][18], scr[0][19]
    default = rule == _PROPORTIONAL and commit == _SEMI_COMMIT
    if default:
        _challenges_default(util, w, sal_sum, flat, keep)
    npad = util.shape[2]
    nb = 0
    for i in range(n):
        if default:
            for j in range(n):
                p[j] = flat[7, i * npad + j]
                g[j] = flat[8, i * npad + j]
        else:
            _challenges(util, i, w, sal_sum, rule, commit, c_ij, c_ji, s_ij, s_ji, p, g)
        best, best_gain, best_p = n, -np.inf, 0.0  # n: no target (a literal -1 costs a compilation)
        for j in range(n):
            if j != i and g[j] > core._MIN_SIG_EDU and g[j] > best_gain:
                best, best_gain, best_p = j, g[j], p[j]
        if best == n:
            continue
        j = best
        _interpolate(pos, sal, i, j, best_p, 1 - best_p, how, b_pi[nb], b_pr[nb])
        if model != _INIT_ONLY:
            # the target's view: KTAB passes j's estimate of i's gain where a probability is due
            q = _challenge(util, j, i, i, j, w, sal_sum, rule, commit)[1]
            _interpolate(pos, sal, i, j, q, 1 - q, how, ci, cj)
            if model == _PW_COMP:
                wi = cap[i] * sal_sum[i]
                wj = cap[i] * sal_sum[j]
                for k in range(d):
                    b_pi[nb, k] = (wi * b_pi[nb, k] + wj * ci[k]) / (wi + wj)
                    b_pr[nb, k] = (wi * b_pr[nb, k] + wj * cj[k]) / (wi + wj)
        copies = 2 if model == _INIT_RCVR else 1
        for v in range(copies):
            b_init[nb], b_rcvr[nb], b_p[nb], b_gain[nb], b_view[nb] = i, j, best_p, best_gain, v
            if v == 1:
                for k in range(d):
                    b_pi[nb, k] = ci[k]
                    b_pr[nb, k] = cj[k]
            nb += 1
    return nb


@njit(**_JIT)
def _resolve(pos, ideal, sal, ss2, cap, risk, util, sw, nb, b_init, b_rcvr, b_pi, b_pr, draws, new, chosen, scr):
    """:func:`accord.models.smp._reference.resolve`: fills new positions and chosen options."""
    n = pos.shape[0]
    _copy(pos, new)
    for k in range(n):
        chosen[k] = -1
    if nb == 0:
        return True
    # table[a, o]: a's mean utility over all positions after option o (0: status quo), added
    # as KTAB does: the moved initiator, the moved receiver, then the others in order
    d = pos.shape[1]
    moved = scr[0][9][:d * 2 * nb].reshape((d, 2 * nb))
    for k in range(d):
        for b in range(nb):
            moved[k, b] = b_pi[b, k]
            moved[k, nb + b] = b_pr[b, k]
    dm = scr[0][10][:n * 2 * nb].reshape((n, 2 * nb))
    _distances(ideal, sal, ss2, moved, dm)
    table, acc, other = scr[0][11], scr[0][12], scr[2][3]
    for x in range(n):  # other[x, b]: x is neither party to bargain b (the same for every voter)
        for b in range(nb):
            other[x, b] = x != b_init[b] and x != b_rcvr[b]
    for a in range(n):
        own, r, dma = util[a, a], risk[a], dm[a]
        s = 0.0
        for x in range(n):
            s += own[x]
        table[a, 0] = s / n
        for b in range(nb):
            di, dr = dma[b], dma[nb + b]
            acc[b] = ((1 - di) * ((1 + di * r) if di <= 1 else (1 + r))
                      + (1 - dr) * ((1 + dr * r) if dr <= 1 else (1 + r)))
        for x in range(n):
            ox = own[x]
            for b in range(nb):
                acc[b] += ox if other[x, b] else 0.0
        for b in range(nb):
            table[a, 1 + b] = acc[b] / n
    count, queue = scr[1][1], scr[1][2]
    for k in range(n):
        count[k] = 0
    for b in range(nb):
        for k in (b_init[b], b_rcvr[b]):
            count[k] += 1
            queue[k, count[k]] = 1 + b  # a column of the table
    p, ws = scr[0][13], scr[0][14]
    for k in range(n):
        m = 1 + count[k]
        if m == 1:
            continue
        queue[k, 0] = 0
        if not _election(table, queue[k], m, cap, sw[0], sw[1], sw[2], p, ws):
            return False
        if sw[3] == _STOCHASTIC:
            cum, pick = 0.0, 0
            for r in range(m):
                cum = p[r] if r == 0 else cum + p[r]
                if cum < draws[k]:
                    pick += 1
            pick = min(pick, m - 1)
        else:
            pick = 0
            for r in range(1, m):
                if p[r] > p[pick]:
                    pick = r
        b = queue[k, pick] - 1
        chosen[k] = b
        if b >= 0:
            moved = b_pi if b_init[b] == k else b_pr
            for x in range(moved.shape[1]):
                new[k, x] = moved[b, x]
    return True


@njit(**_JIT)
def _win_probabilities(pos, util, cap, sw, win, unique, p_unique, scr):
    """:func:`accord.models.smp._reference.win_probabilities` for one state.

    Fills ``win`` (n,), and in their first m entries ``unique`` (n,), the actors holding the
    distinct positions (KTAB's uIndices), and ``p_unique`` (n,), those positions' probabilities.
    Returns m, or -1 if the election did not converge.
    """
    n, d = pos.shape
    pts = _by_dimension(pos, scr[0][4])
    gap, u, p, ws = scr[0][15], scr[0][16], scr[0][17], scr[0][3]
    close, covered, distinct = scr[2][0], scr[2][1], scr[2][2]
    cols, rank = scr[1][0], scr[1][3]
    for i in range(n):
        for j in range(n):
            gap[j] = 0.0
        for k in range(d):
            x, row = pos[i, k], pts[k]
            for j in range(n):
                e = x - row[j]
                gap[j] = gap[j] + e * e
        for j in range(n):
            close[i, j] = np.sqrt(gap[j]) < core._POS_TOL
    for i in range(n):
        covered[i] = False
    m = n - n  # not the literal 0: numba would compile the election once more for it
    for i in range(n):
        distinct[i] = not covered[i]
        if distinct[i]:
            cols[m] = i
            rank[i] = m
            m += 1
            for j in range(n):
                covered[j] = covered[j] or close[i, j]
    for v in range(n):
        for j in range(n):
            u[v, j] = util[v, v, j]
    if not _election(u, cols, m, cap, sw[0], sw[1], sw[2], p, ws):
        return -1
    for r in range(m):
        unique[r] = cols[r]
        p_unique[r] = p[r]
    for i in range(n):
        last = i
        for j in range(n - 1, -1, -1):  # KTAB's posProb keeps the last distinct position it is close to
            if close[i, j] and distinct[j]:
                last = j
                break
        win[i] = p[rank[last]]
    return m


# -- the run ---------------------------------------------------------------------------------------

def _draw(rng, n):
    """n uniform draws from the Generator ``rng``; zeros when it is None (deterministic runs)."""
    return np.zeros(n) if rng is None else rng.random(n)


@overload(_draw, jit_options={"cache": True})
def _draw_compiled(rng, n):
    # typing a Generator argument costs ~50 µs a call, as much as a small turn: deterministic
    # runs pass None and compile without it
    if isinstance(rng, types.NoneType):
        return lambda rng, n: np.zeros(n)
    return lambda rng, n: rng.random(n)


@njit(**_JIT)
def _run(pos0, sal, cap, acc, lag, sw, rng, max_turns, min_turns, min_delta_ratio, probabilities,
         positions, ideals, risks, win, unique, p_unique, n_unique,
         n_bargains, b_init, b_rcvr, b_pi, b_pr, b_p, b_gain, b_view, chosen, scr):
    """:func:`accord.models.smp._reference.run`: returns (states filled, stopped code, ok).
    ``scr``: :func:`_scratch` for n actors and d dimensions."""
    n, d = pos0.shape
    sal_sum = np.empty(n)
    ss2 = np.empty(n)
    for i in range(n):
        s, q = sal[i, 0], sal[i, 0] * sal[i, 0]
        for k in range(1, d):
            s = s + sal[i, k]
            q = q + sal[i, k] * sal[i, k]
        sal_sum[i], ss2[i] = s, q
    util = np.full((n, n, _padded(n)), 0.5)  # padded rows: see _challenges
    _copy(pos0, positions[0])
    _copy(pos0, ideals[0])
    if not _assess(positions[0], ideals[0], sal, ss2, cap, sw, util, risks[0], scr):
        return 1, 0, False
    if probabilities == 2:
        n_unique[0] = _win_probabilities(positions[0], util, cap, sw, win[0], unique[0], p_unique[0], scr)
        if n_unique[0] < 0:
            return 1, 0, False
    draws = np.zeros(n)
    stopped = 0
    d01 = -1.0
    s = 0
    for it in range(1, max_turns + 1):
        nb = _propose(positions[s], sal, sal_sum, cap, util, sw,
                      b_init[s], b_rcvr[s], b_pi[s], b_pr[s], b_p[s], b_gain[s], b_view[s], scr)
        n_bargains[s] = nb
        if sw[3] == _STOCHASTIC and nb > 0:
            draws = _draw(rng, n)
        if not _resolve(positions[s], ideals[s], sal, ss2, cap, risks[s], util, sw, nb,
                        b_init[s], b_rcvr[s], b_pi[s], b_pr[s], draws, positions[s + 1], chosen[s], scr):
            return s + 1, 0, False
        if acc.shape[0] == 0:
            _copy(positions[s + 1], ideals[s + 1])
        else:  # newIdeals, in KTAB's loop order
            for i in range(n):
                for k in range(d):
                    x = 0.0
                    for j in range(n):
                        x += acc[i, j] * positions[s + 1, j, k]
                    ideals[s + 1, i, k] = x + lag[i] * ideals[s, i, k]
        s += 1
        if not _assess(positions[s], ideals[s], sal, ss2, cap, sw, util, risks[s], scr):
            return s + 1, 0, False
        if probabilities == 2:
            n_unique[s] = _win_probabilities(positions[s], util, cap, sw, win[s], unique[s], p_unique[s], scr)
            if n_unique[s] < 0:
                return s + 1, 0, False
        step = 0.0
        for i in range(n):
            q = 0.0
            for k in range(d):
                e = positions[s, i, k] - positions[s - 1, i, k]
                q = q + e * e
            step = np.sqrt(q) if i == 0 else step + np.sqrt(q)
        if d01 < 0:
            d01 = step + 1e-4
        if it >= min_turns and step / d01 < min_delta_ratio:
            stopped = 1
            break
    if probabilities == 1:
        n_unique[s] = _win_probabilities(positions[s], util, cap, sw, win[s], unique[s], p_unique[s], scr)
        if n_unique[s] < 0:
            return s + 1, stopped, False
    return s + 1, stopped, True


@njit(**_JIT)
def _run_many(lo, hi, pos0, sal, cap, sw, max_turns, min_turns, min_delta_ratio, last, unique, p_unique, n_unique,
              ok):
    """:func:`_run` for runs lo..hi-1 of R deterministic runs with every actor taking part and
    ideals following positions (a Monte Carlo forecast): fills the last state's positions ``last``
    (R, n, d), its distinct positions and their probabilities, and ``ok`` (R,). The turn buffers
    are allocated once and reused, so a draw costs its turns only."""
    _, n, d = pos0.shape
    t, nb = max_turns + 1, 2 * n
    positions, ideals = np.empty((t, n, d)), np.empty((t, n, d))
    risks, win, pu = np.empty((t, n)), np.zeros((t, n)), np.zeros((t, n))
    uq, nu = np.zeros((t, n), dtype=np.int64), np.zeros(t, dtype=np.int64)
    n_bargains = np.zeros(t, dtype=np.int64)
    b_init, b_rcvr, b_view = np.zeros((t, nb), np.int64), np.zeros((t, nb), np.int64), np.zeros((t, nb), np.int64)
    b_pi, b_pr = np.empty((t, nb, d)), np.empty((t, nb, d))
    b_p, b_gain = np.empty((t, nb)), np.empty((t, nb))
    chosen = np.empty((t, n), dtype=np.int64)
    acc, lag = np.zeros((0, 0)), np.zeros(0)
    scr = _scratch(n, d)
    for r in range(lo, hi):
        n_states, _, done = _run(pos0[r], sal[r], cap[r], acc, lag, sw, None, max_turns, min_turns, min_delta_ratio,
                                 1, positions, ideals, risks, win, uq, pu, nu,
                                 n_bargains, b_init, b_rcvr, b_pi, b_pr, b_p, b_gain, b_view, chosen, scr)
        ok[r] = done
        s = n_states - 1
        _copy(positions[s], last[r])
        n_unique[r] = nu[s]
        for k in range(n):
            unique[r, k] = uq[s, k] if k < nu[s] else 0
            p_unique[r, k] = pu[s, k] if k < nu[s] else 0.0


@njit(parallel=True, **_JIT)
def _run_parallel(n_chunks, pos0, sal, cap, sw, max_turns, min_turns, min_delta_ratio, last, unique, p_unique,
                  n_unique, ok):
    """:func:`_run_many` over the compiled-kernel threads, the runs cut into ``n_chunks`` ranges
    (the runs are independent: the same numbers with any number of threads)."""
    R = pos0.shape[0]
    for c in prange(n_chunks):
        _run_many(c * R // n_chunks, (c + 1) * R // n_chunks, pos0, sal, cap, sw, max_turns, min_turns,
                  min_delta_ratio, last, unique, p_unique, n_unique, ok)


def run_last(position, sal, cap, sw: core.Switches, *, max_turns: int = 100, min_turns: int = 2,
             min_delta_ratio: float = 0.02):
    """The last state of R deterministic runs at once, (R, n, d) inputs in [0, 1] with every actor
    taking part: (positions (R, n, d), unique (R, n), p_unique (R, n), n_unique (R,)); rows of
    ``unique``/``p_unique`` past ``n_unique`` are 0. The same runs as :func:`run`, bit for bit.
    With more than one compiled-kernel thread (numba's ``get_num_threads``; local worker processes
    run one each) the runs are shared among the threads."""
    pos = np.ascontiguousarray(position, dtype=np.float64)
    sal = np.ascontiguousarray(sal, dtype=np.float64)
    cap = np.ascontiguousarray(cap, dtype=np.float64)
    if sw.state_transition == "stochastic":
        raise ModelError("run_last runs deterministic transitions only")
    R, n, _ = pos.shape
    last = np.empty(pos.shape)
    unique, p_unique = np.zeros((R, n), dtype=np.int64), np.zeros((R, n))
    n_unique, ok = np.zeros(R, dtype=np.int64), np.zeros(R, dtype=np.bool_)
    args = (pos, sal, cap, switch_codes(sw), max(int(max_turns), 0), int(min_turns), float(min_delta_ratio),
            last, unique, p_unique, n_unique, ok)
    threads = get_num_threads()
    if threads > 1 and R >= 2 * threads:
        _run_parallel(min(R, 4 * threads), *args)
    else:
        _run_many(0, R, *args)
    if not ok.all():
        raise ModelError(f"{sw.pce_model} PCE did not converge in 1000 iterations")
    return last, unique, p_unique, n_unique


def run(
    position, sal, cap, sw: core.Switches, *, rng=None, max_turns: int = 100, min_turns: int = 2,
    min_delta_ratio: float = 0.02, accommodate: np.ndarray | None = None, probabilities: str = "all",
    history: bool = True,
) -> core.Run:
    """:func:`accord.models.smp._reference.run` compiled: same arguments, same :class:`~accord.models.smp._reference.Run`.

    The turns carry no utility tensor (``Turn.util`` is None); everything else is filled as the
    reference fills it.
    """
    pos = np.ascontiguousarray(position, dtype=np.float64)
    sal = np.ascontiguousarray(sal, dtype=np.float64)
    cap = np.ascontiguousarray(cap, dtype=np.float64)
    sw_codes = switch_codes(sw)
    if probabilities not in _PROBABILITIES:
        raise ModelError(f"probabilities={probabilities!r}; choose one of {', '.join(_PROBABILITIES)}")
    n, d = pos.shape
    max_turns = max(int(max_turns), 0)
    if accommodate is None:
        acc, lag = np.zeros((0, 0)), np.zeros(0)
    else:
        acc = np.ascontiguousarray(accommodate, dtype=np.float64)
        lag = 1.0 - np.minimum(acc.sum(axis=1), 1.0)
    if sw.state_transition != "stochastic":
        rng = None
    elif rng is None:
        rng = np.random.default_rng()
    elif not isinstance(rng, np.random.Generator):
        raise ModelError("the numba engine draws from a numpy.random.Generator; pass one, or engine='numpy'")
    t, nb = max_turns + 1, 2 * n
    positions, ideals = np.empty((t, n, d)), np.empty((t, n, d))
    risks, win, p_unique = np.empty((t, n)), np.zeros((t, n)), np.zeros((t, n))
    unique, n_unique = np.zeros((t, n), dtype=np.int64), np.zeros(t, dtype=np.int64)
    n_bargains = np.zeros(t, dtype=np.int64)
    b_init, b_rcvr, b_view = (np.zeros((t, nb), dtype=np.int64) for _ in range(3))
    b_pi, b_pr = np.empty((t, nb, d)), np.empty((t, nb, d))
    b_p, b_gain = np.empty((t, nb)), np.empty((t, nb))
    chosen = np.empty((t, n), dtype=np.int64)
    n_states, stop, ok = _run(
        pos, sal, cap, acc, lag, sw_codes, rng, max_turns, int(min_turns), float(min_delta_ratio),
        _PROBABILITIES.index(probabilities), positions, ideals, risks, win, unique, p_unique, n_unique,
        n_bargains, b_init, b_rcvr, b_pi, b_pr, b_p, b_gain, b_view, chosen, _scratch(n, d),
    )
    if not ok:
        raise ModelError(f"{sw.pce_model} PCE did not converge in 1000 iterations")
    turns = []
    with_p = range(n_states) if probabilities == "all" else [n_states - 1] if probabilities == "last" else []
    for s in range(n_states) if history else [n_states - 1]:
        turn = core.Turn(position=positions[s], ideal=ideals[s] if accommodate is not None else positions[s],
                         risk=risks[s], util=None)
        if s in with_p:
            k = n_unique[s]
            turn.unique, turn.p_unique, turn.win_probability = unique[s, :k], p_unique[s, :k], win[s]
        if s < n_states - 1:
            k = n_bargains[s]
            turn.bargains = core.Bargains(b_init[s, :k], b_rcvr[s, :k], b_pi[s, :k], b_pr[s, :k],
                                          b_p[s, :k], b_gain[s, :k], b_view[s, :k])
        turns.append(turn)
    chosen_list = [chosen[s] for s in range(n_states - 1)] if history else []
    return core.Run(turns=turns, stopped=_STOPPED[stop], chosen=chosen_list)
