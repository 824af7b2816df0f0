"""Per-finding tables: letters and model predictions joined into one row per finding."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .keywords import is_list_item_or_recommendation
from .labels import POLARITIES, THEMES
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


def finding_records(letters: list[Letter], model) -> list[dict]:
    """One plain dict per finding of each letter, in letter then document order, tagged by ``model``.

    The keys are :data:`FINDING_COLUMNS`; values are plain Python (str, int,
    None, a list of theme names, a dict of scores), ready for CSV or JSON.
    ``themes`` lists the themes over their thresholds; ``scores`` holds each
    theme's and each polarity class's probability, rounded to 3 places.
    ``polarity`` is the model's, except that a recommendation or verbless
    list item under a "What needs to improve" or "priority action" heading is
    ``negative``, as the codebook rules (``scores`` still show the model's view).
    """
    rows = []
    for letter in letters:
        meta = letter.metadata()
        for f in letter.findings:
            row = dict(meta)
            row["section"], row["judgement"], row["index"], row["text"] = f.section, f.judgement, f.index, f.text
            rows.append(row)
    if not rows:
        return []
    tags = model.tag([row["text"] for row in rows])
    keys = list(THEMES) + list(POLARITIES)
    scores = np.round(np.hstack([tags.theme_proba, tags.polarity_proba]), 3).tolist()
    for row, themes, polarity, values in zip(rows, tags.themes, tags.polarity, scores):
        if row["judgement"] in NEGATIVE_BY_LAYOUT and is_list_item_or_recommendation(row["text"]):
            polarity = "negative"
        row["themes"] = list(themes)
        row["polarity"] = polarity
        row["scores"] = dict(zip(keys, values))
    return rows  # keys in FINDING_COLUMNS order: metadata, then as set here


def findings_table(letters: list[Letter], model) -> pd.DataFrame:
    """One row per finding of each letter, tagged by ``model``: :func:`finding_records` as a DataFrame."""
    return pd.DataFrame(finding_records(letters, model), columns=FINDING_COLUMNS)
