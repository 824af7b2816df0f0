"""Options that choose documents (--region, --authority, --since, --until, --kind, --neighbours), declared once
for every command that takes them, and reading the chosen documents' findings into tables.

Typer and the standard library only at module level: ``ofsted-nlp --help`` stays fast.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ofsted_nlp.cli import common

if TYPE_CHECKING:  # pragma: no cover
    from ofsted_nlp.views.selection import Selection

RegionOpt = Annotated[Optional[str], typer.Option(
    "--region", metavar="NAME|CODE", show_default=False,
    help="Only documents on authorities of this region: its name (London) or ONS code (E12000007).")]
AuthorityOpt = Annotated[Optional[list[str]], typer.Option(
    "--authority", "-a", metavar="NAME|CODE", show_default=False,
    help="Only documents on this authority: name (Hackney), DfE number (204) or ONS code (E09000012). Repeatable.")]
SinceOpt = Annotated[Optional[str], typer.Option(
    "--since", metavar="YYYY-MM-DD", show_default=False, help="Only documents dated on or after this day.")]
UntilOpt = Annotated[Optional[str], typer.Option(
    "--until", metavar="YYYY-MM-DD", show_default=False, help="Only documents dated on or before this day.")]
KindOpt = Annotated[Optional[list[str]], typer.Option(
    "--kind", metavar="KIND", show_default=False,
    help="Only documents of this kind: ucra, focused_visit, monitoring_visit, sif, ilacs, other (finer: "
         "--framework). Repeatable.")]
GradeOpt = Annotated[Optional[list[str]], typer.Option(
    "--grade", metavar="GRADE", show_default=False,
    help="Only inspection reports graded this for overall effectiveness: outstanding, good, requires_improvement, "
         "inadequate. Repeatable.")]
FrameworkOpt = Annotated[Optional[list[str]], typer.Option(
    "--framework", metavar="FRAMEWORK", show_default=False,
    help="Only documents of this inspection framework, finer than --kind: ucra, sif, ilacs_standard, ilacs_short, "
         "focused_visit, monitoring_visit, jtai, other (like for like: ILACS standard against ILACS standard). "
         "Repeatable.")]
SortOpt = Annotated[Optional[str], typer.Option(
    "--sort", metavar="COLUMN", show_default=False,
    help="Sort the rows by this column, largest first (e.g. caseloads_per_100 with --value negative).")]
TopOpt = Annotated[Optional[int], typer.Option(
    "--top", metavar="N", min=1, show_default=False, help="Keep only the first N rows (after --sort).")]
NeighboursOpt = Annotated[Optional[str], typer.Option(
    "--neighbours", metavar="NAME|CODE", show_default=False,
    help="Only this authority and its ten DfE statistical neighbours, the authority first.")]


def _day(value: str | None, option: str) -> datetime.date | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise common.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)", param_hint=f"'{option}'") from None


def selection_from(region: str | None = None, authority: list[str] | None = None, since: str | None = None,
                   until: str | None = None, kind: list[str] | None = None, neighbours: str | None = None,
                   grade: list[str] | None = None, framework: list[str] | None = None):
    """A checked ``Selection``; a bad region, authority, kind, framework or date is a usage error naming the
    option."""
    from ofsted_nlp.views.selection import (
        Selection,
        resolve_authority,
        resolve_framework,
        resolve_grade,
        resolve_kind,
        resolve_region,
    )

    checks = [("--region", resolve_region, [region] if region else []),
              ("--authority", resolve_authority, authority or []),
              ("--kind", resolve_kind, kind or []),
              ("--neighbours", resolve_authority, [neighbours] if neighbours else []),
              ("--grade", resolve_grade, grade or []),
              ("--framework", resolve_framework, framework or [])]
    for option, resolve, values in checks:
        for v in values:
            try:
                resolve(v)
            except ValueError as exc:
                raise common.BadParameter(str(exc), param_hint=f"'{option}'") from None
    lo, hi = _day(since, "--since"), _day(until, "--until")
    if lo and hi and lo > hi:
        raise common.BadParameter(f"--since {lo} is after --until {hi}", param_hint="'--since'")
    return Selection(region=region, authorities=tuple(authority or ()), since=lo, until=hi,
                     kinds=tuple(kind or ()), neighbours_of=neighbours, grades=tuple(grade or ()),
                     frameworks=tuple(framework or ()))


def national_selection(selection):
    """``selection`` without its places (region, authorities, neighbours): what England's rows total; None
    where the selection names no place (England is then the documents selected)."""
    import dataclasses

    if not (selection.region or selection.authorities or selection.neighbours_of):
        return None
    return dataclasses.replace(selection, region=None, authorities=(), neighbours_of=None)


def documents_frame(batch):
    """The documents read as a DataFrame: DOCUMENT_COLUMNS, then the framework and grade columns where the
    reader gives them."""
    import pandas as pd

    from ofsted_nlp.batch.pipeline import DOCUMENT_COLUMNS
    from ofsted_nlp.schema import GRADE_COLUMNS

    extra = [c for c in ("framework", *GRADE_COLUMNS)
             if c not in DOCUMENT_COLUMNS and any(c in d for d in batch.documents)]
    return pd.DataFrame(batch.documents, columns=DOCUMENT_COLUMNS + extra)


TABLE_SUFFIXES = (".csv", ".xlsx")


def checked(output: Path | None, suffixes: tuple[str, ...], what: str, selection_args: tuple, jobs: int
            ) -> tuple[Selection, int]:
    """The checks every reading view makes before it reads, in this order: --output's extension (one of
    ``suffixes``, else "use a {what} file"), the selection (``selection_from(*selection_args)``), --jobs, and
    that --output can be written. Returns (selection, jobs)."""
    if output is not None and output.suffix.lower() not in suffixes:
        raise common.BadParameter(f"{output.name!r}: use a {what} file", param_hint="'--output'")
    selection = selection_from(*selection_args)
    jobs = common.check_jobs(jobs)
    if output is not None:
        common.check_output(output)
    return selection, jobs


def write_table(table, output: Path | None, text: Callable[[], str], sheet: str) -> None:
    """A view's table: as text on stdout without --output, else whole to FILE.csv or FILE.xlsx, its cells
    never formulas (:mod:`ofsted_nlp.io.cells`)."""
    if output is None:
        common.write_stdout(text(), binary=False)
        return
    from ofsted_nlp.io.cells import write_csv, write_xlsx

    with common.output_file(output) as tmp:
        if output.suffix.lower() == ".csv":
            write_csv(table, tmp)
        else:
            write_xlsx(table, tmp, sheet)


def read_findings(paths: list[Path], model: Path | None, jobs: int, selection, exclude: Path | None = None,
                  trust_pickle: bool = False):
    """(findings, documents, batch): every finding of the selected documents as a DataFrame (FINDING_COLUMNS),
    the selected documents read (one row each, with their number of findings; the authority's first with
    --neighbours) and the batch (exit code).

    Documents the selection leaves out are dropped as they come. Raises
    CommandError (exit 2) when no document read is selected.
    """
    rows: list = []
    sink = SelectingSink(selection, lambda result: rows.extend(result.rows))
    batch = common.run_batch(paths, model, jobs, sink, exclude=[exclude] if exclude is not None else [],
                              trust_pickle=trust_pickle, selection=selection)
    sink.close()
    import pandas as pd

    from ofsted_nlp.batch.rows import FINDING_COLUMNS

    findings = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    findings["themes"] = [list(t) for t in findings["themes"]]
    documents = select_documents(documents_frame(batch), selection)
    return findings, documents, batch


def select_documents(documents, selection):
    """The rows of the documents-read table that ``selection`` keeps (the authority first with --neighbours);
    CommandError (exit 2) when none is left."""
    if selection.empty:
        return documents
    kept = selection.apply(documents)
    if kept.empty:
        raise common.CommandError(f"no document read matches the selection ({selection.describe()})")
    if selection.neighbours_of:
        from ofsted_nlp.views.selection import neighbour_group

        group = neighbour_group(selection.neighbours_of)
        present = {str(c) for c in kept["old_la_code"]}
        absent = [a.la_name for a in group[1:] if a.old_la_code not in present]
        if absent:
            have = len(group) - 1 - len(absent)
            common.warn_line(f"{have} of {group[0].la_name}'s {len(group) - 1} statistical neighbours "
                              f"{'has' if have == 1 else 'have'} documents among those read; none for "
                              f"{', '.join(absent)}")
    return kept.reset_index(drop=True)


class SelectingSink:
    """Passes on to ``sink`` only the documents ``selection`` keeps, as they come; with --neighbours they are
    held back and passed on at ``close()``, the authority's first, then each neighbour's, closest first."""

    def __init__(self, selection, sink) -> None:
        self.selection, self.sink = selection, sink
        self.held: list[tuple[int, int, object]] = []
        self.kept = 0

    def __call__(self, result) -> None:
        rank = self.selection.rank(result.document or {})
        if rank is None:
            return
        self.kept += 1
        if self.selection.neighbours_of:
            self.held.append((rank, len(self.held), result))
        else:
            self.sink(result)

    def close(self) -> None:
        for _, _, result in sorted(self.held, key=lambda h: (h[0], h[1])):
            self.sink(result)
        self.held = []
        if not self.selection.empty and not self.kept:
            raise common.CommandError(f"no document read matches the selection ({self.selection.describe()})")
