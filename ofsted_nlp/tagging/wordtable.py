"""Work done once per distinct word, looked up for every occurrence.

Tagging a corpus means featurising some hundred thousand sentences that share
a vocabulary of a few tens of thousands of words. Anything that depends only
on a word (its character n-grams, its tokens, which codebook words it is or
contains) is worked out the first time the word is seen and kept in a table;
a batch of sentences then costs one ``str.split`` per sentence, one dict
lookup per word and a few numpy operations.

Words are the sentence's lower-cased, whitespace-separated pieces
(``text.lower().split()``), so punctuation stays attached ("plans." is a word
of its own); what a table stores for a word is up to its ``compute`` function.

Nothing here is shared by the process: a :class:`WordCache` (one numbering of
the words, :class:`WordIndex`, its lock, and the tables made from it) belongs
to its owner, a model's scorer (:class:`~ofsted_nlp.tagging.scorer.LinearScorer`,
whose feature blocks share it, so a batch is split and numbered once however
many blocks read it) or one of training's transformers. The owner holds the
cache's lock while it reads or fills the index and tables, so one model may
be called from several threads (a notebook, a web service); two models never
wait for each other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from itertools import chain, count, repeat
from typing import TYPE_CHECKING, Any

import numpy as np

__all__ = ["Words", "split_words", "WordTable", "WordIndex", "WordCache", "segment_sums"]

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

_GENERATIONS = count()  # a generation's number is unique in the process: a table never mistakes another index's


class WordIndex:
    """A number for each distinct word seen. A cache: past ``limit`` words it starts again (a new generation).

    Generations are numbered across all indexes, so a table filled from one
    index or generation never passes for another's.
    """

    def __init__(self, limit: int = 500_000):
        self.limit = limit
        self.generation = next(_GENERATIONS)
        self.numbers: dict[str, int] = {}
        self.words: list[str] = []

    def ids(self, flat: list[str]) -> np.ndarray:
        # one lookup per word; only the words not numbered yet are looked at again
        ids = np.fromiter(map(self.numbers.get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
        unknown = np.flatnonzero(ids < 0).tolist()
        if unknown:
            new = {flat[i] for i in unknown}
            if len(self.words) + len(new) > self.limit:
                self.numbers, self.words = {}, []
                self.generation = next(_GENERATIONS)
                new, unknown = set(flat), list(range(len(flat)))
            for w in sorted(new):  # sorted: the numbering does not depend on set order
                self.numbers[w] = len(self.words)
                self.words.append(w)
            ids[unknown] = [self.numbers[flat[i]] for i in unknown]
        return ids


class WordCache:
    """A word index, the lock its owner holds while reading or filling it, and the tables made from it."""

    def __init__(self, limit: int = 500_000):
        self.index = WordIndex(limit)
        self.lock = threading.RLock()

    def table(self, compute: Callable[[list[str]], Any], width: int, dtype=np.float64,
              on_clear: Callable[[], None] | None = None) -> WordTable:
        """A table of rows per word of this cache's index (see :class:`WordTable`)."""
        return WordTable(compute, width, dtype, on_clear, index=self.index)


class Words:
    """The words of a batch of sentences: all of them in order, and how many each sentence has."""

    __slots__ = ("flat", "lengths", "_ids", "_generation")

    def __init__(self, flat: list[str], lengths: np.ndarray):
        self.flat = flat
        self.lengths = lengths
        self._ids: np.ndarray | None = None
        self._generation = -1

    @property
    def n_sentences(self) -> int:
        return len(self.lengths)

    def ids(self, index: WordIndex) -> np.ndarray:
        """Each word's number in ``index`` (the caller holds its cache's lock)."""
        if self._ids is None or self._generation != index.generation:
            self._ids = index.ids(self.flat)
            self._generation = index.generation
        return self._ids

    def sentence_of_word(self) -> np.ndarray:
        """For each word in ``flat``, the index of its sentence."""
        return np.repeat(np.arange(len(self.lengths), dtype=np.int64), self.lengths)

    def sum_rows(self, ids: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Each sentence's sum of its words' ``rows`` (a table's rows, read at each word's row ``ids``)."""
        return segment_sums(np.take(rows, ids, axis=0), self.lengths)


def segment_sums(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Sums of consecutive runs of ``values``' rows, ``lengths[i]`` rows for run ``i`` (0 for an empty run)."""
    out = np.zeros((len(lengths),) + values.shape[1:], dtype=values.dtype)
    nonempty = lengths > 0
    if len(values):
        starts = np.cumsum(lengths) - lengths
        out[nonempty] = np.add.reduceat(values, starts[nonempty], axis=0)
    return out


def split_words(texts: Iterable[str]) -> Words:
    """Lower-case each text and split it on whitespace."""
    pieces = [str(t).lower().split() for t in texts]
    lengths = np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces))
    return Words(list(chain.from_iterable(pieces)), lengths)


class WordTable:
    """Rows of numbers, one per word of ``index``, computed by ``compute`` the first time they are needed.

    ``compute(words)`` gets a list of words and returns an array with one row
    per word (``width`` columns). ``on_clear`` is called when the index starts
    a new generation and the rows are dropped.
    """

    def __init__(self, compute: Callable[[list[str]], ArrayLike], width: int, dtype=np.float64,
                 on_clear: Callable[[], None] | None = None, index: WordIndex | None = None):
        self.index = index if index is not None else WordIndex()
        self.compute = compute
        self.width = width
        self.dtype = dtype
        self.on_clear = on_clear
        self._generation = -1
        self._rows = np.zeros((1024, width), dtype=dtype)
        self._n = 0

    def rows(self, words: Words) -> tuple[np.ndarray, np.ndarray]:
        """Each word's row number, and the table's rows (one per word of the index so far).

        The caller holds its cache's lock while it uses them: another thread may start a new generation.
        """
        index = self.index
        ids = words.ids(index)
        if self._generation != index.generation:
            self._generation, self._n = index.generation, 0
            if self.on_clear is not None:
                self.on_clear()
        end = len(index.words)
        if self._n < end:
            block = np.asarray(self.compute(index.words[self._n:end]), dtype=self.dtype)
            if end > len(self._rows):  # grow by doubling: adding rows stays cheap on average
                grown = np.zeros((max(end, 2 * len(self._rows)), self.width), dtype=self.dtype)
                grown[: self._n] = self._rows[: self._n]
                self._rows = grown
            self._rows[self._n:end] = block.reshape(end - self._n, self.width)
            self._n = end
        return ids, self._rows[:end]
