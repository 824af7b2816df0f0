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

__all__ = ["CHANGE_COLUMNS", "COMPARE", "change_table", "timeline"]

# What change_table compares: the earliest and latest document; each document and the one before it; each
# document and the one before it of its own framework (ILACS against ILACS, visit against visit).
COMPARE = ("ends", "steps", "like")

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


def change_table(findings: pd.DataFrame, documents_read: pd.DataFrame | None = None,
                 compare: str = "ends") -> pd.DataFrame:
    """Per authority and theme: the net in its earliest and latest dated document, and the difference.

    ``compare`` (:data:`COMPARE`): ``"ends"``, the earliest and the latest
    document; ``"steps"``, every inspection in date order, each against the
    one before it; ``"like"``, each against the one before it of the same
    framework (``framework`` column; ILACS standard against ILACS standard,
    a focused visit against a focused visit), like for like. With steps, a
    ``step`` column (1, 2, ... in date order of the later document) follows
    ``documents``, and an authority with one document (or none of a
    framework twice) has a single row per theme, with no change.

    Columns :data:`CHANGE_COLUMNS`. ``change`` is latest minus earliest net
    (NaN where either has no positive or negative finding of the theme);
    ``earliest_findings``/``latest_findings`` are the findings each net is
    built from (fewer than 3 is too few to read); ``compared`` names the two
    documents: "unannounced inspection 2011-06-09 (38 findings) -> focused
    visit 2019-03-04 (70 findings)". An authority with a single dated
    document has it as both, and no change. Undated documents and documents
    whose authority is unknown are left out.
    """
    if compare not in COMPARE:
        raise ValueError(f"compare must be one of {', '.join(COMPARE)}, not {compare!r}")
    docs = timeline(findings, documents_read)
    docs = docs[(docs["la_name"] != UNKNOWN) & (docs["date"] != "")]
    if compare == "like":
        frameworks = _frameworks(findings, documents_read)
        docs = docs.assign(framework=[frameworks.get(d, "") for d in docs["document"]])
    rows = []
    for _, group in docs.groupby(["new_la_code", "old_la_code", "la_name", "region_name"], sort=False):
        group = group.sort_values(["date", "document"])
        pairs = _pairs(group, compare)
        alone = "only one document" if len(group) == 1 else "no two documents of one framework; the latest"
        for step, (first, last) in enumerate(pairs, start=1):
            compared = (f"{_describe(first)} -> {_describe(last)}" if first is not last
                        else f"{alone}: {_describe(first)}")
            for t in THEMES:
                a, b = float(first[t]), float(last[t])
                row = {
                    "new_la_code": first["new_la_code"], "old_la_code": first["old_la_code"],
                    "la_name": first["la_name"], "region_name": first["region_name"], "documents": len(group),
                    "theme": t,
                    "earliest_document": first["document"], "earliest_date": first["date"],
                    "earliest_kind": first["kind"], "earliest_net": a,
                    "earliest_findings": int(first[f"{t}_findings"]),
                    "latest_document": last["document"], "latest_date": last["date"],
                    "latest_kind": last["kind"], "latest_net": b, "latest_findings": int(last[f"{t}_findings"]),
                    "change": (b - a) if first is not last and not (np.isnan(a) or np.isnan(b)) else float("nan"),
                    "compared": compared,
                }
                if compare != "ends":
                    row["step"] = step
                rows.append(row)
    columns = CHANGE_COLUMNS if compare == "ends" else _with_step(CHANGE_COLUMNS)
    out = pd.DataFrame(rows, columns=columns)
    out.attrs["small"] = SMALL
    out.attrs["compare"] = compare
    return out


def _with_step(columns: list[str]) -> list[str]:
    at = columns.index("documents") + 1
    return columns[:at] + ["step"] + columns[at:]


def _pairs(group: pd.DataFrame, compare: str) -> list[tuple[pd.Series, pd.Series]]:
    """The (earlier, later) documents compared in one authority's documents (in date order)."""
    docs = [group.iloc[i] for i in range(len(group))]
    if compare == "ends" or len(docs) == 1:
        return [(docs[0], docs[-1])]
    if compare == "steps":
        return list(zip(docs, docs[1:]))
    last_of: dict[str, pd.Series] = {}
    pairs = []
    for d in docs:
        if d["framework"] in last_of:
            pairs.append((last_of[d["framework"]], d))
        last_of[d["framework"]] = d
    return pairs or [(docs[-1], docs[-1])]  # none of a framework twice: the latest, alone


def _frameworks(findings: pd.DataFrame, documents_read: pd.DataFrame | None) -> dict[str, str]:
    """Each document's framework, from the documents read or the findings; ``ValueError`` where neither has it."""
    for source in (documents_read, findings):
        if source is not None and "framework" in source.columns:
            first = source.drop_duplicates("document")
            return {str(d): "" if f is None or f != f else str(f) for d, f in zip(first["document"],
                                                                                   first["framework"])}
    raise ValueError("comparing like with like needs the documents' framework column")


def _describe(doc: pd.Series) -> str:
    label = document_label("", doc["date"], doc["kind"]).split(" \u00b7 ", 1)[1]  # "2019-03-04 · focused visit"
    date, kind = label.split(" \u00b7 ")
    return f"{kind} {date} ({counted(int(doc['findings']), 'finding')})"
