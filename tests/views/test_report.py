"""``ofsted-nlp report``: one self-contained HTML file, checked as text and in a real headless Chromium.

The browser test needs Chromium and chromedriver from the distribution's packages
and selenium (``.ci/install-browser`` installs them). It skips when they are
missing, except in CI (``CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

import html as html_text
import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import SEEDS
from test_views import COLUMNS, ROWS
from typer.testing import CliRunner

from ofsted_nlp.cli.app import app
from ofsted_nlp.views.evidence import evidence
from ofsted_nlp.views.report import LIMITS, build_report, load_card, report_data


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=COLUMNS)


def _payload(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.DOTALL)
    return json.loads(m.group(1))


def test_report_is_self_contained_and_holds_the_evidence(table):
    html = build_report(table, card=load_card(), selection="London", highlight="Hackney")
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', html)  # nothing fetched from the network
    assert "<script src" not in html and "<link" not in html
    data = _payload(html)
    names = [a["name"] for a in data["authorities"]]
    assert names == ["Hackney", "Haringey", "Leeds", "Southwark"]
    assert [a["highlight"] for a in data["authorities"]] == [True, False, False, False]
    cell = data["cells"]["a0:supervision"]
    assert [data["sentences"][s][3] for s in cell] == evidence(table, authority="Hackney", theme="supervision")[
        "text"].tolist()
    assert LIMITS.split(",")[0] in html_text.unescape(html)
    assert "theme macro-F1" in html  # the model card's headline figures


def test_grades_shown_when_present_and_not_read_otherwise(table):
    assert report_data(table)["grades_read"] is False
    graded = table.assign(overall_effectiveness=["inadequate" if d == "s20" else "not_applicable"
                                                 for d in table["document"]])
    data = report_data(graded)
    assert data["grades_read"] is True
    s20 = next(d for d in data["documents"] if d["id"] == "s20")
    assert s20["grades"]["overall_effectiveness"] == "inadequate"


def test_report_command_on_the_seeds(tmp_path, shipped_model):
    out = tmp_path / "report.html"
    result = run("report", SEEDS, "--output", out, "--neighbours", "Hackney")
    assert result.exit_code == 0, result.output
    data = _payload(out.read_text(encoding="utf-8"))
    # Hackney and the two seed authorities among its neighbours (Haringey, Tower Hamlets); Hounslow is not one
    assert {a["name"] for a in data["authorities"]} == {"Hackney", "Haringey", "Tower Hamlets"}
    assert [d["label"] for d in data["documents"] if d["authority"] == 0] == [
        "Hackney · 2011-06-09 · unannounced inspection", "Hackney · 2019-03-04 · focused visit"]
    # the seeds are letters: grades read, none given ("not applicable")
    assert data["grades_read"] is True
    assert {v for d in data["documents"] for v in d["grades"].values()} == {"not applicable"}
    assert run("report", SEEDS, "--output", tmp_path / "r.pdf").exit_code == 2
    assert run("report", SEEDS, "--output", tmp_path / "r.html", "--region", "Atlantis").exit_code == 2
    assert not (tmp_path / "r.html").exists()


# --------------------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        chromium = None
    if not (chromium and driver_path):
        if os.environ.get("CI"):
            pytest.fail("Chromium, chromedriver or selenium missing in CI: run .ci/install-browser")
        pytest.skip("Chromium/chromedriver/selenium not installed (.ci/install-browser installs them)")
    options = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--disable-background-networking"):
        options.add_argument(arg)
    options.binary_location = chromium
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def test_report_in_headless_chromium(browser, tmp_path, shipped_model):
    from PIL import Image
    from selenium.webdriver.common.by import By

    out = tmp_path / "report.html"
    result = run("report", SEEDS, "--output", out)
    assert result.exit_code == 0, result.output
    browser.get(out.resolve().as_uri())
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1"
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []

    # Hackney x timeliness: the first row, the third theme
    cells = browser.find_elements(By.CSS_SELECTOR, "#heatmap td.cell")
    target = next(c for c in cells if c.get_attribute("data-cell") == "a0:timeliness")
    target.click()
    title = browser.find_element(By.ID, "evidence-title").text
    shown = [li.find_element(By.CLASS_NAME, "sentence").text
             for li in browser.find_elements(By.CSS_SELECTOR, "#evidence-list li")]
    tagged = run("tag", SEEDS, "--format", "jsonl")
    rows = [json.loads(line) for line in tagged.stdout.splitlines()]
    behind = [" ".join(r["text"].split()) for r in rows if r["la_name"] == "Hackney"
              and "timeliness" in r["themes"] and r["polarity"] in ("positive", "negative")]
    assert title.startswith("Hackney · timeliness") and len(behind) > 3
    assert shown == behind  # the tag rows behind the cell, in document order
    assert browser.get_log("browser") == [] or all(e["level"] not in ("SEVERE", "ERROR")
                                                  for e in browser.get_log("browser"))

    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    image = Image.open(shot).convert("RGB")
    assert image.size[0] >= 800 and image.size[1] >= 600
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50  # not blank: text, heat colours, the evidence panel
    assert max(count for count, _ in colours) < 0.9 * image.size[0] * image.size[1]
    keep = os.environ.get("OFSTED_NLP_SCREENSHOT")
    if keep:
        Path(keep).write_bytes(shot.read_bytes())


def test_a_cell_lists_its_sentences_in_date_order(table):
    shuffled = table.iloc[::-1].reset_index(drop=True)  # the 2019 letter's findings come first
    data = report_data(shuffled)
    hackney = [a["name"] for a in data["authorities"]].index("Hackney")
    listed = [data["sentences"][s] for s in data["cells"][f"a{hackney}:supervision"]]
    dates = [data["documents"][d]["date"] for d, *_ in listed]
    assert dates == sorted(dates) and dates[0] == "2011-06-09"
    texts = [text for *_, text in listed]
    assert texts == evidence(table, authority="Hackney", theme="supervision")["text"].tolist()


# --------------------------------------------------------------------------- what cannot blank the report

TRAPS = "x<!--<script>", "</script><b>", "a&amp;b", "line\u2028para\u2029end"


def _trapped(table: pd.DataFrame) -> pd.DataFrame:
    """The table with a document id, a section heading and sentences that hold what ends or bends a script."""
    out = table.copy()
    out.loc[out["document"] == "h19", "document"] = TRAPS[0]
    out.loc[0, "text"] = f"Supervision {TRAPS[0]} is regular."
    out.loc[1, "text"] = f"Supervision {TRAPS[1]} is reflective."
    out.loc[0, "section"] = f"Heading {TRAPS[0]} {TRAPS[2]} {TRAPS[3]}"
    return out


def test_embedded_data_is_escaped_fully(table):
    html = build_report(_trapped(table), card=load_card())
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.DOTALL)
    raw = m.group(1)
    for c in "<>&\u2028\u2029":
        assert c not in raw
    assert "\\u003c!--\\u003cscript\\u003e" in raw and "\\u2028" in raw
    assert html.count("<script") == 2 and html.count("</script>") == 2  # the data block and the page's script
    data = json.loads(raw)  # the escapes read back as the characters
    assert TRAPS[0] in [d["id"] for d in data["documents"]]
    assert f"Supervision {TRAPS[0]} is regular." in [s[3] for s in data["sentences"]]
    assert f"Heading {TRAPS[0]} {TRAPS[2]} {TRAPS[3]}" in [s[1] for s in data["sentences"]]


def test_document_labels_are_unique(table):
    from ofsted_nlp.views.matrix import row_labels, theme_matrix

    four = pd.concat([table[table["document"] == "h19"].assign(document=f"h19-{k}") for k in range(4)])
    data = report_data(four)
    labels = [d["label"] for d in data["documents"]]
    assert labels == [f"Hackney · 2019-03-04 · focused visit (h19-{k})" for k in range(4)]
    by_doc = theme_matrix(four, by="document")
    assert row_labels(by_doc) == labels
    assert row_labels(theme_matrix(table, by="document")) == theme_matrix(table, by="document")["label"].tolist()
    # the same id twice (two folders' files of one name) is still told apart
    from ofsted_nlp.views.matrix import unique_labels

    assert unique_labels(["a", "a", "a", "b"], ["x", "x", "", "y"]) == ["a (x)", "a (x) #2", "a", "b"]
    assert unique_labels(["a", "a (x)", "a"], ["x", "", "x"]) == ["a (x)", "a (x) #2", "a (x) #3"]


@pytest.mark.parametrize("where, value", [
    (("data", "sentences"), "many"), (("data", "documents"), [1]),
    (("evaluation", "systems", "model", "theme_macro_f1"), "0.8"),
    (("evaluation", "subsets", "drawn at random", "sentences"), "250"),
    (("evaluation", "systems"), "none"),
])
def test_a_card_with_text_where_a_figure_belongs_is_named(table, where, value):
    from ofsted_nlp.views.report import CardError

    card = json.loads(json.dumps(load_card()))
    part = card
    for key in where[:-1]:
        part = part[key]
    part[where[-1]] = value
    with pytest.raises(CardError) as exc:
        build_report(table, card=card)
    assert ".".join(where) in str(exc.value) and "\n" not in str(exc.value)


def test_report_command_names_a_bad_card_field(tmp_path, shipped_model):
    from ofsted_nlp.tagging.model import card_path

    from conftest import SHIPPED_MODEL

    model = tmp_path / "m" / SHIPPED_MODEL.name
    model.parent.mkdir()
    shutil.copy(SHIPPED_MODEL, model)
    card = json.loads(card_path(SHIPPED_MODEL).read_text(encoding="utf-8"))
    card["data"]["sentences"] = "many"
    card_path(model).write_text(json.dumps(card), encoding="utf-8")
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", str(SEEDS), "-o", str(out), "-m", str(model)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [f"ofsted-nlp: {card_path(model)}: the model card's data.sentences is 'many', not a number; "
                     "nothing written"]
    assert not out.exists()


def _drawn(browser, path: Path) -> dict:
    """What the page drew in the browser: cells of the heatmap, rows of grades, tables of the timeline."""
    from selenium.webdriver.common.by import By

    browser.get(path.resolve().as_uri())
    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    return {
        "ready": browser.find_element(By.TAG_NAME, "body").get_attribute("data-ready"),
        "cells": len(browser.find_elements(By.CSS_SELECTOR, "#heatmap td.cell")),
        "grades": len(browser.find_elements(By.CSS_SELECTOR, "#grades tr")),
        "timeline": [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#timeline th.name")],
    }


def test_report_draws_with_a_document_named_like_markup(browser, tmp_path, shipped_model):
    folder = tmp_path / "letters"
    shutil.copytree(SEEDS, folder)
    shutil.copy(folder / "003_08c661ef1fa93ef4.txt", folder / "x<!--<script>.txt")
    out = tmp_path / "r.html"
    result = run("report", folder, "-o", out)
    assert result.exit_code == 0, result.output
    drawn = _drawn(browser, out)
    assert drawn["ready"] == "1"
    assert drawn["cells"] == 4 * 6 and drawn["grades"] == 1 + 4  # four authorities, six documents
    assert "Hackney · 2019-03-04 · focused visit (x<!--<script>)" in drawn["timeline"]
    assert len(drawn["timeline"]) == 6 and len(set(drawn["timeline"])) == 6
    keep = os.environ.get("OFSTED_NLP_SCREENSHOT")
    if keep:
        browser.save_screenshot(keep.replace(".png", "-name.png"))


def test_report_draws_with_markup_in_sentences_and_headings(browser, tmp_path, table):
    from selenium.webdriver.common.by import By

    out = tmp_path / "r.html"
    out.write_text(build_report(_trapped(table), card=load_card()), encoding="utf-8")
    drawn = _drawn(browser, out)
    assert drawn["ready"] == "1" and drawn["cells"] == 4 * 6 and drawn["grades"] == 1 + 4
    assert len(drawn["timeline"]) == 6
    cell = next(c for c in browser.find_elements(By.CSS_SELECTOR, "#heatmap td.cell")
                if c.get_attribute("data-cell") == "a0:supervision")
    cell.click()
    shown = [li.find_element(By.CLASS_NAME, "sentence").get_attribute("textContent")
             for li in browser.find_elements(By.CSS_SELECTOR, "#evidence-list li")]
    assert shown[:2] == [f"Supervision {TRAPS[0]} is regular.", f"Supervision {TRAPS[1]} is reflective."]
    meta = browser.find_elements(By.CSS_SELECTOR, "#evidence-list li .meta")[0].get_attribute("textContent")
    assert meta.endswith(f"Heading {TRAPS[0]} {TRAPS[2]} {TRAPS[3]}")


def test_matrix_page_draws_four_documents_of_one_label_as_four_rows(browser, tmp_path, shipped_model):
    """`matrix --by document --plot FILE.html` draws with the report's heatmap; four copies of a letter
    (one named like markup) are four rows, each told apart by its document id."""
    from selenium.webdriver.common.by import By

    folder = tmp_path / "letters"
    folder.mkdir()
    names = ["a", "b", "c", "x<!--<script>"]
    for name in names:
        shutil.copy(SEEDS / "003_08c661ef1fa93ef4.txt", folder / f"{name}.txt")
    out = tmp_path / "h.html"
    result = run("matrix", folder, "--by", "document", "--plot", out)
    assert result.exit_code == 0, result.output
    browser.get(out.resolve().as_uri())
    assert [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")] == []
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1"
    assert "4 documents" in browser.find_element(By.TAG_NAME, "header").text
    rows = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#heatmap th.name")]
    assert rows == [f"Hackney · 2019-03-04 · focused visit ({name})" for name in names]
    cells = browser.find_elements(By.CSS_SELECTOR, "#heatmap td.cell")
    assert len(cells) == 4 * 6
    drawn = [c for c in cells if "none" not in c.get_attribute("class")]
    assert drawn and all(c.value_of_css_property("background-color") not in ("", "rgba(0, 0, 0, 0)") for c in drawn)
    keep = os.environ.get("OFSTED_NLP_SCREENSHOT")
    if keep:
        browser.save_screenshot(keep.replace(".png", "-matrix.png"))
