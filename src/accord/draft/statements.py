"""Who said what: quoted and reported speech in a report, attributed to a party, with the stance
cues that matter for a negotiation (demands, refusals, conditions, commitments) flagged.

Attribution follows the conventions of news writing: a quote is followed or preceded by its
speaker and a speech verb ("…," a senior US official said; Lavrov told reporters: "…"; in the
words of Kremlin spokesman Dmitry Peskov, "…"); a quoted fragment inside a sentence belongs to the
sentence's subject (Kerry "agreed to disagree"); a paragraph that is all quote continues the
previous paragraph's speaker. Reported speech is a clause whose verb says, demands, refuses,
insists, warns, wants, agrees…; its subject is the speaker. "He", "she" and "they" as speakers are
resolved only to the nearest earlier speaker or person, and say so (``how``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from accord.draft import gazetteer as gz
from accord.draft.entities import Entities, Mention, resolve_party
from accord.draft.text import Report

SPEECH_VERBS = re.compile(r"""(?x)
  said|says|say|saying|told|tells|tell|telling|added|adds|stated|states|declared|declares|declaring|
  announced|announces|insist|insists|insisted|insisting|warn|warns|warned|warning|
  demand|demands|demanded|demanding|urge|urges|urged|urging|argued|argues|claimed|claims|stressed|stresses|
  reiterated|repeated|repeats|vowed|vows|vowing|pledged|pledges|promised|promises|threatened|threatens|
  refused|refuses|refusing|rejected|rejects|rejecting|denied|denies|accused|accuses|proposed|proposes|
  suggested|suggests|agreed|agrees|believe|believes|believed|want|wants|wanted|expects|expected|hopes|hoped|
  fears|feared|fearing|complained|acknowledged|admitted|confirmed|signalled|signaled|offered|asked|wrote|
  called|calls|expressed|voiced|opposes|opposed|oppose|supports|backs|backed|welcomed|welcomes|condemned|
  criticised|criticized|blamed|dismissed|noted|explained|predicted|maintained|maintains|countered|
  cautioned|conceded|tweeted""")
#: Verbs that need a particle to be speech: "called for", "called on".
_NEEDS = {"called": ("for", "on"), "calls": ("for", "on")}
_BASE = re.compile(r"say|tell|insist|warn|demand|urge|believe|want|oppose")
_BE = frozenset("is are was were be been being am".split())
_PRONOUNS = {"he": "person", "she": "person", "they": "plural", "we": "plural", "it": "party"}

CUES = {
    "demand": re.compile(r"\b(?:must|demand\w*|insist\w*|urg(?:e|es|ed|ing)|calls? (?:for|on)|called (?:for|on)|"
                         r"should|has to|have to|needs? to|step(?:s|ped)? down)\b", re.I),
    "refusal": re.compile(r"\b(?:refus\w+|reject\w*|will not|won[’']t|would not|wouldn[’']t|cannot|can[’']t|"
                          r"never|rule[sd]? out|oppos(?:e|es|ed|ing)|not take place|no\b[\w\s’']{1,40}\buntil)\b", re.I),
    "condition": re.compile(r"\b(?:until|unless|only if|only after|only once|as long as|provided that|on condition|"
                            r"preconditions?|conditional on|contingent on|in exchange for|in return for)\b", re.I),
    "commitment": re.compile(r"\b(?:agree[sd]? to|committed to|commits? to|pledg\w+|vow\w*|promis\w+|will sign)\b", re.I),
}

_QUOTES = [
    re.compile(r"“([^“”]+)”"),
    re.compile(r'"([^"\n]+)"'),
    re.compile(r"(?<!\w)‘((?:[^‘’\n]|’(?=\w))+)’(?!\w)"),
]


@dataclass(frozen=True)
class Statement:
    """Words attributed to a party: ``text`` the words (a quote, or the reported clause from its
    verb on), ``sentence`` the sentence (or sentences) they are in, ``speaker`` the words that name
    who spoke, ``how`` the convention that attributed them."""

    report: str
    sentence_index: int
    text: str
    sentence: str
    kind: str  # quote or reported
    speaker: str = ""
    party: str | None = None
    person: str | None = None
    verb: str = ""
    how: str = ""
    cues: tuple[str, ...] = ()


def cues_of(text: str) -> tuple[str, ...]:
    """The stance cues in ``text``: demand, refusal, condition, commitment."""
    return tuple(name for name, pat in CUES.items() if pat.search(text))


def find_statements(reports: list[Report], ents: Entities) -> list[Statement]:
    """Every statement in ``reports``, quotes first within each sentence, in text order; the same
    words repeated (a subtitle that repeats a sentence) are kept once."""
    out: list[Statement] = []
    for r in reports:
        out += _report_statements(r, ents)
    seen, unique = set(), []
    for s in out:
        key = (s.text.strip().lower(), s.party)
        if key not in seen:
            seen.add(key)
            unique.append(s)
    return unique


def _report_statements(r: Report, ents: Entities) -> list[Statement]:
    mentions = [m for m in ents.mentions if m.report == r.id]
    out: list[Statement] = []
    quoted_sentences: set[int] = set()
    prev_para_speaker: tuple[int, Statement] | None = None
    for p, (pa, pb) in enumerate(r.paragraphs):
        quotes = _quotes_in(r.text, pa, pb)
        last_in_para = None
        for qa, qb, words in quotes:
            n_words = len(words.split())
            whole_para = qa - pa <= 1 and pb - qb <= 1
            if whole_para and n_words < 8 and not re.search(r"[.!?,]$", words.strip()):
                continue  # a heading in quotation marks
            s_first = r.sentence_at(qa)
            s_last = r.sentence_at(max(qa, qb - 2))
            sentence = r.text[s_first.start:max(s_last.end, qb)].strip()
            found = _attribute_quote(r, qa, qb, mentions, ents, out)
            if found is None and n_words < 3:
                continue  # a scare quote: “terrorists”
            if found is None and prev_para_speaker and prev_para_speaker[0] == p - 1 and qa - pa <= 1:
                prev = prev_para_speaker[1]
                found = (prev.speaker, prev.party, prev.person, "", "continues the previous paragraph's quote")
            if found is None:
                found = ("", None, None, "", "unattributed")
            speaker, party, person, verb, how = found
            st = Statement(r.id, s_first.index, words.strip(), sentence, "quote", speaker, party, person, verb, how,
                           cues_of(words))
            out.append(st)
            last_in_para = st
            for s in range(s_first.index, s_last.index + 1):
                quoted_sentences.add(s)
        prev_para_speaker = (p, last_in_para) if last_in_para and last_in_para.party else None
    quote_spans = [(q0, q1) for p0, p1 in r.paragraphs for q0, q1, _ in _quotes_in(r.text, p0, p1)]
    for s in r.sentences:
        spans = [q for q in quote_spans if q[0] < s.end and s.start < q[1]] if s.index in quoted_sentences else []
        out += _reported(r, s, mentions, ents, out, spans)
    out.sort(key=lambda st: (st.sentence_index, st.kind != "quote"))
    return out


def _quotes_in(text: str, pa: int, pb: int) -> list[tuple[int, int, str]]:
    """(start, end, words) of the quotations in a paragraph, outermost only, marks included."""
    para = text[pa:pb]
    quotes = sorted(((m.start(1) + pa - 1, m.end(1) + pa + 1, m.group(1)) for pat in _QUOTES for m in pat.finditer(para)),
                    key=lambda q: q[0])
    return [q for k, q in enumerate(quotes) if not any(o[0] < q[0] < o[1] for o in quotes[:k])]


def _speech_verb_at(words: list[tuple[int, int, str]], k: int) -> bool:
    w = words[k][2].lower()
    if not SPEECH_VERBS.fullmatch(w):
        return False
    if words[k][2][:1].isupper() and k > 0:
        return False  # a name: "the United States", "Small Island States"
    if k > 0 and words[k - 1][2].lower() in _BE:
        return False  # passive: "are agreed upon", "was told"
    if w in _NEEDS:
        return k + 1 < len(words) and words[k + 1][2].lower() in _NEEDS[w]
    if w in ("expressed", "voiced") and k + 1 < len(words):
        return True
    return True


_WORDS = re.compile(r"[\w’'-]+|[,;:.!?“”\"–—()]")


def _words(text: str, offset: int) -> list[tuple[int, int, str]]:
    return [(offset + m.start(), offset + m.end(), m.group(0)) for m in _WORDS.finditer(text)]


def _attribute_quote(r: Report, qa: int, qb: int, mentions, ents: Entities, earlier: list[Statement]):
    """(speaker words, party, person, verb, how) for the quote at [qa, qb), or None."""
    sent_a = r.sentence_at(qa)
    sent_b = r.sentence_at(max(qa, qb - 2))
    end = sent_b.end if sent_b.end > qb else r.sentence_at(min(qb + 1, len(r.text) - 1)).end
    after = _words(r.text[qb:end], qb)
    # "…," a senior US official said / "…," said Lavrov / "…," he told reporters
    for k, (a, b, w) in enumerate(after[:14]):
        if w in ("“", '"', ";") or (w in (".", "!", "?") and k > 0):
            break
        if w.lower() in ("while", "whereas", "but") or (w == "," and k > 1):
            break  # another clause: "…" to a deal, while France said …
        if _speech_verb_at(after, k):
            if k > 0:
                span = (after[0][0], a)
            else:
                stop = next((j for j, x in enumerate(after[1:], 1) if x[2] in (",", ".", ";", "“", '"')), len(after))
                span = (b, after[stop - 1][1] if stop > 1 else b)
            found = _resolve(r, span, mentions, ents, earlier)
            if found:
                return (*found[:3], w, "named after the quote" if found[3] == "named" else found[3])
            break
    before = _words(r.text[sent_a.start:qa], sent_a.start)
    text_before = r.text[sent_a.start:qa]
    # in the words of Kremlin spokesman Dmitry Peskov, "…" / according to X, "…"
    m = re.search(r"(?:in the words of|according to)\s+([^,“\"]+),?\s*$", text_before)
    if m:
        found = _resolve(r, (sent_a.start + m.start(1), sent_a.start + m.end(1)), mentions, ents, earlier)
        if found:
            return (*found[:3], "", "named before the quote")
    # Lavrov said: "…" / Lavrov told reporters that "…"
    for k in range(len(before) - 1, -1, -1):
        if _speech_verb_at(before, k):
            start = _clause_start(before, k)
            found = _resolve(r, (before[start][0] if start < len(before) else before[k][0], before[k][0]),
                             mentions, ents, earlier)
            if found is None and start > 0:  # "Mora … said …, but warned that “…”": the sentence's subject
                found = _resolve(r, (before[0][0], before[k][0]), mentions, ents, earlier)
            if found:
                return (*found[:3], before[k][2], "named before the quote" if found[3] == "named" else found[3])
            break
    # Kerry "agreed to disagree": a fragment belongs to the sentence's subject
    if before and len(r.text[qa:qb].split()) >= 2:
        start = _clause_start(before, len(before))
        found = _resolve(r, (before[start][0] if start < len(before) else sent_a.start, qa), mentions, ents, earlier,
                         pronouns=False)
        if found:
            return (*found[:3], "", "subject of the sentence the fragment is in")
    return None


def _clause_start(words: list[tuple[int, int, str]], k: int) -> int:
    """Index of the first word of the clause that ends before ``words[k]``."""
    for j in range(k - 1, -1, -1):
        w = words[j][2].lower()
        if w in (";", ":", "“", '"', "”") or (w == "but" and j > 0) or (w == "," and j + 1 < len(words) and words[j + 1][2].lower() in ("but", "while", "whereas", "as")):
            return j + 1
    return 0


def _resolve(r: Report, span: tuple[int, int], mentions: list[Mention], ents: Entities, earlier: list[Statement],
             *, pronouns: bool = True):
    """(speaker words, party, person, how) for the words at ``span`` that name a speaker."""
    a, b = span
    text = r.text[a:b].strip(" ,")
    rel = re.search(r",?\s+(?:which|who)\s", r.text[a:b])
    if rel and any(a <= m.start < a + rel.start() for m in mentions if m.party and not m.place):
        b = a + rel.start()  # "Russia, which has dispatched forces to protect Assad, has agreed": Russia
    inside = [m for m in mentions if a <= m.start < b and not m.place and m.party is not None]
    inside = [m for m in inside if not m.relational]
    people = [m for m in inside if m.person]
    chosen = None
    led = re.search(r"\bled by\b", r.text[a:b])
    if led:
        after = [m for m in inside if m.start >= a + led.end()]
        chosen = after[0] if after else None
    if chosen is None and people:
        chosen = people[0]
    if chosen is None and inside:
        chosen = inside[0]
    if chosen is not None:
        party = resolve_party(chosen.party, ents.parties)
        if party is None:
            return None
        return _speaker_words(r, chosen, a, b), party, chosen.person, "named"
    if not pronouns:
        return None
    first = re.match(r"\W*(\w+)", text)
    word = first.group(1).lower() if first else ""
    if word in _PRONOUNS and len(text.split()) <= 3:
        here = r.sentence_at(a).index
        if _PRONOUNS[word] == "person":
            before = [m for m in mentions if m.person and m.start < a and here - m.sentence <= 2 and m.party]
            if before:
                m = before[-1]
                return text, resolve_party(m.party, ents.parties), m.person, f"pronoun “{word}”: the last person named ({m.text})"
        else:
            prev = [s for s in earlier if s.report == r.id and s.party and 0 <= here - s.sentence_index <= 2
                    and s.sentence_index < here]
            if prev:
                s = prev[-1]
                return text, s.party, s.person, f"pronoun “{word}”: the previous speaker ({s.speaker})"
    return None


_LEFT = frozenset("the a an senior top regional chief former leading some several two three many".split())
_RIGHT = frozenset("officials official leaders leader side team government delegation negotiators negotiator "
                   "diplomats diplomat spokesman spokeswoman spokesperson minister ministry president envoy "
                   "authorities".split())


def _speaker_words(r: Report, m: Mention, a: int, b: int) -> str:
    """The few words that name the speaker around mention ``m``: "a senior US official", "the US
    side", "Kremlin spokesman Dmitry Peskov", "The opposition leaders"."""
    words = _words(r.text[a:b], a)
    k = next((j for j, w in enumerate(words) if w[0] >= m.start), 0)
    e = next((j for j, w in enumerate(words) if w[1] >= m.end), len(words) - 1)
    start = k
    while start > 0 and (words[start - 1][2].lower() in _LEFT or words[start - 1][2].lower() in gz.TITLES
                         or (words[start - 1][2][:1].isupper() and words[start - 1][2].lower() not in ("but", "and", "meanwhile"))):
        start -= 1
    end = e
    while end + 1 < len(words) and (words[end + 1][2].lower() in _RIGHT or words[end + 1][2].lower() in gz.TITLES
                                    or words[end + 1][2][:1].isupper()):
        end += 1
    return r.text[words[start][0]:words[end][1]]


