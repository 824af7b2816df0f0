"""What scoring the n-gram blocks word by word gains, block by block.

    ofsted-nlp tag ../shared/corpus --jobs 2 -f csv -o /tmp/corpus.csv
    python benchmarks/bench_blocks.py /tmp/corpus.csv

Per block of the shipped model, CPU seconds (process_time, best of 3) to score every third corpus finding
in chunks of 3,600 (as tag's chunks of 16 documents), each run from fresh objects (no word tables yet):
tagging's per-word scorer (ofsted_nlp.tagging.scorer), training's transformer's ``transform(X) @ W``
(ofsted_nlp.training.features), and scikit-learn's ``TfidfVectorizer.transform(X) @ W`` (for the characters
its usual l2 norm: other numbers, the same work).
"""
import csv
import sys
import time

import numpy as np
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer

from ofsted_nlp.tagging.model import load_model
from ofsted_nlp.tagging.scorer import CharProjector, WordNgramCounter, WordScorer
from ofsted_nlp.tagging.wordtable import WordCache, split_words
from ofsted_nlp.training.features import CharNgramTfidf, WordNgramTfidf


def best(make, chunks, k=3) -> float:
    """The least CPU time of ``k`` runs, each making its scorer afresh and scoring every chunk."""
    out = []
    for _ in range(k):
        started = time.process_time()
        score = make()
        for c in chunks:
            score(c)
        out.append(time.process_time() - started)
    return min(out)


def makers(b, W):
    """For one n-gram block: makers of tagging's per-word scorer, training's transform @ W, scikit-learn's."""
    cols = {g: i for i, g in enumerate(b.vocabulary)}
    rng = tuple(b.params["ngram_range"])
    trained = (CharNgramTfidf if b.kind == "chars" else WordNgramTfidf)(**b.params)

    def per_word():
        if b.kind == "chars":
            scorer = CharProjector(cols, b.idf, rng, W)
        else:
            scorer = WordScorer(WordNgramCounter(cols, rng, WordCache()), b.idf, True, W)
        return lambda c: scorer.score(c, split_words(c))

    def ours():
        t = clone(trained)
        t.vocabulary_, t.idf_ = cols, b.idf
        return lambda c: t.transform(c) @ W

    def sklearns():
        if b.kind == "chars":
            v = TfidfVectorizer(analyzer="char_wb", ngram_range=rng, vocabulary=cols)
        else:
            v = TfidfVectorizer(ngram_range=rng, sublinear_tf=True, vocabulary=cols)
        v.idf_ = b.idf
        return lambda c: v.transform(c) @ W

    return per_word, ours, sklearns


def main() -> None:
    csv.field_size_limit(10**9)
    with open(sys.argv[1], encoding="utf-8") as fh:
        texts = [r["text"] for r in csv.DictReader(fh)][::3]
    chunks = [texts[i:i + 3600] for i in range(0, len(texts), 3600)]
    model = load_model()
    W = np.vstack([model.theme_coef, model.polarity_coef]).T
    start = 0
    for b in model.blocks:
        Wb = np.ascontiguousarray(W[start:start + b.width])
        start += b.width
        if b.kind == "codebook":
            continue
        per_word, ours, sklearns = (best(make, chunks) for make in makers(b, Wb))
        print(f"{b.kind}: per-word scorer {per_word:.2f} s; training's transform @ W {ours:.2f} s; "
              f"TfidfVectorizer.transform @ W {sklearns:.2f} s  ({len(texts)} findings, {len(chunks)} chunks)")


if __name__ == "__main__":
    main()
