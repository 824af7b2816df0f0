"""The reader's quick tests give what the slower ones they stand before give."""

from __future__ import annotations

import random

import pytest

from ofsted_nlp.reading import cleaning
from ofsted_nlp.reading import extraction as reading

FURNITURE = [
    "Ofsted", "Piccadilly Gate", "Store Street", "Manchester M1 2WD", "Royal Exchange Buildings", "St Ann's Square",
    "70 Petty France,", "T 0300 123 1231", "T: 0300 123 1231 and a long tail after the number",
    "F 0161 618 8524 and a long tail after the number", "e 0300 123 4666 (long enough line here)",
    "Direct T 0300 013 1234 extension 12345678", "Textphone 0161 618 8524 0161 618 8524 0161 618 8524",
    "Freshford House, Redcliffe Way, Bristol BS1 6NL", "e: enquiries@ofsted.gov.uk", "w: www.gov.uk/ofsted",
    "www.gov.uk/government/organisations/ofsted/about", "https://www.gov.uk/government/organisations/ofsted",
    "someone.with.a.long.name@some-council.gov.uk", "Page 3 of 12", "Page 12345678901234567890 of 3", "12",
    "\u00a9 Crown copyright 2019 and a long tail after it", "Reference no: 80467 and other long words here",
    "INVESTOR IN PEOPLE", "\u017ftore \u017ftreet", "Reference no: \u00e9t\u00e9 et plus de mots ici pour etre long",
]
PROSE = [
    "The quality of social work practice has improved since the last inspection.",
    "Team managers provide regular supervision, which is reflective and well recorded.",
    "Timeliness of assessments is good, and most are completed within 45 days.",
    "For example, the front door is well run.", "Each child's plan is reviewed on time.",
    "Email addresses such as a@b.c are not prose", "The page is long enough to need the quick test now.",
]


def _variants(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    pieces = FURNITURE + PROSE + ["T:", "f ", "E", "+44", "0300", "123", " ", "page", "www.", "@", "http", "\u00a9",
                                  "\u212a", "\u0130", "ofsted", "x" * 30]
    return [" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 4))).strip() for _ in range(n)]


def test_the_furniture_prefilter_never_hides_a_match():
    lines = FURNITURE + PROSE + _variants(3, 5000)
    matched = [line for line in lines if cleaning._FURNITURE_RE.match(line)]
    assert len(matched) > 30  # the test reaches the patterns it guards
    assert [line for line in matched if not cleaning._may_be_furniture(line)] == []
    assert sum(not cleaning._may_be_furniture(line) for line in PROSE) >= 4  # and it saves work on prose


@pytest.mark.parametrize("text", ["a\r\nb\r\nc", "a\nb", "a\rb", "a\r\nb\nc\rd", "", "\r\n", "x\r\r\n\ny",
                                  "no line end", "end\r\n"])
def test_page_lines_whatever_ends_them(text):
    assert reading._lines(text) == text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def test_text_chars_stops_counting_once_there_are_enough():
    pages = [["  ab ", "c"], ["defg"], ["hij  "]]
    assert reading._text_chars(pages) == 10
    assert reading._text_chars(pages, enough=3) == 3  # the first page already has them
    assert reading._text_chars(pages, enough=100) == 10
