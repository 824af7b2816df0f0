"""The theme matrix as open data: the DfE's explore education statistics (EES) tidy layout.

A data file and its ``.meta.csv``, as EES takes them: observational units first
(``time_period``, ``time_identifier``, ``geographic_level``, ``country_code``,
``country_name``, ``region_code``, ``region_name``, ``old_la_code``,
``new_la_code``, ``la_name``), then the filter (``theme``) and the indicators
(``documents``, ``findings``, ``positive_findings``, ``negative_findings``,
``net_balance``). One row per calendar year of the documents' dates, place and
theme: each local authority, each region and England, so that the totals are
in the file. The National and Regional rows total the documents read (the
metadata's label says so), not every inspection Ofsted made; where the
documents are a part of England (a region, some authorities), the National
rows come from the whole of what was read (``national``), never from the part.
``theme`` has a ``Total`` (every positive or negative finding,
whatever its themes). Where there are no positive or negative findings the
net balance is ``z`` (not applicable), as the GSS symbols say.

:func:`check_ees` applies the DfE data screener's checks that can be run
offline (the published rules of dfe-published-data-qa): mandatory columns,
metadata columns and types, geography completed and not over-completed, LA
codes and names that agree with the authority table, years of four digits,
no blanks, no duplicate rows, no NULL/NA or legacy symbols, a Total in the
filter, labels present and unique, decimal places given.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ofsted_nlp.schema import THEMES
from ofsted_nlp.views.matrix import UNKNOWN, authority_columns, themes_of

__all__ = ["DATA_COLUMNS", "META_COLUMNS", "MetaFileExists", "check_ees", "check_meta_file", "ees_tables",
           "ours_or_absent", "write_ees", "write_ees_files"]

COUNTRY = ("E92000001", "England")
OBSERVATIONAL = ["time_period", "time_identifier", "geographic_level", "country_code", "country_name",
                 "region_code", "region_name", "old_la_code", "new_la_code", "la_name"]
FILTERS = ["theme"]
INDICATORS = ["documents", "findings", "positive_findings", "negative_findings", "net_balance"]
DATA_COLUMNS = OBSERVATIONAL + FILTERS + INDICATORS
META_COLUMNS = ["col_name", "col_type", "label", "indicator_grouping", "indicator_unit", "indicator_dp",
                "filter_hint", "filter_grouping_column"]
TOTAL = "Total"
NOT_APPLICABLE = "z"  # GSS symbol: not applicable (no positive or negative finding, so no balance)
LEVELS = {"National": [], "Regional": ["region_code", "region_name"],
          "Local authority": ["region_code", "region_name", "old_la_code", "new_la_code", "la_name"]}
THEME_LABELS = {t: t.replace("_", " ").capitalize() if t != "caf" else "CAF" for t in THEMES}

META = [
    {"col_name": "theme", "col_type": "Filter", "label": "Theme",
     "filter_hint": "Codebook theme of the findings; Total is every positive or negative finding"},
    {"col_name": "documents", "col_type": "Indicator",
     "label": "Documents read (National and Regional rows total the documents read, not every inspection)",
     "indicator_dp": "0"},
    {"col_name": "findings", "col_type": "Indicator", "label": "Positive or negative findings",
     "indicator_dp": "0"},
    {"col_name": "positive_findings", "col_type": "Indicator", "label": "Positive findings", "indicator_dp": "0"},
    {"col_name": "negative_findings", "col_type": "Indicator", "label": "Negative findings", "indicator_dp": "0"},
    {"col_name": "net_balance", "col_type": "Indicator",
     "label": "Net balance (positive minus negative over positive plus negative)", "indicator_dp": "2"},
]


def ees_tables(findings: pd.DataFrame, documents_read: pd.DataFrame | None = None,
               national: tuple[pd.DataFrame, pd.DataFrame | None] | None = None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(data, meta): the findings counted per calendar year, place (LA, region, England) and theme.

    ``national`` is (findings, documents read) of all England in the same
    years and kinds, for when ``findings`` covers only part of it (a region,
    some authorities, an authority's neighbours): the National rows are then
    its totals, not the part's, and come for the years the part has. By
    default they total ``findings``. Documents whose authority or date is
    unknown cannot be placed and are left out; their number is in
    ``data.attrs["left_out"]``. Every value is text, as written.
    """
    counts, left_out = _year_counts(findings, documents_read)
    places, unplaced = _places(counts, national is None)
    left_out += unplaced
    if national is not None:
        years = {year for year, _ in counts}
        whole, _ = _places({k: v for k, v in _year_counts(*national)[0].items() if k[0] in years}, True)
        places.update({k: v for k, v in whole.items() if k[1] == "National"})
    data = _data_rows(places)
    data.attrs["left_out"] = left_out
    meta = pd.DataFrame([{c: m.get(c, "") for c in META_COLUMNS} for m in META], columns=META_COLUMNS, dtype=object)
    return data, meta


