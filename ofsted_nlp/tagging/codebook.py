"""The codebook's vocabulary as patterns: baseline tagger and model features.

Each theme's patterns come from the codebook's "typical words" and its rulings;
the exclusions come from its "not this theme" column. They serve two uses:
the keyword baseline that `ofsted-nlp evaluate` scores the model against, and
extra features beside TF-IDF in the model itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ofsted_nlp.schema import POLARITIES, THEMES
from ofsted_nlp.tagging.wordtable import WordCache, Words, segment_sums, split_words

THEME_PATTERNS: dict[str, str] = {
    "supervision": r"\bsupervis(ion|ions|ed|ing|e|or|ors)\b(?! orders?)|management oversight|managerial oversight|"
    r"managers'? oversight|oversight (by|from|of) (team |senior )?managers|management direction|"
    r"management decisions?|managers'? decisions",
    "thresholds": r"\bthresholds?\b|\bcriteria\b|\bscreen(ed|ing|s)?\b|\beligib|level of need|levels of need|"
    r"step(ped|s|ping)?[ -](up|down)|\bescalat|continuum of need|convene|\bconvened\b",
    "timeliness": r"\btimel(y|iness)\b|\bprompt(ly|ness)?\b|\bdelay(s|ed)?\b|\bdrift\b|\bbacklogs?\b|\bwait(ing|s|ed)?\b|"
    r"too long|\bswift(ly)?\b|\bquickly\b|timescales?|right time|earliest opportunity|\btoo late\b|\blate\b|"
    r"\bslow(ly)?\b|\bpace\b|\bearlier\b|in a timely|\bovert?due\b|\bspeed",
    "caseloads": r"\bcase ?loads?\b|\bworkloads?\b|\bcapacity\b|\bdemand\b|volume of work|high number of cases|"
    r"number of cases|manageable|\bstaffing\b|\bvacanc",
    "out_of_hours": r"out[ -]of[ -]hours|emergency duty|\bEDT\b|evenings and weekends|\bweekends?\b|overnight",
    "caf": r"\bCAF\b|common assessment|lead professional|early help|early intervention|team around the (child|family)|"
    r"\bTAF\b|\bTAC\b|common support framework",
}
# Phrases the codebook rules out for a theme.
THEME_EXCLUSIONS: dict[str, str] = {
    "supervision": r"supervision orders?",
    "thresholds": r"threshold of the building",
    "out_of_hours": r"emergency protection orders?",
    "caf": r"core assessment|initial assessment",
}

# Polarity cues: single words (each form spelt out) and phrases (regular
# expressions). A sentence's count for a class is the number of matches of
# \b(words|phrases)\b in its lower-cased text; no word is also the first word of
# a phrase, so the order of the alternatives never changes a count.
POLARITY_WORDS: dict[str, str] = {
    "positive": "good effective effectively adequate improved improving improvement strong strongly robust well "
    "timely appropriate appropriately clear clearly thorough consistent consistently manageable strength swift "
    "swiftly prompt promptly secure comprehensive outstanding valued sensitive sensitively successful "
    "successfully positive",
    "negative": "weak weakness weaknesses inconsistent inconsistently insufficient insufficiently late delay delays "
    "delayed drift poor poorly lack lacks lacking variable limited inadequate fail fails failed failure gap gaps "
    "ensure strengthen improve however but although while despite few unclear slow absence shortfall",
    "neutral": "aspire aspires intend intends",
}
POLARITY_PHRASES: dict[str, tuple[str, ...]] = {
    "positive": ("in place", "high[- ]quality"),
    "negative": ("not (yet|always|consistently|sufficiently|effective|timely|clear|robust|routinely|all|well)",
                 "needs? to (improve|be)", "too (long|slow|high|many|few|variable)"),
    "neutral": ("plans? to", "is implementing", "are implementing", "has recently", "have recently",
                "being addressed", "will be", "are developing", "is developing", "in the process of",
                "too (soon|early) to"),
}
POLARITY_CUES: dict[str, str] = {
    p: r"\b(" + "|".join(POLARITY_WORDS[p].split() + list(POLARITY_PHRASES[p])) + r")\b" for p in POLARITY_WORDS
}
CONCESSION_WORDS = ("but", "however", "although", "though", "despite", "while", "whilst")
AUXILIARY_WORDS = ("is", "are", "was", "were", "has", "have", "had", "does", "do", "did", "can", "cannot", "could",
                   "will", "would", "should", "must", "may", "might")

def _top_level_alternatives(pattern: str) -> list[str]:
    parts, depth, start, i = [], 0, 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _first_chars(pattern: str) -> str | None:
    """The characters any match of ``pattern`` must start with, or None when that is not plain to see."""
    chars: set[str] = set()
    for alt in _top_level_alternatives(pattern):
        alt = re.sub(r"^(\\b|\(\?<!.*?\))+", "", alt)  # zero-width: word boundaries, lookbehinds
        if alt.startswith("("):
            depth, end = 0, None
            for i, c in enumerate(alt):
                depth += c == "("
                depth -= c == ")"
                if depth == 0:
                    end = i
                    break
            if end is None or alt[end + 1:end + 2] in ("?", "*"):
                return None
            inner = _first_chars(alt[1:end].removeprefix("?:"))
            if inner is None:
                return None
            chars.update(inner)
        elif alt[:1].isalnum() or alt[:1] == "'":
            chars.add(alt[0])
        else:
            return None
    return "".join(sorted(chars))


def _word_start(alt: str) -> str | None:
    """``alt`` (a pattern with no top-level ``|``) with its leading ``\\b`` moved after the letter it stands
    before, or ``alt`` itself if it starts with a plain letter; None where neither is plain to see.

    ``\\bc`` with ``c`` a word character is ``c`` preceded by no word character,
    which is ``c(?<!\\w.)``: the same matches, but the alternative starts with a literal.
    """
    def plain_start(text: str) -> bool:  # a literal first character, not made optional by a quantifier
        return bool(re.match(r"[a-z0-9_' ]", text)) and text[1:2] not in ("?", "*", "+", "{")

    if not alt.startswith("\\b"):
        return alt if plain_start(alt) else None
    rest = alt[2:]
    if re.match(r"[a-z0-9_]", rest) and plain_start(rest):
        return rest[0] + r"(?<!\w.)" + rest[1:]
    return None


def _compile(pattern: str, flags: int = 0) -> re.Pattern:
    """``re.compile``, written so that the engine can skip positions where no match starts.

    Where every alternative can be made to start with a literal (see
    :func:`_word_start`), the engine tries only the alternatives whose first
    letter stands at a position, and finds those positions itself: the theme
    patterns run 1.4-2.5 times faster on the corpus's findings (timeliness 2.01
    -> 0.79 s over all 116,689), the matches the same. Otherwise a lookahead for
    the characters a match can start with: it changes no match but lets the
    engine skip the other positions about twice as fast as it tries all the
    alternatives there. (The polarity cues, one ``\\b(...)`` group of words, keep
    the lookahead: written as above inside the group they ran 1.2-2.5 times
    slower; so do case-insensitive patterns: the engine's quick test of an
    alternative's first letter is for exact case.)
    """
    if not flags:
        alts = [_word_start(a) for a in _top_level_alternatives(pattern)]
        if all(a is not None for a in alts):
            return re.compile("|".join(alts))  # type: ignore[arg-type]
    first = _first_chars(pattern)
    if first:
        pattern = "(?=[" + re.escape(first) + "])(?:" + pattern + ")"
    return re.compile(pattern, flags)


# Patterns run on lower-cased text (one lower() per sentence; case-insensitive
# matching in Python's re is several times slower).
_COMPILED = {t: _compile(p.lower()) for t, p in THEME_PATTERNS.items()}
_EXCLUDED = {t: re.compile(p.lower()) for t, p in THEME_EXCLUSIONS.items()}
_EXCLUSION_CUES = {"supervision": "order", "thresholds": "building", "out_of_hours": "protection", "caf": "assessment"}
_POLARITY = {p: _compile(x.lower()) for p, x in POLARITY_CUES.items()}
_RECOMMENDATION = re.compile(r"^\W*(ensure|improve|strengthen|develop|increase|reduce|review|make sure)\b", re.I)
_CONCESSION = re.compile(r"\b(" + "|".join(CONCESSION_WORDS) + r")\b")


def _triggers(pattern: str) -> tuple[str, ...] | None:
    """Literal text that every match of ``pattern`` must contain, one string per alternative.

    A cheap ``in`` test on these lets most sentences skip the regular
    expression; ``None`` where some alternative has no literal start.
    """
    out = []
    for alt in _top_level_alternatives(pattern):
        alt = re.sub(r"^(\\b)+", "", alt)
        m = re.match(r"[a-z0-9' ]+", alt)
        lit = m.group(0) if m else ""
        # a quantifier after the last letter makes that letter optional
        if m and m.end() < len(alt) and alt[m.end()] in "?*{":
            lit = lit[:-1]
        if len(lit) < 3:
            return None
        out.append(lit)
    return tuple(out)


_TRIGGERS = {t: _triggers(p.lower()) for t, p in THEME_PATTERNS.items()}


def _contains_any(text: str, needles: tuple[str, ...]) -> bool:
    for needle in needles:  # a plain loop: any() over a generator costs more than the tests
        if needle in text:
            return True
    return False


def _theme_count(low: str, theme: str) -> int:
    """Matches of one theme's patterns in lower-cased text, after the codebook's exclusions."""
    if theme in _EXCLUDED and _EXCLUSION_CUES[theme] in low:
        low = _EXCLUDED[theme].sub(" ", low)
    return len(_COMPILED[theme].findall(low))


def theme_hits(text: str) -> dict[str, int]:
    """How many times each theme's codebook words occur, after the codebook's exclusions."""
    low = text.lower()
    out = {}
    for theme in THEMES:
        triggers = _TRIGGERS[theme]
        if triggers is not None and not _contains_any(low, triggers):
            out[theme] = 0
        else:
            out[theme] = _theme_count(low, theme)
    return out


def polarity_cues(text: str) -> dict[str, int]:
    """How many of the codebook's positive, negative and neutral cue words the sentence has."""
    low = text.lower()
    return {p: len(rx.findall(low)) for p, rx in _POLARITY.items()}


def keyword_themes(text: str) -> tuple[str, ...]:
    """Themes whose codebook words occur in the sentence (the keyword baseline)."""
    hits = theme_hits(text)
    return tuple(t for t in THEMES if hits[t])


def keyword_polarity(text: str) -> str:
    """Polarity by counting the codebook's cue words (the keyword baseline)."""
    if _RECOMMENDATION.match(text):
        return "negative"
    counts = polarity_cues(text)
    if counts["neutral"] and counts["neutral"] >= max(counts["positive"], counts["negative"]):
        return "neutral"
    if counts["negative"] > counts["positive"]:
        return "negative"
    if counts["positive"] > counts["negative"]:
        return "positive"
    return "neutral"


# Verbs in their plain present form, common in these letters ("Social workers
# receive ..."), which the suffix test above cannot see.
_PLAIN_VERBS_SOURCE = (
    r"(?<!to )\b(receive|have|provide|ensure|know|feel|make|take|need|benefit|show|help|support|work|understand|"
    r"remain|continue|lack|vary|meet|include|mean|reflect|contribute|lead|result|use|see|give|get|"
    r"demonstrate|promote|enable|allow|require|identify|offer|find|experience|face|live|wait|seek|keep|"
    r"attend|report|tell|say|value|recognise|acknowledge|develop|improve|prevent|reduce|increase|inform|"
    r"focus|hold|visit|manage|respond|protect|act|plan|operate|carry|deliver|engage|monitor|review|"
    r"record|consider|agree|apply|follow|set|build|listen|talk|speak|stay|move|go|come|become|appear)\b"
)
_AUXILIARY_SOURCE = (
    r"\b(" + "|".join(AUXILIARY_WORDS) + r"|isn't|aren't)\b"
    r"|\b(it|this|that|which|who|they|he|she)\s+\w+(s|ed)\b"
)
_PLAIN_VERBS = _compile(_PLAIN_VERBS_SOURCE, re.I)
_AUXILIARY = _compile(_AUXILIARY_SOURCE, re.I)
# For ASCII text: the lower-case patterns on the lower-cased text match where the case-insensitive ones match
# on the text (Unicode case-insensitive matching differs from lower() only on non-ASCII letters, as K and
# the Kelvin sign), at twice the speed.
_PLAIN_VERBS_LOWER = _compile(_PLAIN_VERBS_SOURCE.lower())
_AUXILIARY_LOWER = _compile(_AUXILIARY_SOURCE.lower())


def is_list_item_or_recommendation(text: str) -> bool:
    """A recommendation ("Ensure that ...") or a verbless noun-phrase list item ("The quality of plans.")."""
    if _RECOMMENDATION.match(text):
        return True
    if len(text.split()) > 30:
        return False
    if text.isascii():
        low = text.lower()
        if _AUXILIARY_LOWER.search(low):
            return False
        body = low.split(" ", 1)[1] if " " in low else ""
        return not _PLAIN_VERBS_LOWER.search(body)
    if _AUXILIARY.search(text):
        return False
    body = text.split(" ", 1)[1] if " " in text else ""  # a list item may open with a gerund ("Capturing ...")
    return not _PLAIN_VERBS.search(body)


def shape_features(text: str) -> list[float]:
    """Cues of form rather than words: a recommendation, a verbless bullet, a concession."""
    words = text.split()
    return [
        1.0 if _RECOMMENDATION.match(text) else 0.0,
        1.0 if is_list_item_or_recommendation(text) else 0.0,
        1.0 if _CONCESSION.search(text.lower()) else 0.0,
        min(len(words), 60) / 60.0,
        1.0 if text[:1].islower() else 0.0,
    ]


SHAPE_NAMES = ("recommendation", "list_item", "concession", "length", "lowercase_start")
POLARITY_NAMES = POLARITIES


# --------------------------------------------------------------------------- a batch at once
#
# Tagging a corpus counts the codebook's words in some hundred thousand
# sentences. The counts below equal the per-sentence functions above (tested),
# but do most of the work once per distinct word: how many of its tokens are
# single cue words, and whether it holds a piece of text that a theme pattern
# or a cue phrase cannot match without. Only sentences holding such a piece go
# through the regular expressions.


def _longest_piece(literal: str) -> str:
    """The longest run of letters in a phrase, once groups, classes and optional letters are taken out."""
    text = re.sub(r"\([^)]*\)\??", " ", literal)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r".\?", "", text)
    return max(re.findall(r"[a-z0-9']+", text), key=len)


