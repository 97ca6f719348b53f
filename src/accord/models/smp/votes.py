"""KTAB's building blocks for SMP: votes, victory probabilities, probabilistic Condorcet elections.

Every function follows KTAB's ``kmodel.cpp`` operation by operation (same constants, same order
of floating-point additions and products), so that trajectories match KTAB's to the last bit
whenever NumPy and the C++ compiler round the same way. Sums that KTAB accumulates in a loop are
added in the same order (see :func:`seqsum`; a plain ``sum`` may add pairwise and differ in the
last bits, which can flip a later near-tie).

Citation: KAPSARC Toolkit for Behavioral Analysis (KTAB), Wise, B. et al. (2015-2019), MIT
licence, ``KTAB/kmodel/libsrc/kmodel.cpp``.
"""

from __future__ import annotations

import numpy as np

from accord.errors import ModelError

VOTING_RULES = ("binary", "prop_bin", "proportional", "prop_cbc", "cubic", "asym_prosp")
VICTORY_MODELS = ("linear", "square", "quartic", "octic", "binary")
PCE_MODELS = ("conditional", "markov_incentive", "markov_uniform")

_MIN_COALITION = 1e-8  # KTAB's minC in Model::coalitions


def seqsum(x: np.ndarray, start=None) -> np.ndarray:
    """``((start + x[0]) + x[1]) + ...`` over the LEADING axis, in order, as KTAB's loops add.

    ``x`` must be a fresh array the caller owns: ``start`` is folded into ``x[0]`` in place.
    NumPy reduces a C-contiguous array over its first axis slice by slice, which is exactly this
    order; where the rest of the array is a single element NumPy would switch to pairwise
    summation, so ``cumsum`` (sequential by definition) is used instead. ``tests/test_smp.py``
    checks the equivalence.
    """
    if x.shape[0] == 0:
        return np.broadcast_to(0.0 if start is None else start, x.shape[1:]).copy()
    if start is not None:
        x[0] += start
    if x.ndim > 1 and x[0].size > 1:
        return np.add.reduce(np.ascontiguousarray(x), axis=0)
    return np.cumsum(x, axis=0)[-1]


def vote(rule: str, w, ua, ub) -> np.ndarray:
    """KTAB's ``Model::vote``: influence actor(s) of weight ``w`` exert for option a over b.

    With du = ua - ub: ``binary`` w·clip(du/1e-8, -1, 1); ``proportional`` w·du; ``prop_bin``
    w·(0.8 du + 0.2 binary); ``cubic`` w·du³; ``prop_cbc`` w·(du + du³)/2; ``asym_prosp`` w·du
    for losses and 2/3·w·du for gains (prospect theory).
    """
    du = ua - ub
    if rule == "proportional":
        return w * du
    r_bin = np.clip(du / 1e-8, -1.0, 1.0)
    if rule == "binary":
        return w * r_bin
    if rule == "prop_bin":
        return w * ((1 - 0.2) * du + 0.2 * r_bin)
    cubic = du * du * du
    if rule == "prop_cbc":
        return w * ((1 - 0.5) * du + 0.5 * cubic)
    if rule == "cubic":
        return w * cubic
    if rule == "asym_prosp":
        return np.where(du < 0.0, w * du, np.where(du > 0.0, (2.0 * w * du) / 3.0, 0.0))
    raise ModelError(f"voting rule {rule!r} not supported; choose one of {', '.join(VOTING_RULES)}")


