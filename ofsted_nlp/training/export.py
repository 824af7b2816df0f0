"""From fitted scikit-learn estimators to the model's artefact, and the artefact to its file.

:func:`export_model` reads the fitted FeatureUnion and classifiers'
public fitted state (vocabularies, idf weights, coefficients, intercepts,
classes) into an :class:`~ofsted_nlp.tagging.model.OfstedModel`, the one
thing tagging, ``explain`` and the model file hold. :func:`save_model` writes
the artefact (arrays and JSON, :mod:`ofsted_nlp.tagging.modelfile`) and its
card beside it.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import sklearn

from ofsted_nlp.errors import ModelError
from ofsted_nlp.io.atomic import atomic_path
from ofsted_nlp.tagging.card import render_markdown
from ofsted_nlp.tagging.model import FeatureBlock, OfstedModel, card_path, sha256_of
from ofsted_nlp.tagging.modelfile import FORMAT, FORMAT_VERSION, HEADER
from ofsted_nlp.training.features import CharNgramTfidf, CodebookFeatures, WordNgramTfidf

if TYPE_CHECKING:  # pragma: no cover
    from ofsted_nlp.training.estimators import FittedEstimators

__all__ = ["export_model", "model_arrays", "write_model", "save_model"]

# A theme with one class in training (scikit-learn's constant predictor) becomes this saturated logit.
CONSTANT_LOGIT = 40.0


def _params(transformer: Any) -> dict:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in transformer.get_params().items()}


def export_model(fitted: FittedEstimators) -> OfstedModel:
    """The artefact of fitted estimators: each block's settings, vocabulary and idf, the coefficients."""
    blocks = []
    weights = fitted.features.transformer_weights or {}
    for name, transformer in fitted.features.transformer_list:
        weight = float(weights.get(name, 1.0))
        if isinstance(transformer, (WordNgramTfidf, CharNgramTfidf)):
            kind = "words" if isinstance(transformer, WordNgramTfidf) else "chars"
            vocabulary = [""] * len(transformer.vocabulary_)
            for gram, column in transformer.vocabulary_.items():
                vocabulary[column] = gram
            blocks.append(FeatureBlock(name, kind, _params(transformer), weight, tuple(vocabulary),
                                       np.asarray(transformer.idf_, dtype=np.float64)))
        elif isinstance(transformer, CodebookFeatures):
            blocks.append(FeatureBlock(name, "codebook", _params(transformer), weight))
        else:
            raise ModelError(f"cannot export a feature block of type {type(transformer).__name__}")
    width = sum(b.width for b in blocks)
    theme_coef, theme_intercept = [], []
    for e in fitted.themes.estimators_:
        if hasattr(e, "coef_"):
            theme_coef.append(np.asarray(e.coef_, dtype=np.float64).ravel())
            theme_intercept.append(float(np.ravel(e.intercept_)[0]))
        else:  # a theme with one class in training: scikit-learn's constant predictor, as a saturated logit
            theme_coef.append(np.zeros(width))
            theme_intercept.append(CONSTANT_LOGIT if float(np.ravel(e.y_)[0]) else -CONSTANT_LOGIT)
    info = {k: v for k, v in fitted.info.items() if k not in ("card", "path", "versions")}
    return OfstedModel(blocks, np.vstack(theme_coef), np.asarray(theme_intercept),
                       np.asarray(fitted.polarity.coef_, dtype=np.float64),
                       np.asarray(fitted.polarity.intercept_, dtype=np.float64),
                       [str(c) for c in fitted.polarity.classes_], dict(fitted.thresholds), info,
                       {"scikit-learn": sklearn.__version__, "numpy": np.__version__})


def _text_array(lines: list[str] | tuple[str, ...]) -> np.ndarray:
    for line in lines:
        if "\n" in line:
            raise ValueError(f"a vocabulary entry holds a line break: {line!r}")
    return np.frombuffer("\n".join(lines).encode("utf-8"), dtype=np.uint8)


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def model_arrays(model: OfstedModel) -> dict[str, np.ndarray]:
    """Everything the artefact is, as the file's named arrays (the JSON header among them)."""
    arrays: dict[str, np.ndarray] = {}
    blocks = []
    for b in model.blocks:
        if b.kind in ("words", "chars"):
            arrays[f"{b.name}.vocabulary"] = _text_array(b.vocabulary)
            arrays[f"{b.name}.idf"] = np.asarray(b.idf, dtype=np.float64)
        blocks.append({"name": b.name, "kind": b.kind, "params": dict(b.params), "weight": b.weight})
    arrays["themes.coef"] = model.theme_coef
    arrays["themes.intercept"] = model.theme_intercept
    arrays["polarity.coef"] = model.polarity_coef
    arrays["polarity.intercept"] = model.polarity_intercept
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "blocks": blocks,
        "themes": list(model.theme_names),
        "thresholds": dict(model.thresholds),
        "polarity_classes": list(model.polarity_classes),
        "info": {k: v for k, v in model.info.items() if k not in ("card", "path", "versions")},
        "versions": model.versions,
    }
    arrays[HEADER] = np.frombuffer(json.dumps(header, default=_jsonable).encode("utf-8"), dtype=np.uint8)
    return arrays


def write_model(model: OfstedModel, fh: IO[bytes]) -> None:
    """Write the artefact's arrays to an open binary file as a compressed ``.npz``."""
    np.savez_compressed(fh, **model_arrays(model))  # type: ignore[arg-type]


def save_model(model: OfstedModel, path: str | Path, card: dict) -> dict:
    """Write the model (arrays and JSON, :mod:`~ofsted_nlp.tagging.modelfile`) and its card (``.json``, ``.md``)
    beside it.

    Each file is written whole or not at all: all three are written to
    temporary files first and put in place only when all are complete.
    """
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
