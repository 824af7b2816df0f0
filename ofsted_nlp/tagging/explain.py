"""Why the model tags what it tags: the n-grams that pushed each decision.

A logistic regression's score is a sum of feature value × coefficient, so a
sentence's decision splits exactly into per-feature contributions. Word
n-grams and the codebook's vocabulary are shown by name; character n-grams,
which are hard to read one by one, are summed into a single line.

Everything is read from the model's artefact (:class:`~ofsted_nlp.tagging.model.OfstedModel`):
the feature names from its blocks' vocabularies and the codebook's names, each
feature's value (TF-IDF weight, or codebook count, times its block's weight
in the union) from its scorer, and the coefficients from its arrays; no
scikit-learn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ofsted_nlp.schema import POLARITIES, THEMES
from ofsted_nlp.tagging.model import OfstedModel


@dataclass(frozen=True)
class Contribution:
    """One feature's push on a decision: positive pushes towards the label."""

    feature: str
    weight: float


def _names(model: OfstedModel) -> np.ndarray:
    return np.asarray(model.feature_names(), dtype=object)


def feature_values(model: OfstedModel, text: str) -> np.ndarray:
    """The sentence's value of every feature of the model, in column order, as the model's classifiers
    read it (each block's values times the block's weight in the union)."""
    blocks = model.scorer.feature_values([text])
    return np.concatenate([values[0] * block.weight for values, block in zip(blocks, model.blocks)])


def _readable(name: str) -> str:
    kind, _, term = name.partition("__")
    if kind == "codebook":
        return f"[{term}]"
    return term


def _split(names: np.ndarray, contrib: np.ndarray, top: int) -> tuple[list[Contribution], list[Contribution], float]:
    is_char = np.char.startswith(names.astype(str), "chars__")
    char_total = float(contrib[is_char].sum())
    keep = np.where(~is_char & (contrib != 0))[0]
    order = keep[np.argsort(-contrib[keep])]
    pos = [Contribution(_readable(names[i]), float(contrib[i])) for i in order[:top] if contrib[i] > 0]
    neg = [Contribution(_readable(names[i]), float(contrib[i])) for i in order[::-1][:top] if contrib[i] < 0]
    return pos, neg, char_total


def explain_sentence(model: OfstedModel, text: str, top: int = 5) -> dict:
    """Predicted themes and polarity of one sentence, each with the features that pushed it most.

    Returns ``{"text", "themes", "polarity", "theme_reasons": {theme: {...}},
    "polarity_reasons": {...}}`` where each reasons entry has ``probability``,
    ``threshold`` (themes), ``for`` and ``against`` (lists of Contribution)
    and ``characters`` (the summed push of character n-grams).
    """
    pred = model.predict([text]).iloc[0]
    names = _names(model)
    x = feature_values(model, text)
    reasons = {}
    for j, theme in enumerate(THEMES):
        coef = model.theme_coef[j]
        pos, neg, chars = _split(names, x * coef, top)
        reasons[theme] = {
            "probability": float(pred[f"p_{theme}"]),
            "threshold": model.thresholds[theme],
            "for": pos,
            "against": neg,
            "characters": chars,
        }
    k = model.polarity_classes.index(pred["polarity"])
    coef = model.polarity_coef
    # multinomial: the chosen class against the mean of the others
    others = np.delete(coef, k, axis=0).mean(axis=0)
    pos, neg, chars = _split(names, x * (coef[k] - others), top)
    return {
        "text": text,
        "themes": tuple(pred["themes"]),
        "polarity": pred["polarity"],
        "theme_reasons": reasons,
        "polarity_reasons": {
            "probability": float(pred[f"p_{pred['polarity']}"]),
            "for": pos,
            "against": neg,
            "characters": chars,
        },
    }


def theme_terms(model: OfstedModel, theme: str, top: int = 15) -> tuple[list[Contribution], list[Contribution]]:
    """The word n-grams and codebook features with the strongest coefficients for and against a theme."""
    if theme not in THEMES:
        raise ValueError(f"unknown theme {theme!r} (expected one of {', '.join(THEMES)})")
    names = _names(model)
    coef = model.theme_coef[THEMES.index(theme)]
    return _top_coefficients(names, coef, top)


def polarity_terms(model: OfstedModel, polarity: str, top: int = 15) -> tuple[list[Contribution], list[Contribution]]:
    """The strongest features for and against one polarity class."""
    if polarity not in POLARITIES:
        raise ValueError(f"unknown polarity {polarity!r}")
    k = model.polarity_classes.index(polarity)
    coef = model.polarity_coef
    return _top_coefficients(_names(model), coef[k] - np.delete(coef, k, axis=0).mean(axis=0), top)


def _top_coefficients(names: np.ndarray, coef: np.ndarray, top: int):
    is_char = np.char.startswith(names.astype(str), "chars__")
    idx = np.where(~is_char)[0]
    order = idx[np.argsort(-coef[idx])]
    pos = [Contribution(_readable(names[i]), float(coef[i])) for i in order[:top]]
    neg = [Contribution(_readable(names[i]), float(coef[i])) for i in order[::-1][:top]]
    return pos, neg
