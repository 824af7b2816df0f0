"""spaCy's English tokenizer in Python (ofsted_nlp.reading.tokenizing) makes spaCy's tokens, from rules saved from it."""

from __future__ import annotations

import json
import random
from importlib import metadata

import pytest
import spacy
from conftest import SEEDS

from ofsted_nlp.reading import tokenizing

SAVED = json.loads(tokenizing.RULES_PATH.read_text(encoding="utf-8"))
SAME_SPACY = SAVED["spacy"] == metadata.version("spacy")


@pytest.fixture(scope="module")
def spacy_tokenizer():
    """The installed spaCy's tokenizer, to compare with: only where it is the saved rules' version (under
    another, test_saved_rules_are_the_installed_spacys_or_their_drift_is_reported says how they differ)."""
    if not SAME_SPACY:
        pytest.skip(f"spaCy {metadata.version('spacy')} is not the saved rules' {SAVED['spacy']}: its drift is reported")
    return spacy.blank("en").tokenizer


@pytest.fixture(scope="module")
def ours():
    return tokenizing.PieceTokenizer(SAVED)


TRICKY = ["services.", "e.g.", "(e.g.", "i.e.,", "Mr.", "St.", "No.", "1.5", "1.5.", "5.2.3", "U.K.", "a.m.",
          "10a.m.", "10p.m.).", "can't.", "'s", "children's.", "(see", "paragraph).", '"quote."', "\u201cquote.\u201d",
          "www.ofsted.gov.uk.", "https://www.gov.uk/ofsted.", "enquiries@ofsted.gov.uk.", "well-being.", "(CSC).",
          "90%.", "\u00a31.5m.", "2019/20.", "...", "?!", "Wait...what?", ":)", "(:)[]", ">:(\u2026#", "<3.", "o.O",
          "A.B.", "etc.)", "Jan.", "Inc.", "\u2018child\u2019s\u2019.", "\u2014", "\u2026.", "\uff01", "\u3002x"]


def _random_pieces(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = list("abcXYZ019.,;:!?()[]{}\"'-\u2013\u2014\u2026/\\@#$%^&*+=<>~`|_\u00ab\u00bb") + [
        "'s", "n't", "e.g.", "U.K.", "a.m.", ":)", "<3", "www.", "http://", "Mr.", "10p.m.", "(-:", "o.O", ":-)",
        "'em", "\u0ca0_\u0ca0"]
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(n)]


def test_the_saved_rules_are_used_whatever_spacy_is_installed(monkeypatch):
    """The saved rules are the specification of sentence splitting: a spaCy patch release changes neither
    the tokens nor the speed (spaCy is no longer consulted for its version)."""
    tokenizing.piece_tokenizer.cache_clear()
    monkeypatch.setattr(tokenizing.metadata, "version", lambda name: "3.99.0")
    try:
        assert tokenizing.piece_tokenizer() is not None
        assert tokenizing.piece_tokenizer()("services.") == ["services", "."]
    finally:
        tokenizing.piece_tokenizer.cache_clear()


def test_saved_rules_are_the_installed_spacys_or_their_drift_is_reported():
    """Where the installed spaCy is the rules' own version, its rules are exactly the saved ones. Under
    another spaCy the test reports (as its skip reason) how many seed and tricky pieces it would tokenize
    otherwise: the saved rules are still followed."""
    if SAME_SPACY:
        assert tokenizing.rules_from_spacy() == SAVED
        assert tokenizing.drift(TRICKY) == []
        return
    pieces = sorted({p for path in SEEDS.glob("*.txt") for p in path.read_text(encoding="utf-8").split()} | set(TRICKY))
    drifted = tokenizing.drift(pieces)
    pytest.skip(f"spaCy {metadata.version('spacy')} installed, the saved rules are spaCy {SAVED['spacy']}'s: "
                f"{len(drifted)} of {len(pieces)} pieces would be tokenized otherwise by it "
                f"(e.g. {drifted[:3]}); sentence splitting follows the saved rules")


def test_pieces_are_tokenized_as_spacy_does(spacy_tokenizer, ours):
    pieces = TRICKY + _random_pieces(20000, seed=1)
    got = [ours(p) for p in pieces]
    want = [[t.text for t in spacy_tokenizer(p)] for p in pieces]
    assert [p for p, g, w in zip(pieces, got, want) if g != w] == []
    assert sum(len(w) > 1 for w in want) > 10000  # the pieces exercise the affix and special-case rules


def test_special_cases_among_any_characters_are_tokenized_as_spacy_does(spacy_tokenizer, ours):
    """Pieces of letters, digits, punctuation and symbols of several scripts around the special cases."""
    rng = random.Random(99)
    pool = [chr(c) for c in [*range(33, 127), *range(0xA1, 0x250), *range(0x2010, 0x2070), *range(0x3000, 0x3020),
                             *range(0xFF01, 0xFF20)] if not chr(c).isspace()]
    specials = [k for k in SAVED["special_cases"] if not any(c.isspace() for c in k)]

    def some(k: int) -> str:
        return "".join(rng.choice(pool) for _ in range(rng.randint(0, k)))

    pieces = [rng.choice([some(10) or "x", rng.choice(specials) + some(3), some(3) + rng.choice(specials) + some(2)])
              for _ in range(20000)]
    assert [p for p in pieces if ours(p) != [t.text for t in spacy_tokenizer(p)]] == []


def test_the_seed_letters_pieces_are_tokenized_as_spacy_does(spacy_tokenizer, ours):
    pieces = sorted({p for path in SEEDS.glob("*.txt") for p in path.read_text(encoding="utf-8").split()})
    assert len(pieces) > 1000
    assert [p for p in pieces if ours(p) != [t.text for t in spacy_tokenizer(p)]] == []


@pytest.mark.slow
def test_every_corpus_piece_is_tokenized_as_spacy_does(corpus_letters, spacy_tokenizer, ours):
    pieces = sorted({p for letter in corpus_letters.values() if hasattr(letter, "blocks")
                     for b in letter.blocks for p in b.text.split()})
    assert len(pieces) > 20000
    assert [p for p in pieces if ours(p) != [t.text for t in spacy_tokenizer(p)]] == []


def test_is_punct_is_spacys(spacy_tokenizer):
    from spacy.attrs import IS_PUNCT

    spacys = spacy_tokenizer.vocab.lex_attr_getters[IS_PUNCT]
    for text in TRICKY + ["!", "\u00ab", "\u2014", "--", "%", "$", "#", "a", "\u0661"]:
        assert tokenizing.is_punct(text) == spacys(text), text


@pytest.mark.parametrize("damage", ["not json", '{"format": 1}', "[]", "bad pattern"])
def test_a_damaged_rules_file_leaves_tokenizing_to_spacy(tmp_path, monkeypatch, damage):
    if damage == "bad pattern":
        rules = dict(SAVED, prefix={"pattern": "(unclosed", "flags": 32})
        damage = json.dumps(rules)
    elif damage == '{"format": 1}':
        damage = json.dumps({"format": 1, "spacy": metadata.version("spacy")})  # the right version, no rules
    path = tmp_path / "rules.json"
    path.write_text(damage, encoding="utf-8")
    monkeypatch.setattr(tokenizing, "RULES_PATH", path)
    tokenizing.piece_tokenizer.cache_clear()
    try:
        assert tokenizing.piece_tokenizer() is None
    finally:
        tokenizing.piece_tokenizer.cache_clear()
