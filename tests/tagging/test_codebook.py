"""The codebook's vocabulary: the keyword baseline and the fast path of its patterns."""

from __future__ import annotations

import pytest
from conftest import REPO

from ofsted_nlp.tagging import codebook as keywords
from ofsted_nlp.training.labels import load_seed_labels

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


# The polarity cues as one regular expression each, as the codebook's first
# version wrote them: the words-and-phrases form must count exactly the same.
ORIGINAL_CUES = {
    "positive": r"\b(good|effective(ly)?|adequate|improv(ed|ing|ement)|in place|strong(ly)?|robust|well|timely|"
    r"appropriate(ly)?|clear(ly)?|thorough|consistent(ly)?|high[- ]quality|manageable|strength|swift(ly)?|"
    r"prompt(ly)?|secure|comprehensive|outstanding|valued|sensitive(ly)?|successful(ly)?|positive)\b",
    "negative": r"\b(weak(ness|nesses)?|inconsistent(ly)?|insufficient(ly)?|late|not (yet|always|consistently|"
    r"sufficiently|effective|timely|clear|robust|routinely|all|well)|needs? to (improve|be)|too (long|slow|high|"
    r"many|few|variable)|delay(s|ed)?|drift|poor(ly)?|lack(s|ing)?|variable|limited|inadequate|fail(s|ed|ure)?|"
    r"gaps?|ensure|strengthen|improve|however|but|although|while|despite|few|unclear|slow|absence|shortfall)\b",
    "neutral": r"\b(plans? to|is implementing|are implementing|aspires?|has recently|have recently|"
    r"being addressed|intends?|will be|are developing|is developing|in the process of|too (soon|early) to)\b",
}

# Sentences at the edges of the patterns: phrases that swallow a cue word, cue
# words inside longer words, case, punctuation, hyphens, the exclusions.
EDGES = [
    "Supervision is too slow and plans need to improve; delays are not well understood.",
    "High-quality, high quality and highquality work is in place (in  place).",
    "Work is not yet consistently good: needs to be better, too few staff, too late.",
    "The service plans to act; it is implementing and has recently begun; it will be reviewed too soon to tell.",
    "Whilst caseloads are manageable, unmanageable workloads, vacancies and EDT cover at weekends persist.",
    "Isn't it? Aren't they? It works. This helped. They visited.",
    "Quality of plans.", "Ensure that supervision is regular.", "capturing the child's voice",
    "The supervision order and supervision orders; the threshold of the building; an emergency protection order.",
    "Step-down, stepped up, overdue and overtdue timescales; drift; backlogs; the right time; earliest opportunity.",
    "Team around the family, TAF, TAC, CAF and early help; a core assessment; common assessment framework.",
    "GOOD, Effective, WELL-led, ill-prepared; goodness; unwell; but-not; however.", "", "   ",
    "Na\u00efve caf\u00e9 work \u2013 \u201cprompt\u201d and \u2018swift\u2019.",
]


def test_cue_words_and_phrases_count_as_the_original_patterns():
    import re

    original = {p: re.compile(x) for p, x in ORIGINAL_CUES.items()}
    for text in TEXTS + EDGES:
        low = text.lower()
        assert keywords.polarity_cues(text) == {p: len(original[p].findall(low)) for p in original}, text


def test_counting_a_batch_equals_counting_each_sentence():
    texts = TEXTS + EDGES
    counts = keywords.count_batch(texts)
    for i, text in enumerate(texts):
        assert counts.themes[i].tolist() == [keywords.theme_hits(text)[t] for t in keywords.THEMES], text
        assert counts.cues[i].tolist() == [keywords.polarity_cues(text)[p] for p in keywords.POLARITIES], text
        assert counts.shape[i].tolist() == keywords.shape_features(text), text
    assert counts.themes.sum() > 0 and counts.cues.sum() > 0  # the edges do hit the patterns


def test_start_character_lookahead_changes_no_match():
    import re

    for theme, pattern in keywords.THEME_PATTERNS.items():
        plain = re.compile(pattern.lower())
        for text in TEXTS + EDGES:
            low = text.lower()
            assert keywords._COMPILED[theme].findall(low) == plain.findall(low), (theme, text)
    assert keywords._first_chars(r"\b(ab|cd)e?|\bxy") == "acx"
    assert keywords._first_chars(r"(ab)?c") is None  # an optional start: no lookahead


def test_word_boundary_moved_after_the_first_letter_changes_no_match():
    """The theme patterns, each alternative's leading \\b written after its first letter, find what the
    plain patterns find, where they find it: on random runs of their words, parts of words, other word
    characters (an underscore, a digit, "é", "ſ") and separators."""
    import random
    import re

    assert keywords._word_start(r"\bdelay(s|ed)?\b") == r"d(?<!\w.)elay(s|ed)?\b"
    assert keywords._word_start("too long") == "too long"
    assert keywords._word_start(r"\bs?peed") is None and keywords._word_start(r"\b(ab|cd)") is None
    assert keywords._word_start(r"\b'tis") is None and keywords._word_start(r"(ab)?c") is None
    assert "(?<!" in keywords._COMPILED["timeliness"].pattern  # the theme patterns are written so
    rng = random.Random(3)
    words = ["delay", "timely", "in a timely", "too late", "late", "relate", "weekend", "caf", "tac", "edt",
             "supervision", "supervision order", "step up", "stepping-down", "speedy", "overdue", "criteria",
             "eligible", "escalate", "case load", "early help", "team around the child", "drift", "pace", "_",
             "2", "é", "ſ", "\n", " ", ".", "-", "'", "\u2019"]
    texts = ["".join(rng.choice(words) + rng.choice(["", "", " ", "\n"]) for _ in range(rng.randint(1, 15)))
             for _ in range(3000)]
    for theme, pattern in keywords.THEME_PATTERNS.items():
        plain = re.compile(pattern.lower())
        ours = keywords._COMPILED[theme]
        for text in texts:
            assert [m.span() for m in ours.finditer(text)] == [m.span() for m in plain.finditer(text)], (theme, text)


@pytest.mark.parametrize("text", [
    "The quality of plans.", "THE QUALITY OF PLANS.", "Social workers RECEIVE supervision.",
    "Plans TO Receive support.", "Managers to receive support.", "The plan IS clear.", "It Works well.",
    "IT WORKED.", "This Needs work.", "Quality OF Visits", "Ensure that plans are clear.",
    "The Kelvin \u212a and long \u017f: plans.", "Plans that Receiv\u212a.", "Capturing children's views.",
    "ISN'T clear.", "Staff Aren't supported.", "Management oversight of cases", "Work",
])
def test_list_items_are_read_the_same_in_any_case(text):
    """ASCII text is matched lower-cased by lower-case patterns: the same answer as the case-insensitive ones."""
    from ofsted_nlp.tagging.codebook import _AUXILIARY, _PLAIN_VERBS, _RECOMMENDATION, is_list_item_or_recommendation

    body = text.split(" ", 1)[1] if " " in text else ""
    expected = bool(_RECOMMENDATION.match(text)) or (
        len(text.split()) <= 30 and not _AUXILIARY.search(text) and not _PLAIN_VERBS.search(body))
    assert is_list_item_or_recommendation(text) == expected
