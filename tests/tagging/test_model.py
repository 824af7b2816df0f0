"""The tagger: contracts, determinism, safe loading, and the shipped model's behaviour."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, assert_threads_agree
from sklearn.base import clone

from ofsted_nlp.tagging.model import ModelError, load_model
from ofsted_nlp.training.estimators import fit_estimators, fit_model
from ofsted_nlp.training.export import save_model
from ofsted_nlp.training.features import CodebookFeatures
from ofsted_nlp.training.labels import POLARITIES, THEMES, load_seed_labels


@pytest.fixture(scope="module")
def small_fit(seed_fit):
    """The fitted scikit-learn estimators (training's side; conftest fits them once per run)."""
    return seed_fit


@pytest.fixture(scope="module")
def small_model(small_fit):
    """Their artefact: what tagging, explain and the file hold."""
    return small_fit.artefact()


def test_codebook_features_follow_sklearn_contracts():
    est = CodebookFeatures()
    assert clone(est).get_params() == est.get_params()
    est.set_params(polarity=False)
    assert est.get_params()["polarity"] is False
    texts = ["Social workers carry high caseloads.", "The child is subject to a supervision order.", "Nothing here."]
    fitted = CodebookFeatures().fit(texts)
    assert fitted is not None and fitted.n_features_out_ == len(fitted.get_feature_names_out())
    X = fitted.transform(texts)
    assert X.shape == (3, fitted.n_features_out_)
    names = list(fitted.get_feature_names_out())
    assert X[0, names.index("codebook:caseloads")] > 0
    # the codebook's exclusion: a supervision order is not supervision
    assert X[1, names.index("codebook:supervision")] == 0
    again = pickle.loads(pickle.dumps(fitted)).transform(texts)
    assert (again != X).nnz == 0


def test_predict_columns_and_types(small_model):
    out = small_model.predict(["Social workers carry a high number of cases.", "Supervision is regular."])
    expected = ["text", "themes", "polarity"] + [f"p_{t}" for t in THEMES] + [f"p_{p}" for p in POLARITIES]
    assert list(out.columns) == expected
    assert all(isinstance(t, tuple) for t in out["themes"])
    assert set(out["polarity"]) <= set(POLARITIES)
    probs = out[[f"p_{p}" for p in POLARITIES]].sum(axis=1)
    assert np.allclose(probs, 1.0)
    assert small_model.predict([]).shape[0] == 0


def test_probabilities_are_the_classifiers_own(small_fit, small_model, seed_data):
    """The artefact's summed linear score per block gives what the fitted estimators' predict_proba gives on
    the full feature matrix."""
    texts = seed_data[0] + ["A sentence with words the seeds never had: zebra quokka.", ""]
    P, Q = small_model.probabilities(texts)
    X = small_fit.features.transform(texts)
    assert np.abs(P - small_fit.themes.predict_proba(X)).max() < 1e-9
    assert np.abs(Q - small_fit.polarity.predict_proba(X)).max() < 1e-9
    tags = small_model.tag(texts)
    assert tags.polarity == [str(c) for c in small_fit.polarity.predict(X)]


def test_a_weighted_union_is_scored_with_its_weights(seed_data):
    fitted = fit_estimators(*seed_data, feature_params={"codebook_weight": 3.0})
    model = fitted.artefact()
    assert fitted.features.transformer_weights["codebook"] == 3.0
    assert [b.weight for b in model.blocks] == [1.0, 1.0, 3.0]
    X = fitted.features.transform(seed_data[0])
    assert np.abs(model.probabilities(seed_data[0])[0] - fitted.themes.predict_proba(X)).max() < 1e-9


def test_training_is_deterministic(seed_data, small_model):
    """A second fit on the same labels, later in the run (other tests have used the shared word index and
    caches since), gives the first fit's model."""
    again = fit_model(*seed_data)
    assert again.thresholds == small_model.thresholds
    pd.testing.assert_frame_equal(small_model.predict(seed_data[0]), again.predict(seed_data[0]))


def _card():
    import sklearn

    return {"versions": {"scikit-learn": sklearn.__version__}}


def test_save_and_load_round_trip(tmp_path, small_model):
    path = tmp_path / "m.npz"
    card = save_model(small_model, path, _card())
    assert json.loads(path.with_suffix(".json").read_text())["sha256"] == card["sha256"]
    assert path.with_suffix(".md").read_text().startswith("# ofsted-nlp model card")
    loaded = load_model(path)
    texts = ["Thresholds are well understood.", "Out of hours services are robust."]
    pd.testing.assert_frame_equal(loaded.predict(texts), small_model.predict(texts))


def test_altered_model_is_refused(tmp_path, small_model):
    path = tmp_path / "m.npz"
    save_model(small_model, path, _card())
    with open(path, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="does not match its model card"):
        load_model(path)


def test_missing_card_or_file_is_refused(tmp_path, small_model):
    with pytest.raises(ModelError, match="no such model file"):
        load_model(tmp_path / "absent.npz")
    path = tmp_path / "m.npz"
    save_model(small_model, path, _card())
    path.with_suffix(".json").unlink()
    with pytest.raises(ModelError, match="no model card"):
        load_model(path)


def test_a_model_of_another_sklearn_version_scores_the_same_without_a_warning(tmp_path, small_model):
    """The artefact is numbers: scikit-learn is not used to tag, so the version it was trained with
    cannot change the scores (the card still names it)."""
    import warnings

    path = tmp_path / "m.npz"
    save_model(small_model, path, {"versions": {"scikit-learn": "0.0.1"}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load_model(path)
    assert loaded.info["card"]["versions"]["scikit-learn"] == "0.0.1"
    texts = ["Thresholds are well understood.", "Out of hours services are robust."]
    pd.testing.assert_frame_equal(loaded.predict(texts), small_model.predict(texts))


def _unseen():
    """Sentences written for this test in the style of Ofsted's letters (no model trains on them), labelled by
    reading each against the codebook (its 2026-11-29 rulings included)."""
    frame = pd.read_csv(REPO / "tests" / "fixtures" / "unseen_sentences.csv", keep_default_na=False)
    return list(frame["text"]), [tuple(t for t in x.split(";") if t) for x in frame["themes"]], list(frame["polarity"])


def test_shipped_model_reads_sentences_it_never_saw(shipped_model):
    """A floor, not a score to tune to: on sentences outside every label file, the shipped model's theme
    micro-F1 and polarity accuracy stay above what the keyword tagger reaches on them."""
    from ofsted_nlp.training.labels import fingerprint, load_corpus_labels

    texts, themes, polarity = _unseen()
    labels_dir = REPO / "data" / "labels"
    known = {x.fingerprint for f in ("corpus.csv", "second_reader.csv") for x in load_corpus_labels(labels_dir / f)}
    known |= {fingerprint(x.text) for x in load_seed_labels(labels_dir / "seeds.csv")}
    assert not known & {fingerprint(t) for t in texts}  # none of them is a training sentence
    out = shipped_model.predict(texts)
    tp = sum(len(set(p) & set(g)) for p, g in zip(out["themes"], themes))
    fp = sum(len(set(p) - set(g)) for p, g in zip(out["themes"], themes))
    fn = sum(len(set(g) - set(p)) for p, g in zip(out["themes"], themes))
    theme_f1 = 2 * tp / (2 * tp + fp + fn)
    accuracy = float(np.mean([p == g for p, g in zip(out["polarity"], polarity)]))
    assert theme_f1 >= 0.80, theme_f1
    assert accuracy >= 0.75, accuracy


def test_shipped_model_card_is_complete(shipped_model):
    card = shipped_model.info["card"]
    for key in ("versions", "data", "thresholds", "evaluation", "sha256"):
        assert card.get(key), key
    assert card["data"]["unattached"] == 0
    assert set(card["thresholds"]) == set(THEMES)
    assert set(card["evaluation"]["systems"]) == {"model", "keywords", "majority"}


def test_the_shipped_model_is_the_student_of_the_committed_soft_labels(shipped_model):
    """The card names the soft-label file it learnt from; that file is the one in the repository."""
    from ofsted_nlp.tagging.model import sha256_of
    from ofsted_nlp.training.dataset import SOFT_LABELS

    soft = shipped_model.info["card"]["soft_labels"]
    assert soft["sha256"] == sha256_of(SOFT_LABELS)
    assert soft["unattached"] == 0 and soft["sentences"] > 100_000 and soft["weight"] > 0


@pytest.mark.filterwarnings("ignore:Label not .* is present in all training examples")  # a theme absent from a fold
def test_evaluation_also_scores_the_sentences_drawn_at_random(seed_data, monkeypatch):
    from ofsted_nlp.training import evaluation
    from ofsted_nlp.training.dataset import TrainingData
    from ofsted_nlp.training.evaluation import cross_validate

    texts, Y, pol, groups = seed_data
    # The second cross-validation's folds are the first's: each fold's model is fitted once and given again
    # (training is deterministic, tested above): what is checked here is how ``drawn`` changes the scoring.
    fitted: dict[tuple, object] = {}
    real_fit = evaluation.fit_model

    def fit_once(fold_texts, *args):
        key = (tuple(fold_texts), repr(args))
        if key not in fitted:
            fitted[key] = real_fit(fold_texts, *args)
        return fitted[key]

    monkeypatch.setattr(evaluation, "fit_model", fit_once)
    drawn = ["random" if i % 3 else "net:caseloads" for i in range(len(texts))]
    data = TrainingData(texts, Y, pol, groups, groups, [], drawn)
    res = cross_validate(data, n_splits=2)
    sub = res["subsets"]["drawn at random"]
    assert sub["sentences"] == drawn.count("random")
    assert set(sub["systems"]) == set(res["systems"]) == {"model", "keywords", "majority"}
    assert sub["systems"]["model"]["per_polarity"]["positive"]["support"] < \
        res["systems"]["model"]["per_polarity"]["positive"]["support"]
    without = cross_validate(TrainingData(texts, Y, pol, groups, groups, []), n_splits=2)
    assert without["subsets"] == {}
    assert without["systems"]["model"]["theme_macro_f1"] == res["systems"]["model"]["theme_macro_f1"]
    assert len(fitted) == 2  # one model per fold, used by both


def test_an_old_joblib_model_is_refused_in_one_line_trusted_or_not(tmp_path, small_fit):
    """Pickles were an earlier model format: this version reads only the .npz artefact, and says how to
    get one; unpickling is never tried (nothing it holds runs)."""
    import joblib

    from ofsted_nlp.tagging.model import card_path, sha256_of

    path = tmp_path / "m.joblib"
    joblib.dump(small_fit, path)
    card_path(path).write_text(json.dumps({"sha256": sha256_of(path)}))
    for trust in (False, True):
        with pytest.raises(ModelError, match="pickle.*reads only the .npz.*retrain with `ofsted-nlp train`") as caught:
            load_model(path, trust_pickle=trust)
        assert "\n" not in str(caught.value)


class _Planted:
    """Unpickling this runs code: it writes a file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (pathlib_write, (self.marker,))


def pathlib_write(marker: str) -> None:
    from pathlib import Path

    Path(marker).write_text("code ran")


@pytest.mark.parametrize("name", ["m.joblib", "m.npz", "m.pkl"])
def test_a_planted_pickle_runs_nothing_when_loaded(tmp_path, name):
    """A file that would run code if unpickled is refused with one line, whatever its name, card or not."""
    from ofsted_nlp.tagging.model import card_path, sha256_of

    marker = tmp_path / "ran"
    path = tmp_path / name
    path.write_bytes(pickle.dumps(_Planted(marker)))
    card_path(path).write_text(json.dumps({"sha256": sha256_of(path)}))  # whoever planted it can write the card
    with pytest.raises(ModelError) as caught:
        load_model(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)
    assert not marker.exists()


def test_an_npz_with_an_object_array_runs_nothing(tmp_path):
    """A .npz can hold a pickled object array: numpy refuses it (allow_pickle=False) before building it."""
    from ofsted_nlp.tagging.model import card_path, sha256_of

    marker = tmp_path / "ran"
    path = tmp_path / "m.npz"
    np.savez(path, header=np.array([_Planted(marker)], dtype=object))
    card_path(path).write_text(json.dumps({"sha256": sha256_of(path)}))
    with pytest.raises(ModelError, match="header: an object array.*allow_pickle=False"):
        load_model(path)
    assert not marker.exists()


def test_a_model_format_of_another_version_is_refused(tmp_path, small_model):
    from ofsted_nlp.tagging import modelfile
    from ofsted_nlp.tagging.model import card_path, sha256_of
    from ofsted_nlp.training.export import model_arrays

    arrays = model_arrays(small_model)
    header = json.loads(arrays["header"].tobytes())
    header["format_version"] = modelfile.FORMAT_VERSION + 1
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    path = tmp_path / "future.npz"
    np.savez(path, **arrays)
    card_path(path).write_text(json.dumps({"sha256": sha256_of(path)}))
    with pytest.raises(ModelError, match=f"format version {modelfile.FORMAT_VERSION + 1}.*reads version"):
        load_model(path)


def test_a_card_that_is_not_an_object_is_one_line(tmp_path, small_model):
    path = tmp_path / "m.npz"
    save_model(small_model, path, _card())
    path.with_suffix(".json").write_text("[1, 2]")
    with pytest.raises(ModelError, match="not a model card"):
        load_model(path)


def test_saved_model_holds_every_parameter(tmp_path, small_model):
    """Loading gives the same artefact: blocks, vocabularies, idf, coefficients and thresholds (not only
    the same predictions)."""
    path = tmp_path / "m.npz"
    save_model(small_model, path, _card())
    loaded = load_model(path)
    assert loaded.thresholds == small_model.thresholds
    assert loaded.polarity_classes == small_model.polarity_classes
    assert len(loaded.blocks) == len(small_model.blocks) == 3
    for a, b in zip(small_model.blocks, loaded.blocks):
        assert (a.name, a.kind, a.params, a.weight, a.vocabulary) == (b.name, b.kind, b.params, b.weight, b.vocabulary)
        assert (a.idf is None and b.idf is None) or np.array_equal(a.idf, b.idf)
    for name in ("theme_coef", "theme_intercept", "polarity_coef", "polarity_intercept"):
        assert np.array_equal(getattr(small_model, name), getattr(loaded, name)), name
    assert loaded.feature_names() == small_model.feature_names()


def test_polarity_with_the_layout_is_the_same_from_predict_and_from_tables(small_model):
    """One place decides polarity: the model, told the judgement each sentence stands under."""
    from ofsted_nlp.batch.rows import findings_table
    from ofsted_nlp.reading.letter import Finding, Letter

    texts = ["The consistent timeliness of screening.", "Ensure that supervision is regular.",
             "The consistent timeliness of screening."]
    judgements = ["development", "priority_action", "unspecified"]
    predicted = small_model.predict(texts, judgements)
    assert list(predicted["polarity"])[:2] == ["negative", "negative"]
    assert predicted["polarity"][2] == small_model.predict(texts[2:])["polarity"][0]  # no layout: the model's
    letter = Letter(path="x.txt", document="x", kind="ucra", date=None, date_source=None, visit_dates=None,
                    la_name=None, old_la_code=None, new_la_code=None, region_code=None, region_name=None, title="",
                    findings=[Finding(t, "", j, i) for i, (t, j) in enumerate(zip(texts, judgements))])
    table = findings_table([letter], small_model)
    assert list(table["polarity"]) == list(predicted["polarity"])
    with pytest.raises(ValueError, match="judgements for"):
        small_model.tag(texts, judgements[:1])


def test_eight_threads_tag_as_one_does(small_model, seed_data):
    """A fresh model's word tables are built and shared by threads: 8 threads give one thread's results,
    also while the shared word index starts new generations under them."""
    texts = seed_data[0]
    assert_threads_agree(small_model, [texts[i::5] + [f"A sentence about {w} and caseloads." for w in texts[i].split()[:4]]
                                       for i in range(16)])


def test_a_lone_surrogate_is_scored_and_poisons_nothing(shipped_model):
    """Issue 21 s4: a text holding a lone surrogate (as from bytes decoded with surrogateescape) used to
    raise UnicodeEncodeError in the character n-grams, and so did every later call in the process, even of
    a new model. It is scored as if U+FFFD stood there; the calls after it work."""
    import copy

    model = copy.deepcopy(shipped_model)
    clean = ["Supervision is poor.", "Caseloads are high.", "b\u00e9b\u00e9 \u2019s"]
    before = model.probabilities(clean)
    out = model.predict(["a \udcff b", "Supervision is poor \udcff\ud800 and thresholds unclear."])
    assert list(out["text"]) == ["a \udcff b", "Supervision is poor \udcff\ud800 and thresholds unclear."]
    replaced = model.probabilities(["a \ufffd b", "Supervision is poor \ufffd\ufffd and thresholds unclear."])
    assert np.array_equal(out[[f"p_{t}" for t in THEMES]].to_numpy(), replaced[0])
    for m in (model, copy.deepcopy(shipped_model)):
        after = m.probabilities(clean)
        assert np.array_equal(before[0], after[0]) and np.array_equal(before[1], after[1])
    assert model.predict(["Supervision is poor."])["themes"][0] == ("supervision",)


@pytest.mark.parametrize("call", ["predict", "tag", "probabilities"])
def test_one_string_is_refused_not_read_as_one_sentence_per_character(shipped_model, call):
    """Issue 21 s4: predict("Supervision is poor.") gave 20 rows, one per character."""
    with pytest.raises(TypeError, match=r"not one string: pass \[text\]"):
        getattr(shipped_model, call)("Supervision is poor.")
    with pytest.raises(TypeError, match="not one string"):
        getattr(shipped_model, call)(b"Supervision is poor.")
    assert len(shipped_model.predict(["Supervision is poor."])) == 1
