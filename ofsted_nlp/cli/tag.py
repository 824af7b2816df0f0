"""``ofsted-nlp tag``: one record per finding, tagged with themes and polarity."""

from __future__ import annotations

import io
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ofsted_nlp.cli import common, selecting


class Format(str, Enum):
    table = "table"
    csv = "csv"
    jsonl = "jsonl"
    xlsx = "xlsx"


EXTENSIONS = {".csv": Format.csv, ".jsonl": Format.jsonl, ".ndjson": Format.jsonl, ".xlsx": Format.xlsx,
              ".txt": Format.table}


def tag(
    paths: common.PathsArg,
    format: Annotated[Optional[Format], typer.Option(
        "--format", "-f", case_sensitive=False, show_default=False,
        help="Output format [default: from --output's extension, else table].")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", dir_okay=False, show_default=False,
        help="Write to this file (replaced only by a complete output) instead of the terminal.")] = None,
    region: selecting.RegionOpt = None,
    authority: selecting.AuthorityOpt = None,
    since: selecting.SinceOpt = None,
    until: selecting.UntilOpt = None,
    kind: selecting.KindOpt = None,
    grade: selecting.GradeOpt = None,
    framework: selecting.FrameworkOpt = None,
    neighbours: selecting.NeighboursOpt = None,
    store: Annotated[Optional[Path], typer.Option(
        "--store", dir_okay=False, show_default=False,
        help="Read and tag the documents into this store (FILE.duckdb, made if needed): only those new or "
             "changed since the last run are read. Views then take FILE.duckdb in place of the documents.")]
    = None,
    model: common.ModelOpt = None,
    jobs: common.JobsOpt = 1,
    trust_pickle: common.TrustPickleOpt = False,
    max_pages: common.MaxPagesOpt = common.DEFAULT_LIMITS.pages,
    max_chars: common.MaxCharsOpt = common.DEFAULT_LIMITS.chars,
    max_file_mb: common.MaxFileMbOpt = common.DEFAULT_LIMITS.file_mb,
    max_inflated_mb: common.MaxInflatedMbOpt = common.DEFAULT_LIMITS.inflated_mb,
) -> None:
    """Tag every finding of the documents with themes and polarity.

    One record per finding: document, authority (name, codes, region), date,
    kind, section, judgement, index, text, themes, polarity and scores. Bad
    files are reported on stderr and skipped. --region, --authority, --since,
    --until, --kind and --neighbours keep only some documents (with
    --neighbours the authority's first). Exit 0 if every file was read, 1
    if some could not be, 2 on a usage error or when nothing could be read.
    """
    if store is not None:
        if output is not None or format is not None:
            raise common.UsageError("--store writes the store only: export from it with "
                                    "'ofsted-nlp tag FILE.duckdb --format csv'")
        if any(v for v in (region, authority, since, until, kind, grade, neighbours)):
            raise common.UsageError("--store keeps every document read; choose documents when reading from the "
                                    "store ('ofsted-nlp tag FILE.duckdb --region ...')")
        if not common.store_path_ok(store):
            raise common.BadParameter(f"{store.name!r}: a store is a .duckdb file", param_hint="'--store'")
        jobs = common.check_jobs(jobs)
        limits = common.limits(max_pages, max_chars, max_file_mb, max_inflated_mb)
        with common.command_errors():
            code = common.tag_into_store(paths, store, model, jobs, trust_pickle=trust_pickle, limits=limits)
        raise typer.Exit(code)
    fmt = resolve_format(format, output)
    selection = selecting.selection_from(region, authority, since, until, kind, neighbours, grade, framework)
    jobs = common.check_jobs(jobs)
    limits = common.limits(max_pages, max_chars, max_file_mb, max_inflated_mb)
    if output is not None:
        common.check_output(output)
    with common.command_errors():
        from ofsted_nlp.batch.writers import open_writer

        if output is None:
            # Kept in memory and written at the end, so that a failed run prints nothing.
            buffer = io.StringIO()
            writer = open_writer(fmt.value, buffer, width=_terminal_width() if fmt is Format.table else None)
            sink = selecting.SelectingSink(selection, writer.add)
            batch = common.run_batch(paths, model, jobs, sink, trust_pickle=trust_pickle, limits=limits,
                                      selection=selection)
            sink.close()
            writer.close()
            common.write_stdout(buffer.getvalue(), binary=fmt is not Format.table)
        else:
            # Streamed to a temporary file beside the output, which replaces it only when complete.
            with common.output_file(output) as tmp:
                writer = open_writer(fmt.value, tmp)
                try:
                    sink = selecting.SelectingSink(selection, writer.add)
                    batch = common.run_batch(paths, model, jobs, sink, exclude=[output], trust_pickle=trust_pickle,
                                              limits=limits, selection=selection)
                    sink.close()
                except BaseException:
                    writer.abort()
                    raise
                writer.close()
            if common.stderr_is_tty():
                from ofsted_nlp.views.selection import counted

                common.say(f"{counted(batch.findings, 'finding')} from {counted(len(batch.documents), 'document')} "
                           f"written to {output}")
    raise typer.Exit(batch.exit_code)


def resolve_format(fmt: Format | None, output: Path | None) -> Format:
    inferred = EXTENSIONS.get(output.suffix.lower()) if output is not None else None
    if fmt is None:
        if output is None:
            return Format.table
        if inferred is None:
            raise common.BadParameter(
                f"cannot tell the format from {output.name!r}; use .csv, .jsonl, .xlsx or .txt, or give --format",
                param_hint="'--output'")
        return inferred
    if output is not None and inferred is not None and inferred is not fmt:
        raise common.BadParameter(f"--format {fmt.value} does not match the extension of {output.name!r}",
                                 param_hint="'--format'")
    if fmt is Format.xlsx and output is None:
        raise common.UsageError("xlsx output needs --output FILE.xlsx (it cannot go to the terminal)")
    return fmt


# --------------------------------------------------------------------------- formats


def _terminal_width() -> int:
    import shutil

    return max(60, shutil.get_terminal_size((120, 24)).columns)
