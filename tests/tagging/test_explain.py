"""Explanations: the n-grams behind a decision, and keyword in context."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from ofsted_nlp import explain_sentence, kwic, theme_terms

CASELOAD_NGRAMS = re.compile(r"caseload|workload|high number|number of cases|capacity|codebook:caseloads")
SENTENCE = "Social workers are carrying a high number of cases and their workloads are too high."


def test_caseload_sentence_is_explained_by_caseload_ngrams(shipped_model):
    out = explain_sentence(shipped_model, SENTENCE, top=5)
    assert "caseloads" in out["themes"]
    reasons = out["theme_reasons"]["caseloads"]
    assert reasons["probability"] >= reasons["threshold"]
    top_for = [c.feature for c in reasons["for"]]
    assert any(CASELOAD_NGRAMS.search(f) for f in top_for[:3]), top_for
    assert all(c.weight > 0 for c in reasons["for"]) and all(c.weight < 0 for c in reasons["against"])
    assert out["polarity"] == "negative"


def test_theme_terms_for_caseloads(shipped_model):
    pos, neg = theme_terms(shipped_model, "caseloads", top=10)
    assert any(CASELOAD_NGRAMS.search(c.feature) for c in pos[:5])
    assert pos[0].weight > 0 > neg[0].weight
    with pytest.raises(ValueError, match="unknown theme"):
        theme_terms(shipped_model, "workload")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "ofsted_nlp.cli.app", *args], capture_output=True, text=True,
                          timeout=120)


def test_explain_command(shipped_model):
    res = _cli("explain", SENTENCE)
    assert res.returncode == 0, res.stderr
    assert "themes: caseloads" in res.stdout
    [line] = [ln for ln in res.stdout.splitlines() if ln.startswith("caseloads: ")]
    m = re.fullmatch(r"caseloads: yes p=([0-9.]+) \(threshold ([0-9.]+)\)", line)
    assert m and float(m[1]) >= float(m[2]), line  # chosen, and over its threshold
    assert CASELOAD_NGRAMS.search(res.stdout.split("caseloads: yes", 1)[1].splitlines()[1])
    res = _cli("explain", "--theme", "out_of_hours", "--top", "5")
    assert res.returncode == 0 and "out_of_hours: strongest n-grams for" in res.stdout
    assert len([l for l in res.stdout.splitlines() if l.startswith("  ")]) == 10


@pytest.mark.parametrize("args", [["explain"], ["explain", "--theme", "workload"], ["explain", "x", "--theme", "caf"]])
def test_explain_usage_errors(args, shipped_model):
    res = _cli(*args)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and res.stderr.strip()


def test_kwic_shows_each_occurrence_in_context():
    hits = kwic(["Supervision is regular; supervision records are good.", "No match here."], r"supervis\w*", width=10)
    assert [h[1] for h in hits] == ["Supervision", "supervision"]
    assert hits[1][0].endswith("regular; ") and hits[1][2].startswith(" records")


def test_contributions_add_up_to_the_models_scores(shipped_model):
    """Every feature's value times its coefficient, read from the artefact, sums (with the intercept) to the
    score the tagger turns into each probability: explain splits the very decision tagging makes."""
    import numpy as np

    from ofsted_nlp.schema import THEMES
    from ofsted_nlp.tagging.explain import feature_values

    for text in (SENTENCE, "Supervision is regular, but thresholds are not applied consistently.", "zebra"):
        x = feature_values(shipped_model, text)
        assert x.shape == (shipped_model.n_features,) == (len(shipped_model.feature_names()),)
        P, Q = shipped_model.probabilities([text])
        scores = shipped_model.theme_coef @ x + shipped_model.theme_intercept
        assert np.allclose(scores, np.log(P[0] / (1 - P[0])), rtol=0, atol=1e-9), text
        z = shipped_model.polarity_coef @ x + shipped_model.polarity_intercept
        assert np.allclose(np.exp(z - z.max()) / np.exp(z - z.max()).sum(), Q[0], rtol=0, atol=1e-12)
        out = explain_sentence(shipped_model, text, top=100)
        j = THEMES.index("caseloads")
        named = sum(c.weight for c in out["theme_reasons"]["caseloads"]["for"] + out["theme_reasons"]["caseloads"]["against"])
        assert abs(named + out["theme_reasons"]["caseloads"]["characters"] + shipped_model.theme_intercept[j]
                   - scores[j]) < 1e-9 or len(out["theme_reasons"]["caseloads"]["for"]) == 100
