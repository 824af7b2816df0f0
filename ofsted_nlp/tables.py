"""Per-finding tables: letters and model predictions joined into one row per finding."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .keywords import is_list_item_or_recommendation
from .labels import SCORE_KEYS
from .letter import Letter

# The codebook: "Recommendations and the short noun-phrase bullets under 'What
# needs to improve' are findings, negative, even when a bullet reads like
# praise out of context." Judgement is read from the layout, so this rule can
# only be applied where the layout is known: here, not in the sentence model.
NEGATIVE_BY_LAYOUT = ("development", "priority_action")

FINDING_COLUMNS = [
    "document", "la_name", "old_la_code", "new_la_code", "region_name", "date", "kind",
    "section", "judgement", "index", "text", "themes", "polarity", "scores",
]




def finding_rows(letters: list[Letter], model) -> list[tuple]:
    """One tuple per finding of each letter, in letter then document order, tagged by ``model``.

    Values are in :data:`FINDING_COLUMNS` order and plain Python (str, int,
    None); ``themes`` is a tuple of the themes over their thresholds and
    ``scores`` a tuple of each theme's and each polarity class's probability
    (:data:`~ofsted_nlp.labels.SCORE_KEYS` order), rounded to 3 places. ``polarity`` is the
    model's, except that a recommendation or verbless list item under a "What
    needs to improve" or "priority action" heading is ``negative``, as the
    codebook rules (``scores`` still show the model's view). Tuples cost less
    to build and to send between processes than dicts, which counts over a
    corpus; :func:`finding_records` gives dicts.
    """
    found = [(meta, f) for letter, meta in ((x, tuple(x.metadata().values())) for x in letters)
             for f in letter.findings]
    if not found:
        return []
    tags = model.tag([f.text for _, f in found])
    scores = np.round(np.hstack([tags.theme_proba, tags.polarity_proba]), 3).tolist()
    polarity = list(tags.polarity)
    for k, (_, f) in enumerate(found):
        if f.judgement in NEGATIVE_BY_LAYOUT and is_list_item_or_recommendation(f.text):
            polarity[k] = "negative"
    return [
        meta + (f.section, f.judgement, f.index, f.text, themes, pol, tuple(values))
        for (meta, f), themes, pol, values in zip(found, tags.themes, polarity, scores)
    ]


def record_of(row: tuple) -> dict:
    """A row of :func:`finding_rows` as a dict: ``themes`` a list, ``scores`` a dict by name."""
    record = dict(zip(FINDING_COLUMNS, row))
    record["themes"] = list(record["themes"])
    record["scores"] = dict(zip(SCORE_KEYS, record["scores"]))
    return record


def finding_records(letters: list[Letter], model) -> list[dict]:
    """:func:`finding_rows` as dicts keyed by :data:`FINDING_COLUMNS`, ready for JSON."""
    return [record_of(row) for row in finding_rows(letters, model)]


def findings_table(letters: list[Letter], model) -> pd.DataFrame:
    """One row per finding of each letter, tagged by ``model``: :func:`finding_records` as a DataFrame."""
    return pd.DataFrame(finding_records(letters, model), columns=FINDING_COLUMNS)
