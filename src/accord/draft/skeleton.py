"""A draft as data (the JSON contract of ``accord draft``) and as a scenario skeleton: actors,
issues and preconditions filled in; every capability, position and salience ``unknown`` for the
analyst, with the statements behind each stance as its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field

from accord.draft.entities import Entities, resolve_party
from accord.draft.issues import CandidateIssue, CandidatePrecondition, words_of
from accord.draft.statements import Statement
from accord.draft.text import Report
from accord.scenario import Actor, Evidence, Issue, Precondition, Scenario, Source, Stance

#: Statements kept per actor in the JSON and per stance as evidence (the rest are counted).
MAX_QUOTES = 20
MAX_EVIDENCE = 5


@dataclass
class Draft:
    """What ``accord draft`` found in its reports."""

    reports: list[Report]
    entities: Entities
    statements: list[Statement]
    issues: list[CandidateIssue]
    preconditions: list[CandidatePrecondition]
    #: what the draft found but left out, each ``{"what", ..., "why"}`` (see :func:`find_issues`)
    left_out: list[dict] = field(default_factory=list)

    @property
    def recogniser(self) -> str:
        return self.entities.recogniser

    def sentence(self, report: str, index: int) -> str:
        return next(r for r in self.reports if r.id == report).sentences[index].text

    def about(self, issue: CandidateIssue, st: Statement) -> bool:
        """Whether a statement is about an issue: it is one of the issue's evidence sentences, or
        its words share one of the issue's terms."""
        return (st.report, st.sentence_index) in issue.evidence or bool(words_of(st.text) & issue.terms)

    # -- JSON ---------------------------------------------------------------------------------------
    def to_json(self) -> dict:
        """The draft as the JSON contract: ``{"actors": [{"id", "name", "aliases", "mentions",
        "quotes": [{"text", "sentence"}]}], "issues": [...], "preconditions": [...]}`` and more."""
        ents = self.entities
        actors = []
        for p in ents.parties.values():
            said = [st for st in self.statements if st.party == p.id]
            actors.append({
                "id": p.id, "name": p.name, "kind": p.kind,
                "aliases": [a for a, _ in p.aliases.most_common()],
                "mentions": p.mentions,
                "first_mention": {"report": p.first[0], "sentence": p.first_sentence} if p.first else None,
                "people": [{"name": ents.people[k].name, "mentions": ents.people[k].mentions, "how": ents.people[k].how}
                           for k in p.people if k in ents.people],
                "quotes": [_statement_json(st) for st in said[:MAX_QUOTES]],
                "n_quotes": len(said),
            })
        issues = [{
            "id": i.id, "name": i.name,
            "phrases": list(dict.fromkeys(ph.text for ph in i.phrases)),
            "actors": i.parties,
            "evidence": [{"report": r, "sentence": self.sentence(r, k)} for r, k in i.evidence],
        } for i in self.issues]
        preconditions = [{
            "issue": p.issue, "requires": list(p.requires), "owner": p.owner,
            "evidence": {"report": p.report, "sentence": p.text},
        } for p in self.preconditions]
        return {
            "recogniser": self.recogniser,
            "reports": [{"id": r.id, "name": r.name, "title": r.title, "sentences": len(r.sentences)} for r in self.reports],
            "actors": actors,
            "issues": issues,
            "preconditions": preconditions,
            "left_out": self.left_out,
            "statements": [_statement_json(st) | {"actor": st.party} for st in self.statements],
            "people_without_party": [{"name": p.name, "mentions": p.mentions} for p in ents.people.values()
                                     if p.party is None],
        }

    # -- scenario -------------------------------------------------------------------------------------
    def to_scenario(self, title: str | None = None) -> Scenario:
        """The scenario skeleton (valid as a draft: ``accord validate`` accepts it, models refuse
        it until each ``unknown`` is filled)."""
        ents = self.entities
        sources = tuple(Source(r.id, r.title or r.name) for r in self.reports)
        actors = []
        for p in ents.parties.values():
            people = "; ".join(f"{ents.people[k].name} ({ents.people[k].how})" for k in p.people if k in ents.people)
            first = f"first: \"{p.first_sentence}\" ({p.first[0]})" if p.first else ""
            actors.append(Actor(
                id=p.id, name=p.name, capability=None, group=p.kind,
                description="also written: " + ", ".join(a for a, _ in p.aliases.most_common()),
                rationale=f"Drafted from the report: {p.mentions} mention(s); {first}" + (f"; people: {people}" if people else ""),
            ))
        issues, stances = [], []
        for i in self.issues:
            evidence_text = " | ".join(self.sentence(r, k) for r, k in i.evidence[:3])
            issues.append(Issue(
                id=i.id, name=i.name,
                description="phrases: " + "; ".join(dict.fromkeys(ph.text for ph in i.phrases)),
                rationale="Drafted; scale, anchors and status quo are for the analyst to set. Evidence: " + evidence_text,
            ))
            involved = list(i.parties)
            if not involved:  # nobody spoke about it: the parties its evidence sentences name
                for r, k in i.evidence:
                    for m in ents.in_sentence(r, k):
                        pid = _party_id(m.party, ents)
                        if pid and not m.place and pid not in involved:
                            involved.append(pid)
            if not involved:
                involved = list(ents.parties)[:1]
            for pid in involved:
                said = [st for st in self.statements if st.party == pid and self.about(i, st)]
                stances.append(Stance(
                    actor=pid, issue=i.id, position=None, salience=None,
                    rationale="Drafted: no estimate yet." + ("" if said else " The actor is named in the evidence but said nothing on it."),
                    evidence=tuple(Evidence(st.text, st.report, st.sentence) for st in said[:MAX_EVIDENCE]),
                ))
        # in the order a file lists them (by actor, then issue), so the skeleton reads back the same
        a_order = {a.id: k for k, a in enumerate(actors)}
        i_order = {i.id: k for k, i in enumerate(issues)}
        stances.sort(key=lambda st: (a_order[st.actor], i_order[st.issue]))
        preconditions = tuple(
            Precondition(p.issue, p.requires, p.owner, rationale=f"{p.text} ({p.report})") for p in self.preconditions
        )
        first = self.reports[0]
        return Scenario(
            title=title or f"Draft: {first.title or first.name}",
            actors=tuple(actors), issues=tuple(issues), stances=tuple(stances),
            description=(f"Drafted by `accord draft` from {len(self.reports)} report(s) with {self.recogniser}. "
                         "Capabilities, positions and saliences are `unknown` (no estimate yet): fill them in, "
                         "set each issue's scale and status quo, remove what does not belong."),
            sources=sources, preconditions=preconditions,
        )


def _party_id(party: str | None, ents: Entities) -> str | None:
    return resolve_party(party, ents.parties)


def _statement_json(st: Statement) -> dict:
    return {"text": st.text, "sentence": st.sentence, "report": st.report, "kind": st.kind, "speaker": st.speaker,
            "verb": st.verb, "how": st.how, "cues": list(st.cues)}
