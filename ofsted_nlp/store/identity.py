"""What identifies a document's content, the model that tagged it and the reader that read it.

A document is the sha256 of its bytes. A model is the sha256 of its file (the accurate model: of its
ONNX file, as its card records it), with its name and format. The reader is :data:`READER_VERSION`:
raised whenever a change to :mod:`ofsted_nlp.reading` changes what a document yields (its metadata,
findings or their layout), so that a store re-reads what an older reader read.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

READER_VERSION = "1"
_BLOCK = 1 << 20


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes, in hex (raises OSError where it cannot be read)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def package_version() -> str:
    import ofsted_nlp

    return str(ofsted_nlp.__version__)


def reader_version() -> str:
    return READER_VERSION


@dataclass(frozen=True)
class ModelIdentity:
    """Which model tagged a store: its name, the sha256 of its file, and the file's format."""

    name: str
    sha256: str
    format: str

    def describe(self) -> str:
        return f"{self.name} ({self.sha256[:12]})"


def model_identity(model) -> ModelIdentity:
    """The identity of a loaded model (:class:`~ofsted_nlp.tagging.tags.Tagger`)."""
    info = getattr(model, "info", None) or {}
    if info.get("kind") == "accurate":
        card = info.get("card") or {}
        return ModelIdentity("accurate", str(card.get("onnx_sha256", "")), f"accurate/{card.get('format', '')}")
    path = info.get("path")
    if path and Path(path).is_file():
        from ofsted_nlp.tagging.modelfile import FORMAT, FORMAT_VERSION

        fmt = f"{FORMAT}/{FORMAT_VERSION}" if Path(path).suffix == ".npz" else f"joblib/{Path(path).suffix}"
        return ModelIdentity(Path(path).name, file_sha256(path), fmt)
    # A model built in memory (a notebook's): identified by its thresholds and class, as best can be.
    digest = hashlib.sha256(repr((type(model).__name__, getattr(model, "thresholds", None))).encode()).hexdigest()
    return ModelIdentity(type(model).__name__, digest, "in-memory")
