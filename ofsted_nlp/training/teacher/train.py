"""Fine-tune the teacher with resumable checkpoints, choose theme thresholds, score held-out authorities.

Which labels it learns from (:func:`split_for_teacher`):

- *held out*: the authorities of ``data/labels/heldout_authorities.csv``
  (:mod:`ofsted_nlp.training.splits`), never seen in training; scored at the end;
- *validation*: a further ~15% of the remaining authorities (drawn the same
  way, with another salt), on which each theme's threshold is chosen and
  progress is reported after every epoch;
- *training*: the rest.

With ``include_heldout`` the held-out authorities join the training side (for
the teacher that labels the corpus for the shipped model, once the
evaluation is done); there are no held-out scores then.

Training is deterministic for a given seed, label set and thread count:
batches follow a permutation seeded by (seed, epoch), and a checkpoint
(network, optimiser, schedule, RNG state, position) is written every N steps
and at the end of every epoch, atomically. Running again resumes from it; a
checkpoint made with other settings or other labels is refused, not mixed.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ofsted_nlp.schema import POLARITIES, THEMES
from ofsted_nlp.training.dataset import TrainingData
from ofsted_nlp.training.splits import VALIDATION_SALT, heldout_mask, label_strata, load_heldout, validation_mask
from ofsted_nlp.training.teacher.model import Teacher, TeacherConfig, TeacherNet, build_net, load_teacher, save_teacher
from ofsted_nlp.training.teacher.weights import WeightsError

CHECKPOINT = "checkpoint.pt"
TEACHER = "teacher.pt"
SCORES = "heldout_scores.json"


def split_for_teacher(data: TrainingData, corpus: Path, config: TeacherConfig) -> dict[str, np.ndarray]:
    """Indices of the training, validation and held-out labels (held-out empty with ``include_heldout``)."""
    strata = label_strata(data.documents, corpus)
    held = np.zeros(len(data.texts), dtype=bool) if config.include_heldout else heldout_mask(data.groups,
                                                                                             load_heldout())
    val = validation_mask(data.groups, strata, held, share=config.validation_share, salt=VALIDATION_SALT)
    return {"train": np.flatnonzero(~held & ~val), "validation": np.flatnonzero(val), "heldout": np.flatnonzero(held)}


def _weights(data: TrainingData, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """pos_weight per theme (sqrt of negatives/positives) and polarity class weights (sqrt of inverse frequency)."""
    Y = data.Y[idx]
    pos = Y.sum(0).clip(min=1)
    pos_weight = np.sqrt((len(idx) - pos) / pos)
    pol = Counter(data.polarity[i] for i in idx)
    freq = np.array([max(pol[p], 1) for p in POLARITIES], dtype=float)
    cw = np.sqrt(freq.sum() / (len(POLARITIES) * freq))
    return torch.tensor(pos_weight, dtype=torch.float32), torch.tensor(cw / cw.mean(), dtype=torch.float32)


def choose_thresholds(Y: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Per theme, the threshold on a 0.05 grid with the best F1 (nearest 0.5 among ties)."""
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    out = np.full(Y.shape[1], 0.5, dtype=np.float32)
    for j in range(Y.shape[1]):
        best = (-1.0, 0.0)
        for t in grid:
            pred = probs[:, j] >= t
            tp = float((pred & (Y[:, j] == 1)).sum())
            f1 = 2 * tp / max(float(pred.sum() + Y[:, j].sum()), 1.0)
            key = (round(f1, 6), -abs(t - 0.5))
            if key > best:
                best = key
                out[j] = t
    return out


def epoch_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator, bucket: int = 50) -> list[np.ndarray]:
    """One epoch's batches: shuffled, then sorted by length within runs of ``bucket`` batches, in shuffled order.

    Sentences of like length share a batch, so less padding is computed (on the
    gold labels the mean batch width falls from 52 to 28 tokens); every
    sentence is in exactly one batch.
    """
    perm = rng.permutation(len(lengths))
    batches: list[np.ndarray] = []
    for c in range(0, len(perm), batch_size * bucket):
        chunk = sorted(perm[c:c + batch_size * bucket].tolist(), key=lambda i: (lengths[i], i))
        batches.extend(np.array(chunk[i:i + batch_size]) for i in range(0, len(chunk), batch_size))
    return [batches[k] for k in rng.permutation(len(batches))]


def _fingerprint(data: TrainingData, split: dict[str, np.ndarray], config: TeacherConfig) -> dict:
    return {"labels": data.fingerprint(), "train": len(split["train"]),
            "validation": len(split["validation"]), "config": asdict(config)}


def _save_checkpoint(path: Path, net: nn.Module, opt, sched, epoch: int, step: int, run: dict) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "epoch": epoch,
                "step": step, "rng": torch.get_rng_state(), "run": run}, tmp)
    tmp.replace(path)


