"""The fast model against the accurate one: time, memory and findings a second of ``ofsted-nlp tag``.

Run by hand, never in the test suite (the accurate model needs the ``[accurate]`` extra):

    python benchmarks/bench_models.py [--corpus ../shared/corpus] [--letters 20]

One run each, every run a separate process measured as in ``bench_tag.py``
(wall and CPU seconds, the process tree's peak memory):

- the five seed letters (``data/letters``), fast and accurate;
- ``--letters`` focused-visit letters of the corpus (the first of an even stride over
  ``letters/``), fast and accurate, when the corpus is there.

Findings a second are the findings written over the run's wall time (start-up
included, as a user meets it).
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_tag import DEFAULT_CORPUS, REPO, run_child  # noqa: E402


def _findings(path: Path) -> int:
    with open(path, encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--letters", type=int, default=20)
    args = ap.parse_args()
    sets = {"5 seed letters": [str(p) for p in sorted((REPO / "data" / "letters").glob("*.txt"))]}
    letters = sorted((args.corpus / "letters").glob("*.pdf"))
    if letters:
        k = min(args.letters, len(letters))
        sets[f"{k} corpus letters"] = [str(letters[i * len(letters) // k]) for i in range(k)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, files in sets.items():
            for model in ("fast", "accurate"):
                out = Path(tmp) / f"{model}.csv"
                cmd = [sys.executable, "-m", "ofsted_nlp.cli.app", "tag", *files, "--format", "csv", "-o", str(out)]
                if model == "accurate":
                    cmd += ["--model", "accurate"]
                m = run_child(f"{model}, {name}", cmd)
                n = _findings(out) if out.exists() else 0
                rows.append((name, model, m, n))
    print("| documents | model | findings | wall s | CPU s | findings a second | tree peak MB | load |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, model, m, n in rows:
        print(f"| {name} | {model} | {n} | {m.wall:.2f} | {m.cpu:.2f} | {n / m.wall:.0f} | {m.tree_peak_mb:.0f} | "
              f"{m.load_at_start:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
