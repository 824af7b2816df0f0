"""Gold labels: the plain CSV files in ``data/labels/``, validated on load.

Two files, one format each:

* ``seeds.csv``: ``document,index,text,themes,polarity`` for the five seed
  letters shipped in ``data/letters/`` (their text may be committed).
* ``corpus.csv``: ``document,fingerprint,position,themes,polarity`` (and
  optionally ``drawn``) for sentences of ``../shared/corpus``. The text is
  never committed: training re-reads the PDF and re-attaches each label to
  the sentence whose normalised text has that fingerprint. ``drawn`` says why
  the sentence was chosen for reading (``random``, ``round3:neutral``,
  ``round5:uncertain-polarity``, ...), so that scores can be given on the
  sentences drawn at random alone.

``themes`` is a ``;``-separated list (empty for none) of the codebook's
themes; ``polarity`` is ``positive``, ``negative`` or ``neutral``.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ofsted_nlp.reading.normal_form import normalise as normalise  # re-exported: the fingerprinted form
from ofsted_nlp.schema import POLARITIES, THEMES
from ofsted_nlp.schema import SCORE_KEYS as SCORE_KEYS  # re-exported: the order of a finding's scores

SEED_COLUMNS = ("document", "index", "text", "themes", "polarity")
CORPUS_COLUMNS = ("document", "fingerprint", "position", "themes", "polarity")
DRAWN_COLUMN = "drawn"  # optional in corpus files: why the sentence was drawn for reading


class LabelError(ValueError):
    """A label file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Label:
    """One labelled sentence. ``text`` is ``None`` until a corpus label is re-attached."""

    document: str
    themes: tuple[str, ...]
    polarity: str
    text: str | None = None
    fingerprint: str | None = None
    position: int | None = None
    source: str = ""
    drawn: str = ""


def fingerprint(sentence: str) -> str:
    """Short, stable fingerprint of a sentence's normalised text."""
    return hashlib.sha1(normalise(sentence).encode("utf-8")).hexdigest()[:16]


def parse_themes(value: str, where: str) -> tuple[str, ...]:
    themes = tuple(t.strip() for t in (value or "").split(";") if t.strip())
    for t in themes:
        if t not in THEMES:
            raise LabelError(f"{where}: unknown theme {t!r} (expected one of {', '.join(THEMES)})")
    if len(set(themes)) != len(themes):
        raise LabelError(f"{where}: theme listed twice in {value!r}")
    return tuple(t for t in THEMES if t in themes)


def _check_polarity(value: str, where: str) -> str:
    v = (value or "").strip()
    if v not in POLARITIES:
        raise LabelError(f"{where}: unknown polarity {v!r} (expected one of {', '.join(POLARITIES)})")
    return v


def _rows(path: Path, columns: tuple[str, ...]):
    """(line number, row) of a label file; a file that cannot be read as CSV (a field over the csv module's
    limit, a NUL byte, bytes that are not UTF-8) or holds a header alone is a LabelError naming file and line."""
    try:
        fh = open(path, newline="", encoding="utf-8")
    except OSError as exc:
        raise LabelError(f"{path}: cannot be read ({exc.strerror})") from None
    with fh:
        reader = csv.DictReader(fh)
        done = 0  # the last line of the rows read so far: a bad row starts on the next
        try:
            fieldnames = reader.fieldnames
            done = reader.line_num
            missing = [c for c in columns if c not in (fieldnames or [])]
            if missing:
                raise LabelError(f"{path}: missing column(s) {', '.join(missing)}")
            rows = 0
            for row in reader:
                rows += 1
                yield reader.line_num, row
                done = reader.line_num
        except csv.Error as exc:
            raise LabelError(f"{path}:{done + 1}: not a CSV row ({_csv_problem(exc)})") from None
        except UnicodeDecodeError:
            raise LabelError(f"{path}: not UTF-8 text (after line {done})") from None
        if not rows:
            raise LabelError(f"{path}: no labels (a header and nothing else)")


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if text.startswith("field larger than field limit"):
        return f"a field of more than {csv.field_size_limit():,} characters"
    return text


