"""News reports as text: reading (plain text or HTML), the checks that refuse what cannot be a
report, and the split into paragraphs, sentences and tokens every other step works on.

Everything here is plain Python (the standard library's HTML parser); nothing is downloaded.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from accord.errors import InputFileError

#: A file larger than this is refused before it is read: a saved news page with its scripts and
#: styles is well under 5 MB; anything bigger is not one report.
MAX_BYTES = 5_000_000
#: The text of one report (after HTML is stripped) is limited to this many characters: a long
#: feature is ~60,000; 400,000 is about 65,000 words, a short book.
MAX_CHARS = 400_000
#: A report needs at least this many words to say who said what.
MIN_WORDS = 8
#: Share of words that must be common English function words. English news prose runs at
#: 35-50 % (measured on the seed report: 44 %); French, German, Spanish or Russian text is under
#: 5 %, because only loan words and names match.
MIN_ENGLISH_SHARE = 0.15


@dataclass(frozen=True)
class Sentence:
    """One sentence of a report: ``index`` in the report, ``paragraph`` it belongs to, ``start``
    and ``end`` character offsets in the report's text."""

    index: int
    paragraph: int
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Report:
    """A news report ready for drafting: ``id`` is the source id a scenario cites it by."""

    id: str
    name: str
    title: str
    text: str
    paragraphs: tuple[tuple[int, int], ...]  # (start, end) offsets
    sentences: tuple[Sentence, ...]

    def sentence_at(self, offset: int) -> Sentence:
        """The sentence holding character ``offset`` (the last one when past the end)."""
        for s in self.sentences:
            if offset < s.end:
                return s
        return self.sentences[-1]


# -- reading ------------------------------------------------------------------------------------
def read_report(path: str | Path, source_id: str | None = None) -> Report:
    """A report from a plain-text or HTML file, or :class:`InputFileError` saying why it is not one."""
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise InputFileError(f"no such file: {name}")
    if p.is_dir():
        raise InputFileError(f"{name} is a folder; expected a news report (plain text or HTML)")
    size = p.stat().st_size
    if size > MAX_BYTES:
        raise InputFileError(f"{name} is {size / 1e6:.1f} MB; a news report is limited to {MAX_BYTES / 1e6:.0f} MB")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputFileError(f"cannot read {name}: {exc.strerror or exc}") from None
    return parse_report(raw, name, source_id or slug(p.stem) or "report")


def parse_report(raw: bytes | str, name: str = "<text>", source_id: str = "report") -> Report:
    """A report from bytes or text (HTML is recognised and stripped); checks as :func:`read_report`."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_BYTES:
            raise InputFileError(f"{name} is {len(raw) / 1e6:.1f} MB; a news report is limited to {MAX_BYTES / 1e6:.0f} MB")
        text = decode(raw, name)
    else:
        text = raw
    title = ""
    if looks_like_html(text):
        title, text = html_to_text(text)
    text = normalise(text)
    check_text(text, name)
    paragraphs = split_paragraphs(text)
    sentences = split_sentences(text, paragraphs)
    if not title:  # the headline: the first short paragraph of four words or more
        heads = [text[a:b] for a, b in paragraphs[:4]]
        first = next((h for h in heads if len(h.split()) >= 4 and len(h) < 160), heads[0])
        title = first if len(first) < 160 else first[:157] + "…"
    return Report(id=source_id, name=name, title=title.strip(), text=text, paragraphs=tuple(paragraphs),
                  sentences=tuple(sentences))


def decode(raw: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252; binary is refused."""
    if not raw.strip():
        raise InputFileError(f"{name} is empty; expected the text of a news report")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise InputFileError(f"{name}: starts like UTF-16 but is not valid UTF-16") from None
    head = raw[:65536]
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in head or controls > 0.02 * len(head):
        raise InputFileError(f"{name} looks like a binary file (it has {controls} control bytes in its first "
                             f"{len(head)}); expected a news report as plain text or HTML")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            line = raw[: exc.start].count(b"\n") + 1
            raise InputFileError(f"{name}:{line}: byte 0x{raw[exc.start]:02x} is neither UTF-8 nor Windows-1252 "
                                 "text; save the report as UTF-8") from None


def looks_like_html(text: str) -> bool:
    head = text.lstrip()[:2000].lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or bool(
        re.search(r"<(html|body|article|p|div|head)[\s>]", head)
    )


