"""``ofsted-nlp matrix``: authorities (or documents) by themes, as a table and a heatmap."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import _common


class Value(str, Enum):
    net = "net"
    count = "count"
    negative = "negative"


class By(str, Enum):
    authority = "authority"
    document = "document"


TABLE_EXTENSIONS = (".csv", ".xlsx")
PLOT_EXTENSIONS = (".png", ".html")


def matrix(
    paths: _common.PathsArg,
    value: Annotated[Value, typer.Option(
        "--value", "-v", case_sensitive=False,
        help="net: (positive - negative) / (positive + negative) per theme; count: positive and negative "
             "counts; negative: negative counts.")] = Value.net,
    by: Annotated[By, typer.Option("--by", "-b", case_sensitive=False, help="One row per authority or per document.")]
    = By.authority,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", dir_okay=False, show_default=False,
        help="Write the matrix to FILE.csv or FILE.xlsx [default: print it].")] = None,
    plot: Annotated[Optional[Path], typer.Option(
        "--plot", "-p", dir_okay=False, show_default=False,
        help="Draw a heatmap of the net balance to FILE.png or FILE.html (interactive, counts on hover).")] = None,
    model: _common.ModelOpt = None,
    jobs: _common.JobsOpt = 1,
    trust_pickle: _common.TrustPickleOpt = False,
) -> None:
    """Compare authorities (or documents) theme by theme.

    Rows are keyed by new_la_code, old_la_code, la_name and region_name, with
    the number of documents read; documents whose authority was not found go
    under "unknown" with empty codes. Neutral findings do not count. Exit codes
    as for tag.
    """
    if output is not None and output.suffix.lower() not in TABLE_EXTENSIONS:
        raise _common.BadParameter(f"{output.name!r}: use a .csv or .xlsx file", param_hint="'--output'")
    if plot is not None and plot.suffix.lower() not in PLOT_EXTENSIONS:
        raise _common.BadParameter(f"{plot.name!r}: use a .png or .html file", param_hint="'--plot'")
    if output is not None and plot is not None and output.resolve() == plot.resolve():
        raise _common.UsageError("--output and --plot name the same file")
    jobs = _common.check_jobs(jobs)
    for option, path in (("--output", output), ("--plot", plot)):
        if path is not None:
            _common.check_output(path, option)
    with _common.command_errors():
        rows: list[tuple] = []  # (document number, themes, polarity): all a matrix needs of a finding
        read = [0]

        def keep(result) -> None:
            rows.extend((read[0], themes, polarity) for themes, polarity in result.rows)
            read[0] += 1

        batch = _common.run_batch(paths, model, jobs, keep, desc="reading", compact=True, trust_pickle=trust_pickle)
        import pandas as pd

        from ..matrix import theme_matrix

        from ..pipeline import DOCUMENT_COLUMNS

        documents = pd.DataFrame(batch.documents, columns=DOCUMENT_COLUMNS)
        findings = documents.iloc[[r[0] for r in rows]].reset_index(drop=True)
        findings["themes"] = [r[1] for r in rows]
        findings["polarity"] = [r[2] for r in rows]
        table = theme_matrix(findings, value=value.value, by=by.value, documents_read=documents)
        counts = theme_matrix(findings, value="count", by=by.value, documents_read=documents)
        # Everything is computed before anything is written; each file is written whole.
        if plot is not None:
            from .. import plots

            draw = plots.heatmap_png if plot.suffix.lower() == ".png" else plots.heatmap_html
            try:
                draw(counts, plot)
            except OSError as exc:
                raise _common.CommandError(f"{plot}: cannot be written ({exc.strerror or exc}); nothing written") from None
        if output is None:
            _common.write_stdout(matrix_text(table), binary=False)
        else:
            with _common.output_file(output) as tmp:
                if output.suffix.lower() == ".csv":
                    table.to_csv(tmp, index=False, lineterminator="\n")
                else:
                    _write_xlsx(table, tmp)
        if _common.stderr_is_tty():
            written = [str(p) for p in (output, plot) if p is not None]
            if written:
                _common.say(f"{len(table)} rows from {len(batch.documents)} documents written to {', '.join(written)}")
    raise typer.Exit(batch.exit_code)


def _write_xlsx(table, path: Path) -> None:
    import pandas as pd

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        table.to_excel(writer, index=False, sheet_name="matrix")
        sheet = writer.sheets["matrix"]
        sheet.freeze_panes = "A2"


def matrix_text(table) -> str:
    """The matrix as a readable table (net values to two places, empty where none)."""
    shown = table.copy()
    for c in shown.columns:
        if shown[c].dtype.kind == "f":
            shown[c] = [("" if v != v else f"{v:+.2f}") for v in shown[c]]
    return shown.to_string(index=False) + "\n"
