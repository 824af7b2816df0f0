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


def findings_table(letters: list[Letter], model) -> pd.DataFrame:
    """One row per finding of each letter, in letter then document order, tagged by ``model``.

    ``themes`` is a list of theme names; ``scores`` a dict of each theme's and
    each polarity class's probability, rounded to 3 places. ``polarity`` is
    the model's, except that a recommendation or verbless list item under a
    "What needs to improve" or "priority action" heading is ``negative``, as
    the codebook rules (``scores`` still show the model's view).
    """
    rows = []
    texts = []
    for letter in letters:
        meta = letter.metadata()
        for f in letter.findings:
            rows.append(
                meta
                | {
                    "section": f.section,
                    "judgement": f.judgement,
                    "index": f.index,
                    "text": f.text,
                }
            )
            texts.append(f.text)
    if not rows:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    pred = model.predict(texts)
    frame = pd.DataFrame(rows)
    frame["themes"] = [list(t) for t in pred["themes"]]
    polarity = [str(p) for p in pred["polarity"]]
    for k, row in enumerate(rows):
        if row["judgement"] in NEGATIVE_BY_LAYOUT and is_list_item_or_recommendation(row["text"]):
            polarity[k] = "negative"
    frame["polarity"] = polarity
    score_cols = [f"p_{t}" for t in THEMES] + [f"p_{p}" for p in POLARITIES]
    keys = [c[2:] for c in score_cols]
    values = np.round(pred[score_cols].to_numpy(dtype=float), 3).tolist()
    frame["scores"] = [dict(zip(keys, row)) for row in values]
    return frame[FINDING_COLUMNS]
