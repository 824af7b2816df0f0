"""Who the inspectors were, how they worked and what happens next are not findings (codebook, 2026-11-29)."""

from __future__ import annotations

import pytest

from ofsted_nlp.reading.sentences import is_finding_text

NOT_FINDINGS = [
    "Jane Smith Senior HMI; Ann Jones Senior HMI; Tom Brown HMI and National Lead for Fostering and Adoption.",
    "The quality assurance manager was John Green, Senior HMI.",
    "The team inspector worked remotely and used video calls for discussions with staff and leaders.",
    "In addition, Her Majesty's Chief Inspector will act within the terms of the published information sharing "
    "protocol (agreed between all the relevant inspectorates) in sharing these findings.",
    "Consequently, His Majesty's Chief Inspector will act within the terms of the published information sharing "
    "protocol.",
    "(Outcome 3, national framework)",  # a cross-reference standing alone after a bullet
    "(page 25, paragraph 85).",
]
FINDINGS = [  # inspectors or HMI named, but the sentence judges
    "Recently judged by HMI Probation as outstanding, the youth offending service is integral to children's services.",
    "The inspection team saw much evidence of committed and ambitious staff.",
    "A new quality assurance framework has been developed and a quality assurance manager has been appointed.",
    "Issues raised by the inspection team are well understood and included in the improvement plan.",
]


@pytest.mark.parametrize("sentence", NOT_FINDINGS)
def test_inspectors_their_methods_and_next_steps_are_not_findings(sentence):
    assert not is_finding_text(sentence)


@pytest.mark.parametrize("sentence", FINDINGS)
def test_sentences_that_judge_stay_findings(sentence):
    assert is_finding_text(sentence)
