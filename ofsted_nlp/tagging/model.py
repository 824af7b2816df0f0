"""The fast model as one artefact: arrays, vocabularies, thresholds and card, with its numpy scorer.

The tagger is TF-IDF over words and characters plus the codebook's
vocabulary, shared by two logistic regressions (one-vs-rest themes, each with
its own threshold; multinomial polarity). Everything tagging needs is numbers
and words, held by :class:`OfstedModel`: each feature block's settings,
vocabulary and idf weights (:class:`FeatureBlock`), the classifiers'
coefficients and intercepts, the themes' thresholds, the polarity classes and
the model's info (its card among them). Its :class:`~ofsted_nlp.tagging.scorer.LinearScorer`
computes the probabilities from them with numpy alone, and ``explain`` reads
its contributions from the same arrays (:mod:`ofsted_nlp.tagging.explain`).

Training is the scikit-learn side (:mod:`ofsted_nlp.training.estimators`):
it fits a FeatureUnion and the classifiers and exports them to this artefact
(:mod:`ofsted_nlp.training.export`), which is also what the model file holds
(:mod:`ofsted_nlp.tagging.modelfile`: arrays and JSON, so loading it runs no
code). The file's sha256 is checked against the model card beside it, which
guards against a damaged or half-copied file (not against someone who can
replace both); every part is checked at load (:mod:`ofsted_nlp.tagging.validation`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

import numpy as np

from ofsted_nlp.errors import ModelError
from ofsted_nlp.schema import POLARITIES, THEMES
from ofsted_nlp.tagging.scorer import LinearScorer, build_scorer, codebook_names
from ofsted_nlp.tagging.tags import Tags, check_layout, decide, sentences, tags_frame
from ofsted_nlp.tagging.validation import MAX_MAGNITUDE, check_artefact, check_block, check_finite

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ofsted_nlp.tagging.accurate import AccurateModel

__all__ = ["OfstedModel", "FeatureBlock", "ModelError", "load_model", "sha256_of", "card_path"]

# The shipped model is package data: found wherever the package is installed.
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
DEFAULT_MODEL = MODELS_DIR / "ofsted-nlp.npz"
# Where `ofsted-nlp train` writes a model a user trains (relative to the current folder: the project
# layout's top-level models/), so that training never replaces the shipped one unless told to.
USER_MODEL = Path("models") / "ofsted-nlp.npz"


@dataclass(frozen=True)
class FeatureBlock:
    """One block of the features, in column order: ``kind`` ``"words"`` or ``"chars"`` (TF-IDF n-grams, with
    their ``vocabulary`` (column -> n-gram) and ``idf``), or ``"codebook"`` (the codebook's counts and cues);
    ``params`` its settings (n-gram range, ...) and ``weight`` its weight in the union."""

    name: str
    kind: str
    params: dict
    weight: float = 1.0
    vocabulary: tuple[str, ...] = ()
    idf: np.ndarray | None = None

    @property
    def width(self) -> int:
        """How many features (columns) the block has."""
        return len(self.vocabulary) if self.kind in ("words", "chars") else len(codebook_names(self.params))

    def feature_names(self) -> list[str]:
        """The block's feature names in column order: its n-grams, or the codebook's names."""
        return list(self.vocabulary) if self.kind in ("words", "chars") else codebook_names(self.params)

    def checked(self, where: str) -> FeatureBlock:
        """This block with its settings and arrays checked (one line naming the field if not)."""
        if not isinstance(self.name, str) or not self.name or "\n" in self.name:
            raise ModelError(f"{where}.name: {self.name!r} is not a name")
        params = check_block(where, self.kind, self.params)
        if isinstance(self.weight, bool) or not isinstance(self.weight, (int, float)):
            raise ModelError(f"{where}.weight: {self.weight!r} is not a number")
        weight = float(self.weight)
        if not np.isfinite(weight) or not 0 <= weight <= MAX_MAGNITUDE:
            raise ModelError(f"{where}.weight: {self.weight!r} is not a number from 0 to {MAX_MAGNITUDE:g}")
        if self.kind == "codebook":
            return FeatureBlock(self.name, self.kind, params, weight)
        vocabulary = tuple(self.vocabulary)
        if len(set(vocabulary)) != len(vocabulary):
            raise ModelError(f"{self.name}.vocabulary: an n-gram stands twice")
        if self.idf is None:
            raise ModelError(f"{self.name}.idf: missing")
        idf = check_finite(f"{self.name}.idf", self.idf, (len(vocabulary),), low=0.0)
        return FeatureBlock(self.name, self.kind, params, weight, vocabulary, idf)


class OfstedModel:
    """The fast tagger as one artefact: feature blocks, coefficients, thresholds, polarity classes and info.

    ``blocks`` (:class:`FeatureBlock`, in column order), ``theme_coef``
    (themes x features) and ``theme_intercept`` (themes), ``polarity_coef``
    (classes x features) and ``polarity_intercept`` (classes) in
    ``polarity_classes`` order, ``thresholds`` (theme -> probability),
    ``info`` (training settings; ``card`` and ``path`` once loaded) and
    ``versions`` (the libraries it was trained with). Every part is checked
    when the model is made (:class:`~ofsted_nlp.errors.ModelError`, one line
    naming the field). :meth:`tag`, :meth:`predict` and :meth:`probabilities`
    score with the model's own :class:`~ofsted_nlp.tagging.scorer.LinearScorer`
    (numpy alone; its word tables are this model's, safe to share between
    threads). Made by :func:`load_model` or by training
    (:func:`ofsted_nlp.training.estimators.fit_model`).
    """

    def __init__(self, blocks: Sequence[FeatureBlock], theme_coef: np.ndarray, theme_intercept: np.ndarray,
                 polarity_coef: np.ndarray, polarity_intercept: np.ndarray, polarity_classes: Sequence[str],
                 thresholds: Mapping[str, float], info: dict | None = None, versions: dict | None = None,
                 themes: Sequence[str] = THEMES):
        if not isinstance(blocks, (list, tuple)) or not blocks:
            raise ModelError("blocks: a model needs at least one feature block")
        checked = [b.checked(f"blocks[{i}]") for i, b in enumerate(blocks)]
        if len({b.name for b in checked}) != len(checked):
            raise ModelError("blocks: two blocks have the same name")
        width = sum(b.width for b in checked)
        n_polarity = int(np.shape(polarity_coef)[0]) if np.ndim(polarity_coef) == 2 else -1
        check_artefact(themes, thresholds, polarity_classes, n_polarity)
        self.blocks: tuple[FeatureBlock, ...] = tuple(checked)
        self.theme_coef = check_finite("themes.coef", theme_coef, (len(THEMES), width))
        self.theme_intercept = check_finite("themes.intercept", theme_intercept, (len(THEMES),))
        self.polarity_coef = check_finite("polarity.coef", polarity_coef, (len(POLARITIES), width))
        self.polarity_intercept = check_finite("polarity.intercept", polarity_intercept, (len(POLARITIES),))
        self.polarity_classes: list[str] = [str(c) for c in polarity_classes]
        self.thresholds: dict[str, float] = {str(k): float(v) for k, v in thresholds.items()}
        self.info: dict = info if info is not None else {}
        self.versions: dict = dict(versions or {})
        self.scorer = self._new_scorer()

    def _new_scorer(self) -> LinearScorer:
        return build_scorer(self.blocks, np.vstack([self.theme_coef, self.polarity_coef]),
                            np.concatenate([self.theme_intercept, self.polarity_intercept]), len(THEMES),
                            self.polarity_classes)

    def __repr__(self) -> str:
        return f"OfstedModel(thresholds={self.thresholds!r}, info keys={sorted(self.info)})"

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("scorer")  # its tables are caches: a copy (or an unpickled model) starts its own
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.scorer = self._new_scorer()

    @property
    def theme_names(self) -> tuple[str, ...]:
        """The themes, in the order of the theme probabilities' columns."""
        return THEMES

    @property
    def n_features(self) -> int:
        """How many features the blocks have together (the coefficients' columns)."""
        return int(self.theme_coef.shape[1])

    def feature_names(self) -> list[str]:
        """Every feature's name in column order, ``block__name`` as scikit-learn's FeatureUnion names them."""
        return [f"{b.name}__{n}" for b in self.blocks for n in b.feature_names()]

    def predict(self, texts: Sequence[str], judgements: Sequence[str] | None = None,
                recommendations: Sequence[bool] | None = None) -> pd.DataFrame:
        """Tag sentences.

        Returns one row per text with columns ``text``, ``themes`` (tuple of
        theme names), ``polarity``, ``p_<theme>`` for each theme and
        ``p_<polarity>`` for each polarity class. ``judgements`` and
        ``recommendations``: the layout, see :meth:`tag`. ``texts`` is a
        sequence of sentences: one string alone raises TypeError.
        """
        texts = [str(t) for t in sentences(texts)]
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
        texts = sentences(texts)
        check_layout(len(texts), judgements, recommendations)
        P, Q = self.probabilities(texts)
        classes = self.polarity_classes
        Q = Q[:, [classes.index(p) for p in POLARITIES]]
        return decide(texts, P, Q, self.thresholds, judgements, recommendations)

    def probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Theme probabilities (n x themes, in THEMES order) and polarity ones (n x classes, in
        :attr:`polarity_classes` order).

        The same numbers as the fitted classifiers' ``predict_proba`` on the
        union's ``transform(texts)`` (tested), computed as one linear score
        per class summed over the feature blocks (:mod:`ofsted_nlp.tagging.scorer`),
        without scikit-learn. A text with a lone surrogate (not encodable
        text) is scored with U+FFFD in its place.
        """
        return self.scorer.probabilities([str(t) for t in sentences(texts)])


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def card_path(model_path: str | Path) -> Path:
    return Path(model_path).with_suffix(".json")



@overload
def load_model(path: Literal["accurate"], trust_pickle: bool = False) -> AccurateModel: ...  # type: ignore[overload-overlap]


@overload
def load_model(path: str | Path | None = None, trust_pickle: bool = False) -> OfstedModel: ...


def load_model(path: str | Path | None = None, trust_pickle: bool = False) -> OfstedModel | AccurateModel:
    """Load a trained model, by default the one shipped with the package.

    ``load_model("accurate")`` loads the slower, more accurate transformer
    model instead (:func:`ofsted_nlp.tagging.accurate.load_accurate`; it needs the
    ``[accurate]`` extra).

    The file is read as arrays and JSON (:mod:`~ofsted_nlp.tagging.modelfile`:
    loading it runs no code) into an :class:`OfstedModel`, every part checked.
    Its sha256 must match the model card (``.json`` beside it), so a damaged or
    half-copied file is refused. A model format of another version is refused
    with a line saying so. A pickle (joblib) model of an earlier version is
    refused, ``trust_pickle`` or not: this version reads only the ``.npz``
    artefact, so retrain with ``ofsted-nlp train`` (``trust_pickle`` is kept
    so that callers that pass it still run, and get that line).
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
    if is_pickle_file(path):
        raise ModelError(f"{path}: a pickle (joblib) model of an earlier ofsted-nlp, which can run code when loaded; "
                         "this version reads only the .npz model file" + (" even when trusted" if trust_pickle else "")
                         + ": retrain with `ofsted-nlp train`")
    cj = card_path(path)
    if not cj.exists():
        raise ModelError(f"{path}: no model card {cj.name} beside it, so the file cannot be verified")
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
    model = read_model(path)
    model.info["card"] = card
    model.info["path"] = str(path)
    return model
