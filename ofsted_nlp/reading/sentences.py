"""Split cleaned blocks into sentences with spaCy and keep the findings.

A finding is a sentence that judges the authority's practice (see the
codebook). Addresses, salutations, sign-offs, copy lists, the statutory basis
of the visit, what evidence inspectors looked at, thanks and "what happens
next" text are not findings; neither are headings or sentences in the area
statistics and "information about this inspection" sections.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from ofsted_nlp.reading.sections import GRADE
from ofsted_nlp.reading.tokenizing import PieceTokenizer, is_punct

if TYPE_CHECKING:  # numpy and spaCy are imported when first used: the CLI's --help must stay fast
    from spacy.language import Language

MIN_WORDS = 4

# Characters spaCy's sentencizer ends a sentence on (its default punct_chars
# include many scripts; these are the ones English letters use) and what may
# trail them.
_INNER_END = re.compile(r"[.!?\u2026\u203c\u2047\u2048\u2049\uff01\uff0e\uff1f\u3002]")
_DIGIT = re.compile(r"\d")
_TRAILING = " .!?\u2026\"')]}\u201d\u2019"
MAX_WORDS = 120

_NOT_FINDING = [
    r"this letter (summarises|contains|sets out|confirms|reports)",
    r"the (inspection|visit) was (carried out|conducted|undertaken) (under|in line with|in accordance|using)",
    r"(this|the) (focused |monitoring )?visit was (carried out|conducted|undertaken) (under|in line with|in accordance|using|as part)",
    r"it will contribute to",
    r"(i|we) (would like to thank|am grateful|are grateful|wish to thank|thank)",
    r"thank you",
    r"the inspection sampled",
    r"inspectors (considered|looked at|reviewed|also reviewed|also spoke|spoke|met with|also met|held|also held|"
    r"evaluated|scrutinised|sampled|analysed|examined|also considered|also looked|visited|observed|tracked|"
    r"were on site|conducted|carried out|undertook|used|talked|interviewed|focused|explored)\b",
    r"(specifically|additionally|in addition|they|the inspectors),? (also )?(inspectors )?"
    r"(considered|reviewed|looked at|spoke|met|held|evaluated|scrutinised)\b",
    r"the inspectors were\b",
    r"the (lead|other) inspectors? (was|were)\b",
    r"(lead|deputy lead|team) inspectors?:",
    r"inspection dates?:",
    r"(report published|publication date)",
    r"judgement grade",
    r"from the evidence gathered, the following",
    r"any areas for development identified above",
    r"ofsted will take the findings",
    r"where a (focused|monitoring) visit results",
    r"we would usually also ask you",
    r"this is so we can be assured",
    r"you have already submitted an action plan",
    r"we anticipate that you will",
    r"(this|the) letter will be published",
    r"yours (sincerely|faithfully)",
    r"copy:|cc:",
    r"dear ",
    r"(annual unannounced inspection|focused visit|monitoring visit) (to|of|at)\b",
    r"inspection of [^.]{0,80}(children'?s services|local authority)\W*$",
    r"ofsted produces this report",
    r"(her|his) majesty'?s (chief )?inspectors? (were|was|is leading)",
    r"the methodology for this visit",
    r"(however, )?the delivery model was adapted",
    r"this visit was carried out",
    r"the lead inspector\b",
    r"inspection of services for children in need of help",
    r"review of the effectiveness of the (local safeguarding|lscb)",
    r"this report includes the report",
    r"it is ofsted'?s expectation",
    r"the overall judgement is",
    r"the office for standards in education",
    r"if you would like (a copy|ofsted to send)",
    r"you may (reuse|copy|re-use)",
    r"this report is available",
    r"interested in our work",
    r"any complaints about the inspection",
    r"the local authority was given the opportunity to review",
    r"this (was|is) the (first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|\w+) monitoring visit",
    r"the (areas|area) (considered|evaluated|of focus)",
    r"this visit (focused|considered|looked|evaluated)",
    r"the inspection of the local authority was carried out under",
    r"the review of the local safeguarding children board was carried out",
    r"the inspection team consisted",
    # who the inspectors were (codebook ruling of 2026-11-29: not findings)
    r"(her|his) majesty'?s (chief )?inspectors?\b",
    r"(the|this) (focused |monitoring )?(visit|inspection|review) was (carried out|conducted|undertaken|led) by\b",
    r"(a|the) (second|further|follow-up|return) visit was (made|carried out|undertaken)\b",
    # the dates of the visit
    r"(the|this) (focused |monitoring )?(visit|inspection|fieldwork) (took place|was held|ran) (on|between|from)\b",
    r"(senior data analyst|quality assurance manager|team inspectors|lead inspector)\b",
    r"the (quality assurance manager|senior data analyst|lead inspector|team inspector)s? (was|were)\b",
    # how the inspection was done: a method, not a verdict ("The team inspector worked remotely ...")
    r"the (team |lead )?inspectors? (worked|was based|were based|used|carried out|undertook)\b",
    # what happens next: "(In addition, / Consequently,) Her Majesty's Chief Inspector will act within ..."
    r"(in addition|consequently|as a result|therefore),? (her|his) majesty'?s (chief )?inspector\b",
]
# The area statistics' bare figures (codebook ruling of 2026-11-29): a figure
# with no verdict and no comparison that judges. Not findings unless the
# sentence also judges (_VERDICT_RE): "is well below average" stays a finding.
_BARE_STATISTICS = [
    r"in (primary|secondary) schools is [\d.]+%",
    r"approximately [\d,]+ children and young people under the age of 18",
    r"(approximately )?[\d.]+% of the local authority'?s children are living in low-income families",
    r"children and young people from minority ethnic groups account for [\d.]+%",
    r"the largest minority ethnic groups? of children",
    r"the proportion of (children|pupils) (and young people )?(entitled to free school meals|who speak english)[^.:]*:",
    r"this is an? (increase|decrease|reduction|rise|fall) from [\d,]+ (at|on|in|as at) ",
    r"(at|on|as at) \d{1,2} \w+ \d{4},? [\d,]+ (children|young people)\b",
    r"(there have been|there were) [\d,]+ (adoptions|serious case reviews|serious incident notifications)\b",
    r"([\d,]+|two|three|four|five|six|seven|eight|nine|ten) (children|young people|children and young people) "
    r"(became subjects? of special guardianship orders|ceased to be looked after)\b",
    r"([\d,]+|none|two|three|four|five|six|seven|eight|nine|ten|fewer than five)( \(or [\d.]+%\))? "
    r"(live|lived|are living) (outside|out of|in|with) ",
    r"(these|this) (are|is) residential special schools",
    # the size of a group of children, in the findings' own sections
    r"(at the time of (the |this )?inspection|(at|as at|on) \d{1,2} \w+ \d{4}|at (the end of )?\w+ \d{4}),? "
    r"(there (were|are) )?[\d,]+ (children|young people|children and young people|care leavers)"
    r"( (were|are|was|is))?( being)? (looked after|in care|the subject of (a )?child protection plans?|"
    r"subject to (a )?child protection plans?|receiving (leaving )?care services)"
    r"( by [^,.;]{2,60})?( \([^()]{1,60}\))?\W*$",
    r"(at the time of (the |this )?inspection,? )?the local authority (was|is) (looking after|"
    r"responsible for (supporting )?)[\d,]+ (children|young people|care leavers)( and young people)?"
    r"( (aged|up to) [^,.;]{1,30})?\W*$",
]
_BARE_STATISTIC_RE = re.compile(r"^\W*(?:" + "|".join(_BARE_STATISTICS) + r")", re.I)
_VERDICT_RE = re.compile(
    r"\b(too|only|just|good|well|poor|weak|strong|effective|ineffective|high|higher|highest|low(?!-income)|lower|lowest|above|"
    r"below|better|worse|concern\w*|improv\w*|declin\w*|deteriorat\w*|significant\w*|sharp\w*|substantial\w*|"
    r"considerabl\w*|rapid\w*|slow\w*|favourabl\w*|unfavourabl\w*|appropriate\w*|inappropriate\w*|reflect\w*|"
    r"in line|similar|compar\w+ (favourably|well|poorly))\b",
    re.I,
)


def is_bare_statistic(sentence: str) -> bool:
    """Is this one of the area statistics' bare figures ("in primary schools is 14.9% (the national
    proportion is 15.6%)"), stated with no verdict? A statistic the inspectors judge is not."""
    return bool(_BARE_STATISTIC_RE.match(sentence)) and not _VERDICT_RE.search(sentence)