class _TextOf(HTMLParser):
    """The readable text of an HTML page: scripts, styles, navigation, forms, headers and footers
    are dropped; block elements end paragraphs. Inside an ``<article>`` only the article is kept."""

    SKIP = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "button", "svg",
            "figure", "iframe", "template", "select"}
    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "section", "article",
             "tr", "ul", "ol", "table", "pre", "hr", "main"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.article: list[str] = []
        self.skip = 0
        self.in_article = 0
        self.in_title = False
        self.title = ""
        self.h1 = ""
        self.in_h1 = False

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        elif tag == "article":
            self.in_article += 1
        if tag == "title":
            self.in_title = True
        if tag == "h1":
            self.in_h1 = True
        if tag in self.BLOCK:
            self._emit("\n\n")

    def handle_startendtag(self, tag, attrs):
        if tag in self.BLOCK:
            self._emit("\n\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skip:
            self.skip -= 1
        elif tag == "article" and self.in_article:
            self.in_article -= 1
        if tag == "title":
            self.in_title = False
        if tag == "h1":
            self.in_h1 = False
        if tag in self.BLOCK:
            self._emit("\n\n")

    def handle_data(self, data):
        if self.in_title:
            self.title += data
            return
        if self.skip:
            return
        if self.in_h1:
            self.h1 += data
        self._emit(re.sub(r"\s+", " ", data))

    def _emit(self, s: str) -> None:
        self.parts.append(s)
        if self.in_article:
            self.article.append(s)


def html_to_text(text: str) -> tuple[str, str]:
    """(title, text) of an HTML page."""
    parser = _TextOf()
    try:
        parser.feed(text)
        parser.close()
    except Exception as exc:  # the stdlib parser is lenient; this is a last guard
        raise InputFileError(f"cannot read the HTML: {exc}") from None
    body = "".join(parser.article if "".join(parser.article).strip() else parser.parts)
    title = (parser.h1 or parser.title).strip()
    return html.unescape(re.sub(r"\s+", " ", title)), body


def normalise(text: str) -> str:
    """NFC, one kind of line break, no trailing spaces, at most one blank line in a row."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u00a0", " ").replace("\u200b", "")
    text = re.sub(r"[ \t\f\v]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
FUNCTION_WORDS = frozenset("""
a about after against all also an and any are as at be been before being between both but by can
could did do does for from had has have he her his how i if in into is it its me more most my no not
of on or our out over said says she should so some such than that the their them then there these
they this those through to under until up was we were what when where which while who whom why will
with would you your
""".split())


def english_share(text: str) -> tuple[float, int]:
    """(share of words that are common English function words, number of words)."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return 0.0, 0
    return sum(w in FUNCTION_WORDS for w in words) / len(words), len(words)


def check_text(text: str, name: str) -> None:
    """Refuse what cannot be drafted from: too long, too short, not English."""
    if len(text) > MAX_CHARS:
        raise InputFileError(f"{name}: the report's text is {len(text):,} characters; the limit is {MAX_CHARS:,} "
                             "(one report at a time: split a collection into files)")
    share, n_words = english_share(text)
    if n_words < MIN_WORDS:
        raise InputFileError(f"{name}: {n_words} word(s) of text; a news report needs sentences that say who "
                             "said what" if n_words else f"{name} has no words; expected the text of a news report")
    if share < MIN_ENGLISH_SHARE:
        raise InputFileError(f"{name}: this does not read as English ({100 * share:.0f} % of its {n_words} words are "
                             f"common English words; English prose has 35-50 %); accord drafts from English text only")


# -- paragraphs and sentences -------------------------------------------------------------------
def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """Offsets of the paragraphs: blocks separated by a blank line (or by a line break when the
    text has no blank lines at all)."""
    sep = r"\n\s*\n" if re.search(r"\n\s*\n", text) else r"\n"
    out, pos = [], 0
    for m in re.finditer(sep, text):
        if text[pos:m.start()].strip():
            out.append((pos, m.start()))
        pos = m.end()
    if text[pos:].strip():
        out.append((pos, len(text)))
    return out


#: Words with a full stop that does not end a sentence.
ABBREVIATIONS = frozenset("""
mr mrs ms dr prof gen col lt sgt capt cmdr adm maj sen rep gov pres st jr sr rev hon amb
no nos vs etc e.g i.e approx est dept univ inc ltd co corp bros
jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
u.s u.n u.k e.u u.s.a a.m p.m
""".split())

_END = re.compile(r"([.!?…]+)([\"'”’»)\]]*)(\s+)(?=[\"'“‘«(\[]*[A-Z0-9\u00C0-\u024F])")


def split_sentences(text: str, paragraphs: list[tuple[int, int]]) -> list[Sentence]:
    """Sentences within each paragraph (a sentence never crosses a paragraph). A full stop after an
    abbreviation (``Mr.``, ``U.S.``, ``Gen.``) or an initial (``J. Smith``) does not end one."""
    out: list[Sentence] = []
    for p, (start, end) in enumerate(paragraphs):
        block = text[start:end]
        cut = 0
        for m in _END.finditer(block):
            stop = m.start(1)
            before = re.search(r"([\w.'’-]+)$", block[cut:stop])
            word = before.group(1).lower().rstrip(".") if before else ""
            if m.group(1) == "." and (word in ABBREVIATIONS or re.fullmatch(r"[a-z]", word)
                                      or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word)):
                continue
            piece_end = m.end(2)
            _add(out, text, p, start + cut, start + piece_end)
            cut = m.end()
        _add(out, text, p, start + cut, end)
    return out


def _add(out: list[Sentence], text: str, paragraph: int, a: int, b: int) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if b > a:
        out.append(Sentence(len(out), paragraph, a, b, text[a:b]))


# -- tokens -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def is_cap(self) -> bool:
        return self.text[:1].isupper()


_TOKEN = re.compile(r"(?:[A-Za-z]\.){2,}|[’']s\b|[^\W_]+(?:[-'’](?!s\b)[^\W_]+)*|\S")


def tokens(text: str, offset: int = 0) -> list[Token]:
    """Words (``al-Assad``, ``O'Brien``, ``U.S.`` kept whole), possessive ``'s`` and single
    punctuation marks, with offsets (plus ``offset``)."""
    out = []
    for m in _TOKEN.finditer(text):
        out.append(Token(m.group(0), offset + m.start(), offset + m.end()))
    return out


def slug(text: str) -> str:
    """A lowercase id: ``"Saudi Arabia" -> "saudi-arabia"``."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]
