"""The tagger: TF-IDF (words and characters) plus the codebook's vocabulary, and logistic regression.

Themes are one-vs-rest, each with its own decision threshold chosen by
grouped cross-validation on the training data; polarity is its own
multinomial classifier. ``load_model`` checks the artefact's sha256 against
its model card before unpickling it, because a joblib file can run code.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

from . import keywords
from .labels import POLARITIES, THEMES

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_MODEL = MODELS_DIR / "ofsted-nlp.joblib"
THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.025), 3)


class ModelError(Exception):
    """The model file cannot be used (missing, altered, or not a model)."""


class CodebookFeatures(TransformerMixin, BaseEstimator):
    """Counts of the codebook's theme words, polarity cues and shape cues, as features.

    Stateless: ``fit`` learns nothing but the number of output features, so the
    transformer follows scikit-learn's contract and can sit in a FeatureUnion
    beside TF-IDF.
    """

    def __init__(self, themes: bool = True, polarity: bool = True, shape: bool = True):
        self.themes = themes
        self.polarity = polarity
        self.shape = shape

    def fit(self, X, y=None):
        self.n_features_out_ = len(self._names())
        return self

    def _names(self) -> list[str]:
        names = []
        if self.themes:
            names += [f"codebook:{t}" for t in THEMES]
        if self.polarity:
            names += [f"cue:{p}" for p in POLARITIES]
        if self.shape:
            names += [f"shape:{s}" for s in keywords.SHAPE_NAMES]
        return names

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self._names(), dtype=object)

    def transform(self, X):
        rows = []
        for text in X:
            row: list[float] = []
            if self.themes:
                hits = keywords.theme_hits(text)
                row += [float(np.log1p(hits[t])) for t in THEMES]
            if self.polarity:
                row += [float(np.log1p(len(keywords._POLARITY[p].findall(text)))) for p in POLARITIES]
            if self.shape:
                row += keywords.shape_features(text)
            rows.append(row)
        return sparse.csr_matrix(np.asarray(rows, dtype=float).reshape(len(rows), -1))


def _features(word_ngrams: tuple[int, int], codebook: CodebookFeatures, codebook_weight: float) -> FeatureUnion:
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=word_ngrams, min_df=2, sublinear_tf=True, lowercase=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True,
                                      max_features=40000)),
            ("codebook", codebook),
        ],
        transformer_weights={"words": 1.0, "chars": 1.0, "codebook": codebook_weight},
    )


def theme_pipeline(C: float = 4.0, codebook_weight: float = 1.0) -> Pipeline:
    """Untrained multi-label theme classifier."""
    return Pipeline(
        [
            ("features", _features((1, 2), CodebookFeatures(themes=True, polarity=False, shape=False), codebook_weight)),
            ("clf", OneVsRestClassifier(LogisticRegression(C=C, class_weight="balanced", max_iter=3000))),
        ]
    )


def polarity_pipeline(C: float = 4.0, codebook_weight: float = 0.5) -> Pipeline:
    """Untrained three-class polarity classifier."""
    return Pipeline(
        [
            ("features", _features((1, 3), CodebookFeatures(themes=False, polarity=True, shape=True), codebook_weight)),
            ("clf", LogisticRegression(C=C, class_weight="balanced", max_iter=3000)),
        ]
    )


def choose_thresholds(texts: Sequence[str], Y: np.ndarray, groups: Sequence[str], n_splits: int = 5,
                      **params) -> dict[str, float]:
    """Per-theme decision thresholds that maximise F1 on out-of-fold probabilities (folds by authority)."""
    texts = np.asarray(texts, dtype=object)
    n_splits = min(n_splits, len(set(groups)))
    oof = np.zeros(Y.shape, dtype=float)
    for train, test in GroupKFold(n_splits=n_splits).split(texts, Y, groups):
        pipe = theme_pipeline(**params).fit(texts[train], Y[train])
        oof[test] = pipe.predict_proba(texts[test])
    out = {}
    for j, theme in enumerate(THEMES):
        best, best_t = -1.0, 0.5
        for t in THRESHOLD_GRID:
            pred = oof[:, j] >= t
            tp = float(np.sum(pred & (Y[:, j] == 1)))
            fp = float(np.sum(pred & (Y[:, j] == 0)))
            fn = float(np.sum(~pred & (Y[:, j] == 1)))
            f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
            if f1 > best + 1e-9:
                best, best_t = f1, float(t)
        out[theme] = best_t
    return out


@dataclass
class OfstedModel:
    """A trained tagger: themes (with thresholds) and polarity."""

    themes: Pipeline
    thresholds: dict[str, float]
    polarity: Pipeline
    info: dict = field(default_factory=dict)

    def predict(self, texts: Sequence[str]) -> pd.DataFrame:
        """Tag sentences.

        Returns one row per text with columns ``text``, ``themes`` (tuple of
        theme names), ``polarity``, ``p_<theme>`` for each theme and
        ``p_<polarity>`` for each polarity class.
        """
        texts = [str(t) for t in texts]
        cols: dict[str, object] = {"text": texts}
        if not texts:
            frame = pd.DataFrame({"text": [], "themes": [], "polarity": []})
            for t in THEMES:
                frame[f"p_{t}"] = []
            for p in POLARITIES:
                frame[f"p_{p}"] = []
            return frame
        P = self.themes.predict_proba(texts)
        chosen = P >= np.array([self.thresholds[t] for t in THEMES])
        cols["themes"] = [tuple(t for j, t in enumerate(THEMES) if row[j]) for row in chosen]
        Q = self.polarity.predict_proba(texts)
        classes = list(self.polarity.classes_)
        cols["polarity"] = [str(classes[i]) for i in Q.argmax(axis=1)]
        for j, t in enumerate(THEMES):
            cols[f"p_{t}"] = P[:, j]
        for p in POLARITIES:
            cols[f"p_{p}"] = Q[:, classes.index(p)]
        return pd.DataFrame(cols)


def fit_model(texts: Sequence[str], Y: np.ndarray, polarity: Sequence[str], groups: Sequence[str],
              theme_params: dict | None = None, polarity_params: dict | None = None) -> OfstedModel:
    """Train themes (with thresholds chosen by grouped CV) and polarity on labelled sentences."""
    theme_params = theme_params or {}
    polarity_params = polarity_params or {}
    texts = list(texts)
    thresholds = choose_thresholds(texts, Y, groups, **theme_params)
    themes = theme_pipeline(**theme_params).fit(texts, Y)
    pol = polarity_pipeline(**polarity_params).fit(texts, list(polarity))
    return OfstedModel(themes, thresholds, pol, {"theme_params": theme_params, "polarity_params": polarity_params})


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def card_path(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(".json")


def save_model(model: OfstedModel, path: str | Path, card: dict) -> dict:
    """Write the model with joblib and its card (``.json`` and ``.md``) beside it, each whole or not at all."""
    import joblib

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    joblib.dump(model, tmp, compress=3)
    card = dict(card)
    card["sha256"] = sha256_of(tmp)
    card["artefact"] = path.name
    from .card import render_markdown

    cj = card_path(path)
    cj_tmp = cj.with_name(cj.name + ".tmp")
    cj_tmp.write_text(json.dumps(card, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    md = path.with_suffix(".md")
    md_tmp = md.with_name(md.name + ".tmp")
    md_tmp.write_text(render_markdown(card), encoding="utf-8")
    tmp.replace(path)
    cj_tmp.replace(cj)
    md_tmp.replace(md)
    return card


def load_model(path: str | Path | None = None) -> OfstedModel:
    """Load a trained model, by default the one shipped in ``models/``.

    The file's sha256 must match the one in its model card (``.json`` beside
    it) or the file is refused unopened. A scikit-learn version other than the
    one the model was trained with gives a warning naming both.
    """
    path = Path(path) if path is not None else DEFAULT_MODEL
    if not path.exists():
        raise ModelError(f"{path}: no such model file (train one with `ofsted-nlp train`)")
    cj = card_path(path)
    if not cj.exists():
        raise ModelError(f"{path}: no model card {cj.name} beside it, so its checksum cannot be verified")
    try:
        card = json.loads(cj.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{cj}: unreadable model card ({exc})") from None
    digest = sha256_of(path)
    if card.get("sha256") != digest:
        raise ModelError(
            f"{path}: sha256 {digest[:12]}… does not match its model card ({str(card.get('sha256'))[:12]}…); "
            "refusing to load a file that may have been altered"
        )
    import joblib
    import sklearn

    trained = card.get("versions", {}).get("scikit-learn")
    if trained and trained != sklearn.__version__:
        warnings.warn(
            f"model trained with scikit-learn {trained}, running {sklearn.__version__}; predictions may differ",
            UserWarning,
            stacklevel=2,
        )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Trying to unpickle estimator.*")
        model = joblib.load(path)
    if not isinstance(model, OfstedModel):
        raise ModelError(f"{path}: not an ofsted-nlp model")
    model.info["card"] = card
    return model
