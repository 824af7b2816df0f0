"""The codebook's vocabulary: the keyword baseline and the fast path of its patterns."""

from __future__ import annotations

import pytest

from conftest import REPO
from ofsted_nlp import keywords
from ofsted_nlp.labels import load_seed_labels

TEXTS = [x.text for x in load_seed_labels(REPO / "data" / "labels" / "seeds.csv")]


def _full_scan(text: str) -> dict[str, int]:
    low = text.lower()
    out = {}
    for theme, rx in keywords._COMPILED.items():
        cleaned = keywords._EXCLUDED[theme].sub(" ", low) if theme in keywords._EXCLUDED else low
        out[theme] = len(rx.findall(cleaned))
    return out


def test_trigger_prefilter_never_changes_a_count():
    extra = ["Overdue reviews; out-of-hours EDT; caseloads; step-down; managers' oversight; TAF meetings.",
             "The threshold of the building", "an emergency protection order", "a core assessment by CAF"]
    for text in TEXTS + extra:
        assert keywords.theme_hits(text) == _full_scan(text), text


@pytest.mark.parametrize(
    "text, themes",
    [
        ("Social workers carry high caseloads.", ("caseloads",)),
        ("The child is subject to a supervision order.", ()),
        ("An emergency protection order was sought.", ()),
        ("Out-of-hours services link well with daytime services.", ("out_of_hours",)),
        ("Decisions are not timely and there is drift.", ("timeliness",)),
        ("The common assessment framework is used well.", ("caf",)),
    ],
)
def test_keyword_baseline_follows_the_codebook_words(text, themes):
    assert keywords.keyword_themes(text) == themes


def test_keyword_polarity_reads_recommendations_as_negative():
    assert keywords.keyword_polarity("Ensure that supervision is regular.") == "negative"
    assert keywords.keyword_polarity("Supervision is regular and effective.") == "positive"
