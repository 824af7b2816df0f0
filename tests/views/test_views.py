"""The analyst's views as a library: selection, matrix by time and document, small numbers, statistical
neighbours' median, change between documents, evidence behind a cell, and the EES open-data layout."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ofsted_nlp.schema import THEMES
from ofsted_nlp.views.ees import check_ees, ees_tables, meta_path, write_ees
from ofsted_nlp.views.evidence import evidence
from ofsted_nlp.views.matrix import NEIGHBOUR_MEDIAN, small_cells, theme_matrix, with_neighbour_median
from ofsted_nlp.views.selection import Selection, neighbour_group, neighbours, resolve_authority, select
from ofsted_nlp.views.timeline import change_table, timeline

COLUMNS = ["document", "la_name", "old_la_code", "new_la_code", "region_name", "date", "kind", "section",
           "index", "text", "themes", "polarity"]
HACKNEY = ("Hackney", "204", "E09000012", "London")
HARINGEY = ("Haringey", "309", "E09000014", "London")
SOUTHWARK = ("Southwark", "210", "E09000028", "London")
LEEDS = ("Leeds", "383", "E08000035", "Yorkshire and The Humber")


def _row(doc, la, date, kind, text, themes, polarity, index=0, section="Findings"):
    return (doc, *la, date, kind, section, index, text, themes, polarity)


ROWS = [
    _row("h11", HACKNEY, "2011-06-09", "ucra", "Supervision is regular.", ["supervision"], "positive", 0),
    _row("h11", HACKNEY, "2011-06-09", "ucra", "Supervision is reflective.", ["supervision"], "positive", 1),
    _row("h11", HACKNEY, "2011-06-09", "ucra", "Assessments are late.", ["timeliness"], "negative", 2),
    _row("h19", HACKNEY, "2019-03-04", "focused_visit", "Supervision is not recorded.", ["supervision"], "negative", 0),
    _row("h19", HACKNEY, "2019-03-04", "focused_visit", "Supervision lacks reflection.", ["supervision"], "negative", 1),
    _row("h19", HACKNEY, "2019-03-04", "focused_visit", "Visits are timely.", ["timeliness"], "positive", 2),
    _row("h19", HACKNEY, "2019-03-04", "focused_visit", "Visits are timely and thorough.", ["timeliness"], "positive", 3),
    _row("h19", HACKNEY, "2019-03-04", "focused_visit", "The director started in May.", [], "neutral", 4),
    _row("h16", HACKNEY, "2016-01-10", "sif", "Caseloads are high.", ["caseloads"], "negative", 0),
    _row("g10", HARINGEY, "2010-09-16", "ucra", "Workloads are heavy.", ["caseloads"], "negative", 0),
    _row("g10", HARINGEY, "2010-09-16", "ucra", "Supervision is good.", ["supervision"], "positive", 1),
    _row("s20", SOUTHWARK, "2020-02-01", "ilacs", "Supervision is weak.", ["supervision"], "negative", 0),
    _row("s20", SOUTHWARK, "2020-02-01", "ilacs", "Supervision is patchy.", ["supervision"], "neutral", 1),
    _row("l18", LEEDS, "2018-05-05", "ilacs", "Supervision is strong.", ["supervision"], "positive", 0),
]


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=COLUMNS)


# --------------------------------------------------------------------------- selection


def test_select_by_region_authority_dates_and_kind(table):
    assert set(select(table, region="London")["document"]) == {"h11", "h19", "h16", "g10", "s20"}
    assert set(select(table, region="E12000003")["document"]) == {"l18"}
    assert set(select(table, authority=["Hackney", "309"])["document"]) == {"h11", "h19", "h16", "g10"}
    assert set(select(table, authority="E09000012", since="2012-01-01")["document"]) == {"h19", "h16"}
    assert set(select(table, until="2011-06-09")["document"]) == {"h11", "g10"}  # inclusive
    assert set(select(table, kind="focused visit")["document"]) == {"h19"}
    assert set(select(table, kind=["ucra", "sif"], region="london")["document"]) == {"h11", "h16", "g10"}
    assert select(table, region="London").index.tolist() == sorted(select(table, region="London").index)
    for bad in ({"region": "Atlantis"}, {"authority": "Hack"}, {"kind": "audit"}, {"since": "09/06/2011"}):
        with pytest.raises(ValueError):
            select(table, **bad)


def test_codes_read_back_from_csv_as_numbers_still_select(table, tmp_path):
    table.to_csv(tmp_path / "t.csv", index=False)
    back = pd.read_csv(tmp_path / "t.csv")
    assert back["old_la_code"].dtype.kind == "i"
    assert set(select(back, authority="Haringey")["document"]) == {"g10"}


def test_neighbours_put_the_authority_first_then_closest_first(table):
    group = [a.la_name for a in neighbour_group("Hackney")]
    assert group[0] == "Hackney" and len(group) == 11 and "Haringey" in group and "Southwark" in group
    picked = neighbours(table, "204")
    assert picked["document"].drop_duplicates().tolist()[:3] == ["h11", "h19", "h16"]  # Hackney first, in order
    # Southwark (1st neighbour) before Haringey (3rd); Leeds is no neighbour
    assert picked["la_name"].drop_duplicates().tolist() == ["Hackney", "Southwark", "Haringey"]
    assert Selection(neighbours_of="Hackney", since="2015-01-01").describe(3) == \
        "Hackney and its statistical neighbours, since 2015-01-01, 3 documents"


def test_resolve_authority_by_forms():
    assert resolve_authority("London Borough of Hackney").old_la_code == "204"
    assert resolve_authority(" e09000012 ").old_la_code == "204"


# --------------------------------------------------------------------------- matrix


def test_documents_ordered_by_authority_then_date_and_labelled(table):
    m = theme_matrix(table, by="document")
    assert m["document"].tolist() == ["h11", "h16", "h19", "g10", "l18", "s20"]  # not input order
    assert m["label"].tolist() == [
        "Hackney · 2011-06-09 · unannounced inspection", "Hackney · 2016-01-10 · SIF inspection",
        "Hackney · 2019-03-04 · focused visit", "Haringey · 2010-09-16 · unannounced inspection",
        "Leeds · 2018-05-05 · ILACS inspection", "Southwark · 2020-02-01 · ILACS inspection",
    ]


def test_by_document_order_is_authority_name_then_date(table):
    m = theme_matrix(table, by="document")
    names = m["la_name"].tolist()
    assert names == sorted(names, key=str.casefold)
    hackney = m[m["la_name"] == "Hackney"]
    assert hackney["date"].tolist() == ["2011-06-09", "2016-01-10", "2019-03-04"]
    assert hackney["label"].tolist() == ["Hackney · 2011-06-09 · unannounced inspection",
                                         "Hackney · 2016-01-10 · SIF inspection",
                                         "Hackney · 2019-03-04 · focused visit"]


def test_by_authority_year(table):
    m = theme_matrix(table, by="authority-year")
    hackney = m[m["la_name"] == "Hackney"]
    assert hackney["year"].tolist() == ["2011", "2016", "2019"]
    assert hackney["label"].tolist() == ["Hackney · 2011", "Hackney · 2016", "Hackney · 2019"]
    row = hackney.set_index("year").loc["2019"]
    assert row["supervision"] == -1.0 and row["timeliness"] == 1.0 and row["supervision_findings"] == 2
    assert m.attrs["by"] == "authority-year"


def test_findings_column_beside_each_theme_and_small_cells(table):
    m = theme_matrix(table)
    cols = list(m.columns)
    for t in THEMES:
        assert cols.index(f"{t}_findings") == cols.index(t) + 1
    h = m.set_index("la_name").loc["Hackney"]
    assert h["supervision_findings"] == 4 and h["supervision"] == 0.0  # 2 positive, 2 negative
    assert h["caseloads_findings"] == 1
    small = small_cells(m)
    i = m["la_name"].tolist().index("Hackney")
    assert small[i, THEMES.index("caseloads")] and not small[i, THEMES.index("supervision")]
    assert not small[i, THEMES.index("caf")]  # no findings at all: empty, not small
    neg = theme_matrix(table, value="negative").set_index("la_name")
    assert neg.loc["Hackney", "supervision"] == 2 and neg.loc["Hackney", "supervision_findings"] == 4


def test_neighbour_median_row(table):
    m = with_neighbour_median(theme_matrix(table), "Hackney")
    assert m["la_name"].tolist() == ["Hackney", NEIGHBOUR_MEDIAN, "Southwark", "Haringey"]
    med = m.iloc[1]
    # supervision: Southwark -1 (1 negative; the neutral does not count), Haringey +1 -> median 0
    assert med["supervision"] == 0.0 and med["supervision_findings"] == 1  # the median of 1 and 1
    assert med["caseloads"] == -1.0  # Haringey only; Southwark has none
    assert math.isnan(med["caf"])
    assert med["documents"] == 1 and med["old_la_code"] == "" and med["new_la_code"] == ""
    with pytest.raises(ValueError):
        with_neighbour_median(theme_matrix(table, by="document"), "Hackney")


# --------------------------------------------------------------------------- time


def test_change_between_earliest_and_latest_document(table):
    c = change_table(table)
    h = c[c["la_name"] == "Hackney"].set_index("theme")
    assert h.loc["supervision", ["earliest_net", "latest_net", "change"]].tolist() == [1.0, -1.0, -2.0]
    assert h.loc["timeliness", ["earliest_net", "latest_net", "change"]].tolist() == [-1.0, 1.0, 2.0]
    assert h.loc["supervision", "earliest_kind"] == "ucra" and h.loc["supervision", "latest_kind"] == "focused_visit"
    assert h.loc["supervision", "documents"] == 3  # the 2016 report is between, not compared
    assert h.loc["supervision", "compared"] == ("unannounced inspection 2011-06-09 (3 findings) -> "
                                                "focused visit 2019-03-04 (5 findings)")
    assert math.isnan(h.loc["caseloads", "change"])  # none in either
    one = c[c["la_name"] == "Leeds"].set_index("theme")
    assert one.loc["supervision", "compared"].startswith("only one document") and math.isnan(
        one.loc["supervision", "change"])
    since = change_table(select(table, since="2012-01-01")).query("la_name == 'Hackney'").set_index("theme")
    assert since.loc["caseloads", "earliest_kind"] == "sif"  # the selection decides what is earliest


def test_timeline_carries_grade_columns_when_present(table):
    t = timeline(table)
    assert "overall_effectiveness" not in t.columns
    graded = table.assign(overall_effectiveness=["good" if d == "s20" else "not_applicable" for d in table["document"]])
    t = timeline(graded).set_index("document")
    assert t.loc["s20", "overall_effectiveness"] == "good" and t.loc["s20", "findings"] == 2


# --------------------------------------------------------------------------- evidence


def test_evidence_is_the_rows_behind_the_cell(table):
    e = evidence(table, authority="Hackney", theme="supervision")
    assert e["text"].tolist() == ["Supervision is regular.", "Supervision is reflective.",
                                  "Supervision is not recorded.", "Supervision lacks reflection."]
    m = theme_matrix(table).set_index("la_name")
    assert len(e) == m.loc["Hackney", "supervision_findings"]
    neg = evidence(table, authority="204", theme="supervision", polarity="negative")
    assert neg["document"].tolist() == ["h19", "h19"] and set(neg["polarity"]) == {"negative"}
    assert list(neg.columns)[:6] == ["document", "la_name", "old_la_code", "new_la_code", "date", "kind"]
    assert len(evidence(table, authority="Southwark", theme="supervision", polarity="all")) == 2
    assert evidence(table, authority="Hackney", theme="supervision", year=2019)["document"].unique().tolist() == ["h19"]
    with pytest.raises(ValueError):
        evidence(table, theme="workload")


# --------------------------------------------------------------------------- EES


def test_ees_layout_passes_the_screener_checks(table, tmp_path):
    data, meta = ees_tables(table)
    assert list(data.columns[:10]) == ["time_period", "time_identifier", "geographic_level", "country_code",
                                       "country_name", "region_code", "region_name", "old_la_code", "new_la_code",
                                       "la_name"]
    assert check_ees(data, meta) == []
    path, meta_file = write_ees(data, meta, tmp_path / "ofsted_findings.csv")
    assert meta_file == tmp_path / "ofsted_findings.meta.csv" == meta_path(path)
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    back_meta = pd.read_csv(meta_file, dtype=str, keep_default_na=False)
    assert check_ees(back, back_meta) == []
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
    la = back[(back["geographic_level"] == "Local authority") & (back["la_name"] == "Hackney")]
    row = la[(la["time_period"] == "2019") & (la["theme"] == "Supervision")].iloc[0]
    assert row[["old_la_code", "new_la_code", "region_code", "documents", "findings", "negative_findings",
                "net_balance"]].tolist() == ["204", "E09000012", "E12000007", "1", "2", "2", "-1.00"]
    caf = la[(la["time_period"] == "2019") & (la["theme"] == "CAF")].iloc[0]
    assert caf["net_balance"] == "z" and caf["findings"] == "0"
    national = back[(back["geographic_level"] == "National") & (back["time_period"] == "2010")]
    assert national.set_index("theme").loc["Total", "findings"] == "2"  # Haringey's two
    london_2011 = back[(back["geographic_level"] == "Regional") & (back["time_period"] == "2011")]
    assert london_2011.set_index("theme").loc["Total", ["findings", "positive_findings"]].tolist() == ["3", "2"]


@pytest.mark.parametrize("breakage, expected", [
    (lambda d, m: (d.drop(columns="time_identifier"), m), "mandatory column time_identifier"),
    (lambda d, m: (d.assign(time_period="2019/20"), m), "four digits"),
    (lambda d, m: (d.assign(la_name=np.where(d["la_name"] == "Hackney", "Hackny", d["la_name"])), m),
     "not in the authority table"),
    (lambda d, m: (d.assign(region_code=np.where(d["geographic_level"] == "National", "E12000007", d["region_code"])),
                   m), "National rows must leave region_code blank"),
    (lambda d, m: (pd.concat([d, d.iloc[:1]]), m), "duplicate rows"),
    (lambda d, m: (d[d["theme"] != "Total"], m), "no Total"),
    (lambda d, m: (d.assign(net_balance=d["net_balance"].replace("z", "")), m), "blank cells"),
    (lambda d, m: (d.assign(net_balance=d["net_balance"].replace("z", "NA")), m), "NULL, NA"),
    (lambda d, m: (d, m.assign(indicator_dp=np.where(m["col_name"] == "findings", "", m["indicator_dp"]))),
     "needs indicator_dp"),
    (lambda d, m: (d, pd.concat([m, pd.DataFrame([{**dict.fromkeys(m.columns, ""), "col_name": "la_name",
                                                    "col_type": "Filter", "label": "LA"}])])),
     "observational unit"),
    (lambda d, m: (d, m.assign(label=m["label"].replace("Negative findings", "Positive findings"))), "unique"),
])
def test_ees_checks_catch_each_fault(table, breakage, expected):
    data, meta = ees_tables(table)
    broken = breakage(data, meta)
    assert any(expected in p for p in check_ees(*broken)), check_ees(*broken)


def test_ees_leaves_out_documents_it_cannot_place(table):
    unknown = table.copy()
    unknown.loc[unknown["document"] == "l18", ["la_name", "old_la_code", "new_la_code"]] = None
    data, _ = ees_tables(unknown)
    assert data.attrs["left_out"] == 1 and "Leeds" not in set(data["la_name"])
    with pytest.raises(ValueError):
        write_ees(data, _, "Ofsted Findings.csv")


@pytest.mark.parametrize("selection", [
    Selection(region="London"), Selection(authorities=("Hackney", "383")),
    Selection(since="2011-06-09", until="2019-03-04"), Selection(kinds=("ilacs",)),
    Selection(neighbours_of="E09000012", since="2011-01-01"),
])
def test_one_document_at_a_time_agrees_with_the_table(table, selection):
    docs = table.drop_duplicates("document")
    picked = selection.apply(docs)["document"].tolist()
    assert [d["document"] for d in docs.to_dict("records") if selection.matches(d)] == sorted(
        picked, key=lambda x: docs["document"].tolist().index(x))
    if selection.neighbours_of:
        ranked = sorted((d for d in docs.to_dict("records") if selection.matches(d)), key=selection.rank)
        assert [d["document"] for d in ranked] == picked


def test_neighbours_first_by_document_and_by_year(table):
    from ofsted_nlp.views.matrix import neighbours_first

    by_doc = neighbours_first(theme_matrix(table, by="document"), "Hackney")
    assert by_doc["document"].tolist() == ["h11", "h16", "h19", "s20", "g10"]  # Leeds dropped
    by_la = neighbours_first(theme_matrix(table), "204")
    assert by_la["la_name"].tolist()[:2] == ["Hackney", NEIGHBOUR_MEDIAN]


def test_selecting_sink_streams_or_holds_back_for_neighbours():
    from types import SimpleNamespace

    from ofsted_nlp.cli import common
    from ofsted_nlp.cli.selecting import SelectingSink

    docs = [SimpleNamespace(document={"old_la_code": c, "date": d, "kind": "ucra"})
            for c, d in [("309", "2010-01-01"), ("383", "2011-01-01"), ("204", "2012-01-01"), ("210", "2013-01-01")]]
    got: list = []
    sink = SelectingSink(Selection(region="London", since="2011-01-01"), got.append)
    for r in docs:
        sink(r)
    assert [r.document["old_la_code"] for r in got] == ["204", "210"]  # streamed as they came
    got.clear()
    sink = SelectingSink(Selection(neighbours_of="Hackney"), got.append)
    for r in docs:
        sink(r)
    assert got == []
    sink.close()
    assert [r.document["old_la_code"] for r in got] == ["204", "210", "309"]  # Hackney, Southwark, Haringey
    empty = SelectingSink(Selection(region="North East"), got.append)
    for r in docs:
        empty(r)
    with pytest.raises(common.CommandError):
        empty.close()


# --------------------------------------------------------------------------- plots


def test_plot_labels_stay_readable_for_150_authorities(tmp_path):
    from PIL import Image

    from ofsted_nlp.authorities.lookup import load_authorities
    from ofsted_nlp.views.plots import heatmap_png

    current = [a for a in load_authorities() if a.is_current]
    rows = [_row(f"d{i}", (a.la_name, a.old_la_code, a.new_la_code, a.region_name), "2020-01-01", "ilacs",
                 "x", [THEMES[i % 6]], "negative" if i % 3 else "positive") for i, a in enumerate(current)]
    m = theme_matrix(pd.DataFrame(rows, columns=COLUMNS))
    assert len(m) == 153
    path = heatmap_png(m, tmp_path / "all.png", title="England, 153 documents")
    height = Image.open(path).size[1]
    assert height / len(m) >= 20  # at least 20 pixels a row: 7-point labels do not overlap


def test_plot_follows_value_and_marks_small_cells(table, tmp_path):
    from ofsted_nlp.views.plots import heatmap_png, plot_values

    net = heatmap_png(theme_matrix(table), tmp_path / "net.png").read_bytes()
    neg = heatmap_png(theme_matrix(table, value="negative"), tmp_path / "neg.png").read_bytes()
    assert net != neg
    value, values, _, _, _ = plot_values(theme_matrix(table, value="negative"))
    assert value == "negative" and values[0, THEMES.index("supervision")] == 2  # Hackney's two negatives
    hl = heatmap_png(theme_matrix(table), tmp_path / "hl.png", highlight="Hackney").read_bytes()
    assert hl != net  # the highlighted authority is drawn differently


def test_evidence_order_does_not_depend_on_the_table_order(table):
    shuffled = table.sample(frac=1, random_state=3).reset_index(drop=True)
    pd.testing.assert_frame_equal(evidence(shuffled, authority="Hackney", theme="supervision"),
                                  evidence(table, authority="Hackney", theme="supervision"))


def test_select_by_overall_grade(table):
    graded = table.assign(overall_effectiveness=[{"s20": "inadequate", "l18": "good"}.get(d, "not_applicable")
                                                 for d in table["document"]])
    assert set(select(graded, grade="inadequate")["document"]) == {"s20"}
    assert set(select(graded, grade=["Inadequate", "good"])["document"]) == {"s20", "l18"}
    assert Selection(grades=("inadequate",)).matches({"old_la_code": "210", "overall_effectiveness": "inadequate"})
    assert not Selection(grades=("inadequate",)).matches({"old_la_code": "210"})
    assert Selection(grades=("requires improvement",), region="London").describe() == \
        "London, graded requires improvement overall"
    with pytest.raises(ValueError):
        select(table, grade="inadequate")  # no grade column: grades were not read
    with pytest.raises(ValueError):
        select(graded, grade="awful")


def test_matrix_carries_each_authoritys_latest_graded_inspection():
    """By authority: the grades of its latest SIF or ILACS inspection read, with its date; by document: the
    document's own; none for an authority with no graded inspection among the documents."""
    import pandas as pd

    from ofsted_nlp.views.matrix import theme_matrix

    def doc(document, la, code, date, framework, end, overall):
        return {"document": document, "la_name": la, "old_la_code": "", "new_la_code": code, "region_name": "R",
                "date": date, "kind": "ilacs" if framework.startswith("ilacs") else framework,
                "framework": framework, "inspection_end": end, "overall_effectiveness": overall,
                "impact_of_leaders": overall, "help_and_protection": overall, "in_care": overall,
                "care_leavers": "not_judged_before_2023" if framework.startswith("ilacs") else overall}

    docs = pd.DataFrame([
        doc("a1", "Aton", "E1", "2016-03-01", "sif", "2016-01-20", "inadequate"),
        doc("a2", "Aton", "E1", "2019-05-01", "ilacs_standard", "2019-03-29", "requires_improvement"),
        doc("a3", "Aton", "E1", "2021-02-01", "focused_visit", "", "not_applicable"),  # later, but not graded
        doc("b1", "Bton", "E2", "2020-02-01", "focused_visit", "", "not_applicable"),
    ])
    findings = pd.DataFrame([dict(docs.iloc[i], themes=("caseloads",), polarity="negative") for i in range(4)])
    by_authority = theme_matrix(findings, documents_read=docs).set_index("la_name")
    assert by_authority.loc["Aton", "graded_document"] == "a2"
    assert by_authority.loc["Aton", "graded_date"] == "2019-03-29"
    assert by_authority.loc["Aton", "overall_effectiveness"] == "requires_improvement"
    assert by_authority.loc["Aton", "care_leavers"] == "not_judged_before_2023"
    assert by_authority.loc["Bton", "graded_document"] == "" and by_authority.loc["Bton", "in_care"] == ""
    by_document = theme_matrix(findings, by="document", documents_read=docs).set_index("document")
    assert by_document.loc["a1", "overall_effectiveness"] == "inadequate"
    assert by_document.loc["b1", "overall_effectiveness"] == "not_applicable"
    by_year = theme_matrix(findings, by="authority-year", documents_read=docs).set_index(["la_name", "year"])
    assert by_year.loc[("Aton", "2016"), "graded_document"] == "a1"
    assert by_year.loc[("Aton", "2021"), "graded_document"] == ""
