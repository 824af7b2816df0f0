"""Assemble the training table from the label files, re-reading corpus text from the PDFs."""

from __future__ import annotations

import csv
import hashlib
import warnings
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ofsted_nlp.training.labels import THEMES, Label, LabelError, attach, load_corpus_labels, load_seed_labels

if TYPE_CHECKING:  # pragma: no cover
    from ofsted_nlp.reading.letter import Letter

REPO = Path(__file__).resolve().parents[2]
LABELS_DIR = REPO / "data" / "labels"
# The teacher's probabilities on corpus findings (by reference, no text): what the shipped model also learns from.
SOFT_LABELS = REPO / "data" / "soft" / "teacher_soft.csv.gz"
LETTERS_DIR = REPO / "data" / "letters"
SHARED_CORPUS = REPO.parent / "shared" / "corpus"


@dataclass
class TrainingData:
    """Labelled sentences ready for a model, with the authority each came from."""

    texts: list[str]
    Y: np.ndarray  # (n, len(THEMES)) 0/1
    polarity: list[str]
    documents: list[str]
    groups: list[str]  # authority codes, for grouped cross-validation
    unattached: list[Label]
    drawn: list[str] = field(default_factory=list)  # why each was read: "seed", "random", "round5:...", ...
    sources: list[str] = field(default_factory=list)  # the label files read

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for t, y, p in zip(self.texts, self.Y.tolist(), self.polarity):
            h.update(f"{t}\t{y}\t{p}\n".encode())
        return h.hexdigest()

    def label_counts(self) -> dict[str, int]:
        counts = {t: int(self.Y[:, j].sum()) for j, t in enumerate(THEMES)}
        counts["no theme"] = int((self.Y.sum(axis=1) == 0).sum())
        for p in sorted(set(self.polarity)):
            counts[p] = self.polarity.count(p)
        return counts


def _corpus_index(corpus: Path) -> dict[str, tuple[Path, str]]:
    """document id -> (pdf path, authority name as the index gives it)."""
    out = {}
    for folder in ("letters", "reports"):
        index = corpus / f"{folder}.csv"
        if not index.exists():
            continue
        with open(index, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                out[row["id"]] = (corpus / folder / f"{row['id']}.pdf", row["authority"])
    return out


def _group(letter, fallback: str) -> str:
    return letter.new_la_code or letter.la_name or fallback


def load_training_data(labels_dir: Path = LABELS_DIR, corpus: Path = SHARED_CORPUS,
                       letters_dir: Path = LETTERS_DIR, progress=None,
                       reader: Callable[[Path], Letter] | None = None) -> TrainingData:
    """Read every label file, re-attach corpus labels to text re-read from the PDFs.

    ``reader`` reads a corpus PDF (default :func:`~ofsted_nlp.reading.letter.read_letter`; a cache of letters
    already read can stand in).
    """
    from ofsted_nlp.reading.letter import read_letter

    read_corpus = reader or read_letter

    rows: list[tuple[str | None, tuple[str, ...], str, str, str, str]] = []
    unattached: list[Label] = []
    seeds_file = labels_dir / "seeds.csv"
    sources = [str(f) for f in (seeds_file, labels_dir / "corpus.csv") if f.exists()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if seeds_file.exists():
            seed_labels = load_seed_labels(seeds_file)
            groups = {}
            for doc in {lab.document for lab in seed_labels}:
                candidates = list(letters_dir.glob(f"{doc}.*"))
                groups[doc] = _group(read_letter(candidates[0]), doc) if candidates else doc
            for lab in seed_labels:
                rows.append((lab.text, lab.themes, lab.polarity, lab.document, groups[lab.document], "seed"))
        corpus_file = labels_dir / "corpus.csv"
        if corpus_file.exists():
            labels = load_corpus_labels(corpus_file)
            by_doc: dict[str, list[Label]] = defaultdict(list)
            for lab in labels:
                by_doc[lab.document].append(lab)
            index = _corpus_index(corpus)
            docs = sorted(by_doc)
            for doc in (progress(docs) if progress else docs):
                if doc not in index or not index[doc][0].exists():
                    unattached.extend(by_doc[doc])
                    continue
                letter = read_corpus(index[doc][0])
                ok, missing = attach(by_doc[doc], [f.text for f in letter.findings])
                unattached.extend(missing)
                for lab in ok:
                    rows.append((lab.text, lab.themes, lab.polarity, doc, _group(letter, index[doc][1]), lab.drawn))
    Y = np.array([[1 if t in r[1] else 0 for t in THEMES] for r in rows], dtype=int).reshape(len(rows), len(THEMES))
    return TrainingData(
        texts=[r[0] or "" for r in rows],
        Y=Y,
        polarity=[r[2] for r in rows],
        documents=[r[3] for r in rows],
        groups=[r[4] for r in rows],
        unattached=unattached,
        drawn=[r[5] for r in rows],
        sources=sources,
    )


MIN_AUTHORITIES = 2  # the themes' thresholds are chosen on folds by authority
MIN_POLARITIES = 2


def check_trainable(data: TrainingData, labels_dir: Path = LABELS_DIR) -> None:
    """Raise :class:`~ofsted_nlp.training.labels.LabelError`, naming the label files, where a model cannot be
    fitted on ``data``: no labels, labels of one polarity only, or labels from one authority only."""
    where = " and ".join(data.sources) or str(labels_dir)
    n = len(data.texts)
    labels = f"{n} label{'s' if n != 1 else ''}"
    if not n:
        raise LabelError(f"{where}: no labels to train on")
    polarities = sorted(set(data.polarity))
    if len(polarities) < MIN_POLARITIES:
        raise LabelError(f"{where}: {'the' if n == 1 else 'all'} {labels} {'is' if n == 1 else 'are'} "
                         f"{polarities[0]}; training needs labels of at least {MIN_POLARITIES} polarities")
    authorities = sorted(set(data.groups))
    if len(authorities) < MIN_AUTHORITIES:
        raise LabelError(f"{where}: {'the' if n == 1 else 'all'} {labels} {'is' if n == 1 else 'are'} from one "
                         f"authority ({authorities[0]}); training needs labels from at least {MIN_AUTHORITIES} "
                         "(the themes' thresholds are chosen on folds by authority)")
