"""Build ``notebooks/tour.ipynb`` (a guided tour of ofsted-nlp for analysts) and execute it in place.

    python notebooks/make_tour.py            # write and execute (needs the shipped model)
    python notebooks/make_tour.py --no-run   # write the cells only, without outputs

The notebook runs with ``notebooks/`` as its working directory and finds the
repository by looking upwards for ``pyproject.toml``, so it never depends on an
absolute path. The regional section reads ``../shared/corpus`` when it is
there (or the folder named by ``OFSTED_NLP_CORPUS``) and is skipped otherwise.
Only counts are shown for corpus documents, never their text, since the
corpus may not be copied into the project.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "tour.ipynb"
TIMEOUT = 600

CELLS: list[tuple[str, str]] = [
    ("md", """\
# A tour of ofsted-nlp

Ofsted's letters and reports on local authority children's services are long
prose. This package turns each document into **findings** (the sentences that
judge practice), tags every finding with zero or more **themes**
(supervision, thresholds, timeliness, caseloads, out of hours, CAF) and one
**polarity** (positive, negative or neutral), and adds the findings up into
tables that can be compared across authorities and years.

This notebook walks through that, step by step:

1. the shipped model and how good it is;
2. one letter, finding by finding;
3. a theme-by-authority matrix for the five seed letters, and a heatmap;
4. the same for all the documents of one region (when the shared corpus is available);
5. one authority eight years apart: Hackney 2011 and 2019;
6. four questions analysts bring: (a) change between inspections, (b) statistical
   neighbours, (c) inadequate judgements and what was criticised, (d) the
   sentences behind a cell;
7. what the model looks at when it tags a theme."""),
    ("code", """\
import os
import tempfile
import warnings
from pathlib import Path

import pandas as pd
from IPython.display import Image, Markdown, display

from ofsted_nlp import (THEMES, OfstedReadError, explain_sentence, find_authority, findings_table,
                        kwic, load_model, read_letter, theme_matrix, theme_terms)
from ofsted_nlp.views.plots import heatmap_png

# The repository is the folder holding pyproject.toml: this one or one above it
# (the notebook normally runs from notebooks/).
here = Path.cwd().resolve()
REPO = next(p for p in (here, *here.parents) if (p / "pyproject.toml").exists())
LETTERS = REPO / "data" / "letters"

pd.set_option("display.max_colwidth", 160)
pd.set_option("display.width", 200)

FIGURES = Path(tempfile.mkdtemp(prefix="ofsted-tour-"))

def show_heatmap(matrix, name):
    \"\"\"Draw a theme matrix with ofsted_nlp.views.plots.heatmap_png and show the picture here.\"\"\"
    display(Image(filename=str(heatmap_png(matrix, FIGURES / f"{name}.png"))))

print("repository:", REPO.name, "| seed letters:", len(list(LETTERS.glob("*.txt"))))"""),
    ("md", """\
## 1. The shipped model and its model card

`load_model()` loads the model shipped with the package (arrays and JSON:
loading it runs no code) after checking its sha256 against the model card
beside it. The card records what the model was trained
on and how it was evaluated: cross-validation **grouped by authority**, so
every score is measured on authorities the model did not see in training.

It is compared with two baselines scored the same way: **keywords** (the
codebook's word lists, no learning) and **majority** (always the most common
answer). *Macro-F1* averages the F1 score over the themes (or over the three
polarity classes), so rare themes count as much as common ones: 1 is perfect."""),
    ("code", """\
model = load_model()
card = model.info["card"]
data = card["data"]
print(f"trained {card.get('trained_at', '?')} on {data['sentences']} labelled sentences "
      f"from {data['documents']} documents, {data['authorities']} authorities")
evaluation = card.get("evaluation")
if evaluation:
    print(f"evaluation: {evaluation['folds']}-fold cross-validation grouped by authority")
    headline = pd.DataFrame({
        name: {"theme macro-F1": m["theme_macro_f1"],
               "polarity macro-F1": m["polarity_macro_f1"],
               "polarity accuracy": m["polarity_accuracy"]}
        for name, m in evaluation["systems"].items()
    }).T.round(3)
    headline.index.name = "system"
    display(headline)
else:
    print("this model was trained without an evaluation: its card has no scores")"""),
    ("md", """\
Per theme, the model is better on some themes than others: the card also has
precision, recall and F1 for each, with the number of labelled sentences
(support) behind each figure. Themes with little support have the least
certain scores."""),
    ("code", """\
