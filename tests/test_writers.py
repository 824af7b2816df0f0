"""The CSV writer's fast scores column: the same text as json.dumps of the scores by name."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from ofsted_nlp.schema import SCORE_KEYS
from ofsted_nlp.tables import FINDING_COLUMNS, FindingRow
from ofsted_nlp.writers import _scores_texts, open_writer


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
