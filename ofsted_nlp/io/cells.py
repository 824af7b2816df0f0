"""Cells a spreadsheet shows as text, never runs as a formula (CSV or formula injection).

A document's sentences and file names are the attacker's text: a cell that
begins ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is taken by
Excel, LibreOffice and Google Sheets for a formula when a CSV is opened, and
openpyxl writes a string that begins ``=`` into a workbook as a formula
(``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``). As OWASP's CSV-injection
guidance says:

* CSV: such a text cell is written with a single quote in front
  (:data:`CSV_PREFIX`), which spreadsheets read as "this is text" and do not
  show; the rest of the cell is unchanged. Only text is prefixed: a number
  (``-0.5`` in a numeric column) stays a number.
* xlsx: every string is stored as a string (:func:`text_only`), never as a
  formula or an error value, so it is unchanged, prefix-free.

JSON lines and the readable table are not spreadsheets and are written as
they are.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ofsted_nlp.io.atomic import named

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["CSV_PREFIX", "FORMULA_STARTS", "csv_text", "csv_cell", "csv_frame", "write_csv", "text_only",
           "text_cell", "write_xlsx", "save_workbook", "write_bytes"]

FORMULA_STARTS = frozenset("=+-@\t\r")  # a cell starting so is read as a formula (OWASP)
CSV_PREFIX = "'"


def csv_text(value: str) -> str:
    """A text cell for a CSV: ``value`` with :data:`CSV_PREFIX` in front where it starts like a formula."""
    return CSV_PREFIX + value if value[:1] in FORMULA_STARTS else value


def csv_cell(value: Any) -> Any:
    """A CSV cell: text as :func:`csv_text`, anything else (numbers, None) unchanged."""
    return csv_text(value) if isinstance(value, str) else value


def csv_frame(frame: pd.DataFrame, numbers: Iterable[str] = ()) -> pd.DataFrame:
    """``frame`` with every text cell as :func:`csv_text` (a copy where any changes; else ``frame`` itself).

    Columns of numbers are left alone, and so are those named in ``numbers``: columns that hold numbers as
    text (an EES indicator's ``-0.50``).
    """
    keep = set(numbers)
    changed = {}
    for name in frame.columns:
        if name in keep or frame[name].dtype.kind in "biufcmM":
            continue
        values = frame[name].tolist()
        safe = [csv_cell(v) for v in values]
        if safe != values:
            changed[name] = safe
    if not changed:
        return frame
    out = frame.copy()
    for name, safe in changed.items():
        out[name] = safe
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, numbers: Sequence[str] = ()) -> None:
    """``frame`` as a UTF-8 CSV (no index, "\\n" line ends), text cells as :func:`csv_frame` makes them; an
    OSError names ``path``."""
    with named(path):
        csv_frame(frame, numbers).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def text_cell(sheet: Any, value: str) -> Any:
    """A write-only worksheet's cell holding ``value`` as a string, whatever it begins with."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"
    return cell


def text_only(sheet: Any) -> int:
    """Store every string of an (in-memory) openpyxl worksheet as a string: openpyxl takes one that starts
    with ``=`` for a formula and one such as ``#N/A`` for an error value. Returns the cells changed."""
    changed = 0
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type in ("f", "e") and isinstance(cell.value, str):
                cell.data_type = "s"
                changed += 1
    return changed


def write_xlsx(frame: pd.DataFrame, path: str | Path, sheet: str, freeze_header: bool = False) -> None:
    """``frame`` as a workbook of one sheet (no index) whose strings are strings (:func:`text_only`).

    Made in memory, then written in one go (:func:`write_bytes`): a full disk is one OSError naming ``path``,
    with no half-written zip archive left to fail again when it is collected."""
    import pandas as pd

    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet)
        ws = writer.sheets[sheet]
        if freeze_header:
            ws.freeze_panes = "A2"
        text_only(ws)
    write_bytes(path, buffer.getbuffer())


def save_workbook(book: Any, path: str | Path) -> None:
    """Save an openpyxl workbook as :func:`write_xlsx` writes one: made in memory, then written in one go."""
    buffer = io.BytesIO()
    book.save(buffer)
    write_bytes(path, buffer.getbuffer())


def write_bytes(path: str | Path, data: bytes | memoryview) -> None:
    """Write ``data`` to ``path``; an OSError (a full disk) names ``path``."""
    with named(path), open(path, "wb") as fh:
        fh.write(data)