def load_seed_labels(path: str | Path) -> list[Label]:
    """Labels with their text (the seed letters)."""
    path = Path(path)
    out = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in _rows(path, SEED_COLUMNS):
        where = f"{path}:{line}"
        text = (row["text"] or "").strip()
        if not text:
            raise LabelError(f"{where}: empty text")
        try:
            index = int(row["index"])
        except (TypeError, ValueError):
            raise LabelError(f"{where}: index must be a whole number, got {row['index']!r}") from None
        fp = fingerprint(text)
        key = (row["document"], fp)
        if key in seen:
            raise LabelError(f"{where}: sentence labelled twice ({row['document']} {fp}, first on line {seen[key]})")
        seen[key] = line
        out.append(
            Label(
                document=row["document"],
                themes=parse_themes(row["themes"], where),
                polarity=_check_polarity(row["polarity"], where),
                text=text,
                fingerprint=fp,
                position=index,
                source="seeds",
            )
        )
    return out


def load_corpus_labels(path: str | Path) -> list[Label]:
    """Labels by reference (document id, fingerprint, position), without text."""
    path = Path(path)
    out = []
    seen = set()
    for line, row in _rows(path, CORPUS_COLUMNS):
        where = f"{path}:{line}"
        fp = (row["fingerprint"] or "").strip()
        if not re.fullmatch(r"[0-9a-f]{16}", fp):
            raise LabelError(f"{where}: fingerprint must be 16 hex digits, got {fp!r}")
        try:
            pos = int(row["position"])
        except ValueError:
            raise LabelError(f"{where}: position must be a whole number, got {row['position']!r}") from None
        drawn = (row.get(DRAWN_COLUMN) or "").strip()
        if not re.fullmatch(r"[a-z0-9:_-]*", drawn):
            raise LabelError(f"{where}: drawn must be lower-case words joined by ':', '-' or '_', got {drawn!r}")
        key = (row["document"], fp)
        if key in seen:
            raise LabelError(f"{where}: sentence labelled twice ({row['document']} {fp})")
        seen.add(key)
        out.append(
            Label(
                document=row["document"].strip(),
                themes=parse_themes(row["themes"], where),
                polarity=_check_polarity(row["polarity"], where),
                fingerprint=fp,
                position=pos,
                source="corpus",
                drawn=drawn,
            )
        )
    return out


def attach(labels: list[Label], sentences: list[str]) -> tuple[list[Label], list[Label]]:
    """Give corpus labels of one document their text back.

    ``sentences`` are the document's findings in order. A label attaches to
    the sentence with its fingerprint (the nearest to its position if the
    sentence occurs twice). Returns (attached, not attached).
    """
    by_fp: dict[str, list[int]] = {}
    for i, s in enumerate(sentences):
        by_fp.setdefault(fingerprint(s), []).append(i)
    ok, missing = [], []
    for lab in labels:
        idx = by_fp.get(lab.fingerprint or "")
        if not idx:
            missing.append(lab)
            continue
        i = min(idx, key=lambda k: abs(k - (lab.position or 0)))
        ok.append(Label(lab.document, lab.themes, lab.polarity, sentences[i], lab.fingerprint, i, lab.source,
                        lab.drawn))
    return ok, missing


def write_corpus_labels(path: str | Path, rows: list[Label]) -> None:
    """Write corpus labels (never their text), sorted by document and position."""
    rows = sorted(rows, key=lambda r: (r.document, r.position or 0))
    tmp = Path(str(path) + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CORPUS_COLUMNS + (DRAWN_COLUMN,))
        for r in rows:
            w.writerow([r.document, r.fingerprint, r.position, ";".join(r.themes), r.polarity, r.drawn])
    tmp.replace(path)
