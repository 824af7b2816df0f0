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
from conftest import SEEDS, report_payload
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


_payload = report_payload


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
    # in the matrix's order: the authority, its neighbours' median, the neighbours closest first
    assert [a["name"] for a in data["authorities"]] == ["Hackney", "statistical neighbours (median)", "Haringey",
                                                        "Tower Hamlets"]
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
    from conftest import SHIPPED_MODEL

    from ofsted_nlp.tagging.model import card_path

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


def _another_visit(source: Path, target: Path, k: int) -> None:
    """A letter of the same authority, date and kind whose findings differ (an exact copy would be counted
    once, as the same document): every sentence gets words of its own."""
    import re

    text = source.read_text(encoding="utf-8")
    target.write_text(re.sub(r"(?<=[a-z])\.(?=\s)", f" in the visit numbered {k}.", text), encoding="utf-8")


def test_report_draws_with_a_document_named_like_markup(browser, tmp_path, shipped_model):
    folder = tmp_path / "letters"
    shutil.copytree(SEEDS, folder)
    _another_visit(folder / "003_08c661ef1fa93ef4.txt", folder / "x<!--<script>.txt", 1)
    out = tmp_path / "r.html"
    result = run("report", folder, "-o", out)
    assert result.exit_code == 0, result.output
    drawn = _drawn(browser, out)
    assert drawn["ready"] == "1"
    assert drawn["cells"] == 4 * 6 and drawn["grades"] == 1 + 4  # four authorities, six documents
    # under each authority's heading a document is named by its date and kind (told apart by id where alike)
    assert "2019-03-04 · focused visit (x<!--<script>)" in drawn["timeline"]
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
    """`matrix --by document --plot FILE.html` draws with the report's heatmap; four visits with one label
    (one named like markup) are four rows, each told apart by its document id."""
    from selenium.webdriver.common.by import By

    folder = tmp_path / "letters"
    folder.mkdir()
    names = ["a", "b", "c", "x<!--<script>"]
    for k, name in enumerate(names):
        _another_visit(SEEDS / "003_08c661ef1fa93ef4.txt", folder / f"{name}.txt", k)
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


def _open_report(browser, tmp_path, width: int) -> Path:
    from selenium.webdriver.common.by import By

    out = tmp_path / "nav.html"
    if not out.exists():
        result = run("report", SEEDS, "--output", out)
        assert result.exit_code == 0, result.output
    browser.set_window_size(width, 1000)
    browser.get(out.resolve().as_uri())
    assert browser.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1"
    return out


def _in_view(browser, element) -> bool:
    return browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0"
        " && r.bottom <= window.innerHeight + 1 && r.right <= window.innerWidth + 1;", element)


@pytest.mark.parametrize("width", [1400, 800])
def test_a_cell_far_down_the_page_shows_its_sentences_in_view(browser, tmp_path, shipped_model, width):
    """A click in "Documents over time" opens the sentences where the reader is, at 1400 and 800 px wide;
    a grey cell says why it is empty; the timeline's rows do not repeat their authority's name."""
    from selenium.webdriver.common.by import By

    _open_report(browser, tmp_path, width)
    cells = browser.find_elements(By.CSS_SELECTOR, "#timeline td.cell:not(.none)")
    target = cells[-1]
    browser.execute_script("arguments[0].scrollIntoView()", target)
    target.click()
    panel = browser.find_element(By.ID, "evidence")
    assert _in_view(browser, panel)
    assert _in_view(browser, browser.find_element(By.ID, "evidence-title"))
    assert browser.find_elements(By.CSS_SELECTOR, "#evidence-list li")
    browser.find_element(By.ID, "evidence-close").click()
    assert not panel.is_displayed()

    grey = browser.find_elements(By.CSS_SELECTOR, "td.cell.none")[0]
    browser.execute_script("arguments[0].scrollIntoView()", grey)
    grey.click()
    assert "No positive or negative findings" in browser.find_element(By.ID, "evidence-none").text
    assert _in_view(browser, panel)

    for block in browser.find_elements(By.CSS_SELECTOR, "#timeline details"):
        authority = block.find_element(By.TAG_NAME, "h3").text.split(":")[0]
        for th in block.find_elements(By.CSS_SELECTOR, "th.name"):
            assert not th.text.startswith(authority), th.text
            assert th.get_attribute("title").startswith(authority)
    keep = os.environ.get("OFSTED_NLP_SCREENSHOT")
    if keep:
        browser.save_screenshot(keep.replace(".png", f"-{width}.png"))


