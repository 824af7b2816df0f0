"""Label files: validation on load, coverage of the committed labels, re-attachment to text."""

from __future__ import annotations

import csv

import pytest
from conftest import REPO

from ofsted_nlp.training.labels import (
    THEMES,
    Label,
    LabelError,
    attach,
    fingerprint,
    load_corpus_labels,
    load_seed_labels,
    normalise,
    write_corpus_labels,
)

LABELS = REPO / "data" / "labels"


def _write(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def test_unknown_theme_names_file_and_line(tmp_path):
    path = tmp_path / "corpus.csv"
    _write(path, ["document", "fingerprint", "position", "themes", "polarity"],
           [["a", "0" * 16, 1, "caseloads", "negative"], ["a", "1" * 16, 2, "workload", "negative"]])
    with pytest.raises(LabelError, match=r"corpus\.csv:3: unknown theme 'workload'"):
        load_corpus_labels(path)


def test_unknown_polarity_names_file_and_line(tmp_path):
    path = tmp_path / "seeds.csv"
    _write(path, ["document", "index", "text", "themes", "polarity"],
           [["d", 0, "Caseloads are high.", "caseloads", "bad"]])
    with pytest.raises(LabelError, match=r"seeds\.csv:2: unknown polarity 'bad'"):
        load_seed_labels(path)


def test_bad_fingerprint_and_duplicates(tmp_path):
    path = tmp_path / "corpus.csv"
    _write(path, ["document", "fingerprint", "position", "themes", "polarity"], [["a", "xyz", 1, "", "neutral"]])
    with pytest.raises(LabelError, match="fingerprint must be 16 hex"):
        load_corpus_labels(path)
    _write(path, ["document", "fingerprint", "position", "themes", "polarity"],
           [["a", "0" * 16, 1, "", "neutral"], ["a", "0" * 16, 5, "", "neutral"]])
    with pytest.raises(LabelError, match="labelled twice"):
        load_corpus_labels(path)


def test_fingerprint_ignores_case_punctuation_and_spacing():
    assert normalise("Social workers’ caseloads are  HIGH.") == "social workers caseloads are high"
    assert fingerprint("Caseloads are high.") == fingerprint("caseloads  are high")
    assert fingerprint("Caseloads are high.") != fingerprint("Caseloads are low.")


def test_normalise_is_the_runs_of_letters_and_digits_of_the_lower_cased_text():
    """The ASCII fast path (translate and split) and the regex agree: on every ASCII character, and on
    every code point (lower() can make ASCII letters of others: the Kelvin sign is a "k")."""
    import re
    import sys

    def by_regex(text: str) -> str:
        return " ".join(re.findall(r"[a-z0-9]+", text.lower()))

    ascii_text = "".join(map(chr, range(128)))
    assert normalise(ascii_text + "Care LEAVERS" + ascii_text) == by_regex(ascii_text + "Care LEAVERS" + ascii_text)
    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    chunks = [every[i : i + 40] for i in range(0, len(every), 40)]
    assert [normalise(c) for c in chunks] == [by_regex(c) for c in chunks]
    assert normalise("\u212aids\u2019 plans\tare\x1fGOOD") == "kids plans are good"


def test_attach_prefers_the_occurrence_nearest_its_position():
    sents = ["A system is in place.", "Other.", "Another.", "A system is in place."]
    lab = Label("d", ("caf",), "positive", fingerprint=fingerprint("A system is in place."), position=3)
    ok, missing = attach([lab, Label("d", (), "neutral", fingerprint="f" * 16, position=0)], sents)
    assert [x.position for x in ok] == [3] and ok[0].text == "A system is in place."
    assert len(missing) == 1


def test_committed_labels_cover_what_the_model_needs():
    seeds = load_seed_labels(LABELS / "seeds.csv")
    corpus = load_corpus_labels(LABELS / "corpus.csv")
    assert {s.document for s in seeds} == {p.stem for p in (REPO / "data" / "letters").glob("*.txt")}
    assert len(corpus) >= 1000
    docs = {c.document for c in corpus}
    assert len(docs) >= 80
    every = seeds + corpus
    for theme in THEMES:
        assert sum(theme in x.themes for x in every) >= 60, theme
    polarity = [x.polarity for x in every]
    for p in ("positive", "negative", "neutral"):
        assert polarity.count(p) >= 150, p


def test_corpus_labels_hold_no_text():
    header = (LABELS / "corpus.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "document,fingerprint,position,themes,polarity,drawn"


def test_drawn_is_read_written_and_optional(tmp_path):
    fp = fingerprint("Supervision is regular.")
    old = tmp_path / "old.csv"
    _write(old, ["document", "fingerprint", "position", "themes", "polarity"], [["doc_a", fp, "3", "", "neutral"]])
    assert load_corpus_labels(old)[0].drawn == ""  # files written before the column still load
    new = tmp_path / "new.csv"
    _write(new, ["document", "fingerprint", "position", "themes", "polarity", "drawn"],
           [["doc_a", fp, "3", "supervision", "positive", "uncertain:polarity"]])
    [label] = load_corpus_labels(new)
    assert label.drawn == "uncertain:polarity"
    again = tmp_path / "again.csv"
    write_corpus_labels(again, [label])
    assert load_corpus_labels(again) == [label]
    assert attach([label], ["Supervision is regular."])[0][0].drawn == "uncertain:polarity"
    _write(new, ["document", "fingerprint", "position", "themes", "polarity", "drawn"],
           [["doc_a", fp, "3", "", "positive", "Random, by hand"]])
    with pytest.raises(LabelError, match=r"new.csv:2: drawn"):
        load_corpus_labels(new)


def test_committed_labels_say_how_each_sentence_was_drawn():
    drawn = [x.drawn for x in load_corpus_labels(LABELS / "corpus.csv")]
    assert drawn.count("random") >= 3000  # the sentences the fairest scores are taken on
    assert sum(1 for d in drawn if not d) <= 5
    assert {d.split(":")[0] for d in drawn if d} == {"random", "net", "uncertain"}


def _check_reattached(corpus, labels_dir, letters) -> None:
    """Every label of ``labels_dir`` attaches to the findings of ``letters`` (the corpus documents as read), and
    both letters and reports are among them."""
    from ofsted_nlp.training.dataset import load_training_data

    data = load_training_data(labels_dir=labels_dir, corpus=corpus, reader=lambda path: letters[path.stem])
    assert data.unattached == []
    assert len(data.texts) == len(load_seed_labels(labels_dir / "seeds.csv")) + \
        len(load_corpus_labels(labels_dir / "corpus.csv"))
    # both letters and reports are represented
    kinds = {}
    for folder in ("letters", "reports"):
        with open(corpus / f"{folder}.csv", newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                kinds[row["id"]] = folder
    used = {kinds.get(d) for d in data.documents if d in kinds}
    assert used == {"letters", "reports"}


def test_the_labels_of_the_corpus_sample_reattach(corpus, corpus_sample, tmp_path):
    """The default run's check: the committed labels of the fixed corpus sample's documents (a labels folder
    of the seed labels and those corpus labels) all attach."""
    sample = [x for x in load_corpus_labels(LABELS / "corpus.csv") if x.document in corpus_sample]
    assert len(sample) > 800
    (tmp_path / "seeds.csv").write_bytes((LABELS / "seeds.csv").read_bytes())
    write_corpus_labels(tmp_path / "corpus.csv", sample)
    _check_reattached(corpus, tmp_path, corpus_sample)


@pytest.mark.slow
def test_every_label_reattaches_on_a_clean_checkout(corpus, corpus_letters):
    _check_reattached(corpus, LABELS, corpus_letters)
