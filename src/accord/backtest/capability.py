"""Capability of EU legislative actors: Council voting power by period, Commission and Parliament.

DEU records positions and saliences but no capability; studies supply it (Thomson et al. 2006;
Thomson 2011). accord's ``council-votes`` scheme, per issue:

Member states
    The Shapley–Shubik index (Shapley & Shubik 1954) of the Council voting game in force when the
    proposal was introduced, computed exactly by counting coalitions by size and weight:

    * pre-Nice (to 30 April 2004, EU-15): weighted votes (Treaty of Amsterdam), quota 62 of 87;
    * Nice (1 May 2004 – 31 October 2014; EU-25/27/28): weighted votes, quota 232/321 (EU-25),
      255/345 (EU-27), 260/352 (EU-28), and a majority of member states (the optional 62 %
      population check is left out);
    * Lisbon double majority (from 1 November 2014): at least 55 % of the member states
      representing at least 65 % of the population, or all but at most three states (the
      blocking-minority rule); populations of 1 January 2017 (Eurostat, thousands) rounded to
      10 000. The transition period to March 2017, when a state could ask for Nice rules, is
      ignored.

    Under unanimity every member state is a veto player, so each gets the same index, 1/n.
    The membership follows the date, moved forward to the next enlargement when a state that
    joined later holds a position on the proposal (negotiations that straddle an enlargement).
    The indices sum to 1 over the Council.
Commission
    The agenda setter under both procedures: the capability of the largest member state.
Parliament
    Codecision (COD): a co-legislator whose assent is needed, the capability of the largest
    member state. Consultation (CNS): its opinion binds nobody, capability 0 (it keeps its
    position, so unweighted summaries still see it).

These Commission/Parliament choices were fixed before any accuracy was looked at; docs/backtest.md
shows what the alternatives give on the train split.
"""

from __future__ import annotations

import math
import re
from datetime import date
from functools import lru_cache

import numpy as np

from accord.errors import ScenarioError

# Treaty of Amsterdam / Accession weights (pre-Nice, EU-15).
PRE_NICE_VOTES = {
    "de": 10, "fr": 10, "it": 10, "uk": 10, "es": 8, "be": 5, "el": 5, "nl": 5, "pt": 5,
    "at": 4, "se": 4, "dk": 3, "ie": 3, "fi": 3, "lu": 2,
}
# Treaty of Nice weights (Art. 205 TEC as amended), with the 2004, 2007 and 2013 accessions.
NICE_VOTES = {
    "de": 29, "fr": 29, "it": 29, "uk": 29, "es": 27, "pl": 27, "ro": 14, "nl": 13,
    "be": 12, "cz": 12, "el": 12, "hu": 12, "pt": 12, "at": 10, "bu": 10, "se": 10,
    "dk": 7, "ie": 7, "lt": 7, "sk": 7, "fi": 7, "cr": 7, "cy": 4, "ee": 4, "lv": 4,
    "lu": 4, "si": 4, "mt": 3,
}
# Population on 1 January 2017, thousands (Eurostat), for the Lisbon double majority.
POPULATION_2017 = {
    "de": 82522, "fr": 66990, "uk": 65809, "it": 60589, "es": 46528, "pl": 37973, "ro": 19644,
    "nl": 17082, "be": 11352, "el": 10768, "cz": 10579, "pt": 10310, "se": 9995, "hu": 9798,
    "at": 8773, "bu": 7102, "dk": 5749, "fi": 5503, "sk": 5435, "ie": 4784, "cr": 4154,
    "lt": 2848, "si": 2066, "lv": 1950, "ee": 1316, "cy": 854, "lu": 590, "mt": 460,
}
EU15 = tuple(PRE_NICE_VOTES)
EU25 = EU15 + ("cy", "cz", "ee", "hu", "lv", "lt", "mt", "pl", "sk", "si")
EU27 = EU25 + ("bu", "ro")
EU28 = EU27 + ("cr",)
# (first day, name, members, rule)
PERIODS = (
    (date(1958, 1, 1), "pre-Nice EU-15", EU15, "pre-nice"),
    (date(2004, 5, 1), "Nice EU-25", EU25, "nice"),
    (date(2007, 1, 1), "Nice EU-27", EU27, "nice"),
    (date(2013, 7, 1), "Nice EU-28", EU28, "nice"),
    (date(2014, 11, 1), "Lisbon EU-28", EU28, "lisbon"),
)
NICE_QUOTA = {25: 232, 27: 255, 28: 260}
INSTITUTIONS = ("com", "ep")


# -- dates --------------------------------------------------------------------------------------

def _two_digit_year(yy: int) -> int:
    # DEU proposals run from the mid-1990s: 90–99 are the 1990s, the rest the 2000s.
    return 1900 + yy if yy >= 90 else 2000 + yy


def proposal_year(prnr: str | None) -> int | None:
    """The year in a DEU proposal number (``d04209`` → 2004, ``d160280`` → 2016), else None.

    DEU numbers proposals by their COM document: a letter, the two-digit year, the number.
    """
    m = re.match(r"^[a-z](\d{2})\d", str(prnr or "").strip().lower())
    return _two_digit_year(int(m.group(1))) if m else None


