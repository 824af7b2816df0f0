"""Score tagger variants on the held-out authorities (ofsted_nlp.training.splits), side by side.

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

from ofsted_nlp.schema import POLARITIES, THEMES  # noqa: E402
from ofsted_nlp.tagging import codebook as keywords  # noqa: E402
from ofsted_nlp.training.cells import cell_agreement  # noqa: E402
from ofsted_nlp.training.dataset import SHARED_CORPUS, TrainingData, load_training_data  # noqa: E402
from ofsted_nlp.training.estimators import feature_union, fit_model, polarity_classifier  # noqa: E402
from ofsted_nlp.training.evaluation import label_scores  # noqa: E402
from ofsted_nlp.training.splits import heldout_mask, label_strata, load_heldout  # noqa: E402


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


def themes_of_rows(Y: np.ndarray) -> list[tuple[str, ...]]:
    return [tuple(t for t, y in zip(THEMES, row) if y) for row in Y]


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
        s = label_scores(test.Y[idx], pred_Y[idx], [test.polarity[i] for i in idx], [pred_pol[i] for i in idx])
        s["sentences"] = int(mask.sum())
        # the matrix as a metric: held-out authority x theme cells (>= 2 positive/negative findings by the
        # readers' labels) whose sign the model's own themes and polarity get right
        s["cells"] = cell_agreement([test.groups[i] for i in idx], themes_of_rows(test.Y[idx]),
                                    [test.polarity[i] for i in idx], themes_of_rows(pred_Y[idx]),
                                    [pred_pol[i] for i in idx]).as_dict()
        out[name] = s
    return out


def soft_sentences(soft: Path, heldout_codes: frozenset[str], gold_docs: set[str]
                   ) -> tuple[list[str], np.ndarray, list[str]]:
    """The soft-labelled findings of training authorities (texts re-read from the corpus), their polarity
    probabilities (in POLARITIES order) and their authority codes."""
    import csv
    import gzip

    from ofsted_nlp.training.labels import fingerprint

    files = sorted(soft.glob("*.csv")) if soft.is_dir() else [soft]
    wanted: dict[str, dict[str, np.ndarray]] = {}
    code_of: dict[str, str] = {}
    for f in files:
        opener = gzip.open if f.suffix == ".gz" else open
        with opener(f, "rt", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["new_la_code"] in heldout_codes:
                    continue
                probs = np.array([float(row[k]) for k in POLARITIES])
                wanted.setdefault(row["document"], {})[row["fingerprint"]] = probs
                code_of[row["document"]] = row["new_la_code"]
    log(f"soft labels for {sum(map(len, wanted.values()))} findings of {len(wanted)} training documents")
    paths = [p for d in sorted(wanted) for p in SHARED_CORPUS.glob(f"*/{d}.pdf")]
    texts, probs, codes = [], [], []
    for path in paths:
        mine = wanted.get(path.stem, {})
        for text in _finding_texts(str(path)):
            q = mine.get(fingerprint(text))
            if q is not None:
                texts.append(text)
                probs.append(q)
                codes.append(code_of[path.stem])
    return texts, np.vstack(probs), codes


def _finding_texts(path: str) -> list[str]:
    import warnings

    from ofsted_nlp.reading.letter import read_letter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [f.text for f in read_letter(path).findings]


def training_soft(data: TrainingData, soft: Path) -> tuple[list[str], np.ndarray, list[str]]:
    """Soft-labelled sentences of training authorities, gold-labelled sentences left out."""
    from ofsted_nlp.training.labels import normalise

    texts, probs, codes = soft_sentences(soft, load_heldout(), set(data.documents))
    gold = {normalise(t) for t in data.texts}
    keep = [i for i, t in enumerate(texts) if normalise(t) not in gold]
    log(f"{len(keep)} soft-labelled sentences after leaving out gold ones")
    return [texts[i] for i in keep], probs[keep], [codes[i] for i in keep]


def polarity_only(train: TrainingData, test_texts: list[str], soft_texts: list[str], soft_probs: np.ndarray,
                  weight: float) -> list[str]:
    """Polarity as the shipped student learns it (features from gold sentences; gold rows plus soft rows)."""
    from ofsted_nlp.training.estimators import fit_polarity

    features = feature_union()
    X = features.fit_transform(train.texts)
    clf = fit_polarity(features, X, train.polarity, {"C": 4.0}, soft_texts, soft_probs, weight)
    return [str(p) for p in clf.predict(features.transform(test_texts))]


def choose_weight(train: TrainingData, soft: tuple[list[str], np.ndarray, list[str]], weights: list[float]
                  ) -> tuple[float, dict]:
    """The soft-label weight with the best polarity macro-F1 on the validation authorities' random-drawn labels.

    Validation authorities (splits.validation_mask, the teacher's own) are a fifteenth-ish of the training
    ones; the student is trained on the rest, with soft labels of the rest's documents only.
    """
    from sklearn.metrics import f1_score

    from ofsted_nlp.training.splits import validation_mask

    strata = label_strata(train.documents, SHARED_CORPUS)
    val = validation_mask(train.groups, strata, np.zeros(len(train.texts), dtype=bool))
    fit, check = subset(train, ~val), subset(train, val)
    val_codes = {g for g, v in zip(train.groups, val) if v}
    texts, probs, codes = soft
    keep = [i for i, c in enumerate(codes) if c not in val_codes]
    s_texts, s_probs = [texts[i] for i in keep], probs[keep]
    random = [i for i, d in enumerate(check.drawn) if d == "random"]
    gold = [check.polarity[i] for i in random]
    log(f"choosing the weight: {len(fit.texts)} gold labels and {len(s_texts)} soft sentences to train, "
        f"{len(random)} random-drawn validation labels of {len(val_codes)} authorities")
    results = {}
    for w in weights:
        pred = polarity_only(fit, [check.texts[i] for i in random], s_texts, s_probs, w)
        results[w] = {"macro_f1": float(f1_score(gold, pred, average="macro")),
                      "accuracy": float(np.mean([a == b for a, b in zip(pred, gold)]))}
        log(f"weight {w}: validation polarity macro-F1 {results[w]['macro_f1']:.3f} "
            f"accuracy {results[w]['accuracy']:.3f}")
    best = max(weights, key=lambda w: (results[w]["macro_f1"], -w))
    return best, {str(w): r for w, r in results.items()}


NAMES = {
    "keywords": "keyword tagger",
    "shipped": "gold labels only (the configuration before distillation)",
    "pol-unweighted": "gold labels only, polarity without class weights",
    "student": "this model: gold labels and the teacher's soft labels",
    "accurate": "the accurate model (teacher, int8 ONNX)",
}


def write_into_card(card_path: Path, results: dict, variants: list[str], authorities: int, argv: str) -> None:
    """Put the random-drawn held-out scores into a model card (JSON) and render its markdown again."""
    from ofsted_nlp.tagging.card import render_markdown

    card = json.loads(card_path.read_text(encoding="utf-8"))
    systems = {}
    for v in variants:
        r = results.get(v, {}).get("random")
        if r is None or v.startswith(("soft-", "pol-C")) or v == "pol-balanced":
            continue
        systems[NAMES.get(v, v)] = {"theme_macro_f1": r["theme_macro_f1"] if r["theme_macro_f1"] else None,
                                    "polarity_macro_f1": r["polarity_macro_f1"],
                                    "polarity_accuracy": r["polarity_accuracy"],
                                    "neutral_f1": r["per_polarity"]["neutral"]["f1"]}
        cells = results.get(v, {}).get("all", {}).get("cells")
        if cells:  # authority x theme cells of all held-out labels (random draws alone make too few)
            systems[NAMES.get(v, v)]["cells_right"] = cells["share_right"]
            systems[NAMES.get(v, v)]["cells_flipped"] = cells["flipped"]
            systems[NAMES.get(v, v)]["cells"] = cells["cells"]
    sentences = next(iter(results[v]["random"]["sentences"] for v in variants if v in results))
    card["heldout"] = {"authorities": authorities, "sentences": sentences,
                       "command": f"python scripts/heldout_eval.py {argv}", "systems": systems}
    tmp = card_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    tmp.replace(card_path)
    card_path.with_suffix(".md").write_text(render_markdown(card), encoding="utf-8")
    log(f"held-out scores written into {card_path}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("/work/heldout/trainingdata.pkl"))
    ap.add_argument("--out", type=Path, default=Path("/work/heldout/eval.json"))
    ap.add_argument("--variants", default="keywords,pol-balanced,pol-unweighted,pol-C1,pol-C16,pol-unweighted-C16,shipped")
    ap.add_argument("--soft", type=Path, default=None,
                    help="the teacher's soft labels (teacher_soft.csv.gz or its folder of parts): enables the "
                         "'student' variant: the shipped configuration, polarity also trained on the soft labels "
                         "of training authorities")
    ap.add_argument("--weights", default="0.25,0.5,1,2",
                    help="soft-label weights to choose among, on validation authorities (student variant)")
    ap.add_argument("--accurate", type=Path, default=None,
                    help="an accurate-model folder (scripts/export_accurate.py) of a teacher that never saw the "
                         "held-out labels: enables the 'accurate' variant")
    ap.add_argument("--card", type=Path, default=None,
                    help="write the random-drawn scores of the variants run into this model card (its .json; the "
                         ".md beside it is rendered again)")
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
    extra: dict = {}
    soft_cache = None
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
        elif variant == "student":  # the shipped configuration plus the teacher's soft labels
            soft = training_soft(data, args.soft)
            weight, chosen = choose_weight(train, soft, [float(w) for w in args.weights.split(",")])
            log(f"student: soft-label weight {weight} chosen on validation authorities")
            model = fit_model(train.texts, train.Y, train.polarity, train.groups, {"C": 4.0}, {"C": 4.0},
                              {"word_ngrams": (1, 3), "codebook_weight": 1.0},
                              soft_texts=soft[0], soft_polarity=soft[1], soft_weight=weight)
            out = model.predict(test.texts)
            pred_Y, pred_pol = theme_matrix(out["themes"]), list(out["polarity"])
            extra = {"weight": weight, "validation": chosen}
        elif variant.startswith("soft-"):  # how polarity grows with soft-labelled sentences (learning curve)
            if soft_cache is None:
                soft_cache = training_soft(data, args.soft)
            weight = results.get("student", {}).get("_chosen", {}).get("weight", 0.5)
            n = len(soft_cache[0]) if variant == "soft-all" else int(variant[5:])
            pick = np.sort(np.random.default_rng(7).permutation(len(soft_cache[0]))[:n])
            pred_pol = polarity_only(train, test.texts, [soft_cache[0][i] for i in pick], soft_cache[1][pick],
                                     weight)
            pred_Y = np.zeros_like(test.Y)
            extra = {"weight": weight, "soft_sentences": int(n)}
        elif variant == "accurate":
            from ofsted_nlp.tagging.accurate import load_accurate

            out = load_accurate(args.accurate).predict(test.texts)
            pred_Y, pred_pol = theme_matrix(out["themes"]), list(out["polarity"])
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
        if extra:
            results[variant]["_chosen"] = extra
            extra = {}
        save()
        r = results[variant]["random"]
        log(f"{variant}: random-drawn polarity acc {r['polarity_accuracy']:.3f} macro-F1 {r['polarity_macro_f1']:.3f}"
            f" theme macro-F1 {r['theme_macro_f1']:.3f}")
    if args.card:
        write_into_card(args.card, results, wanted, len(set(test.groups)), " ".join(sys.argv[1:]))
    print(f"{'variant':16} {'subset':16} {'n':>5} {'pol acc':>8} {'pol F1':>8} {'neutral':>8} {'theme F1':>9} "
          f"{'cells':>5} {'right':>6} {'flip':>4}")
    for variant in wanted:
        for name, s in results.get(variant, {}).items():
            if name.startswith("_"):
                continue
            print(f"{variant:16} {name:16} {s['sentences']:5d} {s['polarity_accuracy']:8.3f} "
                  f"{s['polarity_macro_f1']:8.3f} {s['per_polarity']['neutral']['f1']:8.3f} {s['theme_macro_f1']:9.3f} "
                  f"{s['cells']['cells']:5d} {s['cells']['share_right']:6.1%} {s['cells']['flipped']:4d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
