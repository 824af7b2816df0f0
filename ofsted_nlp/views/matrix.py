"""Authorities (or documents) by themes: how Ofsted's findings on each theme lean.

``theme_matrix`` is a pure function of a findings table (``tables.findings_table``
or ``ofsted-nlp tag`` output read back) and, optionally, the list of documents
read, so that a document with no findings still counts as read.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ofsted_nlp.schema import GRADE_COLUMNS, GRADED_FRAMEWORKS, THEMES

VALUES = ("net", "count", "negative")
BY = ("authority", "authority-year", "document")
UNKNOWN = "unknown"
SMALL = 3  # a cell built from fewer findings than this is marked: one sentence is not a verdict
NEIGHBOUR_MEDIAN = "statistical neighbours (median)"

AUTHORITY_KEYS = ["new_la_code", "old_la_code", "la_name", "region_name"]
DOCUMENT_KEYS = ["document", "date", "kind"] + AUTHORITY_KEYS
SEP = " \u00b7 "  # "Hackney · 2019-03-04 · focused visit"


def _blank(value) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def themes_of(value) -> tuple[str, ...]:
    """A finding's themes from a list/tuple, or from ';'-joined text (CSV read back)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(str(t) for t in value)
    if _blank(value):
        return ()
    return tuple(t.strip() for t in str(value).split(";") if t.strip())


def _text(value) -> str:
    if _blank(value):
        return ""
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():  # a code read back from CSV as a number
        text = str(int(value))
    return text


def authority_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """la_name "unknown" and empty codes where no authority was found; codes never guessed."""
    out = frame.copy()
    for c in DOCUMENT_KEYS:
        if c not in out.columns:
            out[c] = ""
    out[DOCUMENT_KEYS] = out[DOCUMENT_KEYS].astype(object)
    for c in DOCUMENT_KEYS:
        out[c] = [_text(v) for v in out[c]]
    out["date"] = [d[:10] for d in out["date"]]  # a timestamp read back: the day
    unknown = out["la_name"] == ""
    out.loc[unknown, "la_name"] = UNKNOWN
    out.loc[unknown, ["new_la_code", "old_la_code", "region_name"]] = ""
    return out


def kind_label(kind: str) -> str:
    """"focused visit" for ``focused_visit``; the kind itself when it is not in the schema."""
    from ofsted_nlp.schema import KIND_LABELS

    return KIND_LABELS.get(kind, kind.replace("_", " ")) if kind else "unknown kind"


def document_label(la_name: str, date: str, kind: str) -> str:
    """"Hackney · 2019-03-04 · focused visit": how a document is named in views and plots."""
    return SEP.join([la_name or UNKNOWN, date or "undated", kind_label(kind)])


def authority_sort_key(la_name: str, new_la_code: str = "") -> tuple:
    """Authorities by name (case ignored), "unknown" last."""
    return (la_name == UNKNOWN, la_name.casefold(), new_la_code)


def document_sort_key(la_name: str, new_la_code: str, date: str, document: str) -> tuple:
    """Documents by authority, then date (undated last), then id."""
    return authority_sort_key(la_name, new_la_code) + (date == "", date, document)


