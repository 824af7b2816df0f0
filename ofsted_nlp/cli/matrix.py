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
    framework: selecting.FrameworkOpt = None,
    neighbours: selecting.NeighboursOpt = None,
    sort: selecting.SortOpt = None,
    top: selecting.TopOpt = None,
    format: Annotated[Optional[Format], typer.Option(
        "--format", "-f", case_sensitive=False, show_default=False,
        help="csv or xlsx [default: from --output's extension]; ees: the DfE explore education statistics tidy "
             "CSV (per year, authority, region and England, by theme) with FILE.meta.csv beside it; England's "
             "rows total every document read in the selection's dates and kinds, whatever its region or "
             "authorities.")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", dir_okay=False, show_default=False,
        help="Write the matrix to FILE.csv or FILE.xlsx [default: print it].")] = None,
    plot: Annotated[Optional[Path], typer.Option(
        "--plot", "-p", dir_okay=False, show_default=False,
        help="Draw a heatmap of the --value to FILE.png or FILE.html (interactive, counts on hover); cells from "
             "fewer than 3 findings are hatched.")] = None,
    replace_meta: Annotated[bool, typer.Option(
        "--replace-meta", help="With --format ees: replace FILE.meta.csv even if ofsted-nlp did not write it "
                               "(by default such a file is kept and nothing is written).")] = False,
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
    each theme, <theme>_findings counts the findings behind the cell; counts
    (--value count, negative) have a rate beside them, per 100 of the row's
    findings (<theme>_per_100), as documents differ in size. With
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
    selection = selecting.selection_from(region, authority, since, until, kind, neighbours, grade, framework)
    if neighbours and sort:
        raise common.UsageError("--sort reorders the rows: --neighbours keeps the authority, the median and its "
                                "neighbours in their order")
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
        from ofsted_nlp.views.ees import MetaFileExists, check_meta_file, meta_path

        common.check_output(meta_path(output), "--output")
        if not replace_meta:
            try:
                check_meta_file(meta_path(output))
            except MetaFileExists as exc:
                raise common.BadParameter(f"{exc}; give --replace-meta to replace it, or another --output",
                                           param_hint="'--output'") from None
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
            everything = findings
            documents = selecting.select_documents(read_all, selection)
            findings = findings[findings["document"].isin(set(documents["document"]))]
            table = theme_matrix(findings, value=value.value, by=by.value, documents_read=documents)
            if neighbours:
                table = neighbours_first(table, neighbours)
            if sort or top:
                from ofsted_nlp.views.matrix import top_rows

                try:
                    table = top_rows(table, sort, top)
                except ValueError as exc:
                    raise common.CommandError(f"--sort: {exc}") from None
            if plot is not None:
                from ofsted_nlp.io.atomic import named
                from ofsted_nlp.views import plots

                draw = plots.heatmap_png if plot.suffix.lower() == ".png" else plots.heatmap_html
                with named(where[plot]):
                    draw(table, where[plot], title=selection.describe(len(documents)), highlight=neighbours)
            if output is not None and format is Format.ees:
                from ofsted_nlp.views.ees import ees_tables, meta_path, write_ees_files
                from ofsted_nlp.views.selection import counted

                national = None
                whole = selecting.national_selection(selection)
                if whole is not None:  # England's rows from all England read, in the same years and kinds
                    england = selecting.select_documents(read_all, whole)
                    national = (everything[everything["document"].isin(set(england["document"]))], england)
                data, meta = ees_tables(findings, documents, national=national)
                write_ees_files(data, meta, where[output], where[meta_path(output)])
                if data.attrs.get("left_out"):
                    common.warn_line(f"{counted(data.attrs['left_out'], 'document')} with no authority or date "
                                      f"{'is' if data.attrs['left_out'] == 1 else 'are'} not in {output.name}")
            elif output is not None:
                from ofsted_nlp.io.cells import write_csv, write_xlsx

                if output.suffix.lower() == ".csv":
                    write_csv(table, where[output])
                else:
                    write_xlsx(table, where[output], "matrix", freeze_header=True)
        if output is None:
            common.write_stdout(matrix_text(table), binary=False)
        if common.stderr_is_tty():
            written = [str(p) for p in (output, plot) if p is not None]
            if written:
                from ofsted_nlp.views.selection import counted

                common.say(f"{counted(len(table), 'row')} from {counted(len(batch.documents), 'document')} written "
                           f"to {', '.join(written)}")
    raise typer.Exit(batch.exit_code)


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
            if str(c).endswith("_per_100"):  # a rate, not a balance: no sign, no mark
                shown[c] = ["" if v != v else f"{v:.2f}" for v in shown[c]]
                continue
            shown[c] = [("" if v != v else f"{v:+.2f}" + ("*" if f else "")) for v, f in zip(shown[c], few)]
    shown = shown.drop(columns=[f"{t}_findings" for t in THEMES if f"{t}_findings" in shown.columns])
    # grade columns only where some row has a grade (letters and visits have none)
    blank = [c for c in shown.columns if c not in THEMES and shown[c].dtype.kind not in "fiub"
             and all(v in ("", None) for v in shown[c])]  # the six themes always stand, empty or not
    shown = shown.drop(columns=blank)
    if "label" in shown.columns:  # "Hackney · 2019-03-04 · focused visit" says what the key columns say
        shown = shown.drop(columns=[c for c in ("date", "kind", "year", "new_la_code", "old_la_code", "la_name",
                                                "region_name") if c in shown.columns])
        shown["label"] = [x.ljust(max(map(len, shown["label"]), default=0)) for x in shown["label"]]
    text = shown.to_string(index=False) + "\n"
    if marked:
        text += f"* from fewer than {SMALL} findings: too few to read\n"
    return text