_NOT_FINDING_RE = re.compile(r"^\W*(?:\d{1,2}\s+)?(?:" + "|".join(_NOT_FINDING) + r")", re.I)
# One more of them, kept apart because it scans up to 80 characters of every
# sentence: is_finding_text tries it only on sentences that can match it.
_CARRIED_OUT_RE = re.compile(r"^\W*(?:\d{1,2}\s+)?(?:.{0,80}carried out under (section|the))", re.I)
_ANYWHERE_NOT_FINDING_RE = re.compile(
    r"(her|his) majesty'?s inspector(?!s)|@ofsted\.gov\.uk|www\.|https?://|\bHMI\b\s*$"
    r"|\bHMI\b[^.]{0,120}\bHMI\b"  # a list of inspectors: "Carolyn Adcock Senior HMI; Chris Sands Senior HMI; ..."
    r"|information sharing protocol", re.I
)
_NOTE_ONLY_RE = re.compile(r"^\([^()]{1,80}\)\W*$")
_LEADIN_RE = re.compile(r"(\bthe following\b.*|\b(in particular|as follows|include|including|areas?))\W*:\s*$", re.I)
_TABLE_RE = re.compile(rf"{GRADE}\s+\d(\.\d)?\.?\s+[A-Z].*{GRADE}", re.I)
# Judgement-table text run into prose: "... protection Requires improvement 2." (case matters here).
_TABLE_ROW_RE = re.compile(
    r"\b(Requires improvement|Good|Outstanding|Inadequate)( to be good)?\s+\d(\.\d)?\.?(\s|$)|"
    r"[a-z,] (Requires improvement|Outstanding|Inadequate)\b"
)
_ENDS_WITH_GRADE_RE = re.compile(rf"\b{GRADE}\s*$", re.I)
_THREE_LOWER_RE = re.compile(r"[a-z]{3}")
_DIGIT_OR_STAT_WORD_RE = re.compile(r"\d|minority ethnic|residential special|fewer than five|\bnone\b|proportion of", re.I)


