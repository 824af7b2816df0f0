"""Score tagger variants on the held-out authorities (ofsted_nlp.splits), side by side.

Every variant is trained on the labels of the training authorities only and
scored on the held-out authorities' labels: all of them, those drawn at random
(the fairest guide to a new document), and by kind of document (focused-visit
letters, reports). Nothing here is tuned on the held-out side.

    python scripts/heldout_eval.py --out /work/heldout/eval.json
    python scripts/heldout_eval.py --variants shipped,plain --soft /work/teacher/soft.csv.gz

The re-read training data is cached (``--cache``) so that later runs skip the
re-reading of the corpus; delete the cache after the labels or the reader change.
Progress goes to stderr; the table to stdout.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ofsted_nlp import keywords  # noqa: E402
from ofsted_nlp.dataset import SHARED_CORPUS, TrainingData, load_training_data  # noqa: E402
from ofsted_nlp.evaluation import _scores  # noqa: E402
from ofsted_nlp.model import feature_union, fit_model, polarity_classifier  # noqa: E402
from ofsted_nlp.schema import THEMES  # noqa: E402
from ofsted_nlp.splits import heldout_mask, label_strata, load_heldout  # noqa: E402


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def load(cache: Path) -> TrainingData:
    if cache.exists():
        with open(cache, "rb") as fh:
            return pickle.load(fh)
    log("re-reading the labelled corpus documents")
    data = load_training_data()
    cache.parent.mkdir(parents=True, exist_ok=True)
    with open(cache, "wb") as fh:
        pickle.dump(data, fh)
    return data


def subset(data: TrainingData, mask: np.ndarray) -> TrainingData:
    idx = np.flatnonzero(mask)
    return TrainingData(
        texts=[data.texts[i] for i in idx], Y=data.Y[idx], polarity=[data.polarity[i] for i in idx],
        documents=[data.documents[i] for i in idx], groups=[data.groups[i] for i in idx], unattached=[],
        drawn=[data.drawn[i] for i in idx] if data.drawn else [],
    )


def theme_matrix(themes) -> np.ndarray:
    return np.array([[1 if t in ts else 0 for t in THEMES] for ts in themes]).reshape(len(themes), len(THEMES))


def score_all(test: TrainingData, strata: list[str], pred_Y: np.ndarray, pred_pol: list[str]) -> dict:
    out = {}
    drawn = np.array([d == "random" for d in test.drawn]) if test.drawn else np.zeros(len(test.texts), bool)
    kinds = np.array(strata)
    for name, mask in (("all", np.ones(len(test.texts), bool)), ("random", drawn),
                       ("random letters", drawn & (kinds == "letters")),
                       ("random reports", drawn & (kinds == "reports")),
                       ("letters", kinds == "letters"), ("reports", kinds == "reports")):
        if mask.sum() == 0:
            continue
        idx = np.flatnonzero(mask)
        s = _scores(test.Y[idx], pred_Y[idx], [test.polarity[i] for i in idx], [pred_pol[i] for i in idx])
        s["sentences"] = int(mask.sum())
        out[name] = s
    return out


def soft_sentences(soft: Path, heldout_codes: frozenset[str], gold_docs: set[str]) -> tuple[list[str], np.ndarray]:
    """The soft-labelled findings of training authorities (texts re-read from the corpus) and their polarity
    probabilities (positive, negative, neutral), gold-labelled sentences left out."""
    import csv
    import gzip

    from ofsted_nlp.labels import fingerprint

    files = sorted(soft.glob("*.csv")) if soft.is_dir() else [soft]
    wanted: dict[str, dict[str, np.ndarray]] = {}
    for f in files:
        opener = gzip.open if f.suffix == ".gz" else open
        with opener(f, "rt", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["new_la_code"] in heldout_codes:
                    continue
                probs = np.array([float(row[k]) for k in ("positive", "negative", "neutral")])
                wanted.setdefault(row["document"], {})[row["fingerprint"]] = probs
    log(f"soft labels for {sum(map(len, wanted.values()))} findings of {len(wanted)} training documents")
    paths = [p for d in sorted(wanted) for p in SHARED_CORPUS.glob(f"*/{d}.pdf")]
    texts, probs = [], []
    for path in paths:
        mine = wanted.get(path.stem, {})
        for text in _finding_texts(str(path)):
            q = mine.get(fingerprint(text))
            if q is not None:
                texts.append(text)
                probs.append(q)
    return texts, np.vstack(probs)


def _finding_texts(path: str) -> list[str]:
    import warnings

    from ofsted_nlp.letter import read_letter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [f.text for f in read_letter(path).findings]


def student_soft(train: TrainingData, test: TrainingData, soft: Path, gold_docs: set[str]):
    """Polarity: gold labels plus, per soft-labelled sentence, one row per class weighted by the teacher's
    probability (classes under 0.05 left out). Features fitted on all of these training texts."""
    from ofsted_nlp.labels import normalise
    from ofsted_nlp.splits import load_heldout

    texts, probs = soft_sentences(soft, load_heldout(), gold_docs)
    gold = {normalise(t) for t in train.texts} | {normalise(t) for t in test.texts}
    keep = [i for i, t in enumerate(texts) if normalise(t) not in gold]
    texts, probs = [texts[i] for i in keep], probs[keep]
    log(f"{len(texts)} soft-labelled sentences after leaving out gold ones")
    classes = ("positive", "negative", "neutral")
    rows_text, rows_y, rows_w = list(train.texts), list(train.polarity), [1.0] * len(train.texts)
    for t, q in zip(texts, probs):
        for k, c in enumerate(classes):
            if q[k] >= 0.05:
                rows_text.append(t)
                rows_y.append(c)
                rows_w.append(float(q[k]))
    features = feature_union()
    features.fit(list(train.texts) + texts)
    X = features.transform(rows_text)
    clf = polarity_classifier(C=4.0).fit(X, rows_y, sample_weight=np.asarray(rows_w))
    pred_pol = [str(p) for p in clf.predict(features.transform(test.texts))]
    return np.zeros_like(test.Y), pred_pol


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("/work/heldout/trainingdata.pkl"))
    ap.add_argument("--out", type=Path, default=Path("/work/heldout/eval.json"))
    ap.add_argument("--variants", default="keywords,pol-balanced,pol-unweighted,pol-C1,pol-C16,pol-unweighted-C16,shipped")
    ap.add_argument("--soft", type=Path, default=None,
                    help="the teacher's soft labels (teacher_soft.csv.gz or its folder of parts): enables the "
                         "'student-soft' variant, polarity trained on gold plus soft labels of training authorities")
    args = ap.parse_args()

    data = load(args.cache)
    held = heldout_mask(data.groups, load_heldout())
    train, test = subset(data, ~held), subset(data, held)
    strata = label_strata(test.documents, SHARED_CORPUS)
    log(f"{len(train.texts)} training labels, {len(test.texts)} held out "
        f"({sum(d == 'random' for d in test.drawn)} drawn at random)")
    results: dict[str, dict] = {}
    if args.out.exists():
        results = json.loads(args.out.read_text())
    wanted = [v for v in args.variants.split(",") if v]

    def save() -> None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1))

    features = None
    X_train = X_test = None
    for variant in wanted:
        if variant in results:
            log(f"{variant}: done before, kept")
            continue
        log(f"{variant}: training")
        if variant == "keywords":
            pred_Y = theme_matrix([keywords.keyword_themes(t) for t in test.texts])
            pred_pol = [keywords.keyword_polarity(t) for t in test.texts]
        elif variant == "shipped":  # today's configuration: thresholds by grouped CV, balanced polarity
            model = fit_model(train.texts, train.Y, train.polarity, train.groups, {"C": 4.0}, {"C": 4.0},
                              {"word_ngrams": (1, 3), "codebook_weight": 1.0})
            out = model.predict(test.texts)
            pred_Y, pred_pol = theme_matrix(out["themes"]), list(out["polarity"])
        elif variant == "student-soft":
            pred_Y, pred_pol = student_soft(train, test, args.soft, set(data.documents))
        else:  # polarity variants on the same features; themes as shipped would be costly to redo: polarity only
            if features is None:
                features = feature_union()
                X_train = features.fit_transform(train.texts)
                X_test = features.transform(test.texts)
            params = {"pol-unweighted": {"C": 4.0, "class_weight": None}, "pol-C1": {"C": 1.0},
                      "pol-C16": {"C": 16.0}, "pol-unweighted-C16": {"C": 16.0, "class_weight": None},
                      "pol-balanced": {"C": 4.0}}[variant]
            clf = polarity_classifier(C=params["C"])
            if "class_weight" in params:
                clf.set_params(class_weight=params["class_weight"])
            clf.fit(X_train, train.polarity)
            pred_pol = [str(p) for p in clf.predict(X_test)]
            pred_Y = np.zeros_like(test.Y)
        results[variant] = score_all(test, strata, pred_Y, pred_pol)
        save()
        r = results[variant]["random"]
        log(f"{variant}: random-drawn polarity acc {r['polarity_accuracy']:.3f} macro-F1 {r['polarity_macro_f1']:.3f}"
            f" theme macro-F1 {r['theme_macro_f1']:.3f}")
    print(f"{'variant':16} {'subset':16} {'n':>5} {'pol acc':>8} {'pol F1':>8} {'neutral':>8} {'theme F1':>9}")
    for variant in wanted:
        for name, s in results.get(variant, {}).items():
            print(f"{variant:16} {name:16} {s['sentences']:5d} {s['polarity_accuracy']:8.3f} "
                  f"{s['polarity_macro_f1']:8.3f} {s['per_polarity']['neutral']['f1']:8.3f} {s['theme_macro_f1']:9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
