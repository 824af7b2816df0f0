"""Issue 20's speed targets for the findings store, in one run (by hand, never in the test suite).

    PYTHONPATH=$PWD python benchmarks/bench_store.py [--corpus ../shared/corpus] [--json FILE]

On a copy of the corpus (letters/ and reports/) less one PDF, each a fresh ``ofsted-nlp`` process:

(a) ``tag CORPUS -o findings.csv``                      the plain tag, for (b)
(b) ``tag CORPUS --store S.duckdb`` (first run)         target: <= 1.10 x (a)
(c) ``tag CORPUS --store S.duckdb`` again, unchanged    target: <= 0.05 x (b)
(d) the held-back PDF added, ``tag CORPUS --store S``   target: about (e), one document's tagging + start-up
(e) ``tag ONE.pdf -o one.csv``                          one document from the files, for (d)
(f) ``matrix S.duckdb``                                 target: <= 1 s wall, start-up included
(g) ``matrix CORPUS``                                   from the files, for (f)

Wall seconds and the children's CPU seconds of each; a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(args: list[str], cwd: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "ofsted_nlp.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    last = [line for line in proc.stderr.splitlines() if "documents:" in line]
    return {"args": " ".join(args), "wall": round(wall, 2), "cpu": round(cpu, 2), "rc": proc.returncode,
            "load": round(load, 2), "said": last[-1] if last else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent.parent / "shared" / "corpus")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        corpus = tmp / "corpus"
        for sub in ("letters", "reports"):
            shutil.copytree(args.corpus / sub, corpus / sub)
        held = sorted((corpus / "letters").glob("*.pdf"))[len(list((corpus / "letters").glob("*.pdf"))) // 2]
        one = tmp / held.name
        shutil.move(held, one)
        store = tmp / "s.duckdb"
        runs = {
            "a": timed(["tag", str(corpus), "-o", str(tmp / "findings.csv")], tmp),
            "b": timed(["tag", str(corpus), "--store", str(store)], tmp),
            "c": timed(["tag", str(corpus), "--store", str(store)], tmp),
        }
        shutil.copy(one, held)
        runs["d"] = timed(["tag", str(corpus), "--store", str(store)], tmp)
        runs["e"] = timed(["tag", str(one), "-o", str(tmp / "one.csv")], tmp)
        runs["f"] = timed(["matrix", str(store), "-o", str(tmp / "m_store.csv")], tmp)
        runs["g"] = timed(["matrix", str(corpus), "-o", str(tmp / "m_files.csv")], tmp)
        same = (tmp / "m_store.csv").read_bytes() == (tmp / "m_files.csv").read_bytes()
        size = store.stat().st_size
    print("| run | command | wall s | CPU s | exit | load | said |")
    print("|---|---|---:|---:|---:|---:|---|")
    for k, r in runs.items():
        print(f"| {k} | `{r['args'].replace(str(tmp), 'TMP')}` | {r['wall']} | {r['cpu']} | {r['rc']} | {r['load']} "
              f"| {r['said']} |")
    w = {k: r["wall"] for k, r in runs.items()}
    print()
    print("| target | measured | met |")
    print("|---|---|---|")
    print(f"| first tag --store / tag -o csv <= 1.10 | {w['b'] / w['a']:.3f} | {'yes' if w['b'] <= 1.10 * w['a'] else 'NO'} |")
    print(f"| unchanged re-run / first run <= 0.05 | {w['c'] / w['b']:.3f} | {'yes' if w['c'] <= 0.05 * w['b'] else 'NO'} |")
    print(f"| one new document: (d) {w['d']} s against one document's tag (e) {w['e']} s | {w['d'] / w['e']:.2f}x | - |")
    print(f"| matrix STORE <= 1 s wall | {w['f']} s (from the files {w['g']} s, {w['g'] / w['f']:.0f}x) | "
          f"{'yes' if w['f'] <= 1 else 'NO'} |")
    print(f"\nmatrix CSV from the store identical to the one from the files: {same}; store {size / 2**20:.1f} MiB")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "same": same, "store_bytes": size}, indent=1) + "\n")


if __name__ == "__main__":
    main()
