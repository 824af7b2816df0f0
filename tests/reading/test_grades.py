"""Ofsted's own grades: framework, the judgement table, area headings, and each finding's area."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from conftest import SHARED

from ofsted_nlp.reading import grades
from ofsted_nlp.schema import (
    AREAS,
    FRAMEWORKS,
    GRADE_COLUMNS,
    GRADE_VALUES,
    GRADED_FRAMEWORKS,
    GRADES,
    NOT_APPLICABLE,
    NOT_JUDGED_BEFORE_2023,
    NOT_REPORTED_POST_REFORM,
)

# ----------------------------------------------------------------- constructed text

ILACS_TABLE_PAGE = [
    "Inspection of Kirklees local authority ",
    "children\u2019s services ",
    "Inspection dates: 8 to 19 July 2024",
    "Lead inspector: A Person, His Majesty\u2019s Inspector",
    "Judgement Grade",
    "The impact of leaders on social work ",
    "practice with children and families",
    "Good",
    "The experiences and progress of ",
    "children who need help and protection",
    "Inadequate",
    "The experiences and progress of ",
    "children in care",
    "Outstanding",
    "The experiences and progress of care ",
    "leavers",
    "Requires improvement to ",
    "be good",
    "Overall effectiveness Requires improvement to be good",
    "Services for children who need help and protection are good in places.",
]

SIF_TABLE_PAGE = [
    "1",
    "London Borough of Somewhere",
    "Inspection of services for children in need of help and ",
    "protection, children looked after and care leavers",
    "Inspection date: 20 June \u2013 13 July 2017",
    "Report published: 4 September 2017",
    "Children\u2019s services in Somewhere require improvement to be good",
    "1. Children who need help and protection Inadequate",
    "2. Children looked after and achieving ",
    "permanence",
    "Good",
    "2.1 Adoption performance Outstanding",
    "2.2 Experiences and progress of care leavers Requires improvement",
    "3. Leadership, management and governance Requires Improvement",
    "The effectiveness of the Local Safeguarding Children Board (LSCB) is good",
    "1 Ofsted produces this report under its power to combine reports",
]


def test_ilacs_table_read_with_wrapped_rows():
    found = grades.read_table(grades.table_text([ILACS_TABLE_PAGE]))
    assert found == {"leaders": "good", "help_and_protection": "inadequate", "in_care": "outstanding",
                     "care_leavers": "requires_improvement", "overall": "requires_improvement"}


def test_sif_table_read_with_sub_judgements_and_lscb():
    found = grades.read_table(grades.table_text([SIF_TABLE_PAGE]))
    assert found == {"overall": "requires_improvement", "help_and_protection": "inadequate", "in_care": "good",
                     "adoption": "outstanding", "care_leavers": "requires_improvement",
                     "leaders": "requires_improvement", "lscb": "good"}


@pytest.mark.parametrize("line, grade", [
    ("The overall judgement is that children's services require improvement.2 The authority", "requires_improvement"),
    ("The overall judgement is that children\u2019s service requires improvement. The authority", "requires_improvement"),
    ("The overall judgement is inadequate There are widespread", "inadequate"),
    ("Children's services in the London Borough of Hackney are good 1. Children who", "good"),
    ("Children's services in Walsall requires improvement to be good 1. Children who", "requires_improvement"),
])
def test_sif_overall_judgement_as_written(line, grade):
    assert grades.read_table(grades.table_text([["Inspection date: 3 June 2014", line]]))["overall"] == grade


def test_ilacs_before_2023_combines_care_leavers_with_children_in_care():
    page = ["Judgement Grade", "The experiences and progress of children in care and care leavers Good",
            "Overall effectiveness Good"]
    assert grades.read_table(grades.table_text([page])) == {"in_care": "good", "overall": "good"}


@pytest.mark.parametrize("heading, expected", [
    ("The experiences and progress of children who need help and protection: requires improvement to be good",
     ("help_and_protection", "requires_improvement")),
    ("The experiences and progress of children in care and care leavers is good", ("in_care", "good")),
    ("The experiences and progress of care leavers: outstanding", ("care_leavers", "outstanding")),
    ("The impact of leaders on social work practice with children and families requires improvement to be good.",
     ("leaders", "requires_improvement")),
    ("Leadership, management and governance Inadequate", ("leaders", "inadequate")),
    ("The experiences and progress of children looked after and achieving permanence", ("in_care", "")),
    ("The graded judgement for adoption performance is that it is good", ("adoption", "good")),
    ("The graded judgement about the experience and progress of care leavers is that they require improvement",
     ("care_leavers", "requires_improvement")),
    ("The Local Safeguarding Children Board is inadequate", ("lscb", "inadequate")),
    ("The Local Safeguarding Children Board (LSCB)", ("lscb", "")),
    ("Children looked after in this area", None),
    ("What needs to improve", None),
    ("Services for children in care are good because leaders act quickly on what they learn from audits", None),
])
def test_area_of_heading(heading, expected):
    assert grades.area_of_heading(heading) == expected


def test_a_sif_heading_takes_its_grade_from_the_line_after_it():
    found = grades.read_headings(["Summary", "The experiences and progress of children who need help and protection",
                                  "Inadequate", "Summary", "Inspection findings"])
    assert found == {"help_and_protection": "inadequate"}


def test_special_values_by_framework_and_date():
    letter = grades.document_grades("focused_visit", {}, {}, dt.date(2020, 1, 1))
    assert letter == dict.fromkeys(GRADE_COLUMNS.values(), NOT_APPLICABLE)
    early = grades.document_grades("ilacs_standard", {"overall": "good", "in_care": "good"}, {}, dt.date(2022, 11, 28))
    assert early["care_leavers"] == NOT_JUDGED_BEFORE_2023 and early["overall"] == "good"
    late = grades.document_grades("ilacs_standard", {"in_care": "good", "care_leavers": "good"}, {},
                                  dt.date(2026, 5, 1))
    assert late["overall"] == NOT_REPORTED_POST_REFORM and late["care_leavers"] == "good"
    # a grade the table did not give, and nothing explains: left empty, not guessed
    unread = grades.document_grades("ilacs_standard", {"in_care": "good"}, {}, dt.date(2024, 1, 1))
    assert unread["overall"] == "" and unread["leaders"] == ""
    # the table wins over a heading that says otherwise
    both = grades.document_grades("sif", {"leaders": "good"}, {"leaders": "inadequate", "lscb": "good"}, None)
    assert both["leaders"] == "good" and both["lscb"] == "good"


def test_framework_of():
    one_week = (dt.date(2019, 11, 4), dt.date(2019, 11, 8))
    two_weeks = (dt.date(2024, 7, 8), dt.date(2024, 7, 19))
    assert grades.framework_of("ilacs", "", one_week) == "ilacs_short"
    assert grades.framework_of("ilacs", "", two_weeks) == "ilacs_standard"
    assert grades.framework_of("focused_visit", "", one_week) == "focused_visit"
    assert grades.framework_of("other", "Joint targeted area inspection of the multi-agency response", None) == "jtai"
    assert set(GRADED_FRAMEWORKS) <= set(FRAMEWORKS)


def test_grade_columns_names_every_column():
    cols = grades.grade_columns({"overall": "good", "leaders": "inadequate", "lscb": "good"})
    assert list(cols) == list(GRADE_COLUMNS)
    assert cols["overall_effectiveness"] == "good" and cols["impact_of_leaders"] == "inadequate"
    assert cols["care_leavers"] == ""


# ----------------------------------------------------------------- real reports

# Read by hand from each report's first page (and, for the LSCB, its own section):
# overall, leaders, help and protection, in care, care leavers, adoption, LSCB.
# O outstanding, G good, R requires improvement (to be good), I inadequate,
# N "Not judged", - no such judgement in the report.
SIF_BY_HAND = {
    "bolton_2014-03-21": "RRRGGGR",
    "cambridgeshire_2014-08-08": "GGRGGGG",
    "darlington_2018-05-21": "RRRRGG-",  # no LSCB review in this report
    "devon_2015-05-12": "RRRRIGI",  # "The overall judgement is that children's services require improvement"
    "gateshead_2016-03-11": "GGGGRGR",
    "hammersmith-and-fulham_2016-03-29": "GOGGGOG",
    "hampshire_2014-04-22": "GOGGGOG",
    "haringey_2014-07-18": "RRRRRRR",  # "The effectiveness of the LSCB is requires improvement"
    "herefordshire_2014-06-30": "RRRRRGR",
    "isle-of-wight_2014-11-19": "RRRRRRR",  # written "Require improvement"
    "london-corporation_2016-09-20": "GOGGGNO",  # adoption "Not judged"
    "oldham_2015-08-03": "RRRRRGR",  # the table runs over onto page 2
    "sefton_2016-06-27": "RRRRRRI",
    "south-tyneside_2017-11-24": "GGGGGOG",
    "southwark_2017-06-13": "GGGRROG",
    "staffordshire_2014-03-21": "GGGGGGG",
    "stockton-on-tees_2016-08-05": "GGGRORR",
    "telford-wrekin_2016-08-26": "RRRRGGG",
    "walsall_2017-09-04": "RRRRRGR",  # "Children's services in Walsall requires improvement to be good"
    "wiltshire_2015-09-01": "RRRRRRR",
}
_CODE = {"O": "outstanding", "G": "good", "R": "requires_improvement", "I": "inadequate", "N": "not_judged"}
_ORDER = ("overall", "leaders", "help_and_protection", "in_care", "care_leavers", "adoption", "lscb")


@pytest.mark.parametrize("document", sorted(SIF_BY_HAND))
def test_sif_grades_checked_by_hand(corpus, document):
    from _corpus_read import letter

    doc = letter(document)
    assert doc.framework == "sif"
    expected = {a: _CODE[c] for a, c in zip(_ORDER, SIF_BY_HAND[document]) if c != "-"}
    got = {a: g for a, g in doc.grades.items() if g}
    assert got == expected


def _oracle_rows():
    path = SHARED / "reference" / "d2i_ilacs_grades.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


_ORACLE_COLUMNS = {f"{col}_grade": area for col, area in GRADE_COLUMNS.items()}
_ORACLE_VALUES = {"requires improvement": "requires_improvement", "inspection_pre_dates_judgement": NOT_JUDGED_BEFORE_2023}

# Where the oracle and this reader differ, and what the report's own text says
# (table on the first page and the area heading in the body agree in each):
TEXT_SAYS = {
    ("nottingham_2022-09-05", "care_leavers"):
        "inspected 11-22 July 2022: one judgement 'children in care and care leavers' (requires improvement)",
    ("redcar-and-cleveland_2022-09-22", "care_leavers"):
        "inspected 20 June-1 July 2022: one judgement 'children in care and care leavers' (requires improvement)",
    ("oxfordshire_2018-05-22", "in_care"): "'The experiences and progress of children in care and care leavers Good'",
    ("rochdale_2018-03-12", "in_care"): "'The experiences and progress of children in care and care leavers Good'",
    ("st-helens_2023-09-04", "help_and_protection"):
        "'... children who need help and protection Requires improvement to be good'",
    ("st-helens_2023-09-04", "in_care"): "'The experiences and progress of children in care Good'",
    ("st-helens_2023-09-04", "care_leavers"): "'The experiences and progress of care leavers Outstanding'",
}


@pytest.mark.slow
def test_grades_agree_with_the_oracle_area_by_area(corpus):
    """At least 97% of the oracle's readable rows, in each area; every difference is one the text settles."""
    from _corpus_read import letter

    rows = _oracle_rows()
    agree: dict[str, int] = {}
    total: dict[str, int] = {}
    differ = {}
    for row in rows:
        doc = letter(row["id"])
        assert doc.framework in ("ilacs_standard", "ilacs_short", "other"), row["id"]
        for column, area in _ORACLE_COLUMNS.items():
            value = _ORACLE_VALUES.get(row[column], row[column])
            if value in ("data_unreadable", ""):
                continue
            total[area] = total.get(area, 0) + 1
            if doc.grades.get(area) == value:
                agree[area] = agree.get(area, 0) + 1
            else:
                differ[(row["id"], area)] = (value, doc.grades.get(area))
    assert set(total) == set(GRADE_COLUMNS.values())
    for area, n in total.items():
        assert agree.get(area, 0) / n >= 0.97, (area, agree.get(area, 0), n)
    assert set(differ) == set(TEXT_SAYS), differ


