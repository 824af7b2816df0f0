"""The codebook's vocabulary as patterns: baseline tagger and model features.

Each theme's patterns come from the codebook's "typical words" and its rulings;
the exclusions come from its "not this theme" column. They serve two uses:
the keyword baseline that `ofsted-nlp evaluate` scores the model against, and
extra features beside TF-IDF in the model itself.
"""

from __future__ import annotations

import re

from .labels import POLARITIES, THEMES

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

POLARITY_CUES: dict[str, str] = {
    "positive": r"\b(good|effective(ly)?|adequate|improv(ed|ing|ement)|in place|strong(ly)?|robust|well|timely|"
    r"appropriate(ly)?|clear(ly)?|thorough|consistent(ly)?|high[- ]quality|manageable|strength|swift(ly)?|"
    r"prompt(ly)?|secure|comprehensive|outstanding|valued|sensitive(ly)?|successful(ly)?|positive)\b",
    "negative": r"\b(weak(ness|nesses)?|inconsistent(ly)?|insufficient(ly)?|late|not (yet|always|consistently|sufficiently|"
    r"effective|timely|clear|robust|routinely|all|well)|needs? to (improve|be)|too (long|slow|high|many|few|variable)|"
    r"delay(s|ed)?|drift|poor(ly)?|lack(s|ing)?|variable|limited|inadequate|fail(s|ed|ure)?|gaps?|"
    r"ensure|strengthen|improve|however|but|although|while|despite|few|unclear|slow|absence|shortfall)\b",
    "neutral": r"\b(plans? to|is implementing|are implementing|aspires?|has recently|have recently|"
    r"being addressed|intends?|will be|are developing|is developing|in the process of|too (soon|early) to)\b",
}

# Patterns run on lower-cased text (one lower() per sentence; case-insensitive
# matching in Python's re is several times slower).
_COMPILED = {t: re.compile(p.lower()) for t, p in THEME_PATTERNS.items()}
_EXCLUDED = {t: re.compile(p.lower()) for t, p in THEME_EXCLUSIONS.items()}
_EXCLUSION_CUES = {"supervision": "order", "thresholds": "building", "out_of_hours": "protection", "caf": "assessment"}
_POLARITY = {p: re.compile(x.lower()) for p, x in POLARITY_CUES.items()}
_RECOMMENDATION = re.compile(r"^\W*(ensure|improve|strengthen|develop|increase|reduce|review|make sure)\b", re.I)
_CONCESSION = re.compile(r"\b(but|however|although|though|despite|while|whilst)\b")


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


def theme_hits(text: str) -> dict[str, int]:
    """How many times each theme's codebook words occur, after the codebook's exclusions."""
    low = text.lower()
    out = {}
    for theme, rx in _COMPILED.items():
        triggers = _TRIGGERS[theme]
        if triggers is not None and not _contains_any(low, triggers):
            out[theme] = 0
            continue
        cleaned = low
        if theme in _EXCLUDED and _EXCLUSION_CUES[theme] in low:
            cleaned = _EXCLUDED[theme].sub(" ", low)
        out[theme] = len(rx.findall(cleaned))
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
_PLAIN_VERBS = re.compile(
    r"(?<!to )\b(receive|have|provide|ensure|know|feel|make|take|need|benefit|show|help|support|work|understand|"
    r"remain|continue|lack|vary|meet|include|mean|reflect|contribute|lead|result|use|see|give|get|"
    r"demonstrate|promote|enable|allow|require|identify|offer|find|experience|face|live|wait|seek|keep|"
    r"attend|report|tell|say|value|recognise|acknowledge|develop|improve|prevent|reduce|increase|inform|"
    r"focus|hold|visit|manage|respond|protect|act|plan|operate|carry|deliver|engage|monitor|review|"
    r"record|consider|agree|apply|follow|set|build|listen|talk|speak|stay|move|go|come|become|appear)\b",
    re.I,
)


_AUXILIARY = re.compile(
    r"\b(is|are|was|were|has|have|had|does|do|did|can|cannot|could|will|would|should|must|may|might|isn't|aren't)\b"
    r"|\b(it|this|that|which|who|they|he|she)\s+\w+(s|ed)\b",
    re.I,
)


def is_list_item_or_recommendation(text: str) -> bool:
    """A recommendation ("Ensure that ...") or a verbless noun-phrase list item ("The quality of plans.")."""
    if _RECOMMENDATION.match(text):
        return True
    if len(text.split()) > 30 or _AUXILIARY.search(text):
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
