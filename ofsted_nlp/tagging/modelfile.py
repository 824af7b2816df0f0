"""The model file: arrays and JSON in one ``.npz``, whose loading executes no code.

The model is linear, so all of it is numbers and words: each feature block's
vocabulary (n-grams, one UTF-8 text of lines) and idf weights, each
classifier's coefficients and intercepts, the themes' thresholds, and a JSON
header naming the format, its version, the feature settings and the library
versions it was trained with. ``numpy.load(..., allow_pickle=False)`` reads
it: an object array (the only way a ``.npz`` could carry a pickle) is refused
by numpy before anything is built from it.

Models saved with joblib by earlier versions are pickles, which can run code
when loaded; :func:`read_model` opens one only when told to trust it.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from ofsted_nlp.errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    from ofsted_nlp.tagging.model import OfstedModel

__all__ = ["FORMAT", "FORMAT_VERSION", "write_model", "read_model", "is_pickle_file"]

FORMAT = "ofsted-nlp-linear"
FORMAT_VERSION = 1
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")

_HEADER = "header"  # the JSON header, as UTF-8 bytes in a uint8 array


def _text_array(lines: list[str]) -> np.ndarray:
    for line in lines:
        if "\n" in line:
            raise ValueError(f"a vocabulary entry holds a line break: {line!r}")
    return np.frombuffer("\n".join(lines).encode("utf-8"), dtype=np.uint8)


def _lines(array: np.ndarray) -> list[str]:
    text = array.tobytes().decode("utf-8")
    return text.split("\n") if text else []


def _vocabulary_lines(vocabulary: dict[str, int]) -> list[str]:
    lines = [""] * len(vocabulary)
    for gram, column in vocabulary.items():
        lines[column] = gram
    return lines


def model_arrays(model: OfstedModel) -> dict[str, np.ndarray]:
    """Everything the model is, as named arrays (the JSON header among them)."""
    import sklearn

    from ofsted_nlp.training.features import CharNgramTfidf, CodebookFeatures, WordNgramTfidf

    arrays: dict[str, np.ndarray] = {}
    blocks = []
    for name, transformer in model.features.transformer_list:
        weight = float((model.features.transformer_weights or {}).get(name, 1.0))
        if isinstance(transformer, (WordNgramTfidf, CharNgramTfidf)):
            kind = "words" if isinstance(transformer, WordNgramTfidf) else "chars"
            params = {k: list(v) if isinstance(v, tuple) else v for k, v in transformer.get_params().items()}
            arrays[f"{name}.vocabulary"] = _text_array(_vocabulary_lines(transformer.vocabulary_))
            arrays[f"{name}.idf"] = np.asarray(transformer.idf_, dtype=np.float64)
        elif isinstance(transformer, CodebookFeatures):
            kind, params = "codebook", transformer.get_params()
        else:
            raise ModelError(f"cannot save a feature block of type {type(transformer).__name__}")
        blocks.append({"name": name, "kind": kind, "params": params, "weight": weight})
    theme_coef, theme_intercept = [], []
    for e in model.themes.estimators_:
        if hasattr(e, "coef_"):
            theme_coef.append(np.asarray(e.coef_, dtype=np.float64).ravel())
            theme_intercept.append(float(np.ravel(e.intercept_)[0]))
        else:  # a theme with one class in training: scikit-learn's constant predictor, as a saturated logit
            width = sum(len(t.get_feature_names_out()) for _, t in model.features.transformer_list)
            theme_coef.append(np.zeros(width))
            theme_intercept.append(40.0 if float(np.ravel(e.y_)[0]) else -40.0)
    arrays["themes.coef"] = np.vstack(theme_coef)
    arrays["themes.intercept"] = np.asarray(theme_intercept, dtype=np.float64)
    arrays["polarity.coef"] = np.asarray(model.polarity.coef_, dtype=np.float64)
    arrays["polarity.intercept"] = np.asarray(model.polarity.intercept_, dtype=np.float64)
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "blocks": blocks,
        "themes": list(model.theme_names),
        "thresholds": {k: float(v) for k, v in model.thresholds.items()},
        "polarity_classes": [str(c) for c in model.polarity.classes_],
        "info": {k: v for k, v in model.info.items() if k != "card"},
        "versions": {"scikit-learn": sklearn.__version__, "numpy": np.__version__},
    }
    arrays[_HEADER] = np.frombuffer(json.dumps(header, default=_jsonable).encode("utf-8"), dtype=np.uint8)
    return arrays


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def write_model(model: OfstedModel, fh: IO[bytes]) -> None:
    """Write the model's arrays to an open binary file as a compressed ``.npz``."""
    np.savez_compressed(fh, **model_arrays(model))  # type: ignore[arg-type]


def is_pickle_file(path: Path) -> bool:
    """A joblib/pickle model of an earlier version (by suffix, or by content: not a zip archive)."""
    if path.suffix.lower() in PICKLE_SUFFIXES:
        return True
    try:
        return not zipfile.is_zipfile(path)
    except OSError:
        return False