def victory_pair(model: str, s1: np.ndarray, s2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """KTAB's ``Model::vProb(vpm, s1, s2)``: probabilities that coalitions of strength s1, s2 win."""
    if model == "linear":
        x1, x2 = s1, s2
    elif model == "square":
        x1, x2 = s1 * s1, s2 * s2
    elif model == "quartic":
        x1, x2 = s1 * s1 * s1 * s1, s2 * s2 * s2 * s2
    elif model == "octic":
        q1, q2 = s1 * s1 * s1 * s1, s2 * s2 * s2 * s2
        x1, x2 = q1 * q1, q2 * q2
    elif model == "binary":
        thresh, min_x = 1.10, 1e-6
        with np.errstate(invalid="ignore", divide="ignore"):
            r12 = s1 / (s1 + s2)
            p12 = (r12 * (thresh + 1.0) - 1.0) / (thresh - 1.0)
        win1 = s1 >= thresh * s2
        win2 = ~win1 & (s2 >= thresh * s1)
        x1 = np.where(win1, 1.0, np.where(win2, min_x, p12))
        x2 = np.where(win1, min_x, np.where(win2, 1.0, 1 - p12))
    else:
        raise ModelError(
            f"victory probability model {model!r} not supported; choose one of {', '.join(VICTORY_MODELS)}"
        )
    return x1 / (x1 + x2), x2 / (x1 + x2)


def coalitions(rule: str, w: np.ndarray, u: np.ndarray) -> np.ndarray:
    """KTAB's ``Model::coalitions`` for simple voting: c[..., a, b], the strength backing a over b.

    ``u`` has shape (n_actors, ..., n_options) (voters first), ``w`` (n_actors,). KTAB scans
    only pairs a > b, letting actor k's vote v_k(a:b) feed c[a, b] when positive and c[b, a]
    when negative, each sum starting from 1e-8 and taken over k in order; the diagonal is 1e-8.
    Every rule but ``asym_prosp`` is exactly antisymmetric (v_k(b:a) = −v_k(a:b) in floating
    point), so then c[a, b] = 1e-8 + Σ_k max(v_k(a:b), 0) for every pair, in one pass.
    """
    wk = np.reshape(w, (-1,) + (1,) * u.ndim)
    u = np.ascontiguousarray(u)
    v = vote(rule, wk, u[..., :, None], u[..., None, :])  # (k, ..., a, b)
    pro = seqsum(np.maximum(v, 0.0), _MIN_COALITION)
    if rule != "asym_prosp":
        return pro
    con = seqsum(np.maximum(-v, 0.0), _MIN_COALITION)
    lower = np.tri(u.shape[-1], k=-1, dtype=bool)
    return np.where(lower, pro, np.swapaxes(con, -1, -2))


def victory_matrix(model: str, c: np.ndarray) -> np.ndarray:
    """KTAB's ``Model::vProb(vpm, c)``: pv[a, b] = P(a beats b), pv[a, a] = 1/2.

    KTAB computes each pair once (a > b) and sets pv[b, a] from the same call; for the power
    laws that equals computing it directly, as x + y = y + x in floating point, so only the
    ``binary`` model needs the lower-triangle bookkeeping.
    """
    ct = np.swapaxes(c, -1, -2)
    if model == "linear":
        pv = c / (c + ct)
    else:
        p1, p2 = victory_pair(model, c, ct)
        pv = np.where(np.tri(c.shape[-1], k=-1, dtype=bool), p1, np.swapaxes(p2, -1, -2)) if model == "binary" else p1
    m = c.shape[-1]
    pv.reshape(pv.shape[:-2] + (m * m,))[..., :: m + 1] = 0.5
    return pv


def conditional_pce(pv: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """KTAB's ``condPCE``: P(a) ∝ Π_b P(a beats b), the chance a beats every rival at once.

    ``valid`` (..., m) marks real options in a padded batch; padded ones get probability 0 and
    leave the others unchanged (their factors are 1).
    """
    if valid is not None:
        pv = np.where(valid[..., :, None] & valid[..., None, :], pv, 1.0)
    p = np.cumprod(pv, axis=-1)[..., -1]
    if valid is not None:
        p = np.where(valid, p, 0.0)
    return p / np.cumsum(p, axis=-1)[..., -1:]


def markov_uniform_pce(pv: np.ndarray) -> np.ndarray:
    """KTAB's ``markovUniformPCE`` for one election: challengers drawn uniformly, Newton-damped."""
    m = pv.shape[-1]
    p = np.full(m, 1.0 / m)
    for _ in range(1000):
        q = seqsum((pv * (p[:, None] + p[None, :])).T.copy()) / m
        change = np.max(np.abs(q - p))
        p = (p + q) / 2.0
        if not change > 1e-6:
            return p
    raise ModelError("markov_uniform PCE did not converge in 1000 iterations")


def markov_incentive_pce(c: np.ndarray, victory_model: str) -> np.ndarray:
    """KTAB's ``markovIncentivePCE`` for one election: challenge chances ∝ coalition × victory."""
    m = c.shape[-1]
    pv = victory_matrix(victory_model, c)
    incentive = c * pv + np.eye(m) * 1e-10
    challenge = incentive / seqsum(incentive.copy())[None, :]
    p = np.full(m, 1.0 / m)
    for _ in range(1000):
        ct = p[:, None] * challenge.T
        q = seqsum((pv * (ct + ct.T)).T.copy())
        change = np.max(np.abs(q - p))
        p = (p + q) / 2.0
        if not change > 1e-8:
            return p
    raise ModelError("markov_incentive PCE did not converge in 1000 iterations")


def scalar_pce(
    u: np.ndarray, w: np.ndarray, rule: str, victory_model: str, pce: str,
    valid: np.ndarray | None = None,
) -> np.ndarray:
    """KTAB's ``Model::scalarPCE``: probability each option wins, shape (..., n_options).

    ``u`` (n_actors, ..., n_options) utilities, ``w`` (n_actors,) voting weights. Batches (and
    padded options marked by ``valid``) are vectorised for the conditional model; the Markov
    models run one election at a time.
    """
    c = coalitions(rule, w, u)
    if pce == "conditional":
        return conditional_pce(victory_matrix(victory_model, c), valid)
    if pce not in PCE_MODELS:
        raise ModelError(f"PCE model {pce!r} not supported; choose one of {', '.join(PCE_MODELS)}")
    out = np.zeros(c.shape[:-1])
    for idx in np.ndindex(c.shape[:-2]):
        keep = np.arange(c.shape[-1]) if valid is None else np.flatnonzero(valid[idx])
        ci = c[idx][np.ix_(keep, keep)]
        if pce == "markov_uniform":
            out[idx + (keep,)] = markov_uniform_pce(victory_matrix(victory_model, ci))
        else:
            out[idx + (keep,)] = markov_incentive_pce(ci, victory_model)
    return out
