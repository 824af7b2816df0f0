"""The teacher network: mean-pooled all-MiniLM-L6-v2 with a theme head and a polarity head.

Needs torch and transformers (the ``[teacher]`` extra). Weights are read only
from the verified local folder (:func:`ofsted_nlp.training.teacher.weights.verify_weights`),
never downloaded: ``HF_HUB_OFFLINE`` is set and ``local_files_only`` passed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import torch
from torch import nn

from ofsted_nlp.schema import POLARITIES, THEMES
from ofsted_nlp.training.teacher.weights import BASE_SHA256, WeightsError, base_weights_dir, verify_weights

TEACHER_FORMAT = 1


@dataclass
class TeacherConfig:
    """What a teacher was trained with; saved with it and compared when a run resumes."""

    max_length: int = 96
    batch_size: int = 32
    epochs: int = 3
    lr_encoder: float = 6e-5
    lr_heads: float = 1e-3
    weight_decay: float = 0.01
    warmup_share: float = 0.06
    seed: int = 13
    validation_share: float = 0.15
    include_heldout: bool = False
    length_buckets: int = 50  # batches of like length are drawn from runs of this many batches
    base_sha256: str = BASE_SHA256
    themes: tuple[str, ...] = THEMES
    polarities: tuple[str, ...] = POLARITIES
    extra: dict = field(default_factory=dict)


class TeacherNet(nn.Module):
    """Encoder, mean pooling over real tokens, then one linear head per task."""

    def __init__(self, encoder: nn.Module, hidden: int, n_themes: int, n_polarities: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.themes = nn.Linear(hidden, n_themes)
        self.polarity = nn.Linear(hidden, n_polarities)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(out.dtype)
        pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        pooled = self.dropout(pooled)
        return self.themes(pooled), self.polarity(pooled)


def load_base(model_dir: str | Path | None = None):
    """(tokenizer, encoder) from the verified all-MiniLM-L6-v2 folder; raises WeightsError otherwise."""
    from transformers import AutoModel, AutoTokenizer

    folder = verify_weights(model_dir if model_dir is not None else base_weights_dir())
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    encoder = AutoModel.from_pretrained(str(folder), local_files_only=True)
    return tokenizer, encoder


def build_net(model_dir: str | Path | None = None) -> tuple[object, TeacherNet]:
    tokenizer, encoder = load_base(model_dir)
    net = TeacherNet(encoder, encoder.config.hidden_size, len(THEMES), len(POLARITIES))
    return tokenizer, net


@dataclass
class Teacher:
    """A trained teacher: network, tokenizer and the per-theme thresholds chosen on validation authorities."""

    net: TeacherNet
    tokenizer: object
    thresholds: np.ndarray  # (len(THEMES),)
    config: TeacherConfig

    @torch.no_grad()
    def predict_proba(self, texts: list[str], batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
        """(theme probabilities (n, 6), polarity probabilities (n, 3)), in the order of ``texts``."""
        self.net.eval()
        n = len(texts)
        th = np.zeros((n, len(THEMES)), dtype=np.float32)
        po = np.zeros((n, len(POLARITIES)), dtype=np.float32)
        order = sorted(range(n), key=lambda i: len(texts[i]))  # similar lengths together: less padding
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,  # type: ignore[operator]
                                 max_length=self.config.max_length, return_tensors="pt")
            t_logits, p_logits = self.net(enc["input_ids"], enc["attention_mask"])
            th[idx] = torch.sigmoid(t_logits).numpy()
            po[idx] = torch.softmax(p_logits, dim=-1).numpy()
        return th, po

    def predict(self, texts: list[str], batch_size: int = 64) -> tuple[np.ndarray, list[str]]:
        """(theme 0/1 matrix at the chosen thresholds, polarity labels)."""
        th, po = self.predict_proba(texts, batch_size)
        return (th >= self.thresholds).astype(int), [POLARITIES[k] for k in po.argmax(1)]


def save_teacher(teacher: Teacher, path: str | Path) -> None:
    """Write the trained teacher (state, thresholds, config) atomically."""
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save({"format": TEACHER_FORMAT, "state": teacher.net.state_dict(),
                "thresholds": teacher.thresholds.tolist(), "config": teacher.config.__dict__}, tmp)
    tmp.replace(path)


def load_teacher(path: str | Path, model_dir: str | Path | None = None) -> Teacher:
    """Load a teacher written by :func:`save_teacher` on top of the verified base weights."""
    path = Path(path)
    try:
        blob = torch.load(path, map_location="cpu", weights_only=False)
    except (OSError, RuntimeError, EOFError) as exc:
        raise WeightsError(f"{path}: not a readable teacher ({exc})") from None
    if not isinstance(blob, dict) or blob.get("format") != TEACHER_FORMAT:
        raise WeightsError(f"{path}: not a teacher file of format {TEACHER_FORMAT}")
    config = TeacherConfig(**blob["config"])
    if tuple(config.themes) != THEMES or tuple(config.polarities) != POLARITIES:
        raise WeightsError(f"{path}: trained for other themes or polarities than the schema's")
    tokenizer, net = build_net(model_dir)
    net.load_state_dict(blob["state"])
    net.eval()
    return Teacher(net, tokenizer, np.asarray(blob["thresholds"], dtype=np.float32), config)