def parse_intro(text: str, prnr: str | None = None) -> date:
    """The date a proposal was introduced, from DEU's mixed ``intro`` formats.

    ``DD-MM-YY`` (``26-01-00``), ``DD-MM-YYYY`` (``14-09-2016``), ``DD/MM/YY[YY]``, and
    ``YYYY-MM-DD``. In DEU III many ``YYYY-MM-DD`` values are ``DD-MM-YY`` dates a spreadsheet
    misread (``2014-07-04`` is 14 July 2004, ``1930-05-05`` is 30 May 2005): such a value is
    read both ways and the reading whose year matches the proposal number's (``prnr``) wins;
    without a ``prnr`` hint, an ISO date is taken as written.

    >>> parse_intro("26-01-00")
    datetime.date(2000, 1, 26)
    >>> parse_intro("2014-07-04", "a04163")
    datetime.date(2004, 7, 14)
    >>> parse_intro("2016-03-08")
    datetime.date(2016, 3, 8)
    """
    s = str(text or "").strip()
    hint = proposal_year(prnr)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", s)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        candidates = []
        for yy, mm, dd in ((y, mo, d), (_two_digit_year(d), mo, y % 100)):
            try:
                candidates.append(date(yy, mm, dd))
            except ValueError:
                pass
        if not candidates:
            raise ValueError(f"not a date: {text!r}")
        if hint is not None:
            # The proposal number's year, or the year after (numbers are given at adoption).
            return min(candidates, key=lambda c: (abs(c.year - hint), candidates.index(c)))
        return candidates[0]
    m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})", s)
    if m:
        d, mo, y = (int(g) for g in m.groups())
        year = y if len(m.group(3)) == 4 else _two_digit_year(y)
        try:
            return date(year, mo, d)
        except ValueError:
            raise ValueError(f"not a date: {text!r}") from None
    raise ValueError(f"not a date: {text!r}; expected DD-MM-YY, DD-MM-YYYY or YYYY-MM-DD")


def period(when: date | None, states=()) -> tuple[str, tuple[str, ...], str]:
    """(name, members, rule) of the Council voting regime at ``when``.

    ``states`` that hold positions move the regime forward to the first period whose membership
    includes them all. An unknown date (None) takes the earliest period containing ``states``.
    """
    k = 0
    if when is not None:
        k = max(j for j, p in enumerate(PERIODS) if p[0] <= when)
    extra = set(states) - set(INSTITUTIONS)
    while k < len(PERIODS) - 1 and not extra <= set(PERIODS[k][2]):
        k += 1
    _, name, members, rule = PERIODS[k]
    return name, members, rule


# -- power indices ------------------------------------------------------------------------------

def _coalition_counts(weights: np.ndarray) -> np.ndarray:
    """Number of coalitions of all players by (size, total weight), shape (n + 1, Σw + 1)."""
    n, total = len(weights), int(weights.sum())
    counts = np.zeros((n + 1, total + 1))
    counts[0, 0] = 1.0
    for w in weights:
        counts[1:, w:] += counts[:-1, : total + 1 - w].copy()
    return counts


def _without(counts: np.ndarray, w: int) -> np.ndarray:
    """Coalition counts with one player of weight ``w`` taken out (exact: counts are integers
    far below 2**53): c_i[k, x] = c[k, x] − c_i[k − 1, x − w]."""
    out = np.empty_like(counts[:-1])
    out[0] = counts[0]
    for k in range(1, len(out)):
        out[k] = counts[k]
        out[k, w:] -= out[k - 1, : counts.shape[1] - w]
    return out


def power_index(weights, wins, *, kind: str = "shapley-shubik") -> np.ndarray:
    """Shapley–Shubik or (normalised) Banzhaf index of a voting game, exactly.

    Parameters
    ----------
    weights : (n,) non-negative integers
        Each player's weight.
    wins : callable (size, weight) -> bool array
        Whether a coalition of ``size`` players with total ``weight`` wins; called on broadcast
        integer arrays.
    kind : ``"shapley-shubik"`` or ``"banzhaf"``

    Notes
    -----
    Player i's Shapley–Shubik index is Σ over coalitions S of the others that lose without i and
    win with it of |S|! (n − |S| − 1)! / n!; its Banzhaf count is the number of such S, and the
    normalised Banzhaf index divides by the total over players. Coalitions are counted by size
    and weight with a generating-function recursion, O(n · Σw) per player after one O(n² · Σw) pass.

    >>> power_index([1, 1, 1], lambda k, w: w >= 2).round(4).tolist()
    [0.3333, 0.3333, 0.3333]
    >>> power_index([2, 1, 1], lambda k, w: w >= 3).round(4).tolist()
    [0.6667, 0.1667, 0.1667]
    """
    w = np.asarray(weights, dtype=np.int64)
    n = len(w)
    total = int(w.sum())
    size = np.arange(n)[:, None]
    weight = np.arange(total + 1)[None, :]
    win_without = np.asarray(wins(size, weight), dtype=bool)
    coef = np.array([math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n) for k in range(n)])
    out = np.zeros(n)
    all_counts = _coalition_counts(w)
    for i in range(n):
        counts = _without(all_counts, int(w[i]))
        win_with = np.asarray(wins(size + 1, np.minimum(weight + w[i], total)), dtype=bool)
        swing = win_with & ~win_without
        per_size = (counts * swing).sum(axis=1)
        out[i] = (per_size * coef).sum() if kind == "shapley-shubik" else per_size.sum()
    if kind not in ("shapley-shubik", "banzhaf"):
        raise ValueError(f"kind must be 'shapley-shubik' or 'banzhaf', got {kind!r}")
    return out / out.sum() if kind == "banzhaf" else out