def read_model(path: Path, trust_pickle: bool = False) -> OfstedModel:
    """Build the model from ``path``. Raises :class:`ModelError` with one line for anything unusable.

    A pickle (joblib) file is refused unless ``trust_pickle``: unpickling can
    run any code the file holds.
    """
    if is_pickle_file(path):
        if not trust_pickle:
            raise ModelError(f"{path}: a pickle (joblib) model file, which can run code when loaded; refusing it. "
                             "Retrain with `ofsted-nlp train`, or pass --trust-pickle if you made this file yourself")
        return _read_pickle(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except ValueError as exc:
        raise ModelError(f"{path}: not a model file this version can read safely ({exc})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelError(f"{path}: unreadable model file ({exc})") from None
    try:
        header = json.loads(arrays[_HEADER].tobytes().decode("utf-8"))
    except (KeyError, ValueError, UnicodeDecodeError):
        raise ModelError(f"{path}: not an ofsted-nlp model (no readable header)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelError(f"{path}: not an ofsted-nlp model")
    if header.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{path}: model format version {header.get('format_version')!r}, but this ofsted-nlp "
                         f"reads version {FORMAT_VERSION}; retrain it with `ofsted-nlp train`")
    try:
        vocabularies = _vocabularies(header, arrays)
        thresholds = {str(k): float(v) for k, v in header["thresholds"].items()}
        info = dict(header.get("info") or {})
        info["versions"] = header.get("versions", {})
        from ofsted_nlp.tagging.model import OfstedModel

        return OfstedModel.from_file_arrays(header, arrays, vocabularies, thresholds, info)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
        raise ModelError(f"{path}: damaged model file ({type(exc).__name__}: {exc})") from None


def _vocabularies(header: dict, arrays: dict[str, np.ndarray]) -> dict[str, dict[str, int]]:
    """Each n-gram block's vocabulary (n-gram -> column), checked against its idf weights."""
    out = {}
    for block in header["blocks"]:
        name = str(block["name"])
        if block["kind"] in ("words", "chars"):
            grams = _lines(arrays[f"{name}.vocabulary"])
            idf = arrays[f"{name}.idf"]
            if len(idf) != len(grams):
                raise ValueError(f"block {name}: {len(grams)} n-grams but {len(idf)} idf weights")
            out[name] = {g: i for i, g in enumerate(grams)}
    return out


def build_estimators(header: dict, arrays: dict[str, np.ndarray], vocabularies: dict[str, dict[str, int]]
                     ) -> dict[str, Any]:
    """The scikit-learn estimators a model file describes: ``features``, ``themes`` and ``polarity``.

    Built when first asked for (explain, retraining, scikit-learn's own
    methods); tagging reads the arrays directly (:mod:`ofsted_nlp.tagging.scorer`).
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion
    from sklearn.preprocessing import LabelBinarizer

    from ofsted_nlp.tagging.model import polarity_classifier, theme_classifier
    from ofsted_nlp.training.features import CharNgramTfidf, CodebookFeatures, WordNgramTfidf

    transformers: list[tuple[str, Any]] = []
    weights: dict[str, float] = {}
    width = 0
    for block in header["blocks"]:
        name, kind, params = str(block["name"]), block["kind"], dict(block["params"])
        if "ngram_range" in params:
            params["ngram_range"] = tuple(params["ngram_range"])
        t: Any
        if kind in ("words", "chars"):
            t = WordNgramTfidf(**params) if kind == "words" else CharNgramTfidf(**params)
            t.vocabulary_ = dict(vocabularies[name])
            t.idf_ = np.asarray(arrays[f"{name}.idf"], dtype=np.float64)
            width += len(t.vocabulary_)
        elif kind == "codebook":
            t = CodebookFeatures(**params).fit(None)
            width += t.n_features_out_
        else:
            raise ValueError(f"unknown feature block kind {kind!r}")
        transformers.append((name, t))
        weights[name] = float(block.get("weight", 1.0))
    features = FeatureUnion(transformers, transformer_weights=weights)

    def logistic(template: LogisticRegression, coef: np.ndarray, intercept: np.ndarray, classes) -> LogisticRegression:
        if coef.shape[1] != width:
            raise ValueError(f"{coef.shape[1]} coefficients for {width} features")
        template.coef_ = np.ascontiguousarray(coef, dtype=np.float64)
        template.intercept_ = np.asarray(intercept, dtype=np.float64)
        template.classes_ = np.asarray(classes)
        template.n_features_in_ = width
        return template

    info = dict(header.get("info") or {})
    theme_names = [str(t) for t in header["themes"]]
    coef, intercept = arrays["themes.coef"], arrays["themes.intercept"]
    themes = theme_classifier(**info.get("theme_params", {}))
    themes.estimators_ = [logistic(theme_classifier().estimator, coef[j:j + 1], intercept[j:j + 1], [0, 1])
                          for j in range(len(theme_names))]
    themes.label_binarizer_ = LabelBinarizer(sparse_output=True).fit(np.eye(len(theme_names), dtype=int))
    themes.classes_ = themes.label_binarizer_.classes_
    themes.n_features_in_ = width
    polarity = logistic(polarity_classifier(**info.get("polarity_params", {})), arrays["polarity.coef"],
                        arrays["polarity.intercept"], header["polarity_classes"])
    return {"features": features, "themes": themes, "polarity": polarity}


def _read_pickle(path: Path) -> OfstedModel:
    import joblib

    from ofsted_nlp.tagging.model import OfstedModel

    warnings.warn(f"{path}: loading a pickle (joblib) model file because you trust it; it could run code",
                  UserWarning, stacklevel=3)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Trying to unpickle estimator.*")
        model = joblib.load(path)
    if not isinstance(model, OfstedModel):
        raise ModelError(f"{path}: not an ofsted-nlp model")
    return model
