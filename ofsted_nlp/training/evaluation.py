"""Honest evaluation: cross-validation grouped by authority, against two baselines scored the same way."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from ofsted_nlp.tagging import codebook as keywords
from ofsted_nlp.training.dataset import TrainingData
from ofsted_nlp.training.estimators import fit_model
from ofsted_nlp.training.labels import POLARITIES, THEMES


def label_scores(Y_true: np.ndarray, Y_pred: np.ndarray, pol_true: list[str], pol_pred: list[str]) -> dict:
    p, r, f, s = precision_recall_fscore_support(Y_true, Y_pred, average=None, zero_division=0)
    pp, pr, pf, ps = precision_recall_fscore_support(pol_true, pol_pred, labels=list(POLARITIES), zero_division=0)
    return {
        "theme_macro_f1": float(np.mean(f)),
        "per_theme": {
            t: {"precision": float(p[j]), "recall": float(r[j]), "f1": float(f[j]), "support": int(s[j])}
            for j, t in enumerate(THEMES)
        },
        "polarity_macro_f1": float(f1_score(pol_true, pol_pred, labels=list(POLARITIES), average="macro",
                                            zero_division=0)),
        "polarity_accuracy": float(accuracy_score(pol_true, pol_pred)),
        "per_polarity": {
            c: {"precision": float(pp[k]), "recall": float(pr[k]), "f1": float(pf[k]), "support": int(ps[k])}
            for k, c in enumerate(POLARITIES)
        },
    }


def cross_validate(data: TrainingData, n_splits: int = 5, theme_params: dict | None = None,
                   polarity_params: dict | None = None, feature_params: dict | None = None,
                   on_fold: Callable[[int], None] | None = None) -> dict:
    """Out-of-fold scores for the model, the keyword tagger and a majority-class dummy.

    Folds are grouped by authority, so no authority's sentences are in both
    the training and the test part of a fold; thresholds are chosen inside
    each training part only. Scores are given on all labelled sentences and,
    under ``subsets``, on those drawn at random for labelling.
    """
    texts = np.asarray(data.texts, dtype=object)
    Y = data.Y
    pol = np.asarray(data.polarity, dtype=object)
    groups = np.asarray(data.groups, dtype=object)
    n_splits = min(n_splits, len(set(data.groups)))
    pred = {name: (np.zeros_like(Y), np.empty(len(pol), dtype=object)) for name in ("model", "keywords", "majority")}
    for k, (train, test) in enumerate(GroupKFold(n_splits=n_splits).split(texts, Y, groups)):
        model = fit_model(list(texts[train]), Y[train], list(pol[train]), list(groups[train]),
                          theme_params, polarity_params, feature_params)
        out = model.predict(list(texts[test]))
        pred["model"][0][test] = np.array([[1 if t in ts else 0 for t in THEMES] for ts in out["themes"]])
        pred["model"][1][test] = out["polarity"].to_numpy()
        pred["keywords"][0][test] = np.array([[1 if t in keywords.keyword_themes(x) else 0 for t in THEMES]
                                              for x in texts[test]])
        pred["keywords"][1][test] = [keywords.keyword_polarity(x) for x in texts[test]]
        for j in range(len(THEMES)):
            dummy = DummyClassifier(strategy="most_frequent").fit(texts[train], Y[train, j])
            pred["majority"][0][test, j] = dummy.predict(texts[test])
        pred["majority"][1][test] = DummyClassifier(strategy="most_frequent").fit(texts[train], pol[train]).predict(
            texts[test])
        if on_fold:
            on_fold(k)
    out = {
        "folds": n_splits,
        "sentences": int(len(texts)),
        "authorities": int(len(set(data.groups))),
        "systems": {name: label_scores(Y, yp, list(pol), list(pp)) for name, (yp, pp) in pred.items()},
        "subsets": {},
    }
    # The same out-of-fold predictions, scored on the sentences drawn at random
    # alone: the labelled pool also holds sentences picked by keyword nets and
    # for being hard, so these are the fairest guide to a new letter.
    drawn = np.asarray(data.drawn if len(data.drawn) == len(texts) else [""] * len(texts), dtype=object)
    for name, mask in (("drawn at random", drawn == "random"),):
        if mask.sum() >= 50:
            out["subsets"][name] = {
                "sentences": int(mask.sum()),
                "systems": {k: label_scores(Y[mask], yp[mask], list(pol[mask]), list(pp[mask])) for k, (yp, pp) in pred.items()},
            }
    return out