@pytest.mark.slow
def test_ilacs_framework_length_matches_the_oracle(corpus):
    from _corpus_read import letter

    for row in _oracle_rows():
        if row["inspection_framework"] in ("standard", "short"):
            doc = letter(row["id"])
            assert doc.framework == f"ilacs_{row['inspection_framework']}", row["id"]
            assert doc.inspection_start == dt.date.fromisoformat(row["inspection_start_date"]), row["id"]
            assert doc.inspection_end == dt.date.fromisoformat(row["inspection_end_date"]), row["id"]


# Each finding's area and area grade, checked against the reports' layout by hand.
@pytest.mark.parametrize("document, start, area, grade", [
    # ILACS standard, 2024: the summary under the table, then each area's heading "...: grade"
    ("kirklees_2024-08-28", "Since the previous inspection in 2019", "overall", "good"),
    ("kirklees_2024-08-28", "Overall, children in Kirklees receive effective", "help_and_protection", "good"),
    ("kirklees_2024-08-28", "Care leavers do not receive a consistently good service", "care_leavers",
     "requires_improvement"),
    # ILACS short, 2019
    ("ealing_2019-12-19", "Services for children and families in Ealing have deteriorated", "overall",
     "requires_improvement"),
    ("ealing_2019-12-19", "Services for children in care and care leavers are more variable", "in_care",
     "requires_improvement"),
    ("ealing_2019-12-19", "The quality of services for children has deteriorated from the good level", "leaders",
     "requires_improvement"),
    # SIF, 2017: area heading, grade on the next line; sub-judgements; the LSCB review
    ("croydon_2017-09-04", "There are widespread and serious failures", "overall", "inadequate"),
    ("croydon_2017-09-04", "For too many children, risk is not consistently recognised", "help_and_protection",
     "inadequate"),
    ("croydon_2017-09-04", "The number of children leaving care through adoption in Croydon", "adoption",
     "requires_improvement"),
    ("croydon_2017-09-04", "The care leaving team was working with a high number", "care_leavers",
     "requires_improvement"),
    ("croydon_2017-09-04", "Work has taken place over the last year to strengthen strategic oversight", "leaders",
     "inadequate"),
    ("croydon_2017-09-04", "The CSCB is inadequate, as it has not fully established", "lscb", "inadequate"),
])
def test_finding_area_and_grade(corpus, document, start, area, grade):
    from _corpus_read import letter

    (finding,) = [f for f in letter(document).findings if f.text.startswith(start)]
    assert (finding.area, finding.area_grade) == (area, grade)


