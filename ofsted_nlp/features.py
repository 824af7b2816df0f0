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
per-word work once per distinct word (:mod:`ofsted_nlp.wordtable`) and the
rest in numpy; ``fit`` runs on a few thousand sentences and can stay simple.
"""

from __future__ import annotations

import re

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from . import keywords
from .labels import POLARITIES, THEMES
from .wordtable import WordTable, locked, split_words


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
        names = []
        if self.themes:
            names += [f"codebook:{t}" for t in THEMES]
        if self.polarity:
            names += [f"cue:{p}" for p in POLARITIES]
        if self.shape:
            names += [f"shape:{s}" for s in keywords.SHAPE_NAMES]
        return names

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self._names(), dtype=object)

    def transform(self, X):
        check_is_fitted(self, "n_features_out_")
        counts = keywords.count_batch(list(X))
        blocks = []
        if self.themes:
            blocks.append(np.log1p(counts.themes))
        if self.polarity:
            blocks.append(np.log1p(counts.cues))
        if self.shape:
            blocks.append(counts.shape)
        dense = np.hstack(blocks) if blocks else np.zeros((counts.n, 0))
        return sparse.csr_matrix(dense.reshape(counts.n, self.n_features_out_))


class _NamedByVocabulary:
    """Feature names from a fitted ``vocabulary_`` (n-gram -> column), in column order."""

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "vocabulary_")
        names = np.empty(len(self.vocabulary_), dtype=object)
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
    sorted arrays, instead of joining and hashing every n-gram's string.
    """

    _TOKEN = re.compile(r"\w\w+")  # finds what scikit-learn's (?u)\b\w\w+\b finds, in the same order

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

    def _tables(self):
        """Token numbers, n-gram keys per n with their columns, and the per-word token table (not pickled)."""
        lookup = self.__dict__.get("_lookup")
        if lookup is None:
            numbers: dict[str, int] = {}
            grams = [g.split(" ") for g in self.vocabulary_]
            for parts in grams:
                for w in parts:
                    numbers.setdefault(w, len(numbers))
            base = len(numbers) + 1
            by_n: dict[int, tuple[list[int], list[int]]] = {}
            for parts, col in zip(grams, self.vocabulary_.values()):
                key = 0
                for w in parts:
                    key = key * base + numbers[w]
                by_n.setdefault(len(parts), ([], []))
                by_n[len(parts)][0].append(key)
                by_n[len(parts)][1].append(col)
            keys = {}
            for n, (k, c) in by_n.items():
                k, c = np.asarray(k, dtype=np.int64), np.asarray(c, dtype=np.int64)
                order = np.argsort(k)
                keys[n] = (k[order], c[order])
            # the tokens of every word seen, word after word; and as an array, refreshed when it grows
            flat: list[int] = []
            held = [np.zeros(0, dtype=np.int64)]

            def compute(words: list[str]) -> np.ndarray:
                rows, start = [], len(flat)
                for w in words:
                    toks = [numbers.get(t, -1) for t in self._TOKEN.findall(w)]
                    rows.append((len(flat), len(toks)))
                    flat.extend(toks)
                held[0] = np.concatenate([held[0], np.asarray(flat[start:], dtype=np.int64)])
                return np.asarray(rows, dtype=np.int64)

            def clear() -> None:
                flat.clear()
                held[0] = np.zeros(0, dtype=np.int64)

            # which tokens can start, and end, an n-gram of the vocabulary: most n-grams of a
            # sentence are ruled out by these two lookups before any search
            ends = {n: (np.zeros(base, dtype=bool), np.zeros(base, dtype=bool)) for n in keys}
            for parts in grams:
                first, last = ends[len(parts)]
                first[numbers[parts[0]]] = True
                last[numbers[parts[-1]]] = True
            unigram_column = np.full(base, -1, dtype=np.int64)
            if 1 in keys:
                unigram_column[keys[1][0]] = keys[1][1]
            table = WordTable(compute, width=2, dtype=np.int64, on_clear=clear)
            lookup = self.__dict__["_lookup"] = (base, keys, ends, unigram_column, table, held)
        return lookup

    @locked
    def _counts(self, X) -> sparse.csr_matrix:
        """(sentence x vocabulary) n-gram counts."""
        base, keys, ends, unigram_column, table, held = self._tables()
        words = split_words(X)
        ids, rows = table.rows(words)
        rows = rows[ids]
        starts, lengths = rows[:, 0], rows[:, 1]
        total = int(lengths.sum())
        # the sentence's tokens, word after word: a ragged gather from the per-word table
        where = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total, dtype=np.int64)
        ids = held[0][where]
        doc = np.repeat(words.sentence_of_word(), lengths)
        found_rows, found_cols = [], []
        lo, hi = self.ngram_range
        for n in range(lo, hi + 1):
            if n not in keys or len(ids) < n:
                continue
            m = len(ids) - n + 1
            first, last = ends[n]
            # a token of -1 (not in the vocabulary) reads the last entry of these arrays, which is False
            start = np.flatnonzero(first[ids[:m]] & last[ids[n - 1:]] & (doc[:m] == doc[n - 1:]))
            for k in range(1, n - 1):  # and the tokens between them known
                start = start[ids[start + k] >= 0]
            key = ids[start]
            for k in range(1, n):
                key = key * base + ids[start + k]
            sentence = doc[start]
            known, col = keys[n]
            if n == 1:  # a token's number is its key: its column is read off directly
                found_rows.append(sentence)
                found_cols.append(unigram_column[key])
                continue
            pos = np.minimum(np.searchsorted(known, key), len(known) - 1)
            hit = known[pos] == key
            found_rows.append(sentence[hit])
            found_cols.append(col[pos[hit]])
        r = np.concatenate(found_rows) if found_rows else np.zeros(0, dtype=np.int64)
        c = np.concatenate(found_cols) if found_cols else np.zeros(0, dtype=np.int64)
        counts = sparse.csr_matrix((np.ones(len(r), dtype=np.float64), (r, c)),
                                   shape=(words.n_sentences, len(self.vocabulary_)))
        counts.sum_duplicates()
        return counts

    def transform(self, X):
        check_is_fitted(self, "vocabulary_")
        return _weigh_tfidf(self._counts(X), self.idf_, self.sublinear_tf)

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_lookup", None)  # derived from vocabulary_, rebuilt on first use
        return state


