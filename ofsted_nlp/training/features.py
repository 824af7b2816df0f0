"""Feature extractors with scikit-learn's transformer contract.

* :class:`WordNgramTfidf`: TF-IDF over word 1-3-grams, the same as
  scikit-learn's ``TfidfVectorizer`` (fitted by it, tested equal to it).
* :class:`CharNgramTfidf`: TF-IDF over character 3-5-grams inside word
  boundaries (scikit-learn's ``char_wb`` n-grams), with each row scaled by the
  l2 norm it would have if every occurrence of an n-gram were a feature of its
  own (see the class). That choice makes a linear model's score over these
  features a sum of per-word contributions, so :meth:`CharNgramTfidf.project`
  can score a corpus without building its (dense-ish) n-gram matrix.
* :class:`CodebookFeatures`: counts of the codebook's theme words, polarity
  cues and a few cues of form (recommendation, list item, concession).

Tagging transforms a corpus's worth of sentences, so each transform does its
per-word work once per distinct word (:mod:`ofsted_nlp.tagging.wordtable`, in a table each transformer
owns) and the
rest in numpy; ``fit`` runs on a few thousand sentences and can stay simple.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from ofsted_nlp.tagging.scorer import (
    CharProjector,
    WordNgramCounter,
    char_word_hits,
    codebook_matrix,
    codebook_names,
    word_char_ngrams,
)
from ofsted_nlp.tagging.wordtable import Words, split_words


def char_word_rows(words: list[str], columns: dict[str, int], ngram_range=(3, 5)) -> sparse.csr_matrix:
    """(word x n-gram counts) for ``words``, over the n-grams in ``columns``."""
    indices, data, lengths = char_word_hits(words, columns, ngram_range)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    return sparse.csr_matrix((data, indices, indptr), shape=(len(words), len(columns)))


def word_ngram_counts(counter: WordNgramCounter, words: Words) -> sparse.csr_matrix:
    """(sentence x vocabulary) n-gram counts (float64, duplicates summed, indices sorted)."""
    r, c = counter.hits(words)
    counts = sparse.csr_matrix((np.ones(len(r), dtype=np.float64), (r, c)), shape=(words.n_sentences, counter.width))
    counts.sum_duplicates()
    return counts


def word_bag(words: Words, ids: np.ndarray, n_columns: int) -> sparse.csr_matrix:
    """(sentence x table row) counts of the words, given each word's row ``ids``."""
    return sparse.csr_matrix((np.ones(len(ids), dtype=np.float64), (words.sentence_of_word(), ids)),
                             shape=(words.n_sentences, n_columns))


class CodebookFeatures(TransformerMixin, BaseEstimator):
    """Counts of the codebook's theme words, polarity cues and shape cues, as features.

    Stateless: ``fit`` learns nothing but the number of output features, so the
    transformer can sit in a FeatureUnion beside TF-IDF. Counts enter as
    ``log(1 + count)``.
    """

    def __init__(self, themes: bool = True, polarity: bool = True, shape: bool = True):
        self.themes = themes
        self.polarity = polarity
        self.shape = shape

    def fit(self, X, y=None):
        self.n_features_out_ = len(self._names())
        return self

    def _names(self) -> list[str]:
        return codebook_names(self.get_params())

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self._names(), dtype=object)

    def transform(self, X):
        check_is_fitted(self, "n_features_out_")
        dense = codebook_matrix(list(X), themes=self.themes, polarity=self.polarity, shape=self.shape)
        return sparse.csr_matrix(dense.reshape(len(dense), self.n_features_out_))


class _NamedByVocabulary:
    """Feature names from a fitted ``vocabulary_`` (n-gram -> column), in column order."""

    vocabulary_: dict[str, int]  # set by fit

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "vocabulary_")
        names = np.empty(len(self.vocabulary_), dtype=np.object_)
        for g, i in self.vocabulary_.items():
            names[i] = g
        return names


