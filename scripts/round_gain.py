"""Do the latest labelling rounds help on the same test sentences? (run by hand)

    python scripts/round_gain.py /work/labelwork/pool5.jsonl /work/labelwork/pool6.jsonl

Grouped 5-fold CV by authority, twice: training on every label except those of
the rounds whose sampling pools are given (written by
scripts/sample_for_labelling.py, outside the repo: they hold sentence text),
and on all labels; both scored on the same test sentences: those drawn at
random (the labels' ``drawn`` column), those of the earlier rounds and the
seeds, and all. Thresholds are the best on each test set's out-of-fold
probabilities (the same rule for both runs).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from ofsted_nlp.training.dataset import load_training_data
from ofsted_nlp.training.estimators import best_thresholds, feature_union, polarity_classifier, theme_classifier
from ofsted_nlp.training.labels import THEMES


def main(pools: list[Path]) -> None:
    latest = set()
    for path in pools:
        latest |= {(r["doc"], r["fp"]) for r in map(json.loads, open(path, encoding="utf-8"))}
    data = load_training_data()
    from ofsted_nlp.training.labels import fingerprint

    X = np.asarray(data.texts, dtype=object)
    Y, y, groups = data.Y, np.asarray(data.polarity, dtype=object), np.asarray(data.groups, dtype=object)
    late = np.array([(d, fingerprint(t)) in latest for d, t in zip(data.documents, data.texts)])
    tests = {"drawn at random": np.asarray(data.drawn) == "random", "earlier rounds and seeds": ~late,
             "all": np.ones(len(y), bool)}
    print(f"{len(y)} sentences, {late.sum()} from the latest rounds, {tests['drawn at random'].sum()} drawn at random")
    for name, leave_out in (("without them", late), ("with them", np.zeros(len(y), bool))):
        P, pol = np.zeros(Y.shape), np.empty(len(y), dtype=object)
        for train, test in GroupKFold(5).split(X, Y, groups):
            train = train[~leave_out[train]]
            features = feature_union()
            A, B = features.fit_transform(X[train]), features.transform(X[test])
            P[test] = theme_classifier().fit(A, Y[train]).predict_proba(B)
            pol[test] = polarity_classifier().fit(A, y[train]).predict(B)
        for test_name, m in tests.items():
            th = best_thresholds(P[m], Y[m])
            theme_f1 = f1_score(Y[m], P[m] >= np.array([th[t] for t in THEMES]), average="macro")
            print(f"trained {name:12s} tested on {test_name:24s} (n={m.sum():5d}): theme macro-F1 {theme_f1:.3f}, "
                  f"polarity macro-F1 {f1_score(y[m], pol[m], average='macro'):.3f}, "
                  f"neutral F1 {f1_score(y[m], pol[m], labels=['neutral'], average=None)[0]:.3f}")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]])
