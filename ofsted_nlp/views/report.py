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
    row_labels,
    theme_matrix,
    themes_of,
    whole_count,
)
from ofsted_nlp.views.page import render

__all__ = ["LIMITS", "CardError", "build_report", "load_card", "write_report"]

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


class CardError(ValueError):
    """The model card holds something other than a figure where a figure belongs; the message is one line
    naming the field ("the model card's data.sentences is 'many', not a number")."""


def _part(card: dict, *keys: str) -> dict:
    """The table at ``card[keys[0]][keys[1]]...``; empty where one is missing or null."""
    part: object = card
    for depth, key in enumerate(keys):
        part = part.get(key) if isinstance(part, dict) else None
        if part is None:
            return {}
        if not isinstance(part, dict):
            raise CardError(f"the model card's {'.'.join(keys[:depth + 1])} is {_shown(part)}, not a table")
    return part  # type: ignore[return-value]


def _shown(value: object) -> str:
    from ofsted_nlp.errors import printable

    text = printable(json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value))
    return text if len(text) <= 60 else text[:57] + "..."


def _figure(part: dict, where: str, key: str, default: object, spec: str) -> str:
    """``part[key]`` written with the format ``spec`` (``default`` as it is where missing or null);
    :class:`CardError` naming ``where.key`` where it is not a number."""
    value = part.get(key)
    if value is None:
        return format(default, spec) if isinstance(default, float) else str(default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CardError(f"the model card's {where}.{key} is {_shown(value)}, not a number")
    return format(value, spec)


def _headline(card: dict | None) -> list[tuple[str, str]]:
    """(what, figure) pairs from the card: data, and the model's scores in cross-validation.

    :class:`CardError` where a figure is not a number."""
    if not card:
        return [("model card", "not found: scores unknown")]
    if not isinstance(card, dict):
        raise CardError(f"the model card is {_shown(card)}, not a table")
    out = []
    data = _part(card, "data")
    if data:
        out.append(("trained on", f"{_figure(data, 'data', 'sentences', '?', ',')} hand-labelled sentences from "
                                  f"{_figure(data, 'data', 'documents', '?', '')} documents of "
                                  f"{_figure(data, 'data', 'authorities', '?', '')} authorities"))
    ev = _part(card, "evaluation")
    model = _part(card, "evaluation", "systems", "model")
    nan = float("nan")

    def scores(part: dict, where: str) -> str:
        return (f"theme macro-F1 {_figure(part, where, 'theme_macro_f1', nan, '.2f')}, polarity macro-F1 "
                f"{_figure(part, where, 'polarity_macro_f1', nan, '.2f')}, polarity accuracy "
                f"{_figure(part, where, 'polarity_accuracy', nan, '.2f')}")

    if model:
        out.append((f"{_figure(ev, 'evaluation', 'folds', '?', '')}-fold cross-validation grouped by authority",
                    scores(model, "evaluation.systems.model")))
    random = _part(card, "evaluation", "subsets", "drawn at random", "systems", "model")
    if random:
        subset = _part(card, "evaluation", "subsets", "drawn at random")
        n = subset.get("sentences")
        where = "evaluation.subsets.drawn at random"
        if n is not None:
            _figure(subset, where, "sentences", "?", "")  # a number, or CardError
        out.append((f"on the {n:,} sentences drawn at random" if isinstance(n, int) else "on sentences drawn at random",
                    scores(random, f"{where}.systems.model")))
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
    authority_labels = row_labels(net)  # names, told apart by code where two share one
    for i, r in net.iterrows():
        authorities.append({
            "name": r["la_name"], "label": authority_labels[i], "old": r["old_la_code"], "new": r["new_la_code"], "region": r["region_name"],
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
    document_labels = row_labels(by_doc)  # told apart by document id where two share one
    for k, r in by_doc.iterrows():
        a = auth_key.get((r["new_la_code"], r["old_la_code"], r["la_name"]))
        documents.append({
            "id": r["document"], "authority": a, "date": r["date"], "kind": r["kind"], "label": document_labels[k],
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
    """The report as one HTML string (UTF-8), with everything it needs inline (``views/templates/report.html.j2``;
    ``neighbours_of``: see :func:`report_data`).

    :class:`CardError` (a ``ValueError``, one line naming the field) where ``card`` holds text where a
    figure belongs."""
    data = report_data(findings, documents_read, highlight, neighbours_of)
    places = sum(not a.get("median") for a in data["authorities"])
    summary = (f"{selection}: {len(data['documents'])} documents, {places} "
               f"authorit{'y' if places == 1 else 'ies'}, {data['findings']:,} findings.")
    return render("report.html.j2", title=title, summary=summary, generated=datetime.date.today().isoformat(),
                  figures=_headline(card), limits=LIMITS, data=data, small=SMALL)


def write_report(html: str, path: str | Path) -> Path:
    """Write the report to ``path`` whole or not at all."""
    from ofsted_nlp.io.atomic import atomic_path as _atomic

    path = Path(path)
    with _atomic(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path