def _weigh_tfidf(counts: sparse.csr_matrix, idf: np.ndarray, sublinear_tf: bool) -> sparse.csr_matrix:
    """Counts to l2-normalised TF-IDF, the steps and order of scikit-learn's TfidfTransformer."""
    X = counts.astype(np.float64)
    X.sort_indices()
    if sublinear_tf:
        np.log(X.data, out=X.data)
        X.data += 1.0
    X.data *= idf[X.indices]
    return normalize(X, norm="l2", copy=False)


class WordNgramTfidf(_NamedByVocabulary, TransformerMixin, BaseEstimator):
    """TF-IDF of word n-grams, the same as scikit-learn's ``TfidfVectorizer`` (word analyzer).

    ``fit`` is scikit-learn's own (lower-casing, tokens of two or more word
    characters, ``min_df``, smooth idf, l2 norm). ``transform`` gives the same
    matrix faster: a word's tokens are found once per distinct word, each
    token of the vocabulary has a number, an n-gram becomes one integer key
    (its tokens' numbers in base B) and a batch's keys are looked up at once in
    a hash table, instead of joining and hashing every n-gram's string
    (:class:`~ofsted_nlp.tagging.scorer.WordNgramCounter`, which tagging's word
    block scores with): on every third corpus finding (38,897, in chunks of
    3,600) 0.63-0.71 CPU s for ``transform(X) @ W`` (0.61 s for tagging's
    per-word scorer), against 1.43-1.59 s with scikit-learn's
    ``TfidfVectorizer.transform`` (two runs of ``python benchmarks/bench_blocks.py``).
    """

    _TOKEN = WordNgramCounter.TOKEN  # finds what scikit-learn's (?u)\b\w\w+\b finds, in the same order

    def __init__(self, ngram_range: tuple[int, int] = (1, 3), min_df: int = 2, sublinear_tf: bool = True):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf

    def fit(self, X, y=None):
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        vec = TfidfVectorizer(ngram_range=tuple(self.ngram_range), min_df=self.min_df,
                              sublinear_tf=self.sublinear_tf, lowercase=True)
        out = vec.fit_transform(X)
        self.vocabulary_ = dict(vec.vocabulary_)
        self.idf_ = vec.idf_
        self.__dict__.pop("_lookup", None)
        return out.tocsr()

    def _counter(self) -> WordNgramCounter:
        """The n-gram counter of this vocabulary, with its own word table (built on first use, not pickled;
        two threads that build it at once keep the first)."""
        counter = self.__dict__.get("_lookup")
        if counter is None:
            counter = self.__dict__.setdefault("_lookup", WordNgramCounter(self.vocabulary_, self.ngram_range))
        return counter

    def _counts(self, X) -> sparse.csr_matrix:
        """(sentence x vocabulary) n-gram counts."""
        counter = self._counter()
        words = split_words(X)
        with counter.cache.lock:
            return word_ngram_counts(counter, words)

    def transform(self, X):
        check_is_fitted(self, "vocabulary_")
        return _weigh_tfidf(self._counts(X), self.idf_, self.sublinear_tf)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_lookup", None)  # derived from vocabulary_, rebuilt on first use
        return state


_word_ngram_list = word_char_ngrams  # the name earlier versions used


