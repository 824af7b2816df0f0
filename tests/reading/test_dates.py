"""Every date: printed numeric and short-month dates, visit dates in their other forms, and a document's
date falling back to its inspection's last day (named in date_source), with a warning where there is none."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from conftest import seed

from ofsted_nlp import read_letter
from ofsted_nlp.reading.letter import DateNotFoundWarning
from ofsted_nlp.reading.metadata import find_date, find_visit_dates

D = dt.date


@pytest.mark.parametrize("text, expected", [
    ("Local authority children's services inspection Report published: 25/11/2016", D(2016, 11, 25)),
    ("Publication date: 3/2/2015", D(2015, 2, 3)),
    ("Report published: 18 Feb 2014", D(2014, 2, 18)),
    ("Report published: 25 November 2016", D(2016, 11, 25)),  # as before
])
def test_printed_publication_dates(text, expected):
    assert find_date([], text, is_letter=False) == expected


def test_the_first_publication_date_printed_wins():
    assert find_date([], "Report published: 1/12/2016. Published 3 January 2017", is_letter=False) == D(2016, 12, 1)


@pytest.mark.parametrize("text, expected", [
    ("Inspection dates: 18 Feb 2014", (D(2014, 2, 18), D(2014, 2, 18))),
    ("Inspection dates: 10 Feb to 4 Mar 2014", (D(2014, 2, 10), D(2014, 3, 4))),
    ("Inspection dates: 11/01/2016 to 22/01/2016", (D(2016, 1, 11), D(2016, 1, 22))),
    ("Inspection dates: 11/01/2016 – 22/01/2016", (D(2016, 1, 11), D(2016, 1, 22))),
    ("Inspection date: 18/02/2014", (D(2014, 2, 18), D(2014, 2, 18))),
    ("a focused visit to Bury children's services on  29 and 30 September, and 1 October 2020. The visit",
     (D(2020, 9, 29), D(2020, 10, 1))),
    ("the visit took place on the 15 and 16 of May 2013.", (D(2013, 5, 15), D(2013, 5, 16))),
    ("services on 5 and 6 February 2019.", (D(2019, 2, 5), D(2019, 2, 6))),  # as before
])
def test_visit_dates_in_every_form(text, expected):
    assert find_visit_dates(text) == expected


def test_a_range_without_its_year_takes_the_documents():
    text = "Inspectors visited the local authority on the 15 and 16 of May."
    assert find_visit_dates(text) is None  # no year anywhere: nothing is guessed
    assert find_visit_dates(text, D(2013, 6, 20)) == (D(2013, 5, 15), D(2013, 5, 16))
    assert find_visit_dates(text, D(2014, 1, 10)) == (D(2013, 5, 15), D(2013, 5, 16))  # the May before
    # a range with its year, anywhere, comes first
    assert find_visit_dates(text + " It took place on 3 and 4 June 2013.", D(2014, 1, 10)) == (D(2013, 6, 3),
                                                                                               D(2013, 6, 4))


def _without_date_line(tmp_path, text_edit=lambda t: t):
    text = seed("003").read_text(encoding="utf-8").replace("4 March 2019\n", "", 1)
    path = tmp_path / "undated.txt"
    path.write_text(text_edit(text), encoding="utf-8")
    return path


def test_a_document_without_a_date_line_is_dated_by_its_inspections_end(tmp_path):
    letter = read_letter(_without_date_line(tmp_path))
    assert letter.date == D(2019, 2, 6) == letter.inspection_end
    assert letter.metadata()["date"] == "2019-02-06" and letter.metadata()["date_source"] == "inspection_end"
    dated = read_letter(seed("003")).metadata()
    assert dated["date"] == "2019-03-04" and dated["date_source"] == "text"


def test_a_document_with_no_date_at_all_warns(tmp_path):
    path = _without_date_line(tmp_path, lambda t: t.replace(" on 5 and 6 February 2019", ""))
    with pytest.warns(DateNotFoundWarning, match="no date found"):
        letter = read_letter(path)
    assert letter.date is None and letter.metadata()["date_source"] is None
    with warnings.catch_warnings():
        warnings.simplefilter("error", DateNotFoundWarning)
        read_letter(seed("003"))
