"""The scikit-learn side of the fast model: the shared features, the two classifiers, and fitting them.

Both classifiers read the same features, computed once per sentence. Themes
are one-vs-rest, each with its own decision threshold chosen by grouped
cross-validation on the training data; polarity is its own multinomial
classifier. :func:`fit_estimators` returns the fitted estimators
(:class:`FittedEstimators`); :func:`fit_model` exports them to the artefact
that tagging reads (:class:`~ofsted_nlp.tagging.model.OfstedModel`, by
:func:`~ofsted_nlp.training.export.export_model`), which needs no scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion

from ofsted_nlp.schema import POLARITIES, THEMES
from ofsted_nlp.tagging.model import OfstedModel
from ofsted_nlp.training.features import CharNgramTfidf, CodebookFeatures, WordNgramTfidf

__all__ = ["FittedEstimators", "feature_union", "theme_classifier", "polarity_classifier", "best_thresholds",
           "choose_thresholds", "fit_estimators", "fit_model", "fit_polarity", "soft_rows", "SOFT_FLOOR",
           "THRESHOLD_GRID"]

THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.025), 3)


@dataclass
class FittedEstimators:
    """The fitted scikit-learn estimators of a model, before they are exported to its artefact."""

    features: FeatureUnion
    themes: OneVsRestClassifier
    thresholds: dict[str, float]
    polarity: LogisticRegression
    info: dict = field(default_factory=dict)

    def artefact(self) -> OfstedModel:
        """The model tagging reads: these estimators' vocabularies, weights and coefficients as arrays."""
        from ofsted_nlp.training.export import export_model

        return export_model(self)


def feature_union(word_ngrams: tuple[int, int] = (1, 3), codebook_weight: float = 1.0) -> FeatureUnion:
    """The features both classifiers share, computed once per sentence.

    Word 1-3-grams and character 3-5-grams (TF-IDF), plus the codebook's
    vocabulary counts and cues of form.
    """
    return FeatureUnion(
        [
            ("words", WordNgramTfidf(ngram_range=word_ngrams, min_df=2, sublinear_tf=True)),
            ("chars", CharNgramTfidf(ngram_range=(3, 5), min_df=3, max_features=40000)),
            ("codebook", CodebookFeatures()),
        ],
        transformer_weights={"words": 1.0, "chars": 1.0, "codebook": codebook_weight},
    )


def theme_classifier(C: float = 4.0) -> OneVsRestClassifier:
    """Untrained one-vs-rest theme classifier (class weights balanced per theme)."""
    return OneVsRestClassifier(LogisticRegression(C=C, class_weight="balanced", max_iter=3000))


def polarity_classifier(C: float = 4.0) -> LogisticRegression:
    """Untrained three-class polarity classifier."""
    return LogisticRegression(C=C, class_weight="balanced", max_iter=3000)


def best_thresholds(P: np.ndarray, Y: np.ndarray) -> dict[str, float]:
    """Per theme, the threshold on the probabilities ``P`` that maximises F1 against ``Y``."""
    out = {}
    for j, theme in enumerate(THEMES):
        best, best_t = -1.0, 0.5
        for t in THRESHOLD_GRID:
            pred = P[:, j] >= t
            tp = float(np.sum(pred & (Y[:, j] == 1)))
            fp = float(np.sum(pred & (Y[:, j] == 0)))
            fn = float(np.sum(~pred & (Y[:, j] == 1)))
            f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
            if f1 > best + 1e-9:
                best, best_t = f1, float(t)
        out[theme] = best_t
    return out


def choose_thresholds(texts: Sequence[str], Y: np.ndarray, groups: Sequence[str], n_splits: int = 5,
                      C: float = 4.0, **feature_params) -> dict[str, float]:
    """Per-theme decision thresholds that maximise F1 on out-of-fold probabilities (folds by authority)."""
    items = np.asarray(texts, dtype=object)
    n_splits = min(n_splits, len(set(groups)))
    oof = np.zeros(Y.shape, dtype=float)
    for train, test in GroupKFold(n_splits=n_splits).split(items, Y, groups):
        features = feature_union(**feature_params)
        A = features.fit_transform(items[train])
        oof[test] = theme_classifier(C).fit(A, Y[train]).predict_proba(features.transform(items[test]))
    return best_thresholds(oof, Y)


