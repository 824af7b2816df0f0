"""One self-contained HTML report an analyst can email: no network, no CDN, scripts and data inline.

It holds: the heatmap of authorities by themes (clicking a cell lists the
sentences behind it), the grades per authority (when the findings carry the
grade columns of ``schema.GRADE_COLUMNS``; "not read" otherwise), each
authority's documents over time with their theme nets, the model card's
headline figures and the model's limits in a sentence.

>>> html = build_report(table, card=load_card())          # doctest: +SKIP
>>> write_report(html, "report.html")                      # doctest: +SKIP
"""

from __future__ import annotations

import datetime
import html as _html
import json
import math
from pathlib import Path

import pandas as pd

from ofsted_nlp.schema import GRADE_COLUMNS, THEMES
from ofsted_nlp.views.matrix import (
    NEIGHBOUR_MEDIAN,
    SMALL,
    UNKNOWN,
    authority_columns,
    neighbours_first,
    theme_matrix,
    themes_of,
    whole_count,
)

__all__ = ["LIMITS", "build_report", "load_card", "write_report"]

LIMITS = ("The tags are a model's reading of single sentences (themes right about 8 times in 10 and polarity "
          "about 8 times in 10 on sentences drawn at random), so read a cell's sentences before quoting it, "
          "compare like with like (a focused visit holds about 70 findings, a full report 250-800), and treat "
          f"cells from fewer than {SMALL} findings as anecdotes, not verdicts.")
THEME_NAMES = {t: t.replace("_", " ") if t != "caf" else "CAF" for t in THEMES}


