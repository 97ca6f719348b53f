"""Scenarios from news text: the parties, who said what, the contested issues and the conditions
between them, drafted from one or more reports for an analyst to finish.

>>> from accord.draft import draft_text
>>> d = draft_text("Russian Foreign Minister Sergei Lavrov said on Monday that Moscow will not "
...                "sign the deal until the sanctions are lifted.", recogniser="rules")
>>> [(a["name"], a["aliases"]) for a in d.to_json()["actors"]]
[('Russia', ['Russian', 'Sergei Lavrov', 'Moscow'])]

The pipeline: :mod:`~accord.draft.text` (reading, checks, sentences) -> :mod:`~accord.draft.entities`
(parties and people) -> :mod:`~accord.draft.statements` (who said what) -> :mod:`~accord.draft.issues`
(contested matters and preconditions) -> :mod:`~accord.draft.skeleton` (JSON and scenario);
:mod:`~accord.draft.evidence` attaches statements to an existing scenario.
"""

from __future__ import annotations

import os

from accord.draft.entities import find_entities
from accord.draft.issues import find_issues
from accord.draft.skeleton import Draft
from accord.draft.statements import find_statements
from accord.draft.text import Report, parse_report, read_report, slug

#: How many reports one draft reads at most (each is capped in size too).
MAX_REPORTS = 50


def draft_reports(reports: list[Report], *, recogniser: str = "auto", max_issues: int = 8) -> Draft:
    """A draft from reports already read. ``recogniser``: ``auto`` (spaCy's when installed, else
    gazetteer + rules), ``spacy`` (required) or ``rules``."""
    ents = find_entities(reports, recogniser)
    statements = find_statements(reports, ents)
    issues, preconditions, left_out = find_issues(reports, statements, ents, max_issues=max_issues)
    return Draft(reports, ents, statements, issues, preconditions, left_out)


def draft(paths: list[str | os.PathLike], *, recogniser: str = "auto", max_issues: int = 8) -> Draft:
    """A draft from report files (plain text or HTML); each file's name gives its source id."""
    from accord.errors import InputFileError

    if not paths:
        raise InputFileError("no report given: name one or more news reports (plain text or HTML)")
    if len(paths) > MAX_REPORTS:
        raise InputFileError(f"{len(paths)} reports given; one draft reads at most {MAX_REPORTS}")
    reports, seen = [], set()
    for p in paths:
        r = read_report(p)
        sid, k = r.id, 1
        while sid in seen:
            k += 1
            sid = f"{r.id}-{k}"
        seen.add(sid)
        reports.append(r if sid == r.id else Report(sid, r.name, r.title, r.text, r.paragraphs, r.sentences))
    return draft_reports(reports, recogniser=recogniser, max_issues=max_issues)


def draft_text(text: str, *, source_id: str = "report", recogniser: str = "auto") -> Draft:
    """A draft from one report's text."""
    return draft_reports([parse_report(text, "<text>", slug(source_id) or "report")], recogniser=recogniser)


__all__ = ["Draft", "draft", "draft_reports", "draft_text", "read_report"]
