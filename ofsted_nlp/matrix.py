"""Authorities (or documents) by themes: how Ofsted's findings on each theme lean.

``theme_matrix`` is a pure function of a findings table (``tables.findings_table``
or ``ofsted-nlp tag`` output read back) and, optionally, the list of documents
read, so that a document with no findings still counts as read.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .labels import THEMES

VALUES = ("net", "count", "negative")
BY = ("authority", "document")
UNKNOWN = "unknown"

AUTHORITY_KEYS = ["new_la_code", "old_la_code", "la_name", "region_name"]
DOCUMENT_KEYS = ["document", "date", "kind"] + AUTHORITY_KEYS


def _blank(value) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _themes_of(value) -> tuple[str, ...]:
    """A finding's themes from a list/tuple, or from ';'-joined text (CSV read back)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(str(t) for t in value)
    if _blank(value):
        return ()
    return tuple(t.strip() for t in str(value).split(";") if t.strip())


def _authority_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """la_name "unknown" and empty codes where no authority was found; codes never guessed."""
    out = frame.copy()
    for c in DOCUMENT_KEYS:
        if c not in out.columns:
            out[c] = ""
    out[DOCUMENT_KEYS] = out[DOCUMENT_KEYS].astype(object)
    for c in DOCUMENT_KEYS:
        out[c] = ["" if _blank(v) else str(v) for v in out[c]]
    unknown = out["la_name"] == ""
    out.loc[unknown, "la_name"] = UNKNOWN
    out.loc[unknown, ["new_la_code", "old_la_code", "region_name"]] = ""
    return out


def theme_matrix(findings: pd.DataFrame, value: str = "net", by: str = "authority",
                 documents_read: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows: authorities (or documents); columns: the six themes.

    ``findings`` needs ``document``, ``themes`` (list, tuple or ';'-joined
    text), ``polarity`` and the authority columns (``la_name``,
    ``old_la_code``, ``new_la_code``, ``region_name``). ``documents_read``
    (one row per document read, same authority columns) makes documents
    without findings count in ``documents``; by default the documents are
    those that appear in ``findings``.

    ``value``:

    * ``"net"``: (positive - negative) / (positive + negative) findings of
      the theme; NaN where there are neither. Neutral findings do not count.
    * ``"count"``: ``<theme>_positive`` and ``<theme>_negative`` counts.
    * ``"negative"``: the negative count per theme.

    Rows by authority are keyed by ``new_la_code``, ``old_la_code``,
    ``la_name``, ``region_name`` and sorted by name, ``unknown`` (no
    authority found, empty codes) last; rows by document keep the order of
    ``documents_read``. ``documents`` says how many documents each row read.
    The result's ``attrs["value"]`` and ``attrs["by"]`` record the choice.
    """
    if value not in VALUES:
        raise ValueError(f"value must be one of {', '.join(VALUES)}, not {value!r}")
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}, not {by!r}")
    missing = [c for c in ("document", "themes", "polarity") if c not in findings.columns]
    if missing:
        raise ValueError(f"findings table lacks column(s) {', '.join(missing)}")

    f = _authority_columns(findings)
    derived = f.drop_duplicates("document")[DOCUMENT_KEYS]
    if documents_read is None:
        docs = derived
    else:
        docs = _authority_columns(documents_read)[DOCUMENT_KEYS]
        extra = derived[~derived["document"].isin(docs["document"])]
        docs = pd.concat([docs, extra], ignore_index=True)

    keys = AUTHORITY_KEYS if by == "authority" else ["document"]
    rows = docs.groupby(keys, sort=False, dropna=False).agg(
        **({c: (c, "first") for c in DOCUMENT_KEYS if c not in keys}), documents=("document", "size")
    ).reset_index()
    if by == "authority":
        rows = rows[AUTHORITY_KEYS + ["documents"]]
        order = sorted(range(len(rows)), key=lambda i: (rows["la_name"].iloc[i] == UNKNOWN,
                                                        rows["la_name"].iloc[i].casefold(),
                                                        rows["new_la_code"].iloc[i]))
        rows = rows.iloc[order].reset_index(drop=True)
    else:
        rows = rows[DOCUMENT_KEYS + ["documents"]]

    themes = [_themes_of(v) for v in f["themes"]]
    polarity = f["polarity"].astype(object).to_numpy()
    row_key = pd.MultiIndex.from_frame(rows[keys]) if len(keys) > 1 else pd.Index(rows[keys[0]])
    find_key = pd.MultiIndex.from_frame(f[keys]) if len(keys) > 1 else pd.Index(f[keys[0]])
    pos_idx = row_key.get_indexer(find_key)

    n = len(rows)
    pos = np.zeros((n, len(THEMES)), dtype=int)
    neg = np.zeros((n, len(THEMES)), dtype=int)
    for r, ts, pol in zip(pos_idx, themes, polarity):
        if r < 0 or pol not in ("positive", "negative"):
            continue
        target = pos if pol == "positive" else neg
        for j, t in enumerate(THEMES):
            if t in ts:
                target[r, j] += 1

    out = rows.copy()
    if value == "net":
        total = pos + neg
        with np.errstate(invalid="ignore", divide="ignore"):
            net = np.where(total > 0, (pos - neg) / np.where(total > 0, total, 1), np.nan)
        for j, t in enumerate(THEMES):
            out[t] = net[:, j].astype(float)
    elif value == "count":
        for j, t in enumerate(THEMES):
            out[f"{t}_positive"] = pos[:, j]
            out[f"{t}_negative"] = neg[:, j]
    else:
        for j, t in enumerate(THEMES):
            out[t] = neg[:, j]
    out["documents"] = out["documents"].astype(int)
    out.attrs["value"] = value
    out.attrs["by"] = by
    return out


def net_and_counts(matrix: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(net, positive counts, negative counts) from a ``count`` or ``net`` matrix (counts None for net)."""
    count_cols = [f"{t}_{p}" for t in THEMES for p in ("positive", "negative")]
    if all(c in matrix.columns for c in count_cols):
        pos = matrix[[f"{t}_positive" for t in THEMES]].to_numpy(dtype=float)
        neg = matrix[[f"{t}_negative" for t in THEMES]].to_numpy(dtype=float)
        total = pos + neg
        with np.errstate(invalid="ignore", divide="ignore"):
            net = np.where(total > 0, (pos - neg) / np.where(total > 0, total, 1), np.nan)
        return net, pos.astype(int), neg.astype(int)
    if matrix.attrs.get("value", "net") != "net" or not all(t in matrix.columns for t in THEMES):
        raise ValueError("a heatmap needs a theme_matrix with value='count' (best: counts on hover) or 'net'")
    return matrix[list(THEMES)].to_numpy(dtype=float), None, None


def row_labels(matrix: pd.DataFrame) -> list[str]:
    """Authority names (or document ids) as row labels."""
    if matrix.attrs.get("by") == "document" or ("document" in matrix.columns and "la_name" not in matrix.columns):
        return [str(d) for d in matrix["document"]]
    labels = [str(n) for n in matrix["la_name"]]
    if len(set(labels)) < len(labels):  # same name, different codes: tell them apart
        codes = [str(c or o) for c, o in zip(matrix.get("new_la_code", [""] * len(labels)),
                                             matrix.get("old_la_code", [""] * len(labels)))]
        seen: dict[str, int] = {}
        for name in labels:
            seen[name] = seen.get(name, 0) + 1
        labels = [f"{n} ({c})" if seen[n] > 1 and c else n for n, c in zip(labels, codes)]
    return labels
