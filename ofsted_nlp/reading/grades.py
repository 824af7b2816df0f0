"""Ofsted's own grades: which framework a document was inspected under, the
grade it gives each area, and the area a heading opens.

Grades are read from the text, in two places:

* the judgement table of the first page ("Judgement Grade / The impact of
  leaders on social work practice with children and families Good / ... /
  Overall effectiveness Good" in ILACS reports; "Children's services in X are
  inadequate / 1. Children who need help and protection Inadequate / 2.1
  Adoption performance Good / ..." in SIF reports), read as one run of text so
  that a row wrapped over two or three lines reads as one;
* the area headings of the body ("The experiences and progress of children who
  need help and protection: good", a SIF heading followed by a line
  "Inadequate", "The graded judgement for adoption performance is that it is
  good", "The Local Safeguarding Children Board is good").

The table is read first; a heading fills an area the table did not give.
Where a document has no grade for an area, a framework-aware value says why
(:data:`~ofsted_nlp.schema.NOT_APPLICABLE` for letters and visits,
:data:`~ofsted_nlp.schema.NOT_JUDGED_BEFORE_2023` for care leavers in ILACS
reports before January 2023, :data:`~ofsted_nlp.schema.NOT_REPORTED_POST_REFORM`
for overall effectiveness after the April 2026 framework change).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

from ofsted_nlp.schema import (
    AREAS,
    GRADE_COLUMNS,
    GRADED_FRAMEWORKS,
    NOT_APPLICABLE,
    NOT_JUDGED,
    NOT_JUDGED_BEFORE_2023,
    NOT_REPORTED_POST_REFORM,
)

# The first day of ILACS inspections with a separate care leavers judgement,
# and of the framework that no longer reports overall effectiveness.
CARE_LEAVERS_JUDGED_FROM = dt.date(2023, 1, 1)
OVERALL_DROPPED_FROM = dt.date(2026, 4, 1)
# ILACS short inspections are one week on site, standard inspections two.
SHORT_INSPECTION_MAX_DAYS = 7

# Grade words, longest first, as written in tables, headings and sentences.
_GRADE = (
    r"(?P<grade>requires?\s+improvement(?:\s+to\s+be\s+good)?|outstanding|good|inadequate|not\s+judged)"
)
_GRADE_RE = re.compile(_GRADE, re.I)

# Area phrases -> area. Order matters: the first that matches at a place wins,
# so "children in care and care leavers" (one ILACS judgement before 2023)
# comes before "care leavers".
_AREA_PHRASES: list[tuple[str, str]] = [
    (r"overall\s+effectiveness", "overall"),
    (r"(?:the\s+)?impact\s+of\s+leaders\s+on\s+social\s+work\s+practice(?:\s+with\s+children\s+and\s+families)?",
     "leaders"),
    (r"(?:\d\.\s*)?leadership,?\s+management\s+and\s+governance", "leaders"),
    (r"(?:(?:the\s+)?experiences\s+and\s+progress\s+of\s+|\d\.\s*)?children\s+(?:who\s+need|in\s+need\s+of)\s+help"
     r"\s+and\s+protection", "help_and_protection"),
    (r"(?:(?:the\s+)?experiences\s+and\s+progress\s+of\s+|\d\.\s*)?children\s+(?:in\s+care|looked\s+after)"
     r"(?:\s+and\s+(?:care\s+leavers|achieving\s+permanence))?", "in_care"),
    (r"(?:the\s+graded\s+judgement\s+for\s+|2\.1\s*)?adoption\s+performance", "adoption"),
    (r"(?:(?:the\s+graded\s+judgement\s+about\s+)?(?:the\s+)?experiences?\s+and\s+progress\s+of\s+|2\.2\s*)?"
     r"care\s+leavers", "care_leavers"),
    (r"(?:the\s+effectiveness\s+of\s+)?the\s+local\s+safeguarding\s+children\s+board(?:\s+\(lscb\))?", "lscb"),
]
# What may stand between an area phrase and its grade: a verb, a colon, the
# SIF sub-judgements' "is that it is".
_LINK = r"\s*(?:(?:is|are)\s+that\s+(?:it|they)\s+)?(?:(?:is|are)\s*)?:?\s*"
# (used with .match: anchored where the match starts)
_AREA_GRADE_RES = [(re.compile(rf"{p}{_LINK}{_GRADE}\b", re.I), a) for p, a in _AREA_PHRASES]
_AREA_RES = [(re.compile(rf"{p}(?!\w)", re.I), a) for p, a in _AREA_PHRASES]
# SIF: "Children's services in Croydon are inadequate", "The overall judgement is inadequate".
_SIF_OVERALL_RE = re.compile(
    rf"(?:children'?s services? in [^.]{{2,60}}?|the overall judgement is(?: that children'?s services?)?)\s+"
    rf"(?:is\s+|are\s+)?{_GRADE}",
    re.I,
)
_LSCB_GRADE_RE = re.compile(
    r"(?:the\s+effectiveness\s+of\s+)?the\s+local\s+safeguarding\s+children\s+board(?:\s+\(lscb\))?"
    r"(?:\s+in\s+[A-Z][\w ,'&-]{1,40}?)?\s+(?:is|are|requires?)\s*:?\s*(?P<grade>outstanding|good|inadequate|"
    r"improvement(?:\s+to\s+be\s+good)?|requires?\s+improvement(?:\s+to\s+be\s+good)?)\b",
    re.I,
)
# The end of the judgement table: ILACS "Overall effectiveness <grade>", SIF the
# executive summary or the footnote on the legal basis.
_TABLE_START_RE = re.compile(r"judgement\s+grade|inspection\s+dates?", re.I)
_TABLE_END_RE = re.compile(rf"overall\s+effectiveness\s*:?\s*{_GRADE}|executive\s+summary|\b1\s+ofsted\s+produces",
                           re.I)
_JTAI_RE = re.compile(r"joint targeted area inspection", re.I)
_LSCB_REVIEW_RE = re.compile(r"^\W*(?:\d\s+)?[\w ,'&-]{0,60}safeguarding children board\s+review of the effectiveness",
                             re.I)


def normalise_grade(text: str) -> str:
    """A grade as written ("Requires improvement to be good", "Good", "require improvement") -> its schema name."""
    low = " ".join(text.lower().split())
    if low.startswith(("require", "improvement")):
        return "requires_improvement"
    if low == "not judged":
        return NOT_JUDGED
    return low


def area_of_heading(heading: str) -> tuple[str, str] | None:
    """The area a heading opens and the grade it gives (``""`` when it gives none), or ``None``.

    >>> area_of_heading("The experiences and progress of children in care: requires improvement to be good")
    ('in_care', 'requires_improvement')
    >>> area_of_heading("Leadership, management and governance")
    ('leaders', '')
    """
    h = " ".join(heading.split()).strip(" .:")
    if len(h) > 160:
        return None
    m = _LSCB_GRADE_RE.match(h)
    if m:
        return "lscb", normalise_grade(m.group("grade"))
    for rx, area in _AREA_GRADE_RES:
        m = rx.match(h)
        if m and len(h) - m.end() < 3:
            return area, normalise_grade(m.group("grade"))
    for rx, area in _AREA_RES:
        m = rx.match(h)
        if m and len(h) - m.end() < 3:
            return area, ""
    return None


def bare_grade(text: str) -> str:
    """The grade a line holds alone ("Inadequate", "Requires improvement to be good"), or ``""``."""
    t = " ".join(text.split()).strip(" .:")
    m = _GRADE_RE.fullmatch(t)
    return normalise_grade(m.group("grade")) if m else ""


def table_text(first_pages: Iterable[Iterable[str]]) -> str:
    """The judgement table of a report as one line of text (rows wrapped over lines read whole)."""
    text = " ".join(" ".join(line.strip() for line in page if line.strip()) for page in first_pages)
    text = " ".join(text.replace("\u2019", "'").split())
    start = _TABLE_START_RE.search(text)
    text = text[start.start():] if start else text
    end = _TABLE_END_RE.search(text)
    return text[: end.end()] if end else text[:1500]


def read_table(text: str) -> dict[str, str]:
    """Area -> grade from the judgement table's text (see :func:`table_text`)."""
    found: dict[str, str] = {}
    m = _SIF_OVERALL_RE.search(text)
    if m:
        found["overall"] = normalise_grade(m.group("grade"))
    m = _LSCB_GRADE_RE.search(text)
    if m:
        found["lscb"] = normalise_grade(m.group("grade"))
    # Each area phrase followed by its grade, read left to right.
    i = 0
    while i < len(text):
        for rx, area in _AREA_GRADE_RES:
            m = rx.match(text, i)
            if m:
                found.setdefault(area, normalise_grade(m.group("grade")))
                i = m.end()
                break
        else:
            nxt = text.find(" ", i)
            i = len(text) if nxt < 0 else nxt + 1
    return found


