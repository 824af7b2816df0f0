"""How far ``ofsted-nlp tag`` is from the floor of its work, at every batch size (issue 12's targets).

Run by hand, never in the test suite:

    python benchmarks/bench_tag.py [--corpus ../shared/corpus] [--model FILE] [--json OUT.json]
    python benchmarks/bench_tag.py --profile OUT.prof     # cProfile of (b)'s tag run, top functions
    python benchmarks/bench_tag.py --print-profile OUT.prof

Every measurement is a separate process (interpreter start, imports and memory
count the same way for all), started in its own session so that its whole
process tree is its process group. One run each, in this order:

- floor, 120 PDFs  | tag --jobs 1, 120 PDFs | tag --jobs 2, 120 PDFs
- floor, corpus    | tag --jobs 1, corpus
- ``python -c "import spacy, sklearn"`` | tag of one letter (seed 003, .txt)

The floor is pypdfium2 text extraction of the same files plus a blank spaCy
English pipeline with the sentencizer over that text: what any tool reading
these PDFs into sentences pays. The 120 PDFs mimic a held-out set: 80
focused-visit letters (``letters/``) and 40 reports (``reports/``), taken from
the sorted file names at an even stride (name ``i * n // k`` for i < k), so
the choice is fixed and spread over authorities and years.

Targets (issue 12), judged on wall time:

(a) corpus, ``--jobs 1``: <= 1.2x the floor
(b) 120 PDFs, ``--jobs 1``: <= 1.5x the floor
(c) one letter: <= the time of ``import spacy, sklearn`` + 0.3 s
(d) 120 PDFs: ``--jobs 2`` faster than ``--jobs 1``
(e) after ``tag --jobs 2`` exits, no process of its group is left

Memory: "tree peak" is the largest sum of the proportional set size (Pss of
/proc/PID/smaps_rollup: shared pages split between the processes sharing
them) over all processes of the measured group, sampled every 50 ms; "max
process" is the largest RSS of any one process of the tree (os.wait4's
ru_maxrss, exact). CPU seconds are the child's plus those of the workers it
waited for (os.wait4). The 1-minute load average at the start of each
measurement is recorded: other processes sharing the CPUs stretch wall times
(and hurt --jobs 2 most); CPU seconds are the steadier measure.

Prints two markdown tables and writes the numbers to ``--json``
(default benchmarks/bench_tag.json). Without the shipped model
(ofsted_nlp/models/ofsted-nlp.npz) and without --model, a small model is
trained on data/labels/seeds.csv in a temporary folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import filecmp
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
SHIPPED_MODEL = REPO / "ofsted_nlp" / "models" / "ofsted-nlp.npz"
SEED_LETTER = "003_*.txt"
HELD_OUT_LETTERS = 80
HELD_OUT_REPORTS = 40
SAMPLE_SECONDS = 0.05
PROFILE_TOP = 15


# --------------------------------------------------------------------------- one measured process


@dataclass
class Measurement:
    name: str
    wall: float  # seconds
    cpu: float  # seconds, the child and the descendants it waited for
    tree_peak_mb: float  # largest sampled sum of Pss over the process group
    max_process_mb: float  # largest RSS of one process of the tree (ru_maxrss)
    exit_code: int
    load_at_start: float
    leftovers: list[str] = field(default_factory=list)  # processes of its group still there after it exited
    note: str = ""
    stderr_lines: int = 0
    tracebacks: int = 0  # "Traceback" lines on stderr: a user must never see one
    stderr_tail: str = ""


def _loadavg() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover
        return float("nan")


def _group_members(pgid: int) -> list[tuple[int, str]]:
    """(pid, state) of every process whose process group is ``pgid`` (from /proc/PID/stat)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read().decode("ascii", "replace")
        except OSError:  # gone meanwhile
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) ": state ppid pgrp ...
        if len(fields) > 2 and int(fields[2]) == pgid:
            found.append((int(entry.name), fields[0]))
    return found


def _pss_kb(pid: int) -> int:
    """Proportional set size of a process in KiB (its RSS where smaps_rollup is not available), 0 if gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()[:160]
    except OSError:
        return "?"


def child_env() -> dict[str, str]:
    """This tree's package first on the path (the editable install may point at another tree)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env.pop("OFSTED_NLP_DEBUG", None)
    return env


