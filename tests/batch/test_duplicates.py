"""The same document twice in one batch (a .pdf and its .txt copy, one file under two names) counts once."""

from __future__ import annotations

import shutil

from conftest import SEEDS
from typer.testing import CliRunner

from ofsted_nlp.batch.duplicates import Duplicates, findings_key
from ofsted_nlp.batch.pipeline import tag_paths
from ofsted_nlp.cli.app import app

HACKNEY = SEEDS / "003_08c661ef1fa93ef4.txt"


def test_a_copy_under_another_name_is_left_out_and_said(tmp_path, shipped_model):
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    text = HACKNEY.read_text(encoding="utf-8")
    # a copy with other line breaks and page furniture: the same findings
    (folder / "hackney copy.txt").write_text(text.replace(". ", ".\n") + "\nPage 7 of 7\n", encoding="utf-8")
    results = list(tag_paths([folder]))
    copies = [r for r in results if r.duplicate_of]
    (copy,) = copies  # the later of the two in the batch's (sorted) order
    assert copy.rows == [] and "counted once" in copy.messages[-1]
    kept = [r for r in results if not r.duplicate_of and r.document and r.document["la_name"] == "Hackney"]
    assert len(kept) == 2  # the 2011 and 2019 letters, each once


def test_matrix_counts_an_authority_s_documents_once(tmp_path, shipped_model):
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    shutil.copy(HACKNEY, folder / "zz_same_letter.txt")
    out = tmp_path / "m.csv"
    result = CliRunner().invoke(app, ["matrix", str(folder), "-o", str(out)])
    assert result.exit_code == 0, result.output
    import pandas as pd

    matrix = pd.read_csv(out)
    assert matrix.set_index("la_name").loc["Hackney", "documents"] == 2
    assert "zz_same_letter.txt: the same document as" in result.output


def test_two_inspections_of_one_authority_are_not_one_document():
    copies = Duplicates()
    one = {"new_la_code": "E09000012", "kind": "focused_visit", "date": "2019-03-04", "inspection_end": "2019-02-01"}
    other = dict(one, date="2023-05-01", inspection_end="2023-04-01")
    texts = ["Caseloads are too high in the assessment teams.", "Supervision is regular and reflective."]
    assert copies.of("a.txt", one, findings_key(texts)) is None
    assert copies.of("b.txt", other, findings_key(texts)) is None  # other dates: another inspection
    assert copies.of("c.txt", one, findings_key(texts[:1] + ["Leaders know their services well."])) is None
    assert copies.of("d.pdf", dict(one, date="2019-03-05"), findings_key(texts)) == ("a.txt", 1.0)