def read_headings(headings: Iterable[str]) -> dict[str, str]:
    """Area -> grade from the body's area headings; a heading's grade may be the heading after it."""
    found: dict[str, str] = {}
    pending: str | None = None
    for h in headings:
        got = area_of_heading(h)
        if got is not None:
            area, grade = got
            if grade:
                found.setdefault(area, grade)
                pending = None
            else:
                pending = area
            continue
        g = bare_grade(h)
        if pending and g:
            found.setdefault(pending, g)
        pending = None
    return found


def framework_of(kind: str, title_text: str, visit: tuple[dt.date, dt.date] | None) -> str:
    """The inspection framework, from the document's kind, title and visit dates."""
    if _JTAI_RE.search(title_text[:400]):
        return "jtai"
    if kind in ("ucra", "focused_visit", "monitoring_visit", "sif"):
        return kind
    if kind == "ilacs":
        if visit is not None and (visit[1] - visit[0]).days <= SHORT_INSPECTION_MAX_DAYS:
            return "ilacs_short"
        return "ilacs_standard"
    return "other"


def document_grades(framework: str, table: Mapping[str, str], headings: Mapping[str, str],
                    on: dt.date | None) -> dict[str, str]:
    """Every area's grade or special value for a document.

    ``table`` and ``headings`` are what :func:`read_table` and
    :func:`read_headings` found; ``on`` is the first day of the inspection (or
    the document's date). Areas a framework never judges are left out, except
    the five of :data:`~ofsted_nlp.schema.GRADE_COLUMNS`, which every document has.
    """
    found = dict(headings)
    found.update(table)  # the table is the document's own summary of its grades
    out: dict[str, str] = {}
    if framework not in GRADED_FRAMEWORKS:
        out = dict.fromkeys(GRADE_COLUMNS.values(), NOT_APPLICABLE)
        if "lscb" in found:  # a review of the LSCB alone
            out["lscb"] = found["lscb"]
        return out
    for area in AREAS:
        if area in found:
            out[area] = found[area]
    if framework.startswith("ilacs"):
        if "care_leavers" not in out and (on is None or on < CARE_LEAVERS_JUDGED_FROM):
            out["care_leavers"] = NOT_JUDGED_BEFORE_2023
        if "overall" not in out and on is not None and on >= OVERALL_DROPPED_FROM:
            out["overall"] = NOT_REPORTED_POST_REFORM
    for area in GRADE_COLUMNS.values():
        out.setdefault(area, "")
    return out


