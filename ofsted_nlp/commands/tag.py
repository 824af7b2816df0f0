"""``ofsted-nlp tag``: one record per finding, tagged with themes and polarity."""

from __future__ import annotations

import csv
import io
import json
import math
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..labels import SCORE_KEYS
from . import _common


class Format(str, Enum):
    table = "table"
    csv = "csv"
    jsonl = "jsonl"
    xlsx = "xlsx"


EXTENSIONS = {".csv": Format.csv, ".jsonl": Format.jsonl, ".ndjson": Format.jsonl, ".xlsx": Format.xlsx,
              ".txt": Format.table}


def tag(
    paths: _common.PathsArg,
    format: Annotated[Optional[Format], typer.Option(
        "--format", "-f", case_sensitive=False, show_default=False,
        help="Output format [default: from --output's extension, else table].")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", dir_okay=False, show_default=False,
        help="Write to this file (replaced only by a complete output) instead of the terminal.")] = None,
    model: _common.ModelOpt = None,
    jobs: _common.JobsOpt = 1,
) -> None:
    """Tag every finding of the documents with themes and polarity.

    One record per finding: document, authority (name, codes, region), date,
    kind, section, judgement, index, text, themes, polarity and scores. Bad
    files are reported on stderr and skipped. Exit 0 if every file was read, 1
    if some could not be, 2 on a usage error or when nothing could be read.
    """
    fmt = resolve_format(format, output)
    jobs = _common.check_jobs(jobs)
    if output is not None:
        _common.check_output(output)
    with _common.command_errors():
        if output is None:
            # Kept in memory and written at the end, so that a failed run prints nothing.
            buffer = io.StringIO()
            writer = open_writer(fmt, buffer, width=_terminal_width() if fmt is Format.table else None)
            batch = _common.run_batch(paths, model, jobs, writer.add)
            writer.close()
            _common.write_stdout(buffer.getvalue(), binary=fmt is not Format.table)
        else:
            # Streamed to a temporary file beside the output, which replaces it only when complete.
            with _common.output_file(output) as tmp:
                writer = open_writer(fmt, tmp, width=None)
                try:
                    batch = _common.run_batch(paths, model, jobs, writer.add, exclude=output)
                except BaseException:
                    writer.abort()
                    raise
                writer.close()
            if _common.stderr_is_tty():
                _common.say(f"{batch.findings} findings from {len(batch.documents)} documents written to {output}")
    raise typer.Exit(batch.exit_code)


def resolve_format(fmt: Format | None, output: Path | None) -> Format:
    inferred = EXTENSIONS.get(output.suffix.lower()) if output is not None else None
    if fmt is None:
        if output is None:
            return Format.table
        if inferred is None:
            raise _common.BadParameter(
                f"cannot tell the format from {output.name!r}; use .csv, .jsonl, .xlsx or .txt, or give --format",
                param_hint="'--output'")
        return inferred
    if inferred is not None and inferred is not fmt:
        raise _common.BadParameter(f"--format {fmt.value} does not match the extension of {output.name!r}",
                                 param_hint="'--format'")
    if fmt is Format.xlsx and output is None:
        raise _common.UsageError("xlsx output needs --output FILE.xlsx (it cannot go to the terminal)")
    return fmt


# --------------------------------------------------------------------------- formats


def _columns() -> list[str]:
    from ..tables import FINDING_COLUMNS

    return list(FINDING_COLUMNS)


def _csv_row(row: tuple) -> list:
    """A row of tables.finding_rows as cells for CSV or Excel: themes joined by ';', scores as JSON text,
    missing values empty."""
    *plain, themes, polarity, scores = row
    cells = ["" if v is None else v for v in plain]
    cells += [";".join(themes), "" if polarity is None else polarity, _score_values_text(scores)]
    return cells


def _score_values_text(values: tuple) -> str:
    """``json.dumps`` of the scores by name, given their values in SCORE_KEYS order; a fixed template
    when they are finite floats (the repr of one is how JSON writes it), which is faster."""
    if set(map(type, values)) == {float} and math.isfinite(sum(values)):
        return _SCORES_TEMPLATE % values
    return json.dumps(dict(zip(SCORE_KEYS, values)))


_SCORES_TEMPLATE = "{" + ", ".join(f"{json.dumps(k)}: %r" for k in SCORE_KEYS) + "}"


class _Writer:
    """Receives each document's records in input order; ``close`` finishes the output."""

    def __init__(self, target: io.StringIO | Path):
        self.owned = not isinstance(target, io.StringIO)
        self.fh = open(target, "w", encoding="utf-8", newline="") if self.owned else target

    def add(self, result) -> None:
        from ..tables import record_of

        for row in result.records:
            self.write(record_of(row))

    def write(self, record: dict) -> None:
        raise NotImplementedError

    def close(self) -> None:
        if self.owned and not self.fh.closed:
            self.fh.close()

    def abort(self) -> None:
        """Stop without finishing the output (the caller discards the file)."""
        _Writer.close(self)


class CsvWriter(_Writer):
    def __init__(self, target):
        super().__init__(target)
        self.columns = _columns()
        self.writer = csv.writer(self.fh, lineterminator="\n")
        self.writer.writerow(self.columns)

    def add(self, result) -> None:
        self.writer.writerows(map(_csv_row, result.records))


class JsonlWriter(_Writer):
    def write(self, record: dict) -> None:
        self.fh.write(json.dumps(record, ensure_ascii=False) + "\n")


class TableWriter(_Writer):
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
        self.columns = _columns()
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet("findings")
        self.ws.freeze_panes = "A2"
        for i, c in enumerate(self.columns, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = self.WIDTHS.get(c, 14)
        self.ws.append(self.columns)
        self.saved = False

    def add(self, result) -> None:
        for cells in map(_csv_row, result.records):
            # Control characters from PDFs are not allowed in Excel cells.
            self.ws.append([self.illegal.sub("", v) if isinstance(v, str) else v for v in cells])

    def close(self) -> None:
        if not self.saved:
            self.saved = True
            self.wb.save(self.path)

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


def open_writer(fmt: Format, target: io.StringIO | Path, width: int | None):
    if fmt is Format.xlsx:
        return XlsxWriter(target)
    if fmt is Format.csv:
        return CsvWriter(target)
    if fmt is Format.jsonl:
        return JsonlWriter(target)
    return TableWriter(target, width)


def _terminal_width() -> int:
    import shutil

    return max(60, shutil.get_terminal_size((120, 24)).columns)


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
