"""The schema is written once: every table's columns come from it, in one order."""

from __future__ import annotations

from conftest import seed

from ofsted_nlp import read_letter, schema
from ofsted_nlp.batch.pipeline import DOCUMENT_COLUMNS
from ofsted_nlp.batch.rows import DOCUMENT_FIELDS, FINDING_COLUMNS, FindingRow


def test_finding_rows_carry_the_schemas_grade_columns_in_its_order():
    grades = [c for c in FINDING_COLUMNS if c in schema.GRADE_COLUMNS]
    assert grades == list(schema.GRADE_COLUMNS)
    assert FINDING_COLUMNS[-3:] == ["themes", "polarity", "scores"]
    assert FINDING_COLUMNS == list(FindingRow._fields)


def test_a_letters_metadata_is_the_rows_document_part():
    letter = read_letter(seed("003"))
    assert tuple(letter.metadata()) == DOCUMENT_FIELDS
    assert DOCUMENT_COLUMNS == ["document", "path", *DOCUMENT_FIELDS[1:], "findings"]
    meta = letter.metadata()
    assert meta["framework"] in schema.FRAMEWORKS and meta["kind"] in schema.KINDS
    assert {meta[c] for c in schema.GRADE_COLUMNS} == {schema.NOT_APPLICABLE}  # a focused visit has no grades