def test_recommendations_and_what_needs_to_improve_are_development(corpus):
    from _corpus_read import letter

    doc = letter("croydon_2017-09-04")
    marked = [f for f in doc.findings if f.recommendation]
    assert len(marked) >= 20 and all(f.judgement == "development" for f in marked)
    assert not any("(Recommendation" in f.text or f.text.rstrip().endswith("(") for f in doc.findings)
    # "... made through the wrong pathway. (Recommendation)": the sentence keeps its words, not the marker
    assert any(f.recommendation and f.area == "help_and_protection" for f in marked)
    needs = [f for f in letter("kirklees_2024-08-28").findings if f.section == "What needs to improve?"]
    assert len(needs) == 3 and {f.judgement for f in needs} == {"development"}


@pytest.mark.slow
def test_every_document_has_framework_and_grade_columns(corpus):
    from _corpus_read import all_letters

    letters = all_letters()
    assert len(letters) > 500
    for doc in letters:
        assert doc.framework in FRAMEWORKS
        assert set(doc.grade_columns()) == set(GRADE_COLUMNS)
        assert set(doc.grades) <= set(AREAS)
        assert all(v in GRADE_VALUES or v == "" for v in doc.grades.values()), doc.document
        for f in doc.findings:
            if doc.framework in ("sif", "ilacs_standard", "ilacs_short"):
                assert f.area in AREAS and f.area_grade in GRADES + ("",), (doc.document, f.text)
            else:
                assert f.area == "" and f.area_grade == "", (doc.document, f.text)
        if doc.framework in ("focused_visit", "monitoring_visit", "ucra"):
            assert set(doc.grade_columns().values()) == {NOT_APPLICABLE}


def test_latest_graded_takes_each_authoritys_latest_sif_or_ilacs(corpus):
    from _corpus_read import letter

    docs = [letter(d) for d in ("kirklees_2016-11-25", "kirklees_2019-08-05", "kirklees_2024-08-28",
                                "bedford_2017-04-07")]
    latest = grades.latest_graded(docs)
    kirklees = latest[docs[0].new_la_code]
    assert kirklees["document"] == "kirklees_2024-08-28" and kirklees["inspection_end"] == "2024-07-19"
    assert kirklees["care_leavers"] == "requires_improvement" and kirklees["overall_effectiveness"] == "good"
    assert latest[docs[3].new_la_code]["document"] == "bedford_2017-04-07"
    assert len(latest) == 2
