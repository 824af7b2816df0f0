"""How the model's grouped-CV scores grow with the amount of training data.

    python scripts/learning_curve.py

Each fold's training part is subsampled to 25%, 50% and 100%; thresholds are
the best on the out-of-fold probabilities (slightly optimistic, the same for
every fraction, so the curve's slope is what it shows).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from ofsted_nlp.training.dataset import load_training_data
from ofsted_nlp.training.estimators import best_thresholds, feature_union, polarity_classifier, theme_classifier


def main() -> None:
    data = load_training_data()
    X = np.asarray(data.texts, dtype=object)
    Y, y, groups = data.Y, np.asarray(data.polarity, dtype=object), np.asarray(data.groups, dtype=object)
    folds = list(GroupKFold(5).split(X, Y, groups))
    rng = np.random.default_rng(0)
    for frac in (0.25, 0.5, 1.0):
        P = np.zeros(Y.shape)
        pol = np.empty(len(y), dtype=object)
        for train, test in folds:
            sub = np.sort(rng.choice(train, int(len(train) * frac), replace=False))
            features = feature_union()
            A, B = features.fit_transform(X[sub]), features.transform(X[test])
            P[test] = theme_classifier().fit(A, Y[sub]).predict_proba(B)
            pol[test] = polarity_classifier().fit(A, y[sub]).predict(B)
        th = best_thresholds(P, Y)
        pred = P >= np.array(list(th.values()))
        theme_f1 = np.mean([f1_score(Y[:, j], pred[:, j]) for j in range(Y.shape[1])])
        neutral = f1_score(y, pol, labels=["neutral"], average=None)[0]
        print(f"{frac:>4.0%} of each training fold (~{int(len(X) * 0.8 * frac)} sentences): "
              f"theme macro-F1 {theme_f1:.3f}, polarity macro-F1 {f1_score(y, pol, average='macro'):.3f}, "
              f"neutral F1 {neutral:.2f}")


if __name__ == "__main__":
    main()
