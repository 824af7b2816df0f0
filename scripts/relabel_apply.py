"""Apply read-and-decided relabelling decisions to ``data/labels/*.csv`` (run by hand).

The decisions were made by reading each sentence that
``scripts/relabel_candidates.py`` put on the worklist against the codebook's
rulings of 2026-11-29; this script only carries them out, so the change is
reproducible and reviewable. It reads a decision file, CSV or JSONL, with one
row per label read:

    file,document,fingerprint,position,old_themes,old_polarity,decision,new_themes,new_polarity,rule

* ``file``: ``corpus``, ``second_reader`` or ``seeds`` (the label file, without ``.csv``);
* ``decision``: ``keep``, ``relabel`` (to ``new_themes`` / ``new_polarity``) or
  ``drop`` (not a finding under the rulings, or a repeat of a sentence already
  labelled in the same document);
* ``rule``: ``awareness``, ``grade``, ``concession``, ``statistic``, ``repeat``, ...

The committed record, ``data/labels/relabel_2026-11-29.csv``, holds no sentence
text. Usage:

    python scripts/relabel_apply.py data/labels/relabel_2026-11-29.csv            # apply
    python scripts/relabel_apply.py data/labels/relabel_2026-11-29.csv --check    # verify only

A row's label is found by (document, fingerprint) in ``corpus.csv`` and
``second_reader.csv`` and by (document, index) in ``seeds.csv``; the row's old
label must match what the file holds (or already equal the new one, so the
script can run twice). Only the rows decided on are touched: every other line
of the label files is written back byte for byte.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from pathlib import Path

from ofsted_nlp.schema import POLARITIES
from ofsted_nlp.training.labels import LabelError, load_corpus_labels, load_seed_labels, parse_themes

LABELS = Path(__file__).resolve().parent.parent / "data" / "labels"
FILES = ("corpus", "second_reader", "seeds")
DECISION_COLUMNS = ("file", "document", "fingerprint", "position", "old_themes", "old_polarity", "decision",
                    "new_themes", "new_polarity", "rule")


def read_decisions(path: Path) -> list[dict]:
    """Decision rows from a CSV or JSONL file, checked for shape."""
    try:
        if path.suffix == ".jsonl":
            rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        else:
            with open(path, newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
    except (OSError, ValueError) as exc:
        raise LabelError(f"{path}: cannot be read ({exc})") from None
    for n, row in enumerate(rows, 2):
        where = f"{path}:{n}"
        missing = [c for c in DECISION_COLUMNS if c not in row]
        if missing:
            raise LabelError(f"{where}: missing {', '.join(missing)}")
        if row["file"] not in FILES:
            raise LabelError(f"{where}: unknown label file {row['file']!r}")
        if row["decision"] not in ("keep", "relabel", "drop"):
            raise LabelError(f"{where}: unknown decision {row['decision']!r}")
        if row["decision"] == "relabel":
            parse_themes(row["new_themes"] or "", where)
            if row["new_polarity"] not in POLARITIES:
                raise LabelError(f"{where}: unknown polarity {row['new_polarity']!r}")
        if not row.get("rule"):
            raise LabelError(f"{where}: no rule given")
        row["position"] = int(row["position"])
        row["old_themes"] = row["old_themes"] or ""
        row["new_themes"] = row["new_themes"] or ""
    return rows


def _key(file: str, document: str, fingerprint: str, position: int) -> tuple:
    return (document, position) if file == "seeds" else (document, fingerprint)


def apply(decisions: list[dict], labels_dir: Path = LABELS, write: bool = True) -> Counter:
    """Apply the decisions; return counts by (file, what changed, rule). Raises LabelError on a mismatch."""
    counts: Counter = Counter()
    for name in FILES:
        path = labels_dir / f"{name}.csv"
        todo = {_key(name, d["document"], d["fingerprint"], d["position"]): d for d in decisions if d["file"] == name}
        if not todo:
            continue
        with open(path, newline="", encoding="utf-8") as fh:
            lines = fh.read().splitlines(keepends=True)
        header = next(csv.reader([lines[0]]))
        out = [lines[0]]
        seen = set()
        for n, line in enumerate(lines[1:], 2):
            row = dict(zip(header, next(csv.reader([line]))))
            pos = int(row["index"] if name == "seeds" else row["position"])
            key = _key(name, row["document"], row.get("fingerprint", ""), pos)
            d = todo.get(key)
            if d is None:
                out.append(line)
                continue
            seen.add(key)
            have = (row["themes"], row["polarity"])
            old = (d["old_themes"], d["old_polarity"])
            new = (d["new_themes"], d["new_polarity"])
            if d["decision"] == "keep":
                if have != old:
                    raise LabelError(f"{path}:{n}: decided 'keep' on {old}, file holds {have}")
                out.append(line)
                counts[(name, "kept", d["rule"])] += 1
                continue
            if have != old and not (d["decision"] == "relabel" and have == new):
                raise LabelError(f"{path}:{n}: decision expects {old}, file holds {have}")
            if d["decision"] == "drop":
                counts[(name, "dropped", d["rule"])] += 1
                continue
            if have == new:
                out.append(line)
                counts[(name, "already", d["rule"])] += 1
                continue
            if old[1] != new[1]:
                counts[(name, f"polarity {old[1]}->{new[1]}", d["rule"])] += 1
            if old[0] != new[0]:
                counts[(name, "themes", d["rule"])] += 1
            row["themes"], row["polarity"] = new
            buf = _Line()
            csv.writer(buf, lineterminator=line[len(line.rstrip("\r\n")):] or "\n").writerow([row[c] for c in header])
            out.append(buf.text)
        absent = [k for k in todo if k not in seen and todo[k]["decision"] != "drop"]
        if absent:
            raise LabelError(f"{path}: {len(absent)} decided label(s) not found, e.g. {absent[0]}")
        if write:
            tmp = path.with_suffix(".csv.tmp")
            tmp.write_text("".join(out), encoding="utf-8")
            tmp.replace(path)
    if write:  # the files must still load
        load_corpus_labels(labels_dir / "corpus.csv")
        load_corpus_labels(labels_dir / "second_reader.csv")
        load_seed_labels(labels_dir / "seeds.csv")
    return counts


class _Line:
    def __init__(self) -> None:
        self.text = ""

    def write(self, s: str) -> None:
        self.text += s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("decisions", type=Path)
    ap.add_argument("--labels", type=Path, default=LABELS)
    ap.add_argument("--check", action="store_true", help="verify the decisions match the files; write nothing")
    args = ap.parse_args(argv)
    try:
        counts = apply(read_decisions(args.decisions), args.labels, write=not args.check)
    except LabelError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    for (name, what, rule), n in sorted(counts.items()):
        print(f"{name:14} {what:28} {rule:12} {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