def fit_estimators(texts: Sequence[str], Y: np.ndarray, polarity: Sequence[str], groups: Sequence[str],
                   theme_params: dict | None = None, polarity_params: dict | None = None,
                   feature_params: dict | None = None, soft_texts: Sequence[str] = (),
                   soft_polarity: np.ndarray | None = None, soft_weight: float = 1.0) -> FittedEstimators:
    """Train themes (with thresholds chosen by grouped CV) and polarity on labelled sentences.

    ``soft_texts`` with ``soft_polarity`` (n x POLARITIES probabilities, a
    teacher's) add sentences to the polarity classifier: one row per class
    the teacher gives at least 0.05, weighted ``soft_weight`` x its
    probability (gold rows weigh 1). The features' vocabulary and the themes
    come from the gold sentences only, so the model's size and speed do not
    grow with the soft labels.
    """
    theme_params = dict(theme_params or {})
    polarity_params = dict(polarity_params or {})
    feature_params = dict(feature_params or {})
    texts = list(texts)
    thresholds = choose_thresholds(texts, Y, groups, **theme_params, **feature_params)
    features = feature_union(**feature_params)
    X = features.fit_transform(texts)
    themes = theme_classifier(**theme_params).fit(X, Y)
    info: dict = {"theme_params": theme_params, "polarity_params": polarity_params, "feature_params": feature_params}
    pol = fit_polarity(features, X, polarity, polarity_params, soft_texts, soft_polarity, soft_weight)
    if len(soft_texts):
        info["soft"] = {"sentences": len(soft_texts), "weight": soft_weight,
                        "rows": int((np.asarray(soft_polarity) >= SOFT_FLOOR).sum())}
    return FittedEstimators(features, themes, thresholds, pol, info)


def fit_model(texts: Sequence[str], Y: np.ndarray, polarity: Sequence[str], groups: Sequence[str],
              theme_params: dict | None = None, polarity_params: dict | None = None,
              feature_params: dict | None = None, soft_texts: Sequence[str] = (),
              soft_polarity: np.ndarray | None = None, soft_weight: float = 1.0) -> OfstedModel:
    """:func:`fit_estimators`, exported to the model's artefact (what tagging, ``explain`` and the file hold)."""
    return fit_estimators(texts, Y, polarity, groups, theme_params, polarity_params, feature_params,
                          soft_texts, soft_polarity, soft_weight).artefact()


def fit_polarity(features: FeatureUnion, X, polarity: Sequence[str], params: dict | None = None,
                 soft_texts: Sequence[str] = (), soft_polarity: np.ndarray | None = None,
                 soft_weight: float = 1.0) -> LogisticRegression:
    """The polarity classifier on the gold rows ``X`` (already transformed by the fitted ``features``) and,
    given ``soft_texts``, one row per class of :func:`soft_rows` (the student's way of learning from a teacher)."""
    clf = polarity_classifier(**(params or {}))
    if not len(soft_texts) or soft_weight <= 0:
        return clf.fit(X, list(polarity))
    rows, ys, ws = soft_rows(soft_polarity, soft_weight)
    Xs = features.transform([soft_texts[i] for i in rows])
    return clf.fit(sparse.vstack([X, Xs]).tocsr(), list(polarity) + ys,
                   sample_weight=np.concatenate([np.ones(X.shape[0]), ws]))


SOFT_FLOOR = 0.05  # a teacher's class probability below this adds no row


def soft_rows(probs: np.ndarray | None, weight: float) -> tuple[list[int], list[str], np.ndarray]:
    """(sentence index, class, sample weight) of each row that soft labels add: one per class at >= SOFT_FLOOR."""
    if probs is None:
        raise ValueError("soft_texts given without soft_polarity")
    i, k = np.nonzero(probs >= SOFT_FLOOR)
    return i.tolist(), [POLARITIES[c] for c in k.tolist()], weight * probs[i, k]
