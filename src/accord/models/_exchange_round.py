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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Moves and gains at or below this are "no exchange" (Decide's threshold, 1e-10).
MIN_MOVE = 1e-10
#: Slack on the 0–100 bounds and on "position <= outcome", standing in for Decide's exact decimal
#: arithmetic, where a move to the end of the scale lands exactly on 100 and an issue where everyone
#: agrees has its outcome exactly at the common position.
EXACT_TOL = 1e-9
#: Gains within this relative distance count as tied (Decide compares exact decimals).
TIE_RTOL = 1e-9


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
    return Candidates(i=i, j=j, p=p, q=q, kappa=kappa, inner=kind)


def compromise(x, w):
    """Σ w x / Σ w per issue over the actors (axis -2); 0 where no weight (as Decide)."""
    total = w.sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(w > 0, w * np.nan_to_num(x), 0.0).sum(axis=-2) / total
    return np.where(total > 0, out, 0.0)


@dataclass
class RoundResult:
    """What happened in one round: the realised exchanges and the voting positions they leave."""

    voting: np.ndarray  # (n, m) voting positions after the round's exchanges
    start_next: np.ndarray  # (n, m) positions the next round starts from
    exchanges: dict[str, np.ndarray] = field(default_factory=dict)  # arrays (E,) in order realised
    n_candidates: int = 0
    ties: int = 0
    start_next_exact: list | None = None  # decimal start positions when a shadow ran


class _State:
    """Mutable per-candidate state of one round (flat arrays of length K)."""

    def __init__(self, c: Candidates, x0, w, sal, shadow=None):
        self.c = c
        self.shadow = shadow
        i, j, p, q = c.i, c.j, c.p, c.q
        self.x0, self.w = x0, w
        self.S = w.sum(axis=0)
        self.base = np.where(w > 0, w * np.nan_to_num(x0), 0.0).sum(axis=0)
        self.sip, self.siq, self.sjp, self.sjq = sal[i, p], sal[i, q], sal[j, p], sal[j, q]
        self.wiq, self.wjp = w[i, q], w[j, p]
        self.dem_i = x0[i, p]  # i's own position on the issue it demands (fixed in a round)
        self.dem_j = x0[j, q]
        self.sup_i = x0[i, q].copy()  # i's voting position on the issue it supplies (moves)
        self.sup_j = x0[j, p].copy()
        self.start_i = x0[i, q].copy()
        self.start_j = x0[j, p].copy()
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
        self.rp = np.zeros(k)
        self.rq = np.zeros(k)
        self.gain = np.zeros(k)
        self.valid = np.zeros(k, bool)
        n, m = x0.shape
        # Positions recorded for a demanding actor on an issue: rec[demander, issue, mover] (NaN: none),
        # and their net effect on the outcome's numerator, rec_sum[demander, issue].
        self.rec = np.full((n, m, n), np.nan)
        self.rec_sum = np.zeros((n, m))

    # -- outcome of an issue as one exchange side sees it --------------------------------------
    def _outcome(self, idx, side, v, mover_wins):
        """Outcome of the side's supply issue with the side's actor at ``v``.

        The outcome uses the round's start positions, overridden by the positions recorded for the
        opposite actor on that issue; ``mover_wins`` says whether ``v`` overrides a record of the
        moving actor itself (Decide's two helpers differ there).
        """
        c = self.c
        if side == "i":
            mover, demander, a = c.i[idx], c.j[idx], c.q[idx]
        else:
            mover, demander, a = c.j[idx], c.i[idx], c.p[idx]
        wa = self.w[mover, a]
        xa = self.x0[mover, a]
        own = self.rec[demander, a, mover]
        has = ~np.isnan(own)
        num = self.base[a] + self.rec_sum[demander, a]
        if mover_wins:
            num = num - np.where(has, wa * (np.nan_to_num(own) - xa), 0.0) + wa * (v - xa)
        else:
            num = num + np.where(has, 0.0, wa * (v - xa))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.S[a] > 0, num / self.S[a], 0.0)

    def _move_ok(self, idx, side, move):
        sup = self.sup_i[idx] if side == "i" else self.sup_j[idx]
        hist = self.hist_i[idx] if side == "i" else self.hist_j[idx]
        neg = self.neg_i[idx] if side == "i" else self.neg_j[idx]
        pos = self.pos_i[idx] if side == "i" else self.pos_j[idx]
        y = sup + move
        size = np.abs(move)
        return (
            np.isfinite(move)
            & (size > MIN_MOVE)
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
        c = self.c
        kappa = c.kappa[idx]
        Sp, Sq = self.S[c.p[idx]], self.S[c.q[idx]]
        wiq, wjp = self.wiq[idx], self.wjp[idx]
        sup_i, sup_j = self.sup_i[idx], self.sup_j[idx]
        dist_p = np.abs(self.dem_i[idx] - sup_j)
        dist_q = np.abs(self.dem_j[idx] - sup_i)
        with np.errstate(invalid="ignore", divide="ignore"):
            rp = dist_p * wjp / Sp
            rq = rp * kappa
            mi = rq * Sq / wiq
            mj = dist_p.copy()
            over = np.abs(mi) > dist_q
            rq = np.where(over, dist_q * wiq / Sq, rq)
            rp = np.where(over, rq / kappa, rp)
            mi = np.where(over, dist_q, mi)
            mj = np.where(over, rp * Sp / wjp, mj)
        mi = np.where(sup_i > self.dem_j[idx], -mi, mi)
        mj = np.where(sup_j > self.dem_i[idx], -mj, mj)
        gain = self._gain(idx, rp, rq)
        self.move_i[idx], self.move_j[idx] = mi, mj
        self.rp[idx], self.rq[idx] = rp, rq
        self.gain[idx] = gain
        valid = self._move_ok(idx, "i", mi) & self._move_ok(idx, "j", mj) & (gain >= MIN_MOVE)
        if valid.any():
            sub = idx[valid]
            self._bound_by_outcome(sub, "i")
            self._bound_by_outcome(sub, "j")
            valid[valid] = self._move_ok(sub, "i", self.move_i[sub]) & self._move_ok(sub, "j", self.move_j[sub])
        self.valid[idx] = valid

    def _gain(self, idx, rp, rq):
        gi = rp * self.sip[idx] - rq * self.siq[idx]
        gj = rq * self.sjq[idx] - rp * self.sjp[idx]
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(gi) & np.isfinite(gj), np.minimum(np.abs(gi), np.abs(gj)), 0.0)

    def _bound_by_outcome(self, idx, side):
        """No move may shift its issue's outcome past the position of the actor who demanded it.

        When it would, the mover goes just far enough to put the outcome on that position, and the
        partner's move is cut to keep the exchange rate (Stokman & Van Oosten 1994: a demanding
        actor does not want the outcome beyond its own position).
        """
        c = self.c
        if side == "i":
            sup, move, target = self.sup_i[idx], self.move_i[idx], self.dem_j[idx]
            wa, Sa = self.wiq[idx], self.S[c.q[idx]]
        else:
            sup, move, target = self.sup_j[idx], self.move_j[idx], self.dem_i[idx]
            wa, Sa = self.wjp[idx], self.S[c.p[idx]]
        o0 = self._outcome(idx, side, sup, True)
        o1 = self._outcome(idx, side, sup + move, True)
        d0, d1 = target - o0, target - o1
        if self.shadow is not None:
            # Where the outcome sits on the demander's position to rounding (a previous exchange
            # put it there), the sign of the difference decides; take it from the decimal shadow.
            near = np.flatnonzero(np.abs(d0) <= EXACT_TOL)
            for n_ in near:
                d0[n_] = self.shadow.gap(self.c, idx[n_], side)
        fine = ((d0 >= 0) & (d1 >= 0)) | ((d0 <= 0) & (d1 <= 0))
        if fine.all():
            return
        sub = idx[~fine]
        cur = self._outcome(sub, side, sup[~fine], False)
        wa, Sa, target, sup = wa[~fine], Sa[~fine], target[~fine], sup[~fine]
        with np.errstate(invalid="ignore", divide="ignore"):
            delta = np.abs(Sa * (target - cur) / wa)
            ra = delta * wa / Sa
            kappa = c.kappa[sub]
            if side == "i":  # ra is r_q; j's matching move on p
                rq, rp = ra, ra / kappa
                m_other = rp * self.S[c.p[sub]] / self.wjp[sub]
                m_other = np.where(self.sup_j[sub] > self.dem_i[sub], -m_other, m_other)
                m_self = np.where(sup > target, -delta, delta)
                self.move_i[sub], self.move_j[sub] = m_self, m_other
            else:  # ra is r_p; i's matching move on q
                rp, rq = ra, ra * kappa
                m_other = rq * self.S[c.q[sub]] / self.wiq[sub]
                m_other = np.where(self.sup_i[sub] > self.dem_j[sub], -m_other, m_other)
                m_self = np.where(sup > target, -delta, delta)
                self.move_j[sub], self.move_i[sub] = m_self, m_other
        self.rp[sub], self.rq[sub] = rp, rq
        self.gain[sub] = self._gain(sub, rp, rq)

    # -- after an exchange is realised ---------------------------------------------------------
    def realise(self, k, ya=None, yb=None):
        """Apply the realised exchange ``k`` to the remaining ones and recalculate those it touches."""
        c = self.c
        a, b, p, q = c.i[k], c.j[k], c.p[k], c.q[k]
        if ya is None:
            ya = self.sup_i[k] + self.move_i[k]
            yb = self.sup_j[k] + self.move_j[k]
        alive = self.valid
        # The same actor supplying the same issue elsewhere now starts from its new voting position.
        sup_i_a = alive & (c.i == a) & (c.q == q)
        sup_i_b = alive & (c.i == b) & (c.q == p)
        sup_j_a = alive & (c.j == a) & (c.p == q)
        sup_j_b = alive & (c.j == b) & (c.p == p)
        hit_i = sup_i_a | sup_i_b
        hit_j = sup_j_a | sup_j_b
        # The same actor demanding the same issue elsewhere: record the partner's new position.
        dem_bq = alive & (((c.j == b) & (c.q == q)) | ((c.i == b) & (c.p == q)))
        dem_ap = alive & (((c.j == a) & (c.q == p)) | ((c.i == a) & (c.p == p)))
        self._record(b, q, a, ya, self.start_i[k])
        self._record(a, p, b, yb, self.start_j[k])
        touched = hit_i | hit_j | dem_bq | dem_ap
        touched[k] = False
        # A move recalculated after its own actor moved elsewhere stays in the history (Decide keeps
        # the previous move of that side and compares the new one's direction with it).
        self._keep(hit_i & touched, "i")
        self._keep(hit_j & touched, "j")
        self.sup_i[sup_i_a] = ya
        self.sup_i[sup_i_b] = yb
        self.sup_j[sup_j_a] = ya
        self.sup_j[sup_j_b] = yb
        self.valid[k] = False
        idx = np.flatnonzero(touched)
        if len(idx):
            self.calculate(idx)
        return ya, yb

    def _keep(self, mask, side):
        if side == "i":
            mv = self.move_i[mask]
            self.hist_i[mask] += mv
            self.neg_i[mask] |= mv < 0
            self.pos_i[mask] |= mv > 0
        else:
            mv = self.move_j[mask]
            self.hist_j[mask] += mv
            self.neg_j[mask] |= mv < 0
            self.pos_j[mask] |= mv > 0

    def _record(self, demander, issue, mover, y, start):
        """Record ``mover``'s new position on ``issue`` for exchanges where ``demander`` demands it.

        A second record keeps the one nearer the mover's start in the direction it moved (Decide).
        """
        old = self.rec[demander, issue, mover]
        if np.isnan(old):
            new = y
        elif start <= old:
            new = min(old, y)
        else:
            new = max(old, y)
        w = self.w[mover, issue]
        x = self.x0[mover, issue]
        self.rec_sum[demander, issue] += w * (new - x) - (0.0 if np.isnan(old) else w * (old - x))
        self.rec[demander, issue, mover] = new


