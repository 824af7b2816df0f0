"""``ofsted-nlp report``: one self-contained HTML file, checked as text and in a real headless Chromium.

The browser test needs Chromium and chromedriver from the distribution's packages
and selenium (``.ci/install-browser`` installs them). It skips when they are
missing, except in CI (``CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

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
    assert LIMITS.split(",")[0] in html.replace("&#x27;", "'")
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
