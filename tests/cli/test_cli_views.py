"""The analyst's commands on the seed letters (copied to temp folders), with values checked against the
``tag`` rows they are built from: change, evidence, and the selection options of tag and matrix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import SEEDS, report_payload, run_cli, seed_folder

from ofsted_nlp.schema import THEMES

HACKNEY_2011 = "000_d08d9c219d03248a"
HACKNEY_2019 = "003_08c661ef1fa93ef4"


run = run_cli


@pytest.fixture
def letters(tmp_path) -> Path:
    return seed_folder(tmp_path / "letters")


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


# --------------------------------------------------------------------------- matrix and tag options

LOOKUP = SEEDS.parents[1].parent / "shared" / "reference" / "la_lookup.csv"


def test_matrix_neighbours_of_hackney(letters, tagged, tmp_path):
    out = tmp_path / "near.csv"
    result = run("matrix", letters, "--neighbours", "E09000012", "-o", out)
    assert result.exit_code == 0, result.output
    assert "2 of Hackney's 10 statistical neighbours have documents among those read" in result.output
    m = pd.read_csv(out, dtype={"old_la_code": str}, keep_default_na=False, na_values=[""])
    # Hounslow (a seed) is not one of Hackney's neighbours; Haringey is closer than Tower Hamlets
    assert m["la_name"].tolist() == ["Hackney", "statistical neighbours (median)", "Haringey", "Tower Hamlets"]
    if LOOKUP.exists():
        import csv

        with open(LOOKUP, newline="", encoding="utf-8-sig") as f:
            hackney = next(r for r in csv.DictReader(f) if r["la_code"] == "204")
        order = [c.strip() for c in hackney["stat_neighbours"].split(",")]
        assert [order.index(c) for c in m["old_la_code"].iloc[2:]] == sorted(order.index(c) for c in ("309", "211"))
    for t in THEMES:
        near = [_net([r for r in tagged if r["la_name"] == name], t) for name in ("Haringey", "Tower Hamlets")]
        near = [v for v in near if v is not None]
        expected = float(pd.Series(near).median()) if near else None
        got = m.loc[1, t]
        assert (expected is None and pd.isna(got)) or got == pytest.approx(expected)
    png = tmp_path / "near.png"
    assert run("matrix", letters, "--neighbours", "Hackney", "--plot", png).exit_code == 0
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_matrix_selection_options(letters, tagged, tmp_path):
    out = tmp_path / "m.csv"
    assert run("matrix", letters, "--region", "London", "--since", "2011-01-01", "--until", "2011-12-31",
               "-o", out).exit_code == 0
    m = pd.read_csv(out)
    assert dict(zip(m["la_name"], m["documents"])) == {"Hackney": 1, "Hounslow": 1}
    assert run("matrix", letters, "--kind", "focused_visit", "-o", out).exit_code == 0
    assert pd.read_csv(out)["la_name"].tolist() == ["Hackney"]
    assert run("matrix", letters, "--authority", "Haringey", "--authority", "213", "-o", out).exit_code == 0
    assert pd.read_csv(out)["la_name"].tolist() == ["Haringey"]  # Westminster (213) has no seed letter
    assert run("matrix", letters, "--by", "authority-year", "-o", out).exit_code == 0
    years = pd.read_csv(out)
    assert years[years["la_name"] == "Hackney"]["label"].tolist() == ["Hackney · 2011", "Hackney · 2019"]
    supervision_2019 = _net([r for r in tagged if r["document"] == HACKNEY_2019], "supervision")
    assert years.set_index("label").loc["Hackney · 2019", "supervision"] == pytest.approx(supervision_2019)


def test_matrix_plot_follows_value(letters, tmp_path):
    net, neg = tmp_path / "net.png", tmp_path / "neg.png"
    assert run("matrix", letters, "--plot", net).exit_code == 0
    assert run("matrix", letters, "--value", "negative", "--plot", neg).exit_code == 0
    assert net.read_bytes() != neg.read_bytes()
    html = tmp_path / "neg.html"
    assert run("matrix", letters, "--value", "negative", "--region", "London", "--plot", html).exit_code == 0
    text = html.read_text(encoding="utf-8")
    assert "number of negative findings" in text and "London, 5 documents" in text


def test_matrix_ees(letters, tagged, tmp_path):
    from ofsted_nlp.views.ees import check_ees

    out = tmp_path / "ofsted_findings.csv"
    result = run("matrix", letters, "--format", "ees", "-o", out)
    assert result.exit_code == 0, result.output
    data = pd.read_csv(out, dtype=str, keep_default_na=False)
    meta = pd.read_csv(tmp_path / "ofsted_findings.meta.csv", dtype=str, keep_default_na=False)
    assert check_ees(data, meta) == []
    row = data[(data["geographic_level"] == "Local authority") & (data["la_name"] == "Hackney")
               & (data["time_period"] == "2019") & (data["theme"] == "Timeliness")].iloc[0]
    late = [r for r in tagged if r["document"] == HACKNEY_2019 and "timeliness" in r["themes"]]
    assert int(row["negative_findings"]) == sum(r["polarity"] == "negative" for r in late)
    assert int(row["positive_findings"]) == sum(r["polarity"] == "positive" for r in late)
    assert run("matrix", letters, "--format", "ees").exit_code == 2  # needs --output FILE.csv
    assert run("matrix", letters, "--format", "ees", "-o", tmp_path / "x.xlsx").exit_code == 2
    assert run("matrix", letters, "--format", "ees", "-o", tmp_path / "Ofsted Findings.csv").exit_code == 2


def test_tag_selection_options(letters, tagged, tmp_path):
    out = tmp_path / "t.csv"
    assert run("tag", letters, "--authority", "Hackney", "-o", out).exit_code == 0
    t = pd.read_csv(out)
    assert set(t["la_name"]) == {"Hackney"} and len(t) == sum(r["la_name"] == "Hackney" for r in tagged)
    assert run("tag", letters, "--neighbours", "Hackney", "-o", out).exit_code == 0
    assert pd.read_csv(out)["la_name"].drop_duplicates().tolist() == ["Hackney", "Haringey", "Tower Hamlets"]
    assert run("tag", letters, "--since", "2019-01-01", "-o", out).exit_code == 0
    assert set(pd.read_csv(out)["document"]) == {HACKNEY_2019}
    before = out.read_bytes()
    none = run("tag", letters, "--region", "North East", "-o", out)
    assert none.exit_code == 2 and "no document read matches the selection" in none.output
    assert out.read_bytes() == before  # the earlier output is kept whole


def test_grade_selection_on_a_graded_report(corpus, shipped_model, tmp_path):
    """A real ILACS report: --grade keeps it for its own overall grade only, and the report shows its grades."""
    from ofsted_nlp.reading.letter import read_letter

    path = corpus / "reports" / "manchester_2022-05-19.pdf"
    if not path.exists():
        pytest.skip(f"{path.name} is not in the corpus")
    grades = read_letter(path).grade_columns()
    assert grades["overall_effectiveness"] == "good"
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(path, folder / path.name)
    out = tmp_path / "m.csv"
    assert run("matrix", folder, "--grade", "good", "-o", out).exit_code == 0
    assert pd.read_csv(out)["la_name"].tolist() == ["Manchester"]
    other = run("matrix", folder, "--grade", "inadequate")
    assert other.exit_code == 2 and "graded inadequate overall" in other.output
    html = tmp_path / "r.html"
    assert run("report", folder, "-o", html).exit_code == 0

    data = report_payload(html.read_text(encoding="utf-8"))
    assert data["grades_read"] is True
    assert data["documents"][0]["grades"] == {c: v.replace("_", " ") for c, v in grades.items()}
