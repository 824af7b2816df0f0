"""The codebook's layout rule: recommendations and noun-phrase bullets under "What needs to improve" are negative."""

from __future__ import annotations

import numpy as np
import pytest

from ofsted_nlp.schema import POLARITIES, THEMES
from ofsted_nlp.tagging import layout
from ofsted_nlp.tagging.tags import decide

# The forms Ofsted's development sections take (written for the tests in the corpus's shapes).
RECOMMENDATIONS = [
    "Ensure that plans for children are reviewed when placements break down.",
    "Provide regular, reflective supervision to social workers.",
    "Work with partners to ensure that return home interviews are offered to every child.",
    "Fully implement the sufficiency strategy and report progress to leaders.",
    "For children placed outside the borough, ensure that their health needs are assessed.",
    "When children go missing, ensure that social workers understand the risks, and record them.",
    "In partnership with the safeguarding board, launch the neglect strategy.",
    "The virtual school needs to ensure that children in care receive careers advice.",
    "Leaders should urgently review the alignment of plans with the improvement board's objectives.",
    "Plans need to: be outcome focused; include the child's views.",
]
BULLETS = [
    "Reviews of plans when children's placements break down.",
    "The quality of assessments",
    "Purposeful visits to children which are responsive to changes in need and risk and include life-story work.",
    "The number of return home interviews that are completed with children who have been missing from care.",
    "How well plans and meetings are used to measure and bring about progress for children.",
    "The quality of strategy discussions and meetings so that they are timely, involve all relevant partners and "
    "are well recorded, and so that the decisions made in them are clearly recorded on every child's file and "
    "shared with the family and with every agency that took part in the discussion.",
    "Management oversight and timely progression of all contacts in the front door, including children "
    "identified as having immediate need.",
    "Timely referral to the missing triage to ensure consideration is given to safeguarding.",
    "The support offer to foster carers.",
]
CLAUSES = [  # findings with a main verb: the model decides their polarity
    "Child protection concerns are responded to promptly and effectively.",
    "There are no priority actions following this focused visit.",
    "Most social workers provide highly child-centred support to children when they move.",
    "Senior leaders have an accurate understanding of the service.",
    "Audits are mostly accurate and highlight relevant issues.",
    "This includes the use of written agreements as safety plans.",
    "No areas were identified for immediate improvement.",
]


@pytest.mark.parametrize("text", RECOMMENDATIONS)
def test_recommendations_are_recognised(text):
    assert layout.is_imperative(text) or layout.is_duty(text)
    assert layout.is_recommendation_or_bullet(text)


@pytest.mark.parametrize("text", BULLETS)
def test_noun_phrase_bullets_are_recognised_however_long_and_with_or_without_a_full_stop(text):
    assert layout.is_noun_phrase_bullet(text)
    assert layout.is_recommendation_or_bullet(text)


@pytest.mark.parametrize("text", CLAUSES)
def test_clauses_are_left_to_the_model(text):
    assert not layout.is_recommendation_or_bullet(text)


def _decide(texts, judgements, polarity="positive"):
    P = np.zeros((len(texts), len(THEMES)))
    Q = np.zeros((len(texts), len(POLARITIES)))
    Q[:, POLARITIES.index(polarity)] = 1.0
    return decide(texts, P, Q, dict.fromkeys(THEMES, 0.5), judgements=judgements).polarity


def test_the_rule_makes_bullets_under_development_headings_negative_and_nothing_elsewhere():
    texts = BULLETS[2:4] + RECOMMENDATIONS[:2] + CLAUSES[:2]
    n = len(texts)
    assert _decide(texts, ["development"] * n) == ["negative"] * 4 + ["positive"] * 2
    assert _decide(texts, ["priority_action"] * n, "neutral") == ["negative"] * 4 + ["neutral"] * 2
    assert _decide(texts, ["unspecified"] * n) == ["positive"] * n
    assert _decide(texts, ["strength"] * n) == ["positive"] * n


@pytest.mark.slow
def test_what_needs_to_improve_in_recent_focused_visits_is_read_as_the_codebook_says(corpus):
    """Real examples: since 2020 a focused visit lists what needs to improve as recommendations and bullets.
    Nearly every finding under that heading, in every such letter of the corpus, takes one of the forms."""
    from ofsted_nlp import read_letter

    paths = sorted(p for p in (corpus / "letters").glob("*.pdf") if p.stem[-10:-6] >= "2022")[:40]
    assert len(paths) >= 20
    found = recognised = 0
    for path in paths:
        try:
            letter = read_letter(path)
        except Exception:  # a file that is not what its name says: the reader's tests cover it
            continue
        for f in letter.findings:
            if f.judgement in ("development", "priority_action"):
                found += 1
                recognised += layout.is_recommendation_or_bullet(f.text)
    assert found >= 60
    assert recognised / found >= 0.93, (recognised, found)
