"""Agreement between the first and second readers on the doubly labelled sentences.

    python scripts/agreement.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score

from ofsted_nlp.training.labels import POLARITIES, THEMES, load_corpus_labels

LABELS = Path(__file__).resolve().parent.parent / "data" / "labels"


def main() -> None:
    first = {(x.document, x.fingerprint): x for x in load_corpus_labels(LABELS / "corpus.csv")}
    second = [x for x in load_corpus_labels(LABELS / "second_reader.csv") if (x.document, x.fingerprint) in first]
    a = [first[(x.document, x.fingerprint)] for x in second]
    pa, pb = [x.polarity for x in a], [x.polarity for x in second]
    print(f"sentences labelled twice: {len(second)}")
    print(f"polarity: accuracy {accuracy_score(pa, pb):.3f}, kappa {cohen_kappa_score(pa, pb):.3f}, "
          f"macro-F1 {f1_score(pa, pb, average='macro'):.3f}")
    per = f1_score(pa, pb, average=None, labels=list(POLARITIES))
    print("polarity F1 by class: " + ", ".join(f"{p} {v:.2f}" for p, v in zip(POLARITIES, per)))
    f1s = []
    for t in THEMES:
        ya = np.array([t in x.themes for x in a])
        yb = np.array([t in x.themes for x in second])
        f1s.append(f1_score(ya, yb))
        print(f"{t:13} F1 {f1s[-1]:.3f}  kappa {cohen_kappa_score(ya, yb):.3f}  ({ya.sum()} / {yb.sum()} positive)")
    print(f"theme macro-F1 between readers: {np.mean(f1s):.3f}")


if __name__ == "__main__":
    main()