@lru_cache(maxsize=1)
def nlp() -> Language:
    """spaCy's blank English pipeline: its tokenizer reads the pieces :class:`PieceStarts` needs where the
    saved rules file (:mod:`ofsted_nlp.reading.tokenizing`) is damaged.

    A trained parser finds the same sentence boundaries on this formal prose at
    a fraction of the speed, so it has not earned its cost.
    """
    import spacy

    return spacy.blank("en")


class PieceStarts:
    """Where spaCy's tokenizer and stock ``sentencizer`` start a text's sentences, tokenizing only the
    pieces that decide it.

    spaCy's tokenizer cuts its input at whitespace and tokenizes each
    whitespace-separated piece on its own (a run of whitespace other than the
    single space after a piece is a token of its own); the sentencizer's rule
    (``Sentencizer.predict``: the first token starts a sentence, and so does
    every token that is neither punctuation nor one of the punct_chars when one
    of the punct_chars stands since the last token that was neither) then needs,
    of each token, only whether it is one of the punct_chars, other
    punctuation, or neither ("a word"). A state
    only opens at one of the punct_chars, so the pieces that hold one are the
    only ones read in full: each distinct piece is tokenized once (in one doc
    with the other new pieces of the call) and its reading kept, as the offsets
    of its words and punct_chars. While a state is open, the next word decides:
    a piece that begins with a letter or digit begins with one; a piece that
    begins with other punctuation is read like those above. The words between
    are never tokenized. Exact, not approximate: the tests compare the texts'
    sentences with the stock component's on tricky and random text and on
    every block of the corpus.
    """

    def __init__(self, pipeline: Language | None = None, pieces: PieceTokenizer | None = None) -> None:
        """Tokenize with ``pieces`` (spaCy's rules in Python, :mod:`ofsted_nlp.reading.tokenizing`), or else with
        ``pipeline``'s tokenizer (spaCy itself)."""
        if pieces is not None:
            self.piece_tokenizer: PieceTokenizer | None = pieces
            chars = "".join(sorted(pieces.punct_chars))
        elif pipeline is not None:
            from spacy.pipeline import Sentencizer

            self.piece_tokenizer = None
            self.tokenizer = pipeline.tokenizer
            self.vocab = pipeline.vocab
            chars = "".join(sorted(set(Sentencizer.default_punct_chars)))
        else:
            raise ValueError("PieceStarts needs a spaCy pipeline or a PieceTokenizer")
        self.punct_chars = frozenset(chars)
        # a whole whitespace-separated piece holding one of the punct_chars; and, where a text's only
        # whitespace is the space, a quicker search: from its first one of them to the piece's end (in
        # ASCII text the ASCII ones alone: a class of 128 characters is searched 13 times as slowly)
        self.pieces = re.compile(r"(?<!\S)\S*[" + re.escape(chars) + r"]\S*")
        self.piece_ends = re.compile(r"[" + re.escape(chars) + r"]\S*")
        self.ascii_piece_ends = re.compile(r"[" + re.escape("".join(c for c in chars if c.isascii())) + r"]\S*")
        self.other_space = re.compile(r"[^\S ]")
        self.piece = re.compile(r"\S+")
        self.space = re.compile(r"\s+")
        # piece -> its tokens that are not other punctuation: (offset in the piece, is one of the punct_chars).
        # Written by whichever thread learns a piece first (the same reading whoever does); a cache of at most
        # about `limit` pieces (the corpus has some 6,000 that hold a sentence-ending mark).
        self.known: dict[str, tuple[tuple[int, bool], ...]] = {}
        self.limit = 200_000

    def learn(self, pieces: Sequence[str]) -> dict[str, tuple[tuple[int, bool], ...]]:
        """Tokenize pieces (with spaCy: in one doc, a space between them), keep their readings and return them."""
        pieces = list(dict.fromkeys(pieces))
        if not pieces:
            return {}
        if self.piece_tokenizer is not None:
            learnt = {}
            for piece in pieces:
                reading, at = [], 0
                for token in self.piece_tokenizer(piece):
                    if token in self.punct_chars:
                        reading.append((at, True))
                    elif not is_punct(token):
                        reading.append((at, False))
                    at += len(token)
                learnt[piece] = tuple(reading)
        else:
            learnt = self._learn_with_spacy(pieces)
        self.known.update(learnt)
        return learnt

    def _learn_with_spacy(self, pieces: list[str]) -> dict[str, tuple[tuple[int, bool], ...]]:
        import numpy as np
        from spacy.attrs import IDX, IS_PUNCT, ORTH

        begins = np.zeros(len(pieces), dtype=np.int64)
        np.cumsum(np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))[:-1] + 1, out=begins[1:])
        doc = self.tokenizer(" ".join(pieces))
        a = doc.to_array([ORTH, IS_PUNCT, IDX])
        idx = a[:, 2].astype(np.int64)
        owner = (np.searchsorted(begins, idx, side="right") - 1).tolist()
        offsets = (idx - begins[owner]).tolist() if len(a) else []
        strings = self.vocab.strings
        texts = [strings[int(o)] for o in a[:, 0]]
        readings: list[list[tuple[int, bool]]] = [[] for _ in pieces]
        for k, off, text, punct in zip(owner, offsets, texts, a[:, 1].tolist()):
            if text in self.punct_chars:
                readings[k].append((off, True))
            elif not punct:
                readings[k].append((off, False))
        return {piece: tuple(reading) for piece, reading in zip(pieces, readings)}

    def starts(self, texts: Sequence[str]) -> list[list[int]]:
        """For each text, the character offsets where its sentences start (the first always 0)."""
        found = [self._pieces(t) for t in texts]
        if len(self.known) > self.limit:  # a cache: past its limit it starts again
            self.known = {}
        new = [p for f in found for _, p in f if p not in self.known]
        if new:
            self.learn(new)
        return [self._text_starts(t, f) for t, f in zip(texts, found)]

    def _reading(self, piece: str) -> tuple[tuple[int, bool], ...]:
        # (another thread may have started the cache again since this one learnt the piece)
        reading = self.known.get(piece)
        if reading is None:
            reading = self.learn([piece])[piece]
        return reading

    def _pieces(self, text: str) -> list[tuple[int, str]]:
        """The pieces of ``text`` that hold one of the punct_chars, with their offsets."""
        if self.other_space.search(text):
            return [(m.start(), m.group()) for m in self.pieces.finditer(text)]
        found = []
        for m in (self.ascii_piece_ends if text.isascii() else self.piece_ends).finditer(text):
            at = text.rfind(" ", 0, m.start()) + 1
            found.append((at, text[at:m.end()]))
        return found

    def _text_starts(self, text: str, found: list[tuple[int, str]]) -> list[int]:
        starts = [0]
        reading = self._reading
        open_ = False  # one of the punct_chars since the last word
        pos = 0
        for at, piece in found:
            if open_:
                word = self._next_word(text, pos, at)
                if word is not None:
                    starts.append(word)
                    open_ = False
            for off, is_end in reading(piece):
                if is_end:
                    open_ = True
                elif open_:
                    starts.append(at + off)
                    open_ = False
            pos = at + len(piece)
        if open_:
            word = self._next_word(text, pos, len(text))
            if word is not None:
                starts.append(word)
        return starts

    def _next_word(self, text: str, pos: int, end: int) -> int | None:
        """Where the first token that is neither punctuation nor whitespace-absorbed stands in
        ``text[pos:end]`` (which follows a piece and holds none of the punct_chars), if any."""
        while pos < end:
            if text[pos].isspace():
                run = self.space.match(text, pos, end)
                assert run is not None
                if run.group() != " ":  # more than the piece's trailing space: a whitespace token
                    return pos
                pos = run.end()
                continue
            if text[pos].isalnum():
                return pos
            piece = self.piece.match(text, pos, end)
            assert piece is not None
            for off, is_end in self._reading(piece.group()):
                if not is_end:
                    return pos + off
            pos = piece.end()
        return None