def theme_matrix(findings: pd.DataFrame, value: str = "net", by: str = "authority",
                 documents_read: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows: authorities, authority-years or documents; columns: the six themes.

    ``findings`` needs ``document``, ``themes`` (list, tuple or ';'-joined
    text), ``polarity`` and the authority columns (``la_name``,
    ``old_la_code``, ``new_la_code``, ``region_name``); ``date`` and ``kind``
    for rows by year or document. ``documents_read`` (one row per document
    read, same columns) makes documents without findings count in
    ``documents``; by default the documents are those that appear in
    ``findings``.

    ``value``:

    * ``"net"``: (positive - negative) / (positive + negative) findings of
      the theme; NaN where there are neither. Neutral findings do not count.
    * ``"count"``: ``<theme>_positive`` and ``<theme>_negative`` counts.
    * ``"negative"``: the negative count per theme.

    For ``count`` and ``negative``, counts from an 800-finding report and a
    70-finding visit are not alike: ``findings`` gives every finding of the
    row's documents (neutral and unthemed included) and each count has a rate
    beside it, per 100 of those findings (``<theme>_per_100``, or
    ``<theme>_positive_per_100`` and ``<theme>_negative_per_100``; NaN where
    the row has no finding). :func:`top_rows` sorts and cuts by any column.

    For ``net`` and ``negative``, a ``<theme>_findings`` column beside each
    theme gives the number of positive and negative findings the cell is
    built from; a cell from fewer than :data:`SMALL` (3) is too few to read
    as a verdict (plots fade and hatch it; :func:`small_cells` lists them).

    ``by``:

    * ``"authority"``: keyed by ``new_la_code``, ``old_la_code``, ``la_name``,
      ``region_name``, sorted by name, ``unknown`` (no authority found, empty
      codes) last;
    * ``"authority-year"``: the same keys and ``year`` (of the document's
      date), by authority then year, with a ``label`` ("Hackney · 2019");
    * ``"document"``: one row per document, by authority then date, with a
      ``label`` ("Hackney · 2019-03-04 · focused visit").

    ``documents`` says how many documents each row read. The result's
    ``attrs["value"]`` and ``attrs["by"]`` record the choice.
    """
    if value not in VALUES:
        raise ValueError(f"value must be one of {', '.join(VALUES)}, not {value!r}")
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}, not {by!r}")
    missing = [c for c in ("document", "themes", "polarity") if c not in findings.columns]
    if missing:
        raise ValueError(f"findings table lacks column(s) {', '.join(missing)}")

    f = authority_columns(findings)
    derived = f.drop_duplicates("document")[DOCUMENT_KEYS]
    if documents_read is None:
        docs = derived
    else:
        docs = authority_columns(documents_read)[DOCUMENT_KEYS]
        extra = derived[~derived["document"].isin(docs["document"])]
        docs = pd.concat([docs, extra], ignore_index=True)
    docs = docs.drop_duplicates("document")
    f["year"] = [d[:4] for d in f["date"]]
    docs = docs.assign(year=[d[:4] for d in docs["date"]])

    keys = {"authority": AUTHORITY_KEYS, "authority-year": AUTHORITY_KEYS + ["year"], "document": ["document"]}[by]
    rows = docs.groupby(keys, sort=False, dropna=False).agg(
        **({c: (c, "first") for c in DOCUMENT_KEYS if c not in keys}), documents=("document", "size")
    ).reset_index()
    if by == "authority":
        rows = rows[AUTHORITY_KEYS + ["documents"]]
        order = sorted(range(len(rows)), key=lambda i: authority_sort_key(rows["la_name"].iloc[i],
                                                                          rows["new_la_code"].iloc[i]))
    elif by == "authority-year":
        rows["label"] = [SEP.join([n, y or "undated"]) for n, y in zip(rows["la_name"], rows["year"])]
        rows = rows[AUTHORITY_KEYS + ["year", "label", "documents"]]
        order = sorted(range(len(rows)), key=lambda i: authority_sort_key(rows["la_name"].iloc[i],
                                                                          rows["new_la_code"].iloc[i])
                       + (rows["year"].iloc[i] == "", rows["year"].iloc[i]))
    else:
        rows["label"] = [document_label(n, d, k) for n, d, k in zip(rows["la_name"], rows["date"], rows["kind"])]
        rows = rows[DOCUMENT_KEYS + ["label", "documents"]]
        order = sorted(range(len(rows)), key=lambda i: document_sort_key(
            rows["la_name"].iloc[i], rows["new_la_code"].iloc[i], rows["date"].iloc[i], rows["document"].iloc[i]))
    rows = rows.iloc[order].reset_index(drop=True)

    pos, neg = _counts(f, rows, keys)
    out = rows.copy()
    if value != "net":
        out["findings"] = _findings_per_row(f, rows, keys)
        per = out["findings"].to_numpy(dtype=float)

        def rate(n: np.ndarray) -> np.ndarray:
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(per > 0, np.round(100 * n / np.where(per > 0, per, 1), 2), np.nan)
    if value == "net":
        for j, t in enumerate(THEMES):
            out[t] = _net(pos[:, j], neg[:, j])
            out[f"{t}_findings"] = pos[:, j] + neg[:, j]
    elif value == "count":
        for j, t in enumerate(THEMES):
            out[f"{t}_positive"] = pos[:, j]
            out[f"{t}_negative"] = neg[:, j]
            out[f"{t}_positive_per_100"] = rate(pos[:, j])
            out[f"{t}_negative_per_100"] = rate(neg[:, j])
    else:
        for j, t in enumerate(THEMES):
            out[t] = neg[:, j]
            out[f"{t}_findings"] = pos[:, j] + neg[:, j]
            out[f"{t}_per_100"] = rate(neg[:, j])
    out["documents"] = out["documents"].astype(int)
    grades = _grades(documents_read if documents_read is not None else findings, rows, by)
    if grades is not None:
        out = pd.concat([out, grades], axis=1)
    out.attrs["value"] = value
    out.attrs["by"] = by
    return out


def _grades(source: pd.DataFrame, rows: pd.DataFrame, by: str) -> pd.DataFrame | None:
    """Ofsted's grades beside each row, where the documents carry them (``framework`` and the grade columns).

    By document: the document's own grades. By authority (or authority and
    year): those of its latest graded inspection (SIF or ILACS) among the
    documents read, with that inspection's ``graded_document`` and
    ``graded_date`` (the inspection's last day, else the document's date);
    empty where it has none.
    """
    columns = list(GRADE_COLUMNS)
    if not set(columns + ["framework"]) <= set(source.columns):
        return None
    docs = authority_columns(source.drop_duplicates("document"))
    for c in columns + ["framework", "inspection_end"]:
        if c not in docs.columns:
            docs[c] = ""
        docs[c] = ["" if _blank(v) else str(v) for v in docs[c]]
    if by == "document":
        own = docs.set_index("document")
        return pd.DataFrame({c: [own[c].get(d, "") for d in rows["document"]] for c in ["framework"] + columns})
    graded = docs[docs["framework"].isin(GRADED_FRAMEWORKS)].copy()
    graded["when"] = [e or d for e, d in zip(graded["inspection_end"], graded["date"])]
    graded["year"] = [d[:4] for d in graded["date"]]
    graded = graded.sort_values(["when", "document"])
    keys = AUTHORITY_KEYS + (["year"] if by == "authority-year" else [])
    latest = {tuple(r[k] for k in keys): r for r in graded.to_dict("records")}  # the last one per key wins
    out: dict[str, list[str]] = {"graded_document": [], "graded_date": [], **{c: [] for c in columns}}
    for r in rows.to_dict("records"):
        hit = latest.get(tuple(r[k] for k in keys))
        out["graded_document"].append(hit["document"] if hit else "")
        out["graded_date"].append(hit["when"] if hit else "")
        for c in columns:
            out[c].append(hit[c] if hit else "")
    return pd.DataFrame(out)


def _net(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    total = pos + neg
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (pos - neg) / np.where(total > 0, total, 1), np.nan).astype(float)


def _counts(f: pd.DataFrame, rows: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Positive and negative findings per row and theme."""
    themes = [themes_of(v) for v in f["themes"]]
    polarity = f["polarity"].astype(object).to_numpy()
    row_key = pd.MultiIndex.from_frame(rows[keys]) if len(keys) > 1 else pd.Index(rows[keys[0]])
    find_key = pd.MultiIndex.from_frame(f[keys]) if len(keys) > 1 else pd.Index(f[keys[0]])
    pos_idx = row_key.get_indexer(find_key) if len(f) else np.array([], dtype=int)
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
    return pos, neg


