"""Writers of tagged findings: CSV, JSON lines, Excel and a readable table.

CSV and Excel cells are never formulas (:mod:`ofsted_nlp.io.cells`): a CSV text cell that starts like one
(``=``, ``+``, ``-``, ``@``, tab, carriage return) gets a single quote in front; a workbook stores every
string as a string. JSON lines and the table hold the text as it is.

Each writer takes findings document by document (``add(result)`` for a
:class:`~ofsted_nlp.batch.pipeline.DocumentResult`, or ``add_rows(rows)``) and
``close`` finishes the output; ``abort`` stops without finishing it. Columns
are :data:`~ofsted_nlp.batch.rows.FINDING_COLUMNS`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from itertools import chain
from pathlib import Path
from typing import IO, TYPE_CHECKING, Union

from ofsted_nlp.batch.rows import DOCUMENT_FIELDS, FINDING_COLUMNS, FindingRow, record_of
from ofsted_nlp.io.cells import CSV_PREFIX, FORMULA_STARTS, csv_cell, save_workbook, text_cell
from ofsted_nlp.schema import SCORE_KEYS

if TYPE_CHECKING:  # pragma: no cover
    from ofsted_nlp.batch.pipeline import DocumentResult

__all__ = ["FORMATS", "open_writer", "row_cells", "table_text", "CsvWriter", "JsonlWriter", "TableWriter",
           "XlsxWriter"]


def row_cells(row: FindingRow) -> list:
    """A row as cells for CSV or Excel, in FINDING_COLUMNS order: themes joined by ';', scores as JSON
    text, missing values empty."""
    cells = ["" if v is None else v for v in row]
    cells[_THEMES] = ";".join(row.themes)
    cells[_SCORES] = _score_values_text(row.scores)
    return cells


_THEMES = FINDING_COLUMNS.index("themes")
_SCORES = FINDING_COLUMNS.index("scores")


def _score_values_text(values: tuple) -> str:
    """``json.dumps`` of the scores by name, given their values in SCORE_KEYS order; a fixed template
    when they are finite floats (the repr of one is how JSON writes it), which is faster."""
    if set(map(type, values)) == {float} and math.isfinite(sum(values)):
        return _SCORES_TEMPLATE % values
    return json.dumps(dict(zip(SCORE_KEYS, values)))


_SCORES_TEMPLATE = "{" + ", ".join(f"{json.dumps(k)}: %r" for k in SCORE_KEYS) + "}"
_SCORES_TEXT_TEMPLATE = _SCORES_TEMPLATE.replace("%r", "%s")
# How JSON writes k / 1000 for k = 0..1000: the scores of a tagged finding are rounded to 3 places.
_THOUSANDTHS = None


def _thousandths(values: Sequence[tuple]):
    """Scores (a tuple per row) as thousandths, an (n x scores) array of integers k with k / 1000 the value;
    None unless every value is a float of at most 3 places in [0, 1]."""
    import numpy as np

    if not values or set(map(type, chain.from_iterable(values))) != {float}:
        return None
    A = np.array(values, dtype=np.float64)
    if A.shape != (len(values), len(SCORE_KEYS)):
        return None
    K = np.rint(A * 1000.0)
    if not ((K / 1000.0 == A) & (K >= 0) & (K <= 1000)).all():  # exactly k / 1000, so repr(k / 1000) is its text
        return None
    return K.astype(np.intp)


def _scores_texts(rows: list[FindingRow]) -> list[str] | None:
    """The scores cells of many rows at once, or None unless every score is a float of at most 3 places in
    [0, 1] (as :func:`~ofsted_nlp.batch.rows.finding_rows` gives them): each value's text is read off a table,
    the same text as ``repr`` (so as ``json.dumps``) gives, at half the cost."""
    global _THOUSANDTHS
    import numpy as np

    K = _thousandths([r.scores for r in rows])
    if K is None:
        return None
    if _THOUSANDTHS is None:
        _THOUSANDTHS = np.array([repr(k / 1000) for k in range(1001)], dtype=object)
    template = _SCORES_TEXT_TEMPLATE
    return [template % t for t in map(tuple, _THOUSANDTHS[K].tolist())]


class Writer:
    """Receives each document's records in input order; ``close`` finishes the output."""

    def __init__(self, target: io.StringIO | Path):
        self.owned = not isinstance(target, io.StringIO)
        self.fh: IO[str] = target if isinstance(target, io.StringIO) else open(  # noqa: SIM115 - closed by close()
            target, "w", encoding="utf-8", newline="")

    def add(self, result: DocumentResult) -> None:
        """Write one document's findings."""
        self.add_rows(result.rows)

    def add_rows(self, rows: Iterable[FindingRow]) -> None:
        for row in rows:
            self.write(record_of(row))

    def write(self, record: dict) -> None:
        raise NotImplementedError

    def close(self) -> None:
        if self.owned and not self.fh.closed:
            self.fh.close()

    def abort(self) -> None:
        """Stop without finishing the output (the caller discards the file)."""
        Writer.close(self)


