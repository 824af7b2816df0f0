"""Feature extractors with scikit-learn's transformer contract.

* :class:`CodebookFeatures`: counts of the codebook's theme words, polarity
  cues and a few cues of form (recommendation, list item, concession).
* :class:`CharNgramTfidf`: TF-IDF over character n-grams inside word
  boundaries, the same features as ``TfidfVectorizer(analyzer="char_wb")``
  but computed once per distinct word and cached, which makes tagging a
  corpus several times faster (sentences repeat their words; the n-grams of
  "supervision" need working out once).
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import normalize
from sklearn.utils.validation import check_is_fitted

from . import keywords
from .labels import POLARITIES, THEMES


class CodebookFeatures(TransformerMixin, BaseEstimator):
    """Counts of the codebook's theme words, polarity cues and shape cues, as features.

    Stateless: ``fit`` learns nothing but the number of output features, so the
    transformer can sit in a FeatureUnion beside TF-IDF.
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
        rows = []
        for text in X:
            row: list[float] = []
            if self.themes:
                hits = keywords.theme_hits(text)
                row += [float(np.log1p(hits[t])) for t in THEMES]
            if self.polarity:
                cues = keywords.polarity_cues(text)
                row += [float(np.log1p(cues[p])) for p in POLARITIES]
            if self.shape:
                row += keywords.shape_features(text)
            rows.append(row)
        return sparse.csr_matrix(np.asarray(rows, dtype=float).reshape(len(rows), self.n_features_out_))


_WHITE = re.compile(r"\s\s+")


def _word_ngram_list(word: str, min_n: int, max_n: int) -> list[str]:
    w = f" {word} "
    size = len(w)
    out = []
    for n in range(min_n, max_n + 1):
        if size <= n:
            out.append(w)
            break
        out.extend([w[i:i + n] for i in range(size - n + 1)])
    return out


def _word_ngrams(word: str, min_n: int, max_n: int) -> Counter:
    """The character n-grams of one word, padded with spaces, as scikit-learn's char_wb makes them."""
    w = f" {word} "
    grams: Counter = Counter()
    for n in range(min_n, max_n + 1):
        if len(w) <= n:  # a short word counts once, whole, and ends the n-gram sizes
            grams[w] += 1
            break
        for i in range(len(w) - n + 1):
            grams[w[i:i + n]] += 1
    return grams


class CharNgramTfidf(TransformerMixin, BaseEstimator):
    """TF-IDF of character n-grams within word boundaries, cached per word.

    Equivalent to ``TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range,
    min_df=min_df, max_features=max_features, sublinear_tf=True)`` (smooth idf,
    l2 norm): a sentence's n-gram counts are the sum of its words' n-gram
    counts, so they are computed as (sentence x word counts) @ (word x n-gram
    counts), with each distinct word's n-grams worked out once.
    """

    def __init__(self, ngram_range: tuple[int, int] = (3, 5), min_df: int = 3, max_features: int | None = 40000,
                 sublinear_tf: bool = True):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf

    # -- helpers
    def _words(self, X) -> tuple[sparse.csr_matrix, list[str]]:
        vocab: dict[str, int] = {}
        indptr, indices, data = [0], [], []
        for text in X:
            counts: dict[int, int] = {}
            for w in _WHITE.sub(" ", str(text).lower()).split():
                j = vocab.setdefault(w, len(vocab))
                counts[j] = counts.get(j, 0) + 1
            indices.extend(counts)
            data.extend(counts.values())
            indptr.append(len(indices))
        S = sparse.csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), indptr),
                              shape=(len(indptr) - 1, len(vocab)))
        return S, list(vocab)

    def _word_rows(self, words: list[str], columns: dict[str, int]) -> sparse.csr_matrix:
        cache = self.__dict__.setdefault("_cache", {})
        if len(cache) > 500_000:
            cache.clear()
        indptr, indices, data = [0], [], []
        lo, hi = self.ngram_range
        for w in words:
            row = cache.get(w)
            if row is None:
                counts: dict[int, int] = {}
                for g in _word_ngram_list(w, lo, hi):
                    k = columns.get(g)
                    if k is not None:
                        counts[k] = counts.get(k, 0) + 1
                row = cache[w] = (list(counts), list(counts.values()))
            indices.extend(row[0])
            data.extend(row[1])
            indptr.append(len(indices))
        return sparse.csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), indptr),
                                 shape=(len(words), len(columns)))

    # -- scikit-learn API
    def fit(self, X, y=None):
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        X = list(X)
        S, words = self._words(X)
        lo, hi = self.ngram_range
        all_grams: dict[str, int] = {}
        for w in words:
            for g in _word_ngrams(w, lo, hi):
                all_grams.setdefault(g, len(all_grams))
        self.__dict__["_cache"] = {}
        T = self._word_rows(words, all_grams)
        C = (S @ T).tocsc()
        df = np.diff(C.indptr)
        names = np.array(list(all_grams), dtype=object)
        # as scikit-learn does it: features in alphabetical order, then the
        # min_df filter, then the max_features most frequent (its own sort)
        alpha = np.argsort(names.astype(str), kind="stable")
        keep = alpha[df[alpha] >= self.min_df]
        if self.max_features is not None and len(keep) > self.max_features:
            tfs = np.asarray(C.sum(axis=0)).ravel()[keep]
            keep = keep[np.sort((-tfs).argsort()[: self.max_features])]
        kept_names = names[keep]
        self.vocabulary_ = {g: i for i, g in enumerate(kept_names)}
        n = C.shape[0]
        self.idf_ = np.log((1 + n) / (1 + df[keep])) + 1.0
        self.__dict__["_cache"] = {}
        return self._weigh(C[:, keep].tocsr())

    def transform(self, X):
        check_is_fitted(self, "vocabulary_")
        S, words = self._words(X)
        C = S @ self._word_rows(words, self.vocabulary_)
        return self._weigh(C.tocsr())

    def _weigh(self, C: sparse.csr_matrix) -> sparse.csr_matrix:
        C = C.astype(np.float64)
        if self.sublinear_tf:
            np.log(C.data, out=C.data)
            C.data += 1.0
        C = C @ sparse.diags(self.idf_)
        return normalize(C, norm="l2", copy=False).tocsr()

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "vocabulary_")
        names = np.empty(len(self.vocabulary_), dtype=object)
        for g, i in self.vocabulary_.items():
            names[i] = g
        return names

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_cache", None)  # a cache, not part of the model
        return state