def _findings_per_row(f: pd.DataFrame, rows: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Every finding (neutral and unthemed too) of each row's documents."""
    row_key = pd.MultiIndex.from_frame(rows[keys]) if len(keys) > 1 else pd.Index(rows[keys[0]])
    find_key = pd.MultiIndex.from_frame(f[keys]) if len(keys) > 1 else pd.Index(f[keys[0]])
    at = row_key.get_indexer(find_key) if len(f) else np.array([], dtype=int)
    return np.bincount(at[at >= 0], minlength=len(rows)).astype(int)


def top_rows(matrix: pd.DataFrame, sort: str | None = None, top: int | None = None,
             ascending: bool = False) -> pd.DataFrame:
    """``matrix`` sorted by column ``sort`` (largest first unless ``ascending``; NaN last; ties keep their
    order), then its first ``top`` rows: ``top_rows(theme_matrix(t, "negative"), "caseloads_per_100", 10)``
    is the ten authorities with most negative findings on caseloads per 100 findings.

    ``ValueError`` naming the columns where ``sort`` is not one, or ``top`` is below 1.
    """
    if top is not None and top < 1:
        raise ValueError(f"top must be 1 or more, not {top}")
    out = matrix
    if sort is not None:
        if sort not in matrix.columns:
            raise ValueError(f"no column {sort!r} to sort by; use one of: {', '.join(map(str, matrix.columns))}")
        key = pd.to_numeric(matrix[sort], errors="coerce")
        if key.isna().all() and matrix[sort].notna().any():  # a text column: by its text
            order = sorted(range(len(matrix)), key=lambda i: str(matrix[sort].iloc[i]).casefold(),
                           reverse=not ascending)
        else:
            values = key.to_numpy(dtype=float)
            order = sorted(range(len(matrix)), key=lambda i: (np.isnan(values[i]),
                                                               values[i] if ascending else -values[i]))
        out = matrix.iloc[order]
    if top is not None:
        out = out.iloc[:top]
    out = out.reset_index(drop=True)
    out.attrs = dict(matrix.attrs)
    return out


def findings_per_cell(matrix: pd.DataFrame) -> np.ndarray:
    """Positive plus negative findings behind each cell (rows x themes), from any value of matrix."""
    if all(f"{t}_findings" in matrix.columns for t in THEMES):
        return matrix[[f"{t}_findings" for t in THEMES]].to_numpy(dtype=float)
    if all(f"{t}_positive" in matrix.columns for t in THEMES):
        return (matrix[[f"{t}_positive" for t in THEMES]].to_numpy(dtype=float)
                + matrix[[f"{t}_negative" for t in THEMES]].to_numpy(dtype=float))
    raise ValueError("the matrix has no counts: build it with theme_matrix (net, count or negative)")


def small_cells(matrix: pd.DataFrame, below: int = SMALL) -> np.ndarray:
    """True where a cell is built from at least one but fewer than ``below`` findings (rows x themes)."""
    n = findings_per_cell(matrix)
    return (n > 0) & (n < below)


def with_neighbour_median(matrix: pd.DataFrame, code: str) -> pd.DataFrame:
    """The authority ``code`` (name or code) first, then a "statistical neighbours (median)" row, then its
    neighbours (closest first); other rows are dropped.

    ``matrix`` is a ``theme_matrix`` by authority (``net`` or ``negative``).
    Every value of the median row is a median over the neighbours present: each
    theme's value over those that have one (NaN cells are left out),
    ``<theme>_findings`` the median of those neighbours' findings on the theme,
    and ``documents`` the median of the neighbours' documents (a whole number,
    or a half where the neighbours are even in number); its codes are empty.
    As the DfE's children's social care dashboard compares an authority with
    its neighbours' average.
    """
    from ofsted_nlp.views.selection import neighbour_group

    if matrix.attrs.get("by", "authority") != "authority":
        raise ValueError("the statistical neighbours' median needs a matrix by authority")
    if matrix.attrs.get("value", "net") == "count":
        raise ValueError("the statistical neighbours' median needs a net or negative matrix")
    group = [a.old_la_code for a in neighbour_group(code)]
    codes = [_text(c) for c in matrix["old_la_code"]]
    first = [i for i, c in enumerate(codes) if c == group[0]]
    others = sorted((i for i, c in enumerate(codes) if c in group[1:]), key=lambda i: group.index(codes[i]))
    median: dict[str, object] = dict.fromkeys(matrix.columns, "")
    median["la_name"] = NEIGHBOUR_MEDIAN
    near = matrix.iloc[others]
    median["documents"] = whole_count(np.median(near["documents"].to_numpy(dtype=float))) if others else 0
    for t in THEMES:
        values = near[t].to_numpy(dtype=float)
        has = ~np.isnan(values)
        median[t] = float(np.median(values[has])) if has.any() else float("nan")
        if f"{t}_findings" in matrix.columns:
            counts = near[f"{t}_findings"].to_numpy(dtype=float)[has]
            median[f"{t}_findings"] = whole_count(np.median(counts)) if has.any() else 0
    rates = [c for c in matrix.columns if str(c).endswith("_per_100")]
    for c in rates:
        values = near[c].to_numpy(dtype=float)
        median[c] = float(np.median(values[~np.isnan(values)])) if (~np.isnan(values)).any() else float("nan")
    if "findings" in matrix.columns:
        median["findings"] = whole_count(np.median(near["findings"].to_numpy(dtype=float))) if others else 0
    out = pd.concat([matrix.iloc[first], pd.DataFrame([median], columns=matrix.columns), near],
                    ignore_index=True)
    for c in [*THEMES, *rates]:
        out[c] = out[c].astype(float)
    counted = (["documents"] + (["findings"] if "findings" in out.columns else [])
               + [f"{t}_findings" for t in THEMES if f"{t}_findings" in out.columns])
    for c in counted:  # whole numbers as ints; the median row's half, where there is one, as a float
        values = [whole_count(v) for v in out[c]]
        out[c] = pd.Series(values, dtype=int if all(isinstance(v, int) for v in values) else object)
    out.attrs = dict(matrix.attrs, neighbours_of=group[0])
    return out


def whole_count(value) -> int | float:
    """A count as an int where it is whole (a median of counts may end in .5, kept as a float)."""
    value = float(value)
    return int(value) if value.is_integer() else value


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
    """Row labels, one per row and no two alike: the ``label`` column where there is one ("Hackney ·
    2019-03-04 · focused visit"), else authority names, else document ids. Where two rows would share a
    label, each of them is told apart by its document id (or, by authority, its code): see :func:`unique_labels`."""
    if "label" in matrix.columns:
        labels = [str(x) for x in matrix["label"]]
        if "document" in matrix.columns:
            return unique_labels(labels, [_text(d) for d in matrix["document"]])
        return unique_labels(labels, _codes(matrix))
    if "la_name" not in matrix.columns:
        return unique_labels([str(d) for d in matrix["document"]], [""] * len(matrix))
    return unique_labels([str(n) for n in matrix["la_name"]], _codes(matrix))


def _codes(matrix: pd.DataFrame) -> list[str]:
    n = len(matrix)
    return [_text(c) or _text(o) for c, o in zip(matrix.get("new_la_code", [""] * n),
                                                  matrix.get("old_la_code", [""] * n))]


def unique_labels(labels: list[str], ids: list[str]) -> list[str]:
    """``labels`` with those that occur more than once followed by their row's id in brackets
    ("Hackney · 2019-03-04 · focused visit (003_08c661ef1fa93ef4)"), and any still alike (same id, or
    none) by "#2", "#3"... in row order. Labels that occur once are kept as they are."""
    seen: dict[str, int] = {}
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
    out = [f"{x} ({i})" if seen[x] > 1 and i else x for x, i in zip(labels, ids)]
    taken = set(out)
    if len(taken) == len(out):
        return out
    count: dict[str, int] = {}
    result = []
    for x in out:
        count[x] = count.get(x, 0) + 1
        if count[x] == 1:
            result.append(x)
            continue
        k = count[x]
        while f"{x} #{k}" in taken:
            k += 1
        taken.add(f"{x} #{k}")
        result.append(f"{x} #{k}")
    return result


def neighbours_first(matrix: pd.DataFrame, code: str) -> pd.DataFrame:
    """``matrix`` with the rows of authority ``code`` first, then its statistical neighbours' (closest first);
    the median row is added when the matrix is by authority (see :func:`with_neighbour_median`), and rows of
    other authorities are dropped. Each authority's rows keep their order (by year or date)."""
    from ofsted_nlp.views.selection import neighbour_group

    if matrix.attrs.get("by", "authority") == "authority" and matrix.attrs.get("value", "net") != "count":
        return with_neighbour_median(matrix, code)
    group = [a.old_la_code for a in neighbour_group(code)]
    codes = [_text(c) for c in matrix["old_la_code"]]
    order = sorted((i for i, c in enumerate(codes) if c in group), key=lambda i: (group.index(codes[i]), i))
    out = matrix.iloc[order].reset_index(drop=True)
    out.attrs = dict(matrix.attrs, neighbours_of=group[0])
    return out