# every match of a theme's patterns contains one of these (None: no cheap test)
_THEME_PIECES = {t: None if _TRIGGERS[t] is None else tuple(sorted({max(x.split(), key=len) for x in _TRIGGERS[t] or ()}))
                 for t in THEMES}
_CUE_WORDS = {p: frozenset(POLARITY_WORDS[p].split()) for p in POLARITIES}
_PHRASE_PIECES = {p: tuple(sorted({_longest_piece(x) for x in POLARITY_PHRASES[p]})) for p in POLARITIES}
_CUE_PHRASES = {p: _compile(r"\b(" + "|".join(POLARITY_PHRASES[p]) + r")\b") for p in POLARITIES}
_WORD_TOKEN = re.compile(r"\w+")
# columns of the per-word table
_SINGLES = [_CUE_WORDS[p] for p in POLARITIES] + [frozenset(CONCESSION_WORDS), frozenset(AUXILIARY_WORDS)]
_PIECES = [_THEME_PIECES[t] or ("",) for t in THEMES] + [_PHRASE_PIECES[p] for p in POLARITIES]


_COUNTED = len(POLARITIES)  # the table's first columns: each cue class's single words among the word's tokens
# and then one column of flags, a bit each: a concession word, an auxiliary verb, and the pieces of each theme
# and each cue phrase (_PIECES) in the word: a sentence's flags are its words' flags or-ed together
_CONCESSION_BIT, _AUXILIARY_BIT, _PIECE_BIT = 1, 2, 4


