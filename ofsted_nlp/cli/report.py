"""``ofsted-nlp report``: one self-contained HTML file an analyst can email."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ofsted_nlp.cli import common, selecting


def report(
    paths: common.PathsArg,
    output: Annotated[Path, typer.Option(
        "--output", "-o", dir_okay=False, show_default=False, help="The report, FILE.html (required).")],
    region: selecting.RegionOpt = None,
    authority: selecting.AuthorityOpt = None,
    since: selecting.SinceOpt = None,
    until: selecting.UntilOpt = None,
    kind: selecting.KindOpt = None,
    grade: selecting.GradeOpt = None,
    framework: selecting.FrameworkOpt = None,
    neighbours: selecting.NeighboursOpt = None,
    model: common.ModelOpt = None,
    jobs: common.JobsOpt = 1,
    trust_pickle: common.TrustPickleOpt = False,
) -> None:
    """Write one HTML report: heatmap (click a cell for its sentences), grades, documents over time, the model.

    Everything is inline (no network needed to open it). With --neighbours
    the authority comes first and is highlighted.
    """
    selection, jobs = selecting.checked(output, (".html", ".htm"), ".html",
                                      (region, authority, since, until, kind, neighbours, grade, framework), jobs)
    with common.command_errors():
        findings, documents, batch = selecting.read_findings(paths, model, jobs, selection, exclude=output,
                                                          trust_pickle=trust_pickle)
        from ofsted_nlp.views.report import CardError, build_report, load_card, write_report

        try:
            html = build_report(findings, documents, card=load_card(model or batch.model_path), selection=selection.describe(),
                                highlight=neighbours, neighbours_of=neighbours)
        except CardError as exc:
            from ofsted_nlp.errors import printable
            from ofsted_nlp.tagging.model import DEFAULT_MODEL, card_path

            raise common.CommandError(f"{printable(card_path(model or batch.model_path or DEFAULT_MODEL))}: {exc}; "
                                      "nothing written") from None
        try:
            write_report(html, output)
        except OSError as exc:
            raise common.CommandError(f"{output}: cannot be written ({exc.strerror or exc}); nothing written") from None
        if common.stderr_is_tty():
            from ofsted_nlp.views.selection import counted

            common.say(f"report on {counted(len(documents), 'document')} written to {output}")
    raise typer.Exit(batch.exit_code)