def _year_counts(findings: pd.DataFrame, documents_read: pd.DataFrame | None
                 ) -> tuple[dict[tuple[str, str], dict[str, list[int]]], int]:
    """({(year, DfE number): {theme: [documents, positive, negative]}}, documents that cannot be placed)."""
    f = authority_columns(findings)
    docs = f.drop_duplicates("document")[["document", "date", "la_name", "old_la_code"]]
    if documents_read is not None:
        read = authority_columns(documents_read)[["document", "date", "la_name", "old_la_code"]]
        docs = pd.concat([read, docs[~docs["document"].isin(read["document"])]], ignore_index=True)
    placed = docs[(docs["la_name"] != UNKNOWN) & (docs["date"] != "") & (docs["old_la_code"] != "")]
    left_out = len(docs) - len(placed)
    year_of = dict(zip(placed["document"], placed["date"].str[:4]))
    code_of = dict(zip(placed["document"], placed["old_la_code"]))

    # counts[(year, la code)][theme] = [documents, positive, negative]
    counts: dict[tuple[str, str], dict[str, list[int]]] = {}
    for d in placed["document"]:
        cell = counts.setdefault((year_of[d], code_of[d]), {t: [0, 0, 0] for t in (*THEMES, TOTAL)})
        for t in cell:
            cell[t][0] += 1
    for d, ts, pol in zip(f["document"], f["themes"], f["polarity"]):
        if d not in year_of or pol not in ("positive", "negative"):
            continue
        cell = counts[(year_of[d], code_of[d])]
        k = 1 if pol == "positive" else 2
        cell[TOTAL][k] += 1
        for t in themes_of(ts):
            if t in cell:
                cell[t][k] += 1
    return counts, left_out


def _places(counts: dict[tuple[str, str], dict[str, list[int]]], national: bool
            ) -> tuple[dict[tuple[str, str, tuple], dict[str, np.ndarray]], int]:
    """The counts summed per (year, level, place): each authority, its region and (if ``national``)
    England; and the documents of codes the authority table lacks."""
    from ofsted_nlp.authorities.lookup import authority_by_code

    places: dict[tuple[str, str, tuple], dict[str, np.ndarray]] = {}
    left_out = 0
    for (year, code), counted in counts.items():
        a = authority_by_code(code)
        if a is None:
            left_out += counted[TOTAL][0]
            continue
        keys = [("National", ()), ("Regional", (a.region_code, a.region_name)),
                ("Local authority", (a.region_code, a.region_name, a.old_la_code, a.new_la_code, a.la_name))]
        for level, where in keys[0 if national else 1:]:
            target = places.setdefault((year, level, where), {t: np.zeros(3, dtype=int) for t in counted})
            for t, v in counted.items():
                target[t] += np.asarray(v)
    return places, left_out


def _data_rows(places: dict[tuple[str, str, tuple], dict[str, np.ndarray]]) -> pd.DataFrame:
    """The data file's rows, by year, level (National, Regional, Local authority) and place, then theme."""
    rows = []
    order = {"National": 0, "Regional": 1, "Local authority": 2}
    for (year, level, where), summed in sorted(places.items(), key=lambda kv: (kv[0][0], order[kv[0][1]], kv[0][2])):
        base = dict.fromkeys(OBSERVATIONAL, "")
        base.update(time_period=year, time_identifier="Calendar year", geographic_level=level,
                    country_code=COUNTRY[0], country_name=COUNTRY[1])
        base.update(dict(zip(LEVELS[level], where)))
        for t in (TOTAL, *THEMES):
            docs_n, pos, neg = (int(x) for x in summed[t])
            total = pos + neg
            rows.append(base | {
                "theme": THEME_LABELS.get(t, t), "documents": str(docs_n), "findings": str(total),
                "positive_findings": str(pos), "negative_findings": str(neg),
                "net_balance": f"{(pos - neg) / total:.2f}" if total else NOT_APPLICABLE,
            })
    return pd.DataFrame(rows, columns=DATA_COLUMNS, dtype=object)


