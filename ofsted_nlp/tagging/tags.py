"""What a model says of sentences, and the one place that turns probabilities into themes and polarity.

Every model (the fast TF-IDF one of :mod:`ofsted_nlp.tagging.model`, the ``accurate``
one of :mod:`ofsted_nlp.tagging.accurate`) gives theme and polarity probabilities;
:func:`decide` applies the theme thresholds and the codebook's layout rule the
same way for both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

from ofsted_nlp.schema import POLARITIES, THEMES
from ofsted_nlp.tagging.layout import is_recommendation_or_bullet

# The codebook: "Recommendations and the short noun-phrase bullets under 'What
# needs to improve' are findings, negative, even when a bullet reads like
# praise out of context." Judgement is read from the layout, so the rule
# applies where the caller passes the layout (judgements, recommendations).
NEGATIVE_BY_LAYOUT = ("development", "priority_action")

# each row's chosen themes as a bit pattern, read off a table of the 2**6 possible tuples
_COMBOS = [tuple(t for j, t in enumerate(THEMES) if k >> j & 1) for k in range(1 << len(THEMES))]
_BITS = 1 << np.arange(len(THEMES))


class Tags(NamedTuple):
    """What the model says of a batch of sentences, one entry (or row) per sentence."""

    themes: list[tuple[str, ...]]
    polarity: list[str]
    theme_proba: np.ndarray  # (n, len(THEMES)), in THEMES order
    polarity_proba: np.ndarray  # (n, len(POLARITIES)), in POLARITIES order


@runtime_checkable
class Tagger(Protocol):
    """What every model offers (:class:`~ofsted_nlp.tagging.model.OfstedModel`, :class:`~ofsted_nlp.tagging.accurate.AccurateModel`)."""

    info: dict
    thresholds: Any

    def tag(self, texts: Sequence[str], judgements: Sequence[str] | None = None,
            recommendations: Sequence[bool] | None = None) -> Tags: ...

    def probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]: ...


def sentences(texts: Any) -> Sequence[Any]:
    """``texts``, unless it is one string, which a model would read as one sentence per character: TypeError."""
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a sequence of sentences, not one string: pass [text] for one sentence")
    return texts


def check_layout(n: int, judgements: Sequence[str] | None, recommendations: Sequence[bool] | None) -> None:
    """Raise ValueError unless each layout given has one entry per text."""
    for name, layout in (("judgements", judgements), ("recommendations", recommendations)):
        if layout is not None and len(layout) != n:
            raise ValueError(f"{len(layout)} {name} for {n} texts")


def decide(texts: Sequence[str], P: np.ndarray, Q: np.ndarray, thresholds: Mapping[str, float],
           judgements: Sequence[str] | None = None, recommendations: Sequence[bool] | None = None) -> Tags:
    """Themes over their thresholds; polarity the likeliest class unless the layout decides.

    ``P``: theme probabilities (n x THEMES); ``Q``: polarity probabilities
    (n x POLARITIES, in that order). A recommendation ("Ensure that ...",
    "Leaders should ...") or a noun-phrase bullet (:mod:`~ofsted_nlp.tagging.layout`)
    under a development or priority-action heading
    (``judgements``, as ``Finding.judgement``) is ``negative``, and so is a
    sentence the report marks "(Recommendation)" (``recommendations``, as
    ``Finding.recommendation``). The probabilities stay the model's own.
    """
    check_layout(len(texts), judgements, recommendations)
    chosen = P >= np.array([thresholds[t] for t in THEMES])
    polarity = [POLARITIES[k] for k in Q.argmax(axis=1).tolist()] if len(Q) else []
    if judgements is not None:
        for k, judgement in enumerate(judgements):
            if judgement in NEGATIVE_BY_LAYOUT and is_recommendation_or_bullet(texts[k]):
                polarity[k] = "negative"
    if recommendations is not None:
        for k, marked in enumerate(recommendations):
            if marked:
                polarity[k] = "negative"
    return Tags(themes=[_COMBOS[k] for k in (chosen @ _BITS).tolist()] if len(P) else [],
                polarity=polarity, theme_proba=P, polarity_proba=Q)


def tags_frame(texts: Sequence[str], tags: Tags):
    """One row per text: ``text``, ``themes``, ``polarity``, ``p_<theme>``, ``p_<polarity>`` (a DataFrame)."""
    import pandas as pd

    cols: dict[str, object] = {"text": list(texts), "themes": tags.themes, "polarity": tags.polarity}
    for j, t in enumerate(THEMES):
        cols[f"p_{t}"] = tags.theme_proba[:, j]
    for k, p in enumerate(POLARITIES):
        cols[f"p_{p}"] = tags.polarity_proba[:, k]
    return pd.DataFrame(cols)
