"""The model file, read side: arrays and JSON in one ``.npz``, whose loading executes no code.

The model is linear, so all of it is numbers and words: each feature block's
vocabulary (n-grams, one UTF-8 text of lines) and idf weights, each
classifier's coefficients and intercepts, and a JSON header naming the
format, its version, the feature settings, the themes' thresholds, the
polarity classes and the library versions it was trained with.
:func:`read_model` turns them into the artefact
(:class:`~ofsted_nlp.tagging.model.OfstedModel`); training writes them
(:mod:`ofsted_nlp.training.export`).

Each member's ``.npy`` header is read first, inside the zip, and its declared
dtype and shape checked against :data:`MAX_ARRAY_BYTES` (and the whole file's
against :data:`MAX_TOTAL_BYTES`) before any data is read, so a small file
that inflates to gigabytes is refused at once. Only plain numeric and byte
arrays are read (``allow_pickle=False``): an object array, the only way a
``.npz`` could carry a pickle, is refused before anything is built from it.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ofsted_nlp.errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    from ofsted_nlp.tagging.model import OfstedModel

__all__ = ["FORMAT", "FORMAT_VERSION", "HEADER", "read_model", "is_pickle_file", "text_lines", "MAX_ARRAY_BYTES",
           "MAX_TOTAL_BYTES", "MAX_HEADER_BYTES"]

FORMAT = "ofsted-nlp-linear"
FORMAT_VERSION = 1
PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")
HEADER = "header"  # the JSON header, as UTF-8 bytes in a uint8 array

MAX_HEADER_BYTES = 1 << 20  # the shipped model's: under 1 kB
MAX_ARRAY_BYTES = 256 << 20  # one array's data (the shipped model's largest: 3.4 MB)
MAX_TOTAL_BYTES = 512 << 20  # all of them together (the shipped model's: 5.3 MB)

# what each array must be: (dtype kinds allowed, number of dimensions)
_TEXT = ("u", 1)
_NUMBERS_1 = ("f", 1)
_NUMBERS_2 = ("f", 2)


def text_lines(array: np.ndarray) -> list[str]:
    """The lines of a text array (UTF-8 bytes, lines joined by ``\\n``)."""
    text = array.tobytes().decode("utf-8")
    return text.split("\n") if text else []


def is_pickle_file(path: Path) -> bool:
    """A joblib/pickle model of an earlier version (by suffix, or by content: not a zip archive)."""
    if path.suffix.lower() in PICKLE_SUFFIXES:
        return True
    try:
        return not zipfile.is_zipfile(path)
    except OSError:
        return False


class _Members:
    """The arrays of an open ``.npz``, each read only after its declared dtype and size are checked."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.names = {n[:-4] for n in archive.namelist() if n.endswith(".npy")}
        self.total = 0

    def read(self, name: str, rule: tuple[str, int], limit: int = MAX_ARRAY_BYTES) -> np.ndarray:
        if name not in self.names:
            raise ModelError(f"{name}: missing from the file")
        fmt = np.lib.format
        with self.archive.open(name + ".npy") as fh:
            try:
                version = fmt.read_magic(fh)
                if version == (1, 0):
                    shape, fortran, dtype = fmt.read_array_header_1_0(fh)
                elif version == (2, 0):
                    shape, fortran, dtype = fmt.read_array_header_2_0(fh)
                else:
                    raise ValueError(f"npy format version {version}")
            except ValueError as exc:
                raise ModelError(f"{name}: not an array this version can read ({exc})") from None
            if dtype.hasobject:
                raise ModelError(f"{name}: an object array (which only a pickle holds); this version reads "
                                 "plain arrays only (allow_pickle=False)")
            kind, ndim = rule
            if dtype.kind not in kind or (kind == "u" and dtype.itemsize != 1) or \
                    (kind == "f" and dtype.itemsize not in (4, 8)):
                raise ModelError(f"{name}: dtype {dtype}, not {'bytes (uint8)' if kind == 'u' else 'float'}")
            if len(shape) != ndim:
                raise ModelError(f"{name}: {len(shape)} dimensions, not {ndim}")
            size = int(np.prod(shape, dtype=object)) * dtype.itemsize
            if size > limit:
                raise ModelError(f"{name}: declares {list(shape)} ({size:,} bytes), over the limit of {limit:,}")
            self.total += size
            if self.total > MAX_TOTAL_BYTES:
                raise ModelError(f"{name}: the arrays declare over {MAX_TOTAL_BYTES:,} bytes together")
            data = fh.read(size)
            if len(data) != size:
                raise ModelError(f"{name}: {len(data):,} bytes of data, but its header declares {size:,}")
        array = np.frombuffer(data, dtype=dtype)
        return array.reshape(shape, order="F" if fortran else "C")