def run_round(x0, w, sal, involved, *, forbidden=None, kappa=None, rng=None, ties="first",
              salience_weight=0.4, fixed_weight=0.1, shadow=None) -> RoundResult:
    """One round: build the candidates, realise them highest gain first, return the new positions.

    ``kappa`` (callable taking the :class:`Candidates` and returning rates) replaces the
    equal-gain rate (random-rate variants). ``ties`` is ``"first"`` (the candidate first in
    Decide's order) or ``"random"`` (uniform among the tied, drawn from ``rng``).
    """
    c = candidates(x0, w, sal, involved, forbidden, left=None if shadow is None else shadow.left())
    if kappa is not None and len(c):
        c.kappa = kappa(c)
    st = _State(c, x0, w, sal, shadow)
    if len(c):
        st.calculate(np.arange(len(c)))
    cols = {key: [] for key in ("i", "j", "p", "q", "x_i", "y_i", "x_j", "y_j", "gain",
                                "outcome_q0", "outcome_q1", "outcome_p0", "outcome_p1", "inner")}
    voting = x0.copy()
    start_next = x0.copy()
    next_dec = None if shadow is None else [row[:] for row in shadow.x0]
    n_ties = 0
    while True:
        gain = np.where(st.valid, st.gain, -np.inf)
        best = gain.max() if len(gain) else -np.inf
        if not np.isfinite(best):
            break
        tied = np.flatnonzero(gain >= best - TIE_RTOL * max(abs(best), 1e-300))
        if len(tied) > 1:
            n_ties += 1
        k = tied[0] if ties == "first" or len(tied) == 1 else tied[rng.integers(len(tied))]
        kk = np.array([k])
        o_q0 = st._outcome(kk, "i", st.sup_i[kk], True)[0]
        o_q1 = st._outcome(kk, "i", st.sup_i[kk] + st.move_i[kk], True)[0]
        o_p0 = st._outcome(kk, "j", st.sup_j[kk], True)[0]
        o_p1 = st._outcome(kk, "j", st.sup_j[kk] + st.move_j[kk], True)[0]
        xi, xj, g = st.sup_i[k], st.sup_j[k], st.gain[k]
        a, b, p, q = c.i[k], c.j[k], c.p[k], c.q[k]
        if shadow is not None:
            ya_d, yb_d = shadow.realise(c, k)
            ya, yb = st.realise(k, float(ya_d), float(yb_d))
            next_dec[a][q] = shadow.partial(a, q, ya_d, salience_weight, fixed_weight)
            next_dec[b][p] = shadow.partial(b, p, yb_d, salience_weight, fixed_weight)
        else:
            ya, yb = st.realise(k)
        for key, val in (("i", a), ("j", b), ("p", p), ("q", q), ("x_i", xi), ("y_i", ya), ("x_j", xj),
                         ("y_j", yb), ("gain", g), ("outcome_q0", o_q0), ("outcome_q1", o_q1),
                         ("outcome_p0", o_p0), ("outcome_p1", o_p1), ("inner", c.inner[k])):
            cols[key].append(val)
        voting[a, q] = ya
        voting[b, p] = yb
        # Partial return: the next round starts between the round's start and the voting position,
        # nearer the voting position the less the actor cares about the issue (Decide's weights).
        start_next[a, q] = _partial(x0[a, q], ya, sal[a, q], salience_weight, fixed_weight)
        start_next[b, p] = _partial(x0[b, p], yb, sal[b, p], salience_weight, fixed_weight)
    ex = {key: np.asarray(v) for key, v in cols.items()}
    if shadow is not None:
        start_next = np.array([[np.nan if v is None else float(v) for v in row] for row in next_dec])
    return RoundResult(voting=voting, start_next=start_next, exchanges=ex, n_candidates=len(c), ties=n_ties,
                       start_next_exact=next_dec)


def _partial(x, y, s, salience_weight, fixed_weight):
    share = (1 - s) * salience_weight + fixed_weight
    return (1 - share) * x + share * y
