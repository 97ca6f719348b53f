"""Statements from news reports attached to an existing scenario's stances as evidence, for an
analyst to review: each statement goes to the actor that said it and to the issue its words are
about; what matches no stance is listed with the reason."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace

from accord.draft import gazetteer as gz
from accord.draft.entities import Party
from accord.draft.issues import GENERIC, terms_of, words_of
from accord.draft.skeleton import Draft
from accord.draft.text import FUNCTION_WORDS, slug
from accord.scenario import Evidence, Scenario, Source


@dataclass(frozen=True)
class Attachment:
    actor: str
    issue: str
    evidence: Evidence
    score: float


@dataclass(frozen=True)
class Unmatched:
    text: str
    speaker: str
    party: str | None
    reason: str


def match_actor(party: Party, scenario: Scenario, people_names: list[str]) -> str | None:
    """The scenario actor a drafted party is: same id or name, a name of the party (or of one of
    its people) inside the actor's name, or the gazetteer reading the actor's name as that state."""
    g = gz.load()
    names = {party.name.lower(), party.id, *(a.lower() for a in party.aliases), *(n.lower() for n in people_names)}
    names = {n for n in names if n not in ("government", "opposition", "rebels", "rebel")}
    best = None
    for a in scenario.actors:
        label = f"{a.id} {a.name}".lower()
        if a.id == party.id or a.name.lower() == party.name.lower():
            return a.id
        alias = g.lookup(a.name) or g.lookup(a.id.upper()) or g.lookup(a.id)
        if alias and (alias.party == party.id or alias.party == party.state) and party.kind not in ("opposition",):
            if not (party.kind == "government" and "opposition" in label):
                best = best or a.id
        for n in sorted(names, key=len, reverse=True):
            if len(n) >= 2 and re.search(r"(?<![\w-])" + re.escape(n) + r"(?![\w-])", label):
                if party.kind == "opposition" and "opposition" not in label and "rebel" not in label:
                    continue
                best = best or a.id
    if best is None and party.kind in ("opposition", "government"):
        want = "opposition" if party.kind == "opposition" else "government"
        for a in scenario.actors:
            if want in a.name.lower():
                return a.id
    return best


def _issue_terms(scenario: Scenario) -> dict[str, Counter]:
    """Per issue, its words with a weight: 2 for the issue's id and name, 1 for its description and
    the labels of its scale."""
    out = {}
    for i in scenario.issues:
        words = Counter()
        for text, weight in ((f"{i.id.replace('-', ' ')} {i.name}", 2),
                             (" ".join([i.description, *(label for _, label in i.anchors)]), 1)):
            for w in words_of(text):
                if w not in FUNCTION_WORDS and w not in GENERIC and len(w) > 2:
                    words[w] = max(words[w], weight)
        out[i.id] = words
    return out


def attach(scenario: Scenario, d: Draft) -> tuple[Scenario, list[Attachment], list[Unmatched]]:
    """``scenario`` with the draft's statements added to its stances' evidence (each report becomes
    a source), what was attached, and what was not with the reason."""
    ents = d.entities
    actor_of = {}
    for pid, party in ents.parties.items():
        people = [ents.people[k].name for k in party.people if k in ents.people]
        people += [ents.people[k].surname for k in party.people if k in ents.people]
        actor_of[pid] = match_actor(party, scenario, people)
    issue_terms = _issue_terms(scenario)
    df = Counter(w for words in issue_terms.values() for w in words)
    n_issues = max(len(issue_terms), 1)
    stances = {(st.actor, st.issue): st for st in scenario.stances}
    added: dict[tuple[str, str], list[Evidence]] = {}
    attached, unmatched = [], []
    for st in d.statements:
        actor = actor_of.get(st.party) if st.party else None
        if actor is None:
            reason = "no party said it" if st.party is None else f"{ents.party_name(st.party)} is not an actor of the scenario"
            unmatched.append(Unmatched(st.text, st.speaker, st.party, reason))
            continue
        # the statement's own words count fully, the rest of its sentence half
        said, around = words_of(st.text), words_of(st.sentence) | terms_of(st.sentence, ents)
        scores = {i: sum(terms[w] * math.log(1 + n_issues / df[w]) * (1.0 if w in said else 0.5)
                         for w in terms if w in said or w in around)
                  for i, terms in issue_terms.items()}
        best = max(scores.values(), default=0.0)
        if best <= 0:
            unmatched.append(Unmatched(st.text, st.speaker, st.party, "its words match no issue of the scenario"))
            continue
        issue = min(i for i, v in scores.items() if v == best)
        if (actor, issue) not in stances:
            unmatched.append(Unmatched(st.text, st.speaker, st.party,
                                       f"about {issue}, but {actor} has no stance on it"))
            continue
        ev = Evidence(st.text, st.report, st.sentence)
        if ev in stances[(actor, issue)].evidence or ev in added.get((actor, issue), []):
            continue
        added.setdefault((actor, issue), []).append(ev)
        attached.append(Attachment(actor, issue, ev, round(best, 3)))
    new_stances = tuple(
        replace(st, evidence=st.evidence + tuple(added.get((st.actor, st.issue), ()))) for st in scenario.stances
    )
    known = {s.id for s in scenario.sources}
    sources = scenario.sources + tuple(Source(r.id, r.title or r.name) for r in d.reports if r.id not in known)
    return replace(scenario, stances=new_stances, sources=sources), attached, unmatched


def source_id(name: str) -> str:
    return slug(name) or "report"
