"""What a document is: its date, visit dates and kind (the authority is in :mod:`authorities`)."""

from __future__ import annotations

import datetime as dt
import re

from ofsted_nlp.reading.cleaning import MONTHS

KINDS = ("ucra", "focused_visit", "monitoring_visit", "ilacs", "sif", "other")

# Months by their first three letters: "February", "Feb" and "Feb." are month 2 ("Sept" too is 9).
_MONTH_NO = {m.lower()[:3]: i for i, m in enumerate(MONTHS.split("|"), start=1)}
# A month written out or cut short ("18 Feb 2014"); the short forms only where inspection and publication
# dates are read.
_MON = rf"(?:{MONTHS}|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?(?![a-z])"
_DATE_RE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTHS})\s+(\d{{4}})\b", re.I)
_DATE_LINE_RE = re.compile(rf"^\s*(?:date:?\s*)?(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTHS}),?\s+(\d{{4}})\s*$", re.I)
_PUBLISHED = r"(?:report published|publication date|date of publication|published)\s*:?\s*"
_PUBLISHED_RE = re.compile(rf"{_PUBLISHED}(\d{{1,2}})\s+({_MON})\s+(\d{{4}})", re.I)
# "Report published: 25/11/2016": day, month, year, as the UK writes them.
_PUBLISHED_NUMERIC_RE = re.compile(rf"{_PUBLISHED}(\d{{1,2}})/(\d{{1,2}})/(\d{{4}})\b", re.I)
_VISIT_LEAD = (r"(?:inspection dates?|visit dates?|dates? of (?:the )?(?:inspection|visit)|conducted on|carried out on|"
               r"took place on|took place between|services on|\bon|\bbetween|\bfrom)\s*:?\s*(?:the\s+)?")
_D = rf"(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+(?:of\s+)?({_MON}))?(?:\s+(\d{{4}}))?"
_SEP = r"\s*(?:and|to|-|–|until)\s*"
# Days between the first and the last: "on 29 and 30 September, and 1 October 2020".
_MIDDLE = rf"(?:(?:{_SEP}|\s*,\s*)\d{{1,2}}(?:st|nd|rd|th)?(?:\s+(?:of\s+)?{_MON})?)*?(?:\s*,\s*and\s*|{_SEP})"
_RANGE_RE = re.compile(
    rf"{_VISIT_LEAD}{_D}{_MIDDLE}(?:the\s+)?(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MON}),?\s+(\d{{4}})",
    re.I,
)
# "on the 15 and 16 of May": a range without its year (read only where no dated one is printed).
_YEARLESS_RANGE_RE = re.compile(
    rf"{_VISIT_LEAD}(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+(?:of\s+)?({_MON}))?\s*(?:and|to|-|–|until)\s*(?:the\s+)?"
    rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MON})(?!,?\s+\d{{4}})",
    re.I,
)
# "Inspection dates: 11/01/2016 to 22/01/2016" (or "11/01/2016 – 22/01/2016").
_NUMERIC_RANGE_RE = re.compile(
    rf"{_VISIT_LEAD}(\d{{1,2}})/(\d{{1,2}})/(\d{{4}})\s*(?:and|to|-|–|until)\s*(\d{{1,2}})/(\d{{1,2}})/(\d{{4}})\b",
    re.I,
)
_SINGLE_RE = re.compile(
    rf"(?:services on|visit(?:ed)? on|conducted on|carried out on|took place on|inspection dates?:?)\s+(?:the\s+)?"
    rf"(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MON})\s+(\d{{4}})",
    re.I,
)
_NUMERIC_SINGLE_RE = re.compile(
    r"(?:services on|visit(?:ed)? on|conducted on|carried out on|took place on|inspection dates?:?)\s+"
    r"(\d{1,2})/(\d{1,2})/(\d{4})\b",
    re.I,
)

_KIND_RULES = [
    ("ucra", re.compile(r"unannounced inspection of contact,? referral and assessment", re.I)),
    ("focused_visit", re.compile(r"\bfocused visit (to|of)\b|^focused visit\b", re.I | re.M)),
    ("monitoring_visit", re.compile(r"\bmonitoring visit (to|of)\b|^monitoring visit\b", re.I | re.M)),
    ("sif", re.compile(
        r"inspection of services for children in need of help and protection,? children looked after and care leavers",
        re.I)),
    ("ilacs", re.compile(
        r"inspection of (.{2,80}? )?(local authority )?children'?s services|local authority children'?s services \(ILACS\) inspection|"
        r"impact of leaders on social work practice|"
        r"\binspection of children'?s social care services",
        re.I | re.M)),
]


