"""The matrix as a metric: authority x theme cells whose sign a model gets right."""

from __future__ import annotations

import pytest

from ofsted_nlp.training.cells import cell_agreement


def test_cells_are_the_readers_and_each_is_judged_by_its_sign():
    A, B = "E09000012", "E08000003"
    authorities = [A, A, A, B, B, B, B, A]
    truth_themes = [("caseloads",), ("caseloads",), ("supervision",), ("caseloads",), ("caseloads",),
                    ("timeliness",), ("timeliness",), ("caf",)]
    truth_pol = ["negative", "negative", "positive", "positive", "negative", "positive", "positive", "negative"]
    # model: A/caseloads right (negative), B/caseloads balanced -> model says positive, B/timeliness flipped,
    # A/supervision below the floor (one finding), A/caf below the floor
    pred_themes = [("caseloads",), ("caseloads",), ("supervision",), ("caseloads",), ("caseloads",),
                   ("timeliness",), ("timeliness",), ()]
    pred_pol = ["negative", "neutral", "positive", "positive", "positive", "negative", "negative", "negative"]
    got = cell_agreement(authorities, truth_themes, truth_pol, pred_themes, pred_pol)
    assert (got.cells, got.right, got.flipped, got.balanced, got.empty) == (3, 1, 1, 1, 0)
    assert got.share_right == pytest.approx(1 / 3)


def test_a_missed_theme_leaves_the_cell_empty_and_neutral_findings_do_not_count():
    authorities = ["X"] * 3
    truth = [("caseloads",)] * 3
    pol = ["negative", "negative", "neutral"]
    missed = cell_agreement(authorities, truth, pol, [()] * 3, pol)
    assert (missed.cells, missed.empty, missed.right) == (1, 1, 0)
    all_neutral = cell_agreement(authorities, truth, pol, truth, ["neutral"] * 3)
    assert all_neutral.empty == 1
    assert cell_agreement(authorities, truth, pol, truth, pol).as_dict()["share_right"] == 1.0


def test_cells_need_one_entry_per_sentence():
    with pytest.raises(ValueError):
        cell_agreement(["X"], [("caseloads",)], ["negative"], [], [])