def _word_ngram_list(word: str, min_n: int, max_n: int) -> list[str]:
    """The character n-grams of one word, padded with spaces, as scikit-learn's char_wb makes them."""
    w = f" {word} "
    size = len(w)
    out = []
    for n in range(min_n, max_n + 1):
        if size <= n:  # a short word counts once, whole, and ends the n-gram sizes
            out.append(w)
            break
        out.extend([w[i:i + n] for i in range(size - n + 1)])
    return out


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
    """

    def __init__(self, ngram_range: tuple[int, int] = (3, 5), min_df: int = 3, max_features: int | None = 40000):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features

    # -- helpers
    @staticmethod
    def _word_rows(words: list[str], columns: dict[str, int], ngram_range=(3, 5)) -> sparse.csr_matrix:
        """(word x n-gram counts) for ``words``, over the n-grams in ``columns``."""
        indptr: list[int] = [0]
        indices: list[int] = []
        data: list[int] = []
        lo, hi = ngram_range
        for w in words:
            counts: dict[int, int] = {}
            for g in _word_ngram_list(w, lo, hi):
                k = columns.get(g)
                if k is not None:
                    counts[k] = counts.get(k, 0) + 1
            indices.extend(counts)
            data.extend(counts.values())
            indptr.append(len(indices))
        return sparse.csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), indptr),
                                 shape=(len(words), len(columns)))

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
        return words.bag(ids, len(distinct)), distinct

    @locked
    def _counts(self, X) -> sparse.csr_matrix:
        """(sentence x n-gram) counts, as (sentence x word) @ (word x n-gram)."""
        S, distinct = self._bag(X)
        return (S @ self._word_rows(distinct, self.vocabulary_, self.ngram_range)).tocsr()

    def transform(self, X):
        check_is_fitted(self, "vocabulary_")
        return self._weigh(self._counts(X))

    @locked
    def project(self, X, W: np.ndarray) -> np.ndarray:
        """``self.transform(X) @ W`` for a dense ``W`` (n-grams x k), without building the n-gram matrix.

        Each distinct word's ``(n-grams x idf) @ W`` and ``n-grams x idf**2``
        are computed once per ``W`` and summed over each sentence's words.
        """
        check_is_fitted(self, "vocabulary_")
        W = np.asarray(W, dtype=np.float64)
        cache = self.__dict__.setdefault("_cache", {})
        held = cache.get("project")
        if held is None or held[0] is not W:
            idf, columns, ngram_range = self.idf_, self.vocabulary_, self.ngram_range
            weights = np.hstack([idf[:, None] * W, (idf ** 2)[:, None]])

            def compute(new: list[str]) -> np.ndarray:
                return self._word_rows(new, columns, ngram_range) @ weights

            held = cache["project"] = (W, WordTable(compute, width=W.shape[1] + 1))
        words = split_words(X)
        ids, rows = held[1].rows(words)
        sums = words.bag(ids, len(rows)) @ rows
        norm = np.sqrt(sums[:, -1])
        norm[norm == 0] = 1.0
        return sums[:, :-1] / norm[:, None]

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_cache", None)  # caches, not part of the model
        return state
