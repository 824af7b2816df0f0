"""Headings and the judgement they give the findings under them.

Judgement is read from the document's layout, by rule, following the
codebook: a finding under "Strengths" is a ``strength`` whatever its wording.
"""

from __future__ import annotations

import re

from ofsted_nlp.schema import JUDGEMENTS as JUDGEMENTS  # re-exported

# Heading text (whole heading, case-insensitive) -> judgement. Order matters:
# the first pattern that matches decides.
_JUDGEMENT_HEADINGS: list[tuple[str, str]] = [
    (r"(the )?areas? (of|for) priority action", "priority_action"),
    (r"priority and immediate action", "priority_action"),
    (r"(the )?(main )?(key )?(areas? of )?strengths?", "strength"),
    (r"(the )?(local authority|lscb|board|council|service) has (the following|a number of|several) (key )?(areas? of )?strengths?", "strength"),
    (r"(summary of )?(the )?key strengths", "strength"),
    (r"satisfactory practice", "satisfactory"),
    (r"(the )?service meets the requirements of statutory guidance.*", "satisfactory"),
    (r"areas? (of|for) (development|improvement)", "development"),
    (r"what needs to improve.*", "development"),
    (r"what does (the )?.{0,40}? need to improve\??", "development"),
    (r"recommendations?", "development"),
]
_JUDGEMENT_RES = [(re.compile(rf"^{p}[\s:?.]*$", re.I), j) for p, j in _JUDGEMENT_HEADINGS]
# Any of them (an alternation matches where one of its branches does), for
# is_heading_text, which needs no judgement: one match instead of eleven.
_ANY_JUDGEMENT_RE = re.compile(r"^(?:" + "|".join(p for p, _ in _JUDGEMENT_HEADINGS) + r")[\s:?.]*$", re.I)

# Lead-in sentences that open a judged list ("... were delivered satisfactorily
# in accordance with national guidance, in particular:").
_LEADIN_RES = [
    (re.compile(r"delivered satisfactorily|satisfactory practice|met (the )?requirements", re.I), "satisfactory"),
]

# Headings that carry no judgement but that we must recognise as headings
# even where the generic shape test would miss them.
_OTHER_HEADINGS = [
    r"overview",
    r"(main |headline |key )?findings",  # "Main findings" (focused visits from 2025) follows "What needs to improve"
    r"summary",
    r"executive summary",
    r"inspection findings.*",
    r"introduction",
    r"background",
    r"contents",
    r"the local authority",
    r"information about (this|the) (local authority area|area|(local authority )?inspection|review)( and the review)?",
    r"other information about (this area|the local authority)",
    r"(other|previous) ofsted inspections?",
    r"local leadership",
    r"children living in this area",
    r"child protection in this area",
    r"children looked after in this area",
    r"other local authority services",
    r"summary for children and young people",
    r"the inspection team",
    r"(the )?experiences and progress of (children|care leavers|young people).*",
    r"[A-Z][\w ,']{5,120}: (outstanding|good|inadequate|requires improvement( to be good)?)",
    # a SIF report's sub-judgements: "The graded judgement for adoption performance is that it is good"
    r"the graded judgement (for|about) (the )?[\w ]{3,60} (is|are) that (it|they) (is |are )?"
    r"(outstanding|good|inadequate|requires? improvement( to be good)?)",
    r"the impact of leaders on social work practice.*",
    r"leadership,? management and governance.*",
    r"the local safeguarding children board.*",
    r"overall effectiveness.*",
    r"help and protection",
    r"children looked after",
    r"care leavers",
    r"(what is|the local authority's)? ?progress( (made )?since the (last|previous) (inspection|visit).{0,40})?",
    r"next steps?",
    r"section \d+: .{3,100}",
    r"(the )?effectiveness of the (lscb|local safeguarding children board).{0,60}",
    r"what the inspection judge?ments mean.*",
]
_OTHER_RE = re.compile(r"^(?:" + "|".join(_OTHER_HEADINGS) + r")[\s:?.]*$", re.I)

# Sections whose sentences are not findings: area statistics, the inspection
# team, and the inspection's own description.
# "in this area" is also written with the authority's name ("Children living in
# Gateshead", "Child protection in Gateshead").
_IN_AREA = r"in (this area|[A-Z][\w'&-]*( [A-Z][\w'&-]*){0,3})"
_NON_FINDING_SECTIONS = re.compile(
    r"^(contents|information about (this|the) (local authority area|area|(local authority )?inspection|review)"
    r"( and the review)?|other information about (this area|the local authority)|"
    r"(other|previous) ofsted inspections?|"
    rf"local leadership|children( and young people)? living {_IN_AREA}|child protection {_IN_AREA}|"
    rf"children( and young people)? looked after {_IN_AREA}|other local authority services|the inspection team|"
    r"the local authority|what the inspection judge?ments mean.*)$",
    re.I,
)

