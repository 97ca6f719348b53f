"""One round of Stokman & Van Oosten's exchange of voting positions, over NumPy arrays.

Private engine behind :mod:`accord.models.exchange`. Positions here are on the normalised 0–100
scale; ``w`` is each actor's weight in the outcome (power × salience), ``S`` its sum per issue.

Notation, for one candidate exchange between actors i and j on issues p and q: i *demands* p
(it cares relatively more about p: s_ip / s_iq >= s_jp / s_jq) and *supplies* q; j demands q and
supplies p. j moves its voting position on p towards i's position, which shifts the compromise
outcome of p by the *exchange ratio* r_p = Δx_jp · w_jp / S_p; i does the same on q. i gains
r_p s_ip - r_q s_iq, j gains r_q s_jq - r_p s_jp. The equal-gain rate makes the two gains equal:
r_q = r_p (s_ip + s_jp) / (s_iq + s_jq) (Stokman & Van Oosten 1994, eq. 5–7).

The sequence within a round follows the Decide exchange model (Draaijer & Stokman, GPL; read, not
copied): the exchange with the highest gain is realised first; every remaining exchange that
shares a supplying actor and issue, or a demanding actor and issue, with it is recalculated from
the new voting positions; exchanges that became impossible are dropped; repeat until none is left.

Equal gains (``ties``): ``"first"`` takes the first tied candidate in candidate order;
``"uniform"`` draws uniformly among all tied candidates; ``"decide"`` follows Decide's own list
(:class:`_DecideList`): a stable sort by gain, a fair coin between the two best when they tie, the
loser of the coin moved to the end of the list (or, when the second loses, copied there).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Moves and gains at or below this are "no exchange" (Decide's threshold).
MIN_MOVE = 1e-10
#: Slack on the 0–100 bounds, on "position <= outcome" and on "outcome reached", standing in for
#: Decide's exact decimals (a move to the end of the scale lands on 100 exactly there).
EXACT_TOL = 1e-9
#: Gains within this relative distance count as tied (Decide compares exact decimals).
TIE_RTOL = 1e-9
#: How equal gains are broken (see the module docstring); "random" names Decide's coin.
TIE_RULES = ("first", "uniform", "decide")
#: Decide's list is sorted by gain rounded to this many significant bits (relative 1e-9, as
#: TIE_RTOL): gains equal but for rounding keep their list order (see :func:`rank_key`).
RANK_BITS = 30


@dataclass
class Candidates:
    """Every possible exchange of a round, one entry per (issue pair, actor pair), flat arrays (K,).

    ``i`` supplies ``q`` and demands ``p``; ``j`` supplies ``p`` and demands ``q``. ``kappa`` is the
    exchange rate r_q / r_p. ``inner`` is 0 for an exchange between the groups "left on both / right
    on both" of the outcomes, 1 for "left on p, right on q / the reverse" (Decide's A–D and B–C).
    """

    i: np.ndarray
    j: np.ndarray
    p: np.ndarray
    q: np.ndarray
    kappa: np.ndarray
    inner: np.ndarray
    rep: np.ndarray | None = None  # which repetition (batch member) a candidate belongs to

    def __len__(self) -> int:
        return len(self.i)


def candidates(x, w, sal, involved, forbidden=None, left=None) -> Candidates:
    """All exchanges of a round, in Decide's order (issue pair, then A–D before B–C, then actors).

    For each pair of issues p < q, an actor is left of an issue's outcome when its position is at
    or below the compromise Σ w x / Σ w. Actors left on both issues can trade with actors right on
    both; left-on-p-right-on-q with right-on-p-left-on-q. ``forbidden`` (n_issues, n_issues) or
    (n_actors, n_issues, n_issues), symmetric in the issue axes, removes any exchange where either
    actor may not link p and q.
    """
    n, m = x.shape
    if left is None:
        left = x <= compromise(x, w) + EXACT_TOL
    left = involved & left
    pp, qq = np.triu_indices(m, 1)
    both = involved[:, pp] & involved[:, qq]  # (n, P)
    group = np.where(both, left[:, pp].astype(int) + 2 * left[:, qq], -1)
    g = group.T  # (P, n)
    ad = (g[:, :, None] == 0) & (g[:, None, :] == 3)
    bc = (g[:, :, None] == 1) & (g[:, None, :] == 2)
    ok = np.stack([ad, bc], axis=1)  # (P, 2, n_i, n_j)
    if forbidden is not None:
        f = np.asarray(forbidden, dtype=bool)
        if f.ndim == 2:
            ban = np.broadcast_to(f[pp, qq][:, None, None], (len(pp), n, n))
        else:
            fa = f[:, pp, qq].T  # (P, n)
            ban = fa[:, :, None] | fa[:, None, :]
        ok &= ~ban[:, None]
    pair, kind, a, b = np.nonzero(ok)
    p, q = pp[pair], qq[pair]
    # a demands p when it cares relatively more about p than b does (cross-multiplied ratios).
    swap = sal[a, p] * sal[b, q] < sal[b, p] * sal[a, q]
    i = np.where(swap, b, a)
    j = np.where(swap, a, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = (sal[i, p] + sal[j, p]) / (sal[i, q] + sal[j, q])
    return Candidates(i=i, j=j, p=p, q=q, kappa=kappa, inner=kind, rep=np.zeros(len(i), int))


def stack(parts: list[Candidates]) -> tuple[Candidates, np.ndarray]:
    """Candidates of several repetitions in one flat list (rep-major) and each one's offset."""
    sizes = np.array([len(c) for c in parts])
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    cat = {f: np.concatenate([getattr(c, f) for c in parts]) for f in ("i", "j", "p", "q", "kappa", "inner")}
    rep = np.repeat(np.arange(len(parts)), sizes)
    return Candidates(**cat, rep=rep), offsets


