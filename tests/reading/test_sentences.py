"""split_sentences gives exactly the sentences of spaCy's tokenizer and stock ``sentencizer``; the finding filter."""

from __future__ import annotations

import random

import pytest
import spacy

from ofsted_nlp.reading import sentences as segmenting
from ofsted_nlp.reading.sentences import nlp, split_sentences

TRICKY = [
    "Mr. Smith met Dr. Jones on 5 Jan. 2019. They talked.",
    "Plans (e.g. for care leavers) are good. Others, i.e. most, are not.",
    "See No. 5 and para. 3.2. Then stop.",
    "Scores rose from 1.5 to 2.25. Good.",
    "Wait... what? Really?! Yes.",
    "He said \"stop.\" Then he left.",
    "It ended (as planned.) The next began.",
    "Quotes 'single.' and \u201ccurly.\u201d Then more.",
    "J. K. Rowling and A.B. Smith wrote. Done.",
    "Why?!! Because . . . reasons. Ok",
    ". Leading full stop. Then text.",
    "\"Leading quote. Then text.",
    "  Leading spaces. Trailing spaces.  ",
    "Full-width\uff01 Next\uff1f And\u3002 more\uff0e end",
    "Ellipsis\u2026 next \u203c more \u2047 done \u2049 fin",
    "www.ofsted.gov.uk is a site. email@ofsted.gov.uk too.",
    "Numbers 1. 2. 3. in a row. Then words.",
    "A sentence.Another without space.And a third.",
    "Brackets [see above.] {and this.} end.",
    "Mixed ?\" ) . next",
    "No end mark at all",
    ".",
    "...",
    "",
]


@pytest.fixture(scope="module")
def stock():
    from importlib import metadata

    from ofsted_nlp.reading import tokenizing

    if tokenizing.saved_version() != metadata.version("spacy"):
        pytest.skip("the installed spaCy is not the saved tokenizer rules' version: its drift is reported by "
                    "tests/reading/test_tokenizing.py")
    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    return pipeline


def _starts(doc) -> list[int]:
    return [t.i for t in doc if t.is_sent_start]


def _stock_split(stock, texts: list[str]) -> list[list[str]]:
    """split_sentences as it was, with the stock sentencizer and Doc.sents."""
    return [[s.text.strip() for s in stock(t).sents if s.text.strip()] for t in texts]


def _through_spacy(texts: list[str]) -> list[str]:
    """The texts split_sentences gives to spaCy (it keeps a text with no inner sentence-ending mark whole)."""
    return [t for t in texts if segmenting._INNER_END.search(t.strip().rstrip(segmenting._TRAILING))]


def _random_texts(n: int, seed: int = 7) -> list[str]:
    pieces = ["word", "Care", "e.g.", "Mr.", "No.", "1.5", "5", ".", "..", "...", "!", "?", "?!", '"', "'", ")",
              "(", "]", ",", ";", ":", "-", "\u2014", "\u2026", "\u3002", "\uff01", "\u203c", "\u00bf", "'s",
              "n't", "U.K.", "a.m.", ":)", "www.x.org"]
    rng = random.Random(seed)
    return ["".join(rng.choice(pieces) + rng.choice(["", " ", " ", "  "]) for _ in range(rng.randint(1, 25)))
            for _ in range(n)]


def test_split_sentences_matches_stock_whatever_the_whitespace(stock):
    """Texts that begin or end with whitespace, or hold runs of it (spaCy makes a token of any run but the
    single space after a piece), split as the stock sentencizer splits them."""
    rng = random.Random(5)
    spaces = ["", "", " ", "  ", "\n", "\t", " \n ", "\n\n", "\xa0"]
    texts = [rng.choice(spaces) + t.replace(" ", rng.choice(spaces) or " ") + rng.choice(spaces)
             for t in TRICKY + _random_texts(3000, seed=13)]
    texts += [" . Leading", ". ", "\n.", "a.\n\n", "\n\nB. c", "!", " ", "", "end.  (Next", "end. \n\"Next",
              "end. - (\"Next", "end. --- ) . next", "end.\u3000Next", "a.b.c. D"]
    through = _through_spacy(texts)
    assert len(through) > 1500
    assert split_sentences(through) == _stock_split(stock, through)


@pytest.fixture(params=["rules in Python", "spaCy"])
def reader(request, monkeypatch):
    """split_sentences with either tokenizer: spaCy's rules in Python (where they are the installed spaCy's),
    and spaCy itself (the fallback)."""
    from ofsted_nlp.reading.tokenizing import piece_tokenizer

    if request.param == "spaCy":
        made = segmenting.PieceStarts(nlp())
    else:
        pieces = piece_tokenizer()
        if pieces is None:  # pragma: no cover - another spaCy installed
            pytest.skip("the saved tokenizer rules are another spaCy's")
        made = segmenting.PieceStarts(pieces=pieces)
    monkeypatch.setattr(segmenting, "piece_starts", lambda: made)
    return made


