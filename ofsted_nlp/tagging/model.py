"""The tagger: TF-IDF (words and characters) plus the codebook's vocabulary, and logistic regression.

Both classifiers read the same features, computed once per sentence. Themes
are one-vs-rest, each with its own decision threshold chosen by grouped
cross-validation on the training data; polarity is its own multinomial
classifier. The model is saved as arrays and JSON (:mod:`ofsted_nlp.tagging.modelfile`),
so loading it runs no code; its sha256 is checked against the model card
beside it, which guards against a damaged or half-copied file (not against
someone who can replace both).
"""

from __future__ import annotations

import hashlib
import json
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Sequence, overload

import numpy as np

from ofsted_nlp.errors import ModelError
from ofsted_nlp.schema import POLARITIES, THEMES
from ofsted_nlp.tagging.tags import Tags, check_layout, decide, tags_frame

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion

    from ofsted_nlp.tagging.accurate import AccurateModel
    from ofsted_nlp.tagging.scorer import LinearScorer
    from ofsted_nlp.training.features import CodebookFeatures

__all__ = ["OfstedModel", "ModelError", "CodebookFeatures", "fit_model", "load_model", "save_model"]

# The shipped model is package data: found wherever the package is installed.
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_MODEL = MODELS_DIR / "ofsted-nlp.npz"
# Where `ofsted-nlp train` writes a model a user trains (relative to the current folder: the project
# layout's top-level models/), so that training never replaces the shipped one unless told to.
USER_MODEL = Path("models") / "ofsted-nlp.npz"
THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.025), 3)


def __getattr__(name: str) -> Any:
    if name == "CodebookFeatures":  # scikit-learn's transformer: imported when asked for
        from ofsted_nlp.training.features import CodebookFeatures

        return CodebookFeatures
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def feature_union(word_ngrams: tuple[int, int] = (1, 3), codebook_weight: float = 1.0) -> FeatureUnion:
    """The features both classifiers share, computed once per sentence.

    Word 1-3-grams and character 3-5-grams (TF-IDF), plus the codebook's
    vocabulary counts and cues of form.
    """
    from sklearn.pipeline import FeatureUnion

    from ofsted_nlp.training.features import CharNgramTfidf, CodebookFeatures, WordNgramTfidf

    return FeatureUnion(
        [
            ("words", WordNgramTfidf(ngram_range=word_ngrams, min_df=2, sublinear_tf=True)),
            ("chars", CharNgramTfidf(ngram_range=(3, 5), min_df=3, max_features=40000)),
            ("codebook", CodebookFeatures()),
        ],
        transformer_weights={"words": 1.0, "chars": 1.0, "codebook": codebook_weight},
    )


def theme_classifier(C: float = 4.0) -> OneVsRestClassifier:
    """Untrained one-vs-rest theme classifier (class weights balanced per theme)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    return OneVsRestClassifier(LogisticRegression(C=C, class_weight="balanced", max_iter=3000))


def polarity_classifier(C: float = 4.0) -> LogisticRegression:
    """Untrained three-class polarity classifier."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight="balanced", max_iter=3000)


def best_thresholds(P: np.ndarray, Y: np.ndarray) -> dict[str, float]:
    """Per theme, the threshold on the probabilities ``P`` that maximises F1 against ``Y``."""
    out = {}
    for j, theme in enumerate(THEMES):
        best, best_t = -1.0, 0.5
        for t in THRESHOLD_GRID:
            pred = P[:, j] >= t
            tp = float(np.sum(pred & (Y[:, j] == 1)))
            fp = float(np.sum(pred & (Y[:, j] == 0)))
            fn = float(np.sum(~pred & (Y[:, j] == 1)))
            f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
            if f1 > best + 1e-9:
                best, best_t = f1, float(t)
        out[theme] = best_t
    return out


def choose_thresholds(texts: Sequence[str], Y: np.ndarray, groups: Sequence[str], n_splits: int = 5,
                      C: float = 4.0, **feature_params) -> dict[str, float]:
    """Per-theme decision thresholds that maximise F1 on out-of-fold probabilities (folds by authority)."""
    from sklearn.model_selection import GroupKFold

    items = np.asarray(texts, dtype=object)
    n_splits = min(n_splits, len(set(groups)))
    oof = np.zeros(Y.shape, dtype=float)
    for train, test in GroupKFold(n_splits=n_splits).split(items, Y, groups):
        features = feature_union(**feature_params)
        A = features.fit_transform(items[train])
        oof[test] = theme_classifier(C).fit(A, Y[train]).predict_proba(features.transform(items[test]))
    return best_thresholds(oof, Y)


_ESTIMATORS = ("features", "themes", "polarity")


