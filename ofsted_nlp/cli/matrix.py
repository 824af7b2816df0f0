"""``ofsted-nlp matrix``: authorities (or documents) by themes, as a table and a heatmap."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ofsted_nlp.cli import common, selecting


class Value(str, Enum):
    net = "net"
    count = "count"  # type: ignore[assignment]  # a member named 'count' shadows str.count
    negative = "negative"


class By(str, Enum):
    authority = "authority"
    authority_year = "authority-year"
    document = "document"


class Format(str, Enum):
    csv = "csv"
    xlsx = "xlsx"
    ees = "ees"


TABLE_EXTENSIONS = (".csv", ".xlsx")
PLOT_EXTENSIONS = (".png", ".html")


def matrix(
    paths: common.PathsArg,
    value: Annotated[Value, typer.Option(
        "--value", "-v", case_sensitive=False,
        help="net: (positive - negative) / (positive + negative) per theme; count: positive and negative "
             "counts; negative: negative counts.")] = Value.net,
    by: Annotated[By, typer.Option(
        "--by", "-b", case_sensitive=False,
        help="One row per authority, per authority and calendar year, or per document (by authority then date, "
             "labelled \"Hackney · 2019-03-04 · focused visit\").")] = By.authority,
    region: selecting.RegionOpt = None,
    authority: selecting.AuthorityOpt = None,
    since: selecting.SinceOpt = None,
    until: selecting.UntilOpt = None,
    kind: selecting.KindOpt = None,
    grade: selecting.GradeOpt = None,
    neighbours: selecting.NeighboursOpt = None,
    format: Annotated[Optional[Format], typer.Option(
        "--format", "-f", case_sensitive=False, show_default=False,
        help="csv or xlsx [default: from --output's extension]; ees: the DfE explore education statistics tidy "
             "CSV (per year, authority, region and England, by theme) with FILE.meta.csv beside it.")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", dir_okay=False, show_default=False,
        help="Write the matrix to FILE.csv or FILE.xlsx [default: print it].")] = None,
    plot: Annotated[Optional[Path], typer.Option(
        "--plot", "-p", dir_okay=False, show_default=False,
        help="Draw a heatmap of the --value to FILE.png or FILE.html (interactive, counts on hover); cells from "
             "fewer than 3 findings are hatched.")] = None,
    model: common.ModelOpt = None,
    jobs: common.JobsOpt = 1,
    trust_pickle: common.TrustPickleOpt = False,
    max_pages: common.MaxPagesOpt = common.DEFAULT_LIMITS.pages,
    max_chars: common.MaxCharsOpt = common.DEFAULT_LIMITS.chars,
    max_file_mb: common.MaxFileMbOpt = common.DEFAULT_LIMITS.file_mb,
    max_inflated_mb: common.MaxInflatedMbOpt = common.DEFAULT_LIMITS.inflated_mb,
) -> None:
    """Compare authorities (or documents) theme by theme.

    Rows are keyed by new_la_code, old_la_code, la_name and region_name, with
    the number of documents read; documents whose authority was not found go
    under "unknown" with empty codes. Neutral findings do not count. Beside
    each theme, <theme>_findings counts the findings behind the cell. With
    --neighbours the authority comes first, then a "statistical neighbours
    (median)" row, then its neighbours. Exit codes as for tag.
    """
    if format is Format.ees:
        if output is None or output.suffix.lower() != ".csv":
            raise common.BadParameter("--format ees writes FILE.csv and FILE.meta.csv: give --output FILE.csv",
                                       param_hint="'--format'")
        if output.name != output.name.lower() or " " in output.name:
            raise common.BadParameter(f"{output.name!r}: EES file names are lower case without spaces",
                                       param_hint="'--output'")
    elif output is not None and output.suffix.lower() not in TABLE_EXTENSIONS:
        raise common.BadParameter(f"{output.name!r}: use a .csv or .xlsx file", param_hint="'--output'")
    elif format is not None and output is not None and output.suffix.lower() != f".{format.value}":
        raise common.BadParameter(f"--format {format.value} does not match the extension of {output.name!r}",
                                   param_hint="'--format'")
    selection = selecting.selection_from(region, authority, since, until, kind, neighbours, grade)
    if plot is not None and plot.suffix.lower() not in PLOT_EXTENSIONS:
        raise common.BadParameter(f"{plot.name!r}: use a .png or .html file", param_hint="'--plot'")
    if output is not None and plot is not None and output.resolve() == plot.resolve():
        raise common.UsageError("--output and --plot name the same file")
    jobs = common.check_jobs(jobs)
    limits = common.limits(max_pages, max_chars, max_file_mb, max_inflated_mb)
    for option, path in (("--output", output), ("--plot", plot)):
        if path is not None:
            common.check_output(path, option)
    if format is Format.ees and output is not None:
        from ofsted_nlp.views.ees import meta_path

        common.check_output(meta_path(output), "--output")
    with common.command_errors():
        # Both outputs are checked and given their temporary files before any work, and written together:
        # both or neither.
        files = [p for p in (plot, output) if p is not None]
        if output is not None and format is Format.ees:
            from ofsted_nlp.views.ees import meta_path

            files.append(meta_path(output))
        with common.output_files(files) as tmps:
            where = dict(zip(files, tmps))
            rows: list[tuple] = []  # (document number, themes, polarity): all a matrix needs of a finding
            read = [0]

            def keep(result) -> None:
                rows.extend((read[0], themes, polarity) for themes, polarity in result.rows)
                read[0] += 1

            batch = common.run_batch(paths, model, jobs, keep, desc="reading", compact=True,
                                      trust_pickle=trust_pickle, limits=limits, selection=selection)

            from ofsted_nlp.views.matrix import neighbours_first, theme_matrix

            read_all = selecting.documents_frame(batch)
            findings = read_all.iloc[[r[0] for r in rows]].reset_index(drop=True)
            findings["themes"] = [r[1] for r in rows]
            findings["polarity"] = [r[2] for r in rows]
            documents = selecting.select_documents(read_all, selection)
            findings = findings[findings["document"].isin(set(documents["document"]))]
            table = theme_matrix(findings, value=value.value, by=by.value, documents_read=documents)
            if neighbours:
                table = neighbours_first(table, neighbours)
            if plot is not None:
                from ofsted_nlp.views import plots

                draw = plots.heatmap_png if plot.suffix.lower() == ".png" else plots.heatmap_html
                draw(table, where[plot], title=selection.describe(len(documents)), highlight=neighbours)
            if output is not None and format is Format.ees:
                from ofsted_nlp.views.ees import ees_tables, meta_path

                data, meta = ees_tables(findings, documents)
                data.to_csv(where[output], index=False, lineterminator="\n", encoding="utf-8")
                meta.to_csv(where[meta_path(output)], index=False, lineterminator="\n", encoding="utf-8")
                if data.attrs.get("left_out"):
                    common.warn_line(f"{data.attrs['left_out']} documents with no authority or date are not in "
                                      f"{output.name}")
            elif output is not None:
                if output.suffix.lower() == ".csv":
                    table.to_csv(where[output], index=False, lineterminator="\n")
                else:
                    _write_xlsx(table, where[output])
        if output is None:
            common.write_stdout(matrix_text(table), binary=False)
        if common.stderr_is_tty():
            written = [str(p) for p in (output, plot) if p is not None]
            if written:
                common.say(f"{len(table)} rows from {len(batch.documents)} documents written to {', '.join(written)}")
    raise typer.Exit(batch.exit_code)


def _write_xlsx(table, path: Path) -> None:
    import pandas as pd

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        table.to_excel(writer, index=False, sheet_name="matrix")
        sheet = writer.sheets["matrix"]
        sheet.freeze_panes = "A2"


def matrix_text(table) -> str:
    """The matrix as a readable table (net values to two places, empty where none; "*" marks a value from
    fewer than 3 findings; the findings columns are folded into the marks)."""
    from ofsted_nlp.schema import THEMES
    from ofsted_nlp.views.matrix import SMALL

    shown = table.copy()
    small = {t: shown.get(f"{t}_findings") for t in THEMES}
    marked = False
    for c in shown.columns:
        if shown[c].dtype.kind == "f":
            n = small.get(c)
            few = [n is not None and 0 < n.iloc[i] < SMALL for i in range(len(shown))]
            marked = marked or any(few)
            shown[c] = [("" if v != v else f"{v:+.2f}" + ("*" if f else "")) for v, f in zip(shown[c], few)]
    shown = shown.drop(columns=[f"{t}_findings" for t in THEMES if f"{t}_findings" in shown.columns])
    # grade columns only where some row has a grade (letters and visits have none)
    blank = [c for c in shown.columns if shown[c].dtype.kind not in "fiub" and all(v in ("", None) for v in shown[c])]
    shown = shown.drop(columns=blank)
    if "label" in shown.columns:  # "Hackney · 2019-03-04 · focused visit" says what the key columns say
        shown = shown.drop(columns=[c for c in ("date", "kind", "year", "new_la_code", "old_la_code", "la_name",
                                                "region_name") if c in shown.columns])
        shown["label"] = [x.ljust(max(map(len, shown["label"]), default=0)) for x in shown["label"]]
    text = shown.to_string(index=False) + "\n"
    if marked:
        text += f"* from fewer than {SMALL} findings: too few to read\n"
    return text
