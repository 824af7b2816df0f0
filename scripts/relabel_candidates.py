"""Choose the gold labels that the codebook's rulings of 2026-11-29 can change (run by hand).

Re-attaches every label in ``data/labels/`` (``seeds.csv``, ``corpus.csv``,
``second_reader.csv``) to its sentence, re-reading corpus text from the PDFs in
``../shared/corpus``, and writes the labels a reader must re-read to a JSONL
worklist OUTSIDE the repository (it holds sentence text, which is never
committed):

    python scripts/relabel_candidates.py /work/labelwork/relabel_candidates.jsonl

Each line: ``file``, ``document``, ``fingerprint``, ``position``, ``text``,
``themes``, ``polarity``, ``drawn``, the section heading and the sentence
before (context for the reader) and ``rules``: why the line was chosen.

* ``awareness``: a ``neutral`` label whose sentence frames a possible
  shortfall as what leaders recognise / have identified / are aware of /
  acknowledge / know / understand, or says more or further work is needed or
  improvement is not yet made; and a ``positive`` one where such a verb is
  followed by a shortfall word (not, weak, improve, need, further, ...).
* ``grade``: a grade in words (outstanding, good, requires improvement,
  inadequate, adequate, "judged ...") stated as a verdict.
* ``not_finding``: inspectors' names and visit dates (any label), statistics
  (any number in a ``neutral`` label, a percentage in any label), which are not
  findings unless the inspectors judge them.
* ``concession``: a "despite" / "although" clause about conditions (caseloads,
  demand, pressure, turnover, challenges) where the label lacks the clause's
  theme or is not ``positive`` (the clause may only state conditions).
* ``repeat``: the same normalised sentence labelled more than once in one
  document (in any of the files), or a labelled sentence that the document
  states more than once.

The net is deliberately wide: it picks what to read, never what a label says.
The decisions are made by reading each line against the codebook and are
written to a separate decision file (see ``scripts/relabel_apply.py``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import warnings
from collections import defaultdict
from pathlib import Path

from ofsted_nlp.reading.letter import read_letter
from ofsted_nlp.training.dataset import LABELS_DIR, LETTERS_DIR, SHARED_CORPUS, _corpus_index
from ofsted_nlp.training.labels import Label, attach, fingerprint, load_corpus_labels, load_seed_labels, normalise

AWARE = re.compile(
    r"recogni[sz]|identif|\baware|acknowledg|\bknow|understand|more work|further work|work (is|was) (still )?needed|"
    r"still (to|needs?)|yet to|not yet|need(s|ed)? to (be )?(improve|strengthen|develop|further|embed|ensure)|"
    r"self[- ]assess|self-evaluat|area(s)? for (improvement|development)|(is|are|remains?) (an )?(area|priority)|"
    r"further (improvement|development|progress)|more to do|much to do|accept|"
    # a second, wider pass: other ways of saying leaders know, and shortfalls named as priorities or challenges
    r"realis|conscious|sighted|clear that|are clear|self-view|admit|conced|note[sd]? that|highlight|flagged|"
    r"told inspectors|priorit|improvement plan|remains? (a )?(challenge|concern|issue)|challenges? remain|"
    r"is a challenge|not (yet )?(been )?(sufficient|consistent|effective|embedded|good)|still|ha(ve|s) yet",
    re.IGNORECASE,
)
GRADE = re.compile(
    r"\boutstanding\b|requires? improvement|\binadequate\b|\badequate\b|\bjudged\b|\bgrade[ds]?\b|"
    r"\b(is|are|was|were|remains?|be|been) (now |still |also |judged |overall )*(good|outstanding|inadequate|adequate)\b",
    re.IGNORECASE,
)
NAMES = re.compile(
    r"carried out by|Her Majesty's Inspector|His Majesty's Inspector|\bHMI\b|lead inspector|Ofsted Inspector|"
    r"inspection team|social care regulatory inspector|\binspectors? (were|was)\b|team inspector",
    re.IGNORECASE,
)
MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December)"
DATES = re.compile(rf"\b\d{{1,2}}(st|nd|rd|th)?\s+(and|to|-|–)?\s*(\d{{1,2}}\s+)?{MONTH}|{MONTH}\s+(19|20)\d\d|"
                   r"\bvisit(ed)? (took place|was|on)\b|\bbetween \d", re.IGNORECASE)
STATS = re.compile(r"\d|per cent|percent|%|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                   r"twenty|thirty|forty|fifty|hundred|thousand|half|third|quarter)\b", re.IGNORECASE)
CONCESSION = re.compile(r"\b(despite|although|though|whilst|while|notwithstanding|in spite of)\b", re.IGNORECASE)
THEME_WORDS = {
    "caseloads": r"caseload|case load|workload|capacity|demand|volume of work|number of (cases|children)|pressure|staffing",
    "supervision": r"supervis|oversight",
    "thresholds": r"threshold|criteria|screen|step(ped|s|ping)? ?(up|down)|escalat",
    "timeliness": r"timel|prompt|delay|drift|backlog|wait|too long|timescale|swift",
    "out_of_hours": r"out of hours|out-of-hours|emergency duty",
    "caf": r"\bCAF\b|common assessment|lead professional|early help|early intervention|team around the",
}


def _context(findings, i):
    prev = findings[i - 1].text if i > 0 else ""
    return findings[i].section, findings[i].judgement, prev


SHORTFALL = re.compile(
    r"(recogni[sz]|\baware|acknowledg|\bknow|identified that|understand)[^.]*\b(not|weak|improve|need|inconsisten|"
    r"further|more|shortfall|gap|deficit|challenge|insufficient|poor|lack|too)", re.IGNORECASE)
PERCENT = re.compile(r"per cent|percent|%", re.IGNORECASE)
DIGITS = re.compile(r"\d")
CONDITIONS = re.compile(
    r"\b(despite|although|though|whilst|while|notwithstanding|in spite of)\b[^,;]*(caseload|case load|workload|"
    r"capacity|demand|pressure|staffing|volume|turnover|vacanc|challeng)", re.IGNORECASE)


def _rules(lab: Label, text: str) -> list[str]:
    rules = []
    # (a) a shortfall framed as awareness: every neutral label, and positive ones that name a shortfall
    if (lab.polarity == "neutral" and AWARE.search(text)) or (lab.polarity == "positive" and SHORTFALL.search(text)):
        rules.append("awareness")
    # (b) grades in words
    if GRADE.search(text):
        rules.append("grade")
    # (c) names and dates whatever the label; statistics: any number in a neutral label, a percentage in any
    if (NAMES.search(text) or DATES.search(text) or (lab.polarity == "neutral" and DIGITS.search(text))
            or PERCENT.search(text)):
        rules.append("not_finding")
    # "despite"/"although" clauses that may only state conditions
    m = CONCESSION.search(text)
    if m and CONDITIONS.search(text):
        clause = text[m.start():]
        missing = [t for t, rx in THEME_WORDS.items() if re.search(rx, clause, re.IGNORECASE) and t not in lab.themes]
        if missing or lab.polarity != "positive":
            rules.append("concession")
    return rules


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="worklist to write (JSONL, outside the repository)")
    ap.add_argument("--labels", type=Path, default=LABELS_DIR)
    ap.add_argument("--corpus", type=Path, default=SHARED_CORPUS)
    ap.add_argument("--letters", type=Path, default=LETTERS_DIR)
    args = ap.parse_args(argv)
    if args.out.resolve().is_relative_to(Path(__file__).resolve().parent.parent):
        print(f"{args.out}: the worklist holds sentence text; write it outside the repository", file=sys.stderr)
        return 2
    warnings.simplefilter("ignore")

    # (file, label, text, section, judgement, prev, occurrences of the sentence in its document)
    attached: list[tuple[str, Label, str, str, str, str, int]] = []
    unattached = 0
    for lab in load_seed_labels(args.labels / "seeds.csv"):
        attached.append(("seeds", lab, lab.text or "", "", "", "", 1))
    seeds_by_doc: dict[str, list[Label]] = defaultdict(list)
    for _, lab, *_ in attached:
        seeds_by_doc[lab.document].append(lab)
    for doc in seeds_by_doc:  # context from the seed letter itself
        files = list(args.letters.glob(f"{doc}.*"))
        if not files:
            continue
        findings = read_letter(files[0]).findings
        fps = [fingerprint(f.text) for f in findings]
        for k, row in enumerate(attached):
            if row[0] == "seeds" and row[1].document == doc and row[1].fingerprint in fps:
                i = fps.index(row[1].fingerprint)
                attached[k] = (row[0], row[1], row[2], *_context(findings, i), fps.count(row[1].fingerprint))

    index = _corpus_index(args.corpus)
    per_file = {name: load_corpus_labels(args.labels / f"{name}.csv") for name in ("corpus", "second_reader")}
    by_doc: dict[str, list[tuple[str, Label]]] = defaultdict(list)
    for name, labs in per_file.items():
        for lab in labs:
            by_doc[lab.document].append((name, lab))
    docs = sorted(by_doc)
    for n, doc in enumerate(docs, 1):
        if n % 50 == 0:
            print(f"  {n}/{len(docs)} documents", file=sys.stderr)
        if doc not in index or not index[doc][0].exists():
            unattached += len(by_doc[doc])
            continue
        findings = read_letter(index[doc][0]).findings
        texts = [f.text for f in findings]
        fps = [fingerprint(t) for t in texts]
        for name in per_file:
            labs = [lab for nm, lab in by_doc[doc] if nm == name]
            ok, missing = attach(labs, texts)
            unattached += len(missing)
            for lab in ok:
                i = lab.position or 0
                attached.append((name, lab, lab.text or "", *_context(findings, i), fps.count(lab.fingerprint)))

    # repeats: one normalised sentence labelled twice in a document within one file, or stated twice
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    for name, lab, text, *_ in attached:
        seen[(name, lab.document, normalise(text))] += 1

    out = []
    counts: dict[str, int] = defaultdict(int)
    for name, lab, text, section, judgement, prev, occurrences in attached:
        rules = _rules(lab, text)
        if seen[(name, lab.document, normalise(text))] > 1 or occurrences > 1:
            rules.append("repeat")
        if not rules:
            continue
        for r in rules:
            counts[r] += 1
        out.append({
            "file": name, "document": lab.document, "fingerprint": lab.fingerprint, "position": lab.position,
            "themes": ";".join(lab.themes), "polarity": lab.polarity, "drawn": lab.drawn, "rules": rules,
            "section": section, "judgement": judgement, "occurrences": occurrences, "prev": prev, "text": text,
        })
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        for row in out:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"labels attached: {len(attached)}; not attached: {unattached}")
    print(f"candidates: {len(out)} -> {args.out}")
    for r in ("awareness", "grade", "not_finding", "concession", "repeat"):
        print(f"  {r:12} {counts[r]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
