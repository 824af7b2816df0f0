"""Draw corpus sentences for hand labelling (run by hand; writes outside the repo).

The pool mixes plain random findings (so the labels reflect real letters)
with findings a broad keyword net proposes for each theme (so that every
theme has enough positive examples). The keywords only propose: a person
reads each sentence and decides its labels by the codebook.

    python scripts/sample_for_labelling.py ../shared/corpus /work/labelwork/pool.jsonl
    python scripts/sample_for_labelling.py ../shared/corpus /work/labelwork/pool2.jsonl --round 2

Round 3 (``--round 3``) draws 2,000 more the same way, half of them plain random
findings, the rest weighted to neutral candidates, concessions, thresholds and
caseloads, where the model was weakest.

Round 4 (``--round 4``): 2,000 more, 1,200 of them random, the rest neutral
candidates and concessions (polarity was still rising with data).

Round 5 (``--round 5``): 2,000 more, 1,000 random and 1,000 the shipped model is
least sure of (uncertainty sampling): 700 whose two likeliest polarity classes
are closest, 300 with a theme probability closest to that theme's threshold;
at most two a document for each.

Round 6 (``--round 6``): 2,000 more, 1,500 random and 500 whose two likeliest
polarity classes (by the model retrained after round 5) are closest.

Round 2 leaves out sentences already in data/labels/corpus.csv and draws more
of what round 1 was short of: sentences that may be neutral (plans, context,
demand), caseloads, and look-alikes of theme words that the codebook rules out.
"""

from __future__ import annotations

import json
import random
import re
import sys
import warnings
from pathlib import Path

from ofsted_nlp.errors import OfstedReadError
from ofsted_nlp.reading.letter import read_letter
from ofsted_nlp.training.labels import fingerprint

NETS = {
    "supervision": r"supervis|management oversight|managerial oversight|managers' oversight|management direction|management decision",
    "thresholds": r"threshold|criteria|screen|eligib|level of need|step(ped|s|ping)? ?(up|down)|escalat|continuum of need",
    "timeliness": r"timel|prompt|delay|drift|backlog|wait|too long|swift|quickly|timescale|right time|earliest|\blate\b|slow",
    "caseloads": r"caseload|case load|workload|capacity|demand|volume of work|number of cases|staffing|vacanc",
    "out_of_hours": r"out of hours|out-of-hours|emergency duty|\bEDT\b|evenings|weekend|overnight",
    "caf": r"\bCAF\b|common assessment|lead professional|early help|early intervention|team around the|\bTAF\b|\bTAC\b|troubled families|supporting families",
}
ROUND2_NETS = {
    "neutral": (r"plans? to|implementing|aspir|recently|being addressed|intend|will be|developing|in the process of|"
                r"too (soon|early) to|currently|commissioned|is being|are being|established|pilot|launched|introduced|"
                r"aware|recognise|number of|increase in|rise in|\d+%|per 10,000|population|restructur|new model", 260),
    "caseloads": (NETS["caseloads"], 110),
    "lookalikes": (r"supervision order|emergency protection|initial assessment|core assessment|single assessment|"
                   r"threshold|early|oversight|weekend|capacity|screen|late", 110),
    "random": (r"", 240),
}
ROUND3_NETS = {
    "neutral": (ROUND2_NETS["neutral"][0] + r"|will|plan|strategy|restructure|recruit|invest|new\b", 500),
    "thresholds": (NETS["thresholds"], 200),
    "caseloads": (NETS["caseloads"], 150),
    "concession": (r"\b(but|however|although|though|while|whilst|despite)\b", 250),
    "random": (r"", 900),
}
ROUND4_NETS = {
    "neutral": (ROUND3_NETS["neutral"][0], 550),
    "concession": (ROUND3_NETS["concession"][0], 250),
    "random": (r"", 1200),
}
RANDOM_N = 380
PER_THEME = 190
PER_DOC_PER_THEME = 2


def _read_all(corpus: Path) -> list[list[dict]]:
    docs = []
    warnings.simplefilter("ignore")
    for folder in ("letters", "reports"):
        for pdf in sorted((corpus / folder).glob("*.pdf")):
            try:
                letter = read_letter(pdf)
            except OfstedReadError:
                continue
            sents = [
                {
                    "doc": pdf.stem, "folder": folder, "pos": f.index, "fp": fingerprint(f.text),
                    "section": f.section, "judgement": f.judgement, "text": f.text,
                    "prev": letter.findings[f.index - 1].text if f.index else "",
                }
                for f in letter.findings
            ]
            docs.append(sents)
    return docs


def main(corpus: Path, out: Path, seed: int = 20261122) -> None:
    rng = random.Random(seed)
    docs = _read_all(corpus)
    chosen: dict[tuple[str, str], dict] = {}
    all_sents = [s for d in docs for s in d]
    for s in rng.sample(all_sents, RANDOM_N):
        chosen[(s["doc"], s["fp"])] = s | {"why": "random"}
    for theme, pattern in NETS.items():
        _draw(all_sents, pattern, PER_THEME, f"net:{theme}", chosen, rng)
    _write(list(chosen.values()), out, rng)