def check_ees(data: pd.DataFrame, meta: pd.DataFrame) -> list[str]:
    """The screener's problems with (data, meta), one line each; empty when every offline check passes.

    Data are taken as text, as the screener reads them (read CSVs back with
    ``dtype=str, keep_default_na=False``).
    """
    from ofsted_nlp.authorities.lookup import load_authorities

    problems: list[str] = []
    data = data.astype(str)
    meta = meta.astype(str)
    # preCheck1: columns
    for c in ("geographic_level", "time_period", "time_identifier", "country_code", "country_name"):
        if c not in data.columns:
            problems.append(f"data: mandatory column {c} is missing")
    if list(meta.columns) != META_COLUMNS:
        problems.append(f"meta: columns must be {', '.join(META_COLUMNS)}")
        return problems
    if len(set(data.columns)) != len(data.columns):
        problems.append("data: duplicate column names")
    for name in list(data.columns) + list(meta["col_name"]):
        if re.search(r"\s", name) or name != name.lower():
            problems.append(f"{name!r}: column names are lower case with no spaces")
    if problems:
        return problems
    filters = meta.loc[meta["col_type"] == "Filter", "col_name"].tolist()
    indicators = meta.loc[meta["col_type"] == "Indicator", "col_name"].tolist()
    if set(meta["col_type"]) - {"Filter", "Indicator"}:
        problems.append("meta: col_type must be Filter or Indicator")
    for name in meta["col_name"]:
        if name not in data.columns:
            problems.append(f"meta: {name} is not a column of the data")
        if name in OBSERVATIONAL:
            problems.append(f"meta: {name} is an observational unit and must not be in the metadata")
    for name in data.columns:
        if name not in OBSERVATIONAL and name not in filters and name not in indicators:
            problems.append(f"data: {name} is neither an observational unit nor in the metadata")
    # metadata contents
    if meta["label"].str.strip().eq("").any():
        problems.append("meta: every row needs a label")
    if meta["label"].duplicated().any():
        problems.append("meta: labels must be unique")
    if meta["col_name"].duplicated().any():
        problems.append("meta: col_name must be unique")
    for _, m in meta.iterrows():
        if m["col_type"] == "Indicator":
            if m["filter_hint"] or m["filter_grouping_column"]:
                problems.append(f"meta: indicator {m['col_name']} has a filter hint or grouping")
            if m["indicator_unit"] not in ("", "%", "pp", "£", "£m"):
                problems.append(f"meta: indicator {m['col_name']} has unit {m['indicator_unit']!r}")
            if not re.fullmatch(r"\d+", m["indicator_dp"]):
                problems.append(f"meta: indicator {m['col_name']} needs indicator_dp (a whole number)")
        else:
            if m["indicator_grouping"] or m["indicator_unit"] or m["indicator_dp"]:
                problems.append(f"meta: filter {m['col_name']} has indicator fields")
            if m["filter_grouping_column"] and m["filter_grouping_column"] not in data.columns:
                problems.append(f"meta: filter grouping column {m['filter_grouping_column']} is not in the data")
    # time
    if not data["time_identifier"].eq("Calendar year").all():
        problems.append("data: time_identifier must be one kind (here Calendar year)")
    if not data["time_period"].str.fullmatch(r"\d{4}").all():
        problems.append("data: a calendar year's time_period has four digits")
    # geography
    levels = set(data["geographic_level"])
    if levels - set(LEVELS):
        problems.append(f"data: geographic levels {sorted(levels - set(LEVELS))} are not used here")
    if "National" not in levels:
        problems.append("data: no National rows")
    if not ((data["country_code"] == COUNTRY[0]) & (data["country_name"] == COUNTRY[1])).all():
        problems.append("data: country must be E92000001 England")
    regions = {(a.region_code, a.region_name) for a in load_authorities()}
    las = {(a.old_la_code, a.new_la_code, a.la_name) for a in load_authorities()}
    la_region = {a.old_la_code: (a.region_code, a.region_name) for a in load_authorities()}
    geo_cols = ["region_code", "region_name", "old_la_code", "new_la_code", "la_name"]
    for level, needed in LEVELS.items():
        rows = data[data["geographic_level"] == level]
        for c in geo_cols:
            if c in needed and rows[c].eq("").any():
                problems.append(f"data: {level} rows need {c}")
            if c not in needed and rows[c].ne("").any():
                problems.append(f"data: {level} rows must leave {c} blank")
    for _, r in data[data["geographic_level"] != "National"].drop_duplicates(["region_code", "region_name"]).iterrows():
        if (r["region_code"], r["region_name"]) not in regions:
            problems.append(f"data: region {r['region_code']} {r['region_name']!r} is not an ONS region")
    la_rows = data[data["geographic_level"] == "Local authority"].drop_duplicates(["old_la_code", "new_la_code"])
    for _, r in la_rows.iterrows():
        if (r["old_la_code"], r["new_la_code"], r["la_name"]) not in las:
            problems.append(f"data: LA {r['old_la_code']} {r['new_la_code']} {r['la_name']!r} is not in the "
                            "authority table")
        elif la_region[r["old_la_code"]] != (r["region_code"], r["region_name"]):
            problems.append(f"data: LA {r['la_name']} is in {la_region[r['old_la_code']][1]}, not {r['region_name']}")
    # values
    keys = [c for c in OBSERVATIONAL + filters if c in data.columns]
    if data.duplicated(keys).any():
        problems.append(f"data: {int(data.duplicated(keys).sum())} duplicate rows over the units and filters")
    for c in filters:
        if data[c].eq("").any():
            problems.append(f"data: filter {c} has blank cells")
        if TOTAL not in set(data[c]):
            problems.append(f"data: filter {c} has no Total")
    for c in OBSERVATIONAL:
        if c in data.columns and data[c].isin(["Total", "total", "All", "all"]).any():
            problems.append(f"data: observational unit {c} holds Total or All")
    for c in indicators:
        values = data[c]
        if values.eq("").any():
            problems.append(f"data: indicator {c} has blank cells (use a GSS symbol such as z)")
        bad = values[~values.isin(["z", "x", "c", "low", "u"]) & ~values.str.fullmatch(r"-?\d+(\.\d+)?")]
        if len(bad):
            problems.append(f"data: indicator {c} holds {sorted(set(bad))[:3]}")
    symbols = {"NA", "na", "Null", "null", "NULL", "N/A", "n/a", ".", "..", "-", ":", "~"}
    if set(np.unique(data.to_numpy())) & symbols or set(np.unique(meta.to_numpy())) & symbols:
        problems.append("data or meta: NULL, NA or a legacy no-data symbol")
    return problems