def test_cells_are_reached_and_opened_with_the_keyboard(browser, tmp_path, shipped_model):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _open_report(browser, tmp_path, 1400)
    first = browser.find_element(By.CSS_SELECTOR, "#heatmap td.cell")
    assert first.get_attribute("tabindex") == "0" and first.get_attribute("role") == "button"
    assert first.get_attribute("aria-label").startswith("Hackney, supervision: ")
    browser.find_element(By.ID, "find").click()
    active = browser.switch_to.active_element
    for _ in range(60):  # Tab from the search box to the first cell (past the sort buttons)
        active.send_keys(Keys.TAB)
        active = browser.switch_to.active_element
        if active.get_attribute("data-cell") == first.get_attribute("data-cell"):
            break
    assert active.get_attribute("data-cell") == "a0:supervision"
    active.send_keys(Keys.ENTER)
    title = browser.find_element(By.ID, "evidence-title")
    assert title.is_displayed() and title.text.startswith("Hackney · supervision")
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    assert not browser.find_element(By.ID, "evidence").is_displayed()
    assert browser.switch_to.active_element.get_attribute("data-cell") == "a0:supervision"  # focus returns


def test_headings_sort_and_the_search_finds_authorities(browser, tmp_path, shipped_model):
    from selenium.webdriver.common.by import By

    _open_report(browser, tmp_path, 1400)

    def rows():
        return [tr.find_element(By.TAG_NAME, "th").text.split(" (")[0]
                for tr in browser.find_elements(By.CSS_SELECTOR, "#heatmap tr[data-authority]")]

    def nets(theme):
        data = json.loads(browser.find_element(By.ID, "report-data").get_attribute("textContent"))
        j = data["theme_keys"].index(theme)
        by = {a["label"]: a["net"][j] for a in data["authorities"]}
        return [by[r] for r in rows()]

    sort = browser.find_elements(By.CSS_SELECTOR, "#heatmap th button.sort")
    assert [b.text for b in sort][1:] == ["supervision", "thresholds", "timeliness", "caseloads", "out of hours", "CAF"]
    sort[3].click()  # timeliness, highest first
    values = [v for v in nets("timeliness") if v is not None]
    assert values == sorted(values, reverse=True)
    assert browser.find_elements(By.CSS_SELECTOR, "#heatmap th[aria-sort=descending]")
    sort[3].click()
    values = [v for v in nets("timeliness") if v is not None]
    assert values == sorted(values)

    find = browser.find_element(By.ID, "find")
    find.send_keys("hackney")
    visible = [r for r, tr in zip(rows(), browser.find_elements(By.CSS_SELECTOR, "#heatmap tr[data-authority]"))
               if tr.is_displayed()]
    assert visible == ["Hackney"]
    blocks = [b for b in browser.find_elements(By.CSS_SELECTOR, "#timeline details") if b.is_displayed()]
    assert len(blocks) == 1 and blocks[0].text.startswith("Hackney")
    assert browser.find_element(By.ID, "found").text == "1 of 4 authorities"


def test_cell_text_meets_wcag_aa_contrast(browser, tmp_path, shipped_model):
    """Text on every coloured cell reaches a contrast ratio of 4.5 (WCAG AA); hatched cells are dark on a halo."""
    _open_report(browser, tmp_path, 1400)
    ratios = browser.execute_script("""
        const out = [];
        document.querySelectorAll('td.cell:not(.none)').forEach(td => {
          const s = getComputedStyle(td);
          const fg = s.color.match(/\\d+/g).map(Number), bg = s.backgroundColor.match(/\\d+/g).map(Number);
          out.push([td.classList.contains('small'), OfstedHeatmap.contrast(fg.slice(0, 3), bg.slice(0, 3)), s.color]);
        });
        return out;""")
    assert len(ratios) > 20
    assert all(ratio >= 4.5 for small, ratio, _ in ratios if not small), sorted(r for s, r, _ in ratios if not s)[:5]
    assert all(colour == "rgb(17, 17, 17)" for small, _, colour in ratios if small)