def read_model(path: Path) -> OfstedModel:
    """Build the model from the ``.npz`` at ``path``. Raises :class:`ModelError` with one line for anything
    unusable, naming the field (a pickle is refused by :func:`~ofsted_nlp.tagging.model.load_model` first)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _build(_Members(archive))
    except ModelError as exc:
        raise ModelError(f"{path}: {exc}") from None
    except (OSError, zipfile.BadZipFile, EOFError, RuntimeError, NotImplementedError) as exc:
        raise ModelError(f"{path}: unreadable model file ({exc})") from None


def _build(members: _Members) -> OfstedModel:
    from ofsted_nlp.tagging.model import FeatureBlock, OfstedModel

    header = _header(members)
    blocks_in = header.get("blocks")
    if not isinstance(blocks_in, list) or not blocks_in:
        raise ModelError("header.blocks: not a list of feature blocks")
    blocks = []
    for i, block in enumerate(blocks_in):
        if not isinstance(block, dict):
            raise ModelError(f"header.blocks[{i}]: not an object")
        name, kind = block.get("name"), block.get("kind")
        if not isinstance(name, str) or not name or "\n" in name:
            raise ModelError(f"header.blocks[{i}].name: {name!r} is not a name")
        vocabulary: tuple[str, ...] = ()
        idf = None
        if kind in ("words", "chars"):
            try:
                vocabulary = tuple(text_lines(members.read(f"{name}.vocabulary", _TEXT)))
            except UnicodeDecodeError:
                raise ModelError(f"{name}.vocabulary: not UTF-8 text") from None
            idf = members.read(f"{name}.idf", _NUMBERS_1)
        blocks.append(FeatureBlock(name, str(kind), block.get("params", {}), block.get("weight", 1.0), vocabulary, idf))
    info = header.get("info") or {}
    versions = header.get("versions") or {}
    if not isinstance(info, dict) or not isinstance(versions, dict):
        raise ModelError("header.info and header.versions: not objects")
    info = dict(info)
    info["versions"] = versions
    return OfstedModel(
        blocks,
        members.read("themes.coef", _NUMBERS_2), members.read("themes.intercept", _NUMBERS_1),
        members.read("polarity.coef", _NUMBERS_2), members.read("polarity.intercept", _NUMBERS_1),
        header.get("polarity_classes", ()), header.get("thresholds", {}), info=info, versions=versions,
        themes=header.get("themes", ()),
    )


def _header(members: _Members) -> dict:
    try:
        raw = members.read(HEADER, _TEXT, limit=MAX_HEADER_BYTES)
    except ModelError as exc:
        if HEADER not in members.names:
            raise ModelError("not an ofsted-nlp model (no header)") from None
        raise exc
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ModelError("not an ofsted-nlp model (no readable header)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelError("not an ofsted-nlp model")
    if header.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"model format version {header.get('format_version')!r}, but this ofsted-nlp "
                         f"reads version {FORMAT_VERSION}; retrain it with `ofsted-nlp train`")
    return header


