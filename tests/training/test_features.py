"""Feature extractors: scikit-learn's contracts, equal to scikit-learn's own where they say so, and their caches."""

from __future__ import annotations

import pickle

import numpy as np
from conftest import REPO
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from ofsted_nlp.tagging import codebook as keywords
from ofsted_nlp.tagging import wordtable
from ofsted_nlp.training.features import CharNgramTfidf, CodebookFeatures, WordNgramTfidf
from ofsted_nlp.training.labels import load_seed_labels

TEXTS = [x.text for x in load_seed_labels(REPO / "data" / "labels" / "seeds.csv")]


# Texts that test the edges of tokenisation: one-letter words, digits and
# underscores, punctuation glued to words, repeated n-grams, non-ASCII
# letters and quotes, runs of whitespace, an empty text.
ODD = [
    "A a I ox: is it? e.g. no_1 2019-20 x_y", "the the the social social worker worker worker",
    "Children\u2019s \u201cvoice\u201d \u2013 na\u00efve caf\u00e9 \u00c9COLE", "", "   \t\n  ",
    "Unseen wordz and a  double  space.", "out-of-hours/EDT (weekend) services; step-down", "...!!!",
]


def test_word_ngrams_equal_sklearns_tfidf():
    train, test = TEXTS[:120] + ODD[:3], TEXTS[120:] + ODD
    ref = TfidfVectorizer(ngram_range=(1, 3), min_df=2, sublinear_tf=True)
    mine = WordNgramTfidf(ngram_range=(1, 3), min_df=2, sublinear_tf=True)
    A, B = ref.fit_transform(train), mine.fit_transform(train)
    assert list(ref.get_feature_names_out()) == list(mine.get_feature_names_out())
    assert abs(A - B).max() < 1e-12
    for _ in range(2):  # the per-word tables are filled on the first call and read on the second
        assert abs(ref.transform(test) - mine.transform(test)).max() < 1e-12
    assert abs(ref.transform(train) - mine.transform(train)).max() < 1e-12


def test_char_ngrams_are_sklearns_with_each_occurrence_in_the_norm():
    train, test = TEXTS[:120] + ["a an I ox"], TEXTS[120:] + ODD
    mine = CharNgramTfidf(ngram_range=(3, 5), min_df=2, max_features=500).fit(train)
    ref = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, max_features=500).fit(train)
    assert list(ref.get_feature_names_out()) == list(mine.get_feature_names_out())
    assert np.allclose(ref.idf_, mine.idf_)
    counts = CountVectorizer(analyzer="char_wb", ngram_range=(3, 5), vocabulary=ref.vocabulary_).transform(test)
    counts = counts.toarray().astype(float)
    norm = np.sqrt(counts @ mine.idf_ ** 2)
    expected = counts * mine.idf_ / np.where(norm > 0, norm, 1.0)[:, None]
    assert np.abs(mine.transform(test).toarray() - expected).max() < 1e-12
    # where no n-gram repeats in a sentence, the norm is the usual l2 norm
    once = (counts <= 1).all(axis=1) & (counts.sum(axis=1) > 0)
    assert once.any()
    assert np.allclose(np.linalg.norm(expected[once], axis=1), 1.0)


def test_char_projection_is_transform_times_weights():
    chars = CharNgramTfidf(min_df=1).fit(TEXTS)
    W = np.random.default_rng(0).normal(size=(len(chars.vocabulary_), 4))
    for batch in (TEXTS[:50], TEXTS[50:] + ODD, TEXTS[:50]):  # new words, then words seen before
        assert np.abs(chars.project(batch, W) - chars.transform(batch) @ W).max() < 1e-10
    W2 = W[:, ::-1].copy()  # other weights: the per-word sums are worked out again
    assert np.abs(chars.project(TEXTS, W2) - chars.transform(TEXTS) @ W2).max() < 1e-10


def test_word_tables_start_again_when_the_index_is_full():
    """Each transformer's word table is its own (no index shared by the process), and a full index starts
    a new generation without giving stale rows."""
    words = WordNgramTfidf().fit(TEXTS)
    chars = CharNgramTfidf(min_df=1).fit(TEXTS)
    W = np.ones((len(chars.vocabulary_), 1))
    expected_words = words.transform(TEXTS).toarray()
    expected_chars = chars.project(TEXTS, W)
    expected_counts = keywords.count_batch(TEXTS)
    indexes = [words._counter().cache.index, chars.__dict__["_cache"]["project"].cache.index]
    assert indexes[0] is not indexes[1] and all(len(i.words) > 300 for i in indexes)
    # an index that holds fewer words than TEXTS has: each batch starts a new generation
    for index in indexes:
        index.__init__(limit=300)
    generations = [i.generation for i in indexes]
    counter = keywords.CodebookCounter(wordtable.WordCache(limit=300))
    for k in range(0, len(TEXTS), 40):
        batch = TEXTS[k:k + 40]
        assert np.abs(words.transform(batch).toarray() - expected_words[k:k + 40]).max() < 1e-12
        assert np.abs(chars.project(batch, W) - expected_chars[k:k + 40]).max() < 1e-10
        counts = counter.count(batch)
        assert np.array_equal(counts.themes, expected_counts.themes[k:k + 40])
        assert np.array_equal(counts.cues, expected_counts.cues[k:k + 40])
    for index, generation in zip(indexes + [counter.cache.index], generations + [generations[1]]):
        assert index.generation > generation + 2  # the tables were rebuilt, not reused


def test_char_ngrams_pickle_without_cache():
    mine = CharNgramTfidf(min_df=1).fit(TEXTS)
    mine.project(TEXTS[:5], np.ones((len(mine.vocabulary_), 2)))
    assert mine.__dict__.get("_cache")
    again = pickle.loads(pickle.dumps(mine))
    assert "_cache" not in again.__dict__
    assert abs(again.transform(TEXTS) - mine.transform(TEXTS)).max() == 0


def test_codebook_features_count_the_codebooks_words():
    f = CodebookFeatures().fit(TEXTS)
    names = list(f.get_feature_names_out())
    X = f.transform(["Social workers carry high caseloads.", "The child is subject to a supervision order.",
                     "Ensure that plans are specific."]).toarray()
    assert X[0, names.index("codebook:caseloads")] > 0
    assert X[1, names.index("codebook:supervision")] == 0  # the codebook's exclusion
    assert X[2, names.index("shape:recommendation")] == 1
    assert np.all(X >= 0)
