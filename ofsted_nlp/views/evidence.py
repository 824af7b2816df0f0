"""Keyword in context: show the evidence behind a tag as the words around a term."""

from __future__ import annotations

import re
from collections.abc import Iterable


def kwic(texts: Iterable[str], term: str, width: int = 40, ignore_case: bool = True) -> list[tuple[str, str, str]]:
    """Every occurrence of ``term`` (a regular expression) as (left context, match, right context).

    >>> kwic(["Social workers carry high caseloads."], "caseloads?", width=15)
    [('workers carry high ', 'caseloads', '.')]
    """
    rx = re.compile(term, re.IGNORECASE if ignore_case else 0)
    out = []
    for text in texts:
        for m in rx.finditer(text):
            left = text[max(0, m.start() - width): m.start()]
            right = text[m.end(): m.end() + width]
            out.append((left, m.group(0), right))
    return out


EVIDENCE_COLUMNS = ["document", "la_name", "old_la_code", "new_la_code", "date", "kind", "section", "judgement", "index", "polarity", "themes",
                    "text"]
CELL_POLARITIES = ("positive", "negative")  # the findings a matrix cell counts


def score_of(value, key: str) -> float:
    """A finding's score ``key`` (one of ``schema.SCORE_KEYS``) from its ``scores``: a :class:`Scores` or
    tuple in SCORE_KEYS order, a dict by name, or JSON text (CSV read back); NaN where it has none."""
    import json

    from ofsted_nlp.schema import SCORE_KEYS

    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return float("nan")
    if isinstance(value, dict):
        got = value.get(key)
    elif isinstance(value, (list, tuple)) and len(value) == len(SCORE_KEYS):
        got = value[SCORE_KEYS.index(key)]
    else:
        got = None
    return float(got) if isinstance(got, (int, float)) else float("nan")


def evidence(findings, authority: str | None = None, theme: str | None = None, polarity: str | None = None,
             document: str | None = None, year: str | int | None = None, sort: str | None = None,
             top: int | None = None):
    """The sentences behind a matrix cell, as a DataFrame (:data:`EVIDENCE_COLUMNS`).

    ``findings`` is a findings table (``findings_table`` or ``ofsted-nlp tag``
    output read back). ``authority`` (name or code), ``theme``, ``document``
    (id) and ``year`` narrow it down as the matrix's rows and columns do.
    ``polarity``: by default the positive and negative findings, the ones a
    cell's net and ``<theme>_findings`` count; ``"positive"``,
    ``"negative"`` or ``"neutral"`` for one; ``"all"`` for every finding.
    Rows are ordered by authority, date, document and position in the document (``index``);
    with ``sort`` (a score's name, ``schema.SCORE_KEYS``: a theme or a polarity), by the model's score
    for it, highest first (ties in that order). ``top`` keeps the first ``top`` rows.

    >>> evidence(table, authority="Hackney", theme="timeliness", polarity="negative")   # doctest: +SKIP
    """
    import pandas as pd

    from ofsted_nlp.schema import POLARITIES, SCORE_KEYS, THEMES
    from ofsted_nlp.views.matrix import authority_columns, document_sort_key, themes_of
    from ofsted_nlp.views.selection import resolve_authority

    if theme is not None and theme not in THEMES:
        raise ValueError(f"no theme {theme!r}; use one of: {', '.join(THEMES)}")
    if sort is not None and sort not in SCORE_KEYS:
        raise ValueError(f"cannot sort by {sort!r}; use a score: {', '.join(SCORE_KEYS)}")
    if sort is not None and "scores" not in findings.columns:
        raise ValueError("the findings table has no scores to sort by")
    if top is not None and top < 1:
        raise ValueError(f"top must be 1 or more, not {top}")
    if polarity is not None and polarity != "all" and polarity not in POLARITIES:
        raise ValueError(f"no polarity {polarity!r}; use one of: {', '.join(POLARITIES)} or all")
    missing = [c for c in ("document", "themes", "polarity", "text") if c not in findings.columns]
    if missing:
        raise ValueError(f"findings table lacks column(s) {', '.join(missing)}")
    f = authority_columns(findings).reset_index(drop=True)
    keep = pd.Series(True, index=f.index)
    if authority is not None:
        if str(authority).strip().casefold() == "unknown":
            keep &= f["la_name"] == "unknown"
        else:
            keep &= f["old_la_code"] == resolve_authority(authority).old_la_code
    themes = [themes_of(v) for v in f["themes"]]
    if theme is not None:
        keep &= pd.Series([theme in ts for ts in themes], index=f.index)
    if polarity is None:
        keep &= f["polarity"].isin(CELL_POLARITIES)
    elif polarity != "all":
        keep &= f["polarity"] == polarity
    if document is not None:
        keep &= f["document"] == str(document)
    if year is not None:
        keep &= f["date"].str[:4] == str(year)
    out = f[keep.to_numpy(dtype=bool)].copy()
    out["themes"] = [";".join(themes[i]) for i in out.index]
    for c in ("section", "judgement", "index"):
        if c not in out.columns:
            out[c] = ""
    out["_pos"] = (pd.to_numeric(out["index"], errors="coerce").fillna(0).tolist() if "index" in findings.columns
                   else range(len(out)))
    out = out.iloc[sorted(range(len(out)), key=lambda i: document_sort_key(
        out["la_name"].iloc[i], out["new_la_code"].iloc[i], out["date"].iloc[i], out["document"].iloc[i])
        + (out["_pos"].iloc[i],))]
    if sort is not None:
        score = [score_of(v, sort) for v in out["scores"]]
        out = out.iloc[sorted(range(len(out)), key=lambda i: -score[i] if score[i] == score[i] else float("inf"))]
    if top is not None:
        out = out.iloc[:top]
    return out[EVIDENCE_COLUMNS].reset_index(drop=True)