# Ofsted's grades as they follow a heading or fill a judgement table's cell.
GRADE = r"(?:outstanding|good|inadequate|requires improvement(?: to be good)?|not judged|adequate)"
_GRADE_LINE_RE = re.compile(rf"^(\d(\.\d)?\.? )?[A-Z][^.]*?\s{GRADE}\s*$", re.I)
_FUNCTION_WORDS = {
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is",
    "of", "on", "or", "that", "the", "their", "they", "this", "to", "was", "were", "which",
    "with", "who", "its", "not", "but", "been",
}


def judgement_of(heading: str) -> str | None:
    """The judgement a heading gives its section, or ``None`` if it gives none."""
    h = heading.strip().rstrip(":")
    for rx, judgement in _JUDGEMENT_RES:
        if rx.match(h):
            return judgement
    return None


def judgement_of_leadin(text: str) -> str | None:
    """The judgement a lead-in sentence ending in a colon gives the list after it."""
    if not text.rstrip().endswith(":"):
        return None
    j = judgement_of(text)
    if j:
        return j
    low = text.lower()
    if "strengths and areas for development" in low or "strengths and areas of development" in low:
        return None
    for rx, judgement in _LEADIN_RES:
        if rx.search(text):
            return judgement
    return None


# A "(Recommendation)" marker: SIF reports end a sentence with it to say the
# sentence gave rise to a recommendation. It belongs to the sentence before it.
RECOMMENDATION_MARK_RE = re.compile(r"\(\s*recommendations?(?:\s+\d+(?:\s+and\s+\d+)?)?\s*\)\.?", re.I)
# A full stop, question or exclamation mark with more text after it: two
# sentences, so no heading ("Progress is difficult to measure. Parents cannot ...").
_SENTENCE_INSIDE_RE = re.compile(r"[.!?][\"')]*\s+\S")
_NUMBER_RE = re.compile(r"^\d{1,2}(\.\d{1,2})?\.?\s+")  # a table row's or section's number: "1. ", "2.1 "


def is_heading_text(text: str) -> bool:
    """Is this line one of the headings Ofsted uses (with or without a judgement)?"""
    t = text.strip().rstrip(":")
    if len(t.split()) > 16 or ("(" in t and RECOMMENDATION_MARK_RE.search(t)):
        return False
    if ("." in t or "?" in t or "!" in t) and _SENTENCE_INSIDE_RE.search(_NUMBER_RE.sub("", t, count=1)):
        return False
    # judgement_of(t) is not None, as judgement_of strips t
    return bool(_ANY_JUDGEMENT_RE.match(t.strip().rstrip(":")) or _OTHER_RE.match(t))


_FRONT_MATTER_RE = re.compile(
    r"^((deputy |team )?lead inspectors?\b|(her|his) majesty'?s inspectors?$|.*\bHMI\b|inspection dates?\b|"
    r"dates? of (the )?(inspection|visit)\b|report published\b|publication date\b)",
    re.I,
)
_STATISTICS_LEADIN_RE = re.compile(r"^(of this number|of these|in the (last|past|previous) (12|twelve) months)\W*$",
                                   re.I)


def is_front_matter(heading: str) -> bool:
    """A report's front-matter line taken as a heading: who inspected, when, when published."""
    return bool(_FRONT_MATTER_RE.match(heading.strip()))


def is_statistics_leadin(heading: str) -> bool:
    """A lead-in inside the area statistics ("Of this number", "In the last 12 months")."""
    return bool(_STATISTICS_LEADIN_RE.match(heading.strip()))


def is_non_finding_section(heading: str) -> bool:
    """Sections whose sentences describe the area or the inspection rather than judge practice."""
    return bool(_NON_FINDING_SECTIONS.match(heading.strip().rstrip(":")))


def is_grade_line(line: str) -> bool:
    """A row of a judgement table: "1. Children who need help and protection Requires improvement"."""
    return bool(_GRADE_LINE_RE.match(line.strip())) and len(line.split()) <= 14


def looks_like_heading(line: str) -> bool:
    """The shape of a heading: short, capitalised, no closing punctuation."""
    s = line.strip()
    words = s.split()
    if not words or len(words) > 10:
        return False
    if not (s[0].isupper() or s[0].isdigit()):
        return False
    if "(" in s and RECOMMENDATION_MARK_RE.search(s):
        return False  # a sentence with its recommendation marker, not a heading
    if re.search(r"[.,;!]$", s) or s.endswith(("'", '"')):
        return False
    if "," in s and len(words) > 5:
        return False
    if words[-1].lower().strip(":") in _FUNCTION_WORDS:
        return False
    return True
