"""Does a labelling round help on the same test sentences? (run by hand)

    python scripts/round_gain.py /work/labelwork

Grouped 5-fold CV by authority, twice: training on every label except those of
round 5, and on all of them; both scored on the same test sentences: those
drawn at random (any round), those of rounds 1-4 and the seeds, and all. The
sampling pools written by scripts/sample_for_labelling.py (outside the repo:
they hold sentence text) say why each sentence was drawn. Thresholds are the
best on each test set's out-of-fold probabilities (the same for both runs).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score
from sklearn.model_selection import GroupKFold

from ofsted_nlp.dataset import load_training_data
from ofsted_nlp.labels import THEMES, fingerprint
from ofsted_nlp.model import best_thresholds, feature_union, polarity_classifier, theme_classifier


def main(pools: Path) -> None:
    why: dict[tuple[str, str], str] = {}
    for path in sorted(pools.glob("pool*.jsonl")):
        for line in open(path, encoding="utf-8"):
            r = json.loads(line)
            why.setdefault((r["doc"], r["fp"]), r.get("why", ""))
    data = load_training_data()
    X = np.asarray(data.texts, dtype=object)
    Y, y, groups = data.Y, np.asarray(data.polarity, dtype=object), np.asarray(data.groups, dtype=object)
    drawn = np.array([why.get((d, fingerprint(t)), "") for d, t in zip(data.documents, data.texts)])
    late = np.char.startswith(drawn.astype(str), "round5")
    tests = {"drawn at random": np.char.find(drawn.astype(str), "random") >= 0, "rounds 1-4 and seeds": ~late,
             "all": np.ones(len(y), bool)}
    print(f"{len(y)} sentences, {late.sum()} from round 5, {tests['drawn at random'].sum()} drawn at random")
    for name, leave_out in (("without round 5", late), ("with round 5", np.zeros(len(y), bool))):
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
            print(f"trained {name:16s} tested on {test_name:21s} (n={m.sum():5d}): theme macro-F1 {theme_f1:.3f}, "
                  f"polarity macro-F1 {f1_score(y[m], pol[m], average='macro'):.3f}, "
                  f"neutral F1 {f1_score(y[m], pol[m], labels=['neutral'], average=None)[0]:.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/labelwork"))