def _reported(r: Report, s, mentions: list[Mention], ents: Entities, earlier: list[Statement],
              quotes: list[tuple[int, int]] = ()) -> list[Statement]:
    """Reported speech in one sentence: one statement per clause whose verb is a speech verb
    (clauses that hold a quotation were attributed with it)."""
    words = _words(s.text, s.start)
    out = []
    clause_starts = [0] + [j + 1 for j, w in enumerate(words)
                           if w[2] == ";" or (w[2].lower() == "but" and j > 0)
                           or (w[2] == "," and j + 1 < len(words) and words[j + 1][2].lower() in ("while", "whereas"))]
    bounds = list(zip(clause_starts, clause_starts[1:] + [len(words)], strict=True))
    for c0, c1 in bounds:
        while c1 - 1 > c0 and words[c1 - 1][2].lower() in ("but", ";", ",", "and"):
            c1 -= 1
        if any(q0 < words[c1 - 1][1] and words[c0][0] < q1 for q0, q1 in quotes):
            continue
        last = c1 - 1
        while last > c0 and words[last][2] in (".", "!", "?"):
            last -= 1
        # "…, EU officials said.": the verb that ends the clause, with its speaker after a comma, goes first
        order = ([last] if _speech_verb_at(words, last) and any(w[2] == "," for w in words[max(c0, last - 6):last])
                 else []) + list(range(c0, c1))
        for k in order:
            if not _speech_verb_at(words, k):
                continue
            if _BASE.fullmatch(words[k][2].lower()) and any(w[2].lower() == "to" for w in words[c0:k]):
                continue  # "flew to Moscow to meet Putin and urge him": a purpose, not a statement
            inverted = k == c1 - 1 or (k + 1 < c1 and words[k + 1][2] in (".", ","))
            comma = max((j for j in range(c0, k) if words[j][2] == ","), default=None)
            if inverted and comma is not None and k - comma <= 6:
                # "Germany and France had pressed Hungary, diplomats said": the speaker follows the words
                found = _resolve(r, (words[comma + 1][0], words[k][0]), mentions, ents, earlier + out)
                text = r.text[words[c0][0]:words[comma][0]].strip()
                speaker = r.text[words[comma + 1][0]:words[k][0]].strip()
                if found:
                    out.append(Statement(r.id, s.index, text, s.text, "reported", found[0], found[1], found[2],
                                         words[k][2], "named after the words", cues_of(text)))
                else:
                    out.append(Statement(r.id, s.index, text, s.text, "reported", speaker, None, None, words[k][2],
                                         "unattributed", cues_of(text)))
                break
            found = _resolve(r, (words[c0][0], words[k][0]), mentions, ents, earlier + out) if k > c0 else None
            if found is None and c0 > 0:
                found = _resolve(r, (words[0][0], words[k][0]), mentions, ents, earlier + out)
            if found is None:
                # a speaker no party owns ("a military source said"): kept, unattributed
                if k > c0 and re.search(r"\b(?:said|says|told)\b", words[k][2]):
                    text = r.text[words[k][0]:words[c1 - 1][1]].strip(" ,.;")
                    out.append(Statement(r.id, s.index, text, s.text, "reported", r.text[words[c0][0]:words[k][0]].strip(" ,"),
                                         None, None, words[k][2], "unattributed", cues_of(text)))
                break
            speaker, party, person, how = found
            text = r.text[words[k][0]:words[c1 - 1][1]].strip(" ,.;–—")
            st = Statement(r.id, s.index, text, s.text, "reported", speaker, party, person, words[k][2],
                           "subject of the verb" if how == "named" else how, cues_of(text))
            out.append(st)
            out += _co_speakers(st, r.text[words[c0][0]:words[k][0]], words[c0][0], mentions, ents)
            break
    return out