def _word_rows(words: list[str]) -> list[list[int]]:
    rows = []
    singles, concession, auxiliary = _SINGLES[:_COUNTED], _SINGLES[_COUNTED], _SINGLES[_COUNTED + 1]
    for w in words:
        tokens = _WORD_TOKEN.findall(w)
        row = [sum(1 for tok in tokens if tok in words_) for words_ in singles]
        flags = 0
        if not concession.isdisjoint(tokens):
            flags |= _CONCESSION_BIT
        if not auxiliary.isdisjoint(tokens):
            flags |= _AUXILIARY_BIT
        for j, pieces in enumerate(_PIECES):
            if _contains_any(w, pieces):
                flags |= _PIECE_BIT << j
        row.append(flags)
        rows.append(row)
    return rows


@dataclass
class BatchCounts:
    """The codebook's counts for a batch of sentences, one row per sentence."""

    themes: np.ndarray  # (n, 6): theme_hits
    cues: np.ndarray  # (n, 3): polarity_cues
    shape: np.ndarray  # (n, 5): shape_features

    @property
    def n(self) -> int:
        return len(self.themes)


class CodebookCounter:
    """The codebook's counts of batches of sentences, with each word's part worked out once, in a table of
    ``cache`` (its owner's: a model's scorer shares one among its blocks; by default one of its own)."""

    def __init__(self, cache: WordCache | None = None):
        self.cache = cache if cache is not None else WordCache()
        self.table = self.cache.table(_word_rows, width=_COUNTED + 1, dtype=np.int64)

    def count(self, texts: list[str], words: Words | None = None) -> BatchCounts:
        """:func:`count_batch` of ``texts`` (``words``: their split, if the caller has it)."""
        texts = [str(t) for t in texts]
        if words is None:
            words = split_words(texts)
        with self.cache.lock:
            ids, rows = self.table.rows(words)
            rows = np.take(rows, ids, axis=0)
        return _batch_counts(texts, words, rows)