def compromise(x, w):
    """Σ w x / Σ w per issue over the actors (axis -2); 0 where no weight (as Decide)."""
    total = w.sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(w > 0, w * np.nan_to_num(x), 0.0).sum(axis=-2) / total
    return np.where(total > 0, out, 0.0)


@dataclass
class RoundResult:
    """What happened in one round of R repetitions: realised exchanges and the positions they leave."""

    voting: np.ndarray  # (R, n, m) voting positions after the round's exchanges
    start_next: np.ndarray  # (R, n, m) positions the next round starts from
    exchanges: list[dict[str, np.ndarray]] = field(default_factory=list)  # per rep, arrays (E,) in order
    n_candidates: np.ndarray | None = None
    ties: np.ndarray | None = None
    start_next_exact: list | None = None  # per rep: decimal start positions when a shadow ran


class _Side:
    """Per-candidate constants of one side of the exchanges: the mover, the issue it supplies (a)
    and where that issue's outcome comes from as the demanding partner sees it."""

    def __init__(self, mover, demander, a, rep, x0, w, S, base, n, m):
        self.w = w[rep, mover, a]
        self.x = x0[rep, mover, a]
        self.S = S[rep, a]
        self.inv_S = np.divide(1.0, self.S, out=np.zeros_like(self.S), where=self.S > 0)
        self.base = base[rep, a]
        self.rec_sum = (rep * n + demander) * m + a  # flat (rep, demander, issue)
        self.rec = self.rec_sum * n + mover  # flat (rep, demander, issue, mover)


def _groups(keys, size):
    """Candidate indices by key as a padded table (size, longest) with -1 for "none"."""
    order = np.argsort(keys, kind="stable")
    counts = np.bincount(keys, minlength=size)
    table = np.full((size, max(int(counts.max(initial=0)), 1)), -1)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    col = np.arange(len(keys)) - np.repeat(starts, counts)
    table[keys[order], col] = order
    return table


