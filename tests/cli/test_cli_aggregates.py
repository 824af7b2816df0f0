"""Aggregates that say what they are, on the command line: six theme columns always, counts in words,
authority codes beside the evidence."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import SEEDS, run_cli, seed_folder

from ofsted_nlp.cli.matrix import matrix_text
from ofsted_nlp.schema import THEMES
from ofsted_nlp.views.matrix import theme_matrix

HARINGEY = "001_adbc2cca00cdda1a"
HACKNEY_2011 = "000_d08d9c219d03248a"


run = run_cli


@pytest.fixture
def letters(tmp_path) -> Path:
    return seed_folder(tmp_path / "letters")


def test_the_printed_matrix_has_all_six_themes_even_empty_ones():
    findings = pd.DataFrame({
        "document": ["d1", "d1"], "la_name": ["Hackney"] * 2, "old_la_code": ["204"] * 2,
        "new_la_code": ["E09000012"] * 2, "region_name": ["London"] * 2, "date": ["2019-03-04"] * 2,
        "kind": ["focused_visit"] * 2, "themes": [["caseloads"], ["caseloads"]],
        "polarity": ["negative", "negative"]})
    for by in ("authority", "document"):
        header = matrix_text(theme_matrix(findings, by=by)).splitlines()[0].split()
        assert [c for c in header if c in THEMES] == list(THEMES)


def test_one_document_left_out_of_ees_is_said_in_the_singular(tmp_path, shipped_model):
    (tmp_path / "in").mkdir()
    text = (SEEDS / f"{HARINGEY}.txt").read_text(encoding="utf-8").replace("Haringey", "Nowhereshire")
    (tmp_path / "in" / "nowhere.txt").write_text(text, encoding="utf-8")
    shutil.copy(SEEDS / f"{HACKNEY_2011}.txt", tmp_path / "in")
    result = run("matrix", tmp_path / "in", "--format", "ees", "-o", tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    assert "warning: 1 document with no authority or date is not in out.csv" in result.stderr


def test_evidence_names_the_authoritys_codes(letters, tmp_path, shipped_model):
    out = tmp_path / "evidence.csv"
    assert run("evidence", letters, "--theme", "supervision", "-o", out).exit_code == 0
    rows = pd.read_csv(out, dtype=str, keep_default_na=False)
    codes = dict(zip(rows["la_name"], zip(rows["old_la_code"], rows["new_la_code"])))
    assert codes["Hackney"] == ("204", "E09000012") and codes["Haringey"] == ("309", "E09000014")
    printed = run("evidence", letters, "--authority", "Haringey", "--theme", "supervision")
    assert printed.exit_code == 0
    assert f"Haringey (309, E09000014) · 2010-09-16 · unannounced inspection · {HARINGEY}" in printed.stdout


def test_ees_england_rows_are_not_the_selected_authoritys(letters, tmp_path, shipped_model):
    from ofsted_nlp.views.ees import check_ees, meta_path

    out = tmp_path / "hackney.csv"
    result = run("matrix", letters, "--authority", "Hackney", "--format", "ees", "-o", out)
    assert result.exit_code == 0, result.output
    data = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert check_ees(data, pd.read_csv(meta_path(out), dtype=str, keep_default_na=False)) == []
    total = data[data["theme"] == "Total"]
    assert set(total.loc[total["geographic_level"] == "Local authority", "la_name"]) == {"Hackney"}
    nat = total[total["geographic_level"] == "National"].set_index("time_period")["documents"]
    # 2011: Hackney's letter and Hounslow's, both read; the years are Hackney's (2011, 2019), not 2010's
    assert nat.to_dict() == {"2011": "2", "2019": "1"}


def test_framework_selects_like_for_like(letters, tmp_path, shipped_model):
    out = tmp_path / "visits.csv"
    result = run("matrix", letters, "--framework", "focused_visit", "--by", "document", "-o", out)
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out, dtype=str)["document"].tolist() == ["003_08c661ef1fa93ef4"]
    assert run("evidence", letters, "--framework", "ucra", "--authority", "Hackney", "--polarity", "all",
               "-o", tmp_path / "e.csv").exit_code == 0
    assert set(pd.read_csv(tmp_path / "e.csv", dtype=str)["document"]) == {HACKNEY_2011}
    none = run("matrix", letters, "--framework", "ilacs_short")
    assert none.exit_code == 2 and "no document read matches the selection (ilacs short)" in none.stderr
    bad = run("change", letters, "--framework", "ilacs")
    assert bad.exit_code == 2 and "no framework 'ilacs'" in bad.stderr and "Traceback" not in bad.output


def test_tag_names_where_each_date_comes_from_and_warns_of_none(tmp_path, shipped_model):
    folder = tmp_path / "in"
    folder.mkdir()
    text = (SEEDS / "003_08c661ef1fa93ef4.txt").read_text(encoding="utf-8").replace("4 March 2019\n", "", 1)
    (folder / "visit.txt").write_text(text, encoding="utf-8")
    (folder / "nodate.txt").write_text(text.replace(" on 5 and 6 February 2019", ""), encoding="utf-8")
    shutil.copy(SEEDS / f"{HACKNEY_2011}.txt", folder)
    out = tmp_path / "tagged.csv"
    result = run("tag", folder, "-o", out)
    assert result.exit_code == 0, result.output
    assert "nodate.txt: no date found" in result.stderr
    rows = pd.read_csv(out, dtype=str, keep_default_na=False).drop_duplicates("document").set_index("document")
    assert list(rows.columns[:6]) == ["la_name", "old_la_code", "new_la_code", "region_name", "date", "date_source"]
    assert rows.loc["visit", ["date", "date_source"]].tolist() == ["2019-02-06", "inspection_end"]
    assert rows.loc[HACKNEY_2011, ["date", "date_source"]].tolist() == ["2011-06-09", "text"]
    assert rows.loc["nodate", ["date", "date_source"]].tolist() == ["", ""]
    # the dated visit now counts in --since and change
    since = run("change", folder, "--authority", "Hackney", "--since", "2019-01-01")
    assert since.exit_code == 0 and "only one document: focused visit 2019-02-06" in since.stdout


def test_matrix_sort_and_top_give_the_most_criticised_per_100_findings(letters, tmp_path, shipped_model):
    out = tmp_path / "worst.csv"
    result = run("matrix", letters, "--value", "negative", "--sort", "caseloads_per_100", "--top", "2", "-o", out)
    assert result.exit_code == 0, result.output
    top = pd.read_csv(out, dtype={"old_la_code": str})
    everyone = pd.read_csv(_matrix_csv(letters, tmp_path), dtype={"old_la_code": str})
    rate = everyone["caseloads"] / everyone["findings"] * 100
    assert top["caseloads_per_100"].tolist() == pytest.approx(sorted(rate, reverse=True)[:2], abs=0.005)
    assert len(top) == 2 and top["findings"].tolist() == everyone.set_index("la_name").loc[top["la_name"],
                                                                                           "findings"].tolist()
    printed = run("matrix", letters, "--value", "negative", "--sort", "caseloads_per_100", "--top", "1")
    assert printed.stdout.splitlines()[1].split()[2] == top["la_name"].iloc[0].split()[0]
    bad = run("matrix", letters, "--sort", "caseloads_rate")
    assert bad.exit_code == 2 and "no column 'caseloads_rate' to sort by" in bad.stderr
    both = run("matrix", letters, "--sort", "caseloads", "--neighbours", "Hackney")
    assert both.exit_code == 2 and "Traceback" not in both.output


def _matrix_csv(letters, tmp_path):
    out = tmp_path / "all.csv"
    assert run("matrix", letters, "--value", "negative", "-o", out).exit_code == 0
    return out


def test_evidence_sort_and_top(letters, tmp_path, shipped_model):
    out = tmp_path / "e.csv"
    result = run("evidence", letters, "--theme", "caseloads", "--polarity", "negative", "--sort", "negative",
                 "--top", "2", "-o", out)
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(out, dtype=str)
    assert len(rows) == 2
    tagged = pd.read_csv(_tagged(letters, tmp_path), dtype=str, keep_default_na=False)
    import json

    mine = tagged[tagged["themes"].str.contains("caseloads") & (tagged["polarity"] == "negative")]
    best = sorted((json.loads(s)["negative"] for s in mine["scores"]), reverse=True)[:2]
    got = [json.loads(mine.set_index("text").loc[t, "scores"])["negative"] for t in rows["text"]]
    assert got == best


def _tagged(letters, tmp_path):
    out = tmp_path / "tagged.csv"
    assert run("tag", letters, "-o", out).exit_code == 0
    return out


def test_change_compare_steps_and_like(letters, tmp_path, shipped_model):
    out = tmp_path / "steps.csv"
    result = run("change", letters, "--authority", "Hackney", "--compare", "steps", "-o", out)
    assert result.exit_code == 0, result.output
    steps = pd.read_csv(out, dtype=str)
    assert set(steps["step"]) == {"1"} and set(steps["earliest_document"]) == {HACKNEY_2011}
    like = run("change", letters, "--authority", "Hackney", "--compare", "like")
    assert like.exit_code == 0
    assert ("Hackney (204, 2 documents, step 1): no two documents of one framework; the latest: focused visit "
            "2019-03-04") in like.stdout
    assert run("change", letters, "--compare", "pairs").exit_code == 2