def count_batch(texts: list[str]) -> BatchCounts:
    """``theme_hits``, ``polarity_cues`` and ``shape_features`` of many sentences, as arrays."""
    return CodebookCounter().count(texts)


def _batch_counts(texts: list[str], words: Words, rows: np.ndarray) -> BatchCounts:
    n = len(texts)
    k = len(POLARITIES)
    cues = segment_sums(rows[:, :k], words.lengths).reshape(n, k)
    flags = np.zeros(n, dtype=np.int64)
    nonempty = words.lengths > 0
    if len(rows):
        starts = np.cumsum(words.lengths) - words.lengths
        flags[nonempty] = np.bitwise_or.reduceat(rows[:, k], starts[nonempty])
    lows: dict[int, str] = {}

    def low(i: int) -> str:
        if i not in lows:
            lows[i] = texts[i].lower()
        return lows[i]

    themes = np.zeros((n, len(THEMES)), dtype=np.int64)
    for j, theme in enumerate(THEMES):
        triggers = _TRIGGERS[theme]
        for i in np.flatnonzero(flags & (_PIECE_BIT << j)).tolist():
            text = low(i)
            if triggers is None or _contains_any(text, triggers):  # as theme_hits tests, before the pattern
                themes[i, j] = _theme_count(text, theme)
    for j, p in enumerate(POLARITIES):
        for i in np.flatnonzero(flags & (_PIECE_BIT << (len(THEMES) + j))).tolist():
            text = low(i)
            if _CUE_PHRASES[p].search(text):  # else every match is a single cue word, counted already
                cues[i, j] = len(_POLARITY[p].findall(text))
    recommendation = np.fromiter((_RECOMMENDATION.match(t) is not None for t in texts), dtype=bool, count=n)
    listed = recommendation.copy()
    # an auxiliary verb among its words rules a verbless list item out without the regular expressions
    for i in np.flatnonzero(~recommendation & (words.lengths <= 30) & ((flags & _AUXILIARY_BIT) == 0)).tolist():
        listed[i] = is_list_item_or_recommendation(texts[i])
    shape = np.column_stack([
        recommendation,
        listed,
        (flags & _CONCESSION_BIT) != 0,  # a concession word
        np.minimum(words.lengths, 60) / 60.0,
        np.fromiter((t[:1].islower() for t in texts), dtype=bool, count=n),
    ]).astype(np.float64)
    return BatchCounts(themes, cues, shape.reshape(n, len(SHAPE_NAMES)))
