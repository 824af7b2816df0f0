"""The tagger: contracts, determinism, safe loading, and the shipped model's behaviour."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from conftest import REPO
from ofsted_nlp.labels import POLARITIES, THEMES, load_seed_labels
from ofsted_nlp.model import CodebookFeatures, ModelError, fit_model, load_model, save_model


@pytest.fixture(scope="module")
def seed_data():
    labels = load_seed_labels(REPO / "data" / "labels" / "seeds.csv")
    texts = [x.text for x in labels]
    Y = np.array([[1 if t in x.themes else 0 for t in THEMES] for x in labels])
    pol = [x.polarity for x in labels]
    groups = [x.document[:3] for x in labels]  # one group per seed letter
    return texts, Y, pol, groups


@pytest.fixture(scope="module")
def small_model(seed_data):
    return fit_model(*seed_data)


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


def test_probabilities_are_the_classifiers_own(small_model, seed_data):
    """The summed linear score per block gives what predict_proba gives on the full feature matrix."""
    texts = seed_data[0] + ["A sentence with words the seeds never had: zebra quokka.", ""]
    P, Q = small_model.probabilities(texts)
    X = small_model.features.transform(texts)
    assert np.abs(P - small_model.themes.predict_proba(X)).max() < 1e-9
    assert np.abs(Q - small_model.polarity.predict_proba(X)).max() < 1e-9
    tags = small_model.tag(texts)
    assert tags.polarity == [str(c) for c in small_model.polarity.predict(X)]


def test_a_weighted_union_is_scored_with_its_weights(seed_data):
    model = fit_model(*seed_data, feature_params={"codebook_weight": 3.0})
    assert model.features.transformer_weights["codebook"] == 3.0
    X = model.features.transform(seed_data[0])
    assert np.abs(model.probabilities(seed_data[0])[0] - model.themes.predict_proba(X)).max() < 1e-9


def test_training_is_deterministic(seed_data):
    a = fit_model(*seed_data).predict(seed_data[0])
    b = fit_model(*seed_data).predict(seed_data[0])
    pd.testing.assert_frame_equal(a, b)


def _card():
    import sklearn

    return {"versions": {"scikit-learn": sklearn.__version__}}


def test_save_and_load_round_trip(tmp_path, small_model):
    path = tmp_path / "m.joblib"
    card = save_model(small_model, path, _card())
    assert json.loads(path.with_suffix(".json").read_text())["sha256"] == card["sha256"]
    assert path.with_suffix(".md").read_text().startswith("# ofsted-nlp model card")
    loaded = load_model(path)
    texts = ["Thresholds are well understood.", "Out of hours services are robust."]
    pd.testing.assert_frame_equal(loaded.predict(texts), small_model.predict(texts))


def test_altered_model_is_refused_before_unpickling(tmp_path, small_model):
    path = tmp_path / "m.joblib"
    save_model(small_model, path, _card())
    with open(path, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="does not match its model card"):
        load_model(path)


def test_missing_card_or_file_is_refused(tmp_path, small_model):
    with pytest.raises(ModelError, match="no such model file"):
        load_model(tmp_path / "absent.joblib")
    path = tmp_path / "m.joblib"
    save_model(small_model, path, _card())
    path.with_suffix(".json").unlink()
    with pytest.raises(ModelError, match="no model card"):
        load_model(path)


def test_other_sklearn_version_warns_naming_both(tmp_path, small_model):
    import sklearn

    path = tmp_path / "m.joblib"
    save_model(small_model, path, {"versions": {"scikit-learn": "0.0.1"}})
    with pytest.warns(UserWarning, match=rf"scikit-learn 0\.0\.1, running {sklearn.__version__}"):
        load_model(path)


def test_shipped_model_tags_as_the_codebook_says(shipped_model):
    out = shipped_model.predict([
        "Social workers are carrying a high number of cases.",
        "Out of hours services are suitably robust and link well with daytime services.",
        "Staff supervision is regular and is being well recorded.",
        "Decisions to convene child protection conferences should have been taken earlier.",
        "Early help assessments are not consistently completed, and too many families wait too long for support.",
        # a known miss: the rare "under-utilised" is not read as negative (see README, known limits)
        "The common assessment framework is under-utilised as a multi-agency assessment tool.",
    ])
    assert "caseloads" in out["themes"][0] and out["polarity"][0] == "negative"
    assert "out_of_hours" in out["themes"][1] and out["polarity"][1] == "positive"
    assert "supervision" in out["themes"][2] and out["polarity"][2] == "positive"
    assert {"thresholds", "timeliness"} <= set(out["themes"][3]) and out["polarity"][3] == "negative"
    assert {"caf", "timeliness"} <= set(out["themes"][4]) and out["polarity"][4] == "negative"
    assert "caf" in out["themes"][5]


def test_shipped_model_card_is_complete(shipped_model):
    card = shipped_model.info["card"]
    for key in ("versions", "data", "thresholds", "evaluation", "sha256"):
        assert card.get(key), key
    assert card["data"]["unattached"] == 0
    assert set(card["thresholds"]) == set(THEMES)
    assert set(card["evaluation"]["systems"]) == {"model", "keywords", "majority"}


@pytest.mark.filterwarnings("ignore:Label not .* is present in all training examples")  # a theme absent from a fold
def test_evaluation_also_scores_the_sentences_drawn_at_random(seed_data):
    from ofsted_nlp.dataset import TrainingData
    from ofsted_nlp.evaluation import cross_validate

    texts, Y, pol, groups = seed_data
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


def test_a_model_with_the_old_character_features_is_refused(tmp_path, small_model):
    import copy

    old = copy.deepcopy(small_model)
    dict(old.features.transformer_list)["chars"].__dict__["sublinear_tf"] = True  # as session-1 models pickled it
    path = tmp_path / "old.joblib"
    save_model(old, path, _card())
    with pytest.raises(ModelError, match="earlier ofsted-nlp.*retrain"):
        load_model(path)
    save_model(small_model, tmp_path / "new.joblib", _card())
    assert isinstance(load_model(tmp_path / "new.joblib"), type(small_model))