class _State:
    """Mutable per-candidate state of one round, all repetitions in one flat list of length K."""

    def __init__(self, c: Candidates, offsets, x0, w, sal, shadows=None):
        self.c = c
        self.offsets = offsets
        self.shadows = shadows
        i, j, p, q, rep = c.i, c.j, c.p, c.q, c.rep
        R, n, m = x0.shape
        self.R, self.n, self.m = R, n, m
        self.x0, self.w = x0, w
        S = w.sum(axis=1)
        base = np.where(w > 0, w * np.nan_to_num(x0), 0.0).sum(axis=1)
        self.sip, self.siq, self.sjp, self.sjq = sal[rep, i, p], sal[rep, i, q], sal[rep, j, p], sal[rep, j, q]
        self.wiq, self.wjp = w[rep, i, q], w[rep, j, p]
        self.Sp, self.Sq = S[rep, p], S[rep, q]
        self.side_i = _Side(i, j, q, rep, x0, w, S, base, n, m)
        self.side_j = _Side(j, i, p, rep, x0, w, S, base, n, m)
        self.dem_i = x0[rep, i, p]  # i's own position on the issue it demands (fixed in a round)
        self.dem_j = x0[rep, j, q]
        self.sup_i = x0[rep, i, q].copy()  # i's voting position on the issue it supplies (moves)
        self.sup_j = x0[rep, j, p].copy()
        self.start_i = x0[rep, i, q].copy()
        self.start_j = x0[rep, j, p].copy()
        k = len(c)
        # Moves kept from earlier calculations (Decide's move history): their sum and signs.
        self.hist_i = np.zeros(k)
        self.hist_j = np.zeros(k)
        self.neg_i = np.zeros(k, bool)
        self.pos_i = np.zeros(k, bool)
        self.neg_j = np.zeros(k, bool)
        self.pos_j = np.zeros(k, bool)
        self.move_i = np.zeros(k)
        self.move_j = np.zeros(k)
        self.gain = np.zeros(k)
        self.valid = np.zeros(k, bool)
        # Positions recorded for a demanding actor on an issue, flat (rep, demander, issue, mover),
        # and their net effect on the outcome's numerator per (rep, demander, issue).
        self.rec_val = np.zeros(R * n * m * n)
        self.rec_has = np.zeros(R * n * m * n, bool)
        self.rec_sum = np.zeros(R * n * m)
        # Which candidates an actor supplying / demanding an issue takes part in, by side.
        size = R * n * m
        self.by_sup_i = _groups((rep * n + i) * m + q, size)
        self.by_sup_j = _groups((rep * n + j) * m + p, size)
        self.by_dem_i = _groups((rep * n + i) * m + p, size)
        self.by_dem_j = _groups((rep * n + j) * m + q, size)
        self.order: _DecideList | None = None  # Decide's list, with ties="decide"

    # -- outcome of an issue as one exchange side sees it --------------------------------------
    def _outcome(self, idx, side, v, mover_wins=True):
        """Outcome of the side's supply issue with the side's actor at ``v``.

        The outcome uses the round's start positions, overridden by the positions recorded for the
        opposite actor on that issue; ``mover_wins`` says whether ``v`` overrides a record of the
        moving actor itself (Decide's two helpers differ there).
        """
        P = self.side_i if side == "i" else self.side_j
        wa, xa = P.w[idx], P.x[idx]
        ri = P.rec[idx]
        has = self.rec_has[ri]
        num = P.base[idx] + self.rec_sum[P.rec_sum[idx]]
        if mover_wins:
            num = num + wa * (v - xa) - has * (wa * (self.rec_val[ri] - xa))
        else:
            num = num + ~has * (wa * (v - xa))
        return num * P.inv_S[idx]

    def _move_ok(self, idx, side, move):
        if side == "i":
            sup, hist, neg, pos = self.sup_i[idx], self.hist_i[idx], self.neg_i[idx], self.pos_i[idx]
        else:
            sup, hist, neg, pos = self.sup_j[idx], self.hist_j[idx], self.neg_j[idx], self.pos_j[idx]
        y = sup + move
        size = np.abs(move)
        return (
            (size > MIN_MOVE)
            & (size <= 100)
            & (y >= -EXACT_TOL)
            & (y <= 100 + EXACT_TOL)
            & (hist + move <= 100)
            & np.where(move < 0, ~pos, ~neg)
        )

    # -- the equal-gain (or fixed-rate) calculation of one exchange -----------------------------
    def calculate(self, idx):
        """Recompute moves, gain and validity of the candidates ``idx`` from the current positions.

        j first moves all the way to i's position on p; if i's matching move on q would take it
        past j's position, i moves all the way instead and j's move shrinks. Then neither may push
        an outcome past the demanding actor's own position (:meth:`_bound_by_outcome`).
        """
        kappa = self.c.kappa[idx]
        Sp, Sq = self.Sp[idx], self.Sq[idx]
        wiq, wjp = self.wiq[idx], self.wjp[idx]
        sup_i, sup_j = self.sup_i[idx], self.sup_j[idx]
        dem_i, dem_j = self.dem_i[idx], self.dem_j[idx]
        dist_p = np.abs(dem_i - sup_j)
        dist_q = np.abs(dem_j - sup_i)
        rp = dist_p * wjp / Sp
        rq = rp * kappa
        mi = rq * Sq / wiq
        mj = dist_p
        over = np.abs(mi) > dist_q
        if over.any():
            rq = np.where(over, dist_q * wiq / Sq, rq)
            rp = np.where(over, rq / kappa, rp)
            mi = np.where(over, dist_q, mi)
            mj = np.where(over, rp * Sp / wjp, mj)
        mi = np.where(sup_i > dem_j, -mi, mi)
        mj = np.where(sup_j > dem_i, -mj, mj)
        gain = self._gain(idx, rp, rq)
        self.move_i[idx], self.move_j[idx] = mi, mj
        self.gain[idx] = gain
        valid = self._move_ok(idx, "i", mi) & self._move_ok(idx, "j", mj) & (gain >= MIN_MOVE)
        if valid.any():
            sub = idx[valid]
            self._bound_by_outcome(sub, "i")
            self._bound_by_outcome(sub, "j")
            valid[valid] = self._move_ok(sub, "i", self.move_i[sub]) & self._move_ok(sub, "j", self.move_j[sub])
        self.valid[idx] = valid

    def _gain(self, idx, rp, rq):
        gi = np.abs(rp * self.sip[idx] - rq * self.siq[idx])
        gj = np.abs(rq * self.sjq[idx] - rp * self.sjp[idx])
        g = np.minimum(gi, gj)
        return np.where(np.isfinite(g), g, 0.0)

    def _bound_by_outcome(self, idx, side):
        """No move may shift its issue's outcome past the position of the actor who demanded it.

        When it would, the mover goes just far enough to put the outcome on that position, and the
        partner's move is cut to keep the exchange rate (Stokman & Van Oosten 1994: a demanding
        actor does not want the outcome beyond its own position).
        """
        if side == "i":
            sup, move, target = self.sup_i[idx], self.move_i[idx], self.dem_j[idx]
        else:
            sup, move, target = self.sup_j[idx], self.move_j[idx], self.dem_i[idx]
        d0 = target - self._outcome(idx, side, sup)
        d1 = target - self._outcome(idx, side, sup + move)
        if self.shadows is not None:
            # Where the outcome sits on the demander's position to rounding (a previous exchange
            # put it there), the sign of the difference decides; take it from the decimal shadow.
            for n_ in np.flatnonzero(np.abs(d0) <= EXACT_TOL):
                k = idx[n_]
                d0[n_] = self.shadows[self.c.rep[k]].gap(self.c, k, side)
        fine = ((d0 >= 0) & (d1 >= 0)) | ((d0 <= 0) & (d1 <= 0))
        if fine.all():
            return
        cut = ~fine
        sub = idx[cut]
        sup, target = sup[cut], target[cut]
        cur = self._outcome(sub, side, sup, False)
        P = self.side_i if side == "i" else self.side_j
        share = P.w[sub] * P.inv_S[sub]
        # The move that puts the outcome on the target, and its exchange ratio r_a = |target - cur|.
        delta = np.abs((target - cur) / share)
        ra = delta * share
        kappa = self.c.kappa[sub]
        m_self = np.where(sup > target, -delta, delta)
        if side == "i":  # ra is r_q; j's matching move on p
            rq, rp = ra, ra / kappa
            m_other = rp * self.Sp[sub] / self.wjp[sub]
            self.move_i[sub] = m_self
            self.move_j[sub] = np.where(self.sup_j[sub] > self.dem_i[sub], -m_other, m_other)
        else:  # ra is r_p; i's matching move on q
            rp, rq = ra, ra * kappa
            m_other = rq * self.Sq[sub] / self.wiq[sub]
            self.move_j[sub] = m_self
            self.move_i[sub] = np.where(self.sup_i[sub] > self.dem_j[sub], -m_other, m_other)
        self.gain[sub] = self._gain(sub, rp, rq)

    # -- choosing and realising, one exchange per repetition at a time --------------------------
    def best(self, ties, rng):
        """Per repetition the valid candidate with the highest gain: (indices, tied) for the
        repetitions that still have one."""
        if ties == "decide":
            if self.order is None:
                self.order = _DecideList(self.offsets, self.valid)
            return self.order.take(self.gain, self.valid, rng)
        gain = np.where(self.valid, self.gain, -np.inf)
        if not len(gain):
            return np.zeros(0, int), np.zeros(0, bool)
        top = np.maximum.reduceat(np.append(gain, -np.inf), self.offsets[:-1])
        top = np.where(self.offsets[1:] > self.offsets[:-1], top, -np.inf)
        limit = top - TIE_RTOL * np.abs(top)
        open_ = np.isfinite(top)
        tied = np.flatnonzero(open_[self.c.rep] & (gain >= limit[self.c.rep]))
        reps, first, count = np.unique(self.c.rep[tied], return_index=True, return_counts=True)
        pick = first if ties == "first" else first + np.floor(rng.random(len(first)) * count).astype(int)
        return tied[pick], count > 1

    def realise(self, ks, ya, yb):
        """Realise exchanges ``ks`` (one per repetition): move their actors, record the partners'
        new positions for the actors who demanded them, and recalculate the exchanges they touch."""
        c, m, n = self.c, self.m, self.n
        a, b, p, q, r = c.i[ks], c.j[ks], c.p[ks], c.q[ks], c.rep[ks]
        # An exchange still on Decide's list (copied there at a tie) is recalculated against
        # itself like any other it touches; otherwise it leaves the round.
        self.valid[ks] = False if self.order is None else self.order.copies[ks] > 0
        valid = self.valid
        base = r * n
        aq, bp, bq, ap = (base + a) * m + q, (base + b) * m + p, (base + b) * m + q, (base + a) * m + p

        def live(table, keys, values=None):
            rows = table[keys]
            ok = rows >= 0
            ok[ok] = valid[rows[ok]]
            if values is None:
                return rows[ok]
            return rows[ok], np.broadcast_to(values[:, None], rows.shape)[ok]

        # The same actor supplying the same issue elsewhere now starts from its new voting position.
        si_a, vi_a = live(self.by_sup_i, aq, ya)
        si_b, vi_b = live(self.by_sup_i, bp, yb)
        sj_a, vj_a = live(self.by_sup_j, aq, ya)
        sj_b, vj_b = live(self.by_sup_j, bp, yb)
        self._record((base + b) * m + q, a, ya, self.start_i[ks])
        self._record((base + a) * m + p, b, yb, self.start_j[ks])
        hit_i = np.concatenate([si_a, si_b])
        hit_j = np.concatenate([sj_a, sj_b])
        # A side recalculated after its own actor moved elsewhere keeps its previous move in the
        # history (Decide compares the direction of the new move with it).
        mv = self.move_i[hit_i]
        self.hist_i[hit_i] += mv
        self.neg_i[hit_i] |= mv < 0
        self.pos_i[hit_i] |= mv > 0
        mv = self.move_j[hit_j]
        self.hist_j[hit_j] += mv
        self.neg_j[hit_j] |= mv < 0
        self.pos_j[hit_j] |= mv > 0
        self.sup_i[hit_i] = np.concatenate([vi_a, vi_b])
        self.sup_j[hit_j] = np.concatenate([vj_a, vj_b])
        touched = np.concatenate([
            hit_i, hit_j, live(self.by_dem_j, bq), live(self.by_dem_i, bq),
            live(self.by_dem_j, ap), live(self.by_dem_i, ap),
        ])
        if not len(touched):
            return
        touched = np.unique(touched)
        self.calculate(touched)
        if self.order is None:
            return
        # Decide recalculates an exchange once per copy on its list. A further pass repeats the
        # calculation from the same positions, except that each side whose own actor moved keeps
        # its current move in the history once more (its move list grows by one entry).
        copies = self.order.copies[touched]
        for extra in range(1, int(copies.max(initial=1))):
            sub = touched[(copies > extra) & self.valid[touched]]
            if not len(sub):
                break
            for hit, hist, neg, pos, move in ((hit_i, self.hist_i, self.neg_i, self.pos_i, self.move_i),
                                              (hit_j, self.hist_j, self.neg_j, self.pos_j, self.move_j)):
                h = sub[np.isin(sub, hit)]
                mv = move[h]
                hist[h] += mv
                neg[h] |= mv < 0
                pos[h] |= mv > 0
            self.calculate(sub)

    def _record(self, rs, mover, y, start):
        """Record ``mover``'s new position for exchanges where the demander demands that issue
        (``rs`` = flat (rep, demander, issue)). A second record keeps the one nearer the mover's
        start in the direction it moved (Decide)."""
        f = rs * self.n + mover
        issue = rs % self.m
        rep = rs // (self.m * self.n)
        x = self.x0[rep, mover, issue]
        w = self.w[rep, mover, issue]
        has = self.rec_has[f]
        old = self.rec_val[f]
        new = np.where(~has, y, np.where(start <= old, np.minimum(old, y), np.maximum(old, y)))
        np.add.at(self.rec_sum, rs, w * (new - x) - np.where(has, w * (old - x), 0.0))
        self.rec_val[f] = new
        self.rec_has[f] = True


