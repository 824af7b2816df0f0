"""Reading at scale: every document of ../shared/corpus reads correctly or fails clearly."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from ofsted_nlp import OfstedReadError, find_authority

# A letter's own date and the date Ofsted listed it under differ by a few days;
# for reports without a printed publication date the PDF's creation date is used.
DATE_TOLERANCE_DAYS = 45


def _index(corpus):
    rows = []
    for folder in ("letters", "reports"):
        with open(corpus / f"{folder}.csv", newline="", encoding="utf-8") as fh:
            rows += [(folder, r) for r in csv.DictReader(fh)]
    return rows


def _check_documents(corpus, rows, letters) -> tuple[int, list[str]]:
    """Each row's document read with its authority, date and findings of a sentence's length, or refused in one
    line naming its path; (documents read, ids refused)."""
    read, rejected, problems = 0, [], []
    for folder, row in rows:
        path = corpus / folder / f"{row['id']}.pdf"
        expected = find_authority(row["authority"])
        letter = letters[row["id"]]
        if isinstance(letter, OfstedReadError):
            msg = str(letter)
            assert msg.startswith(str(path)) and "\n" not in msg and len(msg) > len(str(path)) + 5
            rejected.append(row["id"])
            continue
        read += 1
        published = dt.date.fromisoformat(row["published"])
        if expected is None or letter.new_la_code != expected.new_la_code:
            problems.append(f"{row['id']}: authority {letter.la_name} != {row['authority']}")
        if letter.date is None or abs((letter.date - published).days) > DATE_TOLERANCE_DAYS:
            problems.append(f"{row['id']}: date {letter.date} vs published {published}")
        for f in letter.findings:
            n = len(f.text.split())
            if not 4 <= n <= 120:
                problems.append(f"{row['id']}: finding of {n} words: {f.text[:60]}")
        if not letter.findings:
            problems.append(f"{row['id']}: no findings")
    assert problems == []
    return read, rejected


def test_the_sample_documents_read_or_fail_clearly(corpus, corpus_sample):
    """The default run's check: the fixed sample of letters and reports (_corpus_read.SAMPLE)."""
    rows = [(folder, row) for folder, row in _index(corpus) if row["id"] in corpus_sample]
    assert len(rows) == len(corpus_sample) == 36
    assert {folder for folder, _ in rows} == {"letters", "reports"}
    read, rejected = _check_documents(corpus, rows, corpus_sample)
    assert rejected == ["blackpool_2012-07-13"]  # the HTML page saved as .pdf
    assert read == 35


@pytest.mark.slow
def test_every_document_reads_or_fails_clearly(corpus, corpus_letters):
    rows = _index(corpus)
    assert len(rows) == 504
    read, rejected = _check_documents(corpus, rows, corpus_letters)
    # the one file in the corpus that is not a PDF at all (an HTML page)
    assert rejected == ["blackpool_2012-07-13"]
    assert read == 503
