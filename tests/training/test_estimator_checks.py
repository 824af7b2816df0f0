"""Training's transformers against scikit-learn's own estimator checks (``parametrize_with_checks``), as
scikit-lego tests its estimators: every check runs, and those a text transformer cannot pass are listed with
the reason. A check that fails and is not listed fails this test (e.g. after a scikit-learn upgrade); a listed
one that starts passing is reported as XPASS."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from ofsted_nlp.training.features import CharNgramTfidf, CodebookFeatures, WordNgramTfidf

TEXT = "takes texts (one string per row), not a numeric 2-D array"
NUMBERS = f"{TEXT}: a row of numbers is read as its text, so numeric checks of input do not apply"
NO_FEATURES_IN = f"{TEXT}: there is no number of input features to set or compare"
SPARSE = f"{TEXT}: sparse input is not a thing it takes or refuses"

# Every check that feeds numbers fails for the word n-grams: scikit-learn's TfidfVectorizer fits them and
# refuses non-text ('numpy.ndarray' object has no attribute 'lower').
_VECTORIZER = f"{TEXT}: fitted by scikit-learn's TfidfVectorizer, which refuses the check's numeric rows"
_WORD_CHECKS = [
    "check_complex_data", "check_dict_unchanged", "check_dont_overwrite_parameters", "check_dtype_object",
    "check_estimator_sparse_array", "check_estimator_sparse_matrix", "check_estimator_sparse_tag",
    "check_estimators_dtypes", "check_estimators_empty_data_messages", "check_estimators_fit_returns_self",
    "check_estimators_nan_inf", "check_estimators_overwrite_params", "check_estimators_pickle",
    "check_f_contiguous_array_estimator", "check_fit1d", "check_fit2d_1feature", "check_fit2d_1sample",
    "check_fit2d_predict1d", "check_fit_check_is_fitted", "check_fit_idempotent", "check_fit_score_takes_y",
    "check_methods_sample_order_invariance", "check_methods_subset_invariance", "check_n_features_in",
    "check_n_features_in_after_fitting", "check_pipeline_consistency", "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input", "check_transformer_data_not_an_array", "check_transformer_general",
    "check_transformer_preserve_dtypes",
]

_STRINGIFIED = {  # the char n-grams and the codebook read each row as text: these are all that fail
    "check_complex_data": NUMBERS,
    "check_dtype_object": NUMBERS,
    "check_estimators_nan_inf": NUMBERS,
    "check_estimators_empty_data_messages": f"{TEXT}: no texts fit an empty vocabulary, or none (codebook)",
    "check_fit1d": f"{TEXT}: a 1-D array of texts is exactly its input",
    "check_fit2d_predict1d": f"{TEXT}: a 1-D array of texts is exactly its input",
    "check_n_features_in": NO_FEATURES_IN,
    "check_n_features_in_after_fitting": NO_FEATURES_IN,
    "check_transformer_general": f"{NO_FEATURES_IN}, so a row of another width is not refused",
    "check_transformer_data_not_an_array": f"{TEXT}: the check's array-like wrapper is not an iterable of rows",
    "check_estimator_sparse_tag": SPARSE,
}

EXPECTED_FAILURES = {
    WordNgramTfidf: dict.fromkeys(_WORD_CHECKS, _VECTORIZER),
    CharNgramTfidf: {**_STRINGIFIED, "check_estimator_sparse_array": SPARSE, "check_estimator_sparse_matrix": SPARSE},
    CodebookFeatures: _STRINGIFIED,
}


@parametrize_with_checks([WordNgramTfidf(), CharNgramTfidf(), CodebookFeatures()],
                         expected_failed_checks=lambda est: EXPECTED_FAILURES[type(est)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
