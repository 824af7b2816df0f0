"""Aggregates that say what they are: a median row of medians, England's rows from England, one
neighbour order in the matrix and the report."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from ofsted_nlp.views.ees import check_ees, ees_tables
from ofsted_nlp.views.matrix import NEIGHBOUR_MEDIAN, neighbours_first, theme_matrix, with_neighbour_median
from ofsted_nlp.views.report import build_report, report_data

COLUMNS = ["document", "la_name", "old_la_code", "new_la_code", "region_name", "date", "kind", "section",
           "index", "text", "themes", "polarity"]
HACKNEY = ("Hackney", "204", "E09000012", "London")
SOUTHWARK = ("Southwark", "210", "E09000028", "London")  # Hackney's closest neighbour
HARINGEY = ("Haringey", "309", "E09000014", "London")  # third
CAMDEN = ("Camden", "202", "E09000007", "London")  # seventh
LEEDS = ("Leeds", "383", "E08000035", "Yorkshire and The Humber")  # not a neighbour


def _rows(doc, la, date, polarities, theme="supervision"):
    return [(doc, *la, date, "ilacs", "Findings", i, f"{doc} sentence {i}.", [theme], p)
            for i, p in enumerate(polarities)]


@pytest.fixture
def table() -> pd.DataFrame:
    rows = (_rows("h1", HACKNEY, "2019-01-01", ["positive"])
            + _rows("s1", SOUTHWARK, "2019-02-01", ["negative"])
            + _rows("c1", CAMDEN, "2019-03-01", ["positive"] * 2)
            + _rows("g1", HARINGEY, "2018-01-01", ["positive"] * 4)
            + _rows("g2", HARINGEY, "2019-01-01", ["positive"] * 4)
            + _rows("g3", HARINGEY, "2020-01-01", ["negative"] * 4)
            + _rows("l1", LEEDS, "2019-05-01", ["negative"] * 3))
    return pd.DataFrame(rows, columns=COLUMNS)


def test_the_median_row_holds_medians_not_sums(table):
    m = with_neighbour_median(theme_matrix(table), "Hackney")
    med = m.iloc[1]
    assert med["la_name"] == NEIGHBOUR_MEDIAN
    # neighbours' documents 1 (Southwark), 3 (Haringey), 1 (Camden): median 1, not the sum 5
    assert med["documents"] == 1
    # supervision findings 1, 12, 2: median 2, not the sum 15; nets -1, +1/3, +1: median +1/3
    assert med["supervision_findings"] == 2
    assert med["supervision"] == pytest.approx(1 / 3)
    assert m["documents"].tolist() == [1, 1, 1, 3, 1]


def test_an_even_number_of_neighbours_gives_a_half(table):
    m = with_neighbour_median(theme_matrix(table[table["document"] != "c1"]), "Hackney")
    assert m.iloc[1]["documents"] == 2.0 and m.iloc[1]["supervision_findings"] == 6.5
    assert m["documents"].dtype.kind == "i"  # all whole: an int column, written as before
    assert [type(v) for v in m["supervision_findings"]] == [int, float, int, int]
    written = pd.read_csv(io.StringIO(m.to_csv(index=False)), dtype=str)
    assert written["supervision_findings"].tolist() == ["1", "6.5", "1", "12"]  # counts stay whole numbers


def test_the_report_orders_neighbours_as_the_matrix_does_with_its_median(table):
    data = report_data(table, neighbours_of="Hackney", highlight="Hackney")
    names = [a["name"] for a in data["authorities"]]
    matrix = neighbours_first(theme_matrix(table), "Hackney")
    assert names == matrix["la_name"].tolist() == ["Hackney", NEIGHBOUR_MEDIAN, "Southwark", "Haringey", "Camden"]
    assert data["authorities"][1]["median"] and data["authorities"][1]["documents"] == 1
    assert data["authorities"][0]["highlight"] and not data["authorities"][1]["highlight"]
    # the documents follow the same order: Hackney's, then Southwark's, Haringey's, Camden's
    assert [d["id"] for d in data["documents"]] == ["h1", "s1", "g1", "g2", "g3", "c1"]
    html = build_report(table, neighbours_of="Hackney", highlight="Hackney")
    assert "4 authorities" in html  # the median row is not an authority


def test_england_rows_are_englands_when_the_findings_are_a_region(table):
    london = table[table["region_name"] == "London"]
    part, meta = ees_tables(london[london["la_name"] == "Haringey"], national=(table, None))
    assert check_ees(part, meta) == []
    nat = part[(part["geographic_level"] == "National") & (part["theme"] == "Total")].set_index("time_period")
    # 2019: Hackney, Southwark, Camden, Haringey and Leeds: five documents, not Haringey's one
    assert nat.loc["2019", "documents"] == "5"
    assert sorted(nat.index) == ["2018", "2019", "2020"]  # the years of the part
    region = part[(part["geographic_level"] == "Regional") & (part["theme"] == "Total")]
    assert set(region["region_name"]) == {"London"} and region.set_index("time_period").loc["2019", "documents"] == "1"
    label = meta.set_index("col_name").loc["documents", "label"]
    assert "documents read" in label and "not every inspection" in label


def test_without_a_wider_table_england_totals_the_documents_given(table):
    data, _ = ees_tables(table)
    nat = data[(data["geographic_level"] == "National") & (data["theme"] == "Total")].set_index("time_period")
    assert nat.loc["2019", "documents"] == "5"


def test_select_by_framework(table):
    from ofsted_nlp.views.selection import Selection, select

    t = table.assign(framework=["ilacs_standard" if d.startswith("g") else "ilacs_short" for d in table["document"]])
    assert set(select(t, framework="ilacs-standard")["document"]) == {"g1", "g2", "g3"}
    assert set(select(t, framework=["ILACS short"], authority="Hackney")["document"]) == {"h1"}
    chosen = Selection(frameworks=("ilacs_short",))
    assert chosen.matches({"framework": "ilacs_short"}) and not chosen.matches({"framework": "ilacs_standard"})
    assert chosen.describe() == "ilacs short"
    with pytest.raises(ValueError, match="no framework"):
        select(t, framework="jtia")


def test_counts_have_rates_per_100_findings_beside_them(table):
    # Haringey: 12 supervision findings (8 positive, 4 negative) in 3 documents; Southwark 1 negative of 1
    t = pd.concat([table, pd.DataFrame(_rows("s2", SOUTHWARK, "2020-01-01", ["neutral"] * 3, theme="caf"),
                                       columns=COLUMNS)], ignore_index=True)
    neg = theme_matrix(t, value="negative").set_index("la_name")
    assert neg.loc["Haringey", "findings"] == 12 and neg.loc["Southwark", "findings"] == 4
    assert neg.loc["Haringey", "supervision_per_100"] == pytest.approx(100 * 4 / 12, abs=0.005)
    assert neg.loc["Southwark", "supervision_per_100"] == 25.0  # 1 negative of 4 findings, neutral ones too
    count = theme_matrix(t, value="count").set_index("la_name")
    assert count.loc["Haringey", "supervision_positive_per_100"] == pytest.approx(66.67)
    assert count.loc["Haringey", "supervision_negative_per_100"] == pytest.approx(33.33)
    by_doc = theme_matrix(t, value="negative", by="document").set_index("document")
    assert by_doc.loc["g3", "supervision_per_100"] == 100.0 and by_doc.loc["g1", "supervision_per_100"] == 0.0
    assert "supervision_per_100" not in theme_matrix(t).columns  # net values are rates already


def test_top_rows_sorts_largest_first_and_cuts(table):
    from ofsted_nlp.views.matrix import top_rows

    neg = theme_matrix(table, value="negative")
    ranked = top_rows(neg, "supervision_per_100", 3)
    # Leeds 3 of 3 and Southwark 1 of 1 (100 per 100; a tie keeps the matrix's order), then Haringey 4 of 12
    assert ranked["la_name"].tolist() == ["Leeds", "Southwark", "Haringey"]
    assert top_rows(neg, "supervision_per_100", ascending=True)["la_name"].tolist()[0] in {"Hackney", "Camden"}
    assert top_rows(neg, top=1)["la_name"].tolist() == [neg["la_name"].iloc[0]]
    net = theme_matrix(pd.concat([table, pd.DataFrame(_rows("l2", LEEDS, "2020-01-01", ["negative"], theme="caf"),
                                                      columns=COLUMNS)]))
    assert top_rows(net, "supervision")["la_name"].tolist() == ["Camden", "Hackney", "Haringey", "Leeds",
                                                                "Southwark"]  # +1, +1, +1/3, -1, -1
    assert top_rows(net, "caf", ascending=True)["la_name"].tolist()[0] == "Leeds"  # the only value; NaN last
    with pytest.raises(ValueError, match="no column 'nope'"):
        top_rows(neg, "nope")


def test_evidence_sorted_by_a_score(table):
    from ofsted_nlp.schema import SCORE_KEYS
    from ofsted_nlp.views.evidence import evidence

    t = table.copy()
    k = SCORE_KEYS.index("negative")
    t["scores"] = [tuple(round(0.01 * i if j == k else 0.0, 2) for j in range(len(SCORE_KEYS)))
                   for i in range(len(t))]
    top = evidence(t, theme="supervision", polarity="all", sort="negative", top=3)
    assert top["text"].tolist() == ["l1 sentence 2.", "l1 sentence 1.", "l1 sentence 0."]  # the last rows score most
    assert len(evidence(t, top=2)) == 2
    with pytest.raises(ValueError, match="cannot sort"):
        evidence(t, sort="caseload")


def test_change_steps_through_every_inspection_or_like_for_like(table):
    from ofsted_nlp.views.timeline import CHANGE_COLUMNS, change_table

    frameworks = {"g1": "ilacs_standard", "g2": "focused_visit", "g3": "ilacs_standard"}
    t = table.assign(framework=[frameworks.get(d, "ilacs_short") for d in table["document"]])
    haringey = t[t["la_name"] == "Haringey"]
    ends = change_table(haringey)
    assert list(ends.columns) == CHANGE_COLUMNS and len(ends) == 6  # as before: earliest against latest
    assert set(zip(ends["earliest_document"], ends["latest_document"])) == {("g1", "g3")}
    steps = change_table(haringey, compare="steps").set_index(["step", "theme"])
    assert list(steps.reset_index().columns[:7]) == ["step", "theme", "new_la_code", "old_la_code", "la_name",
                                                     "region_name", "documents"]
    assert steps.loc[(1, "supervision"), ["earliest_document", "latest_document"]].tolist() == ["g1", "g2"]
    assert steps.loc[(2, "supervision"), ["earliest_document", "latest_document"]].tolist() == ["g2", "g3"]
    assert steps.loc[(1, "supervision"), "change"] == 0.0 and steps.loc[(2, "supervision"), "change"] == -2.0
    like = change_table(haringey, compare="like")
    assert set(zip(like["step"], like["earliest_document"], like["latest_document"])) == {(1, "g1", "g3")}
    assert like["compared"].iloc[0].startswith("ILACS inspection 2018-01-01 (4 findings) -> ILACS inspection")
    alone = change_table(t[t["la_name"] == "Hackney"], compare="steps")
    assert alone["compared"].iloc[0].startswith("only one document") and alone["change"].isna().all()
    with pytest.raises(ValueError, match="compare must be one of"):
        change_table(t, compare="pairs")
