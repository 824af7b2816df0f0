"""Authorities over time: each document's theme nets in date order, and how each theme changed between an
authority's earliest and latest document.

Focused visits hold about 70 findings, full inspection reports 250-800: the
change view names the kinds it compares and the findings behind each value,
so that a change between a letter and a report is not read as like for like.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ofsted_nlp.schema import GRADE_COLUMNS, THEMES
from ofsted_nlp.views.matrix import SMALL, UNKNOWN, authority_columns, document_label, theme_matrix
from ofsted_nlp.views.selection import counted

__all__ = ["CHANGE_COLUMNS", "change_table", "timeline"]

CHANGE_COLUMNS = [
    "new_la_code", "old_la_code", "la_name", "region_name", "documents", "theme",
    "earliest_document", "earliest_date", "earliest_kind", "earliest_net", "earliest_findings",
    "latest_document", "latest_date", "latest_kind", "latest_net", "latest_findings",
    "change", "compared",
]


def timeline(findings: pd.DataFrame, documents_read: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per document, by authority then date: ``theme_matrix(by="document")`` (net and
    ``<theme>_findings`` per theme, ``label``) with ``findings`` (all the document's findings, neutral and
    unthemed included) and, when ``findings`` has them, the grade columns (``schema.GRADE_COLUMNS``)."""
    m = theme_matrix(findings, value="net", by="document", documents_read=documents_read)
    f = authority_columns(findings)
    per_doc = f.groupby("document").size()
    if documents_read is not None and "findings" in documents_read.columns:
        read = dict(zip(documents_read["document"].astype(str), documents_read["findings"]))
        m["findings"] = [int(read.get(d, per_doc.get(d, 0))) for d in m["document"]]
    else:
        m["findings"] = [int(per_doc.get(d, 0)) for d in m["document"]]
    for column in GRADE_COLUMNS:
        source = findings if column in findings.columns else documents_read
        if source is not None and column in source.columns:
            first = source.drop_duplicates("document").set_index(source.drop_duplicates("document")["document"]
                                                                 .astype(str))[column]
            m[column] = [first.get(d) for d in m["document"]]
    m.attrs["by"] = "document"
    return m


def change_table(findings: pd.DataFrame, documents_read: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per authority and theme: the net in its earliest and latest dated document, and the difference.

    Columns :data:`CHANGE_COLUMNS`. ``change`` is latest minus earliest net
    (NaN where either has no positive or negative finding of the theme);
    ``earliest_findings``/``latest_findings`` are the findings each net is
    built from (fewer than 3 is too few to read); ``compared`` names the two
    documents: "unannounced inspection 2011-06-09 (38 findings) -> focused
    visit 2019-03-04 (70 findings)". An authority with a single dated
    document has it as both, and no change. Undated documents and documents
    whose authority is unknown are left out.
    """
    docs = timeline(findings, documents_read)
    docs = docs[(docs["la_name"] != UNKNOWN) & (docs["date"] != "")]
    rows = []
    for _, group in docs.groupby(["new_la_code", "old_la_code", "la_name", "region_name"], sort=False):
        group = group.sort_values(["date", "document"])
        first, last = group.iloc[0], group.iloc[-1]
        compared = (f"{_describe(first)} -> {_describe(last)}" if len(group) > 1
                    else f"only one document: {_describe(first)}")
        for t in THEMES:
            a, b = float(first[t]), float(last[t])
            rows.append({
                "new_la_code": first["new_la_code"], "old_la_code": first["old_la_code"],
                "la_name": first["la_name"], "region_name": first["region_name"], "documents": len(group),
                "theme": t,
                "earliest_document": first["document"], "earliest_date": first["date"],
                "earliest_kind": first["kind"], "earliest_net": a, "earliest_findings": int(first[f"{t}_findings"]),
                "latest_document": last["document"], "latest_date": last["date"],
                "latest_kind": last["kind"], "latest_net": b, "latest_findings": int(last[f"{t}_findings"]),
                "change": (b - a) if len(group) > 1 and not (np.isnan(a) or np.isnan(b)) else float("nan"),
                "compared": compared,
            })
    out = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    out.attrs["small"] = SMALL
    return out


def _describe(doc: pd.Series) -> str:
    label = document_label("", doc["date"], doc["kind"]).split(" \u00b7 ", 1)[1]  # "2019-03-04 · focused visit"
    date, kind = label.split(" \u00b7 ")
    return f"{kind} {date} ({counted(int(doc['findings']), 'finding')})"