def test_split_sentences_matches_stock_with_either_tokenizer(stock, reader):
    texts = _through_spacy(TRICKY + _random_texts(1500, seed=21))
    assert split_sentences(texts) == _stock_split(stock, texts)


def test_split_sentences_reads_a_piece_once(stock, reader):
    """A piece's reading is kept: the same text split again tokenizes nothing, and splits the same."""
    text = "Plans (e.g. for care leavers) are good.(New ones) follow. \u201cQuotes.\u201d End"
    first = split_sentences([text])
    assert "good.(New" in reader.known and "(e.g." in reader.known
    learnt = dict(reader.known)
    reader.learn = lambda pieces: pytest.fail(f"tokenized again: {pieces}")
    assert split_sentences([text]) == first == _stock_split(stock, [text])
    assert reader.known == learnt


def test_split_sentences_matches_stock(stock):
    texts = _through_spacy(TRICKY + _random_texts(1000, seed=3))
    assert len(texts) > 500
    assert split_sentences(texts) == _stock_split(stock, texts)
    assert split_sentences(["Mr. Smith arrived. He sat."]) == [["Mr. Smith arrived.", "He sat."]]


def _corpus_blocks(corpus_letters, every: int) -> list[str]:
    blocks = [b.text for letter in corpus_letters.values() if hasattr(letter, "blocks") for b in letter.blocks]
    return _through_spacy(blocks[::every])


def test_split_sentences_matches_stock_on_corpus_blocks(corpus_sample, stock):
    """Every cleaned block of the corpus sample's documents (letters and reports of each framework) splits as
    the stock sentencizer splits it; the whole corpus's blocks are the slow test below."""
    texts = _corpus_blocks(corpus_sample, every=1)
    assert len(texts) > 2500
    assert split_sentences(texts) == _stock_split(stock, texts)


@pytest.mark.slow
def test_split_sentences_matches_stock_on_every_corpus_block(corpus_letters, stock):
    """Every cleaned block of the whole corpus splits as the stock sentencizer splits it."""
    texts = _corpus_blocks(corpus_letters, every=1)
    assert len(texts) > 30000
    assert split_sentences(texts) == _stock_split(stock, texts)


@pytest.mark.parametrize(
    "sentence, finding",
    [
        ("Leaders have improved the quality of supervision for social workers.", True),
        ("Fieldwork was carried out under section 136 of the Education and Inspections Act.", False),
        # case-insensitive patterns also match 'İ' for 'i': the ASCII-only guards must not skip these
        ("Fieldwork was carrİed out under the new framework for these visits.", False),
        ("Help and protection Requires improvement 2. Leaders act quickly here.", False),
        ("Practice was outstandİng 1. Leaders were outstandİng in every area.", False),
        ("The leadership of the service is outstandİng", False),
        ("The leadership of the service is good", False),
        ("The leadership of the service is good and improving steadily over time.", True),
        ("Managers review 95% of plans within 10 days, which is good practice.", True),
        # a row of a judgement table with no grade given (the grades are the ones headings carry)
        ("The experiences and progress of care leavers Not judged", False),
        ("Leaders have not judged the impact of the new model well.", True),
        # the area statistics' bare figures: digits and words found before the case-insensitive pattern runs
        ("In primary schools is 14.9% (the national proportion is 15.6%).", False),
        ("In primary schools is \u0661\u0664.\u0669% (the national proportion is \u0661\u0665.\u0666%).", False),
        ("FEWER THAN FIVE live outside the local authority area.", False),
        ("None live outside the local authority area.", False),
        ("Fewer than f\u0130ve live outs\u0130de the local authority area.", False),
        ("Fewer than five live outside the local authority area, which is too many.", True),
        ("Children and young people from minority ethnic groups account for 12% of all children.", False),
    ],
)
def test_is_finding_text_guards_do_not_change_the_rules(sentence, finding):
    assert segmenting.is_finding_text(sentence) is finding


def test_threads_split_as_one_does_while_the_cache_starts_again(stock, reader):
    """Eight threads splitting at once, with a piece cache so small that it keeps starting again, find the
    sentences one thread finds (and spaCy's stock sentencizer)."""
    from concurrent.futures import ThreadPoolExecutor

    texts = _through_spacy(TRICKY + _random_texts(400, seed=31))
    expected = _stock_split(stock, texts)
    reader.limit = 20
    reader.known = {}
    batches = [texts[i::8] for i in range(8)] * 4
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(split_sentences, batches))
    for batch, got in zip(batches, results):
        assert got == [expected[texts.index(t)] for t in batch]
    assert len(reader.known) <= 20 + max(len(b) for b in batches) * 25  # started again, did not grow unbounded