@lru_cache(maxsize=32)
def council_power(members: tuple[str, ...], rule: str, kind: str = "shapley-shubik") -> dict[str, float]:
    """Voting power of each member state under a Council rule (``pre-nice``, ``nice``, ``lisbon``,
    ``unanimity``), summing to 1."""
    n = len(members)
    if rule == "unanimity":
        return {m: 1.0 / n for m in members}
    if rule == "pre-nice":
        w = np.array([PRE_NICE_VOTES[m] for m in members])
        quota = round(62 / 87 * w.sum())
        idx = power_index(w, lambda k, x: x >= quota, kind=kind)
    elif rule == "nice":
        w = np.array([NICE_VOTES[m] for m in members])
        quota = NICE_QUOTA.get(n, math.ceil(0.739 * w.sum()))
        idx = power_index(w, lambda k, x: (x >= quota) & (k >= n // 2 + 1), kind=kind)
    elif rule == "lisbon":
        w = np.array([round(POPULATION_2017[m] / 10) for m in members])  # units of 10 000
        quota = 0.65 * w.sum()
        states = math.ceil(0.55 * n)
        idx = power_index(w, lambda k, x: ((k >= states) & (x >= quota)) | (k >= n - 3), kind=kind)
    else:
        raise ValueError(f"unknown Council rule {rule!r}")
    return dict(zip(members, idx.tolist(), strict=True))


def council_votes(members: tuple[str, ...], rule: str) -> dict[str, float]:
    """The Treaty vote weights (pre-Nice, Nice) or population (Lisbon), normalised to sum 1."""
    if rule == "unanimity":
        return {m: 1.0 / len(members) for m in members}
    table = {"pre-nice": PRE_NICE_VOTES, "nice": NICE_VOTES, "lisbon": POPULATION_2017}[rule]
    total = sum(table[m] for m in members)
    return {m: table[m] / total for m in members}


def eu_capability(
    actor_ids, *, intro: str | date | None, prnr: str | None = None, procedure: str = "COD",
    unanimity: bool = False, states_present=(), index: str = "shapley-shubik",
) -> np.ndarray:
    """Capability of each actor on one DEU proposal (the ``council-votes`` scheme; module docs).

    Returns shape (n_actors,); an actor that is neither an institution nor a member state in the
    period gets 0. ``index="votes"`` uses the Treaty weights themselves instead of a power index.
    """
    when = intro if isinstance(intro, date) or intro is None else parse_intro(intro, prnr)
    _, members, rule = period(when, states_present)
    rule = "unanimity" if unanimity else rule
    power = council_votes(members, rule) if index == "votes" else council_power(members, rule, index)
    largest = max(power.values())
    out = []
    for a in actor_ids:
        if a == "com":
            out.append(largest)
        elif a == "ep":
            out.append(largest if str(procedure).upper() == "COD" else 0.0)
        else:
            out.append(power.get(a, 0.0))
    return np.array(out, dtype=float)


def read_capability_file(path, actor_ids) -> np.ndarray:
    """Capability per actor from a CSV with an ``actor`` column and one numeric column."""
    import io

    import pandas as pd

    from accord.io._files import read_text

    try:
        df = pd.read_csv(io.StringIO(read_text(path)))
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"cannot read capability file: {exc}", file=str(path)) from None
    cols = [c for c in df.columns if c.lower() != "actor"]
    if "actor" not in [c.lower() for c in df.columns] or not cols:
        raise ScenarioError("a capability file needs an 'actor' column and a numeric column", file=str(path))
    actor_col = next(c for c in df.columns if c.lower() == "actor")
    value_col = next((c for c in cols if c.lower() in ("capability", "gdp_weight", "weight")), cols[0])
    values = dict(zip(df[actor_col].astype(str).str.lower(), pd.to_numeric(df[value_col], errors="coerce"), strict=True))
    missing = [a for a in actor_ids if a not in values or not np.isfinite(values[a])]
    if missing:
        raise ScenarioError(f"no capability for actor(s) {', '.join(missing)} in column {value_col!r}", file=str(path))
    bad = [a for a in actor_ids if values[a] < 0]
    if bad:
        raise ScenarioError(f"negative capability for {', '.join(bad)}", file=str(path))
    return np.array([values[a] for a in actor_ids], dtype=float)