class OfstedModel:
    """A trained tagger: shared features, themes (with thresholds) and polarity.

    ``features`` (a scikit-learn FeatureUnion), ``themes`` (one-vs-rest
    logistic regressions) and ``polarity`` (a multinomial one) are the
    estimators; :meth:`tag`, :meth:`predict` and :meth:`probabilities` compute
    the same numbers from their coefficients with numpy alone
    (:mod:`ofsted_nlp.tagging.scorer`). A model read from its file builds the
    estimators (and imports scikit-learn) only when one is asked for, e.g. by
    ``explain``; tagging never needs them.
    """

    features: FeatureUnion
    themes: OneVsRestClassifier
    polarity: LogisticRegression

    def __init__(self, features: FeatureUnion, themes: OneVsRestClassifier, thresholds: dict[str, float],
                 polarity: LogisticRegression, info: dict | None = None):
        self.features = features
        self.themes = themes
        self.thresholds = thresholds
        self.polarity = polarity
        self.info = info if info is not None else {}

    @classmethod
    def from_file_arrays(cls, header: dict, arrays: dict[str, np.ndarray], vocabularies: dict[str, dict[str, int]],
                         thresholds: dict[str, float], info: dict) -> OfstedModel:
        """A model read from its file (:mod:`~ofsted_nlp.tagging.modelfile`): scored from the arrays at once, its
        scikit-learn estimators built from them on first use."""
        from ofsted_nlp.tagging.scorer import scorer_from_arrays

        model = cls.__new__(cls)
        model.thresholds, model.info = thresholds, info
        model.__dict__["_file"] = (header, arrays, vocabularies)
        model.__dict__["_scoring"] = scorer_from_arrays(header, arrays, vocabularies)
        return model

    def __getattr__(self, name: str) -> Any:
        # Called only for attributes not set: the estimators of a model read from its file.
        if name not in _ESTIMATORS or "_file" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        with _BUILDING:
            if name not in self.__dict__:
                from ofsted_nlp.tagging.modelfile import build_estimators

                header, arrays, vocabularies = self.__dict__["_file"]
                parts = build_estimators(header, arrays, vocabularies)
                for key in _ESTIMATORS:
                    self.__dict__.setdefault(key, parts[key])
        return self.__dict__[name]

    def __repr__(self) -> str:
        return f"OfstedModel(thresholds={self.thresholds!r}, info keys={sorted(self.info)})"

    @property
    def theme_names(self) -> tuple[str, ...]:
        """The themes, in the order of the theme probabilities' columns."""
        return THEMES

    @property
    def polarity_classes(self) -> list[str]:
        """The polarity classes, in the order of :meth:`probabilities`' second array's columns."""
        scorer = self._scorer()
        if scorer is not None:
            return list(scorer.polarity_classes)
        return [str(c) for c in self.polarity.classes_]

    def predict(self, texts: Sequence[str], judgements: Sequence[str] | None = None,
                recommendations: Sequence[bool] | None = None) -> pd.DataFrame:
        """Tag sentences.

        Returns one row per text with columns ``text``, ``themes`` (tuple of
        theme names), ``polarity``, ``p_<theme>`` for each theme and
        ``p_<polarity>`` for each polarity class. ``judgements`` and
        ``recommendations``: the layout, see :meth:`tag`.
        """
        texts = [str(t) for t in texts]
        return tags_frame(texts, self.tag(texts, judgements, recommendations))

    def tag(self, texts: Sequence[str], judgements: Sequence[str] | None = None,
            recommendations: Sequence[bool] | None = None) -> Tags:
        """Themes (those over their thresholds), polarity and both sets of probabilities.

        Polarity is the likeliest class, except where the layout decides, as the
        codebook rules: give ``judgements`` (one per text, the judgement of the
        heading it stands under, as ``Finding.judgement``) and a recommendation
        ("Ensure that ...") or verbless list item under a development or
        priority-action heading is ``negative``; give ``recommendations`` (as
        ``Finding.recommendation``: marked "(Recommendation)" by the report) and
        those sentences are ``negative`` wherever they stand. The probabilities
        stay the model's own.
        """
        check_layout(len(texts), judgements, recommendations)
        P, Q = self.probabilities(texts)
        classes = self.polarity_classes
        Q = Q[:, [classes.index(p) for p in POLARITIES]]
        return decide(texts, P, Q, self.thresholds, judgements, recommendations)

    def probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Theme probabilities (n x themes, in THEMES order) and polarity ones (n x classes, in
        :attr:`polarity_classes` order).

        The same numbers as the classifiers' ``predict_proba`` on
        ``features.transform(texts)`` (tested), computed as one linear score
        per class summed over the feature blocks (:mod:`ofsted_nlp.tagging.scorer`),
        without scikit-learn.
        """
        texts = [str(t) for t in texts]
        scorer = self._scorer()
        if scorer is not None:
            return scorer.probabilities(texts)
        # a fitted theme with one class in training: scikit-learn's own way
        if not texts:
            return np.zeros((0, len(self.themes.estimators_))), np.zeros((0, len(self.polarity.classes_)))
        X = self.features.transform(texts)
        return self.themes.predict_proba(X), self.polarity.predict_proba(X)

    def _scorer(self) -> LinearScorer | None:
        """The numpy scorer: from the file's arrays, or derived once from the fitted estimators."""
        if "_scoring" not in self.__dict__:
            with _BUILDING:
                if "_scoring" not in self.__dict__:
                    from ofsted_nlp.tagging.scorer import scorer_from_arrays, scorer_from_estimators

                    if "_file" in self.__dict__:  # a copy of a model read from its file
                        self.__dict__["_scoring"] = scorer_from_arrays(*self.__dict__["_file"])
                    else:
                        self.__dict__["_scoring"] = scorer_from_estimators(self.features, self.themes,
                                                                           self.polarity)
        return self.__dict__["_scoring"]

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_scoring", None)  # derived from the arrays or the classifiers, rebuilt on first use
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("info", {})


