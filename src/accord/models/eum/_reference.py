"""Array kernels of the expected utility model: one bargaining round over many rows at once.

A *row* is one issue of one Monte Carlo draw; arrays are (n_rows, n_actors) and pair matrices
(n_rows, n_actors, n_actors). Within a round every pair quantity is computed with the actors
sorted by position, because the vote sums then come from prefix sums (see :func:`_win_probability`).
The public entry points live in :mod:`accord.models.eum`; the equations are on docs/models/eum.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

CONFRONTATION, COMPROMISE, CAPITULATION, NO_OFFER = 0, 1, 2, 3
KINDS = ("confrontation", "compromise", "capitulation")
#: Expected utilities (which lie in [-4, 4]) closer than this are equal, and smaller in size are 0:
#: with saliences of 1 on both sides EU_ij = -EU_ji exactly in real numbers, and rounding alone
#: would decide between a compromise and no offer (the two engines round differently).
EU_TIE = 1e-12
#: Offers whose keys (distances moved, on the issue's scale) differ by less than this share of the
#: scale are equally good; the first sender in input order takes them.
KEY_TIE = 1e-12
STOP_CODES = ("rounds", "converged", "cycle")


@dataclass(frozen=True)
class Rules:
    """The choices on which the EUM's sources disagree (see docs/models/eum.md).

    denominator
        ``"pair"``: P_ij = votes for i / all votes cast between i and j, so P_ij + P_ji = 1
        (Scholz, Calbert & Smith 2011 as printed). ``"all_pairs"``: divide by the votes cast over
        every ordered pair of actors (Scholz's own code; the reference log).
    compromise
        Which of several compromise offers an actor takes. ``"least_move"``: the one that moves it
        least (as the paper says). ``"scholz"``: the smallest |EU_ij| x_i + |EU_ji| x_j over
        |EU_ij| + |EU_ji| (Scholz's code, kept by the reference replication).
    capitulation
        ``"printed"``: capitulate when EU_ji > 0 > EU_ij and EU_ji < |EU_ij|. ``"never"``: the
        reference replication's test compares a value with itself and never fires.
    q
        Q: the probability the status quo persists when nobody challenges it (Bueno de Mesquita
        1994). Q = 1 (the default) drops the T terms.
    t
        T: the probability that a change nobody challenged makes things better for the actor
        (used only when Q < 1).
    position_range
        Distances are divided by the range of positions: ``"initial"`` (fixed from the first
        positions), ``"current"`` (recomputed every round) or ``"scale"`` (the issue's scale).
    risk
        ``"security"``: risk exponents from each actor's danger level relative to the other
        actors' (Scholz et al., section 5). ``"neutral"``: r = 1 for every actor.
    """

    denominator: str = "pair"
    compromise: str = "least_move"
    capitulation: str = "printed"
    q: float = 1.0
    t: float = 1.0
    position_range: str = "initial"
    risk: str = "security"



# -- medians ---------------------------------------------------------------------------------

def condorcet_median(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The actor position that minimises Σ_k w_k |x_k - p| (BDM's median voter), shape (n_rows,).

    With distance-linear utilities this is the position that wins every pairwise vote of
    capability × salience. It is the weighted median; when the weight below some position is
    exactly half the total, every position up to the next one ties and the lower is returned.
    Rows whose weights are all 0 give NaN.
    """
    order = np.argsort(x, axis=-1, kind="stable")
    xs = np.take_along_axis(x, order, axis=-1)
    cum = np.cumsum(np.take_along_axis(w, order, axis=-1), axis=-1)
    total = cum[..., -1:]
    k = np.argmax(cum >= total * (0.5 - 1e-12), axis=-1)
    out = np.take_along_axis(xs, k[..., None], axis=-1)[..., 0]
    return np.where(total[..., 0] > 0, out, np.nan)


def weighted_mean(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    total = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (w * x).sum(axis=-1) / np.where(total > 0, total, 1.0), np.nan)


# -- one round -------------------------------------------------------------------------------

# Below this many actors, counting voters left of each midpoint by direct comparison (O(n^3) per
# row, all in one vectorised call) beats one binary search per row.
_DIRECT_COUNT = 24


def _count_below(xs: np.ndarray) -> np.ndarray:
    """t[b, p, q] = #{k : xs[b, k] < (xs[b, p] + xs[b, q]) / 2} for rows xs sorted ascending."""
    mid = (xs[:, :, None] + xs[:, None, :]) * 0.5
    n_rows, n = xs.shape
    if n <= _DIRECT_COUNT:
        return np.count_nonzero(xs[:, None, None, :] < mid[..., None], axis=3)
    out = np.empty(mid.shape, dtype=np.intp)
    for b in range(n_rows):  # searchsorted has no batch axis
        out[b] = np.searchsorted(xs[b], mid[b])
    return out


def _win_probability(d, ws, at_mid, upper, distinct, denominator, involved):
    """P[b, p, q]: probability that the actor at sorted place p beats the one at q.

    ``d[b, a, k]`` is D_ka = (|x_k - x_a| / range)^r_k with candidates a and voters k both in
    sorted order. The vote of k for p against q is v_k = w_k (D_kq - D_kp); the numerator sums
    the positive votes only, and in one dimension those are the voters on p's side of the
    midpoint of x_p and x_q. With S[a, t] the prefix sum of w_k D_ka over the first t voters and
    G_a = S[a, n], the numerator is S[q, t_pq] - S[p, t_pq] when x_p < x_q (t_pq voters lie left
    of the midpoint) and (G_q - G_p) - (S[q, t_pq] - S[p, t_pq]) when x_p > x_q: O(n^2) per row
    instead of O(n^3). ``at_mid`` holds the flat indices of S[p, t_pq].
    """
    n_rows, n, _ = d.shape
    s = np.zeros((n_rows, n, n + 1))
    np.cumsum(d * ws[:, None, :], axis=2, out=s[:, :, 1:])
    g = s[:, :, n]
    m = s.reshape(-1)[at_mid]  # m[b, p, q] = S[p, t_pq]; t is symmetric
    left = m.transpose(0, 2, 1) - m  # Σ over voters left of the midpoint of w_k (D_kq - D_kp)
    # upper triangle (x_p < x_q): left; lower: (G_q - G_p) - left.
    _, sign, lower = upper
    num = left * sign
    num += (g[:, None, :] - g[:, :, None]) * lower
    np.maximum(num, 0.0, out=num)
    num *= distinct
    if denominator == "pair":
        den = num + num.transpose(0, 2, 1)
    else:
        # Σ_k w_k Σ_{a, a'} |D_ka - D_ka'| over involved candidates a, a': for each voter sort
        # D over the candidates; the m-th smallest of N enters with weight 2(2m - N + 1).
        srt = np.sort(np.where(involved[:, :, None], d, np.inf), axis=1)
        n_in = involved.sum(axis=1)[:, None, None]
        rank = np.arange(n)[None, :, None]
        coef = np.where(rank < n_in, 2.0 * (2 * rank - n_in + 1), 0.0)
        srt[~np.isfinite(srt)] = 0.0
        den = np.broadcast_to(((coef * srt).sum(axis=1) * ws).sum(axis=1)[:, None, None], num.shape)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def _status_quo_term(r, rules, dist, mu_dist_p, mu_dist_q, span):
    """Q·U_sq + (1 - Q)(T·U_b + (1 - T)·U_w) for i = p (against q) and for q (against p).

    U_sq = 2 - 4·0.5^r; U_b, U_w = 2 - 4(0.5 ∓ 0.25(|x_a - μ| + |x_p - x_q|)/range)^r, all with the
    perceiving actor's r (row p).
    """
    rp = r[:, :, None]
    usq = 2.0 - 4.0 * 0.5**rp
    if rules.q == 1.0:
        return usq, usq
    out = []
    for mu_dist in (mu_dist_p, mu_dist_q):
        e = (mu_dist + dist) / span[:, None, None]
        ub = 2.0 - 4.0 * np.clip(0.5 - 0.25 * e, 0.0, None) ** rp
        uw = 2.0 - 4.0 * (0.5 + 0.25 * e) ** rp
        out.append(rules.q * usq + (1.0 - rules.q) * (rules.t * ub + (1.0 - rules.t) * uw))
    return out[0], out[1]


def one_round(x, w, s, inv, span, rules: Rules, *, record: bool = True):
    """One round of challenges and offers; positions move simultaneously.

    Parameters
    ----------
    x, w, s : (n_rows, n) float
        Positions (finite everywhere), weights capability × salience (0 where not involved) and
        saliences.
    inv : (n_rows, n) bool
        Involved actors; the others neither vote, challenge nor move.
    span : (n_rows,) float
        The position range that normalises distances (> 0).
    record : bool
        Also return who made the offer taken, its kind and expected utilities.

    Returns
    -------
    new_x : (n_rows, n) new positions, and when ``record``:
    other : (n_rows, n) int, index of the actor whose offer was taken (-1: none).
    kind : (n_rows, n) int, CONFRONTATION / COMPROMISE / CAPITULATION / NO_OFFER.
    eu_actor, eu_other : (n_rows, n) EU_ij and EU_ji (i's view) of the offer taken (NaN: none).
    r : (n_rows, n) risk exponents used this round.
    """
    # log(0) = -inf is wanted (a distance of the whole range: (1 - 1)^r = 0).
    with np.errstate(divide="ignore", invalid="ignore"):
        return _one_round(x, w, s, inv, span, rules, record)


@lru_cache(maxsize=64)
def _grid(n_rows: int, n: int):
    """Index arrays reused every round: rows (n_rows, 1), places (n,), upper triangle (n, n),
    and the flat offset of row (b, p) of an (n_rows, n, n + 1) array."""
    rows = np.arange(n_rows)[:, None]
    places = np.arange(n)
    upper = places[:, None] < places[None, :]
    flat = (np.arange(n_rows * n) * (n + 1)).reshape(n_rows, n, 1)
    return rows, places, (upper, np.where(upper, 1.0, -1.0), (~upper).astype(float)), flat


def _one_round(x, w, s, inv, span, rules, record):
    n_rows, n = x.shape
    rows, places, upper, flat = _grid(n_rows, n)
    order = np.argsort(x, axis=1, kind="stable")
    xs, ws, ss, invs = x[rows, order], w[rows, order], s[rows, order], inv[rows, order]

    diff = xs[:, None, :] - xs[:, :, None]  # diff[b, p, q] = x_q - x_p
    dist = np.abs(diff)
    base = dist * (1.0 / span)[:, None, None]
    inv_pair = invs[:, :, None] & invs[:, None, :]
    distinct = inv_pair & (dist > 0)
    at_mid = _count_below(xs) + flat
    if rules.q != 1.0:
        cum = np.cumsum(ws, axis=1)
        mu = xs[rows[:, 0], np.argmax(cum >= cum[:, -1:] * (0.5 - 1e-12), axis=1)]
        mu_dist = np.abs(xs - mu[:, None])
    else:
        mu_dist = None

    # Risk: each actor's danger Σ_k EU(k challenges i) with r = 1 for everyone; R, then r.
    if rules.risk == "security":
        p1 = _win_probability(base, ws, at_mid, upper, distinct, rules.denominator, invs)
        # With r = 1: U_s = 2d, U_f = -2d, U_sq = 0, U_b = e, U_w = -e (d_ii = 0 drops k = i).
        bm = base * inv_pair
        danger = 2.0 * bm.sum(axis=1) - 4.0 * ss * (bm * (1.0 - p1)).sum(axis=1)
        if rules.q != 1.0:
            e = (mu_dist[:, :, None] + dist) * (1.0 / span)[:, None, None]
            e *= inv_pair & ~np.eye(n, dtype=bool)
            danger -= (1.0 - rules.q) * (2.0 * rules.t - 1.0) * e.sum(axis=1)
        hi = np.where(invs, danger, -np.inf).max(axis=1, keepdims=True)
        lo = np.where(invs, danger, np.inf).min(axis=1, keepdims=True)
        spread = hi - lo
        ok = np.isfinite(spread) & (spread > 0)
        big_r = np.clip(np.where(ok, (2.0 * danger - hi - lo) / np.where(ok, spread, 1.0), 0.0), -1.0, 1.0)
        r = (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0)
        # D_ka = base^r_k for the voters' own exponents.
        d = np.exp(np.log(base) * r[:, None, :])
    else:
        r = np.ones_like(xs)
        d = base
    p = _win_probability(d, ws, at_mid, upper, distinct, rules.denominator, invs)

    # Offers, in the receiver p's eyes (its own r for every utility):
    # U_s = 2 - 4(0.5 - 0.5d)^r, U_f = 2 - 4(0.5 + 0.5d)^r, written as 0.5^r (1 ∓ d)^r.
    rp = r[:, :, None]
    half_r = 4.0 * 0.5**rp
    us = 2.0 - half_r * np.exp(rp * np.log1p(-base))
    gap = half_r * np.exp(rp * np.log1p(base))
    gap -= 2.0 - us  # U_s - U_f
    if rules.q == 1.0:
        sq_p = sq_q = 2.0 - half_r
    else:
        sq_p, sq_q = _status_quo_term(r, rules, dist, mu_dist[:, :, None], mu_dist[:, None, :], span)
    eu_pq = us - sq_p - ss[:, None, :] * (1.0 - p) * gap  # p challenges q
    eu_qp = us - sq_q - ss[:, :, None] * (1.0 - p.transpose(0, 2, 1)) * gap  # q challenges p

    loses = (eu_qp > EU_TIE) & distinct
    conf = loses & (eu_pq > EU_TIE) & (eu_qp > eu_pq + EU_TIE)
    yields = loses & (eu_pq < -EU_TIE)
    neg = -eu_pq
    # EU_ji = |EU_ij| (a tie) is a compromise that goes all the way, which is where a
    # capitulation would land too.
    comp = yields & (eu_qp >= neg - EU_TIE)
    # conf, comp and capitulation exclude each other: NO_OFFER = 3 minus 3, 2 or 1.
    kind = np.full(conf.shape, NO_OFFER, dtype=np.int8)
    kind -= 3 * conf.view(np.int8)
    kind -= 2 * comp.view(np.int8)
    if rules.capitulation == "printed":
        kind -= (yields & (eu_qp < neg - EU_TIE)).view(np.int8)
    best = kind.min(axis=2, keepdims=True)

    ratio = np.divide(neg, eu_qp, out=np.zeros_like(neg), where=comp)
    whole = ~comp | (ratio >= 1.0)
    target = np.where(whole, xs[:, None, :], xs[:, :, None] + diff * ratio)
    if rules.compromise == "scholz":
        a, b = np.abs(eu_pq), np.abs(eu_qp)
        ab = a + b
        wavg = np.divide(a * xs[:, :, None] + b * xs[:, None, :], ab, out=np.zeros_like(ab), where=comp)
        key = np.where(comp, wavg, dist)
    else:
        key = np.abs(target - xs[:, :, None])
    key[kind != best] = np.inf
    # Ties go to the first actor in input order, as the reference replication's min() does:
    # look for the minimum with the columns back in input order.
    rank = np.empty_like(order)
    rank[rows, order] = places
    p_idx = places[None, :, None]
    keyed = key[rows[:, :, None], p_idx, rank[:, None, :]]
    near = keyed <= keyed.min(axis=2, keepdims=True) + (KEY_TIE * span)[:, None, None]
    first = np.argmax(near, axis=2)
    q_star = rank[rows, first]
    p_idx = places[None, :]
    moves = (best[:, :, 0] != NO_OFFER) & invs
    new_s = np.where(moves, target[rows, p_idx, q_star], xs)
    new_x = np.empty_like(x)
    new_x[rows, order] = new_s
    if not record:
        return new_x
    back = (rows, rank)  # sorted place -> input order
    other = np.where(moves, first, -1)[back]
    kind_x = np.where(moves, best[:, :, 0], NO_OFFER).astype(np.int8)[back]
    eu_a = np.where(moves, eu_pq[rows, p_idx, q_star], np.nan)[back]
    eu_o = np.where(moves, eu_qp[rows, p_idx, q_star], np.nan)[back]
    return new_x, other, kind_x, eu_a, eu_o, r[back]


# -- rounds ----------------------------------------------------------------------------------

def position_span(x, inv):
    """Range of the involved positions per row (1 where it is 0, so distances stay finite)."""
    hi = np.where(inv, x, -np.inf).max(axis=1)
    lo = np.where(inv, x, np.inf).min(axis=1)
    span = hi - lo
    return np.where(np.isfinite(span) & (span > 0), span, 1.0)


def run(x0, w, s, inv, span, rules: Rules, *, rounds: int, tol: float | None, record: bool = False):
    """Play up to ``rounds`` rounds on every row; a row stops early when it converges or cycles.

    Parameters
    ----------
    x0, w, s, inv : (n_rows, n)
        Initial positions (finite everywhere; non-involved actors hold any in-range value),
        weights, saliences and involvement.
    span : (n_rows,)
        Position range for ``position_range`` "initial" or "scale" (ignored for "current").
    tol : float or None
        A row has *converged* when no position moved more than ``tol`` × range in a round, and
        *cycles* when its positions come back (within the same tolerance) to those of an
        earlier round. ``None`` plays exactly ``rounds`` rounds.

    Returns
    -------
    dict with ``x`` (n_rows, n) final positions, ``rounds`` (n_rows,) rounds played, ``stopped``
    (n_rows,) codes into STOP_CODES, ``cycle`` (n_rows,) cycle length (0: none) and, when
    ``record``, ``history`` (list of (n_rows, n) positions, initial first) and ``moves`` (one
    dict of (n_rows, n) arrays per round: other, kind, eu_actor, eu_other, r).
    """
    n_rows = x0.shape[0]
    x = x0.copy()
    active = np.ones(n_rows, dtype=bool)
    played = np.zeros(n_rows, dtype=np.intp)
    stopped = np.zeros(n_rows, dtype=np.int8)
    cycle = np.zeros(n_rows, dtype=np.intp)
    history = [x0]
    moves = []
    for _ in range(rounds):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        every = idx.size == n_rows
        xa, inva = (x, inv) if every else (x[idx], inv[idx])
        wa, sa = (w, s) if every else (w[idx], s[idx])
        sp = position_span(xa, inva) if rules.position_range == "current" else span[idx]
        if record:
            new, other, kind, eu_a, eu_o, r = one_round(xa, wa, sa, inva, sp, rules)
        else:
            new = one_round(xa, wa, sa, inva, sp, rules, record=False)
        x = x.copy()
        x[idx] = new
        played[idx] += 1
        if record:
            full = {
                "other": np.full((n_rows, x.shape[1]), -1, dtype=np.intp),
                "kind": np.full((n_rows, x.shape[1]), NO_OFFER, dtype=np.int8),
                "eu_actor": np.full(x.shape, np.nan),
                "eu_other": np.full(x.shape, np.nan),
                "r": np.full(x.shape, np.nan),
            }
            for key, val in zip(full, (other, kind, eu_a, eu_o, r), strict=True):
                full[key][idx] = val
            moves.append(full)
        if tol is not None:
            limit = tol * sp
            step = np.where(inva, np.abs(new - xa), 0.0).max(axis=1)
            done = step <= limit
            stopped[idx[done]] = 1
            back = np.zeros(idx.size, dtype=np.intp)
            for k, old in enumerate(history[:-1]):
                olda = old if every else old[idx]
                same = np.where(inva, np.abs(new - olda), 0.0).max(axis=1) <= limit
                back = np.where(same, len(history) - k, back)  # the latest match: shortest cycle
            cyc = (back > 0) & ~done
            stopped[idx[cyc]] = 2
            cycle[idx[cyc]] = back[cyc]
            active[idx[done | cyc]] = False
            history.append(x)
        elif record:
            history.append(x)
    out = {"x": x, "rounds": played, "stopped": stopped, "cycle": cycle}
    if record:
        out["history"] = history
        out["moves"] = moves
    return out
