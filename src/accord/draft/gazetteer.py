"""What names in news mean: states (with their other names, demonyms, capitals and seats of
government), international organisations and named groups, the words of office, and a short list
of well-known office holders.

States come from pycountry (ISO 3166-1: every state's ISO names) joined with ``data/states.tsv``
(the names news uses, demonyms, capitals, metonyms such as "the Kremlin"); organisations and
groups from ``data/organisations.tsv``; office holders from ``data/people.tsv``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from accord.draft.text import slug

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Entry:
    """A party the gazetteer knows: ``kind`` is ``state``, ``organisation`` or ``group``."""

    id: str
    name: str
    kind: str
    code: str = ""  # ISO alpha-3 for a state
    demonym: str = ""  # the first demonym ("Russian"), for naming a state's government or opposition


@dataclass(frozen=True)
class Alias:
    """One way of writing a party: ``how`` is ``name``, ``demonym``, ``capital`` or ``metonym``."""

    text: str
    party: str
    how: str


@dataclass(frozen=True)
class Known:
    """A well-known office holder (fallback when a report gives no role)."""

    name: str
    party: str
    office: str
    surname_ok: bool


@dataclass
class Gazetteer:
    entries: dict[str, Entry] = field(default_factory=dict)
    aliases: list[Alias] = field(default_factory=list)
    people: list[Known] = field(default_factory=list)
    source: str = ""

    def entry(self, party_id: str) -> Entry:
        return self.entries[party_id]

    @property
    def pattern(self) -> re.Pattern:
        return _pattern(tuple(a.text for a in self.aliases))

    def lookup(self, text: str) -> Alias | None:
        return _index(tuple(self.aliases)).get(_key(text))


def _key(text: str) -> str:
    # Acronyms keep their case ("US" is the state, "us" a pronoun); other names match any case.
    t = text.replace("’", "'")
    return t if re.fullmatch(r"[A-Z0-9.+-]{2,8}", t) else t.lower()


@cache
def _index(aliases: tuple[Alias, ...]) -> dict[str, Alias]:
    out: dict[str, Alias] = {}
    for a in aliases:
        out.setdefault(_key(a.text), a)
    return out


@cache
def _pattern(texts: tuple[str, ...]) -> re.Pattern:
    words = sorted({t.replace("’", "'") for t in texts}, key=len, reverse=True)
    parts = []
    for w in words:
        body = re.escape(w).replace("'", "['’]")
        if re.fullmatch(r"[A-Z0-9.+-]{2,8}", w):
            parts.append(f"(?-i:{body})")
        else:
            parts.append(body)
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])", re.IGNORECASE)


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _split(cell: str | None) -> list[str]:
    return [x.strip() for x in (cell or "").split("|") if x.strip()]


@cache
def load() -> Gazetteer:
    """The gazetteer (read once per process)."""
    g = Gazetteer()
    iso = _iso_names()
    for row in _rows("states.tsv"):
        code, name = row["code"], row["name"]
        pid = slug(name)
        demonyms = _split(row["demonyms"])
        g.entries[pid] = Entry(pid, name, "state", code, demonyms[0] if demonyms else "")
        names = [name, *_split(row["aliases"]), *iso.get(code, ())]
        for text in dict.fromkeys(names):
            g.aliases.append(Alias(text, pid, "name"))
        g.aliases += [Alias(d, pid, "demonym") for d in demonyms]
        g.aliases += [Alias(c, pid, "capital") for c in _split(row["capitals"])]
        g.aliases += [Alias(m, pid, "metonym") for m in _split(row["metonyms"])]
    for row in _rows("organisations.tsv"):
        pid = row["id"]
        g.entries[pid] = Entry(pid, row["name"], row["kind"])
        g.aliases += [Alias(t, pid, "name") for t in dict.fromkeys([row["name"], *_split(row["aliases"])])]
        g.aliases += [Alias(m, pid, "metonym") for m in _split(row["metonyms"])]
    by_code = {e.code: e.id for e in g.entries.values() if e.code}
    for row in _rows("people.tsv"):
        party = by_code.get(row["party"], row["party"])
        g.people.append(Known(row["name"], party, row["office"], row["match"] == "surname"))
    g.source = ("pycountry " + _pycountry_version() + " + " if iso else "") + "accord's lists (states.tsv, organisations.tsv)"
    return g


def _pycountry_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pycountry")
    except PackageNotFoundError:  # pragma: no cover - pycountry is a dependency
        return "?"


def _iso_names() -> dict[str, tuple[str, ...]]:
    """ISO 3166-1 names per alpha-3 code from pycountry (names with a comma, such as "Korea,
    Republic of", are catalogue forms no report uses, and are left out)."""
    try:
        import pycountry
    except ImportError:  # pragma: no cover - a declared dependency; the curated names still work
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for c in pycountry.countries:
        names = [getattr(c, k, None) for k in ("name", "common_name", "official_name")]
        out[c.alpha_3] = tuple(n for n in names if n and "," not in n and "(" not in n)
    return out


# -- words of office and of relation -------------------------------------------------------------
#: Offices and roles whose holder speaks for a party ("Russian Foreign Minister Sergei Lavrov").
TITLES = frozenset("""
president vice-president president-elect premier chancellor minister secretary secretary-general
spokesman spokeswoman spokesperson envoy ambassador negotiator negotiators representative commissioner
king queen emir crown prince sheikh sultan monarch leader leaders head chief director director-general
commander general official officials diplomat diplomats delegate delegates mediator adviser advisor
counterpart governor senator lawmaker speaker chairman chairwoman chair coordinator pope ayatollah
ruler foreign defence defense finance trade economy energy environment climate interior prime deputy
supreme special high opposite number state ministry administration government cabinet side team
delegation authorities regime junta military army forces troops officer officers aide aides source
sources mission embassy
""".split())

#: Courtesy titles that come before a person's name.
HONORIFICS = frozenset("""
mr mrs ms miss dr sir dame lord lady sheikh president king queen emir prince princess chancellor
premier minister secretary general gen gov governor ambassador commissioner pope ayatollah senator
sen rep envoy spokesman spokeswoman negotiator
""".split())

#: A possessive before these nouns is not the speaker: "America's allies" are not America.
RELATIONAL = frozenset("""
ally allies partner partners neighbour neighbours neighbor neighbors rival rivals opponent opponents
enemy enemies adversary adversaries foe foes critic critics backer backers patron patrons proxy
proxies client clients victim victims opposition
""".split())

#: Nouns for a state's armed or political opposition, and for its government, in reports on a
#: civil war or an uprising.
OPPOSITION = frozenset("""
rebel rebels opposition insurgent insurgents separatist separatists dissidents guerrilla guerrillas
""".split())
GOVERNMENT = frozenset("government regime junta authorities".split())