def _draw(sents: list[dict], pattern: str, want: int, why: str, chosen: dict, rng: random.Random) -> None:
    """Add up to ``want`` sentences the pattern matches, at most PER_DOC_PER_THEME from one document."""
    rx = re.compile(pattern, re.I)
    hits = [s for s in sents if rx.search(s["text"])]
    rng.shuffle(hits)
    per_doc: dict[str, int] = {}
    n = 0
    for s in hits:
        key = (s["doc"], s["fp"])
        if key in chosen or per_doc.get(s["doc"], 0) >= PER_DOC_PER_THEME:
            continue
        per_doc[s["doc"]] = per_doc.get(s["doc"], 0) + 1
        chosen[key] = s | {"why": why}
        n += 1
        if n >= want:
            break
    print(f"{why}: {len(hits)} hits in corpus, {n} drawn", file=sys.stderr)


def round2(corpus: Path, out: Path, labelled: Path, seed: int = 20261123, nets: dict | None = None) -> None:
    import csv

    rng = random.Random(seed)
    with open(labelled, newline="", encoding="utf-8") as fh:
        done = {(r["document"], r["fingerprint"]) for r in csv.DictReader(fh)}
    all_sents = [s for d in _read_all(corpus) for s in d if (s["doc"], s["fp"]) not in done]
    chosen: dict[tuple[str, str], dict] = {}
    for name, (pattern, want) in (nets or ROUND2_NETS).items():
        _draw(all_sents, pattern, want, f"round2:{name}", chosen, rng)
    _write(list(chosen.values()), out, rng)


def round5(corpus: Path, out: Path, labelled: Path, seed: int = 20261126, random_n: int = 1000,
           uncertain: tuple[tuple[str, int], ...] = (("polarity", 700), ("theme", 300)), name: str = "round5") -> None:
    """Random findings plus those the shipped model is least sure of, none already labelled."""
    import csv

    import numpy as np

    from ofsted_nlp.tagging.model import load_model
    from ofsted_nlp.training.labels import THEMES

    rng = random.Random(seed)
    with open(labelled, newline="", encoding="utf-8") as fh:
        done = {(r["document"], r["fingerprint"]) for r in csv.DictReader(fh)}
    sents = [s for d in _read_all(corpus) for s in d if (s["doc"], s["fp"]) not in done]
    chosen: dict[tuple[str, str], dict] = {}
    for s in rng.sample(sents, random_n):
        chosen[(s["doc"], s["fp"])] = s | {"why": f"{name}:random"}
    model = load_model()
    tags = model.tag([s["text"] for s in sents])
    top2 = np.sort(tags.polarity_proba, axis=1)[:, -2:]
    polarity_margin = top2[:, 1] - top2[:, 0]
    thresholds = np.array([model.thresholds[t] for t in THEMES])
    theme_margin = np.abs(tags.theme_proba - thresholds).min(axis=1)
    margins = {"polarity": polarity_margin, "theme": theme_margin}
    for why, want in uncertain:
        margin = margins[why]
        per_doc: dict[str, int] = {}
        n = 0
        for i in np.argsort(margin, kind="stable"):
            s = sents[i]
            key = (s["doc"], s["fp"])
            if key in chosen or per_doc.get(s["doc"], 0) >= PER_DOC_PER_THEME:
                continue
            per_doc[s["doc"]] = per_doc.get(s["doc"], 0) + 1
            chosen[key] = s | {"why": f"{name}:uncertain-{why}"}
            n += 1
            if n >= want:
                break
        print(f"{name}:uncertain-{why}: {n} drawn, margin up to {margin[i]:.3f}", file=sys.stderr)
    _write(list(chosen.values()), out, rng)


def _write(pool: list[dict], out: Path, rng: random.Random) -> None:
    rng.shuffle(pool)
    with open(out, "w", encoding="utf-8") as fh:
        for s in pool:
            fh.write(json.dumps(s) + "\n")
    print(f"{len(pool)} sentences from {len({s['doc'] for s in pool})} documents -> {out}", file=sys.stderr)


if __name__ == "__main__":
    labelled = Path(__file__).resolve().parent.parent / "data/labels/corpus.csv"
    if "--round" in sys.argv and sys.argv[sys.argv.index("--round") + 1] == "2":
        round2(Path(sys.argv[1]), Path(sys.argv[2]), labelled)
    elif "--round" in sys.argv and sys.argv[sys.argv.index("--round") + 1] == "3":
        round2(Path(sys.argv[1]), Path(sys.argv[2]), labelled, seed=20261124, nets=ROUND3_NETS)
    elif "--round" in sys.argv and sys.argv[sys.argv.index("--round") + 1] == "4":
        round2(Path(sys.argv[1]), Path(sys.argv[2]), labelled, seed=20261125, nets=ROUND4_NETS)
    elif "--round" in sys.argv and sys.argv[sys.argv.index("--round") + 1] == "5":
        round5(Path(sys.argv[1]), Path(sys.argv[2]), labelled)
    elif "--round" in sys.argv and sys.argv[sys.argv.index("--round") + 1] == "6":
        round5(Path(sys.argv[1]), Path(sys.argv[2]), labelled, seed=20261127, random_n=1500,
               uncertain=(("polarity", 500),), name="round6")
    else:
        main(Path(sys.argv[1]), Path(sys.argv[2]))