if evaluation and evaluation["systems"].get("model", {}).get("per_theme"):
    per_theme = pd.DataFrame(evaluation["systems"]["model"]["per_theme"]).T
    per_theme["support"] = per_theme["support"].astype(int)
    display(per_theme.round(3))"""),
    ("md", """\
Cross-validation folds still share the labelling rounds' habits. The fairest
test is a fifth of authorities held out from all training (and from the
teacher whose soft labels the model also learnt from): the card records how
models trained on the other authorities read their sentences drawn at random."""),
    ("code", """\
heldout = card.get("heldout")
if heldout:
    print(f"{heldout['authorities']} held-out authorities, {heldout['sentences']} sentences drawn at random")
    display(pd.DataFrame(heldout["systems"]).T.round(3))
else:
    print("this model's card has no held-out scores")"""),
    ("md", """\
### The accurate model

`load_model("accurate")` loads a second model: a small transformer (MiniLM,
fine-tuned on the same labels; the teacher the fast model learnt from) run by
onnxruntime. It reads each sentence in context rather than as a bag of
n-grams, so it is right on polarity more often, and it is slower. It needs the
`[accurate]` extra; the cell below compares the two on the Hackney 2019 seed
letter when it is installed."""),
    ("code", """\
try:
    accurate = load_model("accurate")
except Exception as exc:  # the [accurate] extra is not installed
    print(f"accurate model not available: {exc}")
else:
    hackney = read_letter(LETTERS / "003_08c661ef1fa93ef4.txt")
    both = pd.DataFrame({
        "text": [f.text for f in hackney.findings],
        "fast": findings_table([hackney], model)["polarity"],
        "accurate": findings_table([hackney], accurate)["polarity"],
    })
    differ = both[both["fast"] != both["accurate"]]
    print(f"{len(both)} findings; the two models give a different polarity to {len(differ)}")
    display(differ.head(8))"""),
    ("md", """\
## 2. One letter, finding by finding

`read_letter` reads a `.txt` or `.pdf` letter or report and finds its
metadata (the authority with its DfE and ONS codes, its region, the date,
the kind of document, the dates of the visit) and its findings.

Here: the focused visit to **Hackney** in February 2019 (seed letter 003)."""),
    ("code", """\
letter = read_letter(LETTERS / "003_08c661ef1fa93ef4.txt")
display(pd.Series({
    "la_name": letter.la_name,
    "old_la_code (DfE)": letter.old_la_code,
    "new_la_code (ONS)": letter.new_la_code,
    "region": f"{letter.region_name} ({letter.region_code})",
    "date": letter.date,
    "kind": letter.kind,
    "visit_dates": " to ".join(str(d) for d in letter.visit_dates) if letter.visit_dates else None,
    "findings": len(letter.findings),
}, name=letter.document).to_frame())"""),
    ("md", """\
`findings_table([letter], model)` gives one row per finding. **judgement**
comes from the letter's layout (the heading a finding sits under, e.g. a
strength or an area for development); **themes** and **polarity** come from
the model. A finding can have no theme at all: many sentences are about other
parts of practice. After the first rows, the whole letter in counts: findings
per theme, and judgement (from the layout) against polarity (from the model)."""),
    ("code", """\
table = findings_table([letter], model)
display(table[["judgement", "polarity", "themes", "text"]].head(15))"""),
    ("code", """\
print("findings by theme:", table["themes"].explode().dropna().astype(str).value_counts().to_dict())
display(pd.crosstab(table["judgement"], table["polarity"].astype(str), margins=True, margins_name="all"))"""),
    ("md", """\
## 3. Theme-by-authority matrix for the five seed letters

`theme_matrix(findings_table(letters, model))` adds the findings up per
authority. Each cell is the **net balance** of the theme:
(positive − negative) / (positive + negative) findings, from −1 (all
negative) to +1 (all positive); empty (NaN) where the theme has no positive
or negative finding. Neutral findings do not count. `documents` says how many
documents each row read: Hackney has two seed letters (2011 and 2019), added
together here (section 5 separates them)."""),
    ("code", """\
seed_letters = [read_letter(p) for p in sorted(LETTERS.glob("*.txt"))]
seed_table = findings_table(seed_letters, model)
seed_matrix = theme_matrix(seed_table)
display(seed_matrix.drop(columns=["old_la_code", "region_name"]).round(2))"""),
    ("md", """\
The heatmap (`ofsted_nlp.views.plots.heatmap_png`) draws the same matrix: blue
leans positive, red negative, grey where there is nothing to weigh. Given a
`value="count"` matrix it also writes the number of positive (+) and negative
(−) findings in each cell, which tells a balance of 1 positive finding from
one of 20."""),
    ("code", """\
