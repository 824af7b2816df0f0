"""Train the shipped model and write its card: labels -> training table -> model -> card."""

from __future__ import annotations

import datetime as dt
import platform
import shutil
from pathlib import Path
from typing import Callable

from .dataset import LABELS_DIR, SHARED_CORPUS, TrainingData, load_training_data
from .model import DEFAULT_MODEL, OfstedModel, card_path, fit_model, save_model

THEME_PARAMS = {"C": 4.0}
POLARITY_PARAMS = {"C": 4.0}
FEATURE_PARAMS = {"word_ngrams": (1, 3), "codebook_weight": 1.0}


def versions() -> dict[str, str]:
    import joblib
    import numpy
    import pandas
    import scipy
    import sklearn
    import spacy

    from . import __version__

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


def train(data: TrainingData) -> OfstedModel:
    """Fit the model with the project's settings (deterministic: same data, same model)."""
    return fit_model(data.texts, data.Y, data.polarity, data.groups, dict(THEME_PARAMS), dict(POLARITY_PARAMS),
                     dict(FEATURE_PARAMS))


def make_card(model: OfstedModel, data: TrainingData, evaluation: dict | None, command: str) -> dict:
    return {
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
                   progress: Callable | None = None, say: Callable[[str], None] = print) -> dict:
    """Train on every label, evaluate by grouped CV for the card, and save both."""
    from .evaluation import cross_validate

    data = load_training_data(labels_dir, corpus, progress=progress)
    say(f"{len(data.texts)} labelled sentences from {len(set(data.documents))} documents; "
        f"{len(data.unattached)} labels could not be re-attached to their sentence")
    for lab in data.unattached[:20]:
        say(f"not re-attached: {lab.document} fingerprint {lab.fingerprint} (position {lab.position})")
    evaluation = None
    if evaluate:
        evaluation = cross_validate(data, n_splits=folds, theme_params=dict(THEME_PARAMS),
                                    polarity_params=dict(POLARITY_PARAMS), feature_params=dict(FEATURE_PARAMS))
        evaluation["command"] = f"ofsted-nlp evaluate --folds {folds}"
    model = train(data)
    keep_previous(Path(output))
    return save_model(model, output, make_card(model, data, evaluation, command))