def make_date(day: str, month: str, year: str) -> dt.date | None:
    """A date from its parts, or ``None`` if the parts are no real date."""
    try:
        return dt.date(int(year), _MONTH_NO[month.lower()[:3]], int(day))
    except (ValueError, KeyError):
        return None


def _numeric_date(day: str, month: str, year: str) -> dt.date | None:
    """A date printed as day/month/year ("25/11/2016"), or ``None`` if it is no real date."""
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def find_kind(head_text: str) -> str:
    """The kind of visit, read from the document's title and opening paragraph."""
    for kind, rx in _KIND_RULES:
        if rx.search(head_text):
            return kind
    return "other"


def find_date(head_lines: list[str], head_text: str, is_letter: bool = True) -> dt.date | None:
    """The letter's date (a date standing alone on a line near the top) or a report's publication date.

    Reports carry cover dates that are not their publication date, so a bare
    date line counts only for letters.
    """
    found = [p for p in (_PUBLISHED_RE.search(head_text), _PUBLISHED_NUMERIC_RE.search(head_text)) if p]
    if found:
        first = min(found, key=lambda p: p.start())  # the first the document prints
        return make_date(*first.groups()) if first.re is _PUBLISHED_RE else _numeric_date(*first.groups())
    if not is_letter:
        return None
    for line in head_lines:
        m = _DATE_LINE_RE.match(line)
        if m:
            return make_date(*m.groups())
    return None


def recipient(head_text: str) -> str:
    """The recipient's name and address, from the text above a letter's salutation: what follows its
    date ("Westminster, 9 May 2018 Caroline O'Neill Strategic Director ... Gateshead Civic Centre ..."
    -> "Caroline O'Neill ..."), as the sender's address and place stand before it; all of it where no
    date is written there."""
    m = _DATE_RE.search(head_text)
    return head_text[m.end():] if m else head_text


def find_visit_dates(text: str, dated: dt.date | None = None) -> tuple[dt.date, dt.date] | None:
    """First and last day of the visit, where the document gives them: "11 to 15 January 2016", "18 Feb
    2014", "11/01/2016 - 15/01/2016"; and, where none of those is printed, a range without its year ("on
    the 15 and 16 of May") in the year that puts it last before ``dated``, the document's date."""
    m = _RANGE_RE.search(text)
    if m:
        visit = _range(*m.groups())
        if visit:
            return visit
    m = _NUMERIC_RANGE_RE.search(text)
    if m:
        start, end = _numeric_date(*m.groups()[:3]), _numeric_date(*m.groups()[3:])
        if start and end and start <= end and (end - start).days < 120:
            return (start, end)
    for rx, make in ((_SINGLE_RE, make_date), (_NUMERIC_SINGLE_RE, _numeric_date)):
        m = rx.search(text)
        if m:
            d = make(*m.groups())
            if d:
                return (d, d)
    if dated is not None:
        m = _YEARLESS_RANGE_RE.search(text)
        if m:
            d1, m1, d2, m2 = m.groups()
            year = dated.year - (_MONTH_NO[m2.lower()[:3]] > dated.month)
            return _range(d1, m1, None, d2, m2, str(year))
    return None


def _range(d1: str, m1: str | None, y1: str | None, d2: str, m2: str, y2: str) -> tuple[dt.date, dt.date] | None:
    end = make_date(d2, m2, y2)
    if end:
        start = make_date(d1, m1 or m2, y1 or (str(end.year - 1) if m1 and _MONTH_NO[m1.lower()[:3]] > end.month
                                               else y2))
        if start and start > end and not m1:  # "29 and 30 September, and 1 October": the month before
            before = end.replace(day=1) - dt.timedelta(days=1)
            start = make_date(d1, MONTHS.split("|")[before.month - 1], str(before.year))
        if start and start <= end and (end - start).days < 120:
            return (start, end)
    return None


def correct_date(date: dt.date, visit: tuple[dt.date, dt.date]) -> dt.date:
    """A letter date that falls before its own visit, with its year mended from the visit's dates.

    A letter is written after its visit, so a date line that says "21 January
    2019" after a visit on 18-19 December 2019 has the wrong year: the day and
    month are kept and the year is the first that puts the date on or after the
    visit's first day (2020 here). Where no year within one of the visit's does,
    the visit's last day is the best date the document gives.
    """
    for year in (visit[0].year, visit[0].year + 1):
        try:
            candidate = date.replace(year=year)
        except ValueError:  # 29 February in a year that has none
            candidate = date.replace(year=year, day=28)
        if candidate >= visit[0]:
            return candidate
    return visit[1]