show_heatmap(theme_matrix(seed_table, value="count"), "seeds")"""),
    ("md", """\
## 4. A whole region: London

The shared corpus (`../shared/corpus`, outside the repository) holds real
focused-visit letters and full inspection reports. Its indexes
(`letters.csv`, `reports.csv`) name each document's authority, and
`find_authority` gives that authority's region. Here every London document is
read and tagged and the findings are added up per authority, across all the
years the corpus covers.

Documents that cannot be read raise `OfstedReadError`; they are skipped and
counted. Only counts are shown: the corpus text is not copied into this
notebook. Without the corpus the section says so and is skipped (set
`OFSTED_NLP_CORPUS` to read a corpus kept elsewhere)."""),
    ("code", """\
REGION = "London"
CORPUS = Path(os.environ.get("OFSTED_NLP_CORPUS") or REPO.parent / "shared" / "corpus")
region_matrix = None

if not (CORPUS / "letters.csv").exists() and not (CORPUS / "reports.csv").exists():
    print(f"No shared corpus found (looked for letters.csv / reports.csv in ../{CORPUS.parent.name}/{CORPUS.name}): "
          f"the {REGION} matrix is skipped. Everything else in this notebook works without it.")
else:
    paths = []
    for folder in ("letters", "reports"):
        index = CORPUS / f"{folder}.csv"
        if not index.exists():
            continue
        for row in pd.read_csv(index, dtype=str).to_dict("records"):
            authority = find_authority(row["authority"])
            if authority is not None and authority.region_name == REGION:
                paths.append(CORPUS / folder / f"{row['id']}.pdf")

    region_letters, failed = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. an authority the text does not name
        for path in paths:
            try:
                region_letters.append(read_letter(path))
            except OfstedReadError as exc:
                failed.append(exc)
    print(f"{REGION}: {len(paths)} documents in the corpus index, {len(region_letters)} read, "
          f"{len(failed)} skipped because they could not be read")
    for exc in failed[:5]:
        print("  skipped:", Path(exc.path).name, "-", exc.cause)

    region_table = findings_table(region_letters, model)
    documents_read = pd.DataFrame([{
        "document": l.document, "date": l.date.isoformat() if l.date else None, "kind": l.kind,
        "la_name": l.la_name, "old_la_code": l.old_la_code, "new_la_code": l.new_la_code,
        "region_name": l.region_name,
    } for l in region_letters])
    print(f"{len(region_table)} findings from {documents_read['la_name'].nunique()} authorities; "
          "documents by kind:", documents_read["kind"].value_counts().to_dict())
    region_matrix = theme_matrix(region_table, documents_read=documents_read)
    display(region_matrix.drop(columns=["old_la_code", "region_name"]).round(2).head(40))"""),
    ("code", """\
if region_matrix is not None:
    show_heatmap(theme_matrix(region_table, value="count", documents_read=documents_read), "region")
else:
    print("no regional heatmap (no corpus)")"""),
    ("md", """\
## 5. Hackney, 2011 and 2019

Seed letter 000 is Hackney's unannounced inspection of contact, referral and
assessment (UCRA) in May 2011; seed 003 is its focused visit of February 2019.
`theme_matrix(..., value="count", by="document")` counts, per theme, the
positive and negative findings of each letter; **net** is the balance as in
the matrix above. The two letters are of different kinds and lengths, so
compare the balance more than the raw counts."""),
    ("code", """\
hackney = [read_letter(LETTERS / "000_d08d9c219d03248a.txt"), letter]
hackney_table = findings_table(hackney, model)
KINDS = {"ucra": "UCRA", "focused_visit": "focused visit", "sif": "SIF", "ilacs": "ILACS"}
label = {l.document: f"{l.date.year} {KINDS.get(l.kind, l.kind)}" for l in hackney}

counts = theme_matrix(hackney_table, value="count", by="document").set_index("document")
net = theme_matrix(hackney_table, value="net", by="document").set_index("document")
side = {}
for doc in counts.index:
    side[label[doc]] = pd.DataFrame({
        "positive": [counts.loc[doc, f"{t}_positive"] for t in THEMES],
        "negative": [counts.loc[doc, f"{t}_negative"] for t in THEMES],
        "net": [net.loc[doc, t] for t in THEMES],
    }, index=list(THEMES))
