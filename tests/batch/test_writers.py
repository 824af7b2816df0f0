"""The CSV writer's fast scores column: the same text as json.dumps of the scores by name."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from ofsted_nlp.batch.rows import DOCUMENT_FIELDS, FINDING_COLUMNS, FindingRow
from ofsted_nlp.batch.writers import _scores_texts, open_writer
from ofsted_nlp.schema import SCORE_KEYS


def _row(scores, text="Supervision is regular.") -> FindingRow:
    head = ["x"] * FINDING_COLUMNS.index("recommendation")
    return FindingRow(*head, False, 0, text, ("supervision",), "positive", tuple(scores))


def test_thousandths_are_written_as_json_writes_them():
    rng = np.random.default_rng(0)
    values = np.round(rng.random((2000, len(SCORE_KEYS))), 3)
    values[0] = 0.0
    values[1] = 1.0
    values[2, :3] = [0.1, 0.2, 0.3]
    rows = [_row(v) for v in values.tolist()]
    assert _scores_texts(rows) == [json.dumps(dict(zip(SCORE_KEYS, r.scores))) for r in rows]


@pytest.mark.parametrize("odd", [0.1234, float("nan"), 1, True, -0.001, 1.001])
def test_other_values_are_left_to_json(odd):
    """A value that is not a float of at most 3 places in [0, 1] sends the batch the slow, exact way."""
    rows = [_row([0.5] * len(SCORE_KEYS)), _row([odd] + [0.5] * (len(SCORE_KEYS) - 1))]
    assert _scores_texts(rows) is None
    buffer = io.StringIO()
    writer = open_writer("csv", buffer)
    writer.add_rows(rows)
    writer.close()
    written = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert written[1]["scores"] == json.dumps(dict(zip(SCORE_KEYS, rows[1].scores)))
    assert written[0]["themes"] == "supervision" and written[0]["text"] == "Supervision is regular."


def _csv_module_text(rows) -> str:
    """What the csv module writes for rows (the writer's header and cells, by csv.writer)."""
    from ofsted_nlp.batch.writers import row_cells

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FINDING_COLUMNS)
    writer.writerows(map(row_cells, rows))
    return buffer.getvalue()


def _odd_rows() -> list[FindingRow]:
    """Rows whose cells hold every character the csv module treats specially, at every place, and None."""
    texts = ['Plain text.', 'Commas, here.', 'A "quoted" word.', '"', ',', 'line\nbreak', 'carriage\rreturn',
             '', ' leading space', 'tab\there', 'semi;colon', "it's", 'non-ASCII – “quotes” é', '""', 'end,']
    rows = []
    for k, text in enumerate(texts):
        head = [text if j % 3 == k % 3 else (None if j % 2 else f"doc {j}") for j in range(len(DOCUMENT_FIELDS))]
        rows.append(FindingRow(*head, text, "strength" if k % 2 else "", "", text, k % 3 == 0, k, text,
                               ("supervision", "caf")[: k % 3], "neutral", (0.5, 0.001, 1.0, 0.0, 0.25,
                                                                                   0.123, 0.999, 0.1, 0.2)))
    return rows


def test_csv_lines_are_what_the_csv_module_writes():
    from ofsted_nlp.batch.writers import _SCORE_PIECES

    assert _SCORE_PIECES is not None  # the fast way is in use on this Python
    rows = _odd_rows()
    buffer = io.StringIO()
    writer = open_writer("csv", buffer)
    writer.add_rows(rows[:4])
    writer.add_rows([])
    writer.add_rows(rows[4:])
    writer.close()
    assert buffer.getvalue() == _csv_module_text(rows)
    assert writer._lines(rows) == _csv_module_text(rows).split("\n", 1)[1]  # built here, not by the csv module


@pytest.mark.parametrize("field, odd", [("index", 1.0), ("recommendation", 1), ("la_name", 3), ("section", 2.5),
                                        ("themes", ["caf"]), ("text", None)])
def test_csv_values_of_other_types_are_written_as_the_csv_module_writes_them(field, odd):
    rows = _odd_rows()
    # a value equal to another row's of another type (True and 1, 1 and 1.0) must not reuse its text
    rows.insert(3, rows[3]._replace(**{field: odd}))
    buffer = io.StringIO()
    writer = open_writer("csv", buffer)
    writer.add_rows(rows[:3])  # the other rows' texts are cached first
    writer.add_rows(rows[3:])
    writer.close()
    assert buffer.getvalue() == _csv_module_text(rows)
