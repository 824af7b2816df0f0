"""Run the trained teacher over every finding of the corpus; keep its probabilities by reference.

Needs the ``[teacher]`` extra and a teacher from ``scripts/train_teacher.py``.
Each document is read with ``ofsted_nlp.read_letter`` (the same findings
``tag`` and the label files use), scored, and written as one part file under
``--parts`` (atomically), so a stopped run resumes at the next document. When
every document is done the parts are joined into ``--output`` (gzip CSV:
document, new_la_code, fingerprint, position, one probability per theme and
polarity class; never text).

    nice -n 19 python scripts/teacher_soft_labels.py --teacher ../teacher/all/teacher.pt \\
        --output ../teacher/teacher_soft.csv.gz

A document that cannot be read is reported on one line and skipped; the
others still run (exit 1 at the end if any failed).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teacher", type=Path, default=REPO.parent / "teacher" / "all" / "teacher.pt",
                    help="a teacher.pt written by scripts/train_teacher.py (default ../teacher/all/teacher.pt)")
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    ap.add_argument("--parts", type=Path, default=None,
                    help="one file per document, for resuming (default: soft_parts/ beside the teacher)")
    ap.add_argument("--output", type=Path, default=REPO.parent / "teacher" / "teacher_soft.csv.gz")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="only the first N documents (a quick check)")
    args = ap.parse_args(argv)

    try:
        import torch

        from ofsted_nlp.training.teacher.model import load_teacher
        from ofsted_nlp.training.teacher.weights import WeightsError, sha256_file
    except ImportError as exc:
        print(f"teacher_soft_labels: {exc.name} is not installed (pip install -e '.[teacher]')", file=sys.stderr)
        return 2
    from ofsted_nlp.errors import OfstedReadError
    from ofsted_nlp.reading.letter import read_letter
    from ofsted_nlp.training.splits import document_strata
    from ofsted_nlp.training.teacher.soft import assemble, soft_labels_for_findings, write_part

    if not args.teacher.is_file():
        print(f"teacher_soft_labels: {args.teacher}: no trained teacher (run scripts/train_teacher.py)",
              file=sys.stderr)
        return 2
    strata = document_strata(args.corpus)
    if not strata:
        print(f"teacher_soft_labels: {args.corpus}: no corpus index (letters.csv, reports.csv)", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    try:
        teacher = load_teacher(args.teacher)
    except WeightsError as exc:
        print(f"teacher_soft_labels: {exc}", file=sys.stderr)
        return 2
    parts = args.parts or args.teacher.parent / "soft_parts"
    parts.mkdir(parents=True, exist_ok=True)
    # Parts made by another teacher are never mixed with this one's.
    stamp = parts / "teacher.sha256"
    digest = sha256_file(args.teacher)
    if stamp.exists() and stamp.read_text().strip() != digest:
        print(f"teacher_soft_labels: {parts}: holds parts of another teacher; choose another --parts",
              file=sys.stderr)
        return 2
    stamp.write_text(digest + "\n")
    docs = sorted(strata)
    if args.limit:
        docs = docs[:args.limit]
    failed = 0
    t0, done, sentences = time.time(), 0, 0
    for k, doc in enumerate(docs, 1):
        part = parts / f"{doc}.csv"
        if part.exists():
            continue
        path = args.corpus / strata[doc] / f"{doc}.pdf"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                letter = read_letter(path)
        except (OfstedReadError, OSError) as exc:
            print(str(exc) if isinstance(exc, OfstedReadError) else f"{path}: {exc.strerror}", file=sys.stderr)
            failed += 1
            continue
        texts = [f.text for f in letter.findings]
        th, po = teacher.predict_proba(texts) if texts else ([], [])
        write_part(part, soft_labels_for_findings(doc, letter.new_la_code, texts, th, po))
        done += 1
        sentences += len(texts)
        rate = sentences / max(time.time() - t0, 1e-9)
        print(f"{k}/{len(docs)} {doc}: {len(texts)} findings ({rate:.0f} a second this run)", flush=True)
    have = sorted(parts / f"{d}.csv" for d in docs if (parts / f"{d}.csv").exists())
    if len(have) < len(docs) - failed:
        print(f"{len(have)} of {len(docs)} documents done; run again to resume", file=sys.stderr)
        return 1
    n = assemble(have, args.output)
    print(f"{n} findings of {len(have)} documents written to {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
