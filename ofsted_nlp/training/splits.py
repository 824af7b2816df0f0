"""A fixed evaluation split: a fifth of authorities held out from every model.

The teacher, the student (the shipped TF-IDF model trained on gold and soft
labels) and the side-by-side evaluation must agree on which sentences none of
them has seen. The split is by *authority* (the ``groups`` of
:class:`ofsted_nlp.training.dataset.TrainingData`, i.e. the ONS code ``new_la_code``),
so no authority's sentences are on both sides, and it is stratified by kind of
document, so that both focused-visit letters and inspection reports are held
out in about the same share.

The held-out authorities are a committed list, ``data/labels/heldout_authorities.csv``
(``new_la_code,la_name``), so that the split does not move when labels are
added. :func:`choose_heldout` is how that list was drawn (deterministic: it
walks authorities in the order of a salted SHA-256 of their code and keeps one
whenever it does not carry a kind of document past its share). An authority
that was reorganised is held out with its predecessors or successors
(:data:`FAMILIES`), so that, e.g., Poole's old letters cannot teach a model
about Bournemouth, Christchurch and Poole. Anything not on the list,
including authorities with no labels yet, is on the training side.

Example::

    >>> from ofsted_nlp.training.splits import load_heldout, is_heldout
    >>> heldout = load_heldout()
    >>> is_heldout("E09000012", heldout)  # Hackney
    False
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
HELDOUT_FILE = REPO / "data" / "labels" / "heldout_authorities.csv"
HELDOUT_COLUMNS = ("new_la_code", "la_name")
HELDOUT_SHARE = 0.2
SALT = "ofsted-nlp:heldout:v1"

# Kinds of document the split is stratified by: the corpus folder a document
# sits in (every file in ``letters/`` is a focused-visit letter, every file in
# ``reports/`` an inspection report). The five seed letters (2010-2019 letters
# shipped in ``data/letters/``) are neither and are not balanced: they fall on
# the side of their authority like any other label.
STRATA = ("letters", "reports")
SEEDS = "seeds"

# Authorities that replaced others, held out (or not) together.
FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({"E06000028", "E06000029", "E06000058"}),  # Bournemouth, Poole -> Bournemouth, Christchurch and Poole
    frozenset({"E10000009", "E06000059"}),  # Dorset County Council -> Dorset Council
    frozenset({"E10000021", "E06000061", "E06000062"}),  # Northamptonshire -> North, West Northamptonshire
    frozenset({"E10000006", "E06000063", "E06000064"}),  # Cumbria -> Cumberland, Westmorland and Furness
)


class SplitError(ValueError):
    """The held-out list is malformed; the message names the file and line."""


def family(code: str) -> frozenset[str]:
    """The authority codes held out together with ``code`` (itself alone if never reorganised)."""
    for fam in FAMILIES:
        if code in fam:
            return fam
    return frozenset({code})


def _order_key(codes: frozenset[str], salt: str) -> str:
    return hashlib.sha256(f"{salt}:{min(codes)}".encode()).hexdigest()


def choose_heldout(counts: Mapping[str, Mapping[str, int]], share: float = HELDOUT_SHARE,
                   salt: str = SALT) -> list[str]:
    """Draw the held-out authorities from label counts per authority and kind of document.

    ``counts`` maps an authority code to ``{kind: number of labels}`` (kinds
    from :data:`STRATA`; counts of :data:`SEEDS` are accepted and not balanced). Families of reorganised authorities move as one.
    Authorities are visited in the order of a salted SHA-256 of their code; one
    is taken if it keeps every kind within ``share`` (+10% of it) of that
    kind's labels, until every kind has reached ``share`` (-5% of it). The
    result depends only on ``counts`` (not on their order) and ``salt``
    (another salt draws another split of the same counts, e.g. the teacher's
    validation authorities among the training ones). Returns the
    held-out codes, sorted (every member of a taken family, labelled or not).
    """
    units: dict[frozenset[str], dict[str, int]] = {}
    for code, by_kind in counts.items():
        unit = units.setdefault(family(code), dict.fromkeys(STRATA, 0))
        for k, n in by_kind.items():
            if k in STRATA:
                unit[k] += int(n)
            elif k != SEEDS:
                raise ValueError(f"unknown kind of document {k!r} (expected one of {', '.join(STRATA)})")
    total = {k: sum(u[k] for u in units.values()) for k in STRATA}
    target = {k: share * total[k] for k in STRATA}
    taken = dict.fromkeys(STRATA, 0)
    chosen: list[str] = []
    for fam in sorted(units, key=lambda fam: _order_key(fam, salt)):
        if all(taken[k] >= 0.95 * target[k] for k in STRATA):
            break
        labels = units[fam]
        if any(taken[k] + labels[k] > 1.10 * target[k] for k in STRATA):
            continue
        chosen.extend(fam)
        for k in STRATA:
            taken[k] += labels[k]
    return sorted(chosen)


VALIDATION_SALT = "ofsted-nlp:teacher-validation:v1"
VALIDATION_SHARE = 0.15


def validation_mask(groups: Sequence[str], strata: Sequence[str], held: np.ndarray,
                    share: float = VALIDATION_SHARE, salt: str = VALIDATION_SALT) -> np.ndarray:
    """Labels of the validation authorities: a ``share`` of the authorities not ``held`` out.

    Drawn by :func:`choose_heldout` with another salt, so that settings (the
    teacher's thresholds, the student's soft-label weight) are chosen on
    authorities that neither the model being tuned nor the held-out scores see.
    """
    counts: dict[str, Counter] = defaultdict(Counter)
    for g, k, h in zip(groups, strata, held):
        if not h:
            counts[g][k] += 1
    codes = set(choose_heldout(counts, share=share, salt=salt))
    return np.array([g in codes for g in groups], dtype=bool) & ~np.asarray(held, dtype=bool)


def load_heldout(path: str | Path = HELDOUT_FILE) -> frozenset[str]:
    """The held-out authority codes of the committed list."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SplitError(f"{path}: cannot be read ({exc.strerror})") from None
    codes: set[str] = set()
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if tuple(reader.fieldnames or ()) != HELDOUT_COLUMNS:
        raise SplitError(f"{path}: columns must be {','.join(HELDOUT_COLUMNS)}")
    for row in reader:
        code = (row["new_la_code"] or "").strip()
        if not code:
            raise SplitError(f"{path}:{reader.line_num}: empty new_la_code")
        if code in codes:
            raise SplitError(f"{path}:{reader.line_num}: {code} listed twice")
        codes.add(code)
    for code in codes:
        missing = family(code) - codes
        if missing:
            raise SplitError(f"{path}: {code} is held out without {', '.join(sorted(missing))} (same family)")
    return frozenset(codes)


