"""The fixed evaluation split keeps authorities apart, and every label falls on exactly one side."""

from __future__ import annotations

import random
import warnings
from collections import Counter, defaultdict

import pytest

from ofsted_nlp.authorities.lookup import authority_by_code, load_authorities
from ofsted_nlp.training.splits import (
    FAMILIES,
    HELDOUT_FILE,
    STRATA,
    SplitError,
    choose_heldout,
    family,
    heldout_mask,
    label_strata,
    load_heldout,
)


def test_committed_list_holds_out_whole_families_of_known_authorities():
    held = load_heldout()
    assert 15 <= len(held) <= 30  # about a fifth of the ~100 labelled authorities (and their families)
    for code in held:
        assert authority_by_code(code) is not None, code
        assert family(code) <= held
    # a reorganised authority is never split from its predecessors
    for fam in FAMILIES:
        assert fam <= held or not (fam & held)


def _synthetic_counts(seed: int) -> dict[str, dict[str, int]]:
    rng = random.Random(seed)
    codes = [a.new_la_code for a in load_authorities()]
    return {c: {"letters": rng.randint(0, 40), "reports": rng.randint(0, 120)} for c in codes}


def test_choice_is_deterministic_stratified_and_keeps_families_together():
    counts = _synthetic_counts(7)
    chosen = choose_heldout(counts)
    shuffled = dict(sorted(counts.items(), key=lambda kv: random.Random(1).random()))
    assert choose_heldout(shuffled) == chosen  # independent of the order the counts come in
    held = set(chosen)
    for fam in FAMILIES:
        assert fam <= held or not (fam & held)
    for k in STRATA:
        total = sum(c[k] for c in counts.values())
        share = sum(counts[c][k] for c in held if c in counts) / total
        assert 0.19 <= share <= 0.22, (k, share)
    # the choice follows the counts: an authority that alone holds half the letters cannot be held out
    heavy = chosen[0]
    counts[heavy] = {"letters": sum(c["letters"] for c in counts.values()), "reports": 1}
    assert heavy not in choose_heldout(counts)


def test_a_list_that_splits_a_family_or_repeats_a_code_is_refused(tmp_path):
    bad = tmp_path / "heldout.csv"
    bad.write_text("new_la_code,la_name\nE06000058,BCP\n", encoding="utf-8")
    with pytest.raises(SplitError, match="without E06000028, E06000029"):
        load_heldout(bad)
    bad.write_text("new_la_code,la_name\nE09000012,Hackney\nE09000012,Hackney\n", encoding="utf-8")
    with pytest.raises(SplitError, match="listed twice"):
        load_heldout(bad)
    with pytest.raises(SplitError, match=str(tmp_path / "absent.csv")):
        load_heldout(tmp_path / "absent.csv")


@pytest.fixture(scope="module")
def training_data(corpus):
    from ofsted_nlp.training.dataset import load_training_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_training_data(corpus=corpus)


@pytest.mark.slow
def test_every_label_is_on_exactly_one_side_and_no_authority_on_both(training_data, corpus):
    data = training_data
    held = load_heldout(HELDOUT_FILE)
    mask = heldout_mask(data.groups, held)
    assert len(mask) == len(data.texts)
    # every label's side is decided by a real authority code, not a fallback name
    assert all(authority_by_code(g) is not None for g in data.groups)
    test_side = {g for g, m in zip(data.groups, mask) if m}
    train_side = {g for g, m in zip(data.groups, mask) if not m}
    assert test_side and train_side
    assert not test_side & train_side
    # nor a family across the two sides
    assert not {c for g in test_side for c in family(g)} & train_side
    # and no document on both sides
    docs_test = {d for d, m in zip(data.documents, mask) if m}
    docs_train = {d for d, m in zip(data.documents, mask) if not m}
    assert not docs_test & docs_train
    # both kinds of document are held out in about a fifth, on all labels and on those drawn at random
    kinds = label_strata(data.documents, corpus)
    for k in STRATA:
        for random_only in (False, True):
            sel = [m for m, kk, dr in zip(mask, kinds, data.drawn) if kk == k and (dr == "random" or not random_only)]
            assert 0.15 <= sum(sel) / len(sel) <= 0.25, (k, random_only, sum(sel), len(sel))


@pytest.mark.slow
def test_split_counts_per_authority_and_kind_reproduce_a_fifth(training_data, corpus):
    # Drawing afresh from today's labels keeps the committed list's balance:
    # no kind of document is left out of the held-out side.
    counts: dict[str, Counter] = defaultdict(Counter)
    for g, k in zip(training_data.groups, label_strata(training_data.documents, corpus)):
        counts[g][k] += 1
    chosen = set(choose_heldout(counts))
    for k in STRATA:
        total = sum(c[k] for c in counts.values())
        assert 0.18 <= sum(counts[g][k] for g in chosen if g in counts) / total <= 0.23