def run_child(name: str, args: list[str], note: str = "") -> Measurement:
    """Run one process in its own session; measure its wall and CPU time and the memory of its whole tree."""
    load = _loadavg()
    stderr_chunks: list[bytes] = []
    peak_kb = [0]
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env(),
                            start_new_session=True)
    done = threading.Event()

    def sample() -> None:  # the group's memory, until the child exits
        while not done.wait(SAMPLE_SECONDS):
            total = sum(_pss_kb(pid) for pid, state in _group_members(proc.pid) if state != "Z")
            peak_kb[0] = max(peak_kb[0], total)

    reader = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()))  # type: ignore[union-attr]
    sampler = threading.Thread(target=sample)
    reader.start()
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    proc.returncode = os.waitstatus_to_exitcode(status)
    # The group (pgid = the child's pid) must be empty now that its leader has exited and been reaped.
    left = _group_members(proc.pid)
    if left and all(state == "Z" for _, state in left):  # exited, not yet reaped by their new parent: look again
        time.sleep(0.5)
        left = _group_members(proc.pid)
    leftovers = [f"{pid} ({state}) {_cmdline(pid)}" for pid, state in left]
    if left:  # ours: end them, so the next measurement runs alone
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    sampler.join()
    reader.join()
    err = b"".join(stderr_chunks).decode("utf-8", "replace").strip()
    if proc.returncode not in (0, 1):
        print(f"warning: {name} exited {proc.returncode}: {err[-800:]}", file=sys.stderr)
    elif err:
        lines = err.splitlines()
        print(f"  ({len(lines)} stderr line(s) from {name}, e.g. {lines[0][:160]})", file=sys.stderr)
    m = Measurement(name, wall, usage.ru_utime + usage.ru_stime, peak_kb[0] / 1024, usage.ru_maxrss / 1024,
                    proc.returncode, load, leftovers, note, len(err.splitlines()),
                    sum(line.startswith("Traceback") for line in err.splitlines()), err[-3000:])
    print(f"  {name}: {m.wall:.2f} s wall, {m.cpu:.2f} s CPU, tree peak {m.tree_peak_mb:.0f} MB, "
          f"load {load:.1f}" + (f", {len(leftovers)} process(es) LEFT" if leftovers else ""), file=sys.stderr)
    return m


# --------------------------------------------------------------------------- what is measured


def held_out_style(corpus: Path) -> list[Path]:
    """80 focused-visit letters and 40 reports, at an even stride over the sorted file names."""
    chosen = []
    for folder, k in (("letters", HELD_OUT_LETTERS), ("reports", HELD_OUT_REPORTS)):
        names = sorted((corpus / folder).glob("*.pdf"))
        if len(names) < k:
            raise SystemExit(f"{corpus / folder}: {len(names)} PDFs, fewer than the {k} needed")
        chosen += [names[i * len(names) // k] for i in range(k)]
    return chosen


def floor(listing: Path) -> None:
    """The floor's child: extract the text of every PDF listed and split it into sentences; prints counts."""
    import pypdfium2 as pdfium
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    pdfs = [Path(line) for line in listing.read_text(encoding="utf-8").splitlines() if line]
    chars = sentences = skipped = 0
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
    print(f"floor: {len(pdfs)} PDFs, {skipped} not readable, {chars} characters, {sentences} sentences",
          file=sys.stderr)


def seed_model(folder: Path) -> Path:
    """A small model trained on the seed labels, for machines without the shipped one."""
    import numpy as np
    import sklearn

    from ofsted_nlp.training.estimators import fit_model
    from ofsted_nlp.training.export import save_model
    from ofsted_nlp.training.labels import THEMES, load_seed_labels

    labels = load_seed_labels(REPO / "data" / "labels" / "seeds.csv")
    Y = np.array([[1 if t in lab.themes else 0 for t in THEMES] for lab in labels], dtype=int)
    model = fit_model([lab.text for lab in labels], Y, [lab.polarity for lab in labels],
                      [lab.document for lab in labels])
    path = folder / "seed-model.npz"
    save_model(model, path, card={"versions": {"scikit-learn": sklearn.__version__}})
    return path


def _warm(files: list[Path]) -> None:
    """Read every file once, so that no measurement pays for a cold disk cache the others do not."""
    for f in files:
        with open(f, "rb") as fh:
            while fh.read(1 << 20):
                pass


def _count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh) - 1  # the header


def profile(args: argparse.Namespace, model_args: list[str], tmp: Path) -> int:
    """cProfile of ``tag --jobs 1`` on the 120 PDFs; prints the top functions (:func:`print_profile`)."""
    files = held_out_style(args.corpus)
    _warm(files)
    out = Path(args.profile).resolve()
    cmd = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "ofsted_nlp.cli.app", "tag", *map(str, files),
           "--jobs", "1", "--format", "csv", "--output", str(tmp / "profiled.csv"), *model_args]
    print(f"load {_loadavg():.1f}; profiling: python -m cProfile -o {out} -m ofsted_nlp.cli.app tag <120 PDFs> --jobs 1",
          file=sys.stderr)
    start = time.perf_counter()
    subprocess.run(cmd, env=child_env(), stdout=subprocess.DEVNULL, check=False)
    print(f"profiled run: {time.perf_counter() - start:.1f} s wall (with the profiler's overhead)", file=sys.stderr)
    print_profile(out)
    return 0


