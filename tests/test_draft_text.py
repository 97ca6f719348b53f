"""Reading reports: plain text and HTML, the checks that refuse what is no report, sentences."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.draft.text import (
    MAX_BYTES,
    MAX_CHARS,
    parse_report,
    read_report,
    split_paragraphs,
    split_sentences,
    tokens,
)
from accord.errors import InputFileError

from conftest import ROOT

NEWS = ROOT / "tests" / "data" / "news"
PROSE = "The minister said on Monday that the talks would resume in Geneva. Both sides want a deal before the summit."


def sentences(text: str) -> list[str]:
    return [s.text for s in split_sentences(text, split_paragraphs(text))]


def test_sentences_respect_abbreviations_initials_and_quotes():
    text = ('Mr. Smith met U.S. envoy J. Doe at 9 a.m. on Jan. 5. "We agree," he said. Talks end today!\n\n'
            "A new paragraph starts here.")
    assert sentences(text) == ["Mr. Smith met U.S. envoy J. Doe at 9 a.m. on Jan. 5.", '"We agree," he said.',
                               "Talks end today!", "A new paragraph starts here."]


def test_tokens_keep_names_whole_and_split_possessives():
    assert [t.text for t in tokens("Russia’s Lavrov met al-Assad; the U.S. can’t wait.")] == [
        "Russia", "’s", "Lavrov", "met", "al-Assad", ";", "the", "U.S.", "can’t", "wait", "."]


def test_html_keeps_the_article_and_drops_scripts_navigation_and_footers():
    r = read_report(NEWS / "climate-summit.html")
    assert r.title.startswith("Climate summit split over fossil fuel phase-out")
    assert "tracking" not in r.text and "Home" not in r.text and "Copyright" not in r.text
    assert "“We will not sign our death certificate,”" in r.text  # entities decoded
    assert r.id == "climate-summit"


def test_windows_1252_text_is_read():
    raw = ("The minister said the talks were \u201cclose\u201d to a deal and would resume on Monday in Geneva, "
           "officials said.").encode("cp1252")
    assert "“close”" in parse_report(raw, "x.txt").text


@pytest.mark.parametrize("raw, expected", [
    (b"", "is empty"),
    (b"   \n\n  ", "is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
    (b"hello there", r"word\(s\) of text"),
    ("Le ministre a déclaré lundi que les négociations reprendraient à Genève la semaine prochaine, "
     "selon un communiqué publié par son cabinet.".encode(), "does not read as English"),
    ("Министр заявил в понедельник, что переговоры возобновятся в Женеве на следующей неделе.".encode(),
     "does not read as English"),
])
def test_bad_input_is_refused_with_a_clear_message(raw, expected):
    with pytest.raises(InputFileError, match=expected):
        parse_report(raw, "bad.txt")


def test_huge_input_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (MAX_BYTES + 1))
    with pytest.raises(InputFileError, match="limited to 5 MB"):
        read_report(big)
    with pytest.raises(InputFileError, match="limit is"):
        parse_report((PROSE + " ") * (MAX_CHARS // len(PROSE) + 2), "long.txt")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        read_report(tmp_path / "nope.txt")
    with pytest.raises(InputFileError, match="is a folder"):
        read_report(tmp_path)


@settings(max_examples=150, deadline=None)
@given(raw=st.binary(max_size=3000))
def test_any_bytes_give_a_report_or_a_clear_refusal(raw):
    try:
        r = parse_report(raw, "fuzz.bin")
    except InputFileError as exc:
        assert "fuzz.bin" in str(exc)
    else:
        assert r.sentences and r.text


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=2000))
def test_any_text_gives_a_report_or_a_clear_refusal(text):
    try:
        r = parse_report(text, "fuzz.txt")
    except InputFileError as exc:
        assert "fuzz.txt" in str(exc)
    else:
        assert all(s.text == r.text[s.start:s.end] for s in r.sentences)
