"""Array kernels of the expected utility model: one bargaining round over many rows at once.

A *row* is one issue of one Monte Carlo draw; arrays are (n_rows, n_actors) and pair matrices
(n_rows, n_actors, n_actors). Within a round every pair quantity is computed with the actors
sorted by position, because the vote sums then come from prefix sums (see :func:`_win_probability`).
The public entry points live in :mod:`accord.models.eum`; the equations are on docs/models/eum.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CONFRONTATION, COMPROMISE, CAPITULATION, NO_OFFER = 0, 1, 2, 3
KINDS = ("confrontation", "compromise", "capitulation")
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
    q, t
        Q, the probability the status quo persists without a challenge, and T, the probability
        that a change without a challenge makes things better. Q = 1 drops the T terms.
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

    def __post_init__(self):
        allowed = {
            "denominator": ("pair", "all_pairs"),
            "compromise": ("least_move", "scholz"),
            "capitulation": ("printed", "never"),
            "position_range": ("initial", "current", "scale"),
            "risk": ("security", "neutral"),
        }
        for name, values in allowed.items():
            if getattr(self, name) not in values:
                raise ValueError(f"{name} must be one of {', '.join(values)}, got {getattr(self, name)!r}")
        for name in ("q", "t"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0.0 <= v <= 1.0):
                raise ValueError(f"{name} must be a number in [0, 1], got {v!r}")


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

def _count_below(xs: np.ndarray, mid: np.ndarray) -> np.ndarray:
    """t[b, p, q] = #{k : xs[b, k] < mid[b, p, q]} for sorted rows xs (n_rows, n)."""
    out = np.empty(mid.shape, dtype=np.intp)
    for b in range(xs.shape[0]):  # searchsorted has no batch axis; rows are few or long
        out[b] = np.searchsorted(xs[b], mid[b])
    return out