def meta_path(path: str | Path) -> Path:
    """``name.meta.csv`` beside ``name.csv``."""
    path = Path(path)
    return path.with_name(path.name[: -len(path.suffix)] + ".meta.csv") if path.suffix else path.with_suffix(".meta.csv")


META_SNIFF_BYTES = 1 << 16  # a metadata file this tool writes is well under this


def ours_or_absent(meta_file: str | Path) -> bool:
    """Whether ``meta_file`` may be replaced by an EES export: it does not exist, is empty, is not a regular
    file (a FIFO or a device is written through, see :mod:`ofsted_nlp.io.atomic`), or is a metadata file as
    this tool writes them (the header :data:`META_COLUMNS`, then rows for the ``theme`` filter and the
    indicators). A ``name.meta.csv`` of the user's (notes, another tool's metadata) is none of these."""
    import csv
    import io
    import os
    import stat

    try:
        st = os.stat(meta_file)
    except FileNotFoundError:
        return True
    if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
        return True
    if st.st_size > META_SNIFF_BYTES:
        return False
    try:
        with open(meta_file, "rb") as fh:
            text = fh.read(META_SNIFF_BYTES).decode("utf-8")
        rows = list(csv.reader(io.StringIO(text)))
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    known = {m["col_name"] for m in META}
    return bool(rows) and rows[0] == META_COLUMNS and len(rows) > 1 and all(
        len(r) == len(META_COLUMNS) and r[0] in known for r in rows[1:])


class MetaFileExists(FileExistsError):
    """``name.meta.csv`` holds something this tool did not write: an EES export would replace it."""


def check_meta_file(meta_file: str | Path) -> None:
    """Raise :class:`MetaFileExists` unless :func:`ours_or_absent` ``(meta_file)``."""
    if not ours_or_absent(meta_file):
        raise MetaFileExists(f"{meta_file}: already exists and is not an EES metadata file ofsted-nlp wrote; "
                             "the export would replace it")


def write_ees(data: pd.DataFrame, meta: pd.DataFrame, path: str | Path, replace_meta: bool = False
              ) -> tuple[Path, Path]:
    """Write ``path`` (.csv) and its ``.meta.csv`` (UTF-8, no BOM, comma separated); each whole or not at all.

    The screener wants file names in lower case without spaces: ``ValueError`` otherwise. A ``.meta.csv``
    already there that this tool did not write (:func:`ours_or_absent`) is kept and
    :class:`MetaFileExists` raised, unless ``replace_meta``.
    """
    from ofsted_nlp.io.atomic import atomic_path as _atomic

    path = Path(path)
    if path.suffix.lower() != ".csv" or re.search(r"[\sA-Z]", path.name):
        raise ValueError(f"{path.name!r}: an EES data file is a .csv named in lower case without spaces")
    meta_file = meta_path(path)
    if not replace_meta:
        check_meta_file(meta_file)
    with _atomic(path) as tmp_data, _atomic(meta_file) as tmp_meta:
        write_ees_files(data, meta, tmp_data, tmp_meta)
    return path, meta_file


def write_ees_files(data: pd.DataFrame, meta: pd.DataFrame, data_file: str | Path, meta_file: str | Path) -> None:
    """Write the two files as they stand (UTF-8, no BOM, comma separated), text cells never formulas
    (:mod:`ofsted_nlp.io.cells`); the indicators are numbers written as text and stay as they are."""
    from ofsted_nlp.io.cells import write_csv

    write_csv(data, data_file, numbers=INDICATORS)
    write_csv(meta, meta_file)