def print_profile(path: Path) -> None:
    """Top functions by own time (anywhere), and by cumulative time among the package's own functions.

    Cumulative time over all functions is topped by the CLI's and the import
    system's frames, which say nothing; restricted to ofsted_nlp it shows the
    pipeline's phases.
    """
    import pstats

    stats = pstats.Stats(str(path))
    print(f"\n### top {PROFILE_TOP} by own time\n")
    stats.sort_stats("tottime").print_stats(PROFILE_TOP)
    print(f"\n### top {PROFILE_TOP} of ofsted_nlp's functions by cumulative time\n")
    stats.sort_stats("cumulative").print_stats(r"/ofsted_nlp/", PROFILE_TOP)
    importing = stats.stats.get(("<frozen importlib._bootstrap>", 1165, "_find_and_load"))  # type: ignore[attr-defined]
    if importing:
        print(f"imports (importlib _find_and_load, cumulative): {importing[3]:.2f} s of {stats.total_tt:.2f} s")


# --------------------------------------------------------------------------- the run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--model", type=Path, default=None, help="model file (default: the shipped one)")
    parser.add_argument("--json", type=Path, default=REPO / "benchmarks" / "bench_tag.json",
                        help="where to write the measured numbers")
    parser.add_argument("--profile", type=Path, default=None,
                        help="only profile (b)'s tag run with cProfile into this file and print the top functions")
    parser.add_argument("--print-profile", type=Path, default=None, help="print a profile written by --profile")
    parser.add_argument("--_floor", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--_seed_model", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._floor:
        floor(args._floor)
        return 0
    if args._seed_model:
        seed_model(args._seed_model)
        return 0
    if args.print_profile:
        print_profile(args.print_profile)
        return 0

    corpus_pdfs = sorted(args.corpus.rglob("*.pdf")) if args.corpus.is_dir() else []
    if not corpus_pdfs:
        print(f"skipped: no PDFs in {args.corpus} (the shared corpus is not here)")
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="bench-tag-"))
    model_args: list[str] = []
    model_name = "the shipped model"
    if args.model is not None:
        model_args, model_name = ["--model", str(args.model)], str(args.model)
    elif not SHIPPED_MODEL.exists():
        print(f"{SHIPPED_MODEL} not found: training a small model on the seed labels", file=sys.stderr)
        # In a child, so that this process stays small.
        subprocess.run([sys.executable, __file__, "--_seed_model", str(tmp)], check=True, env=child_env())
        model_args, model_name = ["--model", str(tmp / "seed-model.npz")], "a model trained on the seeds"
    cli = [sys.executable, "-m", "ofsted_nlp.cli.app"]
    tag = cli[:3] + ["tag"]

    if args.profile:
        return profile(args, model_args, tmp)

    files = held_out_style(args.corpus)
    (letter,) = sorted((REPO / "data" / "letters").glob(SEED_LETTER))
    listing = {"120": tmp / "held_out.txt", "corpus": tmp / "corpus.txt"}
    listing["120"].write_text("\n".join(map(str, files)) + "\n", encoding="utf-8")
    listing["corpus"].write_text("\n".join(map(str, corpus_pdfs)) + "\n", encoding="utf-8")
    load_start = os.getloadavg()
    started = dt.datetime.now(dt.UTC)
    print(f"load average {load_start[0]:.1f} {load_start[1]:.1f} {load_start[2]:.1f}; warming the disk cache",
          file=sys.stderr)
    _warm(corpus_pdfs)
    subprocess.run([sys.executable, "-c", "import spacy, sklearn, pypdfium2, ofsted_nlp.tagging.model"], env=child_env(),
                   check=True)  # the libraries' files too, untimed

    m: dict[str, Measurement] = {}
    m["floor_120"] = run_child("floor, 120 PDFs", [sys.executable, __file__, "--_floor", str(listing["120"])])
    out1, out2 = tmp / "j1.csv", tmp / "j2.csv"
    m["tag_120_j1"] = run_child("tag --jobs 1, 120 PDFs", tag + [*map(str, files), "--jobs", "1", "--format", "csv",
                                                                "--output", str(out1), *model_args])
    m["tag_120_j2"] = run_child("tag --jobs 2, 120 PDFs", tag + [*map(str, files), "--jobs", "2", "--format", "csv",
                                                                "--output", str(out2), *model_args])
    same = out1.exists() and out2.exists() and filecmp.cmp(out1, out2, shallow=False)
    m["tag_120_j2"].note = f"output {'identical to' if same else 'DIFFERENT from'} --jobs 1"
    m["tag_120_j1"].note = f"{_count_lines(out1)} findings" if out1.exists() else "no output"
    m["floor_corpus"] = run_child(f"floor, corpus ({len(corpus_pdfs)} PDFs)",
                                  [sys.executable, __file__, "--_floor", str(listing["corpus"])])
    outc = tmp / "corpus.csv"
    m["tag_corpus_j1"] = run_child(f"tag --jobs 1, corpus ({len(corpus_pdfs)} PDFs)",
                                   tag + [str(args.corpus), "--jobs", "1", "--format", "csv", "--output", str(outc),
                                          *model_args])
    m["tag_corpus_j1"].note = f"{_count_lines(outc)} findings" if outc.exists() else "no output"
    m["import"] = run_child('python -c "import spacy, sklearn"', [sys.executable, "-c", "import spacy, sklearn"])
    m["tag_letter"] = run_child(f"tag {letter.name} (one letter)", tag + [str(letter), "--format", "csv", *model_args])
    load_end = os.getloadavg()

    ratio_a = m["tag_corpus_j1"].wall / m["floor_corpus"].wall
    ratio_b = m["tag_120_j1"].wall / m["floor_120"].wall
    over_c = m["tag_letter"].wall - m["import"].wall
    ratio_d = m["tag_120_j2"].wall / m["tag_120_j1"].wall
    left = m["tag_120_j2"].leftovers
    targets = [
        ("(a) corpus --jobs 1 / floor", f"{ratio_a:.2f}x (CPU {m['tag_corpus_j1'].cpu / m['floor_corpus'].cpu:.2f}x)",
         "<= 1.2x", ratio_a <= 1.2),
        ("(b) 120 PDFs --jobs 1 / floor", f"{ratio_b:.2f}x (CPU {m['tag_120_j1'].cpu / m['floor_120'].cpu:.2f}x)",
         "<= 1.5x", ratio_b <= 1.5),
        ("(c) one letter - import spacy, sklearn", f"{over_c:+.2f} s ({m['tag_letter'].wall:.2f} against "
         f"{m['import'].wall:.2f})", "<= +0.30 s", over_c <= 0.3),
        ("(d) 120 PDFs --jobs 2 / --jobs 1", f"{ratio_d:.2f}x wall, {m['tag_120_j2'].cpu / m['tag_120_j1'].cpu:.2f}x CPU",
         "< 1x", ratio_d < 1.0),
        ("(e) processes of tag --jobs 2's group left after it exited", str(len(left)), "0", not left),
    ]

    print()
    print(f"{started:%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs, Python {platform.python_version()}, {model_name}; "
          f"load average at the start {load_start[0]:.2f} / {load_start[1]:.2f} / {load_start[2]:.2f} "
          f"(1/5/15 min), at the end {load_end[0]:.2f} / {load_end[1]:.2f} / {load_end[2]:.2f}")
    print()
    print("| measurement | wall s | CPU s | tree peak MB (Pss) | max process MB (RSS) | load at start | note |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for x in m.values():
        note = x.note + (f"; exit {x.exit_code}" if x.exit_code else "")
        if x.tracebacks:
            note += f"; {x.tracebacks} TRACEBACK(S) on stderr"
        print(f"| {x.name} | {x.wall:.2f} | {x.cpu:.2f} | {x.tree_peak_mb:.0f} | {x.max_process_mb:.0f} | "
              f"{x.load_at_start:.1f} | {note} |")
    print()
    print("| target | measured | target | met |")
    print("|---|---|---|---|")
    for name, value, goal, met in targets:
        print(f"| {name} | {value} | {goal} | {'yes' if met else 'NO'} |")
    for line in left:
        print(f"left after tag --jobs 2: {line}")
    for x in m.values():
        if x.tracebacks:
            print(f"\n{x.name} wrote {x.stderr_lines} stderr lines with {x.tracebacks} traceback(s); the end:\n")
            print("\n".join("    " + line for line in x.stderr_tail.splitlines()[-12:]))
    if max(load_start[0], load_end[0]) > 1.0:
        print(f"\nOther processes shared the {os.cpu_count()} CPUs (load above 1): wall times, and the gain from "
              "--jobs 2 most, are pessimistic; CPU seconds are the steadier measure.")

    record = {
        "started_utc": started.isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "load_average_start": load_start,
        "load_average_end": load_end,
        "model": model_name,
        "selection_120": {"rule": f"{HELD_OUT_LETTERS} of letters/ and {HELD_OUT_REPORTS} of reports/, sorted names, "
                                  "name i*n//k for i<k", "files": [f"{f.parent.name}/{f.name}" for f in files]},
        "measurements": {k: asdict(v) for k, v in m.items()},
        "targets": [{"target": n, "measured": v, "goal": g, "met": met} for n, v, g, met in targets],
        "ratios": {"a": ratio_a, "b": ratio_b, "c_seconds_over_import": over_c, "d": ratio_d, "e_leftovers": len(left)},
    }
    args.json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"\nnumbers written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