def grade_columns(grades: Mapping[str, str]) -> dict[str, str]:
    """A document's grades under the table column names of :data:`~ofsted_nlp.schema.GRADE_COLUMNS`."""
    return {column: grades.get(area, "") for column, area in GRADE_COLUMNS.items()}


def latest_graded(letters: Iterable) -> dict[str, dict[str, object]]:
    """Per authority (its ONS code, or its name where it has none), the grades of its latest graded inspection.

    ``letters`` are :class:`~ofsted_nlp.reading.letter.Letter` objects. An inspection is
    graded if its framework is SIF or ILACS; "latest" is by the last day of the
    inspection (the document's date where the inspection's dates are not
    printed). Each value holds ``document``, ``framework``, ``inspection_end``
    (ISO date or ``None``) and the grade columns of
    :data:`~ofsted_nlp.schema.GRADE_COLUMNS`.
    """
    best: dict[str, tuple[dt.date, dict[str, object]]] = {}
    for letter in letters:
        if letter.framework not in GRADED_FRAMEWORKS:
            continue
        key = letter.new_la_code or letter.la_name
        when = letter.inspection_end or letter.date
        if key is None or when is None:
            continue
        if key not in best or when > best[key][0]:
            row: dict[str, object] = {
                "document": letter.document,
                "framework": letter.framework,
                "inspection_end": letter.inspection_end.isoformat() if letter.inspection_end else None,
            }
            row.update(grade_columns(letter.grades))
            best[key] = (when, row)
    return {key: row for key, (_, row) in best.items()}
