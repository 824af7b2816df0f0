"""Train the shipped model and write its card: labels -> training table -> model -> card."""

from __future__ import annotations

import datetime as dt
import platform
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ofsted_nlp.tagging.model import DEFAULT_MODEL, OfstedModel, card_path
from ofsted_nlp.training.dataset import LABELS_DIR, SHARED_CORPUS, TrainingData, check_trainable, load_training_data
from ofsted_nlp.training.estimators import fit_model
from ofsted_nlp.training.export import save_model

THEME_PARAMS = {"C": 4.0}
POLARITY_PARAMS = {"C": 4.0}
FEATURE_PARAMS = {"word_ngrams": (1, 3), "codebook_weight": 1.0}
# Weight of a soft-labelled row against a gold one (times the teacher's probability), chosen on the
# teacher's validation authorities by `python scripts/heldout_eval.py --variants student` (docs/teacher.md).
SOFT_WEIGHT = 0.5


@dataclass
class SoftSentences:
    """The teacher's polarity probabilities on corpus findings, with their text re-read."""

    texts: list[str]
    polarity: np.ndarray  # (n, len(POLARITIES))
    unattached: int
    sha256: str
    path: str


def load_soft_sentences(path: Path, corpus: Path, gold_texts: list[str],
                        progress: Callable | None = None) -> SoftSentences:
    """Read a soft-label file, re-attach its rows to the corpus, and leave out the gold-labelled sentences."""
    from ofsted_nlp.reading.normal_form import normalise
    from ofsted_nlp.schema import THEMES
    from ofsted_nlp.tagging.model import sha256_of
    from ofsted_nlp.training.teacher.soft import attach_soft_labels, read_soft_labels

    rows = read_soft_labels(path)
    attached, missing = attach_soft_labels(rows, corpus, progress=progress)
    gold = {normalise(t) for t in gold_texts}
    kept = [r for r in attached if r.text is not None and normalise(r.text) not in gold]
    probs = np.array([r.probs[len(THEMES):] for r in kept], dtype=float).reshape(len(kept), -1)
    return SoftSentences([str(r.text) for r in kept], probs, len(missing), sha256_of(path), str(path))


def versions() -> dict[str, str]:
    import joblib
    import numpy
    import pandas
    import scipy
    import sklearn
    import spacy

    from ofsted_nlp import __version__

    return {
        "ofsted-nlp": __version__,
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "pandas": pandas.__version__,
        "joblib": joblib.__version__,
        "spacy": spacy.__version__,
    }


def train(data: TrainingData, soft: SoftSentences | None = None, soft_weight: float = SOFT_WEIGHT) -> OfstedModel:
    """Fit the model with the project's settings (deterministic: same data, same model).

    With ``soft``, polarity also learns from the teacher's soft labels
    (:func:`ofsted_nlp.training.estimators.fit_model`).
    """
    if soft is None:
        return fit_model(data.texts, data.Y, data.polarity, data.groups, dict(THEME_PARAMS), dict(POLARITY_PARAMS),
                         dict(FEATURE_PARAMS))
    return fit_model(data.texts, data.Y, data.polarity, data.groups, dict(THEME_PARAMS), dict(POLARITY_PARAMS),
                     dict(FEATURE_PARAMS), soft_texts=soft.texts, soft_polarity=soft.polarity,
                     soft_weight=soft_weight)


def make_card(model: OfstedModel, data: TrainingData, evaluation: dict | None, command: str,
              soft: SoftSentences | None = None, soft_weight: float = SOFT_WEIGHT) -> dict:
    card = {
        "trained_at": dt.date.today().isoformat(),
        "command": command,
        "versions": versions(),
        "data": {
            "sentences": len(data.texts),
            "documents": len(set(data.documents)),
            "authorities": len(set(data.groups)),
            "label_counts": data.label_counts(),
            "unattached": len(data.unattached),
            "fingerprint": data.fingerprint(),
        },
        "params": {"themes": THEME_PARAMS, "polarity": POLARITY_PARAMS, "features": FEATURE_PARAMS},
        "thresholds": model.thresholds,
        "evaluation": evaluation,
    }
    if soft is not None:
        card["soft_labels"] = {"file": Path(soft.path).name, "sha256": soft.sha256, "sentences": len(soft.texts),
                               "unattached": soft.unattached, "weight": soft_weight,
                               "used_for": "polarity (themes and vocabulary from the gold labels only)"}
    return card


def keep_previous(path: Path) -> Path | None:
    """Move an existing model and its card aside (``*.previous.*``) so nothing is lost."""
    if not path.exists():
        return None
    prev = path.with_name(path.stem + ".previous" + path.suffix)
    for src in (path, card_path(path), path.with_suffix(".md")):
        if src.exists():
            shutil.copy2(src, src.with_name(src.stem + ".previous" + src.suffix))
    return prev


def train_and_save(output: Path = DEFAULT_MODEL, labels_dir: Path = LABELS_DIR, corpus: Path = SHARED_CORPUS,
                   evaluate: bool = True, folds: int = 5, command: str = "ofsted-nlp train",
                   progress: Callable | None = None, say: Callable[[str], None] = print,
                   soft_labels: Path | None = None, soft_weight: float = SOFT_WEIGHT) -> dict:
    """Train on every label (and ``soft_labels``, a teacher's), evaluate by grouped CV for the card, save both.

    The card's cross-validation is of the gold labels alone: soft labels of a
    teacher that saw every authority would leak the test folds' labels. Labels a model cannot be fitted on
    (:func:`~ofsted_nlp.training.dataset.check_trainable`) raise LabelError before any fitting.
    """
    from ofsted_nlp.training.evaluation import cross_validate

    data = load_training_data(labels_dir, corpus, progress=progress)
    check_trainable(data, labels_dir)
    say(f"{len(data.texts)} labelled sentences from {len(set(data.documents))} documents; "
        f"{len(data.unattached)} labels could not be re-attached to their sentence")
    for lab in data.unattached[:20]:
        say(f"not re-attached: {lab.document} fingerprint {lab.fingerprint} (position {lab.position})")
    evaluation = None
    if evaluate:
        evaluation = cross_validate(data, n_splits=folds, theme_params=dict(THEME_PARAMS),
                                    polarity_params=dict(POLARITY_PARAMS), feature_params=dict(FEATURE_PARAMS))
        evaluation["command"] = f"ofsted-nlp evaluate --folds {folds}"
    soft = None
    if soft_labels is not None:
        soft = load_soft_sentences(Path(soft_labels), corpus, data.texts, progress=progress)
        say(f"{len(soft.texts)} soft-labelled sentences from {Path(soft_labels).name} (gold ones left out); "
            f"{soft.unattached} rows could not be re-attached")
    model = train(data, soft, soft_weight)
    keep_previous(Path(output))
    return save_model(model, output, make_card(model, data, evaluation, command, soft, soft_weight))
