"""Preconditions as bargaining chips: who holds out, who gives in (docs/process.md, "Strategic mode").

A precondition "G opens only when the demanded issues D are agreed" is a chip in the hands of its
owner o. While the demanded issues fail on their own merits, holding the chip is a war of
attrition between the owner and the actors who block D (the *counterparts*): either they give
in on D to unlock G, or the owner drops the chip and G opens without D. Each stage, in each draw
and with complete information about that draw (Rubinstein 1982; Fudenberg & Tirole 1991, ch. 4):

* gains: g_ij = s_ij (|q_j − x_ij| − |p_j − x_ij|) / (upper_j − lower_j) is what actor i gains,
  in salience-weighted shares of the scale, when issue j is agreed at the proposal p_j instead
  of staying at its status quo q_j (the utility that decides acceptance; with no status quo, the
  disagreement point is the actor's worst point on the scale);
* what each side gets: if the counterparts give in, D is agreed now and G one stage later, so
  the owner gets W_o = Σ_D g_oj + δ_o g_oG [G passes] and each counterpart k gets
  C_k = Σ_D g_kj + δ_k g_kG [G passes]; if the owner drops the chip, G is decided now and D
  stays blocked: the owner gets C_o = g_oG [G passes] and each counterpart W_k = g_kG [G passes];
  if nobody moves, nothing changes (0 to all: the stalemate);
* who cannot be moved: a counterpart that prefers the stalemate to giving in (C_k ≤ 0) will never
  give in, so the owner drops the chip if that gains it something (C_o > 0) and keeps it
  otherwise; an owner that gains nothing by dropping it (C_o ≤ 0) never does, so the
  counterparts give in if they all gain by it (C_k > 0);
* otherwise both sides prefer giving in to the stalemate and it is a war of attrition: a player
  prefers giving in now to winning T stages later when C ≥ δ^T W, so it holds out
  T* = ln(C / W) / ln δ stages (0 when C ≥ W; δ = 1 waits for ever), the counterparts as long as
  the most stubborn of them. The side that would hold out for less time gives in at once (the
  complete-information outcome); on a tie the holder keeps its chip. At the last stage there is
  no time left to wait and patience no longer counts: each side holds out −ln(C / W), i.e. the
  side whose concession costs it more relative to winning holds out.

Patience δ is per stage (per 30 days when stages carry dates): the scenario's
``process.patience`` or the actor's own. Pressure from allies shortens it: actor i's allies are
the others weighted by affinity a_ik = 1 − (salience-weighted mean distance of their positions, as
shares of the scales) and capability, leaving out the other side; with ρ_i the share of that
weight held by allies who want i to move (who gain from G being agreed, for the owner; from D
being agreed, for a counterpart), i's effective patience is δ_i (1 − λ ρ_i), λ =
``process.ally_pressure``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Decision codes per draw, as stored in ``ProcessResult.chips``.
WAITING, MET, KEPT, CONCEDED, RELEASED = 0, 1, 2, 3, 4
DECISIONS = ("waiting", "met", "kept", "conceded", "dropped")


def gains(position, salience, involved, status_quo, lower, upper, proposal) -> np.ndarray:
    """g[..., i, j]: actor i's gain if issue j is agreed at ``proposal[..., j]`` (module doc), 0
    where i has no stance on j."""
    x = np.asarray(position, dtype=float)
    p = np.asarray(proposal, dtype=float)[..., None, :]
    span = np.asarray(upper, float) - np.asarray(lower, float)
    q = np.asarray(status_quo, dtype=float)
    worst = np.where(np.abs(x - lower) >= np.abs(x - upper), lower, upper)
    ref = np.where(np.isnan(q), worst, q)
    g = np.asarray(salience, float) * (np.abs(ref - x) - np.abs(p - x)) / span
    return np.where(np.asarray(involved, bool) & np.isfinite(x) & np.isfinite(p), g, 0.0)


def affinity(position, salience, involved, lower, upper) -> np.ndarray:
    """a[..., i, k] = 1 − the salience-weighted mean distance between i's and k's positions (as
    shares of each scale) over the issues both take part in; 0 where they share none."""
    x = (np.asarray(position, float) - lower) / (np.asarray(upper, float) - lower)
    both = np.asarray(involved, bool)[..., :, None, :] & np.asarray(involved, bool)[..., None, :, :]
    w = np.where(both, np.asarray(salience, float)[..., :, None, :], 0.0)
    d = np.abs(np.nan_to_num(x)[..., :, None, :] - np.nan_to_num(x)[..., None, :, :])
    total = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (w * d).sum(axis=-1) / total
    return np.where(total > 0, 1.0 - mean, 0.0)


def pressure(aff: np.ndarray, capability: np.ndarray, wants: np.ndarray, actor: int,
             exclude: np.ndarray | None = None) -> np.ndarray:
    """ρ (per draw): the share of ``actor``'s allies' weight (affinity × capability; the actor
    itself and ``exclude`` (..., n) left out) held by those who ``wants`` it to move ((..., n))."""
    w = aff[..., actor, :] * np.asarray(capability, float)
    w = np.where(np.arange(w.shape[-1]) == actor, 0.0, w)
    if exclude is not None:
        w = np.where(exclude, 0.0, w)
    total = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (w * wants).sum(axis=-1) / total, 0.0)


def holdout(win, concede, delta, last: bool = False) -> np.ndarray:
    """T*: stages a player would hold out rather than give in (module doc); ``inf`` for ever.
    ``last``: no stage is left, patience does not count: −ln(C / W)."""
    win, concede, delta = np.broadcast_arrays(*(np.asarray(v, float) for v in (win, concede, delta)))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.log(concede / win)
        t = -ratio if last else ratio / np.log(delta)
    t = np.where((concede > 0) & (concede < win) & (last | (delta < 1)), t, np.inf)
    return np.where(concede >= win, 0.0, t)


@dataclass(frozen=True)
class ChipState:
    """What every actor expects at this stage, per draw: proposals and gains for every issue, which
    issues would pass on their own, who blocks them, and the actors' effective patience."""

    gain: np.ndarray        # (D, n, m)
    passes: np.ndarray      # (D, m) would be agreed on its own merits if open now
    blocking: np.ndarray    # (D, n, m) rejecting actors the rule or a veto needs
    delta: np.ndarray       # (D, n) patience per stage
    affinity: np.ndarray    # (D, n, n)
    capability: np.ndarray  # (D, n) or (n,)
    ally_pressure: float
    horizon: int