# Held while a model builds its scorer or estimators on first use (a notebook's threads may ask at once).
_BUILDING = threading.RLock()


def fit_model(texts: Sequence[str], Y: np.ndarray, polarity: Sequence[str], groups: Sequence[str],
              theme_params: dict | None = None, polarity_params: dict | None = None,
              feature_params: dict | None = None, soft_texts: Sequence[str] = (),
              soft_polarity: np.ndarray | None = None, soft_weight: float = 1.0) -> OfstedModel:
    """Train themes (with thresholds chosen by grouped CV) and polarity on labelled sentences.

    ``soft_texts`` with ``soft_polarity`` (n x POLARITIES probabilities, a
    teacher's) add sentences to the polarity classifier: one row per class
    the teacher gives at least 0.05, weighted ``soft_weight`` x its
    probability (gold rows weigh 1). The features' vocabulary and the themes
    come from the gold sentences only, so the model's size and speed do not
    grow with the soft labels.
    """
    theme_params = dict(theme_params or {})
    polarity_params = dict(polarity_params or {})
    feature_params = dict(feature_params or {})
    texts = list(texts)
    thresholds = choose_thresholds(texts, Y, groups, **theme_params, **feature_params)
    features = feature_union(**feature_params)
    X = features.fit_transform(texts)
    themes = theme_classifier(**theme_params).fit(X, Y)
    info: dict = {"theme_params": theme_params, "polarity_params": polarity_params, "feature_params": feature_params}
    pol = fit_polarity(features, X, polarity, polarity_params, soft_texts, soft_polarity, soft_weight)
    if len(soft_texts):
        info["soft"] = {"sentences": len(soft_texts), "weight": soft_weight,
                        "rows": int((np.asarray(soft_polarity) >= SOFT_FLOOR).sum())}
    return OfstedModel(features, themes, thresholds, pol, info)


def fit_polarity(features: FeatureUnion, X, polarity: Sequence[str], params: dict | None = None,
                 soft_texts: Sequence[str] = (), soft_polarity: np.ndarray | None = None,
                 soft_weight: float = 1.0) -> LogisticRegression:
    """The polarity classifier on the gold rows ``X`` (already transformed by the fitted ``features``) and,
    given ``soft_texts``, one row per class of :func:`soft_rows` (the student's way of learning from a teacher)."""
    clf = polarity_classifier(**(params or {}))
    if not len(soft_texts) or soft_weight <= 0:
        return clf.fit(X, list(polarity))
    from scipy import sparse

    rows, ys, ws = soft_rows(soft_polarity, soft_weight)
    Xs = features.transform([soft_texts[i] for i in rows])
    return clf.fit(sparse.vstack([X, Xs]).tocsr(), list(polarity) + ys,
                   sample_weight=np.concatenate([np.ones(X.shape[0]), ws]))


SOFT_FLOOR = 0.05  # a teacher's class probability below this adds no row


