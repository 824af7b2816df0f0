"""The model's arithmetic without scikit-learn: feature counts and linear scores with numpy alone.

Tagging needs no estimator objects: the model is linear, so a sentence's
score for each class is the intercept plus, for each feature block, the
block's row times that block's coefficients. This module computes those
scores straight from the model's artefact (:func:`build_scorer`, from the
arrays of :class:`~ofsted_nlp.tagging.model.OfstedModel`), with the blocks'
idf weights and union weights folded into the coefficients once:

* words: l2-normalised TF-IDF (``1 + log(count)``, as scikit-learn's
  ``sublinear_tf``), so ``row @ W = (tf @ (idf * W)) / sqrt(tf**2 @ idf**2)``;
* chars: each distinct word's ``(n-grams x idf) @ W`` and ``n-grams x idf**2``
  are kept in a table and summed per sentence (see
  :class:`~ofsted_nlp.training.features.CharNgramTfidf`);
* codebook: ``log(1 + counts)`` of the codebook's words and cues and the
  cues of form, times their coefficients.

Themes are one-vs-rest binary logistic regressions (each a logistic of its
score), polarity a multinomial one (softmax over its classes), as
scikit-learn's ``predict_proba`` computes them; the equivalence is tested.
Importing this module costs numpy, not scikit-learn, scipy or pandas (about a
second of CPU at every start; scipy.sparse alone 0.12 s). Per-sentence sums of
rows are ``np.add.reduceat`` over rows gathered with ``np.take``
(:func:`~ofsted_nlp.tagging.wordtable.segment_sums`), as fast here as scipy's sparse
products. No dense float product goes through ``@``: numpy hands those to
OpenBLAS, whose threads then spin between calls, on two cores as much CPU again
as the tagging itself.

The feature extractors of :mod:`ofsted_nlp.training.features` (the scikit-learn
transformers used in training) count with the same code; each block's
``values`` gives its feature values of a few sentences (for ``explain``:
:mod:`ofsted_nlp.tagging.explain`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from ofsted_nlp.tagging import codebook as keywords
from ofsted_nlp.tagging.wordtable import WordCache, Words, segment_sums, split_words

__all__ = ["KeyIndex", "WordNgramCounter", "char_word_hits", "word_char_ngrams", "CharProjector", "codebook_matrix",
           "LinearScorer", "build_scorer", "codebook_names"]


# --------------------------------------------------------------------------- word n-grams


class KeyIndex:
    """Distinct non-negative integer keys and a value for each, looked up many keys at a time: a hash table
    with open addressing (linear probing) in two numpy arrays, a quarter full at most.

    Over the corpus's findings the word n-grams' keys are looked up four times as fast as by a binary
    search of the sorted keys (``np.searchsorted``). Kept (issue 18 part 3) because, with
    :class:`CharGramIndex`, it pays beyond run-to-run noise: tagging the corpus's 116,689 findings in its
    32 chunks (``model.tag`` per chunk, three interleaved runs each, load 4) took 2.71-3.18 CPU s with
    both and 3.13-3.39 s with ``np.searchsorted`` and the per-word loop instead (alone, each moved the
    time by less than the runs' spread: 2.91-3.32 s and 2.85-3.34 s); ``benchmarks/bench_phases.py --all``
    and benchmarks/README.md.
    """

    EMPTY = -1
    MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: the key times 2**64 / golden ratio, top bits

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        keys, values = np.asarray(keys, dtype=np.int64), np.asarray(values, dtype=np.int64)
        if len(keys) and (keys.min() < 0 or len(np.unique(keys)) != len(keys)):
            raise ValueError("keys must be distinct and non-negative")
        self.keys, self.values = keys, values
        bits = max(4, int(4 * max(len(keys), 1) - 1).bit_length())
        self.shift, self.mask = np.uint64(64 - bits), (1 << bits) - 1
        self.slot_keys = np.full(1 << bits, self.EMPTY, dtype=np.int64)
        self.slot_values = np.full(1 << bits, -1, dtype=np.int64)
        # insert all keys at once, round after round: one key takes each free slot wanted, the rest move on
        pending, slot = np.arange(len(keys)), self._slots(keys)
        while len(pending):
            free = self.slot_keys[slot] == self.EMPTY
            taken, first = np.unique(slot[free], return_index=True)
            winners = pending[free][first]
            self.slot_keys[taken] = keys[winners]
            self.slot_values[taken] = values[winners]
            moving = np.ones(len(pending), dtype=bool)
            moving[np.flatnonzero(free)[first]] = False
            pending, slot = pending[moving], (slot[moving] + 1) & self.mask

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        return ((keys.astype(np.uint64) * self.MULTIPLIER) >> self.shift).astype(np.int64)

    def get(self, keys: np.ndarray) -> np.ndarray:
        """Each key's value, -1 where the key is not in the table."""
        keys = np.asarray(keys, dtype=np.int64)
        out = np.full(len(keys), -1, dtype=np.int64)
        todo, slot = np.arange(len(keys)), self._slots(keys)
        while len(todo):
            held = self.slot_keys[slot]
            hit = held == keys[todo]
            out[todo[hit]] = self.slot_values[slot[hit]]
            going = ~hit & (held != self.EMPTY)  # another key here: the next slot
            todo, slot = todo[going], (slot[going] + 1) & self.mask
        return out


class WordNgramCounter:
    """(sentence x vocabulary) counts of a vocabulary's word n-grams, as scikit-learn's word analyzer counts them.

    A word's tokens (runs of two or more word characters, lower-cased) are found
    once per distinct word, each token of the vocabulary has a number, an n-gram
    becomes one integer key (its tokens' numbers in base B) and a batch's keys
    are looked up at once in a numpy hash table (:class:`KeyIndex`), instead of joining and hashing every
    n-gram's string. Its per-word table is in ``cache``, whose lock the caller holds.
    """

    TOKEN = re.compile(r"\w\w+")  # finds what scikit-learn's (?u)\b\w\w+\b finds, in the same order

    def __init__(self, vocabulary: dict[str, int], ngram_range: Sequence[int], cache: WordCache | None = None):
        self.cache = cache if cache is not None else WordCache()
        self.width = len(vocabulary)
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        numbers: dict[str, int] = {}
        grams = [g.split(" ") for g in vocabulary]
        for parts in grams:
            for w in parts:
                numbers.setdefault(w, len(numbers))
        base = len(numbers) + 1
        by_n: dict[int, tuple[list[int], list[int]]] = {}
        for parts, col in zip(grams, vocabulary.values()):
            key = 0
            for w in parts:
                key = key * base + numbers[w]
            by_n.setdefault(len(parts), ([], []))
            by_n[len(parts)][0].append(key)
            by_n[len(parts)][1].append(col)
        keys = {n: KeyIndex(np.asarray(k, dtype=np.int64), np.asarray(c, dtype=np.int64))
                for n, (k, c) in by_n.items()}
        # which tokens can start, and end, an n-gram of the vocabulary: most n-grams of a
        # sentence are ruled out by these two lookups before any search
        ends = {n: (np.zeros(base, dtype=bool), np.zeros(base, dtype=bool)) for n in keys}
        for parts in grams:
            first, last = ends[len(parts)]
            first[numbers[parts[0]]] = True
            last[numbers[parts[-1]]] = True
        unigram_column = np.full(base, -1, dtype=np.int64)
        if 1 in keys:
            unigram_column[keys[1].keys] = keys[1].values
        self.numbers, self.base, self.keys, self.ends, self.unigram_column = numbers, base, keys, ends, unigram_column
        # the tokens of every word seen, word after word; and as an array, refreshed when it grows
        self._flat: list[int] = []
        self._held = np.zeros(0, dtype=np.int64)
        self.table = self.cache.table(self._compute, width=2, dtype=np.int64, on_clear=self._clear)

    def _compute(self, words: list[str]) -> np.ndarray:
        rows, start, flat, numbers = [], len(self._flat), self._flat, self.numbers
        for w in words:
            toks = [numbers.get(t, -1) for t in self.TOKEN.findall(w)]
            rows.append((len(flat), len(toks)))
            flat.extend(toks)
        self._held = np.concatenate([self._held, np.asarray(flat[start:], dtype=np.int64)])
        return np.asarray(rows, dtype=np.int64).reshape(len(words), 2)

    def _clear(self) -> None:
        self._flat.clear()
        self._held = np.zeros(0, dtype=np.int64)

    def hits(self, words: Words) -> tuple[np.ndarray, np.ndarray]:
        """(sentence, column) of every occurrence of a vocabulary n-gram, a pair per occurrence."""
        base, keys, ends = self.base, self.keys, self.ends
        ids, rows = self.table.rows(words)
        rows = rows[ids]
        starts, lengths = rows[:, 0], rows[:, 1]
        total = int(lengths.sum())
        # the sentence's tokens, word after word: a ragged gather from the per-word table
        where = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total, dtype=np.int64)
        ids = self._held[where]
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
            if n == 1:  # a token's number is its key: its column is read off directly
                found_rows.append(sentence)
                found_cols.append(self.unigram_column[key])
                continue
            col = keys[n].get(key)
            hit = col >= 0
            found_rows.append(sentence[hit])
            found_cols.append(col[hit])
        r = np.concatenate(found_rows) if found_rows else np.zeros(0, dtype=np.int64)
        c = np.concatenate(found_cols) if found_cols else np.zeros(0, dtype=np.int64)
        return r, c