def rank_key(gain):
    """The gain rounded to RANK_BITS significant bits, the key of Decide's sort.

    Decide sorts its 28-digit decimal gains exactly; two exchanges with equal gains in exact
    arithmetic, computed by different routes, then differ in the last digits, and floats would
    order them by their own, different, rounding. Rounding the key lets such gains keep their list
    order instead, which is what Decide does whenever its decimals agree (the common case: the
    same numbers in the same order).
    """
    m, e = np.frexp(gain)
    return np.ldexp(np.floor(m * 2.0**RANK_BITS + 0.5), e - RANK_BITS)


class _DecideList:
    """Decide's list of open exchanges and its tie rule, one list per repetition.

    Each step Decide sorts its list by gain, highest first, with a stable sort (equal gains keep
    their order in the list, which earlier sorts and moves have shaped), and takes the first. When
    the second has the same gain, a fair coin (one uniform ``u`` from ``rng``, as Decide's
    ``random.random()``) decides: ``u >= 0.5`` realises the second and moves the first to the end
    of the list; otherwise the first is realised and the second is *copied* to the end, so that it
    is on the list twice. Exchanges that became impossible leave the list (all their copies).
    ``copies`` counts each candidate's entries.
    """

    def __init__(self, offsets, valid):
        self.lists = [np.arange(offsets[r], offsets[r + 1]) for r in range(len(offsets) - 1)]
        self.copies = np.ones(len(valid), np.int64)

    def take(self, gain, valid, rng):
        """The exchange each open repetition realises now: (indices, whether a coin was thrown)."""
        heads, coin = [], []
        for r, lst in enumerate(self.lists):
            lst = lst[valid[lst]]
            lst = lst[np.argsort(-rank_key(gain[lst]), kind="stable")]
            self.lists[r] = lst
            if len(lst):
                heads.append(r)
                coin.append(len(lst) > 1 and gain[lst[1]] >= gain[lst[0]] - TIE_RTOL * abs(gain[lst[0]]))
        coin = np.array(coin, bool)
        u = rng.random(int(coin.sum())) if coin.any() else np.zeros(0)
        picks = np.zeros(len(heads), np.int64)
        for t, r in enumerate(heads):
            lst = self.lists[r]
            first = lst[0]
            if not coin[t]:
                picks[t], self.lists[r] = first, lst[1:]
            elif u[np.count_nonzero(coin[:t])] >= 0.5:
                picks[t], self.lists[r] = lst[1], np.append(lst[2:], first)
            else:
                picks[t], self.lists[r] = first, np.append(lst[1:], lst[1])
                self.copies[lst[1]] += 1
        self.copies[picks] -= 1
        return picks, coin