def _win_probability(xs, ws, inv_pair, t_idx, upper, base, log_base, r_voter, rules):
    """P[b, p, q]: probability that the actor at sorted place p beats the one at q.

    The vote of k for p against q is v_k = w_k (D_kq - D_kp), D_ka = (|x_k - x_a| / range)^r_k.
    The numerator sums the positive votes only; in one dimension those come from the voters on
    p's side of the midpoint of x_p and x_q. With voters sorted, let S[a, t] be the prefix sum of
    w_k D_ka over the first t voters and G_a = S[a, n]: then the numerator is
    S[q, t_pq] - S[p, t_pq] when x_p < x_q (t_pq voters left of the midpoint) and
    (G_q - G_p) - (S[q, t_pq] - S[p, t_pq]) when x_p > x_q: O(n^2) per row instead of O(n^3).
    """
    if r_voter is None:
        d = base
    else:
        d = np.exp(log_base * r_voter[:, None, :])
    wd = d * ws[:, None, :]  # wd[b, a, k] = w_k D_ka
    s = np.zeros(wd.shape[:2] + (wd.shape[2] + 1,))
    np.cumsum(wd, axis=2, out=s[:, :, 1:])
    g = s[:, :, -1]
    m = np.take_along_axis(s, t_idx, axis=2)  # m[b, p, q] = S[p, t_pq]; t is symmetric
    left = m.transpose(0, 2, 1) - m  # Σ over voters left of the midpoint of w_k (D_kq - D_kp)
    right = (g[:, None, :] - g[:, :, None]) - left
    num = np.where(upper, left, right)
    np.maximum(num, 0.0, out=num)
    num *= inv_pair
    if rules.denominator == "pair":
        den = num + num.transpose(0, 2, 1)
    else:
        # Σ_k w_k Σ_{a, a'} |D_ka - D_ka'|: for each voter, sort D over the involved candidates;
        # the m-th smallest of N appears with weight 2(2m - N + 1).
        inv = inv_pair.any(axis=2)
        big = np.where(inv[:, :, None], d, np.inf)
        srt = np.sort(big, axis=1)
        n_in = inv.sum(axis=1)[:, None, None]
        rank = np.arange(d.shape[1])[None, :, None]
        coef = np.where(rank < n_in, 2.0 * (2 * rank - n_in + 1), 0.0)
        srt = np.where(np.isfinite(srt), srt, 0.0)
        den = ((coef * srt).sum(axis=1) * ws).sum(axis=1)[:, None, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def _status_quo_term(r, rules, dist, mu_dist_p, mu_dist_q, span):
    """Q·U_sq + (1 - Q)(T·U_b + (1 - T)·U_w) for i = p (against q) and for q (against p).

    U_sq = 2 - 4·0.5^r; U_b, U_w = 2 - 4(0.5 ∓ 0.25(|x_a - μ| + |x_p - x_q|)/range)^r, all with the
    perceiving actor's r (row p).
    """
    rp = np.ones(1) if r is None else r[:, :, None]
    usq = 2.0 - 4.0 * 0.5 ** rp
    if rules.q == 1.0:
        return usq, usq
    out = []
    for mu_dist in (mu_dist_p, mu_dist_q):
        e = (mu_dist + dist) / span[:, None, None]
        ub = 2.0 - 4.0 * np.clip(0.5 - 0.25 * e, 0.0, None) ** rp
        uw = 2.0 - 4.0 * (0.5 + 0.25 * e) ** rp
        out.append(rules.q * usq + (1.0 - rules.q) * (rules.t * ub + (1.0 - rules.t) * uw))
    return out[0], out[1]


def one_round(x, w, s, inv, span, rules: Rules):
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

    Returns
    -------
    new_x : (n_rows, n) new positions.
    other : (n_rows, n) int, index of the actor whose offer was taken (-1: none).
    kind : (n_rows, n) int, CONFRONTATION / COMPROMISE / CAPITULATION / NO_OFFER.
    eu_actor, eu_other : (n_rows, n) EU_ij and EU_ji (i's view) of the offer taken (NaN: none).
    r : (n_rows, n) risk exponents used this round.
    """
    n_rows, n = x.shape
    order = np.argsort(x, axis=1, kind="stable")
    xs = np.take_along_axis(x, order, axis=1)
    ws = np.take_along_axis(w, order, axis=1)
    ss = np.take_along_axis(s, order, axis=1)
    invs = np.take_along_axis(inv, order, axis=1)
    mu = condorcet_median(xs, ws)

    diff = xs[:, None, :] - xs[:, :, None]  # diff[b, p, q] = x_q - x_p
    dist = np.abs(diff)
    base = dist / span[:, None, None]
    with np.errstate(divide="ignore"):
        log_base = np.log(base)
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    inv_pair = invs[:, :, None] & invs[:, None, :]
    distinct = inv_pair & (dist > 0)
    t_idx = _count_below(xs, (xs[:, :, None] + xs[:, None, :]) * 0.5)
    mu_dist = np.abs(xs - mu[:, None])

    # Risk: every actor's danger Σ_k EU_k(k challenges i) with r = 1 for all; R and r from it.
    if rules.risk == "security":
        p1 = _win_probability(xs, ws, inv_pair, t_idx, upper, base, log_base, None, rules)
        # With r = 1: U_s = 2d, U_f = -2d, U_sq = 0, U_b = e, U_w = -e.
        eu = 2.0 * base * (1.0 - 2.0 * ss[:, None, :] * (1.0 - p1))  # [b, k, i]: k challenges i
        if rules.q != 1.0:
            e = (mu_dist[:, :, None] + dist) / span[:, None, None]
            eu -= (1.0 - rules.q) * (2.0 * rules.t - 1.0) * e
        eu *= inv_pair
        eu[:, np.arange(n), np.arange(n)] = 0.0
        danger = eu.sum(axis=1)
        hi = np.where(invs, danger, -np.inf).max(axis=1, keepdims=True)
        lo = np.where(invs, danger, np.inf).min(axis=1, keepdims=True)
        spread = hi - lo
        ok = np.isfinite(spread) & (spread > 0)
        big_r = np.where(ok, (2.0 * danger - hi - lo) / np.where(ok, spread, 1.0), 0.0)
        big_r = np.clip(big_r, -1.0, 1.0)
        r = (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0)
    else:
        r = np.ones_like(xs)

    # Offers, from the receiver p's point of view (its own r for every utility).
    risk_neutral = rules.risk == "neutral"
    p = _win_probability(
        xs, ws, inv_pair, t_idx, upper, base, log_base, None if risk_neutral else r, rules
    )
    rp = r[:, :, None]
    with np.errstate(divide="ignore"):
        la = np.log(0.5 - 0.5 * base)
    us = 2.0 - 4.0 * np.exp(rp * la)
    uf = 2.0 - 4.0 * np.exp(rp * np.log(0.5 + 0.5 * base))
    sq_p, sq_q = _status_quo_term(
        None if risk_neutral else r, rules, dist, mu_dist[:, :, None], mu_dist[:, None, :], span
    )
    gap = us - uf
    eu_pq = us - ss[:, None, :] * (1.0 - p) * gap - sq_p  # p challenges q
    eu_qp = us - ss[:, :, None] * (1.0 - p.transpose(0, 2, 1)) * gap - sq_q  # q challenges p

    loses = (eu_qp > 0) & distinct
    conf = loses & (eu_pq > 0) & (eu_qp > eu_pq)
    yields = loses & (eu_pq < 0)
    comp = yields & (eu_qp > -eu_pq)
    kind = np.where(conf, CONFRONTATION, np.where(comp, COMPROMISE, NO_OFFER)).astype(np.int8)
    if rules.capitulation == "printed":
        kind[yields & (eu_qp < -eu_pq)] = CAPITULATION
    best = kind.min(axis=2)

    with np.errstate(invalid="ignore", divide="ignore"):
        comp_pos = xs[:, :, None] + diff * np.abs(eu_pq / eu_qp)
    target = np.where(comp, comp_pos, xs[:, None, :])
    if rules.compromise == "scholz":
        a, b = np.abs(eu_pq), np.abs(eu_qp)
        with np.errstate(invalid="ignore", divide="ignore"):
            comp_key = (a * xs[:, :, None] + b * xs[:, None, :]) / (a + b)
        key = np.where(comp, comp_key, dist)
    else:
        key = np.abs(target - xs[:, :, None])
    key = np.where(kind == best[:, :, None], key, np.inf)
    # Ties go to the first actor in input order, as the reference replication's min() does.
    tied = key == key.min(axis=2, keepdims=True)
    first = np.where(tied, order[:, None, :], n).min(axis=2)
    rank = np.argsort(order, axis=1)  # sorted place of each input index
    q_star = np.take_along_axis(rank, np.minimum(first, n - 1), axis=1)[:, :, None]

    moves = (best != NO_OFFER) & invs
    pick = lambda a: np.take_along_axis(a, q_star, axis=2)[:, :, 0]  # noqa: E731
    new_s = np.where(moves, pick(target), xs)
    # Back from sorted places to input order.
    new_x = np.empty_like(x)
    np.put_along_axis(new_x, order, new_s, axis=1)
    other = np.where(moves, first, -1)
    eu_a = np.where(moves, pick(eu_pq), np.nan)
    eu_o = np.where(moves, pick(eu_qp), np.nan)
    out = [np.empty_like(x) for _ in range(3)]
    for dst, src in zip(out, (eu_a, eu_o, r), strict=True):
        np.put_along_axis(dst, order, src, axis=1)
    other_x = np.empty(x.shape, dtype=np.intp)
    np.put_along_axis(other_x, order, other, axis=1)
    kind_x = np.empty(x.shape, dtype=np.int8)
    np.put_along_axis(kind_x, order, np.where(moves, best, NO_OFFER).astype(np.int8), axis=1)
    return new_x, other_x, kind_x, out[0], out[1], out[2]


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
        new, other, kind, eu_a, eu_o, r = one_round(xa, wa, sa, inva, sp, rules)
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
