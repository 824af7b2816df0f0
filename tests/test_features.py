"""Feature extractors: scikit-learn's contracts, and the cached char n-grams equal scikit-learn's own."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from conftest import REPO
from ofsted_nlp.features import CharNgramTfidf, CodebookFeatures
from ofsted_nlp.labels import load_seed_labels

TEXTS = [x.text for x in load_seed_labels(REPO / "data" / "labels" / "seeds.csv")]


@pytest.mark.parametrize("estimator", [CharNgramTfidf(), CodebookFeatures()], ids=["chars", "codebook"])
@pytest.mark.parametrize(
    "check",
    [check_no_attributes_set_in_init, check_parameters_default_constructible, check_get_params_invariance,
     check_set_params],
)
def test_sklearn_contracts(estimator, check):
    check(type(estimator).__name__, estimator)


@pytest.mark.parametrize("max_features", [None, 500])
def test_char_ngrams_equal_sklearns_char_wb(max_features):
    train, test = TEXTS[:120] + ["a an I ox"], TEXTS[120:] + ["Unseen wordz and a  double  space."]
    ref = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True,
                          max_features=max_features)
    mine = CharNgramTfidf(ngram_range=(3, 5), min_df=2, max_features=max_features)
    A, B = ref.fit_transform(train), mine.fit_transform(train)
    assert list(ref.get_feature_names_out()) == list(mine.get_feature_names_out())
    assert abs(A - B).max() < 1e-12
    assert abs(ref.transform(test) - mine.transform(test)).max() < 1e-12


def test_char_ngrams_pickle_without_cache():
    mine = CharNgramTfidf(min_df=1).fit(TEXTS)
    mine.transform(TEXTS[:5])
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
