"""How far ``ofsted-nlp tag`` is from the floor of its work, on the whole corpus.

Measures, in one run, each as a separate process so that interpreter start,
imports and peak memory count the same way:

(a) the floor: pypdfium2 text extraction of every PDF in ../shared/corpus plus
    a blank spaCy English pipeline with the sentencizer over that text;
(b) ``ofsted-nlp tag <corpus> --jobs 1 --format csv --output <tmp>/x.csv``
    (and with ``--jobs N`` if this machine has more than one CPU);
(c) ``ofsted-nlp tag data/letters/003_*.txt`` (one letter) against
    ``python -c "import spacy, sklearn"``.

Prints a markdown table: wall seconds, peak RSS (MB) and the ratio b/a.
Peak memory comes from os.wait4 on each child (its own ru_maxrss).

    python benchmarks/bench_tag.py [--corpus ../shared/corpus] [--model FILE] [--jobs N]

Without the shipped model (ofsted_nlp/models/ofsted-nlp.npz) and without --model, a
small model is trained on data/labels/seeds.csv in a temporary folder.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
SHIPPED_MODEL = REPO / "ofsted_nlp" / "models" / "ofsted-nlp.npz"


def run_child(args: list[str], **kw) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in MB, exit code) of one child process.

    CPU and peak RSS come from os.wait4: the child's own, plus those of its
    children it waited for (peak RSS is of the largest single process).
    """
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    stderr_chunks = []
    # Drain stderr while waiting so a chatty child cannot block on a full pipe.
    import threading

    reader = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()))
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    reader.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = b"".join(stderr_chunks).decode("utf-8", "replace").strip()
    if proc.returncode not in (0, 1):
        print(f"warning: {' '.join(args[:4])}... exited {proc.returncode}: {err[-500:]}", file=sys.stderr)
    elif err:
        lines = err.splitlines()
        print(f"({len(lines)} stderr line(s) from {Path(args[2]).name if len(args) > 2 else args[0]}, "
              f"e.g. {lines[0][:160]})", file=sys.stderr)
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, proc.returncode  # Linux: ru_maxrss in KiB


def floor(corpus: Path) -> None:
    """The child of (a): extract every PDF and split the text into sentences; prints counts."""
    import pypdfium2 as pdfium
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    pdfs = sorted(corpus.rglob("*.pdf"))
    chars = sentences = 0
    skipped = 0
    for path in pdfs:
        try:
            pdf = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError:  # the corpus holds a few non-PDFs (HTML pages): tag skips them too
            skipped += 1
            continue
        try:
            pages = []
            for page in pdf:
                textpage = page.get_textpage()
                pages.append(textpage.get_text_range())
                textpage.close()
                page.close()
        finally:
            pdf.close()
        text = "\n".join(pages)
        chars += len(text)
        nlp.max_length = max(nlp.max_length, len(text) + 1)
        sentences += sum(1 for _ in nlp(text).sents)
    print(f"{len(pdfs)} PDFs, {skipped} not readable, {chars} characters, {sentences} sentences", file=sys.stderr)


def seed_model(folder: Path) -> Path:
    """A small model trained on the seed labels, for machines without the shipped one."""
    import numpy as np
    import sklearn

    from ofsted_nlp.labels import THEMES, load_seed_labels
    from ofsted_nlp.model import fit_model, save_model

    labels = load_seed_labels(REPO / "data" / "labels" / "seeds.csv")
    Y = np.array([[1 if t in lab.themes else 0 for t in THEMES] for lab in labels], dtype=int)
    model = fit_model([lab.text for lab in labels], Y, [lab.polarity for lab in labels],
                      [lab.document for lab in labels])
    path = folder / "seed-model.npz"
    save_model(model, path, card={"versions": {"scikit-learn": sklearn.__version__}})
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--model", type=Path, default=None, help="model file (default: the shipped one)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="also time --jobs N (default: CPUs; 1 to skip)")
    parser.add_argument("--_floor", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--_seed_model", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._floor:
        floor(args._floor)
        return 0
    if args._seed_model:
        seed_model(args._seed_model)
        return 0

    pdfs = sorted(args.corpus.rglob("*.pdf")) if args.corpus.is_dir() else []
    if not pdfs:
        print(f"skipped: no PDFs in {args.corpus} (the shared corpus is not here)")
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="bench-tag-"))
    model = args.model
    if model is None:
        if SHIPPED_MODEL.exists():
            model = SHIPPED_MODEL
        else:
            print(f"{SHIPPED_MODEL} not found: training a small model on the seed labels", file=sys.stderr)
            # In a child, so that this process stays small (a forked child's peak RSS can include it).
            subprocess.run([sys.executable, __file__, "--_seed_model", str(tmp)], check=True)
            model = tmp / "seed-model.npz"
    cli = [sys.executable, "-m", "ofsted_nlp.cli"]
    rows = []

    a_wall, a_cpu, a_mem, _ = run_child([sys.executable, __file__, "--_floor", str(args.corpus)])
    rows.append((f"(a) floor: pypdfium2 text + blank spaCy sentencizer, {len(pdfs)} PDFs", a_wall, a_cpu, a_mem))

    out = tmp / "x.csv"
    b_wall, b_cpu, b_mem, code = run_child(cli + ["tag", str(args.corpus), "--jobs", "1", "--format", "csv",
                                           "--output", str(out), "--model", str(model)])
    with open(out, newline="", encoding="utf-8") as fh:
        findings = sum(1 for _ in csv.DictReader(fh))
    rows.append((f"(b) ofsted-nlp tag --jobs 1 ({findings} findings, exit {code})", b_wall, b_cpu, b_mem))

    if args.jobs > 1:
        outn = tmp / "xn.csv"
        n_wall, n_cpu, n_mem, _ = run_child(cli + ["tag", str(args.corpus), "--jobs", str(args.jobs),
                                                   "--format", "csv", "--output", str(outn), "--model", str(model)])
        same = "identical" if filecmp.cmp(out, outn, shallow=False) else "DIFFERENT"  # in chunks: stay small
        rows.append((f"ofsted-nlp tag --jobs {args.jobs} (output {same} to --jobs 1)", n_wall, n_cpu, n_mem))

    letter = sorted((REPO / "data" / "letters").glob("003_*.txt"))
    if letter:
        s = run_child(cli + ["tag", str(letter[0]), "--format", "csv", "--model", str(model)])
        rows.append((f"ofsted-nlp tag {letter[0].name} (one letter)", *s[:3]))
    i = run_child([sys.executable, "-c", "import spacy, sklearn"])
    rows.append(('python -c "import spacy, sklearn"', *i[:3]))
    h = run_child(cli + ["--help"])
    rows.append(("ofsted-nlp --help", *h[:3]))

    print()
    print(f"Machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; model {model.name}")
    print()
    print("| measurement | wall s | CPU s | peak RSS MB |")
    print("|---|---:|---:|---:|")
    for name, wall, cpu, mem in rows:
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {mem:.0f} |")
    print()
    print(f"Ratio (b)/(a): {b_wall / a_wall:.2f}x the floor's wall time ({b_cpu / a_cpu:.2f}x its CPU time); "
          f"{b_wall / len(pdfs):.3f} s per document against {a_wall / len(pdfs):.3f}.")
    try:
        load = os.getloadavg()[0]
        if load > 0.5:
            print(f"Load average {load:.1f} at the end: other processes shared the CPUs, so wall times (and the "
                  "gain from --jobs) are pessimistic; CPU seconds are the steadier measure.")
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