@lru_cache(maxsize=1)
def piece_starts() -> PieceStarts:
    """The saved tokenizer rules in Python (the project's specification; no import of spaCy), else spaCy
    where the rules file is damaged."""
    from ofsted_nlp.reading.tokenizing import piece_tokenizer

    pieces = piece_tokenizer()
    return PieceStarts(pieces=pieces) if pieces is not None else PieceStarts(nlp())


def split_sentences(texts: Iterable[str]) -> list[list[str]]:
    """Sentences of each text, in order, as spaCy's tokenizer and stock sentencizer split it.

    A text with no sentence-ending mark before its end is one sentence, as
    spaCy's sentencizer would find; the others are read by :class:`PieceStarts`.
    """
    texts = list(texts)
    out: list[list[str] | None] = [None] * len(texts)
    todo = []
    for i, text in enumerate(texts):
        stripped = text.strip()
        if not _INNER_END.search(stripped.rstrip(_TRAILING)):
            out[i] = [stripped] if stripped else []
        else:
            todo.append(i)
    for i, starts in zip(todo, piece_starts().starts([texts[i] for i in todo])):
        text = texts[i]
        bounds = starts + [len(text)]
        sents = (text[a:b].strip() for a, b in zip(bounds, bounds[1:]))
        out[i] = [x for x in sents if x]
    return out  # type: ignore[return-value]