class WordScorer:
    """The word block's contribution to the scores: l2-normalised TF-IDF rows times the coefficients."""

    def __init__(self, counter: WordNgramCounter, idf: np.ndarray, sublinear_tf: bool, W: np.ndarray):
        idf = np.asarray(idf, dtype=np.float64)
        self.counter, self.sublinear_tf = counter, sublinear_tf
        self.idf, self.idf2 = idf, idf ** 2
        self.weights = np.ascontiguousarray(idf[:, None] * W)  # idf folded in

    def score(self, texts: list[str], words: Words) -> np.ndarray:
        r, c = self.counter.hits(words)
        n, width = words.n_sentences, self.counter.width
        # each (sentence, n-gram) once, with its count, in sentence order
        key, count = np.unique(r * width + c, return_counts=True)
        row, col = np.divmod(key, width)
        tf = count.astype(np.float64)
        if self.sublinear_tf:
            tf = np.log(tf)
            tf += 1.0
        norm = np.sqrt(np.bincount(row, tf * tf * self.idf2[col], minlength=n))
        norm[norm == 0] = 1.0
        terms = np.take(self.weights, col, axis=0)  # np.take: twice as fast as fancy indexing here
        terms *= tf[:, None]
        sums = segment_sums(terms, np.bincount(row, minlength=n))
        return sums / norm[:, None]

    def values(self, texts: list[str], words: Words) -> np.ndarray:
        """The block's feature values (sentences x vocabulary, dense): l2-normalised TF-IDF, as the
        training transformer's ``transform`` gives them."""
        r, c = self.counter.hits(words)
        n, width = words.n_sentences, self.counter.width
        key, count = np.unique(r * width + c, return_counts=True)
        row, col = np.divmod(key, width)
        tf = count.astype(np.float64)
        if self.sublinear_tf:
            tf = np.log(tf) + 1.0
        v = tf * self.idf[col]
        norm = np.sqrt(np.bincount(row, v * v, minlength=n))
        norm[norm == 0] = 1.0
        out = np.zeros((n, width))
        out[row, col] = v / norm[row]
        return out