def _quick_scores(data: TrainingData, idx: np.ndarray, th: np.ndarray, po: np.ndarray,
                  thresholds: np.ndarray | None = None) -> dict:
    from ofsted_nlp.training.evaluation import label_scores

    t = np.full(len(THEMES), 0.5) if thresholds is None else thresholds
    return label_scores(data.Y[idx], (th >= t).astype(int), [data.polarity[i] for i in idx],
                   [POLARITIES[k] for k in po.argmax(1)])


def fit_teacher(data: TrainingData, split: dict[str, np.ndarray], workdir: Path, config: TeacherConfig,
                checkpoint_every: int = 50, log: Callable[[str], None] = print) -> Teacher:
    """Train (or resume training) and return the teacher with thresholds chosen on validation; saved in ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    run = _fingerprint(data, split, config)
    final = workdir / TEACHER
    if final.exists():
        teacher = load_teacher(final)
        if asdict(teacher.config) != run["config"]:
            raise WeightsError(f"{final}: trained with other settings; move it away to train afresh")
        log(f"teacher already trained: {final}")
        return teacher
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)  # noqa: NPY002 - the global state other libraries draw from, seeded for a rerun
    tokenizer, net = build_net()
    train = split["train"]
    texts = [data.texts[i] for i in train]
    enc = tokenizer(texts, truncation=True, max_length=config.max_length)  # type: ignore[operator]
    ids = enc["input_ids"]
    Y = torch.tensor(data.Y[train], dtype=torch.float32)
    pol = torch.tensor([POLARITIES.index(data.polarity[i]) for i in train])
    pos_weight, class_weight = _weights(data, train)
    theme_loss = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    pol_loss = nn.CrossEntropyLoss(weight=class_weight)
    head_params = list(net.themes.parameters()) + list(net.polarity.parameters())
    opt = torch.optim.AdamW([
        {"params": net.encoder.parameters(), "lr": config.lr_encoder},
        {"params": head_params, "lr": config.lr_heads},
    ], weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    total = steps_per_epoch * config.epochs
    warmup = max(1, int(config.warmup_share * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    epoch, step = 0, 0
    ckpt = workdir / CHECKPOINT
    if ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        if state["run"] != run:
            raise WeightsError(f"{ckpt}: made with other labels or settings; move it away to train afresh")
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        torch.set_rng_state(state["rng"])
        epoch, step = state["epoch"], state["step"]
        log(f"resuming from {ckpt}: epoch {epoch + 1}, step {step}/{steps_per_epoch}")
    log(f"training on {len(train)} labels, validating on {len(split['validation'])}, "
        f"{steps_per_epoch} steps an epoch, {config.epochs} epochs; pos_weight "
        + ", ".join(f"{t} {w:.1f}" for t, w in zip(THEMES, pos_weight.tolist())))
    pad = tokenizer.pad_token_id  # type: ignore[attr-defined]
    lengths = np.array([len(x) for x in ids])
    while epoch < config.epochs:
        batches = epoch_batches(lengths, config.batch_size, np.random.default_rng([config.seed, epoch]),
                                config.length_buckets)
        net.train()
        t0, seen, running = time.time(), 0, 0.0
        while step < steps_per_epoch:
            b = batches[step]
            width = max(len(ids[i]) for i in b)
            input_ids = torch.full((len(b), width), pad, dtype=torch.long)
            mask = torch.zeros((len(b), width), dtype=torch.long)
            for r, i in enumerate(b):
                input_ids[r, :len(ids[i])] = torch.tensor(ids[i])
                mask[r, :len(ids[i])] = 1
            t_logits, p_logits = net(input_ids, mask)
            loss = theme_loss(t_logits, Y[b]) + pol_loss(p_logits, pol[b])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            seen += 1
            running += loss.item()
            if step % 10 == 0 or step == steps_per_epoch:
                per = (time.time() - t0) / seen
                left = (steps_per_epoch - step + (config.epochs - epoch - 1) * steps_per_epoch) * per
                log(f"epoch {epoch + 1}/{config.epochs} step {step}/{steps_per_epoch} loss {running / seen:.4f} "
                    f"{per:.2f} s/step, ~{left / 60:.0f} min left")
            if step % checkpoint_every == 0 and step < steps_per_epoch:
                _save_checkpoint(ckpt, net, opt, sched, epoch, step, run)
        epoch, step = epoch + 1, 0
        _save_checkpoint(ckpt, net, opt, sched, epoch, step, run)
        teacher = Teacher(net, tokenizer, np.full(len(THEMES), 0.5, dtype=np.float32), config)
        th, po = teacher.predict_proba([data.texts[i] for i in split["validation"]])
        s = _quick_scores(data, split["validation"], th, po)
        log(f"epoch {epoch} done; validation: polarity accuracy {s['polarity_accuracy']:.3f} macro-F1 "
            f"{s['polarity_macro_f1']:.3f}, theme macro-F1 at 0.5 {s['theme_macro_f1']:.3f}")
    teacher = Teacher(net, tokenizer, np.full(len(THEMES), 0.5, dtype=np.float32), config)
    val = split["validation"]
    th, _ = teacher.predict_proba([data.texts[i] for i in val])
    teacher.thresholds = choose_thresholds(data.Y[val], th)
    log("thresholds chosen on validation authorities: "
        + ", ".join(f"{t} {v:.2f}" for t, v in zip(THEMES, teacher.thresholds)))
    save_teacher(teacher, final)
    log(f"teacher saved: {final}")
    return teacher


def teacher_from_checkpoint(data: TrainingData, split: dict[str, np.ndarray], workdir: Path,
                            config: TeacherConfig) -> tuple[Teacher, int, int]:
    """The network of the last checkpoint, with thresholds chosen on validation: (teacher, epoch, step).

    For looking at a run before it ends; training is not touched.
    """
    ckpt = workdir / CHECKPOINT
    if not ckpt.exists():
        raise WeightsError(f"{ckpt}: no checkpoint yet")
    state = torch.load(ckpt, map_location="cpu", weights_only=False)
    if state["run"] != _fingerprint(data, split, config):
        raise WeightsError(f"{ckpt}: made with other labels or settings")
    tokenizer, net = build_net()
    net.load_state_dict(state["net"])
    teacher = Teacher(net, tokenizer, np.full(len(THEMES), 0.5, dtype=np.float32), config)
    val = split["validation"]
    th, _ = teacher.predict_proba([data.texts[i] for i in val])
    teacher.thresholds = choose_thresholds(data.Y[val], th)
    return teacher, state["epoch"], state["step"]


def score_heldout(teacher: Teacher, data: TrainingData, split: dict[str, np.ndarray], corpus: Path) -> dict:
    """Scores of the teacher and the keyword tagger on held-out authorities, by kind and on random-drawn sentences."""
    from ofsted_nlp.tagging import codebook as keywords
    from ofsted_nlp.training.evaluation import label_scores

    idx = split["heldout"]
    texts = [data.texts[i] for i in idx]
    t0 = time.time()
    th, po = teacher.predict_proba(texts)
    speed = len(texts) / max(time.time() - t0, 1e-9)
    strata = np.asarray(label_strata([data.documents[i] for i in idx], corpus), dtype=object)
    drawn = np.asarray([data.drawn[i] for i in idx], dtype=object)
    kw_Y = np.array([[1 if t in keywords.keyword_themes(x) else 0 for t in THEMES] for x in texts])
    kw_p = [keywords.keyword_polarity(x) for x in texts]
    pred_Y = (th >= teacher.thresholds).astype(int)
    pred_p = [POLARITIES[k] for k in po.argmax(1)]
    subsets = {
        "all held-out": np.ones(len(idx), dtype=bool),
        "letters": strata == "letters",
        "reports": strata == "reports",
        "drawn at random": drawn == "random",
        "letters drawn at random": (strata == "letters") & (drawn == "random"),
        "reports drawn at random": (strata == "reports") & (drawn == "random"),
    }
    out: dict = {"authorities": sorted({data.groups[i] for i in idx}), "sentences_per_second": round(speed, 1),
                 "thresholds": dict(zip(THEMES, map(float, teacher.thresholds))), "subsets": {}}
    Y = data.Y[idx]
    pol = [data.polarity[i] for i in idx]
    for name, m in subsets.items():
        if not m.any():
            continue
        sel = np.flatnonzero(m)
        out["subsets"][name] = {
            "sentences": int(m.sum()),
            "teacher": label_scores(Y[sel], pred_Y[sel], [pol[i] for i in sel], [pred_p[i] for i in sel]),
            "keywords": label_scores(Y[sel], kw_Y[sel], [pol[i] for i in sel], [kw_p[i] for i in sel]),
        }
    return out


def format_scores(scores: dict) -> str:
    """A plain-text table of the held-out scores."""
    lines = [(f"held-out authorities: {len(scores['authorities'])}; teacher read "
              f"{scores['sentences_per_second']} sentences a second")]
    head = (f"{'subset':26} {'system':9} {'n':>5} {'pol acc':>7} {'pol F1':>6} "
            + " ".join(f"{p[:3]:>5}" for p in POLARITIES) + f" {'themeF1':>7} "
            + " ".join(f"{t[:5]:>5}" for t in THEMES))
    lines.append(head)
    for name, sub in scores["subsets"].items():
        for system in ("teacher", "keywords"):
            s = sub[system]
            lines.append(
                f"{name:26} {system:9} {sub['sentences']:>5} {s['polarity_accuracy']:7.3f} "
                f"{s['polarity_macro_f1']:6.3f} "
                + " ".join(f"{s['per_polarity'][p]['f1']:5.2f}" for p in POLARITIES)
                + f" {s['theme_macro_f1']:7.3f} " + " ".join(f"{s['per_theme'][t]['f1']:5.2f}" for t in THEMES))
    return "\n".join(lines)


def write_scores(scores: dict, workdir: Path, name: str = SCORES) -> Path:
    path = workdir / name
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(scores, indent=1), encoding="utf-8")
    tmp.replace(path)
    return path


__all__ = [
    "TeacherNet",
    "choose_thresholds",
    "fit_teacher",
    "format_scores",
    "score_heldout",
    "split_for_teacher",
    "write_scores",
]
