"""`ofsted-nlp train`: gold labels alone, or with a teacher's soft labels for polarity to learn from."""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

from ofsted_nlp.schema import POLARITIES, THEMES
from ofsted_nlp.training.teacher.soft import assemble, soft_labels_for_findings, write_part


def _train(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ofsted_nlp.cli.app", "train", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def seed_labels(tmp_path_factory) -> Path:
    """A labels folder with the seed letters' labels only (no corpus labels, so training is quick)."""
    folder = tmp_path_factory.mktemp("labels")
    shutil.copy(REPO / "data" / "labels" / "seeds.csv", folder / "seeds.csv")
    return folder


@pytest.fixture(scope="module")
def positive_soft(corpus, tmp_path_factory) -> tuple[Path, list[str]]:
    """Soft labels that call every finding of two focused-visit letters positive (a teacher's strong opinion)."""
    from ofsted_nlp.reading.letter import read_letter
    from ofsted_nlp.training.splits import document_strata

    strata = document_strata(corpus)
    docs = [d for d in sorted(strata) if strata[d] == "letters"][:2]
    parts = tmp_path_factory.mktemp("soft")
    texts: list[str] = []
    for doc in docs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            letter = read_letter(corpus / strata[doc] / f"{doc}.pdf")
        sentences = [f.text for f in letter.findings]
        write_part(parts / f"{doc}.csv", soft_labels_for_findings(
            doc, letter.new_la_code, sentences, [[0.01] * len(THEMES)] * len(sentences),
            [[0.98, 0.01, 0.01]] * len(sentences)))
        texts += sentences
    out = parts / "soft.csv.gz"
    assemble(sorted(parts.glob("*.csv")), out)
    return out, texts


@pytest.mark.slow  # trains two models (~40 s on 2 free cores)
def test_train_with_soft_labels_learns_polarity_from_them(tmp_path, seed_labels, positive_soft, corpus):
    """The same gold labels with and without the soft labels: the soft ones pull their sentences to positive,
    and the card says what the model learnt from."""
    from ofsted_nlp import load_model

    soft, texts = positive_soft
    gold_only, with_soft = tmp_path / "gold.npz", tmp_path / "soft.npz"
    r = _train("--labels", str(seed_labels), "--no-evaluate", "--no-soft", "-o", str(gold_only), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = _train("--labels", str(seed_labels), "--no-evaluate", "--soft", str(soft), "--soft-weight", "2",
               "--corpus", str(corpus), "-o", str(with_soft), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    plain, student = load_model(gold_only), load_model(with_soft)
    card = student.info["card"]
    assert card["soft_labels"]["sentences"] == len(texts)
    assert card["soft_labels"]["unattached"] == 0 and card["soft_labels"]["weight"] == 2.0
    assert "soft_labels" not in plain.info["card"]
    k = POLARITIES.index("positive")
    assert student.tag(texts).polarity_proba[:, k].mean() > plain.tag(texts).polarity_proba[:, k].mean() + 0.2
    # themes and vocabulary come from the gold labels alone: the soft labels leave them as they were
    assert student.thresholds == plain.thresholds
    assert np.allclose(student.tag(texts).theme_proba, plain.tag(texts).theme_proba)


def test_train_refuses_a_missing_soft_file_and_both_flags(tmp_path, seed_labels):
    r = _train("--labels", str(seed_labels), "--no-evaluate", "--soft", str(tmp_path / "none.csv.gz"),
               "-o", str(tmp_path / "m.npz"), cwd=tmp_path)
    assert r.returncode != 0 and "none.csv.gz" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    import os

    os.mkfifo(tmp_path / "fifo")  # a FIFO is named as what it is, and nothing waits on it
    r = _train("--labels", str(seed_labels), "--no-evaluate", "--soft", str(tmp_path / "fifo"),
               "-o", str(tmp_path / "m.npz"), cwd=tmp_path)
    assert r.returncode != 0 and r.stderr.strip().endswith("fifo: not a regular file"), r.stderr
    r = _train("--labels", str(seed_labels), "--soft", "x.csv.gz", "--no-soft", cwd=tmp_path)
    assert r.returncode != 0 and "--no-soft" in r.stderr
    assert not (tmp_path / "m.npz").exists()