COLUMNS = ("i", "j", "p", "q", "x_i", "y_i", "x_j", "y_j", "gain",
           "outcome_q0", "outcome_q1", "outcome_p0", "outcome_p1", "inner")


def run_round(x0, w, sal, involved, *, forbidden=None, kappa=None, rng=None, ties="first",
              salience_weight=0.4, fixed_weight=0.1, shadows=None) -> RoundResult:
    """One round for R repetitions in lockstep: build each one's candidates, then realise them
    highest gain first, one exchange per repetition per step.

    ``x0``, ``w``, ``sal`` have shape (R, n, m) (a leading axis of 1 for a single run).
    ``kappa`` (callable taking the :class:`Candidates` and the saliences, returning rates)
    replaces the equal-gain rate (random-rate variants). ``ties`` is ``"first"`` (the candidate
    first in Decide's order), ``"uniform"`` (uniform among the tied, drawn from ``rng``) or
    ``"decide"`` (Decide's list and coin, :class:`_DecideList`).
    ``shadows`` is a list of R :class:`~accord.models.exchange._decimal.DecimalShadow` or None.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return _run_round(x0, w, sal, involved, forbidden, kappa, rng, ties, salience_weight, fixed_weight, shadows)


def _run_round(x0, w, sal, involved, forbidden, kappa, rng, ties, salience_weight, fixed_weight, shadows):
    R = x0.shape[0]
    parts = [candidates(x0[r], w[r], sal[r], involved, forbidden,
                        left=None if shadows is None else shadows[r].left()) for r in range(R)]
    c, offsets = stack(parts)
    if kappa is not None and len(c):
        c.kappa = kappa(c, sal)
    st = _State(c, offsets, x0, w, sal, shadows)
    if len(c):
        st.calculate(np.arange(len(c)))
    steps = []
    voting = x0.copy()
    start_next = x0.copy()
    next_dec = None if shadows is None else [[row[:] for row in sh.x0] for sh in shadows]
    n_ties = np.zeros(R, int)
    while True:
        ks, tied = st.best(ties, rng)
        if not len(ks):
            break
        r = c.rep[ks]
        n_ties[r] += tied
        a, b, p, q = c.i[ks], c.j[ks], c.p[ks], c.q[ks]
        xi, xj, g = st.sup_i[ks], st.sup_j[ks], st.gain[ks]
        outcomes = (st._outcome(ks, "i", xi), st._outcome(ks, "i", xi + st.move_i[ks]),
                    st._outcome(ks, "j", xj), st._outcome(ks, "j", xj + st.move_j[ks]))
        if shadows is not None:
            exact = [shadows[rr].realise(c, k) for rr, k in zip(r.tolist(), ks.tolist(), strict=True)]
            ya = np.array([float(e[0]) for e in exact])
            yb = np.array([float(e[1]) for e in exact])
            for (ya_d, yb_d), rr, aa, bb, pp, qq in zip(exact, r.tolist(), a.tolist(), b.tolist(), p.tolist(),
                                                         q.tolist(), strict=True):
                next_dec[rr][aa][qq] = shadows[rr].partial(aa, qq, ya_d, salience_weight, fixed_weight)
                next_dec[rr][bb][pp] = shadows[rr].partial(bb, pp, yb_d, salience_weight, fixed_weight)
        else:
            ya = xi + st.move_i[ks]
            yb = xj + st.move_j[ks]
        st.realise(ks, ya, yb)
        steps.append((r, a, b, p, q, xi, ya, xj, yb, g, *outcomes, c.inner[ks]))
        voting[r, a, q] = ya
        voting[r, b, p] = yb
        # Partial return: the next round starts between the round's start and the voting position,
        # nearer the voting position the less the actor cares about the issue (Decide's weights).
        start_next[r, a, q] = _partial(x0[r, a, q], ya, sal[r, a, q], salience_weight, fixed_weight)
        start_next[r, b, p] = _partial(x0[r, b, p], yb, sal[r, b, p], salience_weight, fixed_weight)
    if steps:
        cols = [np.concatenate(col) for col in zip(*steps, strict=True)]
        rep, cols = cols[0], cols[1:]
        order = np.argsort(rep, kind="stable")
        split = np.searchsorted(rep[order], np.arange(R + 1))
        exchanges = [{key: col[order[split[k]:split[k + 1]]] for key, col in zip(COLUMNS, cols, strict=True)}
                     for k in range(R)]
    else:
        exchanges = [{key: np.zeros(0, int if key in ("i", "j", "p", "q", "inner") else float) for key in COLUMNS}
                     for _ in range(R)]
    if shadows is not None:
        start_next = np.array([[[np.nan if v is None else float(v) for v in row] for row in nd] for nd in next_dec])
    return RoundResult(voting=voting, start_next=start_next, exchanges=exchanges, n_candidates=np.diff(offsets),
                       ties=n_ties, start_next_exact=next_dec)


def _partial(x, y, s, salience_weight, fixed_weight):
    share = (1 - s) * salience_weight + fixed_weight
    return (1 - share) * x + share * y
