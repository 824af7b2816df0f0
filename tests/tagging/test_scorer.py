"""The tagger without scikit-learn (ofsted_nlp.tagging.scorer): the same numbers as scikit-learn's estimators, and
a `tag` that never imports scikit-learn, scipy or pandas."""

from __future__ import annotations

import csv
import subprocess
import sys
import warnings

import numpy as np
import pytest
from conftest import REPO, SEEDS, assert_threads_agree

from ofsted_nlp.schema import POLARITIES, THEMES


def _union_of(model):
    """Training's transformers holding the artefact's vocabularies and idf, in a FeatureUnion of its weights."""
    from sklearn.pipeline import FeatureUnion

    from ofsted_nlp.training.features import CharNgramTfidf, CodebookFeatures, WordNgramTfidf

    parts = []
    for b in model.blocks:
        if b.kind == "codebook":
            parts.append((b.name, CodebookFeatures(**b.params).fit(None)))
            continue
        t = (WordNgramTfidf if b.kind == "words" else CharNgramTfidf)(**b.params)
        t.vocabulary_, t.idf_ = {g: i for i, g in enumerate(b.vocabulary)}, b.idf
        parts.append((b.name, t))
    return FeatureUnion(parts, transformer_weights={b.name: b.weight for b in model.blocks})


def _sklearn_tags(model, texts, fitted=None):
    """Probabilities and decisions the scikit-learn way: the union's transform, then the classifiers'
    predict_proba (``fitted``: the estimators training fitted), or for a model with no estimators (the
    shipped one) the logistic regressions' definitions on the transformers' matrix."""
    from scipy.special import expit, softmax

    if fitted is not None:
        X = fitted.features.transform(texts)
        P, Q = fitted.themes.predict_proba(X), fitted.polarity.predict_proba(X)
        classes = [str(c) for c in fitted.polarity.classes_]
    else:
        X = _union_of(model).transform(texts)
        P = expit(X @ model.theme_coef.T + model.theme_intercept)
        Q = softmax(X @ model.polarity_coef.T + model.polarity_intercept, axis=1)
        classes = model.polarity_classes
    thresholds = np.array([model.thresholds[t] for t in THEMES])
    themes = [tuple(t for t, on in zip(THEMES, row) if on) for row in P >= thresholds]
    polarity = [classes[i] for i in np.asarray(Q).argmax(axis=1)]
    return P, Q[:, [classes.index(p) for p in POLARITIES]], themes, polarity


def _assert_same(model, texts, fitted=None):
    tags = model.tag(texts)  # the numpy path
    P, Q, themes, polarity = _sklearn_tags(model, texts, fitted)
    assert np.allclose(tags.theme_proba, P, rtol=0, atol=1e-12)
    assert np.allclose(tags.polarity_proba, Q, rtol=0, atol=1e-12)
    assert tags.themes == themes
    assert tags.polarity == polarity


def _seed_and_unseen_sentences() -> list[str]:
    from ofsted_nlp import read_letter

    texts = [f.text for path in sorted(SEEDS.glob("*.txt")) for f in read_letter(path).findings]
    with open(REPO / "tests" / "fixtures" / "unseen_sentences.csv", encoding="utf-8") as fh:
        texts += [row["text"] for row in csv.DictReader(fh)]
    # edges: empty, no known word, a repeated n-gram, punctuation only, very long
    texts += ["", "zebra quokka", "delay delay delay in the the the plans plans", "...", "Supervision. " * 200]
    return texts


def test_numpy_path_equals_sklearn_on_seed_findings_and_unseen_sentences(shipped_model):
    texts = _seed_and_unseen_sentences()
    assert len(texts) > 200
    _assert_same(shipped_model, texts)


