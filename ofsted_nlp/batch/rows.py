"""Per-finding tables: letters and model predictions joined into one row per finding.

A tagged finding travels as a :class:`FindingRow`, a named tuple whose fields
are the output columns (:data:`FINDING_COLUMNS`): cheap to build and to send
between processes, and read by name everywhere.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ofsted_nlp.schema import SCORE_KEYS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ofsted_nlp.reading.letter import Finding, Letter
    from ofsted_nlp.tagging.tags import Tagger


class Scores(namedtuple("Scores", SCORE_KEYS)):  # type: ignore[misc]  # fields from the schema
    """A finding's scores by name (``scores.caseloads``, ``scores.negative``): each theme's probability, then
    each polarity class's, in :data:`~ofsted_nlp.schema.SCORE_KEYS` order; a tuple, so read by place too."""

    __slots__ = ()


class FindingRow(NamedTuple):
    """One tagged finding: the document's metadata, where the finding stands, and the model's reading."""

    document: str
    la_name: str | None
    old_la_code: str | None
    new_la_code: str | None
    region_name: str | None
    date: str | None  # ISO date
    date_source: str | None  # where the date comes from: "text", "pdf_metadata", "inspection_end"; None if undated
    kind: str  # schema.KINDS
    framework: str  # schema.FRAMEWORKS
    inspection_end: str | None  # ISO date, where the document prints the inspection's dates
    overall_effectiveness: str  # the document's grades (schema.GRADE_COLUMNS), "" where unread
    impact_of_leaders: str
    help_and_protection: str
    in_care: str
    care_leavers: str
    section: str
    judgement: str  # schema.JUDGEMENTS
    area: str  # schema.AREAS, "" in letters and visits
    area_grade: str  # schema.GRADES, "" where the area has none
    recommendation: bool  # marked "(Recommendation)" in the report
    index: int  # type: ignore[assignment]  # the finding's place in its document (shadows tuple.index)
    text: str
    themes: tuple[str, ...]  # the themes over their thresholds
    polarity: str
    scores: tuple[float, ...]  # a Scores: each theme's and polarity class's probability, by name (SCORE_KEYS)


FINDING_COLUMNS: list[str] = list(FindingRow._fields)
# The columns a row takes from its document (Letter.metadata()), in row order.
DOCUMENT_FIELDS: tuple[str, ...] = tuple(FINDING_COLUMNS[: FINDING_COLUMNS.index("section")])


def finding_rows(letters: Sequence[Letter], model: Tagger) -> list[FindingRow]:
    """One :class:`FindingRow` per finding of each letter, in letter then document order, tagged by ``model``.

    Values are plain Python (str, int, bool, None); ``scores`` are rounded to 3
    places, as a :class:`Scores` (by name: ``row.scores.caseloads``). Polarity is the model's with the letter's layout passed to it
    (:meth:`OfstedModel.tag`'s ``judgements`` and ``recommendations``), so a
    finding gets the same polarity here as from ``model.predict`` given them.
    """
    found: list[tuple[tuple, Finding]] = []
    for letter in letters:
        meta = letter.metadata()
        head = tuple(meta[k] for k in DOCUMENT_FIELDS)
        found.extend((head, f) for f in letter.findings)
    if not found:
        return []
    tags = model.tag([f.text for _, f in found], judgements=[f.judgement for _, f in found],
                     recommendations=[f.recommendation for _, f in found])
    scores = np.round(np.hstack([tags.theme_proba, tags.polarity_proba]), 3).tolist()
    make, named = FindingRow._make, Scores._make
    return [
        make(head + (f.section, f.judgement, f.area, f.area_grade, f.recommendation, f.index, f.text, themes, pol,
                     named(values)))
        for (head, f), themes, pol, values in zip(found, tags.themes, tags.polarity, scores)
    ]


def record_of(row: FindingRow) -> dict:
    """A row as a dict: ``themes`` a list, ``scores`` a dict by name."""
    record = row._asdict()
    record["themes"] = list(row.themes)
    record["scores"] = dict(zip(SCORE_KEYS, row.scores))
    return record


def finding_records(letters: Sequence[Letter], model: Tagger) -> list[dict]:
    """:func:`finding_rows` as dicts keyed by :data:`FINDING_COLUMNS`, ready for JSON."""
    return [record_of(row) for row in finding_rows(letters, model)]


def rows_frame(rows: Sequence[FindingRow]) -> pd.DataFrame:
    """Rows as a DataFrame with the tag table's columns (themes as lists, scores as dicts)."""
    import pandas as pd

    return pd.DataFrame([record_of(r) for r in rows], columns=FINDING_COLUMNS)


def findings_table(letters: Sequence[Letter], model: Tagger) -> pd.DataFrame:
    """One row per finding of each letter, tagged by ``model``: the table ``ofsted-nlp tag`` writes."""
    return rows_frame(finding_rows(letters, model))


def retagged(rows: Sequence[FindingRow], model: Tagger) -> list[FindingRow]:
    """The same findings tagged again by ``model`` from their text and layout, as :func:`finding_rows` tags
    them: everything but ``themes``, ``polarity`` and ``scores`` is kept."""
    if not rows:
        return []
    tags = model.tag([r.text for r in rows], judgements=[r.judgement for r in rows],
                     recommendations=[r.recommendation for r in rows])
    scores = np.round(np.hstack([tags.theme_proba, tags.polarity_proba]), 3).tolist()
    return [r._replace(themes=themes, polarity=pol, scores=tuple(values))
            for r, themes, pol, values in zip(rows, tags.themes, tags.polarity, scores)]
