"""Package deals: issues that fail one by one, agreed together (docs/process.md, "Packages").

A veto holder or a required party that loses on one issue may accept that loss for a gain on
another (Sebenius 1983 on adding issues; the logrolling of Stokman & Van Oosten 1994, here as
whole packages rather than exchanges of voting positions). A *package* is a set of 2 or 3 open
issues that each failed on its own at this stage, put to the rules together at the proposals of
the stage: actor i accepts the package when its salience-weighted gains over the package's
issues add up to no loss, Σ_{j ∈ P} g_ij ≥ −τ (τ the acceptance tolerance), and each issue of the
package must then pass its own rule and vetoes with those acceptances. Forbidden linkages are
honoured: a linkage that binds everybody keeps its two issues out of any package; one that binds
an actor makes that actor judge each of the two issues on its own.

The packages are tried smallest first, then in the scenario's order of issues, and a draw takes
every package that passes and shares no issue with one it took before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from accord.process.agenda import Agenda
from accord.process.rules import decide

#: The most issues in one package (larger packages are harder to sell and to find).
MAX_SIZE = 3
#: Most failing issues searched for packages at one stage: C(24, 3) = 2,024 candidates.
MAX_ISSUES = 24


@dataclass
class PackageLog:
    """Every package formed: ``issues`` (indices), and per draw ``stage`` (0: not formed) and the
    actors' gains over the package (n_draws, n_actors)."""

    issues: tuple[int, ...]
    stage: np.ndarray
    gains: np.ndarray
    extra: dict = field(default_factory=dict)


def candidates(failed_any: np.ndarray, banned: np.ndarray) -> list[tuple[int, ...]]:
    """Sets of 2..MAX_SIZE issues among those that failed in some draw, smallest first, none
    holding two issues whose linkage is banned for everybody (``banned`` (m, m))."""
    pool = [int(j) for j in np.flatnonzero(failed_any)][:MAX_ISSUES]
    out = []
    for size in range(2, MAX_SIZE + 1):
        for combo in combinations(pool, size):
            if not any(banned[a, b] for a, b in combinations(combo, 2)):
                out.append(combo)
    return out


def package_accepts(gain: np.ndarray, accepts: np.ndarray, involved: np.ndarray, members: tuple[int, ...],
                    no_trade: np.ndarray, tolerance: float) -> np.ndarray:
    """Acceptances (D, n, len(members)) of each member issue when the members are agreed together.

    ``gain`` (D, n, m) at this stage's proposals; ``accepts`` (D, n, m) the acceptances issue by
    issue; ``no_trade`` (n, m, m) the linkages each actor may not make.
    """
    idx = list(members)
    total = gain[:, :, idx].sum(axis=2)
    whole = total >= -tolerance - 1e-12
    out = np.empty(gain.shape[:2] + (len(idx),), dtype=bool)
    for k, j in enumerate(idx):
        others = [x for x in idx if x != j]
        alone = no_trade[:, j, others].any(axis=1)                       # (n,) may not link j
        judged = np.where(alone[None, :], accepts[:, :, j], whole)
        out[:, :, k] = np.where(involved[:, j][None, :], judged, True)
    return out


def search(gain, accepts, involved, agenda: Agenda, weight, failed, ok_change, no_trade, banned,
           tolerance: float) -> list[tuple[tuple[int, ...], np.ndarray]]:
    """The packages formed at this stage: a list of (members, draws mask), in the order taken.

    ``failed`` (D, m): open issues that failed on their own; ``ok_change`` (D, m): the proposal
    moves the issue away from its status quo (a package of no change agrees nothing).
    """
    taken = np.zeros(failed.shape, dtype=bool)
    formed = []
    for members in candidates(failed.any(axis=0), banned):
        idx = list(members)
        possible = failed[:, idx].all(axis=1) & ~taken[:, idx].any(axis=1)
        if not possible.any():
            continue
        acc = package_accepts(gain, accepts, involved, members, no_trade, tolerance)
        ok, _, _ = decide(acc, agenda.take(idx), weight[..., idx])
        passes = possible & ok.all(axis=1) & ok_change[:, idx].all(axis=1)
        if passes.any():
            taken[:, idx] |= passes[:, None]
            formed.append((members, passes))
    return formed
