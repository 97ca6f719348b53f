"""What is contested: candidate issues clustered from the matters a report says are at issue,
fought over, demanded or refused, each with its evidence sentences; and the conditions between
them ("no meeting until X and Y are agreed") proposed as preconditions.

Phrases are cut from sentences by rules (a noun phrase runs until a verb, a preposition other than
"of", a conjunction or punctuation) and grouped when they share a content word. Words of the
negotiation trade that mean the same thing are read as one ("talks", "meeting", "round",
"summit"; "delegation", "representation"; "list", "blacklist"; "ceasefire", "truce"), so "Friday's
talks" and "this meeting" fall into one issue. Names of parties never join phrases: "Syrian
groups" and "Syrian voters" are not one matter.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from accord.draft import gazetteer as gz
from accord.draft.entities import Entities
from accord.draft.statements import Statement
from accord.draft.text import FUNCTION_WORDS, Report, slug

#: One word for the negotiation trade's synonyms (the first of each row).
SYNONYMS = {
    w: row[0]
    for row in (
        ("meeting", "meetings", "talks", "round", "summit", "conference", "negotiations", "session", "sessions"),
        ("delegation", "delegations", "representation", "representatives", "team", "negotiators", "delegates"),
        ("list", "lists", "blacklist", "blacklists"),
        ("ceasefire", "ceasefires", "cease-fire", "truce", "truces", "armistice"),
        ("sanctions", "sanction", "embargo", "embargoes"),
        ("terrorist", "terrorists", "terror", "terrorism"),
        ("tariff", "tariffs", "duties", "duty", "levies"),
        ("enrichment", "enrich", "enriched", "enriching"),
        ("withdrawal", "withdraw", "pullout", "pull-out"),
        ("prisoners", "prisoner", "hostages", "hostage", "detainees"),
        ("emissions", "emission", "carbon", "co2"),
        ("finance", "funding", "financing", "money", "funds"),
        ("election", "elections", "vote", "voting", "ballot"),
        ("transition", "transitional"),
    )
    for w in row
}
#: Words too general to make an issue of, or to join two phrases.
GENERIC = frozenset("""
issue issues matter matters process effort efforts separate next last first new way ways time part parts
parties party side sides point points thing things question questions problem problems details detail
plan plans idea end start hope fact case kind sort lot number deal agreement agreements progress date
support view views position positions stance concerns concern frustration determination expectation
momentum chance sort rules rule future state states country countries world region government
monday tuesday wednesday thursday friday saturday sunday january february march april may june july
august september october november december today yesterday tomorrow week weeks month months year years
day days weekend morning evening night must immediately soon now group groups countries nations text
texts language deal deals one two three four five six seven eight nine ten dozen both
""".split())
_PRONOUNS = frozenset("it they he she we him them us me i you".split())
_STOP_WORDS = FUNCTION_WORDS | frozenset("""
both each every either neither such own other another same any all some many much more most less few
its their his her our your my whose which whom who what that this these those
""".split())
_VERBS = frozenset("""
is are was were be been being am has have had having will would should could can may might must shall
do does did not never no said says say agreed agree take takes took taken make makes made get gets got
keep keeps kept go goes went gone step steps sign signs signed start starts started begin begins began
end ends ended hold holds held deemed seen set sets put puts give gives gave given let lets become
becomes became remain remains remained reach reaches reached include includes included
""".split())
_PREPS = frozenset("""
to by from with for in on at over about into until unless before after between among against during since
than as through under without within upon across toward towards via per despite amid while whether if
because so then
""".split())


@dataclass
class Phrase:
    text: str
    report: str
    sentence: int
    source: str  # condition, at-issue, contention, demand
    party: str | None = None
    terms: frozenset[str] = frozenset()


@dataclass
class CandidateIssue:
    id: str
    name: str
    phrases: list[Phrase]
    evidence: list[tuple[str, int]] = field(default_factory=list)  # (report, sentence index)
    parties: list[str] = field(default_factory=list)  # speakers of statements about it
    terms: frozenset[str] = frozenset()
    score: float = 0.0


@dataclass(frozen=True)
class CandidatePrecondition:
    issue: str
    requires: tuple[str, ...]
    owner: str | None
    report: str
    sentence: int
    text: str


# -- phrases -------------------------------------------------------------------------------------------
_WORD = re.compile(r"[\w’'-]+|[^\w\s]")


def noun_phrase(text: str, *, max_words: int = 6) -> str:
    """The noun phrase ``text`` starts with, determiners dropped: "both the rebel representation
    and …" -> "rebel representation"; "a list of Syrian groups deemed …" -> "list of Syrian groups"."""
    words = []
    for m in _WORD.finditer(text):
        w = m.group(0)
        lw = w.lower()
        if not re.match(r"[\w’']", w) and w not in ("-",):
            break
        if lw in ("’s", "'s") and words:
            words[-1] += w
            continue
        if w in _PRONOUNS:
            break
        if not words and lw in _STOP_WORDS:
            continue
        if lw in ("and", "or", "but", "nor") or lw in _VERBS or (lw in _PREPS and lw != "of"):
            break
        if words and lw == "of" and len(words) >= max_words - 1:
            break
        if words and (lw in _CLAUSE_WORDS or lw in _ADVERBS):
            break
        if words and re.fullmatch(r"[a-z]+(?:ed|ing)", w) and lw not in gz.TITLES and lw not in SYNONYMS:
            break
        words.append(w)
        if len(words) >= max_words:
            break
    while words and words[-1].lower() in ("of", "the", "a", "an"):
        words.pop()
    return " ".join(words)