def test_numpy_path_equals_sklearn_for_a_trained_model_and_its_saved_copy(tmp_path):
    """A model fitted in this process (exported to its artefact) and the same model read back from its
    file give scikit-learn's numbers (the fitted estimators' predict_proba)."""
    from ofsted_nlp.tagging.model import load_model
    from ofsted_nlp.training.estimators import fit_estimators
    from ofsted_nlp.training.export import save_model
    from ofsted_nlp.training.labels import load_seed_labels

    labels = load_seed_labels(REPO / "data" / "labels" / "seeds.csv")
    seeds = [x.text for x in labels]
    Y = np.array([[1 if t in x.themes else 0 for t in THEMES] for x in labels])
    fitted = fit_estimators(seeds, Y, [x.polarity for x in labels], [x.document[:3] for x in labels],
                            feature_params={"codebook_weight": 2.0})
    model = fitted.artefact()
    texts = [t for t in _seed_and_unseen_sentences() if t not in set(seeds)]
    _assert_same(model, texts, fitted)
    _assert_same(model, texts)  # and the definitions on the transformers' matrix, as for the shipped model
    save_model(model, tmp_path / "m.npz", {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = load_model(tmp_path / "m.npz")
    _assert_same(loaded, texts, fitted)
    assert np.array_equal(loaded.probabilities(texts)[0], loaded.probabilities(list(reversed(texts)))[0][::-1])


def test_eight_threads_tag_a_loaded_model_as_one_does(shipped_model):
    """The numpy path's word tables are built and shared by threads: 8 threads give one thread's results."""
    texts = _seed_and_unseen_sentences()
    assert_threads_agree(shipped_model, [texts[i::7] for i in range(7)] + [texts[i::3] for i in range(3)])


def test_tag_imports_no_sklearn_scipy_pandas_or_spacy(tmp_path):
    """`ofsted-nlp tag` (and load_model + tag in a notebook) import neither scikit-learn, scipy nor pandas:
    about a second of CPU at every start (scipy.sparse alone 0.12 s); nor spaCy where the tokenizer rules
    saved from it are the installed version's (~0.7 s: ofsted_nlp.reading.tokenizing)."""
    from ofsted_nlp.reading.tokenizing import piece_tokenizer

    modules = ("sklearn", "scipy", "pandas") + (("spacy", "thinc") if piece_tokenizer() is not None else ())
    letter = next(SEEDS.glob("003_*.txt"))
    out = tmp_path / "t.csv"
    code = (
        "import sys\n"
        "from ofsted_nlp.cli.app import app\n"
        f"sys.argv = ['ofsted-nlp', 'tag', {str(letter)!r}, '-o', {str(out)!r}]\n"
        "try:\n"
        "    app(prog_name='ofsted-nlp')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "from ofsted_nlp import load_model\n"
        "load_model().tag(['Supervision is regular.'])\n"
        f"print('loaded:' + ','.join(m for m in {modules!r} if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "loaded:"
    with open(out, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > 20 and all(r["polarity"] in POLARITIES for r in rows)


@pytest.mark.slow
def test_numpy_path_equals_sklearn_on_corpus_findings(shipped_model, corpus_letters):
    """A few thousand corpus findings, spread over the corpus (every 25th finding)."""
    from ofsted_nlp import Letter

    texts = [f.text for doc in corpus_letters.values() if isinstance(doc, Letter) for f in doc.findings][::25]
    assert len(texts) > 2000
    for i in range(0, len(texts), 1000):
        _assert_same(shipped_model, texts[i:i + 1000])


@pytest.mark.parametrize("n, spread", [(0, 10), (1, 10), (50, 60), (5000, 10**6), (3000, 5 * 10**10)])
def test_key_index_finds_each_key_and_no_other(n, spread):
    """The word n-grams' hash table: every key's own value, -1 for any other key, however crowded the slots."""
    from ofsted_nlp.tagging.scorer import KeyIndex

    rng = np.random.default_rng(n)
    keys = rng.choice(spread, size=n, replace=False).astype(np.int64)
    values = rng.integers(0, 10**6, size=n)
    index = KeyIndex(keys, values)
    queries = np.concatenate([keys, rng.integers(0, spread, size=3 * n + 5), keys[::-1]])
    expected = dict(zip(keys.tolist(), values.tolist()))
    assert index.get(queries).tolist() == [expected.get(q, -1) for q in queries.tolist()]
    assert index.get(np.zeros(0, dtype=np.int64)).tolist() == []


def test_key_index_with_keys_wanting_the_same_slot():
    """Forty keys that all hash to one slot are each found past the others, and keys near them are not."""
    from ofsted_nlp.tagging.scorer import KeyIndex

    sizer = KeyIndex(np.arange(40, dtype=np.int64), np.arange(40))  # the table size of 40 keys
    candidates = np.arange(10**6, dtype=np.int64)
    keys = candidates[sizer._slots(candidates) == 7][:40]
    assert len(keys) == 40
    index = KeyIndex(keys, np.arange(40) * 10)
    assert sorted(np.flatnonzero(index.slot_keys >= 0).tolist()) == list(range(7, 47))  # probed past each other
    assert index.get(keys[::-1]).tolist() == list(range(390, -1, -10))
    others = np.setdiff1d(candidates[:10**4], keys)
    assert (index.get(others) == -1).all()
    with pytest.raises(ValueError):
        KeyIndex(np.array([3, 3]), np.array([0, 1]))


def _char_words() -> list[str]:
    words = sorted({w for path in SEEDS.glob("*.txt") for w in path.read_text(encoding="utf-8").lower().split()})
    tricky = ["a", "ab", "abc", "é", "x\u2019s", "\U0001f600ab", "aaaaaaa", "abcabcabc", "—", "1.5%", "(e.g.", "\x00x"]
    return words + tricky


@pytest.mark.parametrize("ngram_range", [(3, 5), (1, 3), (2, 2), (4, 6)])
def test_char_ngrams_of_many_words_at_once_are_the_loops(ngram_range):
    """The numpy n-gram index gives the columns, counts and lengths of the word-by-word loop, in its order."""
    from ofsted_nlp.tagging.scorer import CharGramIndex, char_word_hits_loop, word_char_ngrams

    lo, hi = ngram_range
    words = [w for w in _char_words() if len(w) + 2 >= lo]  # shorter ones take the loop itself
    grams = sorted({g for w in words[::3] for g in word_char_ngrams(w, lo, hi)})  # some of them unseen
    columns = {g: i for i, g in enumerate(reversed(grams))}
    index = CharGramIndex(columns, ngram_range)
    assert index.usable
    for batch in (words, words[5:6], ["\u00e9\u00e9\u00e9\u00e9", "abcabcabc"] * 3, ["a", "abcabc"]):
        got, want = index.hits(batch), char_word_hits_loop(batch, columns, ngram_range)
        for a, b in zip(got, want):
            assert a.dtype == b.dtype and np.array_equal(a, b)
    assert len(char_word_hits_loop(words, columns, ngram_range)[0]) > 1000


def test_char_ngrams_of_a_shipped_model_at_once_are_the_loops(shipped_model):
    from ofsted_nlp.tagging.scorer import CharGramIndex, char_word_hits_loop

    (chars,) = [b for b in shipped_model.blocks if b.kind == "chars"]
    columns = {g: i for i, g in enumerate(chars.vocabulary)}
    words = _char_words()
    got = CharGramIndex(columns, chars.params["ngram_range"]).hits(words)
    want = char_word_hits_loop(words, columns, chars.params["ngram_range"])
    assert len(want[0]) > 1000
    for a, b in zip(got, want):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_two_models_share_no_word_state_and_never_wait_for_each_other(shipped_model):
    """No process-wide index, tables, lock or last split (issue 18 s3): each scorer owns its own. A thread
    holding one model's lock (as a long call does) does not hold up a call to another model."""
    import copy
    import threading

    one, other = copy.deepcopy(shipped_model), copy.deepcopy(shipped_model)
    texts = ["Supervision is regular and reflective.", "Caseloads are too high in the assessment team."]
    one.probabilities(texts)
    assert one.scorer.cache.index.words and not other.scorer.cache.index.words
    assert one.scorer.cache.lock is not other.scorer.cache.lock
    done = threading.Event()
    results = []

    def call_other():
        results.append(other.probabilities(texts))
        done.set()

    with one.scorer.cache.lock:  # one model busy
        worker = threading.Thread(target=call_other, daemon=True)
        worker.start()
        assert done.wait(timeout=120), "the other model waited for this one's lock"
    worker.join()
    expected = shipped_model.probabilities(texts)
    assert np.array_equal(results[0][0], expected[0]) and np.array_equal(results[0][1], expected[1])