def write_heldout(codes: Iterable[str], path: str | Path = HELDOUT_FILE) -> None:
    """Write the held-out list (with DfE names, for readers), refusing to replace a different one."""
    from ofsted_nlp.authorities.lookup import authority_by_code

    path = Path(path)
    codes = sorted(set(codes))
    if path.exists() and load_heldout(path) != frozenset(codes):
        raise SplitError(f"{path}: already holds a different split; remove it first to draw a new one")
    tmp = Path(str(path) + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(HELDOUT_COLUMNS)
        for code in codes:
            a = authority_by_code(code)
            w.writerow([code, a.la_name if a else ""])
    tmp.replace(path)


def is_heldout(group: str, heldout: frozenset[str] | None = None) -> bool:
    """Whether an authority (a ``groups`` entry: its ``new_la_code``) is on the held-out side."""
    return group in (load_heldout() if heldout is None else heldout)


def heldout_mask(groups: Iterable[str], heldout: frozenset[str] | None = None) -> np.ndarray:
    """Boolean array, True where the label's authority is held out (the rest is for training)."""
    held = load_heldout() if heldout is None else heldout
    return np.array([g in held for g in groups], dtype=bool)


def document_strata(corpus: str | Path) -> dict[str, str]:
    """Corpus document id -> kind of document (``letters`` or ``reports``), from the corpus index files."""
    corpus = Path(corpus)
    out: dict[str, str] = {}
    for folder in STRATA:
        index = corpus / f"{folder}.csv"
        if not index.exists():
            continue
        with open(index, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                out[row["id"]] = folder
    return out


def label_strata(documents: Iterable[str], corpus: str | Path) -> list[str]:
    """The kind of document of each label: ``letters``, ``reports``, or ``seeds`` for a document not in the corpus."""
    kinds = document_strata(corpus)
    return [kinds.get(doc, SEEDS) for doc in documents]