_CLAUSE_WORDS = frozenset("that which who whom whose where when while".split())
_ADVERBS = frozenset("only first then also still again now never finally already soon even just".split())
_PARTICLES = frozenset("back down up out off away".split())


def _is_actor(np: str) -> bool:
    """Whether a phrase only names parties or pronouns ("Iran", "the United States", "we")."""
    g = gz.load()
    if g.lookup(np) or np.lower() in _PRONOUNS:
        return True
    words = [re.sub(r"[’']s$", "", w) for w in np.split()]
    return all(g.lookup(w) or w.lower() in _PRONOUNS or w.lower() in _ROLES for w in words)


#: Words of office that name people ("officials", "minister"), not the fields of an office
#: ("trade", "finance", "climate"), which can be the matter itself.
_ROLES = gz.TITLES - frozenset("""
foreign defence defense finance trade economy energy environment climate interior prime deputy supreme
special high opposite number state military mission source sources
""".split())


def matter(text: str) -> str:
    """What a clause is about: its subject, unless the subject is a party; then the object of its
    verb. "Iran must first roll back its uranium enrichment" -> "uranium enrichment"; "the United
    States would lift sanctions" -> "sanctions"; "Assad must go" -> "Assad"."""
    np = noun_phrase(text)
    words = np.split()
    rest = text[text.find(np) + len(np):].lstrip().split()[:1] if np else []
    if (len(words) >= 2 and _is_actor(" ".join(words[:-1])) and words[-1].islower()
            and rest and (rest[0].lower() in _PREPS or rest[0].lower() in _STOP_WORDS)):
        np = ""  # "Iran returns to compliance": a party and its verb, not a noun phrase
    if np and not _is_actor(np):
        return np
    toks = [m.group(0) for m in _WORD.finditer(text)]
    k = 0
    while k < len(toks) and (toks[k].lower() in _STOP_WORDS or toks[k][:1].isupper() or toks[k] in ("’s", "'s")
                             or toks[k].lower() in _PRONOUNS):
        k += 1
    while k < len(toks) and (toks[k].lower() in _VERBS or toks[k].lower() in _ADVERBS
                             or (toks[k].lower().endswith("ly") and len(toks[k]) > 4)):
        k += 1
    k += 1  # the verb
    while k < len(toks) and (toks[k].lower() in _PARTICLES or toks[k].lower() in _PREPS):
        k += 1
    return noun_phrase(" ".join(toks[k:])) if k < len(toks) else ""


