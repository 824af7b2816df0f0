"""``ofsted-nlp report``: one self-contained HTML file an analyst can email."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import _common, _select


def report(
    paths: _common.PathsArg,
    output: Annotated[Path, typer.Option(
        "--output", "-o", dir_okay=False, show_default=False, help="The report, FILE.html (required).")],
    region: _select.RegionOpt = None,
    authority: _select.AuthorityOpt = None,
    since: _select.SinceOpt = None,
    until: _select.UntilOpt = None,
    kind: _select.KindOpt = None,
    grade: _select.GradeOpt = None,
    neighbours: _select.NeighboursOpt = None,
    model: _common.ModelOpt = None,
    jobs: _common.JobsOpt = 1,
    trust_pickle: _common.TrustPickleOpt = False,
) -> None:
    """Write one HTML report: heatmap (click a cell for its sentences), grades, documents over time, the model.

    Everything is inline (no network needed to open it). With --neighbours
    the authority comes first and is highlighted.
    """
    selection, jobs = _select.checked(output, (".html", ".htm"), ".html",
                                      (region, authority, since, until, kind, neighbours, grade), jobs)
    with _common.command_errors():
        findings, documents, batch = _select.read_findings(paths, model, jobs, selection, exclude=output,
                                                          trust_pickle=trust_pickle)
        from ..report import build_report, load_card, write_report

        html = build_report(findings, documents, card=load_card(model), selection=selection.describe(),
                            highlight=neighbours)
        try:
            write_report(html, output)
        except OSError as exc:
            raise _common.CommandError(f"{output}: cannot be written ({exc.strerror or exc}); nothing written") from None
        if _common.stderr_is_tty():
            _common.say(f"report on {len(documents)} documents written to {output}")
    raise typer.Exit(batch.exit_code)
