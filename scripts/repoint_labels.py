"""Re-point corpus labels at the sentences the reader now gives, and drop those that are no findings.

Corpus labels (``data/labels/corpus.csv``, ``second_reader.csv`` and any other
file in that format) point at a sentence by document, fingerprint of its
normalised text and position among the document's findings. When the reader
changes a sentence's text (a "(Recommendation)" marker dropped, a heading no
longer run into the paragraph under it) or stops it being a finding (who the
inspectors were, the area statistics, a sentence repeated in its document),
the label no longer attaches. For each such label this script:

1. finds the sentence the fingerprint was taken of, among every sentence of the
   document as the text now splits (findings or not, with markers left in, and
   with neighbouring blocks joined as an earlier reader joined them);
2. re-points the label at the finding that sentence became: the same words once
   the marker is removed, or the finding that contains it or is contained in it;
3. or, where no finding holds it, drops the label and says why.

Labels that still attach are left as they are (fingerprint and position).
Every label is counted under one outcome; none is lost silently. The script is
idempotent: run it again after the reader or the label files change.

    python scripts/repoint_labels.py                    # all label files in data/labels
    python scripts/repoint_labels.py --dry-run          # counts only, nothing written
    python scripts/repoint_labels.py --log /tmp/why.csv # one line per re-pointed or dropped label (with text:
                                                        # keep it out of the repository)
"""

from __future__ import annotations

import argparse
import csv
import sys
import warnings
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ofsted_nlp.reading import sections  # noqa: E402
from ofsted_nlp.reading.sentences import is_bare_statistic, is_finding_text, split_long, split_sentences  # noqa: E402
from ofsted_nlp.training.dataset import SHARED_CORPUS, _corpus_index  # noqa: E402
from ofsted_nlp.training.labels import (  # noqa: E402
    CORPUS_COLUMNS,
    Label,
    attach,
    fingerprint,
    load_corpus_labels,
    normalise,
    write_corpus_labels,
)

LABELS_DIR = REPO / "data" / "labels"

KEPT = "attached as before"
MARKER = "re-pointed: text without its (Recommendation) marker"
CONTAINS = "re-pointed: the finding now contains it, or it the finding"
DROP_INSPECTORS = "dropped: who the inspectors were (not a finding)"
DROP_STATISTIC = "dropped: a bare statistic (not a finding)"
DROP_OTHER_PATTERN = "dropped: other letter furniture (not a finding)"
DROP_SECTION = "dropped: stands in a section that is no findings (front matter, area statistics)"
DROP_UNFOUND = "dropped: sentence not found in the document's text"
DROP_NO_DOCUMENT = "dropped: document not in the corpus"
DROP_DUPLICATE = "dropped: a second label for the sentence it now shares with another label"


def _is_corpus_file(path: Path) -> bool:
    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh), [])
    return all(c in header for c in CORPUS_COLUMNS)


def _candidates(letter) -> dict[str, str]:
    """fingerprint -> sentence, for every sentence the document's text splits into.

    Blocks are split alone and joined with the one or two blocks after them (an
    earlier reader ran a heading into its paragraph, a note and a heading into the
    paragraph after them, or a "(Recommendation)" line into the heading after
    it), with their markers left in.
    """
    texts = [b.text for b in letter.blocks]
    joined = [f"{a} {b}" for a, b in zip(texts, texts[1:])]
    # a note, the heading after it and its paragraph: "(Outcome 3, national framework) Main findings The ..."
    joined += [f"{a} {b} {c}" for a, b, c in zip(texts, texts[1:], texts[2:])]
    out: dict[str, str] = {}
    for sents in split_sentences(texts + joined):
        for sent in sents:
            for piece in [sent, *split_long(sent)]:
                out.setdefault(fingerprint(piece), piece)
                if piece.endswith("("):  # the marker split: "... pathway. (" / "Recommendation)"
                    out.setdefault(fingerprint(piece[:-1]), piece[:-1])
    return out


def _strip_marker(text: str) -> str:
    return sections.RECOMMENDATION_MARK_RE.sub("", text).strip()