@dataclass(frozen=True)
class ChipDecision:
    """One precondition's decision at one stage, per draw: ``code`` (``DECISIONS``), the
    counterparts who give in (``conceders``, (D, n)), and the figures behind it."""

    code: np.ndarray
    conceders: np.ndarray
    hold_owner: np.ndarray
    hold_others: np.ndarray
    owner_gate_gain: np.ndarray
    owner_demand_gain: np.ndarray
    gate_passes: np.ndarray


def decide_chip(s: ChipState, gate: int, demands: np.ndarray, owner: int, agreed: np.ndarray,
                open_: np.ndarray) -> ChipDecision:
    """The owner's and the counterparts' moves on one precondition (``gate`` requires the issues
    in the boolean mask ``demands``), for every draw (module doc)."""
    n_d, n, _ = s.gain.shape
    due = demands[None, :] & ~agreed                                   # demands still to agree
    pending = due.any(axis=1)
    met = ~pending | np.all(s.passes | ~due, axis=1) | agreed[:, gate]  # nothing to hold out for
    ready = np.all(open_ | ~due, axis=1)                               # the demands are on the table
    g_pass = s.passes[:, gate]
    g_gate = s.gain[:, :, gate] * g_pass[:, None]                      # (D, n): G's value if opened
    g_dem = (s.gain * due[:, None, :]).sum(axis=2)                     # (D, n): the demands' value
    others = np.any(s.blocking & due[:, None, :], axis=2)              # counterparts
    others[:, owner] = False
    lam = s.ally_pressure
    last = s.horizon <= 1
    owner_mask = np.arange(n) == owner
    # Pressure: the owner's allies want G agreed; a counterpart's allies want D agreed.
    rho_o = pressure(s.affinity, s.capability, g_gate > 0, owner, exclude=others)
    delta_o = s.delta[:, owner] * (1 - lam * rho_o)
    w_o = g_dem[:, owner] + delta_o * g_gate[:, owner]
    c_o = g_gate[:, owner]
    t_o = holdout(w_o, c_o, delta_o, last)
    t_k = np.full((n_d, n), -np.inf)
    stuck = np.zeros(n_d, dtype=bool)                                  # a counterpart never gives in
    for k in range(n):
        if not others[:, k].any():
            continue
        rho_k = pressure(s.affinity, s.capability, g_dem > 0, k, exclude=owner_mask)
        delta_k = s.delta[:, k] * (1 - lam * rho_k)
        c_k = g_dem[:, k] + delta_k * g_gate[:, k]
        t_k[:, k] = np.where(others[:, k], holdout(g_gate[:, k], c_k, delta_k, last), -np.inf)
        stuck |= others[:, k] & (c_k <= 0)
    stuck |= ~others.any(axis=1)                                       # nobody to move: D fails anyway
    t_others = np.where(stuck, np.inf, t_k.max(axis=1))
    war = np.where(t_o < t_others, RELEASED, CONCEDED)
    code = np.where(stuck, np.where(c_o > 0, RELEASED, KEPT), np.where(c_o <= 0, CONCEDED, war))
    code = np.where(met, MET, np.where(ready, code, WAITING))
    conceders = others & (code == CONCEDED)[:, None]
    conceders[:, owner] |= code == CONCEDED
    return ChipDecision(code, conceders, t_o, t_others, s.gain[:, owner, gate], g_dem[:, owner], g_pass)