def noun_phrases(text: str) -> list[str]:
    """Every noun phrase of a list: "both the rebel representation and the terror blacklist are
    agreed" -> ["rebel representation", "terror blacklist"]."""
    text = re.split(r"\b(?:are|is|was|were|have|has|had|be|been|will|would|can|could|should|must|by)\b|[;:.!?]",
                    text, maxsplit=1)[0]
    text = re.sub(r"^\s*(?:both|either|all of|each of)\s+", "", text)
    out = []
    for k, part in enumerate(re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+", text)):
        first = part.split()[:1]
        if k and first and re.fullmatch(r"[a-z]+ed", first[0]):
            part = part.split(None, 1)[1] if len(part.split()) > 1 else ""  # "… and curbed fentanyl exports"
        np = matter(part)
        if np:
            out.append(np)
    return out


def terms_of(phrase: str, ents: Entities) -> frozenset[str]:
    """The words that identify a phrase's matter: content words, stemmed, synonyms as one, names of
    parties left out."""
    out = set()
    party_words = _party_words(ents)
    for w in re.findall(r"[\w’'-]+", phrase):
        lw = re.sub(r"[’']s$", "", w.lower())
        if lw in _STOP_WORDS or lw in GENERIC or len(lw) < 3 or lw in party_words or lw.isdigit():
            continue
        if "-" in lw and any(part in party_words for part in lw.split("-")):
            continue  # "Saudi-mediated", "US-led"
        if lw.endswith("ly") and len(lw) > 5:
            continue  # adverbs
        lw = SYNONYMS.get(lw, lw)
        if lw not in SYNONYMS.values() and len(lw) > 4 and lw.endswith("s") and not lw.endswith("ss"):
            lw = lw[:-1]
        out.add(lw)
    return frozenset(out)


def _party_words(ents: Entities) -> frozenset[str]:
    words = set()
    g = gz.load()
    for p in ents.parties.values():
        for alias in p.aliases:
            if alias in {ents.people[k].name for k in p.people if k in ents.people} | {
                    ents.people[k].surname for k in p.people if k in ents.people}:
                continue  # people's names can be the matter ("Assad's fate")
            words.update(w.lower() for w in alias.split())
    words.update(a.text.lower() for a in g.aliases if a.how in ("demonym", "capital") or " " not in a.text)
    return frozenset(words | gz.OPPOSITION)


_CONTENTION = re.compile(
    r"\b(?:disagree\w*|disputes?|disputed|squabbl\w+|bargain\w*|rows?|rifts?|differences|wrangl\w+|divided|split|"
    r"clash\w*|tensions?|deadlock|impasse|stalemate|talks|negotiations?|negotiat\w+|agree\w*|deal|compromise|"
    r"concessions?|fight\w*|quarrel\w*|feud\w*|standoff)[”\x22\u2019]?\s+(?:[\w’'-]+\s+){0,3}?(?:over|about|on)\s+(?P<np>[^,;.]+)",
    re.I)
_AT_ISSUE = re.compile(r"\b(?:at issue|at stake|in dispute|the sticking points?|the main obstacles?)\s+(?:is|are|was|were|remains?)\s+(?P<np>[^;.]+)", re.I)
_DEMAND = re.compile(
    r"\b(?:demand\w*|call(?:s|ed|ing)? for|insist\w* on|reject\w*|resist\w*|oppos(?:e|es|ed|ing)|seek\w*|sought|"
    r"propos\w+|(?:agree\w*|committed) (?:to|on)(?=\s+(?:a|an|the|its|their|any|new)\s)|pledg\w+ to|want\w* to \w+|refus\w+ to \w+|push\w* for|"
    r"press\w* for|backs|backed|backing|support\w*|lift|lifting|ease|easing)\s+(?:that\s+)?(?P<np>[^,;.]+)", re.I)
_DEMAND_THAT = re.compile(r"\b(?:demand\w*|insist\w*|declaring|urg\w+)\s+that\s+(?P<clause>[^,;.]+)", re.I)


def _phrases(reports: list[Report], statements: list[Statement], ents: Entities) -> list[Phrase]:
    speaker = {}
    for st in statements:
        if st.party:
            speaker.setdefault((st.report, st.sentence_index), st.party)
    out: list[Phrase] = []
    for r in reports:
        for s in r.sentences:
            key = (r.id, s.index)
            party = speaker.get(key)
            for pat, source in ((_AT_ISSUE, "at-issue"), (_CONTENTION, "contention"), (_DEMAND, "demand")):
                for m in pat.finditer(s.text):
                    for np in noun_phrases(m.group("np")):
                        out.append(Phrase(np, r.id, s.index, source, party))
                    if source == "at-issue":  # "an effort to draw up a list of groups": the list
                        for obj in re.finditer(r"\bto\s+[a-z]+(?:\s+(?:up|out|down))?\s+(?P<np>[^,;.]+)", m.group("np")):
                            out.append(Phrase(noun_phrase(obj.group("np")), r.id, s.index, source, party))
            for m in _DEMAND_THAT.finditer(s.text):
                clause = m.group("clause")
                subject = noun_phrase(clause)
                person = subject and subject[:1].isupper() and not _is_actor(subject) and len(subject.split()) <= 3
                # "demand that Assad step down": the person and what is asked of him
                text = " ".join(clause.split()[:4]) if person else matter(clause)
                out.append(Phrase(text, r.id, s.index, "demand", party))
    for p in out:
        p.terms = terms_of(p.text, ents)
    return [p for p in out if p.terms]


# -- conditions ------------------------------------------------------------------------------------------
_MODAL_NOT = re.compile(r"\b(?:should|will|would|must|can|could|shall|may)\s+not\s+(?P<verb>(?:[\w’'-]+\s+){0,5}?)"
                        r"(?:until|unless|before)\s+(?P<y>[^;.]+)", re.I)
_NO_UNTIL = re.compile(r"\bno\s+(?P<x>[\w’'-]+(?:\s+[\w’'-]+){0,5}?)\s+(?:until|unless|before|without)\s+(?P<y>[^;.]+)", re.I)
_BEFORE = re.compile(r"\b(?:must|should|has to|have to|needs? to)\s+(?:come|happen|be\s+\w+)\s+(?:first\s+)?before\s+(?P<x>[^;.]+)", re.I)
_ONLY = re.compile(r"\bonly\s+(?:after|if|once|when)\s+(?P<y>[^;.]+)", re.I)
_PRECONDITION = re.compile(r"\b(?:a\s+)?(?:pre)?condition\s+for\s+(?P<x>[^,;.]+?)\s+(?:is|was|remains|would be)\s+(?P<y>[^;.]+)", re.I)
_CONDITIONAL = re.compile(r"\b(?:conditional|contingent|dependent)\s+(?:on|upon)\s+(?P<y>[^;.]+)", re.I)


_REPORTING = re.compile(r"\b(?:said|says|told|tells|warned|warns|insisted|insists|added|adds|stated|"
                        r"declared|declares|announced|announces|argued|argues|stressed|stresses)\b")  # "United States": case kept


def _subject_before(text: str, end: int) -> str:
    """The noun phrase that ends just before ``end``: "… said on Monday that Friday's talks" ->
    "Friday's talks"; "Lavrov said Moscow" -> "Moscow" (reported speech without "that")."""
    head = text[:end]
    said = [m.end() for m in _REPORTING.finditer(head)]
    cut = max(head.rfind(" that "), head.rfind(","), head.rfind(":"), head.rfind("“"), head.rfind('"'),
              said[-1] - 1 if said else -1)
    tail = head[cut + 1:].strip()
    tail = re.sub(r"^(?:that|then|so)\s+", "", tail)
    words = tail.split()[-6:]
    return matter(" ".join(words))


def conditions(sentence: str) -> list[tuple[str, list[str]]]:
    """(the thing held back, the things it waits for) in one sentence, e.g. "Friday's talks should
    not take place until both the rebel representation and the terror blacklist are agreed" ->
    [("Friday's talks", ["rebel representation", "terror blacklist"])]."""
    out = []
    for m in _NO_UNTIL.finditer(sentence):
        x = noun_phrase(m.group("x"))
        ys = noun_phrases(m.group("y"))
        if x and ys:
            out.append((x, ys))
    if out:
        return out
    for m in _MODAL_NOT.finditer(sentence):
        x = _subject_before(sentence, m.start())
        verb = m.group("verb").split()
        if verb and (not x or _is_actor(x)):
            x = matter("it " + " ".join(verb)) or verb[0]
        ys = noun_phrases(m.group("y"))
        if x and ys:
            out.append((x, ys))
    for m in _BEFORE.finditer(sentence):  # "tariff cuts must come before any talks on export controls"
        y = _subject_before(sentence, m.start())
        x = matter(re.sub(r"^(?:any|all|the)\s+(?:discussion|talk|talks|debate|negotiations?)\s+(?:of|on|about)\s+", "",
                          m.group("x")))
        if x and y:
            out.append((x, [y]))
    for m in _ONLY.finditer(sentence):
        x = _subject_before(sentence, m.start())
        ys = noun_phrases(m.group("y"))
        if x and ys:
            out.append((x, ys))
    for m in _PRECONDITION.finditer(sentence):
        x, ys = noun_phrase(m.group("x")), noun_phrases(m.group("y"))
        if x and ys:
            out.append((x, ys))
    for m in _CONDITIONAL.finditer(sentence):
        x = _subject_before(sentence, m.start())
        x = re.sub(r"\s+(?:is|are|was|were|remains?)$", "", x)
        ys = noun_phrases(m.group("y"))
        if x and ys:
            out.append((x, ys))
    return out


# -- clustering --------------------------------------------------------------------------------------------
def find_issues(reports: list[Report], statements: list[Statement], ents: Entities, *,
                max_issues: int = 8) -> tuple[list[CandidateIssue], list[CandidatePrecondition], list[dict]]:
    """Candidate issues (most evidence first), the preconditions between them, and what was left
    out and why (issues beyond ``max_issues``, preconditions that would close a cycle)."""
    phrases = _phrases(reports, statements, ents)
    speaker = {}
    for st in statements:
        if st.party:
            speaker.setdefault((st.report, st.sentence_index), st.party)
    raw_conditions = []
    for r in reports:
        for s in r.sentences:
            for x, ys in conditions(s.text):
                px = Phrase(x, r.id, s.index, "condition", speaker.get((r.id, s.index)), terms_of(x, ents))
                pys = [Phrase(y, r.id, s.index, "condition", speaker.get((r.id, s.index)), terms_of(y, ents)) for y in ys]
                pys = [p for p in pys if p.terms]
                if px.terms and pys:
                    phrases += [px, *pys]
                    raw_conditions.append((px, pys, r.id, s.index, s.text))
    clusters = _cluster(phrases)
    frequency = Counter(t for r in reports for s in r.sentences for t in words_of(s.text))
    issues = [_issue(c, reports, statements, frequency) for c in clusters]
    conds = {id(p) for px, pys, *_ in raw_conditions for p in (px, *pys)}
    for issue in issues:
        issue.score = (len(set(issue.evidence)) + len(issue.parties)
                       + 2 * any(id(p) in conds for p in issue.phrases)
                       + any(p.source == "at-issue" for p in issue.phrases))
    issues = [i for i in issues if i.score >= 2]
    issues.sort(key=lambda i: (-i.score, min((p.report, p.sentence) for p in i.phrases)))
    left_out = [{"what": "issue", "name": i.name, "phrases": list(dict.fromkeys(ph.text for ph in i.phrases)),
                 "why": f"beyond the {max_issues} issues kept (--max-issues); it had less evidence"}
                for i in issues[max_issues:]]
    issues = issues[:max_issues]
    _unique_ids(issues)
    of_phrase = {id(p): i.id for i in issues for p in i.phrases}
    pre = []
    for px, pys, rid, sidx, text in raw_conditions:
        x = of_phrase.get(id(px))
        ys = tuple(dict.fromkeys(of_phrase[id(p)] for p in pys if id(p) in of_phrase and of_phrase[id(p)] != x))
        if x and ys:
            pre.append(CandidatePrecondition(x, ys, speaker.get((rid, sidx)), rid, sidx, text))
    kept, dropped = _acyclic(pre)
    return issues, kept, left_out + dropped


def _cluster(phrases: list[Phrase]) -> list[list[Phrase]]:
    parent = list(range(len(phrases)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_term: dict[str, int] = {}
    for k, p in enumerate(phrases):
        for t in p.terms:
            if t in by_term:
                parent[find(k)] = find(by_term[t])
            else:
                by_term[t] = k
    groups: dict[int, list[Phrase]] = {}
    for k, p in enumerate(phrases):
        groups.setdefault(find(k), []).append(p)
    return list(groups.values())


_PREFERRED = {"condition": 0, "at-issue": 1, "contention": 2, "demand": 3}


def words_of(text: str) -> set[str]:
    words = {SYNONYMS.get(w, w) for w in re.findall(r"[\w’'-]+", re.sub(r"[’']s\b", "", text.lower()))}
    return words | {w[:-1] for w in words if len(w) > 4 and w.endswith("s") and not w.endswith("ss")}


def _issue(phrases: list[Phrase], reports: list[Report], statements: list[Statement],
           frequency: Counter) -> CandidateIssue:
    terms = Counter(t for p in phrases for t in p.terms)
    named = sorted(phrases, key=lambda p: (_PREFERRED[p.source] > 2, -len(p.terms), _PREFERRED[p.source],
                                           abs(len(p.text.split()) - 2), p.sentence))
    name = named[0].text
    name = name[:1].upper() + name[1:]
    evidence = list(dict.fromkeys((p.report, p.sentence) for p in phrases))
    key_terms = frozenset(terms)
    n_sentences = sum(len(r.sentences) for r in reports)
    for r in reports:
        for s in r.sentences:
            words = words_of(s.text)
            rare = [t for t in key_terms & words if frequency.get(t, 0) <= max(2, 0.25 * n_sentences)]
            if rare and (r.id, s.index) not in evidence:
                evidence.append((r.id, s.index))
    parties = []
    for st in statements:
        words = words_of(st.text)
        if st.party and (words & key_terms or (st.report, st.sentence_index) in evidence):
            if st.party not in parties:
                parties.append(st.party)
            if (st.report, st.sentence_index) not in evidence and words & key_terms:
                evidence.append((st.report, st.sentence_index))
    return CandidateIssue(slug(name) or "issue", name, phrases, sorted(evidence), parties, key_terms)


def _unique_ids(issues: list[CandidateIssue]) -> None:
    seen: Counter = Counter()
    for i in issues:
        base = i.id[:40].strip("-") or "issue"
        seen[base] += 1
        i.id = base if seen[base] == 1 else f"{base}-{seen[base]}"


def _acyclic(pre: list[CandidatePrecondition]) -> tuple[list[CandidatePrecondition], list[dict]]:
    """The preconditions in text order, each dropped that would close a cycle (A before B and B
    before A cannot both hold; the earlier statement is kept), and what was dropped and why."""
    kept: list[CandidatePrecondition] = []
    dropped: list[dict] = []
    edges: dict[str, set[str]] = {}

    def reaches(a: str, b: str, seen=None) -> bool:
        seen = seen or set()
        if a == b:
            return True
        seen.add(a)
        return any(reaches(n, b, seen) for n in edges.get(a, ()) if n not in seen)

    for p in pre:
        if any(reaches(y, p.issue) for y in p.requires):
            dropped.append({"what": "precondition", "issue": p.issue, "requires": list(p.requires),
                            "evidence": {"report": p.report, "sentence": p.text},
                            "why": f"it would close a cycle: an earlier statement already puts {p.issue} "
                                   f"before {', '.join(p.requires)}"})
            continue
        if any(k.issue == p.issue and k.requires == p.requires for k in kept):
            continue  # the same condition said again: the first statement is its evidence
        kept.append(p)
        edges.setdefault(p.issue, set()).update(p.requires)
    return kept, dropped
