"""The teacher's probabilities on corpus findings, kept by reference and re-attached to the text.

The file (``teacher_soft.csv.gz``) has one row per finding of the corpus:
``document,new_la_code,fingerprint,position`` and one probability per score
key of the schema (the six themes, then positive, negative, neutral). It never
holds text: like ``data/labels/corpus.csv``, a row re-attaches to the sentence
of its document whose normalised text has its fingerprint
(:func:`ofsted_nlp.training.labels.fingerprint`), the nearest to ``position`` if the
sentence occurs twice. ``new_la_code`` lets a student drop the held-out
authorities (:mod:`ofsted_nlp.training.splits`) without re-reading anything.

No torch here: writing, reading and attaching are plain Python, so the
student's training and the tests need only the file.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ofsted_nlp.schema import POLARITIES, SCORE_KEYS, THEMES
from ofsted_nlp.training.labels import fingerprint
from ofsted_nlp.training.splits import document_strata

SOFT_COLUMNS = ("document", "new_la_code", "fingerprint", "position") + SCORE_KEYS


class SoftLabelError(ValueError):
    """A soft-label file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class SoftLabel:
    """The teacher's probabilities for one finding; ``text`` is ``None`` until re-attached."""

    document: str
    new_la_code: str
    fingerprint: str
    position: int
    probs: tuple[float, ...]  # in the order of schema.SCORE_KEYS
    text: str | None = None

    def theme_probs(self) -> tuple[float, ...]:
        return self.probs[:len(THEMES)]

    def polarity_probs(self) -> tuple[float, ...]:
        return self.probs[len(THEMES):]


def soft_labels_for_findings(document: str, new_la_code: str | None, sentences: Sequence[str],
                             theme_probs: Sequence[Sequence[float]],
                             polarity_probs: Sequence[Sequence[float]]) -> list[SoftLabel]:
    """One row per finding (``sentences`` in document order) from the teacher's probabilities."""
    if not (len(sentences) == len(theme_probs) == len(polarity_probs)):
        raise ValueError("one row of probabilities per sentence is needed")
    return [
        SoftLabel(document, new_la_code or "", fingerprint(s), i,
                  tuple(round(float(p), 4) for p in list(t) + list(q)))
        for i, (s, t, q) in enumerate(zip(sentences, theme_probs, polarity_probs))
    ]


def _row(r: SoftLabel) -> list[str]:
    return [r.document, r.new_la_code, r.fingerprint, str(r.position)] + [f"{p:.4f}" for p in r.probs]


def write_part(path: str | Path, rows: Iterable[SoftLabel]) -> None:
    """Write one document's rows (plain CSV with header) atomically: a part exists whole or not at all."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(SOFT_COLUMNS)
        for r in rows:
            w.writerow(_row(r))
    tmp.replace(path)


def assemble(parts: Iterable[str | Path], output: str | Path) -> int:
    """Join document parts (sorted by document) into one gzip CSV, written atomically; returns rows written."""
    output = Path(output)
    tmp = output.with_name(output.name + ".tmp")
    n = 0
    with gzip.open(tmp, "wt", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(SOFT_COLUMNS)
        for part in sorted(Path(p) for p in parts):
            for r in read_soft_labels(part):
                w.writerow(_row(r))
                n += 1
    tmp.replace(output)
    return n


def read_soft_labels(path: str | Path) -> list[SoftLabel]:
    """Read and validate a soft-label file (``.csv`` or ``.csv.gz``)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        text = gzip.decompress(raw).decode("utf-8") if raw[:2] == b"\x1f\x8b" else raw.decode("utf-8")
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise SoftLabelError(f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if tuple(reader.fieldnames or ()) != SOFT_COLUMNS:
        raise SoftLabelError(f"{path}: columns must be {','.join(SOFT_COLUMNS)}")
    out = []
    for row in reader:
        where = f"{path}:{reader.line_num}"
        fp = row["fingerprint"] or ""
        if not re.fullmatch(r"[0-9a-f]{16}", fp):
            raise SoftLabelError(f"{where}: fingerprint must be 16 hex digits, got {fp!r}")
        try:
            position = int(row["position"])
            probs = tuple(float(row[k]) for k in SCORE_KEYS)
        except (TypeError, ValueError):
            raise SoftLabelError(f"{where}: position and probabilities must be numbers") from None
        if not all(0.0 <= p <= 1.0 for p in probs):
            raise SoftLabelError(f"{where}: a probability is outside [0, 1]")
        if not math.isclose(sum(probs[len(THEMES):]), 1.0, abs_tol=0.002 * len(POLARITIES)):
            raise SoftLabelError(f"{where}: polarity probabilities do not sum to 1")
        out.append(SoftLabel(row["document"], row["new_la_code"], fp, position, probs))
    return out


def attach_soft_labels(rows: Sequence[SoftLabel], corpus: str | Path,
                       progress: Callable[[list[str]], Iterable[str]] | None = None
                       ) -> tuple[list[SoftLabel], list[SoftLabel]]:
    """Give soft labels their text back by re-reading their documents; returns (attached, not attached).

    A row whose document is not in the corpus index, or whose fingerprint is
    no longer among the document's findings, is not attached.
    """
    import warnings

    from ofsted_nlp.reading.letter import read_letter

    corpus = Path(corpus)
    strata = document_strata(corpus)
    by_doc: dict[str, list[SoftLabel]] = defaultdict(list)
    for r in rows:
        by_doc[r.document].append(r)
    attached: list[SoftLabel] = []
    missing: list[SoftLabel] = []
    docs = sorted(by_doc)
    for doc in (progress(docs) if progress else docs):
        path = corpus / strata.get(doc, "") / f"{doc}.pdf"
        if doc not in strata or not path.exists():
            missing.extend(by_doc[doc])
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sentences = [f.text for f in read_letter(path).findings]
        where: dict[str, list[int]] = defaultdict(list)
        for i, s in enumerate(sentences):
            where[fingerprint(s)].append(i)
        for r in by_doc[doc]:
            idx = where.get(r.fingerprint)
            if not idx:
                missing.append(r)
                continue
            i = min(idx, key=lambda k: abs(k - r.position))
            attached.append(replace(r, text=sentences[i]))
    return attached, missing
