"""``ofsted-nlp evidence``: the sentences behind a matrix cell (document, date, section, sentence)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ofsted_nlp.cli import common, selecting


class Polarity(str, Enum):
    positive = "positive"
    negative = "negative"
    neutral = "neutral"
    all = "all"


THEME_HELP = "supervision, thresholds, timeliness, caseloads, out_of_hours or caf"


def evidence(
    paths: common.PathsArg,
    authority: selecting.AuthorityOpt = None,
    theme: Annotated[Optional[str], typer.Option(
        "--theme", "-t", show_default=False, help=f"Only findings on this theme: {THEME_HELP}.")] = None,
    polarity: Annotated[Optional[Polarity], typer.Option(
        "--polarity", case_sensitive=False, show_default=False,
        help="positive, negative, neutral or all [default: positive and negative, the findings a cell counts].")]
    = None,
    document: Annotated[Optional[str], typer.Option(
        "--document", show_default=False, help="Only this document (its id, the file name without extension).")]
    = None,
    year: Annotated[Optional[int], typer.Option(
        "--year", show_default=False, help="Only documents dated in this year (an authority-year cell).")] = None,
    region: selecting.RegionOpt = None,
    since: selecting.SinceOpt = None,
    until: selecting.UntilOpt = None,
    kind: selecting.KindOpt = None,
    grade: selecting.GradeOpt = None,
    sort: Annotated[Optional[str], typer.Option(
        "--sort", metavar="SCORE", show_default=False,
        help="Order the sentences by the model's score for this theme or polarity, highest first (e.g. negative).")]
    = None,
    top: selecting.TopOpt = None,
    framework: selecting.FrameworkOpt = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", dir_okay=False, show_default=False,
        help="Write the sentences to FILE.csv or FILE.xlsx [default: print them].")] = None,
    model: common.ModelOpt = None,
    jobs: common.JobsOpt = 1,
    trust_pickle: common.TrustPickleOpt = False,
) -> None:
    """Print the sentences behind a cell of the matrix: document, date, section, polarity and sentence.

    By default the positive and negative findings, the ones a cell's net
    counts, ordered by authority, date and place in the document.
    """
    from ofsted_nlp.schema import SCORE_KEYS, THEMES

    if theme is not None and theme not in THEMES:
        raise common.BadParameter(f"no theme {theme!r}; use one of: {THEME_HELP}", param_hint="'--theme'")
    if sort is not None and sort not in SCORE_KEYS:
        raise common.BadParameter(f"no score {sort!r}; use one of: {', '.join(SCORE_KEYS)}", param_hint="'--sort'")
    selection, jobs = selecting.checked(output, selecting.TABLE_SUFFIXES, ".csv or .xlsx",
                                      (region, authority, since, until, kind, None, grade, framework), jobs)
    with common.command_errors():
        findings, _, batch = selecting.read_findings(paths, model, jobs, selection, exclude=output,
                                                          trust_pickle=trust_pickle)
        from ofsted_nlp.views.evidence import evidence as sentences_behind

        rows = sentences_behind(findings, theme=theme, polarity=None if polarity is None else polarity.value,
                                document=document, year=year, sort=sort, top=top)
        selecting.write_table(rows, output, lambda: evidence_text(rows, findings_read=len(findings)), "evidence")
    raise typer.Exit(batch.exit_code)


def evidence_text(rows, findings_read: int) -> str:
    """One block per sentence: "document · date · kind · section", then the polarity and the sentence."""
    from ofsted_nlp.views.matrix import document_label

    lines = [f"{len(rows)} finding{'s' if len(rows) != 1 else ''} (of {findings_read} read)"]
    for r in rows.itertuples():
        lines.append("")
        code = f" ({r.old_la_code}, {r.new_la_code})" if r.old_la_code else ""
        label = document_label(r.la_name, r.date, r.kind).replace(" · ", f"{code} · ", 1)
        lines.append(f"{label} · {r.document} · {r.section or '-'}")
        lines.append(f"  [{r.polarity}; {r.themes.replace(';', ', ') or 'no theme'}] {' '.join(str(r.text).split())}")
    return "\n".join(lines) + "\n"
