"""A decimal shadow of the exchange round, for bit-for-bit agreement with Decide where it matters.

Decide computes in Python decimals (28 significant digits). When an exchange is cut so that an
outcome lands exactly on the demanding actor's position, the next exchange on that issue asks
whether the outcome is already there; in exact arithmetic it is, and the answer then hangs on the
last digit of the rounding. Floats round differently, so a float engine would take the other
branch about half the time and the rounds drift apart. The shadow keeps, in decimals, only what
feeds such a decision: the round's start positions and the voting positions of realised exchanges
(a few dozen per round), each computed in the same arithmetic order as Decide. The float engine
does everything else and asks the shadow only at near-ties.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

import numpy as np

_CTX = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)  # Python's default context
_ZERO = Decimal(0)


def to_decimal(v: float) -> Decimal:
    """The decimal a person typed for ``v`` (shortest repr), as Decide reads it from text."""
    return Decimal(repr(float(v)))


class DecimalShadow:
    """Decimal copies of one round's positions, saliences, powers and realised moves.

    ``x``, ``s``, ``c`` are lists of lists (n_actors × n_issues) of :class:`~decimal.Decimal` on the
    normalised 0–100 scale (``None`` where the actor is not involved).
    """

    def __init__(self, x, s, c, factors: dict | None = None):
        self.x0 = x
        # Decide's partial-return factors per (actor, issue): saliences do not change between
        # rounds, so one run's shadows share this cache (a global cache thrashes in Monte Carlo,
        # where every draw has its own saliences).
        self.factors = {} if factors is None else factors
        self.s = s
        self.c = c
        n, m = len(x), len(x[0])
        self.n, self.m = n, m
        self.actors_on = [[a for a in range(n) if x[a][i] is not None] for i in range(m)]
        self.rank = [{a: k for k, a in enumerate(on)} for on in self.actors_on]
        with decimal.localcontext(_CTX):
            self.S = [sum((s[a][i] * c[a][i] for a in self.actors_on[i]), _ZERO) for i in range(m)]
            # Each start position's term x s c and the running sums of the terms in actor order:
            # an outcome with a few positions changed reuses the sum up to the first of them,
            # which is the same chain of roundings as summing from the start.
            self.term = [[x[a][i] * s[a][i] * c[a][i] for a in self.actors_on[i]] for i in range(m)]
            self.prefix = []
            for i in range(m):
                run = [_ZERO]
                for t in self.term[i]:
                    run.append(run[-1] + t)
                self.prefix.append(run)
        self.voting = [row[:] for row in x]
        self.rec: dict[tuple[int, int], dict[int, Decimal]] = {}

    # -- outcomes --------------------------------------------------------------------------------
    def _weighted(self, issue, pos):
        """Σ x s c over the issue's actors in order, ``pos`` overriding start positions (call
        inside the decimal context)."""
        rank = self.rank[issue]
        first = min((rank[a] for a in pos if a in rank), default=None)
        if first is None:
            return self.prefix[issue][-1]
        acts, term, s, c = self.actors_on[issue], self.term[issue], self.s, self.c
        num = self.prefix[issue][first]
        for k in range(first, len(acts)):
            a = acts[k]
            v = pos.get(a)
            num += term[k] if v is None else v * s[a][issue] * c[a][issue]
        return num

    def outcome(self, demander, issue, mover, v, mover_wins=True):
        """Outcome of ``issue`` from the round's start positions, the positions recorded for
        ``demander`` on it, and ``mover`` at ``v`` (which loses to a record unless ``mover_wins``)."""
        with decimal.localcontext(_CTX):
            return self._outcome(demander, issue, mover, v, mover_wins)

    def _outcome(self, demander, issue, mover, v, mover_wins=True):
        pos = dict(self.rec.get((demander, issue), {}))
        if mover_wins or mover not in pos:
            pos[mover] = v
        if self.S[issue] == 0:
            return _ZERO
        return self._weighted(issue, pos) / self.S[issue]

    def left(self) -> np.ndarray:
        """Whether each actor is at or left of each issue's compromise outcome (n, m)."""
        out = np.zeros((self.n, self.m), bool)
        with decimal.localcontext(_CTX):
            for i in range(self.m):
                nbs = self._weighted(i, {}) / self.S[i] if self.S[i] != 0 else _ZERO
                for a in self.actors_on[i]:
                    out[a, i] = self.x0[a][i] <= nbs
        return out

    def gap(self, c, k, side) -> float:
        """Demander's position minus the outcome before the side's move, in decimals."""
        if side == "i":
            mover, demander, a = int(c.i[k]), int(c.j[k]), int(c.q[k])
        else:
            mover, demander, a = int(c.j[k]), int(c.i[k]), int(c.p[k])
        with decimal.localcontext(_CTX):
            d = self.x0[demander][a] - self._outcome(demander, a, mover, self.voting[mover][a])
        return float(d)

    # -- one exchange, as Decide computes it -----------------------------------------------------
    def exchange(self, c, k, sure=(False, False)):
        """Voting positions (y_i on q, y_j on p) of exchange ``k`` from the current decimal state.

        ``sure`` (side i, side j): the float engine found that side's move far from its bound
        (both differences beyond its ``SURE_MARGIN``), so the decimal check would keep the move
        too and is skipped.
        """
        i, j, p, q = int(c.i[k]), int(c.j[k]), int(c.p[k]), int(c.q[k])
        x0, s, cc, S = self.x0, self.s, self.c, self.S
        with decimal.localcontext(_CTX):
            sup_i, sup_j = self.voting[i][q], self.voting[j][p]
            dem_i, dem_j = x0[i][p], x0[j][q]
            dist_p, dist_q = abs(dem_i - sup_j), abs(dem_j - sup_i)
            rp = dist_p * s[j][p] * cc[j][p] / S[p]
            rq = (s[j][p] + s[i][p]) / (s[j][q] + s[i][q]) * rp
            mi = rq * S[q] / (cc[i][q] * s[i][q])
            mj = dist_p
            if abs(mi) > dist_q:
                rq = dist_q * s[i][q] * cc[i][q] / S[q]
                rp = (s[i][q] + s[j][q]) / (s[i][p] + s[j][p]) * rq
                mi = dist_q
                mj = rp * S[p] / (cc[j][p] * s[j][p])
            mi = -mi if sup_i > dem_j else mi
            mj = -mj if sup_j > dem_i else mj
            yi, yj = sup_i + mi, sup_j + mj
            if not sure[0]:
                yi, yj = self._bound(i, q, sup_i, yi, j, p, sup_j, yj)
            if not sure[1]:
                yj, yi = self._bound(j, p, sup_j, yj, i, q, sup_i, yi)
        return yi, yj

    def _bound(self, x, a, sup_x, y_x, o, b, sup_o, y_o):
        """Cut the move of ``x`` on ``a`` so the outcome stops at ``o``'s position (see the engine)."""
        s, cc, S = self.s, self.c, self.S
        t = self.x0[o][a]
        d0 = t - self._outcome(o, a, x, sup_x)
        d1 = t - self._outcome(o, a, x, y_x)
        if (d0 >= 0 and d1 >= 0) or (d0 <= 0 and d1 <= 0):
            return y_x, y_o
        pos = dict(self.rec.get((o, a), {}))
        pos = {x: sup_x, **pos}
        num = self._weighted(a, pos)
        delta = abs((t * S[a] - num) / (s[x][a] * cc[x][a]))
        ra = delta * s[x][a] * cc[x][a] / S[a]
        rb = (s[x][a] + s[o][a]) / (s[x][b] + s[o][b]) * ra
        m_o = abs(rb * S[b] / (cc[o][b] * s[o][b]))
        m_o = -m_o if sup_o > self.x0[x][b] else m_o
        m_x = -delta if sup_x > t else delta
        return sup_x + m_x, sup_o + m_o

    # -- bookkeeping after a realised exchange ---------------------------------------------------
    def realise(self, c, k, sure=(False, False)):
        """Realise exchange ``k``: update voting positions and records; return (y_i, y_j)."""
        i, j, p, q = int(c.i[k]), int(c.j[k]), int(c.p[k]), int(c.q[k])
        yi, yj = self.exchange(c, k, sure)
        self._record(j, q, i, yi, self.x0[i][q])
        self._record(i, p, j, yj, self.x0[j][p])
        self.voting[i][q] = yi
        self.voting[j][p] = yj
        return yi, yj

    def _record(self, demander, issue, mover, y, start):
        book = self.rec.setdefault((demander, issue), {})
        old = book.get(mover)
        if old is None:
            book[mover] = y
        elif start <= old:
            book[mover] = min(old, y)
        else:
            book[mover] = max(old, y)

    def partial(self, a, issue, y, salience_weight, fixed_weight):
        """Decide's next start position, with its weights taken as binary floats:
        (1 - s) sw y + fw y + (1 - (1 - s) sw - fw) x, evaluated left to right."""
        key = (a, issue, salience_weight, fixed_weight)
        f = self.factors.get(key)
        if f is None:
            f = self.factors[key] = _partial_factors(self.s[a][issue], salience_weight, fixed_weight)
        share, fw, rest = f
        with decimal.localcontext(_CTX):
            return share * y + fw * y + rest * self.x0[a][issue]


def _partial_factors(s, salience_weight, fixed_weight):
    """(1 - s) sw, fw and 1 - (1 - s) sw - fw in decimals, rounded as Decide's expression rounds them."""
    with decimal.localcontext(_CTX):
        sw, fw = Decimal(salience_weight), Decimal(fixed_weight)
        share = (1 - s) * sw
        return share, fw, 1 - share - fw