comparison = pd.concat(side, axis=1).round(2)
comparison.index.name = "theme"
display(comparison)
print({label[d]: f"{n} findings" for d, n in hackney_table["document"].value_counts(sort=False).items()})"""),
    ("md", """\
Behind the numbers, the findings themselves. First the findings tagged with
the **supervision** theme in each letter, with their polarity; then every
use of the word *supervis…* (supervision, supervised, supervisors) in context
with `kwic`, which also catches findings the model did not tag with the
theme, so one can check what it missed."""),
    ("code", """\
supervision = hackney_table[hackney_table["themes"].map(lambda ts: "supervision" in ts)]
for doc, rows in supervision.groupby("document", sort=False):
    display(Markdown(f"**Hackney {label[doc]}**: {len(rows)} supervision findings"))
    display(rows[["judgement", "polarity", "text"]].reset_index(drop=True))"""),
    ("code", """\
contexts = []
for row in hackney_table.itertuples():
    for left, word, right in kwic([row.text], r"supervis\\w*", width=60):
        contexts.append({"letter": label[row.document], "polarity": row.polarity,
                         "supervision theme": "supervision" in row.themes,
                         "left": left, "word": word, "right": right})
display(pd.DataFrame(contexts))"""),
    ("md", """\
## 6. Four questions analysts bring

Each answer is a library call on a findings table (and a command, given in
each heading, for whole folders). They work on the seed letters; where the
shared corpus was read in section 4, on London too.

### (a) How did an authority's themes change between its inspections?

`change_table` gives, per authority and theme, the net balance in its
**earliest** and **latest** document of the selection and the difference,
naming the two kinds compared and the findings behind each value: a focused
visit holds about 70 findings, a full report 250-800, so a change between
kinds is not like for like. `timeline` lists every document in date order.
(`ofsted-nlp change PATH --authority Hackney`)"""),
    ("code", """\
from ofsted_nlp.views.evidence import evidence
from ofsted_nlp.views.matrix import with_neighbour_median
from ofsted_nlp.views.plots import heatmap_png
from ofsted_nlp.views.selection import neighbour_group, neighbours, select
from ofsted_nlp.views.timeline import change_table, timeline

change = change_table(select(seed_table, authority="Hackney"))
print(change["compared"].iloc[0])
display(change.set_index("theme")[["earliest_net", "earliest_findings", "latest_net", "latest_findings",
                                   "change"]].round(2))
display(timeline(seed_table)[["label", "findings", *THEMES]].round(2))"""),
    ("md", """\
### (b) How does an authority compare with its statistical neighbours?

The authority table carries the DfE's ten **statistical neighbours** of every
authority (from the shared lookup, checked). `neighbours(table, code)` keeps
the authority and its neighbours, the authority first; `with_neighbour_median`
adds a *statistical neighbours (median)* row, as the DfE's children's social
care dashboard does. The heatmap highlights the authority and hatches cells
built from fewer than 3 findings.
(`ofsted-nlp matrix PATH --neighbours Hackney --plot hackney.png`)"""),
    ("code", """\
print("Hackney's statistical neighbours:", ", ".join(a.la_name for a in neighbour_group("Hackney")[1:]))
pool = region_table if region_matrix is not None else seed_table
near = with_neighbour_median(theme_matrix(neighbours(pool, "Hackney")), "Hackney")
display(near[["la_name", "documents", *THEMES]].round(2))
display(Image(filename=str(heatmap_png(near, FIGURES / "neighbours.png", highlight="Hackney",
                                       title="Hackney and its statistical neighbours"))))"""),
    ("md", """\
### (c) Which authorities were judged inadequate, and what was criticised?

The reader gives each inspection report its **grades** (`letter.grade_columns()`,
named as in `schema.GRADE_COLUMNS`: `overall_effectiveness`,
`impact_of_leaders`, ...); letters and visits have none (`not_applicable`).
The findings table carries them, so they select the reports graded
*inadequate* overall, and the negative matrix shows what those reports
criticised, theme by theme. (`ofsted-nlp matrix PATH --grade inadequate --value negative`, and
`ofsted-nlp evidence PATH --grade inadequate --theme supervision --polarity negative`
for the sentences.)"""),
    ("code", """\
graded_letters = region_letters if region_matrix is not None else seed_letters
graded_table = region_table if region_matrix is not None else seed_table
grades = pd.DataFrame([{"document": l.document, "la_name": l.la_name, "date": l.date, "framework": l.framework,
                        **l.grade_columns()} for l in graded_letters])
