"""Read the whole shared corpus: counts, authority and date agreement with the index, and time.

    python benchmarks/bench_read.py [../shared/corpus]

Run by hand; the figures go in the issue note, not in a timed test.
"""

from __future__ import annotations

import csv
import datetime as dt
import resource
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

from ofsted_nlp import OfstedReadError, find_authority, read_letter


def main(corpus: Path) -> None:
    if not (corpus / "letters.csv").exists():
        print(f"{corpus}: no corpus here; nothing to measure")
        return
    rows = []
    for folder in ("letters", "reports"):
        with open(corpus / f"{folder}.csv", newline="", encoding="utf-8") as fh:
            rows += [(folder, r) for r in csv.DictReader(fh)]
    kinds: Counter = Counter()
    rejected, authority_ok, date_days, findings, date_sources = [], 0, [], 0, Counter()
    start = time.perf_counter()
    for folder, row in rows:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                letter = read_letter(corpus / folder / f"{row['id']}.pdf")
        except OfstedReadError as exc:
            rejected.append(str(exc))
            continue
        kinds[(folder, letter.kind)] += 1
        expected = find_authority(row["authority"])
        authority_ok += expected is not None and expected.new_la_code == letter.new_la_code
        date_sources[letter.date_source] += 1
        if letter.date:
            date_days.append(abs((letter.date - dt.date.fromisoformat(row["published"])).days))
        findings += len(letter.findings)
    seconds = time.perf_counter() - start
    read = len(rows) - len(rejected)
    print(f"documents: {len(rows)}; read {read}; rejected {len(rejected)}")
    for r in rejected:
        print(f"  rejected: {r}")
    print(f"authority matches the index: {authority_ok}/{read} ({authority_ok / read:.1%})")
    within = sum(d <= 7 for d in date_days)
    print(f"date within 7 days of the index's date: {within}/{read}; largest gap {max(date_days)} days")
    print(f"date taken from: {dict(date_sources)}")
    print(f"kinds: {dict(sorted(kinds.items()))}")
    print(f"findings: {findings}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"reading time: {seconds:.1f} s ({seconds / len(rows) * 1000:.0f} ms a document); peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "corpus")