def _repoint(label: Label, old_text: str, findings: list[str], keys: list[str]) -> tuple[str, int | None]:
    """(outcome, index of the finding the label now belongs to, or None)."""
    bare = normalise(_strip_marker(old_text))
    for i, key in enumerate(keys):
        if key == bare and bare:
            return MARKER, i
    if len(bare) >= 25:
        near = [i for i, key in enumerate(keys) if len(key) >= 25 and (bare in key or key in bare)]
        if near:
            return CONTAINS, min(near, key=lambda i: abs(i - (label.position or 0)))
    text = _strip_marker(old_text)
    if not is_finding_text(text):
        low = text.lower()
        if "inspector" in low or "hmi" in low:
            return DROP_INSPECTORS, None
        if is_bare_statistic(text):
            return DROP_STATISTIC, None
        return DROP_OTHER_PATTERN, None
    return DROP_SECTION, None


def repoint_file(path: Path, corpus: Path, dry_run: bool, log: csv.writer | None) -> Counter:
    from ofsted_nlp.reading.letter import read_letter

    labels = load_corpus_labels(path)
    by_doc: dict[str, list[Label]] = defaultdict(list)
    for lab in labels:
        by_doc[lab.document].append(lab)
    index = _corpus_index(corpus)
    outcome: Counter = Counter()
    kept: list[Label] = []
    for n, doc in enumerate(sorted(by_doc), start=1):
        if n % 50 == 0:
            print(f"  {path.name}: {n}/{len(by_doc)} documents", file=sys.stderr)
        if doc not in index or not index[doc][0].exists():
            for lab in by_doc[doc]:
                outcome[DROP_NO_DOCUMENT] += 1
                if log:
                    log.writerow([path.name, doc, lab.fingerprint, DROP_NO_DOCUMENT, "", ""])
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            letter = read_letter(index[doc][0])
        findings = [f.text for f in letter.findings]
        keys = [normalise(t) for t in findings]
        ok, missing = attach(by_doc[doc], findings)
        old_position = {lab.fingerprint: lab.position for lab in by_doc[doc]}
        taken: dict[str, Label] = {}
        for lab in ok:
            outcome[KEPT] += 1
            taken[lab.fingerprint or ""] = lab
            # its row is left as it was (the position only breaks ties between equal
            # sentences, which the reader no longer gives): label files change only where they must
            kept.append(Label(lab.document, lab.themes, lab.polarity, None, lab.fingerprint,
                              old_position[lab.fingerprint], lab.source, lab.drawn))
        candidates = _candidates(letter) if missing else {}
        for lab in missing:
            old_text = candidates.get(lab.fingerprint or "")
            if old_text is None:
                why, i = DROP_UNFOUND, None
            else:
                why, i = _repoint(lab, old_text, findings, keys)
            new_fp = fingerprint(findings[i]) if i is not None else ""
            if i is not None and new_fp in taken:
                why, i = DROP_DUPLICATE, None  # two labels on what is now one sentence: the first stays
            outcome[why] += 1
            if log:
                log.writerow([path.name, doc, lab.fingerprint, why, old_text or "", findings[i] if i is not None else ""])
            if i is not None:
                moved = Label(lab.document, lab.themes, lab.polarity, None, new_fp, i, lab.source, lab.drawn)
                taken[new_fp] = moved
                kept.append(moved)
    assert sum(outcome.values()) == len(labels)
    if not dry_run:
        write_corpus_labels(path, kept)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="label files (default: every corpus-format file in "
                                                            "data/labels)")
    parser.add_argument("--corpus", type=Path, default=SHARED_CORPUS)
    parser.add_argument("--dry-run", action="store_true", help="count only; write nothing")
    parser.add_argument("--log", type=Path, help="CSV of every re-pointed or dropped label, with text")
    args = parser.parse_args(argv)
    if not (args.corpus / "letters.csv").exists():
        print(f"repoint_labels: {args.corpus}: no corpus here (letters.csv missing)", file=sys.stderr)
        return 2
    files = args.files or sorted(p for p in LABELS_DIR.glob("*.csv") if _is_corpus_file(p))
    log_fh = open(args.log, "w", newline="", encoding="utf-8") if args.log else None
    log = csv.writer(log_fh) if log_fh else None
    if log:
        log.writerow(["file", "document", "fingerprint", "outcome", "old_text", "new_text"])
    try:
        for path in files:
            counts = repoint_file(path, args.corpus, args.dry_run, log)
            total = sum(counts.values())
            print(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}: {total} labels")
            for why, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
                print(f"  {n:6d}  {why}")
            kept = sum(n for why, n in counts.items() if not why.startswith("dropped"))
            print(f"  {kept:6d}  kept ({total - kept} dropped){' [dry run: nothing written]' if args.dry_run else ''}")
    finally:
        if log_fh:
            log_fh.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