class CharNgramTfidf(_NamedByVocabulary, TransformerMixin, BaseEstimator):
    """TF-IDF of character n-grams within word boundaries, scored per word.

    The n-grams are scikit-learn's ``char_wb`` ones (each whitespace-separated,
    lower-cased word padded with a space either side), chosen as it chooses
    them (``min_df``, then the ``max_features`` most frequent), with smooth idf.
    A sentence's row is ``count * idf`` for each n-gram, divided by
    ``sqrt(sum(count * idf**2))``: the l2 norm the row would have if each
    occurrence of an n-gram were a feature of its own. It equals the usual l2
    norm when no n-gram repeats in the sentence, and unlike it, it makes the
    row a sum over the sentence's words. So a linear score ``X @ W`` is
    ``(sum of the words' (n-grams x idf) @ W) / sqrt(sum of the words'
    n-grams x idf**2)``, which :meth:`project` computes with one table row per
    distinct word and never builds ``X``.

    This transformer exists so that the character block can be scored word
    by word (tagging's :class:`~ofsted_nlp.tagging.scorer.CharProjector`):
    on every third corpus finding (38,897, in chunks of 3,600, from fresh
    tables) that takes 0.38-0.42 CPU s, against 1.21-1.38 s for building ``X``
    and ``X @ W`` here and 5.2-5.3 s for scikit-learn's
    ``TfidfVectorizer(analyzer="char_wb")`` (two runs of
    ``python benchmarks/bench_blocks.py``, 2 cores at load 8).
    """

    def __init__(self, ngram_range: tuple[int, int] = (3, 5), min_df: int = 3, max_features: int | None = 40000):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features

    # -- helpers
    _word_rows = staticmethod(char_word_rows)

    def _weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        counts = counts.tocsr()
        norm = np.sqrt(counts @ (self.idf_ ** 2))
        norm[norm == 0] = 1.0
        X = sparse.diags(1.0 / norm) @ counts @ sparse.diags(self.idf_)
        return X.tocsr()

    # -- scikit-learn API
    def fit(self, X, y=None):
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        S, distinct = self._bag(X)
        lo, hi = self.ngram_range
        all_grams: dict[str, int] = {}
        for w in distinct:
            for g in _word_ngram_list(w, lo, hi):
                all_grams.setdefault(g, len(all_grams))
        C = (S @ self._word_rows(distinct, all_grams, self.ngram_range)).tocsc()
        df = np.diff(C.indptr)
        names = np.array(list(all_grams), dtype=object)
        # as scikit-learn does it: features in alphabetical order, then the
        # min_df filter, then the max_features most frequent (its own sort)
        alpha = np.argsort(names.astype(str), kind="stable")
        keep = alpha[df[alpha] >= self.min_df]
        if self.max_features is not None and len(keep) > self.max_features:
            tfs = np.asarray(C.sum(axis=0)).ravel()[keep]
            keep = keep[np.sort((-tfs).argsort()[: self.max_features])]
        self.vocabulary_ = {g: i for i, g in enumerate(names[keep])}
        n = C.shape[0]
        self.idf_ = np.log((1 + n) / (1 + df[keep])) + 1.0
        self.__dict__.pop("_cache", None)
        return self._weigh(C[:, keep])

    @staticmethod
    def _bag(X) -> tuple[sparse.csr_matrix, list[str]]:
        """(sentence x distinct word) counts, and the distinct words in column order."""
        words = split_words(X)
        distinct = sorted(set(words.flat))
        index = {w: i for i, w in enumerate(distinct)}
        ids = np.fromiter(map(index.__getitem__, words.flat), dtype=np.int64, count=len(words.flat))
        return word_bag(words, ids, len(distinct)), distinct

    def _counts(self, X) -> sparse.csr_matrix:
        """(sentence x n-gram) counts, as (sentence x word) @ (word x n-gram)."""
        S, distinct = self._bag(X)
        return (S @ self._word_rows(distinct, self.vocabulary_, self.ngram_range)).tocsr()

    def transform(self, X):
        check_is_fitted(self, "vocabulary_")
        return self._weigh(self._counts(X))

    def project(self, X, W: np.ndarray) -> np.ndarray:
        """``self.transform(X) @ W`` for a dense ``W`` (n-grams x k), without building the n-gram matrix.

        Each distinct word's ``(n-grams x idf) @ W`` and ``n-grams x idf**2``
        are computed once per ``W`` and summed over each sentence's words.
        """
        check_is_fitted(self, "vocabulary_")
        W = np.asarray(W, dtype=np.float64)
        cache = self.__dict__.setdefault("_cache", {})
        held = cache.get("project")
        if held is None or held.W is not W:
            held = cache["project"] = CharProjector(self.vocabulary_, self.idf_, self.ngram_range, W)
        texts = X if isinstance(X, list) else list(X)
        words = split_words(texts)
        with held.cache.lock:
            return held.score(texts, words)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_cache", None)  # caches, not part of the model
        return state
