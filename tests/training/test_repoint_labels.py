"""scripts/repoint_labels.py: labels follow their sentence through reader changes, or are dropped with a reason."""

from __future__ import annotations

import csv
import importlib.util

import pytest
from conftest import REPO

from ofsted_nlp.training.labels import fingerprint, load_corpus_labels, normalise

_SPEC = importlib.util.spec_from_file_location("repoint_labels", REPO / "scripts" / "repoint_labels.py")
repoint = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(repoint)  # type: ignore[union-attr]

# Sentences of bury_2016-05-16 as an earlier reader gave them (checked against the PDF's text).
OLD_MARKED = ("Diversity, religion and culture are not consistently considered in assessments for all children "
              "and young people (Recommendation).")
NEW_MARKED = "Diversity, religion and culture are not consistently considered in assessments for all children " \
             "and young people."
OLD_STATISTIC = "in primary schools is 14.9% (the national proportion is 15.6%)"


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["document", "fingerprint", "position", "themes", "polarity", "drawn"])
        w.writerows(rows)


def test_repoint_moves_marked_sentences_drops_non_findings_and_counts_every_label(corpus, tmp_path):
    from _corpus_read import letter

    doc = letter("bury_2016-05-16")
    kept_text = doc.findings[5].text
    labels = tmp_path / "corpus.csv"
    _write(labels, [
        ["bury_2016-05-16", fingerprint(kept_text), 5, "", "positive", "random"],
        ["bury_2016-05-16", fingerprint(OLD_MARKED), 300, "", "negative", "random"],
        ["bury_2016-05-16", fingerprint(OLD_STATISTIC), 20, "", "neutral", "random"],
        ["bury_2016-05-16", "0123456789abcdef", 7, "", "neutral", "random"],
        ["no-such-document_2020-01-01", "0123456789abcdef", 7, "", "neutral", "random"],
    ])
    counts = repoint.repoint_file(labels, corpus, dry_run=False, log=None)
    assert counts == {repoint.KEPT: 1, repoint.MARKER: 1, repoint.DROP_STATISTIC: 1, repoint.DROP_UNFOUND: 1,
                      repoint.DROP_NO_DOCUMENT: 1}
    after = {(lab.fingerprint, lab.position) for lab in load_corpus_labels(labels)}
    moved = next(i for i, f in enumerate(doc.findings) if normalise(f.text) == normalise(NEW_MARKED))
    assert doc.findings[moved].recommendation
    assert after == {(fingerprint(kept_text), 5), (fingerprint(NEW_MARKED), moved)}
    # run again: everything attaches, nothing changes
    again = repoint.repoint_file(labels, corpus, dry_run=False, log=None)
    assert again == {repoint.KEPT: 2}
    assert {(lab.fingerprint, lab.position) for lab in load_corpus_labels(labels)} == after


@pytest.mark.slow
def test_committed_labels_all_attach(corpus):
    """After the script has run, every committed corpus label attaches to a finding of today's reader."""
    counts = repoint.repoint_file(REPO / "data" / "labels" / "second_reader.csv", corpus, dry_run=True, log=None)
    assert set(counts) == {repoint.KEPT}