def is_finding_text(sentence: str) -> bool:
    """Does this sentence, on its own, look like a finding rather than letter furniture?

    Cheap substring tests guard the slower patterns: most sentences need none
    of them. In an ASCII sentence a case-insensitive pattern can only match
    ASCII letters of either case, so there a phrase the pattern needs can be
    looked for in the lower-cased sentence first; other sentences skip the guard.
    """
    words = sentence.split()
    if len(words) < MIN_WORDS or len(words) > MAX_WORDS:
        return False
    if _NOT_FINDING_RE.match(sentence):
        return False
    if sentence.startswith("(") and _NOTE_ONLY_RE.match(sentence):
        return False  # a note alone: "(Outcome 3, national framework)", "(page 25, paragraph 85)"
    low = sentence.lower()
    unguarded = not sentence.isascii()
    # In an ASCII sentence \d is [0-9]: ten substring tests, where the case-insensitive
    # alternation below scans the whole sentence for every one of the 120,000 sentences of the corpus.
    has_digit = _DIGIT.search(sentence) is not None if unguarded else _has_ascii_digit(sentence)
    if (unguarded or has_digit or "minority ethnic" in low or "residential special" in low
            or "fewer than five" in low or "none" in low or "proportion of" in low) and \
            _DIGIT_OR_STAT_WORD_RE.search(sentence) and is_bare_statistic(sentence):
        return False
    if (unguarded or "carried out under" in low) and _CARRIED_OUT_RE.match(sentence):
        return False
    if ("majesty" in low or "@" in low or "www." in low or "http" in low or "hmi" in low) and \
            _ANYWHERE_NOT_FINDING_RE.search(sentence):
        return False
    if sentence.rstrip().endswith(":") and _LEADIN_RE.search(sentence):
        return False
    # The table and grade patterns all need a grade ("adequate" is in "inadequate").
    if unguarded or "good" in low or "outstanding" in low or "adequate" in low or "requires improvement" in low \
            or "not judged" in low:
        capital_grade = "Requires improvement" in sentence or "Outstanding" in sentence or "Inadequate" in sentence
        if (has_digit or capital_grade) and (_TABLE_RE.search(sentence) or _TABLE_ROW_RE.search(sentence)):
            return False
        if len(words) < 20 and _ENDS_WITH_GRADE_RE.search(sentence[-40:]):
            return False  # a row of a judgement table, or a heading with its grade
    return _THREE_LOWER_RE.search(sentence) is not None


def _has_ascii_digit(text: str) -> bool:
    """``_DIGIT.search(text) is not None`` for an ASCII ``text``."""
    for c in "0123456789":
        if c in text:
            return True
    return False


def split_long(sentence: str) -> list[str]:
    """Break a sentence over the length limit at semicolons (lists run together)."""
    # n words take at least 2n - 1 characters, so a short sentence needs no counting
    if len(sentence) < 2 * MAX_WORDS or len(sentence.split()) <= MAX_WORDS:
        return [sentence]
    parts = [p.strip() for p in re.split(r";\s+", sentence) if p.strip()]
    return parts if len(parts) > 1 else [sentence]
