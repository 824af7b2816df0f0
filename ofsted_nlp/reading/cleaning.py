"""Turn extracted pages into clean blocks of text.

A block is a paragraph, a bullet or a heading, with page furniture removed
(Ofsted addresses, phone lines, running headers and footers, page numbers,
"INVESTOR IN PEOPLE"), lines broken by page ends re-joined, bullet marks,
paragraph numbers and markdown marks stripped, and line-end hyphenation undone
only where the document itself shows the word unhyphenated.

Whether a heading carries a judgement is decided in :mod:`ofsted_nlp.reading.sections`;
this module only says *that* a line is a heading.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from ofsted_nlp.reading import sections
from ofsted_nlp.reading.grades import area_of_heading

MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
DATE_LINE = re.compile(rf"^\s*(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTHS})\s+(\d{{4}})\s*$", re.I)

# Whole lines that are letterhead, contact details or other page furniture.
_FURNITURE = [
    r"ofsted",
    r"piccadilly gate",
    r"store street",
    r"manchester",
    r"m1 2wd",
    r"manchester m1 2wd",
    r"agora",
    r"6 cumberland place",
    r"park street",
    r"nottingham ng1 6hj",
    r"clive house",
    r"70 petty france,?",
    r"london sw1h 9ex",
    r"aviation house",
    r"125 kingsway",
    r"london wc2b 6se",
    r"royal exchange buildings",
    r"st ann'?s square",
    r"manchester m2 7la",
    r"freshford house.*",
    r"(direct )?[tfe]:? ?\+?[\d ]{8,}.*",
    r"textphone:? [\d ]+",
    r"(e: |w: )?(www\.|http)\S+",
    r"(e: )?\S+@\S+\.\S+",
    r"investor in people",
    r"page \d+( of \d+)?",
    r"\d{1,3}",
    r"©.*crown copyright.*",
    r"reference no:? .*",
]
_FURNITURE_RE = re.compile(r"^(?:" + "|".join(_FURNITURE) + r")\s*$", re.I)

BULLET_CHARS = "•◼▪■●◦‣∙·–—*-\u2043\u25aa\u25cf"
_BULLET_RE = re.compile(rf"^\s*(?:[{re.escape(BULLET_CHARS)}]|[\uf000-\uf8ff])\s*")
_PARA_NUM_RE = re.compile(r"^\s*(\d{1,3})\.\s*(?=[A-Z‘'\"(])")
_MARKDOWN_RE = re.compile(r"^\s*#{1,6}\s*|\*\*|__")
_PARA_REF_RE = re.compile(r"\s*\((?:see )?paragraphs? [\d,–\- and]+\)", re.I)
_TERMINAL_RE = re.compile(r"[.!?:;][\"'’”)\]]*$")
_CLOSERS = "\"'’”)]"  # what _TERMINAL_RE lets follow the mark
_SOFT_HYPHEN = "\ufffe"
# Lines that always open a block of their own.
_NEVER_JOINED_RE = re.compile(r"^(dear\b|yours (sincerely|faithfully)|copy( to)?:|inspection dates?:|lead inspector:)", re.I)
_HYPHEN_JOIN_RE = re.compile(rf"(\w+){_SOFT_HYPHEN}\s*(\w+)")
_SPACES_RE = re.compile(r"[ \t\u00a0\u2002\u2003\u2009\u202f]+")
_ODD_SPACES = "\t\u00a0\u2002\u2003\u2009\u202f"  # the characters of _SPACES_RE other than " "
_MULTI_SPACE_RE = re.compile(" {2,}")


@dataclass(frozen=True)
class Block:
    """A paragraph, bullet or heading of a cleaned document."""

    kind: str  # "heading", "paragraph" or "bullet"
    text: str
    page: int


# Control characters (escape sequences could set a terminal's title or clear its screen when a
# finding is printed), DEL, C1 controls and bidirectional overrides: never part of a letter's text.
# Tab, newline and carriage return are kept (lines are split on them; tabs become spaces).
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+")


# Whole terminal escape sequences, so that no visible remnant ("]0;title", "[2J") is left:
# CSI (ESC [ or 0x9b) ... final byte; OSC, DCS, PM, APC (ESC ] P ^ _) ... BEL or ST (only where the
# terminator follows, so an unterminated one costs no text); ESC and one character.
_ESCAPE_SEQ_RE = re.compile(
    "(?:\x1b\\[|\x9b)[0-?]*[ -/]*[@-~]?|(?:\x1b[\\]P^_]|[\x90\x9d\x9e\x9f])[^\x07\x1b\x9c\n]{0,512}(?:\x07|\x1b\\\\|\x9c)"
    "|\x1b[ -~]?"
)


# _CONTROL_RE's characters in two classes: searching for the first (all below U+0100) is three
# times faster than for the whole class, and only text with a character above U+007F needs the second.
_CONTROL_LATIN1_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """``text`` without terminal escape sequences and control characters other than tab, newline and
    carriage return."""
    if not _CONTROL_LATIN1_RE.search(text) and (text.isascii() or not _BIDI_RE.search(text)):
        return text  # (no character of _CONTROL_RE)
    return _CONTROL_RE.sub("", _ESCAPE_SEQ_RE.sub("", text))


def normalise_chars(text: str) -> str:
    """Fold ligatures, quotes and odd spaces to plain forms (keeps pdfium's soft-hyphen mark);
    drop control characters."""
    text = unicodedata.normalize("NFKC", strip_controls(text).replace(_SOFT_HYPHEN, "\x00"))
    text = text.replace("\x00", _SOFT_HYPHEN)
    text = (
        text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
        .replace("\u00ad", "").replace("\u200b", "")
    )
    return _collapse_spaces(text)


def _collapse_spaces(text: str) -> str:
    """``_SPACES_RE.sub(" ", text)``, without a regex replacement for every single space of a page."""
    for c in _ODD_SPACES:
        if c in text:
            text = text.replace(c, " ")
    return _MULTI_SPACE_RE.sub(" ", text) if "  " in text else text


_ASCII_DIGIT_RE = re.compile("[0-9]")


def _furniture_key(line: str) -> str:
    # digits to spaces with a regex: str.translate is slower
    return " ".join(_ASCII_DIGIT_RE.sub(" ", line.lower()).split())


def running_lines(pages: list[list[str]]) -> set[str]:
    """Lines (digits ignored) that stand at the top or bottom of several pages."""
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for page in pages:
        lines = [ln.strip() for ln in page if ln.strip()]
        edge = {_furniture_key(ln) for ln in lines[:3] + lines[-3:]}
        counts.update(k for k in edge if k)
    need = max(3, len(pages) // 2)
    return {k for k, n in counts.items() if n >= need}


# Of _FURNITURE's patterns only these can match a line of more than 24 characters (the longest fixed
# one, "royal exchange buildings"); an ASCII line of them starts so, or holds "@" (an e-mail address).
_LONG_FURNITURE_STARTS = ("freshford house", "direct ", "textphone", "e: ", "w: ", "www.", "http", "reference no",
                          "page ")
_FIXED_FURNITURE_LENGTH = 24


def _may_be_furniture(line: str) -> bool:
    """False where ``_FURNITURE_RE`` cannot match the stripped ``line``: a long ASCII line with none of its
    long patterns' starts (case-insensitive matching goes beyond lower() only for non-ASCII letters)."""
    if len(line) <= _FIXED_FURNITURE_LENGTH or not line.isascii() or "@" in line:
        return True
    low = line[:16].lower()
    # a telephone or fax number: "T: 0300 123 1231", "F 0161..."
    return low.startswith(_LONG_FURNITURE_STARTS) or (low[0] in "tfe" and low[1] in ": +0123456789")


def is_furniture(line: str, running: set[str]) -> bool:
    s = line.strip()
    if not s:
        return False
    if _may_be_furniture(s) and _FURNITURE_RE.match(s):
        return True
    return bool(running) and _furniture_key(s) in running  # most documents have no running lines


def clean_pages(pages: list[list[str]]) -> list[Block]:
    """Clean extracted pages into blocks, in document order."""
    # Characters are normalised first, so that running lines are found on the
    # same text they are then removed from ("children’s" and "children's").
    pages = [normalise_chars("\n".join(page)).split("\n") for page in pages]
    running = running_lines(pages)
    # Flatten to (page, line) keeping blank lines as paragraph hints.
    lines: list[tuple[int, str]] = []
    marks: set[int] = set()
    title = True  # the first line of the first page is the title, even where it is also the running header
    for pno, page in enumerate(pages):
        for line in page:
            line = line.strip()
            if line and is_furniture(line, running if not title else set()):
                continue
            title = title and not line
            lines.append((pno, line))
            if len(line) == 15 or len(line) == 8:  # what a judgement table's or contents' first line can be
                marks.add(len(line))
    if 15 in marks:
        lines = _drop_judgement_table(lines)
    if 8 in marks:
        lines = _drop_contents(lines)
    vocab = _Vocabulary(" ".join(text for _, text in lines))

    blocks: list[dict] = []
    current: dict | None = None
    blank_before = True
    i = 0
    n = len(lines)
    while i < n:
        pno, line = lines[i]
        i += 1
        if not line:
            blank_before = True
            continue
        if "#" in line or "*" in line or "_" in line:
            line = _MARKDOWN_RE.sub("", line).strip()
            if not line:
                continue
        kind = "paragraph"
        m = _BULLET_RE.match(line)
        if m and len(line) > m.end():
            kind, line = "bullet", line[m.end():].strip()
        else:
            m = _PARA_NUM_RE.match(line)
            if m and not sections.is_grade_line(line):
                kind, line = "paragraph", line[m.end():].strip()
                m = None
                kind = "numbered"
        if not line:
            continue
        if kind == "paragraph" and current is not None and _continues(current, line, blank_before):
            current["text"] = _join(current["text"], line)
            if current["kind"] == "heading" and not (
                sections.is_heading_text(current["text"]) or sections.looks_like_heading(current["text"])
                or area_of_heading(current["text"]) is not None
            ):
                # A short line taken for a heading ran on into a sentence: it was the
                # sentence's first line, not a heading.
                current["kind"] = "paragraph"
            blank_before = False
            continue
        # A new block starts here: is it a heading?
        nxt = _next_text(lines, i)
        if kind == "paragraph":
            two = f"{line} {nxt}" if nxt else ""
            if sections.is_heading_text(line) or (
                sections.looks_like_heading(line) and (not nxt or _starts_block(nxt))
            ):
                kind = "heading"
            elif nxt and sections.is_heading_text(two) and not _TERMINAL_RE.search(line):
                # A heading set over two lines ("The experiences and progress of /
                # children who need help and protection Requires improvement").
                kind, line = "heading", two
                i = _skip_next_text(lines, i)
        if kind == "numbered":
            kind = "paragraph"
        current = {"kind": kind, "text": line, "page": pno}
        blocks.append(current)
        blank_before = False

    out = []
    for b in blocks:
        text = b["text"]
        if _SOFT_HYPHEN in text:
            text = _dehyphenate(text, vocab)
        if "aragraph" in text:
            text = _PARA_REF_RE.sub("", text)
        if "  " in text:
            text = _SPACES_RE.sub(" ", text)
        text = text.strip()
        if b["kind"] == "heading":
            text = re.sub(r"(?<=[a-z])\d{1,2}$", "", text).rstrip(" :")  # footnote mark
        if text:
            out.append(Block(b["kind"], text, b["page"]))
    return out


_CONTENTS_RE = re.compile(r"^contents$", re.I)


def _drop_contents(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Remove a table of contents: from a "Contents" line to the end of its page."""
    if not any(len(text) == 8 and _CONTENTS_RE.match(text) for _, text in lines):
        return lines  # most documents have none
    out: list[tuple[int, str]] = []
    skip_page = None
    for pno, text in lines:
        if skip_page is not None and pno == skip_page:
            continue
        if len(text) == 8 and _CONTENTS_RE.match(text):  # lines are stripped and have no newline
            skip_page = pno
            continue
        out.append((pno, text))
    return out


_TABLE_START_RE = re.compile(r"^judgement grade$", re.I)
_TABLE_END_RE = re.compile(r"^overall effectiveness\b", re.I)


def _drop_judgement_table(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Remove the judgement table of an inspection report's first page."""
    if not any(len(text) == 15 and _TABLE_START_RE.match(text) for _, text in lines):
        return lines  # letters have none (a match is 15 characters: lines are stripped, with no newline)
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        pno, text = lines[i]
        if len(text) == 15 and _TABLE_START_RE.match(text):
            for j in range(i + 1, min(i + 30, len(lines))):
                if _TABLE_END_RE.match(lines[j][1]):
                    # The table's last row stays as the heading of the summary under it
                    # (its grade is read from the raw page by ofsted_nlp.reading.grades).
                    out.append((lines[j][0], "Overall effectiveness"))
                    out.append((lines[j][0], ""))
                    i = j + 1
                    # the grade may wrap: "Requires improvement to" / "be good"
                    while i < len(lines) and re.match(r"^(be good|to be good|good)$", lines[i][1], re.I):
                        i += 1
                    break
            else:
                out.append(lines[i])
                i += 1
            continue
        out.append(lines[i])
        i += 1
    return out


def _continues(current: dict, line: str, blank_before: bool) -> bool:
    """Is ``line`` the continuation of the block before it (a wrapped or page-broken line)?"""
    if _NEVER_JOINED_RE.match(line):
        return False
    if current["text"].endswith((")", ").")) and sections.RECOMMENDATION_MARK_RE.search(current["text"][-30:]):
        return False  # "... (Recommendation)" closes its sentence and block; a heading may follow
    if line[0].islower() or line[0] in ",;)":
        return True
    if current["kind"] == "heading" or blank_before or _NEVER_JOINED_RE.match(current["text"]):
        return False
    if _ends_sentence(current["text"]):
        return False
    return not sections.is_heading_text(line)


def _ends_sentence(text: str) -> bool:
    """``_TERMINAL_RE.search(text)`` for text without newlines, without scanning a long block from its start."""
    return text.rstrip(_CLOSERS).endswith((".", "!", "?", ":", ";"))


def _next_text(lines: list[tuple[int, str]], i: int) -> str:
    while i < len(lines):
        if lines[i][1]:
            text = lines[i][1]
            return _MARKDOWN_RE.sub("", text).strip() if ("#" in text or "*" in text or "_" in text) else text
        i += 1
    return ""


def _skip_next_text(lines: list[tuple[int, str]], i: int) -> int:
    while i < len(lines) and not lines[i][1]:
        i += 1
    return i + 1


def _starts_block(line: str) -> bool:
    c = line[0]
    return c.isupper() or c.isdigit() or bool(_BULLET_RE.match(line)) or c in "\"'("


def _join(a: str, b: str) -> str:
    if a.endswith(_SOFT_HYPHEN):
        return a + b
    if a.endswith("-") and a[-2:-1].isalpha() and b[:1].islower():
        return a[:-1] + _SOFT_HYPHEN + b
    return f"{a} {b}"


class _Vocabulary:
    """The document's words (runs of ASCII letters, lower-cased), for ``word in vocabulary``.

    Only the words a line-end hyphen joins are ever looked up, so rather than
    build the set of every word, each is looked for in the document's UTF-8 bytes:
    ``bytes.lower()`` lower-cases ASCII letters only, as ``str.lower()`` does to
    ``[A-Za-z]+``, and no other character's bytes are ASCII letters (so the
    soft-hyphen mark, like any other, separates words).
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._bytes: bytes | None = None

    def __contains__(self, word: str) -> bool:
        if not _LOWER_WORD_RE.fullmatch(word):
            return False
        if self._bytes is None:
            self._bytes = self._text.encode("utf-8", "surrogatepass").lower()
        text, w = self._bytes, word.encode("ascii")
        at = text.find(w)
        while at != -1:
            end = at + len(w)
            if text[at - 1 : at] not in _LOWER_LETTERS and text[end : end + 1] not in _LOWER_LETTERS:
                return True  # a whole word, not part of a longer one
            at = text.find(w, at + 1)
        return False


_LOWER_WORD_RE = re.compile(r"[a-z]+")
_LOWER_LETTERS = frozenset(bytes([c]) for c in b"abcdefghijklmnopqrstuvwxyz")


def _dehyphenate(text: str, vocab: _Vocabulary) -> str:
    """Undo a line-end hyphen only where the joined word stands elsewhere in the document."""

    def fix(m: re.Match) -> str:
        a, b = m.group(1), m.group(2)
        if (a + b).lower() in vocab and f"{a}-{b}".lower() not in vocab:
            return a + b
        return f"{a}-{b}"

    text = _HYPHEN_JOIN_RE.sub(fix, text)
    return text.replace(_SOFT_HYPHEN, "-")