class CsvWriter(Writer):
    def __init__(self, target):
        super().__init__(target)
        self.columns = list(FINDING_COLUMNS)
        self.writer = csv.writer(self.fh, lineterminator="\n")
        self.writer.writerow(self.columns)
        # the CSV text of each column's values seen so far (a cache per column: True == 1 as keys)
        self._cells = {name: _CellTexts(_OPTIONAL) for name in _CACHED}
        self._cells["recommendation"] = _CellTexts({bool})
        self._cells["themes"] = _CellTexts({tuple})
        self._heads = _CellTexts({tuple}, _head_text)  # the document's fields, as one piece of a line

    def add_rows(self, rows: Iterable[FindingRow]) -> None:
        rows = list(rows)
        if not rows:
            return
        if _SCORE_PIECES is not None:
            try:
                lines = self._lines(rows)
            except (_Unusual, TypeError):  # TypeError: an unhashable value
                lines = None
            if lines is not None:
                self.fh.write(lines)
                return
        texts = _scores_texts(rows)
        if texts is None:
            self.writer.writerows([list(map(csv_cell, row_cells(row))) for row in rows])
            return
        cells = [["" if v is None else v for v in row] for row in rows]
        for row, cell, text in zip(rows, cells, texts):
            cell[_THEMES] = ";".join(row.themes)
            cell[_SCORES] = text
        self.writer.writerows([list(map(csv_cell, cell)) for cell in cells])

    def _lines(self, rows: list[FindingRow]) -> str | None:
        """The rows' CSV lines, the text ``csv.writer`` writes, built column by column: the text and the
        scores quoted here, the other columns' texts worked out once per distinct value (or document).
        None (or :class:`_Unusual`) unless every column holds the types of :class:`FindingRow` and the
        scores are as :func:`_scores_texts` reads them; then the csv module writes the rows."""
        columns = list(zip(*rows))
        if len(columns) != len(FINDING_COLUMNS):
            return None
        by_name = dict(zip(FINDING_COLUMNS, columns))
        if (set(map(type, by_name["text"])) != {str} or set(map(type, by_name["index"])) != {int}
                or set(map(type, by_name["recommendation"])) != {bool}  # else 1 would read True's text
                or set(map(type, chain.from_iterable(by_name["themes"]))) - {str}):
            return None
        scores = _score_pieces(by_name["scores"])
        if scores is None:
            return None
        pieces = [list(map(self._heads.__getitem__, zip(*columns[:len(DOCUMENT_FIELDS)])))]
        for name in _AFTER_HEAD:
            values = by_name[name]
            if name in self._cells:
                pieces.append(list(map(self._cells[name].__getitem__, values)))
            elif name == "index":
                pieces.append(list(map(str, values)))
            elif name == "text":
                pieces.append(_quote_all(values))
            elif name == "scores":
                pieces.extend(scores)
            else:  # pragma: no cover - every column is handled above
                return None
        return "\n".join(map(",".join, zip(*pieces))) + "\n"


def _quoting() -> str | None:
    """The characters whose presence makes ``csv.writer`` (default dialect, lineterminator "\\n") quote a
    field, asked of the csv module itself; None where its rules are not that simple (a field quoted
    or not by where a character stands, empty fields quoted), and the csv module then writes every row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def written(field: str) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([field, "x"])
        return buffer.getvalue()

    if written("") != ",x\n":
        return None
    special = ""
    for c in map(chr, range(128)):
        fields = (f"a{c}b", f"{c}b", f"a{c}", c)
        got = [written(f) for f in fields]
        if got == ['"' + f.replace('"', '""') + '",x\n' for f in fields]:
            special += c
        elif got != [f + ",x\n" for f in fields]:
            return None
    return special or None


_QUOTING = _quoting()
_NEEDS_QUOTES = re.compile("[" + re.escape(_QUOTING or ",") + "]").search
_OPTIONAL = {str, type(None)}
# Columns with few distinct values: each value's cell text is worked out once.
_CACHED = ("section", "judgement", "area", "area_grade", "recommendation", "themes", "polarity")
_AFTER_HEAD = tuple(FINDING_COLUMNS[len(DOCUMENT_FIELDS):])


class _Unusual(Exception):
    """A value of another type than a FindingRow's: the csv module writes the batch."""


