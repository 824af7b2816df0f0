"""The analyst's commands on the seed letters (copied to temp folders), with values checked against the
``tag`` rows they are built from: change, evidence, and the selection options of tag and matrix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import SEEDS
from typer.testing import CliRunner

from ofsted_nlp.cli import app
from ofsted_nlp.schema import THEMES

HACKNEY_2011 = "000_d08d9c219d03248a"
HACKNEY_2019 = "003_08c661ef1fa93ef4"


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def letters(tmp_path) -> Path:
    folder = tmp_path / "letters"
    folder.mkdir()
    for p in sorted(SEEDS.glob("*.txt")):
        shutil.copy(p, folder / p.name)
    return folder


@pytest.fixture(scope="module")
def tagged(shipped_model) -> list[dict]:
    """Every finding of the five seeds, as ``tag --format jsonl`` prints them."""
    result = run("tag", SEEDS, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def _net(rows: list[dict], theme: str) -> float | None:
    pos = sum(1 for r in rows if theme in r["themes"] and r["polarity"] == "positive")
    neg = sum(1 for r in rows if theme in r["themes"] and r["polarity"] == "negative")
    return None if pos + neg == 0 else (pos - neg) / (pos + neg)


def test_change_for_hackney_2011_vs_2019(letters, tagged, tmp_path):
    out = tmp_path / "change.csv"
    result = run("change", letters, "--authority", "Hackney", "--output", out)
    assert result.exit_code == 0, result.output
    c = pd.read_csv(out, dtype={"old_la_code": str}).set_index("theme")
    assert c.index.tolist() == list(THEMES) and set(c["la_name"]) == {"Hackney"}
    assert set(c["earliest_document"]) == {HACKNEY_2011} and set(c["latest_document"]) == {HACKNEY_2019}
    assert set(c["earliest_kind"]) == {"ucra"} and set(c["latest_kind"]) == {"focused_visit"}
    early = [r for r in tagged if r["document"] == HACKNEY_2011]
    late = [r for r in tagged if r["document"] == HACKNEY_2019]
    for t in THEMES:
        a, b = _net(early, t), _net(late, t)
        assert (a is None and pd.isna(c.loc[t, "earliest_net"])) or c.loc[t, "earliest_net"] == pytest.approx(a)
        assert (b is None and pd.isna(c.loc[t, "latest_net"])) or c.loc[t, "latest_net"] == pytest.approx(b)
        if a is not None and b is not None:
            assert c.loc[t, "change"] == pytest.approx(b - a)
    printed = run("change", letters, "--authority", "E09000012")
    assert printed.exit_code == 0
    assert (f"unannounced inspection 2011-06-09 ({len(early)} findings) -> "
            f"focused visit 2019-03-04 ({len(late)} findings)") in printed.stdout
    # with --since, one document is left: nothing to compare
    since = run("change", letters, "--authority", "Hackney", "--since", "2012-01-01")
    assert "only one document: focused visit 2019-03-04" in since.stdout


def test_evidence_rows_equal_the_tag_rows_behind_the_cell(letters, tagged, tmp_path):
    out = tmp_path / "evidence.csv"
    result = run("evidence", letters, "--authority", "204", "--theme", "timeliness", "--polarity", "negative",
                 "-o", out)
    assert result.exit_code == 0, result.output
    e = pd.read_csv(out, keep_default_na=False)
    behind = [r for r in tagged if r["la_name"] == "Hackney" and "timeliness" in r["themes"]
              and r["polarity"] == "negative"]
    assert len(behind) >= 3
    assert e["text"].tolist() == [r["text"] for r in behind]
    assert e["document"].tolist() == [r["document"] for r in behind]
    assert e["section"].tolist() == [r["section"] for r in behind]
    assert e["date"].tolist() == [r["date"] for r in behind]
    # default polarity: what the matrix cell counts (positive and negative)
    cell = run("evidence", letters, "--authority", "Hackney", "--theme", "timeliness")
    both = [r for r in tagged if r["la_name"] == "Hackney" and "timeliness" in r["themes"]
            and r["polarity"] in ("positive", "negative")]
    assert cell.stdout.splitlines()[0].startswith(f"{len(both)} findings")
    m = run("matrix", letters, "--value", "count", "-o", tmp_path / "m.csv")
    counts = pd.read_csv(tmp_path / "m.csv").set_index("la_name")
    assert counts.loc["Hackney", "timeliness_positive"] + counts.loc["Hackney", "timeliness_negative"] == len(both)
    assert m.exit_code == 0
    year = run("evidence", letters, "--authority", "Hackney", "--theme", "timeliness", "--year", "2019",
               "-o", tmp_path / "y.csv")
    assert year.exit_code == 0
    assert set(pd.read_csv(tmp_path / "y.csv")["document"]) == {HACKNEY_2019}


def test_evidence_kind_and_region_filters(letters, tagged, tmp_path):
    out = tmp_path / "ucra.csv"
    assert run("evidence", letters, "--kind", "ucra", "--region", "London", "--polarity", "all", "-o", out).exit_code == 0
    e = pd.read_csv(out)
    assert set(e["document"]) == {r["document"] for r in tagged if r["kind"] == "ucra"}
    assert len(e) == sum(1 for r in tagged if r["kind"] == "ucra")


@pytest.mark.parametrize("args, words", [
    (["--region", "Atlantis"], "no region"),
    (["--authority", "Hack"], "no authority"),
    (["--since", "9 June 2011"], "not a date"),
    (["--since", "2020-01-01", "--until", "2019-01-01"], "after --until"),
    (["--kind", "audit"], "no kind"),
    (["--theme", "workload"], "no theme"),
])
def test_bad_selection_is_a_usage_error(letters, args, words):
    result = run("evidence", letters, *args)
    assert result.exit_code == 2
    assert words in result.output and "Traceback" not in result.output


def test_a_selection_that_matches_nothing(letters, shipped_model):
    result = run("change", letters, "--region", "North East")
    assert result.exit_code == 2
    assert "no document read matches the selection (North East)" in result.output
