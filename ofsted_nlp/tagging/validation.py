"""What a model artefact may hold: every setting in range, every array finite and of the size it must be.

A model file is data from outside: a header setting such as an n-gram range
of ``[3, 1e9]`` would make tagging never end, a NaN coefficient or threshold
would give meaningless scores (and a bare NaN in JSONL), a renamed polarity
class or an intercept of the wrong length would fail every input file later.
:func:`check_artefact` refuses all of these when the model is built, with one
line naming the field (:class:`~ofsted_nlp.errors.ModelError`); the file
reader (:mod:`~ofsted_nlp.tagging.modelfile`) adds the limits on the arrays'
declared sizes, checked before their data is read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ofsted_nlp.errors import ModelError
from ofsted_nlp.schema import POLARITIES, THEMES

__all__ = ["check_artefact", "check_block", "check_finite", "BLOCK_PARAMS", "MAX_NGRAM", "MAX_FEATURES",
           "MAX_MAGNITUDE"]

MAX_NGRAM = 10  # longest n-gram a block may count (the shipped model: words 3, characters 5)
MAX_FEATURES = 4_000_000  # columns of one feature block (the shipped model: 47,945 words, 22,650 n-grams)
MAX_MAGNITUDE = 1e6  # largest coefficient, intercept, idf or block weight (the shipped model's: under 40)

# Each block kind's settings, and what each may be: ("range", lo, hi) an n-gram range of ints in [lo, hi];
# ("number", lo, hi) an int or a finite float; ("int_or_none", lo, hi); ("bool",).
BLOCK_PARAMS: dict[str, dict[str, tuple]] = {
    "words": {"ngram_range": ("range", 1, MAX_NGRAM), "min_df": ("number", 0, 2**31), "sublinear_tf": ("bool",)},
    "chars": {"ngram_range": ("range", 1, MAX_NGRAM), "min_df": ("number", 0, 2**31),
              "max_features": ("int_or_none", 1, MAX_FEATURES)},
    "codebook": {"themes": ("bool",), "polarity": ("bool",), "shape": ("bool",)},
}


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_block(where: str, kind: Any, params: Any) -> dict:
    """A feature block's settings, checked; returned as plain values (n-gram ranges as tuples)."""
    if kind not in BLOCK_PARAMS:
        raise ModelError(f"{where}.kind: {kind!r} is not one of {', '.join(BLOCK_PARAMS)}")
    if not isinstance(params, Mapping):
        raise ModelError(f"{where}.params: not an object")
    allowed = BLOCK_PARAMS[kind]
    out: dict = {}
    for key, value in params.items():
        if key not in allowed:
            raise ModelError(f"{where}.params.{key}: not a setting of a {kind} block")
        rule, field = allowed[key], f"{where}.params.{key}"
        if rule[0] == "bool":
            if not isinstance(value, bool):
                raise ModelError(f"{field}: {value!r} is not true or false")
        elif rule[0] == "range":
            if (not isinstance(value, (list, tuple)) or len(value) != 2 or not all(map(_is_int, value))
                    or not rule[1] <= value[0] <= value[1] <= rule[2]):
                raise ModelError(f"{field}: {value!r} is not [low, high] with {rule[1]} <= low <= high <= {rule[2]}")
            value = (int(value[0]), int(value[1]))
        elif rule[0] == "number":
            if not (_is_int(value) or (isinstance(value, float) and math.isfinite(value))) \
                    or not rule[1] <= value <= rule[2]:
                raise ModelError(f"{field}: {value!r} is not a number in [{rule[1]}, {rule[2]}]")
        elif value is not None:  # int_or_none
            if not _is_int(value) or not rule[1] <= value <= rule[2]:
                raise ModelError(f"{field}: {value!r} is not an integer in [{rule[1]}, {rule[2]}] or null")
        out[key] = value
    return out


def check_finite(field: str, array: np.ndarray, shape: tuple[int, ...], low: float = -MAX_MAGNITUDE,
                 high: float = MAX_MAGNITUDE) -> np.ndarray:
    """``array`` as float64 of exactly ``shape``, every value finite and in [low, high]; else one line naming it."""
    array = np.asarray(array)
    if array.dtype.kind not in "fiu" or array.dtype.kind == "b":
        raise ModelError(f"{field}: dtype {array.dtype} is not a number")
    if array.shape != shape:
        raise ModelError(f"{field}: shape {list(array.shape)}, but the model's other parts need {list(shape)}")
    array = np.asarray(array, dtype=np.float64)
    if not np.isfinite(array).all():
        raise ModelError(f"{field}: holds NaN or infinite values")
    if array.size and (array.min() < low or array.max() > high):
        raise ModelError(f"{field}: values outside [{low:g}, {high:g}]")
    return array


def check_artefact(themes: Sequence[Any], thresholds: Any, polarity_classes: Any, n_polarity_rows: int) -> None:
    """The parts of a model that are not arrays: its themes, thresholds and polarity classes."""
    if not isinstance(themes, (list, tuple)) or list(themes) != list(THEMES):
        raise ModelError(f"themes: {themes!r}, but this ofsted-nlp tags {list(THEMES)}")
    if not isinstance(thresholds, Mapping) or set(thresholds) != set(THEMES):
        raise ModelError(f"thresholds: not one for each of {', '.join(THEMES)}")
    for theme, value in thresholds.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or not 0.0 <= value <= 1.0:
            raise ModelError(f"thresholds.{theme}: {value!r} is not a number from 0 to 1")
    if (not isinstance(polarity_classes, (list, tuple)) or len(polarity_classes) != len(POLARITIES)
            or set(polarity_classes) != set(POLARITIES)):
        raise ModelError(f"polarity_classes: {polarity_classes!r}, but must be {', '.join(POLARITIES)} in some order")
    if n_polarity_rows != len(POLARITIES):
        raise ModelError(f"polarity.coef: {n_polarity_rows} rows for {len(POLARITIES)} polarity classes")