def soft_rows(probs: np.ndarray | None, weight: float) -> tuple[list[int], list[str], np.ndarray]:
    """(sentence index, class, sample weight) of each row that soft labels add: one per class at >= SOFT_FLOOR."""
    if probs is None:
        raise ValueError("soft_texts given without soft_polarity")
    i, k = np.nonzero(probs >= SOFT_FLOOR)
    return i.tolist(), [POLARITIES[c] for c in k.tolist()], weight * probs[i, k]


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def card_path(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(".json")


def save_model(model: OfstedModel, path: str | Path, card: dict) -> dict:
    """Write the model (arrays and JSON, :mod:`~ofsted_nlp.tagging.modelfile`) and its card (``.json``, ``.md``) beside it.

    Each file is written whole or not at all: all three are written to
    temporary files first and put in place only when all are complete.
    """
    from contextlib import ExitStack

    from ofsted_nlp.io.atomic import atomic_path
    from ofsted_nlp.tagging.card import render_markdown
    from ofsted_nlp.tagging.modelfile import FORMAT, FORMAT_VERSION, write_model

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        tmp = stack.enter_context(atomic_path(path))
        with open(tmp, "wb") as fh:
            write_model(model, fh)
        card = dict(card)
        card["sha256"] = sha256_of(tmp)
        card["artefact"] = path.name
        card["format"] = {"name": FORMAT, "version": FORMAT_VERSION}
        stack.enter_context(atomic_path(card_path(path))).write_text(
            json.dumps(card, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        stack.enter_context(atomic_path(path.with_suffix(".md"))).write_text(render_markdown(card), encoding="utf-8")
    return card


@overload
def load_model(path: Literal["accurate"], trust_pickle: bool = False) -> AccurateModel: ...  # type: ignore[overload-overlap]


@overload
def load_model(path: str | Path | None = None, trust_pickle: bool = False) -> OfstedModel: ...


def load_model(path: str | Path | None = None, trust_pickle: bool = False) -> OfstedModel | AccurateModel:
    """Load a trained model, by default the one shipped with the package.

    ``load_model("accurate")`` loads the slower, more accurate transformer
    model instead (:func:`ofsted_nlp.tagging.accurate.load_accurate`; it needs the
    ``[accurate]`` extra).

    The file is read as arrays and JSON (``numpy.load(allow_pickle=False)``):
    loading it runs no code. Its sha256 must match the model card
    (``.json`` beside it), so a damaged or half-copied file is refused. A
    model format of another version is refused with a line saying so. A
    pickle (joblib) model of an earlier version is refused unless
    ``trust_pickle`` (unpickling can run code). A scikit-learn version other
    than the one the model was trained with gives a warning naming both.
    """
    from ofsted_nlp.tagging.accurate import is_accurate, load_accurate
    from ofsted_nlp.tagging.modelfile import is_pickle_file, read_model

    if is_accurate(path):
        return load_accurate(path)
    path = Path(path) if path is not None else DEFAULT_MODEL
    if not path.exists():
        raise ModelError(f"{path}: no such model file (train one with `ofsted-nlp train`)")
    if not path.is_file():
        raise ModelError(f"{path}: not a regular file")
    card: dict = {}
    cj = card_path(path)
    pickled = is_pickle_file(path)
    if not cj.exists():
        if not (pickled and trust_pickle):
            raise ModelError(f"{path}: no model card {cj.name} beside it, so the file cannot be verified")
    else:
        try:
            card = json.loads(cj.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(f"{cj}: unreadable model card ({exc})") from None
        if not isinstance(card, dict):
            raise ModelError(f"{cj}: not a model card (its JSON is not an object)")
        digest = sha256_of(path)
        if card.get("sha256") != digest:
            raise ModelError(
                f"{path}: sha256 {digest[:12]}… does not match its model card ({str(card.get('sha256'))[:12]}…); "
                "the file is damaged or is not the one the card describes"
            )
    model = read_model(path, trust_pickle=trust_pickle)
    if pickled:
        from ofsted_nlp.training.features import CharNgramTfidf

        for _, transformer in getattr(model.features, "transformer_list", []):
            # Before the character n-grams were scored word by word they were sublinear and l2-normed:
            # such a model would load and run, but its character scores would no longer be its own.
            if isinstance(transformer, CharNgramTfidf) and "sublinear_tf" in transformer.__dict__:
                raise ModelError(f"{path}: made by an earlier ofsted-nlp whose character features differ; "
                                 "retrain it with `ofsted-nlp train`")
    trained = (card.get("versions") or {}).get("scikit-learn") or model.info.get("versions", {}).get("scikit-learn")
    running = _sklearn_version()
    if trained and trained != running:
        warnings.warn(
            f"model trained with scikit-learn {trained}, running {running}; predictions may differ",
            UserWarning,
            stacklevel=2,
        )
    model.info["card"] = card
    model.info["path"] = str(path)
    return model


def _sklearn_version() -> str:
    """The installed scikit-learn's version, read from its metadata (importing it costs about a second)."""
    import sys

    if "sklearn" in sys.modules:
        return str(sys.modules["sklearn"].__version__)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scikit-learn")
    except PackageNotFoundError:  # pragma: no cover - a dependency of the package
        return "none"
