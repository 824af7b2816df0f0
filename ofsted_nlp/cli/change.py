"""``ofsted-nlp change``: how each authority's themes changed between its earliest and latest document."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from ofsted_nlp.cli import common, selecting


class Compare(str, Enum):
    ends = "ends"
    steps = "steps"
    like = "like"


def change(
    paths: common.PathsArg,
    region: selecting.RegionOpt = None,
    authority: selecting.AuthorityOpt = None,
    since: selecting.SinceOpt = None,
    until: selecting.UntilOpt = None,
    kind: selecting.KindOpt = None,
    grade: selecting.GradeOpt = None,
    framework: selecting.FrameworkOpt = None,
    neighbours: selecting.NeighboursOpt = None,
    compare: Annotated[Compare, typer.Option(
        "--compare", case_sensitive=False,
        help="ends: the earliest and latest document; steps: every inspection in date order, each against the "
             "one before; like: each against the one before of its own framework (ILACS against ILACS).")]
    = Compare.ends,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", dir_okay=False, show_default=False,
        help="Write the table (one row per authority and theme) to FILE.csv or FILE.xlsx [default: print it].")]
    = None,
    model: common.ModelOpt = None,
    jobs: common.JobsOpt = 1,
    trust_pickle: common.TrustPickleOpt = False,
) -> None:
    """Per authority, each theme's net in its earliest and latest document of the selection, and the change;
    with --compare steps, every inspection against the one before it, or like, against the one before it of
    its own framework (--framework chooses the frameworks).

    The kinds compared are named with their number of findings (a focused
    visit holds about 70, a full report 250-800); a value from fewer than 3
    findings is marked "*".
    """
    selection, jobs = selecting.checked(output, selecting.TABLE_SUFFIXES, ".csv or .xlsx",
                                      (region, authority, since, until, kind, neighbours, grade, framework), jobs)
    with common.command_errors():
        findings, documents, batch = selecting.read_findings(paths, model, jobs, selection, exclude=output,
                                                          trust_pickle=trust_pickle)
        from ofsted_nlp.views.timeline import change_table

        table = change_table(findings, documents, compare=compare.value)
        selecting.write_table(table, output, lambda: change_text(table), "change")
    raise typer.Exit(batch.exit_code)


def _value(net: float, n: int, small: int) -> str:
    if net != net:
        return "-"
    return f"{net:+.2f}{'*' if n < small else ''} ({n})"


def change_text(table) -> str:
    """One block per authority: the documents compared, then a line per theme."""
    from ofsted_nlp.views.selection import counted

    small = table.attrs.get("small", 3)
    out = []
    keys = ["la_name", "old_la_code"] + (["step"] if "step" in table.columns else [])
    for _, group in table.groupby(keys, sort=False):
        first = group.iloc[0]
        step = f", step {first['step']}" if "step" in table.columns else ""
        out.append(f"{first['la_name']} ({first['old_la_code']}, {counted(int(first['documents']), 'document')}"
                   f"{step}): {first['compared']}")
        out.append(f"  {'theme':<13} {'earliest':>13} {'latest':>13} {'change':>7}")
        for _, r in group.iterrows():
            ch = "" if r["change"] != r["change"] else f"{r['change']:+.2f}"
            out.append(f"  {r['theme']:<13} {_value(r['earliest_net'], r['earliest_findings'], small):>13} "
                       f"{_value(r['latest_net'], r['latest_findings'], small):>13} {ch:>7}")
        out.append("")
    if not out:
        return "no dated document of a known authority in the selection\n"
    out.append(f"net (findings); * fewer than {small} findings: too few to read")
    return "\n".join(out) + "\n"
