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

#: Moves and gains at or below this are "no exchange" (Decide's threshold).
MIN_MOVE = 1e-10
#: Slack on the 0–100 bounds, on "position <= outcome" and on "outcome reached", standing in for
#: Decide's exact decimals (a move to the end of the scale lands on 100 exactly there).
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


class _Side:
    """Per-candidate constants of one side of the exchanges: the mover, the issue it supplies (a)
    and where that issue's outcome comes from as the demanding partner sees it."""

    def __init__(self, mover, demander, a, x0, w, S, base, n, m):
        self.w = w[mover, a]
        self.x = x0[mover, a]
        self.S = S[a]
        self.inv_S = np.divide(1.0, self.S, out=np.zeros_like(self.S), where=self.S > 0)
        self.base = base[a]
        self.rec = (demander * m + a) * n + mover  # flat index into the records
        self.rec_sum = demander * m + a


def _groups(keys, size):
    """Candidate indices by key, as a list of arrays (keys in [0, size))."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(size + 1))
    return [order[bounds[k]:bounds[k + 1]] for k in range(size)]


class _State:
    """Mutable per-candidate state of one round (flat arrays of length K)."""

    def __init__(self, c: Candidates, x0, w, sal, shadow=None):
        self.c = c
        self.shadow = shadow
        i, j, p, q = c.i, c.j, c.p, c.q
        n, m = x0.shape
        self.n, self.m = n, m
        self.x0, self.w = x0, w
        S = w.sum(axis=0)
        base = np.where(w > 0, w * np.nan_to_num(x0), 0.0).sum(axis=0)
        self.sip, self.siq, self.sjp, self.sjq = sal[i, p], sal[i, q], sal[j, p], sal[j, q]
        self.wiq, self.wjp = w[i, q], w[j, p]
        self.Sp, self.Sq = S[p], S[q]
        self.side_i = _Side(i, j, q, x0, w, S, base, n, m)
        self.side_j = _Side(j, i, p, x0, w, S, base, n, m)
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
        # Positions recorded for a demanding actor on an issue, flat (demander, issue, mover), and
        # their net effect on the outcome's numerator per (demander, issue).
        self.rec_val = np.zeros(n * m * n)
        self.rec_has = np.zeros(n * m * n, bool)
        self.rec_sum = np.zeros(n * m)
        # Which candidates an actor supplying / demanding an issue takes part in, by side.
        self.by_sup_i = _groups(i * m + q, n * m)
        self.by_sup_j = _groups(j * m + p, n * m)
        self.by_dem_i = _groups(i * m + p, n * m)
        self.by_dem_j = _groups(j * m + q, n * m)

    # -- outcome of an issue as one exchange side sees it --------------------------------------
    def _outcome(self, idx, side, v, mover_wins):
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
        d0 = target - self._outcome(idx, side, sup, True)
        d1 = target - self._outcome(idx, side, sup + move, True)
        if self.shadow is not None:
            # Where the outcome sits on the demander's position to rounding (a previous exchange
            # put it there), the sign of the difference decides; take it from the decimal shadow.
            for n_ in np.flatnonzero(np.abs(d0) <= EXACT_TOL):
                d0[n_] = self.shadow.gap(self.c, idx[n_], side)
        fine = ((d0 >= 0) & (d1 >= 0)) | ((d0 <= 0) & (d1 <= 0))
        if fine.all():
            return
        cut = ~fine
        sub = idx[cut]
        sup, target = sup[cut], target[cut]
        cur = self._outcome(sub, side, sup, False)
        P = self.side_i if side == "i" else self.side_j
        # The move that puts the outcome on the target, and its exchange ratio r_a = |target - cur|.
        delta = np.abs((target - cur) / (P.w[sub] * P.inv_S[sub]))
        ra = delta * P.w[sub] * P.inv_S[sub]
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
        self.rp[sub], self.rq[sub] = rp, rq
        self.gain[sub] = self._gain(sub, rp, rq)

    # -- after an exchange is realised ---------------------------------------------------------
    def realise(self, k, ya=None, yb=None):
        """Apply the realised exchange ``k`` to the remaining ones and recalculate those it touches."""
        c = self.c
        m = self.m
        a, b, p, q = int(c.i[k]), int(c.j[k]), int(c.p[k]), int(c.q[k])
        if ya is None:
            ya = self.sup_i[k] + self.move_i[k]
            yb = self.sup_j[k] + self.move_j[k]
        self.valid[k] = False
        alive = self.valid

        def live(g):
            return g[alive[g]]

        aq, bp, bq, ap = a * m + q, b * m + p, b * m + q, a * m + p
        # The same actor supplying the same issue elsewhere now starts from its new voting position.
        sup_i_a, sup_i_b = live(self.by_sup_i[aq]), live(self.by_sup_i[bp])
        sup_j_a, sup_j_b = live(self.by_sup_j[aq]), live(self.by_sup_j[bp])
        # The same actor demanding the same issue elsewhere: record the partner's new position.
        self._record(b, q, a, ya, self.start_i[k])
        self._record(a, p, b, yb, self.start_j[k])
        hit_i = np.concatenate([sup_i_a, sup_i_b])
        hit_j = np.concatenate([sup_j_a, sup_j_b])
        # A side recalculated after its own actor moved elsewhere keeps its previous move in the
        # history (Decide compares the direction of the new move with it).
        self._keep(hit_i, "i")
        self._keep(hit_j, "j")
        self.sup_i[sup_i_a] = ya
        self.sup_i[sup_i_b] = yb
        self.sup_j[sup_j_a] = ya
        self.sup_j[sup_j_b] = yb
        touched = np.concatenate([
            hit_i, hit_j, live(self.by_dem_j[bq]), live(self.by_dem_i[bq]),
            live(self.by_dem_j[ap]), live(self.by_dem_i[ap]),
        ])
        if len(touched):
            self.calculate(np.unique(touched))
        return ya, yb

    def _keep(self, idx, side):
        if not len(idx):
            return
        mv = (self.move_i if side == "i" else self.move_j)[idx]
        if side == "i":
            self.hist_i[idx] += mv
            self.neg_i[idx] |= mv < 0
            self.pos_i[idx] |= mv > 0
        else:
            self.hist_j[idx] += mv
            self.neg_j[idx] |= mv < 0
            self.pos_j[idx] |= mv > 0

    def _record(self, demander, issue, mover, y, start):
        """Record ``mover``'s new position on ``issue`` for exchanges where ``demander`` demands it.

        A second record keeps the one nearer the mover's start in the direction it moved (Decide).
        """
        f = (demander * self.m + issue) * self.n + mover
        r = demander * self.m + issue
        x = self.x0[mover, issue]
        w = self.w[mover, issue]
        if not self.rec_has[f]:
            new = y
        else:
            old = self.rec_val[f]
            new = min(old, y) if start <= old else max(old, y)
            self.rec_sum[r] -= w * (old - x)
        self.rec_sum[r] += w * (new - x)
        self.rec_val[f] = new
        self.rec_has[f] = True

    def best(self, ties, rng):
        """The valid candidate with the highest gain (None when none is left), and how many tie it."""
        gain = np.where(self.valid, self.gain, -np.inf)
        k = int(np.argmax(gain)) if len(gain) else 0
        best = gain[k] if len(gain) else -np.inf
        if not np.isfinite(best):
            return None, 0
        tied = np.flatnonzero(gain >= best - TIE_RTOL * abs(best))
        if len(tied) == 1 or ties == "first":
            return int(tied[0]), len(tied) - 1
        return int(tied[rng.integers(len(tied))]), len(tied) - 1

    def outcome(self, k, side, v):
        kk = np.array([k])
        return float(self._outcome(kk, side, np.array([v]), True)[0])

    @property
    def ci(self):
        return self.c.i

    @property
    def cj(self):
        return self.c.j

    @property
    def cp(self):
        return self.c.p

    @property
    def cq(self):
        return self.c.q


def run_round(x0, w, sal, involved, *, forbidden=None, kappa=None, rng=None, ties="first",
              salience_weight=0.4, fixed_weight=0.1, shadow=None) -> RoundResult:
    """One round: build the candidates, realise them highest gain first, return the new positions.

    ``kappa`` (callable taking the :class:`Candidates` and returning rates) replaces the
    equal-gain rate (random-rate variants). ``ties`` is ``"first"`` (the candidate first in
    Decide's order) or ``"random"`` (uniform among the tied, drawn from ``rng``).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return _run_round(x0, w, sal, involved, forbidden, kappa, rng, ties, salience_weight, fixed_weight, shadow)


def _run_round(x0, w, sal, involved, forbidden, kappa, rng, ties, salience_weight, fixed_weight, shadow):
    c = candidates(x0, w, sal, involved, forbidden, left=None if shadow is None else shadow.left())
    if kappa is not None and len(c):
        c.kappa = kappa(c)
    st = _State(c, x0, w, sal, shadow)
    if len(c):
        st.calculate(np.arange(len(c)))
    seq = st
    rows = []
    voting = x0.copy()
    start_next = x0.copy()
    next_dec = None if shadow is None else [row[:] for row in shadow.x0]
    n_ties = 0
    while True:
        k, tied = seq.best(ties, rng)
        if k is None:
            break
        n_ties += tied > 0
        xi, xj, g = seq.sup_i[k], seq.sup_j[k], seq.gain[k]
        outcomes = (seq.outcome(k, "i", xi), seq.outcome(k, "i", xi + seq.move_i[k]),
                    seq.outcome(k, "j", xj), seq.outcome(k, "j", xj + seq.move_j[k]))
        a, b, p, q = seq.ci[k], seq.cj[k], seq.cp[k], seq.cq[k]
        if shadow is not None:
            ya_d, yb_d = shadow.realise(c, k)
            ya, yb = seq.realise(k, float(ya_d), float(yb_d))
            next_dec[a][q] = shadow.partial(a, q, ya_d, salience_weight, fixed_weight)
            next_dec[b][p] = shadow.partial(b, p, yb_d, salience_weight, fixed_weight)
        else:
            ya, yb = seq.realise(k)
        rows.append((a, b, p, q, xi, ya, xj, yb, g, *outcomes, c.inner[k]))
        voting[a, q] = ya
        voting[b, p] = yb
        # Partial return: the next round starts between the round's start and the voting position,
        # nearer the voting position the less the actor cares about the issue (Decide's weights).
        start_next[a, q] = _partial(x0[a, q], ya, sal[a, q], salience_weight, fixed_weight)
        start_next[b, p] = _partial(x0[b, p], yb, sal[b, p], salience_weight, fixed_weight)
    cols = ("i", "j", "p", "q", "x_i", "y_i", "x_j", "y_j", "gain",
            "outcome_q0", "outcome_q1", "outcome_p0", "outcome_p1", "inner")
    table = list(zip(*rows, strict=True)) if rows else [()] * len(cols)
    ex = {key: np.asarray(v, dtype=int if key in ("i", "j", "p", "q", "inner") else float)
          for key, v in zip(cols, table, strict=True)}
    if shadow is not None:
        start_next = np.array([[np.nan if v is None else float(v) for v in row] for row in next_dec])
    return RoundResult(voting=voting, start_next=start_next, exchanges=ex, n_candidates=len(c), ties=n_ties,
                       start_next_exact=next_dec)


def _partial(x, y, s, salience_weight, fixed_weight):
    share = (1 - s) * salience_weight + fixed_weight
    return (1 - share) * x + share * y