# --------------------------------------------------------------------------- character n-grams


def word_char_ngrams(word: str, min_n: int, max_n: int) -> list[str]:
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


class CharGramIndex:
    """The character n-grams of a vocabulary, found in many words at once with numpy.

    Each character of the vocabulary's n-grams gets a number from 1, an n-gram
    becomes one integer (its characters' numbers in base B, so that n-grams of
    different lengths never share one) and the n-grams of a batch of words are
    looked up together in a :class:`KeyIndex`. :meth:`hits` gives exactly what
    the per-word loop :func:`char_word_hits_loop` gives, in the same order.
    Kept (issue 18 part 3) for the gain measured with :class:`KeyIndex`'s: the two together save
    0.2-0.4 CPU s of about 3 s of tagging on the corpus (see there).
    """

    def __init__(self, columns: dict[str, int], ngram_range: Sequence[int] = (3, 5)):
        self.lo, self.hi = int(ngram_range[0]), int(ngram_range[1])
        self.columns = columns
        chars = sorted({c for g in columns for c in g})
        self.base = len(chars) + 1
        # a character's number (0: in no n-gram of the vocabulary), read off by code point
        self.numbers = np.zeros(max((ord(c) for c in chars), default=0) + 2, dtype=np.int64)
        self.numbers[[ord(c) for c in chars]] = np.arange(1, len(chars) + 1)
        self.usable = self.lo >= 1 and self.base ** self.hi < 2 ** 62
        if not self.usable:  # too many characters for one int64 an n-gram: the loop does it
            return
        number = {c: i + 1 for i, c in enumerate(chars)}
        grams = [g for g in columns if self.lo <= len(g) <= self.hi]
        keys = np.zeros(len(grams), dtype=np.int64)
        for i, g in enumerate(grams):
            key = 0
            for c in g:
                key = key * self.base + number[c]
            keys[i] = key
        self.index = KeyIndex(keys, np.fromiter((columns[g] for g in grams), dtype=np.int64, count=len(grams)))

    def hits(self, words: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """As :func:`char_word_hits`: ``indices``, ``data``, ``lengths``, word after word."""
        if not self.usable or not words or min(map(len, words)) + 2 < self.lo:
            return char_word_hits_loop(words, self.columns, (self.lo, self.hi))
        codes = np.frombuffer("".join([f" {w} " for w in words]).encode("utf-32-le"), dtype=np.uint32)
        ids = self.numbers[np.minimum(codes, len(self.numbers) - 1)]
        sizes = np.fromiter(map(len, words), dtype=np.int64, count=len(words)) + 2
        begins = np.cumsum(sizes) - sizes
        word_of = np.repeat(np.arange(len(words), dtype=np.int64), sizes)
        at_in_word = np.arange(len(ids), dtype=np.int64) - begins[word_of]
        room = sizes[word_of] - at_in_word  # characters from here to the word's end
        known = ids > 0
        longest = int(sizes.max())
        found_words, found_cols, found_order = [], [], []
        for n in range(self.lo, self.hi + 1):
            m = len(ids) - n + 1
            if m <= 0:
                continue
            ok = room[:m] >= n
            key = np.zeros(m, dtype=np.int64)
            for k in range(n):
                ok &= known[k:k + m]
                key *= self.base
                key += ids[k:k + m]
            at = np.flatnonzero(ok)
            col = self.index.get(key[at])
            hit = col >= 0
            at = at[hit]
            found_words.append(word_of[at])
            found_cols.append(col[hit])
            found_order.append((n - self.lo) * longest + at_in_word[at])  # the loop's order: size, then place
        w, c, o = np.concatenate(found_words), np.concatenate(found_cols), np.concatenate(found_order)
        order = np.lexsort((o, w))
        w, c = w[order], c[order]
        width = int(c.max(initial=-1)) + 1
        _, first, inverse, counts = np.unique(w * width + c, return_index=True, return_inverse=True,
                                              return_counts=True)
        keep = np.sort(first)  # each (word, column) where it first stands: the loop's dict order
        return (c[keep], counts[inverse[keep]].astype(np.float64),
                np.bincount(w[keep], minlength=len(words)).astype(np.int64))


def char_word_hits(words: list[str], columns: dict[str, int], ngram_range: Sequence[int] = (3, 5)
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For ``words``, the columns of their n-grams in ``columns`` (``indices``), how often each occurs in
    its word (``data``), and how many columns each word has (``lengths``), word after word."""
    return CharGramIndex(columns, ngram_range).hits(words)


def char_word_hits_loop(words: list[str], columns: dict[str, int], ngram_range: Sequence[int] = (3, 5)
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`char_word_hits` word by word in Python (the reference the numpy version is tested against)."""
    lengths: list[int] = []
    indices: list[int] = []
    data: list[int] = []
    lo, hi = ngram_range
    get = columns.get
    for w in words:
        counts: dict[int, int] = {}
        for g in word_char_ngrams(w, lo, hi):
            k = get(g)
            if k is not None:
                counts[k] = counts.get(k, 0) + 1
        indices.extend(counts)
        data.extend(counts.values())
        lengths.append(len(counts))
    return (np.asarray(indices, dtype=np.int64), np.asarray(data, dtype=np.float64),
            np.asarray(lengths, dtype=np.int64))


class CharProjector:
    """``X @ W`` for the character block's rows ``X`` (see :class:`~ofsted_nlp.training.features.CharNgramTfidf`),
    without building them: each distinct word's ``(n-grams x idf) @ W`` and ``n-grams x idf**2`` are
    computed once, kept in a table of ``cache``, and summed over each sentence's words. The caller holds the
    cache's lock."""

    def __init__(self, columns: dict[str, int], idf: np.ndarray, ngram_range: Sequence[int], W: np.ndarray,
                 cache: WordCache | None = None):
        self.cache = cache if cache is not None else WordCache()
        idf = np.asarray(idf, dtype=np.float64)
        W = np.asarray(W, dtype=np.float64)
        self.W = W
        ngram_range = tuple(ngram_range)
        self.columns, self.idf, self.ngram_range = columns, idf, ngram_range
        weights = np.hstack([idf[:, None] * W, (idf ** 2)[:, None]])

        grams: list[CharGramIndex] = []  # built on first use: loading a model stays quick

        def compute(new: list[str]) -> np.ndarray:
            if not grams:
                grams.append(CharGramIndex(columns, ngram_range))
            indices, data, lengths = grams[0].hits(new)
            terms = np.take(weights, indices, axis=0)
            terms *= data[:, None]
            return segment_sums(terms, lengths)

        self.table = self.cache.table(compute, width=W.shape[1] + 1)

    def score(self, texts: list[str], words: Words) -> np.ndarray:
        ids, rows = self.table.rows(words)
        sums = words.sum_rows(ids, rows)
        norm = np.sqrt(sums[:, -1])
        norm[norm == 0] = 1.0
        return sums[:, :-1] / norm[:, None]

    def values(self, texts: list[str], words: Words) -> np.ndarray:
        """The block's feature values (sentences x n-grams, dense): ``count * idf`` over the norm of
        :class:`~ofsted_nlp.training.features.CharNgramTfidf`."""
        indices, data, lengths = char_word_hits_loop(words.flat, self.columns, self.ngram_range)
        counts = np.zeros((words.n_sentences, len(self.columns)))
        np.add.at(counts, (np.repeat(np.repeat(np.arange(words.n_sentences), words.lengths), lengths), indices), data)
        norm = np.sqrt(np.einsum("ij,j->i", counts, self.idf ** 2))
        norm[norm == 0] = 1.0
        return counts * (1.0 / norm)[:, None] * self.idf


# --------------------------------------------------------------------------- the codebook's words


def codebook_matrix(texts: list[str], themes: bool = True, polarity: bool = True, shape: bool = True,
                    counter: keywords.CodebookCounter | None = None, words: Words | None = None) -> np.ndarray:
    """The codebook block's rows (dense): ``log(1 + count)`` of theme words and polarity cues, cues of form
    (counted by ``counter``, by default a new one; ``words``: the texts' split, if the caller has it)."""
    counts = (counter or keywords.CodebookCounter()).count(texts, words)
    blocks = []
    if themes:
        blocks.append(np.log1p(counts.themes))
    if polarity:
        blocks.append(np.log1p(counts.cues))
    if shape:
        blocks.append(counts.shape)
    return np.hstack(blocks) if blocks else np.zeros((counts.n, 0))


class CodebookScorer:
    def __init__(self, params: dict, W: np.ndarray, cache: WordCache | None = None):
        self.params = {k: bool(params.get(k, True)) for k in ("themes", "polarity", "shape")}
        self.W = np.asarray(W, dtype=np.float64)
        self.counter = keywords.CodebookCounter(cache)

    def score(self, texts: list[str], words: Words) -> np.ndarray:
        # einsum, not `@`: a dense float product goes to BLAS, whose threads then spin between calls
        # (on two cores, as much CPU again as the whole tagging)
        return np.einsum("ij,jk->ik", self.values(texts, words), self.W)

    def values(self, texts: list[str], words: Words) -> np.ndarray:
        """The block's feature values (sentences x codebook features)."""
        return codebook_matrix(texts, **self.params, counter=self.counter, words=words)


# --------------------------------------------------------------------------- the scores


def _logistic(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), without overflow for large negative z."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


_SURROGATE = re.compile("[\ud800-\udfff]")


def encodable(texts: Sequence[str]) -> list[str]:
    """The texts with any lone surrogate (a code point no encoding can write, as ``"\\udcff"`` from bytes
    decoded with ``surrogateescape``) replaced by U+FFFD, the replacement character; other texts as they are.

    The character n-grams are found in a text's UTF-32 encoding, which a surrogate would make fail.
    """
    out = [str(t) for t in texts]
    for i, t in enumerate(out):
        if not t.isascii():
            try:
                t.encode("utf-8")
            except UnicodeEncodeError:
                out[i] = _SURROGATE.sub("\ufffd", t)
    return out


class LinearScorer:
    """Themes' and polarity's probabilities of sentences, from the feature blocks' folded coefficients.

    ``blocks`` score a batch (sentences x classes), the themes' columns first,
    then polarity's (one column when polarity has two classes, as scikit-learn's
    binary logistic regression keeps it). The blocks' per-word tables are in
    ``cache``, this scorer's own: a call holds its lock, so threads calling one
    scorer take turns and threads calling two scorers never wait for each other.
    """

    def __init__(self, blocks: list[Any], intercept: np.ndarray, n_themes: int, polarity_classes: Sequence[str],
                 cache: WordCache | None = None):
        self.cache = cache if cache is not None else WordCache()
        self.blocks = blocks
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.n_themes = n_themes
        self.polarity_classes = [str(c) for c in polarity_classes]

    def probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Theme probabilities (n x themes) and polarity ones (n x classes, in ``polarity_classes`` order).

        A text with a lone surrogate is scored with U+FFFD in its place (:func:`encodable`)."""
        texts = encodable(texts)
        k = len(self.polarity_classes)
        if not texts:
            return np.zeros((0, self.n_themes)), np.zeros((0, k))
        scores = np.tile(self.intercept, (len(texts), 1))
        words = split_words(texts)
        with self.cache.lock:  # the blocks share this scorer's word index and their tables
            for block in self.blocks:
                scores += block.score(texts, words)
        P = _logistic(scores[:, :self.n_themes])  # each theme's binary logistic regression
        Z = scores[:, self.n_themes:]
        if k == 2 and Z.shape[1] == 1:  # a binary polarity: scikit-learn's [1 - p, p]
            p = _logistic(Z[:, 0])
            return P, np.column_stack([1.0 - p, p])
        Z = np.exp(Z - Z.max(axis=1, keepdims=True))  # multinomial polarity: softmax
        return P, Z / Z.sum(axis=1, keepdims=True)

    def feature_values(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Each block's feature values of ``texts`` (sentences x the block's features, dense), before the
        union's weights: for a few sentences (``explain``), not a corpus."""
        texts = encodable(texts)
        words = split_words(texts)
        with self.cache.lock:
            return [block.values(texts, words) for block in self.blocks]


def _block_scorer(kind: str, params: dict, W: np.ndarray, vocabulary: dict[str, int] | None, idf: np.ndarray | None,
                  cache: WordCache) -> Any:
    if kind == "words":
        assert vocabulary is not None and idf is not None
        counter = WordNgramCounter(vocabulary, params.get("ngram_range", (1, 3)), cache)
        return WordScorer(counter, idf, bool(params.get("sublinear_tf", True)), W)
    if kind == "chars":
        assert vocabulary is not None and idf is not None
        return CharProjector(vocabulary, idf, params.get("ngram_range", (3, 5)), W, cache)
    if kind == "codebook":
        return CodebookScorer(params, W, cache)
    raise ValueError(f"unknown feature block kind {kind!r}")


def build_scorer(blocks: Sequence[Any], coef: np.ndarray, intercept: np.ndarray, n_themes: int,
                 polarity_classes: Sequence[str]) -> LinearScorer:
    """The scorer of a model's artefact: its feature ``blocks`` (:class:`~ofsted_nlp.tagging.model.FeatureBlock`,
    in column order), ``coef`` (classes x features: the themes' rows, then polarity's) and ``intercept``."""
    coef = np.asarray(coef, dtype=np.float64).T
    cache = WordCache()  # the scorer's own, shared by its blocks
    scorers, start = [], 0
    for block in blocks:
        width = block.width
        W = coef[start:start + width] * float(block.weight)
        if W.shape[0] != width:
            raise ValueError(f"block {block.name}: {W.shape[0]} coefficients for {width} features")
        vocabulary = {g: i for i, g in enumerate(block.vocabulary)} if block.kind in ("words", "chars") else None
        scorers.append(_block_scorer(block.kind, block.params, W, vocabulary, block.idf, cache))
        start += width
    if start != coef.shape[0]:
        raise ValueError(f"{coef.shape[0]} coefficients for {start} features")
    return LinearScorer(scorers, np.asarray(intercept, dtype=np.float64), n_themes, polarity_classes, cache)


def codebook_names(params: dict) -> list[str]:
    """The codebook block's feature names, in column order, for its settings."""
    from ofsted_nlp.schema import POLARITIES, THEMES

    names = []
    if params.get("themes", True):
        names += [f"codebook:{t}" for t in THEMES]
    if params.get("polarity", True):
        names += [f"cue:{p}" for p in POLARITIES]
    if params.get("shape", True):
        names += [f"shape:{s}" for s in keywords.SHAPE_NAMES]
    return names