print("documents by overall effectiveness:", grades["overall_effectiveness"].value_counts().to_dict())
inadequate = select(graded_table, grade="inadequate")  # the findings table carries each document's grades
if len(inadequate):
    print(f"{inadequate['document'].nunique()} reports graded inadequate overall, on "
          f"{inadequate['la_name'].nunique()} authorities:", ", ".join(sorted(inadequate["la_name"].unique())))
    display(theme_matrix(inadequate, value="negative")[["la_name", "documents", *THEMES]])
else:
    print("no report graded inadequate overall among these documents")"""),
    ("md", """\
### (d) Which sentences are behind a cell?

`evidence(table, authority=..., theme=..., polarity=...)` returns the findings
a matrix cell counts (document, date, section, sentence) as a DataFrame; by
default the positive and negative ones, as the net does. Here: Hackney's
negative findings on timeliness in the seed letters.
(`ofsted-nlp evidence PATH --authority Hackney --theme timeliness --polarity negative`;
`ofsted-nlp report PATH --output report.html` puts the heatmap, the sentences
behind each cell and each authority's documents over time in one HTML file.)"""),
    ("code", """\
behind = evidence(seed_table, authority="Hackney", theme="timeliness", polarity="negative")
print(len(behind), "negative timeliness findings behind Hackney's cell")
display(behind[["date", "kind", "section", "text"]].head(10))"""),
    ("md", """\
## 7. What the model looks at

The model is a logistic regression over word n-grams, character n-grams and
the codebook's own vocabulary (shown in brackets, e.g. `[codebook:caseloads]`).
`theme_terms(model, theme, top=8)` lists the word n-grams and codebook
features with the strongest weights **for** the theme and **against** it.
Character n-grams are left out: they matter but are hard to read one by one."""),
    ("code", """\
def fmt(terms):
    return ", ".join(f"{c.feature} ({c.weight:+.1f})" for c in terms)

terms = pd.DataFrame([
    {"theme": theme, "for (strongest first)": fmt(pos), "against (strongest first)": fmt(neg)}
    for theme in THEMES for pos, neg in [theme_terms(model, theme, top=8)]
]).set_index("theme")
display(terms)"""),
    ("md", """\
`explain_sentence` does the same for one sentence: the themes and polarity it
is given, and for each theme the probability against the theme's decision
threshold, with the features in this sentence that pushed towards and away
from the theme. "characters" is the summed push of all character n-grams."""),
    ("code", """\
sentence = "Social workers are carrying a high number of cases."
why = explain_sentence(model, sentence)
print(f"{why['text']!r}\\n  themes: {', '.join(why['themes']) or '(none)'}; polarity: {why['polarity']}")

def pushes(items):
    return ", ".join(f"{c.feature} ({c.weight:+.2f})" for c in items) or "-"

display(pd.DataFrame([
    {"theme": theme, "probability": r["probability"], "threshold": r["threshold"],
     "tagged": r["probability"] >= r["threshold"], "for": pushes(r["for"]),
     "against": pushes(r["against"]), "characters": r["characters"]}
    for theme, r in why["theme_reasons"].items()
]).set_index("theme").round(3))

p = why["polarity_reasons"]
print(f"polarity {why['polarity']} (p = {p['probability']:.2f})\\n  for: {pushes(p['for'])}\\n"
      f"  against: {pushes(p['against'])}\\n  characters: {p['characters']:+.2f}")"""),
    ("md", """\
## Where next

* `ofsted-nlp tag` and `ofsted-nlp matrix` do sections 2–4 from the command
  line for whole folders of letters and write CSV, PNG and HTML outputs.
* The themes and the polarity rules are defined in the codebook
  (`../shared/codebook.md`); the model card (`models/ofsted-nlp.md`) has the
  full evaluation."""),
]


def build() -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for kind, source in CELLS:
        nb.cells.append(new_markdown_cell(source) if kind == "md" else new_code_cell(source))
    # Stable cell ids, so that rebuilding does not rewrite every id.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"tour-{i:02d}"
    return nb


def execute(nb: nbformat.NotebookNode) -> float:
    from nbclient import NotebookClient

    start = time.perf_counter()
    NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(HERE)}}).execute()
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    nb = build()
    if "--no-run" not in argv:
        seconds = execute(nb)
        print(f"executed in {seconds:.0f} s")
    nbformat.validate(nb)
    tmp = NOTEBOOK.with_name(NOTEBOOK.name + ".tmp")
    nbformat.write(nb, tmp)
    tmp.replace(NOTEBOOK)
    print(f"wrote {NOTEBOOK.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
