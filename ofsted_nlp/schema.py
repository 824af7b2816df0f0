"""The schema, written once: the names every table, label and model uses.

Themes, polarities and judgements come from the codebook; kinds of document,
inspection frameworks, areas and grades from Ofsted's own layouts. Output
columns are listed here so that the tag table, its writers and the Python API
cannot drift apart.
"""

from __future__ import annotations

from typing import Final

# ----------------------------------------------------------------- the codebook
THEMES: Final = ("supervision", "thresholds", "timeliness", "caseloads", "out_of_hours", "caf")
POLARITIES: Final = ("positive", "negative", "neutral")
SCORE_KEYS: Final = THEMES + POLARITIES  # a finding's scores: each theme's, then each polarity class's
JUDGEMENTS: Final = ("strength", "satisfactory", "development", "priority_action", "unspecified")

# ----------------------------------------------------------------- documents
# The kind of document, read from its title: annual unannounced inspection of
# contact, referral and assessment (2009-12 letters), focused visit, monitoring
# visit, single inspection framework report (2013-18), ILACS report (2018-), other.
KINDS: Final = ("ucra", "focused_visit", "monitoring_visit", "sif", "ilacs", "other")
KIND_LABELS: Final = {
    "ucra": "unannounced inspection",
    "focused_visit": "focused visit",
    "monitoring_visit": "monitoring visit",
    "sif": "SIF inspection",
    "ilacs": "ILACS inspection",
    "other": "other document",
}
# The inspection framework, finer than the kind where grades depend on it.
FRAMEWORKS: Final = ("ucra", "sif", "ilacs_standard", "ilacs_short", "focused_visit", "monitoring_visit", "jtai",
                     "other")
# The frameworks whose reports grade areas (the judgement table, area headings, grade columns).
GRADED_FRAMEWORKS: Final = ("sif", "ilacs_standard", "ilacs_short")

# ----------------------------------------------------------------- areas and grades
# The areas a graded report judges; a finding stands under one of them (or none).
AREAS: Final = ("overall", "leaders", "help_and_protection", "in_care", "care_leavers", "adoption", "lscb")
GRADES: Final = ("outstanding", "good", "requires_improvement", "inadequate")
# Framework-aware values where a document has no grade for an area.
NOT_JUDGED_BEFORE_2023: Final = "not_judged_before_2023"  # care leavers, ILACS before January 2023
NOT_REPORTED_POST_REFORM: Final = "not_reported_post_reform"  # overall effectiveness after April 2026
NOT_APPLICABLE: Final = "not_applicable"  # letters and visits: no grades at all
NOT_JUDGED: Final = "not_judged"  # the report says so ("Not judged": Isles of Scilly 2016, no children in care)
GRADE_VALUES: Final = GRADES + (NOT_JUDGED_BEFORE_2023, NOT_REPORTED_POST_REFORM, NOT_APPLICABLE, NOT_JUDGED)
# The grade columns of tables: column name -> area.
GRADE_COLUMNS: Final = {
    "overall_effectiveness": "overall",
    "impact_of_leaders": "leaders",
    "help_and_protection": "help_and_protection",
    "in_care": "in_care",
    "care_leavers": "care_leavers",
}