def load_card(model_path: str | Path | None = None) -> dict | None:
    """The model card (JSON) beside ``model_path`` (default: the shipped model's), or ``None`` if absent."""
    if model_path is None:
        from ofsted_nlp.tagging.model import DEFAULT_MODEL

        model_path = DEFAULT_MODEL
    from ofsted_nlp.tagging.model import card_path

    path = card_path(model_path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _headline(card: dict | None) -> list[tuple[str, str]]:
    """(what, figure) pairs from the card: data, and the model's scores in cross-validation."""
    if not card:
        return [("model card", "not found: scores unknown")]
    out = []
    data = card.get("data", {})
    if data:
        out.append(("trained on", f"{data.get('sentences', '?'):,} hand-labelled sentences from "
                                  f"{data.get('documents', '?')} documents of {data.get('authorities', '?')} authorities"))
    ev = card.get("evaluation") or {}
    model = (ev.get("systems") or {}).get("model") or {}
    if model:
        out.append((f"{ev.get('folds', '?')}-fold cross-validation grouped by authority",
                    f"theme macro-F1 {model.get('theme_macro_f1', float('nan')):.2f}, polarity macro-F1 "
                    f"{model.get('polarity_macro_f1', float('nan')):.2f}, polarity accuracy "
                    f"{model.get('polarity_accuracy', float('nan')):.2f}"))
    random = (((ev.get("subsets") or {}).get("drawn at random") or {}).get("systems") or {}).get("model") or {}
    if random:
        n = ((ev.get("subsets") or {}).get("drawn at random") or {}).get("sentences", "?")
        out.append((f"on the {n:,} sentences drawn at random" if isinstance(n, int) else "on sentences drawn at random",
                    f"theme macro-F1 {random.get('theme_macro_f1', float('nan')):.2f}, polarity macro-F1 "
                    f"{random.get('polarity_macro_f1', float('nan')):.2f}, polarity accuracy "
                    f"{random.get('polarity_accuracy', float('nan')):.2f}"))
    if card.get("trained_at"):
        out.append(("trained", f"{card['trained_at']} ({card.get('artefact', '')}, sha256 {str(card.get('sha256', ''))[:12]}…)"))
    return out


def _num(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else round(f, 3)


def _grade_text(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == "":
        return ""
    return str(v).replace("_", " ")


def report_data(findings: pd.DataFrame, documents_read: pd.DataFrame | None = None,
                highlight: str | None = None, neighbours_of: str | None = None) -> dict:
    """What the page shows, as plain JSON-ready data (the page's script renders it). With ``neighbours_of``,
    that authority and its statistical neighbours only, in the matrix's order (:func:`neighbours_first`:
    the authority, the neighbours' median, the neighbours closest first)."""
    f = authority_columns(findings).reset_index(drop=True)
    net = theme_matrix(findings, "net", "authority", documents_read)
    by_doc = theme_matrix(findings, "net", "document", documents_read)
    if neighbours_of:
        net, by_doc = neighbours_first(net, neighbours_of), neighbours_first(by_doc, neighbours_of)
    auth_key = {(r.new_la_code, r.old_la_code, r.la_name): i for i, r in enumerate(net.itertuples())}
    doc_index = {d: i for i, d in enumerate(by_doc["document"])}

    # sentences behind cells: positive and negative findings with a theme
    sentences: list[list[object]] = []
    cells: dict[str, list[int]] = {}
    # in date order (documents by authority then date), each document's findings in their order
    place = pd.to_numeric(f["index"], errors="coerce").fillna(0).tolist() if "index" in f.columns else [0] * len(f)
    f = f.iloc[sorted(range(len(f)), key=lambda i: (doc_index.get(f["document"].iloc[i], len(doc_index)), place[i], i))]
    f = f.reset_index(drop=True)
    themes = [themes_of(v) for v in f["themes"]]
    for k, row in f.iterrows():
        if row["polarity"] not in ("positive", "negative") or not themes[k]:
            continue
        a = auth_key.get((row["new_la_code"], row["old_la_code"], row["la_name"]))
        d = doc_index.get(row["document"])
        if a is None or d is None:
            continue
        sid = len(sentences)
        sentences.append([d, str(row.get("section") or ""), row["polarity"], " ".join(str(row["text"]).split())])
        for t in themes[k]:
            if t in THEMES:
                cells.setdefault(f"a{a}:{t}", []).append(sid)
                cells.setdefault(f"d{d}:{t}", []).append(sid)

    marks = set()
    if highlight:
        from ofsted_nlp.views.plots import highlighted_rows

        marks = set(highlighted_rows(net, highlight))
    authorities = []
    for i, r in net.iterrows():
        authorities.append({
            "name": r["la_name"], "old": r["old_la_code"], "new": r["new_la_code"], "region": r["region_name"],
            "documents": whole_count(r["documents"]), "highlight": i in marks,
            "net": [_num(r[t]) for t in THEMES], "n": [whole_count(r[f"{t}_findings"]) for t in THEMES],
            **({"median": True} if r["la_name"] == NEIGHBOUR_MEDIAN and not r["old_la_code"] else {}),
        })
    has_grades = [c for c in GRADE_COLUMNS if c in findings.columns
                  or (documents_read is not None and c in documents_read.columns)]
    grade_source = findings if has_grades and all(c in findings.columns for c in has_grades) else documents_read
    grades_of: dict[str, dict] = {}
    if has_grades and grade_source is not None:
        for _, g in grade_source.drop_duplicates("document").iterrows():
            grades_of[str(g["document"])] = {c: _grade_text(g.get(c)) for c in has_grades}
    documents = []
    for _, r in by_doc.iterrows():
        a = auth_key.get((r["new_la_code"], r["old_la_code"], r["la_name"]))
        documents.append({
            "id": r["document"], "authority": a, "date": r["date"], "kind": r["kind"], "label": r["label"],
            "net": [_num(r[t]) for t in THEMES], "n": [int(r[f"{t}_findings"]) for t in THEMES],
            "grades": grades_of.get(r["document"]),
        })
    return {
        "themes": [THEME_NAMES[t] for t in THEMES], "theme_keys": list(THEMES), "small": SMALL,
        "authorities": authorities, "documents": documents, "sentences": sentences, "cells": cells,
        "grade_columns": list(GRADE_COLUMNS), "grades_read": bool(has_grades),
        "findings": len(f), "unknown": UNKNOWN,
    }


def build_report(findings: pd.DataFrame, documents_read: pd.DataFrame | None = None, card: dict | None = None,
                 selection: str = "all documents", highlight: str | None = None,
                 title: str = "Ofsted findings on children's services", neighbours_of: str | None = None) -> str:
    """The report as one HTML string (UTF-8), with everything it needs inline (``neighbours_of``: see
    :func:`report_data`)."""
    data = report_data(findings, documents_read, highlight, neighbours_of)
    places = sum(not a.get("median") for a in data["authorities"])
    head = _headline(card)
    esc = _html.escape
    figures = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in head)
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    generated = datetime.date.today().isoformat()
    summary = (f"{esc(selection)}: {len(data['documents'])} documents, {places} "
               f"authorit{'y' if places == 1 else 'ies'}, {data['findings']:,} findings.")
    return PAGE.format(title=esc(title), summary=summary, generated=generated, figures=figures,
                       limits=esc(LIMITS), payload=payload, css=CSS, script=SCRIPT, small=SMALL)


def write_report(html: str, path: str | Path) -> Path:
    """Write the report to ``path`` whole or not at all."""
    from ofsted_nlp.io.atomic import atomic_path as _atomic

    path = Path(path)
    with _atomic(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#1b1b1b;background:#fff}
header{background:#1d3557;color:#fff;padding:16px 24px}
header h1{margin:0 0 4px;font-size:22px} header p{margin:2px 0;font-size:14px}
main{padding:8px 24px 40px;max-width:1400px}
h2{font-size:18px;margin:26px 0 8px;border-bottom:2px solid #1d3557;padding-bottom:3px}
table{border-collapse:collapse;font-size:13px}
th,td{padding:3px 6px;border:1px solid #e3e3e3;text-align:left}
.heat td.cell{width:78px;text-align:center;cursor:pointer;font-variant-numeric:tabular-nums}
.heat td.cell:hover,.heat td.cell.selected{outline:3px solid #000;outline-offset:-3px}
.heat td.none{background:#d9d9d9;color:#666;cursor:default}
.heat td.small{background-image:repeating-linear-gradient(45deg,rgba(255,255,255,.72) 0 4px,rgba(0,0,0,.16) 4px 5px,transparent 5px 8px);
  color:#111 !important;text-shadow:0 0 3px #fff,0 0 2px #fff}
.heat tr.hl th{font-weight:800;background:#fff3bf}
.heat th.name{white-space:nowrap;max-width:320px;overflow:hidden;text-overflow:ellipsis}
.heat td sub{font-size:10px;color:inherit;opacity:.8}
.layout{display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap}
#evidence{flex:1;min-width:360px;max-width:640px;position:sticky;top:8px;max-height:90vh;overflow:auto;
  border:1px solid #ccc;padding:8px 12px;background:#fafafa}
#evidence li{margin:0 0 8px;font-size:13px} #evidence .meta{color:#555;font-size:12px}
.pos{color:#08519c;font-weight:600}.neg{color:#a50f15;font-weight:600}
.legend{font-size:12px;color:#444;margin:4px 0}
.timeline h3{font-size:15px;margin:14px 0 4px}
.figures th{background:#f1f3f5;width:320px}
.limits{background:#fff4e6;border-left:4px solid #e8590c;padding:8px 12px;max-width:1000px}
.notread{color:#888;font-style:italic}
"""

SCRIPT = r"""
(function(){
const D = JSON.parse(document.getElementById('report-data').textContent);
const T = D.themes.length;
function colour(v){ // RdBu: -1 red, 0 white, +1 blue
  if (v === null) return '#d9d9d9';
  const a = Math.min(1, Math.abs(v));
  const end = v < 0 ? [178,24,43] : [33,102,172];
  const c = end.map(e => Math.round(255 + (e - 255) * a));
  return 'rgb(' + c.join(',') + ')';
}
function el(tag, attrs, text){
  const e = document.createElement(tag);
  for (const k in (attrs || {})) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}
function cell(key, v, n, tr){
  const td = el('td', {'class': 'cell', 'data-cell': key});
  if (v === null){ td.className = 'cell none'; td.textContent = '–'; td.title = 'no positive or negative findings'; }
  else {
    td.style.backgroundColor = colour(v);
    td.style.color = Math.abs(v) > 0.6 && n >= D.small ? '#fff' : '#111';
    td.textContent = (v > 0 ? '+' : '') + v.toFixed(2) + ' ';
    td.appendChild(el('sub', {}, 'n=' + n));
    if (n < D.small){ td.className += ' small'; td.title = 'fewer than ' + D.small + ' findings: too few to read'; }
  }
  tr.appendChild(td);
}
function header(table, first){
  const tr = el('tr'); tr.appendChild(el('th', {}, first));
  D.themes.forEach(t => tr.appendChild(el('th', {}, t)));
  table.appendChild(tr);
}
// heatmap
const heat = document.getElementById('heatmap');
header(heat, 'authority (documents)');
D.authorities.forEach((a, i) => {
  const tr = el('tr', a.highlight ? {'class': 'hl'} : {});
  const th = el('th', {'class': 'name', 'title': [a.name, a.old, a.new, a.region].filter(Boolean).join(' · ')},
                a.name + ' (' + a.documents + ')');
  tr.appendChild(th);
  for (let j = 0; j < T; j++) cell('a' + i + ':' + D.theme_keys[j], a.net[j], a.n[j], tr);
  heat.appendChild(tr);
});
// grades
const grades = document.getElementById('grades');
const gh = el('tr'); ['authority', 'latest graded document'].concat(D.grade_columns.map(c => c.replace(/_/g, ' ')))
  .forEach(h => gh.appendChild(el('th', {}, h))); grades.appendChild(gh);
D.authorities.forEach((a, i) => {
  const docs = D.documents.filter(d => d.authority === i);
  const graded = docs.filter(d => d.grades && D.grade_columns.some(c => d.grades[c] && d.grades[c] !== 'not applicable'));
  const latest = graded.length ? graded[graded.length - 1] : null;
  const tr = el('tr'); tr.appendChild(el('th', {}, a.name));
  if (!D.grades_read){
    tr.appendChild(el('td', {'class': 'notread'}, 'not read'));
    D.grade_columns.forEach(() => tr.appendChild(el('td', {'class': 'notread'}, 'not read')));
  } else {
    tr.appendChild(el('td', {}, latest ? latest.label : 'no graded document'));
    D.grade_columns.forEach(c => tr.appendChild(el('td', {}, latest ? (latest.grades[c] || '') : '')));
  }
  grades.appendChild(tr);
});
// documents over time
const tl = document.getElementById('timeline');
D.authorities.forEach((a, i) => {
  const docs = D.documents.map((d, k) => [d, k]).filter(p => p[0].authority === i);
  if (!docs.length) return;
  tl.appendChild(el('h3', {}, a.name + ': ' + docs.length + ' document' + (docs.length > 1 ? 's' : '')));
  const t = el('table', {'class': 'heat'}); header(t, 'document');
  docs.forEach(p => {
    const tr = el('tr'); tr.appendChild(el('th', {'class': 'name', 'title': p[0].id}, p[0].label));
    for (let j = 0; j < T; j++) cell('d' + p[1] + ':' + D.theme_keys[j], p[0].net[j], p[0].n[j], tr);
    t.appendChild(tr);
  });
  tl.appendChild(t);
});
// evidence on click
const box = document.getElementById('evidence');
function show(td){
  document.querySelectorAll('td.selected').forEach(x => x.classList.remove('selected'));
  td.classList.add('selected');
  const key = td.getAttribute('data-cell');
  const ids = D.cells[key] || [];
  const [where, theme] = key.split(':');
  const name = where[0] === 'a' ? D.authorities[+where.slice(1)].name : D.documents[+where.slice(1)].label;
  box.textContent = '';
  box.appendChild(el('h3', {'id': 'evidence-title'}, name + ' · ' + theme.replace(/_/g, ' ') + ': ' + ids.length + ' finding' + (ids.length === 1 ? '' : 's')));
  if (!ids.length){ box.appendChild(el('p', {}, 'No positive or negative findings on this theme.')); return; }
  if (ids.length < D.small) box.appendChild(el('p', {'class': 'legend'}, 'Fewer than ' + D.small + ' findings: too few to read as a verdict.'));
  const ol = el('ol', {'id': 'evidence-list'});
  ids.forEach(s => {
    const [d, section, pol, text] = D.sentences[s];
    const doc = D.documents[d];
    const li = el('li');
    li.appendChild(el('span', {'class': pol === 'positive' ? 'pos' : 'neg'}, pol + ' '));
    li.appendChild(el('span', {'class': 'sentence'}, text));
    li.appendChild(el('div', {'class': 'meta'}, [doc.label, doc.id, section].filter(Boolean).join(' · ')));
    ol.appendChild(li);
  });
  box.appendChild(ol);
}
document.addEventListener('click', ev => {
  const td = ev.target.closest('td.cell');
  if (td && !td.classList.contains('none')) show(td);
});
document.body.setAttribute('data-ready', '1');
})();
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style></head>
<body>
<header><h1>{title}</h1><p>{summary}</p><p>Made with ofsted-nlp on {generated}. Opens offline: everything is in this file.</p></header>
<main>
<p class="limits"><strong>Limits.</strong> {limits}</p>
<h2>Themes by authority</h2>
<p class="legend">Net balance of each theme's findings: (positive − negative) / (positive + negative), red −1 to blue +1;
n is the number of findings behind the cell; hatched: fewer than {small}; grey: none. Click a cell to read its sentences.</p>
<div class="layout"><table class="heat" id="heatmap"></table>
<div id="evidence"><p>Click a cell to list the sentences behind it.</p></div></div>
<h2>Grades</h2>
<p class="legend">Ofsted's grades from each authority's latest graded inspection report, where the reading records them.</p>
<table id="grades"></table>
<h2>Documents over time</h2>
<p class="legend">Each authority's documents by date with their theme nets (click a cell for its sentences). Focused visits hold about 70
findings, full reports 250-800: compare kinds with care.</p>
<div class="timeline" id="timeline"></div>
<h2>The model</h2>
<table class="figures">{figures}</table>
</main>
<script type="application/json" id="report-data">{payload}</script>
<script>{script}</script>
</body></html>
"""