def _quote(value: str) -> str:
    """A field's text as csv.writer writes it: quoted (quotes doubled) where it holds a special character."""
    return '"' + value.replace('"', '""') + '"' if _NEEDS_QUOTES(value) else value


def _quote_all(values: Iterable[str]) -> list[str]:
    """Text cells as csv.writer quotes them, each first made safe as :func:`~ofsted_nlp.io.cells.csv_text`."""
    search, starts, prefix = _NEEDS_QUOTES, FORMULA_STARTS, CSV_PREFIX
    values = [prefix + v if v[:1] in starts else v for v in values]
    return ['"' + v.replace('"', '""') + '"' if search(v) else v for v in values]


def _cell(value: object) -> str:
    """One cell's CSV text: None empty, a tuple of themes joined by ';', text made safe as
    :func:`~ofsted_nlp.io.cells.csv_text`, anything else its str(), quoted as csv.writer quotes."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return _quote(csv_cell(";".join(value)))
    return _quote(csv_cell(value) if isinstance(value, str) else str(value))


def _head_text(values: tuple) -> str:
    if not set(map(type, values)) <= _OPTIONAL:
        raise _Unusual
    return ",".join(map(_cell, values))


class _CellTexts(dict):
    """value -> its CSV text, worked out on first use; a value of another type than ``types`` raises
    :class:`_Unusual` (so equal values of two types, as True and 1, never share a text)."""

    def __init__(self, types: set, text=_cell):
        super().__init__()
        self.types, self.text = types, text

    def __missing__(self, value):
        if type(value) not in self.types:
            raise _Unusual
        self[value] = out = self.text(value)
        return out


def _split_scores_template(template: str) -> list[str] | None:
    """The quoted scores template cut at its values so that joining the row's cells with ',' writes it: the
    text before each value (less the ',' the join puts there) and, with the last, the text after it."""
    parts = template.split("%s")
    if len(parts) != len(SCORE_KEYS) + 1 or not all(p.startswith(",") for p in parts[1:-1]):
        return None
    return [parts[0]] + [p[1:] for p in parts[1:-1]] + [parts[-1]]


# The scores' cell as csv.writer writes it, in pieces (see _score_pieces); None: the csv module writes it.
_SCORE_PIECES = (None if _QUOTING is None or _NEEDS_QUOTES("0123456789.")
                 else _split_scores_template(_quote(_SCORES_TEXT_TEMPLATE)))
_SCORE_TABLES: list | None = None


def _score_pieces(scores: Sequence[tuple]) -> list[list[str]] | None:
    """The quoted scores cells of many rows as one list per score, so that joining a row's cells with ','
    writes its cell (each value's text read off a table, as :func:`_scores_texts`); None unless every score
    is a float of at most 3 places in [0, 1]."""
    import numpy as np

    global _SCORE_TABLES
    K = _thousandths(scores)
    if K is None or _SCORE_PIECES is None:
        return None
    tables = _SCORE_TABLES
    if tables is None:  # built whole, then published: another thread sees none or all of them
        texts = [repr(k / 1000) for k in range(1001)]
        ends = [""] * (len(SCORE_KEYS) - 1) + [_SCORE_PIECES[-1]]
        tables = _SCORE_TABLES = [np.array([before + t + end for t in texts], dtype=object)
                                  for before, end in zip(_SCORE_PIECES, ends)]
    return [table[k].tolist() for table, k in zip(tables, K.T)]


class JsonlWriter(Writer):
    def write(self, record: dict) -> None:
        self.fh.write(json.dumps(record, ensure_ascii=False) + "\n")


class TableWriter(Writer):
    """Column widths depend on every row, so the table is written at the end."""

    def __init__(self, target, width: int | None):
        super().__init__(target)
        self.width = width
        self.records: list[dict] = []

    def write(self, record: dict) -> None:
        self.records.append(record)

    def close(self) -> None:
        if not self.fh.closed:
            self.fh.write(table_text(self.records, self.width))
        super().close()


class XlsxWriter:
    """A write-only workbook: rows go to disk as they come (openpyxl keeps little in memory)."""

    WIDTHS = {"document": 26, "la_name": 20, "section": 30, "text": 100, "themes": 24, "scores": 40}

    def __init__(self, path: Path):
        from openpyxl import Workbook
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
        from openpyxl.utils import get_column_letter

        self.path = path
        self.illegal = ILLEGAL_CHARACTERS_RE
        self.columns = list(FINDING_COLUMNS)
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet("findings")
        self.ws.freeze_panes = "A2"
        for i, c in enumerate(self.columns, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = self.WIDTHS.get(c, 14)
        self.ws.append(self.columns)
        self.saved = False

    def add(self, result: DocumentResult) -> None:
        self.add_rows(result.rows)

    def add_rows(self, rows: Iterable[FindingRow]) -> None:
        for cells in map(row_cells, rows):
            # Control characters from PDFs are not allowed in Excel cells.
            values = [self.illegal.sub("", v) if isinstance(v, str) else v for v in cells]
            # openpyxl stores a string starting "=" as a formula, one such as "#N/A" as an error: not these
            self.ws.append([text_cell(self.ws, v) if isinstance(v, str) and v[:1] in ("=", "#") else v
                            for v in values])

    def close(self) -> None:
        """Save the workbook (made in memory, then written in one go: a full disk is one OSError naming the
        file, with no zip archive left open to fail again when it is collected)."""
        if not self.saved:
            self.saved = True
            save_workbook(self.wb, self.path)

    def abort(self) -> None:
        """Close the sheet's row stream and drop openpyxl's temporary file, writing no workbook."""
        if self.saved:
            return
        self.saved = True
        try:
            self.ws.close()
            writer = getattr(self.ws, "_writer", None)
            if writer is not None:
                writer.cleanup()
        except Exception:  # openpyxl also removes its temporary files at exit
            pass


FORMATS = ("table", "csv", "jsonl", "xlsx")


AnyWriter = Union["CsvWriter", "JsonlWriter", "TableWriter", "XlsxWriter"]


def open_writer(fmt: str, target: io.StringIO | Path, width: int | None = None) -> AnyWriter:
    """A writer of findings in ``fmt`` (one of :data:`FORMATS`) to a text buffer or a file path.

    xlsx needs a path. ``width`` (table only) fits each finding on a line of that many characters.
    """
    if fmt == "xlsx":
        if not isinstance(target, Path):
            raise ValueError("xlsx output needs a file path")
        return XlsxWriter(target)
    if fmt == "csv":
        return CsvWriter(target)
    if fmt == "jsonl":
        return JsonlWriter(target)
    if fmt == "table":
        return TableWriter(target, width)
    raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


MIN_TEXT = 30


def table_text(records: list[dict], width: int | None) -> str:
    """A readable table: document, authority, judgement, polarity, themes and text.

    With a ``width`` (the terminal's) the text is cut to fit one line per finding.
    """
    rows = [
        [
            r["document"] or "",
            r["la_name"] or "unknown",
            r["judgement"] or "",
            r["polarity"] or "",
            ", ".join(r["themes"] or []) or "-",
            " ".join((r["text"] or "").split()),
        ]
        for r in records
    ]
    header = ["document", "authority", "judgement", "polarity", "themes", "text"]
    caps = [24, 20, 22, 8, 30]
    widths = [
        min(cap, max([len(header[i])] + [len(row[i]) for row in rows])) for i, cap in enumerate(caps)
    ]
    if width is not None:
        # Narrow the widest columns (down to their floors) until the text has MIN_TEXT characters.
        floors = [min(w, f) for w, f in zip(widths, (16, 10, 10, 8, 10))]
        while sum(widths) + 2 * len(widths) + MIN_TEXT > width:
            room = [w - f for w, f in zip(widths, floors)]
            if max(room) <= 0:
                break
            widest = max((w for w, r in zip(widths, room) if r > 0))
            widths[[i for i, (w, r) in enumerate(zip(widths, room)) if r > 0 and w == widest][0]] -= 1
    lines = []
    for row in [header] + rows:
        cells = [_cut(row[i], widths[i]).ljust(widths[i]) for i in range(5)]
        line = "  ".join(cells) + "  "
        text = row[5]
        if width is not None:
            text = _cut(text, max(MIN_TEXT, width - len(line)))
        lines.append(line + text)
    return "\n".join(lines) + "\n"
