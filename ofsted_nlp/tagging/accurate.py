"""The ``accurate`` model: the teacher (a fine-tuned MiniLM) as int8 ONNX, for a few letters read at their best.

Slower than the shipped TF-IDF model (it reads each sentence with a small
transformer) and more often right on polarity; see the README's model
section for both, measured side by side. It needs the ``[accurate]`` extra
(``onnxruntime`` and ``tokenizers``; no torch), and is chosen with
``--model accurate`` or ``load_model("accurate")``.

Its files lie in ``ofsted_nlp/models/accurate/``: the ONNX graph, the base
model's ``tokenizer.json`` and a card (JSON: thresholds, token limit, sha256
of both files). Loading checks both digests against the card and reads no
code: an ONNX file is a protobuf of operators and weights.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ofsted_nlp.errors import ModelError
from ofsted_nlp.schema import POLARITIES, THEMES
from ofsted_nlp.tagging.tags import Tags, check_layout, decide, sentences, tags_frame

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

ACCURATE_FORMAT = 1
ACCURATE_NAME = "accurate"  # what --model and load_model() accept
ACCURATE_DIR = Path(__file__).resolve().parent.parent / "models" / "accurate"
ONNX_NAME = "ofsted-nlp-accurate.onnx"
TOKENIZER_NAME = "tokenizer.json"
CARD_NAME = "ofsted-nlp-accurate.json"
EXTRA_HINT = "pip install 'ofsted-nlp[accurate]'"
# One sentence a run: int8 dynamic quantisation scales activations per batch, so in a batch a sentence's
# scores would move (by up to ~0.004 here) with its companions. Alone, they are its own; and on 2 cores
# it cost little (161 seed findings a second alone, 201 in batches of 8, 159 in batches of 32).
BATCH = 1


def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class AccurateModel:
    """The teacher run by onnxruntime: the same ``tag``/``predict``/``probabilities`` as :class:`OfstedModel`."""

    session: Any
    tokenizer: Any
    thresholds: dict[str, float]
    max_length: int
    info: dict = field(default_factory=dict)
    threads_itself: bool = True  # onnxruntime runs on every core: the pipeline tags in one process

    @property
    def theme_names(self) -> tuple[str, ...]:
        """The themes, in the order of the theme probabilities' columns."""
        return THEMES

    def probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Theme probabilities (n x THEMES) and polarity probabilities (n x POLARITIES), in the order of ``texts``."""
        texts = sentences(texts)
        n = len(texts)
        P = np.zeros((n, len(THEMES)))
        Q = np.zeros((n, len(POLARITIES)))
        order = sorted(range(n), key=lambda i: len(texts[i]))  # like lengths together: less padding
        for start in range(0, n, BATCH):
            idx = order[start:start + BATCH]
            encodings = self.tokenizer.encode_batch([str(texts[i]) for i in idx])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            p, q = self.session.run(["theme_proba", "polarity_proba"], {"input_ids": ids, "attention_mask": mask})
            P[idx] = p
            Q[idx] = q
        return P, Q

    def tag(self, texts: Sequence[str], judgements: Sequence[str] | None = None,
            recommendations: Sequence[bool] | None = None) -> Tags:
        """Themes, polarity and probabilities; the layout rule as :meth:`OfstedModel.tag`."""
        texts = [str(t) for t in sentences(texts)]
        check_layout(len(texts), judgements, recommendations)
        P, Q = self.probabilities(texts)
        return decide(texts, P, Q, self.thresholds, judgements, recommendations)

    def predict(self, texts: Sequence[str], judgements: Sequence[str] | None = None,
                recommendations: Sequence[bool] | None = None) -> pd.DataFrame:
        """One row per text, with the columns of :meth:`OfstedModel.predict`."""
        texts = [str(t) for t in sentences(texts)]
        return tags_frame(texts, self.tag(texts, judgements, recommendations))


def is_accurate(name: str | Path | None) -> bool:
    """Whether a ``--model`` value names the accurate model (``accurate``, or its folder or card)."""
    if name is None:
        return False
    if str(name) == ACCURATE_NAME:
        return True
    path = Path(name)
    return (path.is_dir() and (path / CARD_NAME).is_file()) or path.name == CARD_NAME


def load_accurate(folder: str | Path | None = None, threads: int | None = None) -> AccurateModel:
    """Load the accurate model from ``folder`` (default: the one shipped in the package).

    Raises :class:`ModelError` with one line if the extra is not installed, a
    file is missing, or a file's sha256 differs from the card's.
    """
    if folder is None or str(folder) == ACCURATE_NAME:
        folder = ACCURATE_DIR
    folder = Path(folder)
    if folder.name == CARD_NAME:
        folder = folder.parent
    card_file = folder / CARD_NAME
    if not card_file.is_file():
        raise ModelError(f"{folder}: no accurate model here (no {CARD_NAME})")
    try:
        card = json.loads(card_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{card_file}: unreadable card ({exc})") from None
    if not isinstance(card, dict) or card.get("format") != ACCURATE_FORMAT:
        raise ModelError(f"{card_file}: not an accurate-model card of format {ACCURATE_FORMAT}")
    if list(card.get("themes", [])) != list(THEMES) or list(card.get("polarities", [])) != list(POLARITIES):
        raise ModelError(f"{card_file}: made for other themes or polarities than this version's")
    files = {}
    for name, key in ((ONNX_NAME, "onnx_sha256"), (TOKENIZER_NAME, "tokenizer_sha256")):
        path = folder / name
        if not path.is_file():
            raise ModelError(f"{path}: missing (the accurate model needs it)")
        if _sha256(path) != card.get(key):
            raise ModelError(f"{path}: sha256 does not match {CARD_NAME}; the file is damaged or not the card's")
        files[name] = path
    try:
        import onnxruntime as ort
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise ModelError(f"the accurate model needs {exc.name}, not installed here: {EXTRA_HINT}") from None
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or min(os.cpu_count() or 1, 4)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(files[ONNX_NAME]), sess_options=options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(files[TOKENIZER_NAME]))
    max_length = int(card.get("max_length", 96))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    thresholds = {t: float(card["thresholds"][t]) for t in THEMES}
    info = {"card": card, "path": str(folder), "kind": "accurate"}
    return AccurateModel(session, tokenizer, thresholds, max_length, info)