def _co_speakers(st: Statement, phrase: str, a: int, mentions: list[Mention], ents: Entities) -> list[Statement]:
    """The same statement for each further person named in a joined subject ("Kerry and the UN
    envoy for Syria, Staffan de Mistura, want …")."""
    if " and " not in phrase or re.search(r"\b(?:which|who)\b", phrase):
        return []
    # the joined subject: the names before the verb, not a place or a remit ("envoy for Syria")
    others = {}
    for m in mentions:
        if not (a <= m.start < a + len(phrase)) or m.place or m.relational or m.party is None:
            continue
        before = phrase[:m.start - a].rstrip().lower()
        if m.person is None and (before.endswith((" for", " to", " in", " of", " with", " on")) or m.how == "demonym"):
            continue
        others.setdefault(resolve_party(m.party, ents.parties), m)
    return [Statement(st.report, st.sentence_index, st.text, st.sentence, st.kind, m.text, party, m.person, st.verb,
                      st.how + " (one of several speakers)", st.cues)
            for party, m in sorted(others.items(), key=lambda kv: kv[1].start) if party and party != st.party]


def stance_words(text: str) -> set[str]:
    """The content words of a statement, lowercased (for matching statements to issues)."""
    return {w.lower() for w in re.findall(r"[A-Za-z][\w’'-]+", text)} - gz.TITLES
