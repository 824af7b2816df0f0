"""Where ``tag --jobs 1`` spends its CPU beyond the floor, phase by phase, without a profiler's overhead.

    python benchmarks/bench_phases.py [--corpus ../shared/corpus] [--all]

One process, the phases in the order ``tag`` runs them, each timed with
``time.process_time`` (this process's CPU, so the machine's load matters
little): the floor's imports (spaCy, pypdfium2), the tool's extra imports
(ofsted_nlp.tagging.model: numpy and the codebook's patterns, no longer scikit-learn
or scipy; the writers), loading the shipped
model, then for the 120 held-out-style PDFs of bench_tag.py (or the whole
corpus with --all): PDF text extraction (read_pages), the rest of
read_letter (cleaning, sections, sentence splitting, finding filter),
tagging (finding_rows, in chunks of 16 documents as the pipeline does) and
writing CSV to memory. The floor's own extraction + sentencizer on the same
files is timed last, in the same process, for the per-document comparison.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_tag import DEFAULT_CORPUS, held_out_style  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--all", action="store_true", help="the whole corpus instead of the 120 PDFs")
    parser.add_argument("--interleaved", action="store_true",
                        help="per document, the floor's work and read_letter one after the other (same load for both)")
    args = parser.parse_args()
    files = sorted(args.corpus.rglob("*.pdf")) if args.all else held_out_style(args.corpus)
    if args.interleaved:
        return interleaved(files)
    phases: list[tuple[str, float]] = []
    clock = time.process_time

    def timed(name, fn, *a):
        start = clock()
        out = fn(*a)
        phases.append((name, clock() - start))
        return out

    timed("import pypdfium2 (tag imports no spaCy where its saved tokenizer rules are the installed spaCy's)",
          lambda: __import__("pypdfium2"))
    timed("import ofsted_nlp.tagging.model (numpy; scikit-learn and scipy not needed to tag)",
          lambda: __import__("ofsted_nlp.tagging.model"))
    timed("import ofsted_nlp.batch.writers, rows, pipeline and reading.letter",
          lambda: [__import__(f"ofsted_nlp.{m}") for m in ("batch.writers", "batch.rows", "batch.pipeline", "reading.letter")])
    from ofsted_nlp.batch.pipeline import CHUNK, batch_gc
    from ofsted_nlp.batch.rows import finding_rows
    from ofsted_nlp.batch.writers import open_writer
    from ofsted_nlp.errors import OfstedReadError
    from ofsted_nlp.reading.extraction import read_pages
    from ofsted_nlp.reading.letter import read_letter
    from ofsted_nlp.reading.sentences import piece_starts
    from ofsted_nlp.tagging.model import load_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = timed("load the shipped model", load_model)
        timed("build the sentence splitter (spaCy's rules in Python, or spaCy's pipeline)", piece_starts)
        batch_gc()
        def extract_all():
            for f in files:
                try:
                    read_pages(f)
                except OfstedReadError:  # the corpus's HTML page: tag skips it too
                    pass

        timed("PDF text extraction (read_pages), all files", extract_all)
        letters = []

        def read_all():
            for f in files:
                try:
                    letters.append(read_letter(f))
                except OfstedReadError:
                    pass

        timed("read_letter, all files (extraction again + cleaning + sentences + filter)", read_all)
        rows: list = []
        timed("tagging: finding_rows in chunks of 16", lambda: [rows.extend(finding_rows(letters[i:i + CHUNK], model))
                                                                 for i in range(0, len(letters), CHUNK)])
        buffer = io.StringIO()

        def write():
            w = open_writer("csv", buffer)
            for i in range(0, len(rows), 1000):
                w.add_rows(rows[i:i + 1000]) if hasattr(w, "add_rows") else None
            w.close()

        timed("writing CSV to memory", write)

    import pypdfium2 as pdfium

    def floor_pipeline():
        import spacy

        made = spacy.blank("en")
        made.add_pipe("sentencizer")
        return made

    blank = timed("the floor's own start: import spacy, build its blank sentencizer", floor_pipeline)

    def floor():
        for f in files:
            try:
                pdf = pdfium.PdfDocument(str(f))
            except pdfium.PdfiumError:
                continue
            text = "\n".join(p.get_textpage().get_text_range() for p in pdf)
            blank.max_length = max(blank.max_length, len(text) + 1)
            sum(1 for _ in blank(text).sents)

    timed("floor's work: pypdfium2 text + blank sentencizer, all files", floor)

    extraction = dict(phases)["PDF text extraction (read_pages), all files"]
    print(f"{len(files)} PDFs, {len(letters)} read, {len(rows)} findings, {len(buffer.getvalue())} CSV characters\n")
    print("| phase | CPU s |")
    print("|---|---:|")
    for name, seconds in phases:
        print(f"| {name} | {seconds:.2f} |")
    read_rest = dict(phases)["read_letter, all files (extraction again + cleaning + sentences + filter)"] - extraction
    print(f"| (read_letter minus extraction: cleaning, sections, sentences, filter) | {read_rest:.2f} |")
    return 0


def interleaved(files: list[Path]) -> int:
    """CPU of the floor's work and of read_letter + tagging on each document in turn, so that both meet the same load."""
    import pypdfium2 as pdfium
    import spacy

    from ofsted_nlp.batch.pipeline import batch_gc
    from ofsted_nlp.batch.rows import finding_rows
    from ofsted_nlp.errors import OfstedReadError
    from ofsted_nlp.reading.letter import read_letter
    from ofsted_nlp.reading.sentences import piece_starts
    from ofsted_nlp.tagging.model import load_model

    blank = spacy.blank("en")
    blank.add_pipe("sentencizer")
    piece_starts()
    clock = time.process_time
    floor_s = read_s = tag_s = 0.0
    n = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = load_model()
        batch_gc()
        for f in files:
            start = clock()
            try:
                pdf = pdfium.PdfDocument(str(f))
            except pdfium.PdfiumError:
                continue
            text = "\n".join(p.get_textpage().get_text_range() for p in pdf)
            pdf.close()
            blank.max_length = max(blank.max_length, len(text) + 1)
            sum(1 for _ in blank(text).sents)
            middle = clock()
            try:
                letter = read_letter(f)
            except OfstedReadError:
                continue
            read = clock()
            n += len(finding_rows([letter], model))  # one document per call: an upper bound on the chunked cost
            end = clock()
            floor_s, read_s, tag_s = floor_s + middle - start, read_s + read - middle, tag_s + end - read
    print(f"{len(files)} PDFs, {n} findings; CPU s: floor's work {floor_s:.2f}, read_letter {read_s:.2f} "
          f"({read_s / floor_s:.2f}x), tagging one document a call {tag_s:.2f}; "
          f"read + tag {(read_s + tag_s) / floor_s:.2f}x the floor's work")
    return 0


if __name__ == "__main__":
    sys.exit(main())
