"""The model card: what a model was trained on, how well it does, and how to check it."""

from __future__ import annotations


def _fmt(x) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def render_markdown(card: dict) -> str:
    """A readable model card from the card's JSON."""
    lines = [
        "# ofsted-nlp model card",
        "",
        f"Artefact: `{card.get('artefact', '')}`  ",
        f"sha256: `{card.get('sha256', '')}`  ",
        f"Trained: {card.get('trained_at', '')} with `{card.get('command', '')}`",
        "",
        "## What it does",
        "Tags each finding (a sentence of an Ofsted letter or report that judges practice) with zero or more",
        "themes (supervision, thresholds, timeliness, caseloads, out_of_hours, caf) and one polarity",
        "(positive, negative, neutral), following `docs/codebook.md`.",
        "",
        "Method: TF-IDF over word 1-3-grams and character 3-5-grams (each row of the latter scaled by its l2",
        "norm over n-gram occurrences), plus counts of the codebook's own vocabulary and cues of form, shared",
        "by two logistic regressions: one-vs-rest for themes with per-theme thresholds chosen by",
        "cross-validation grouped by authority; multinomial for polarity.",
        "",
        "## Training data",
    ]
    data = card.get("data", {})
    lines += [
        f"- sentences: {data.get('sentences')} from {data.get('documents')} documents, "
        f"{data.get('authorities')} authorities",
        f"- labels not re-attached to their sentence: {data.get('unattached')}",
        f"- data fingerprint (sha256 of the training table): `{data.get('fingerprint')}`",
        "",
        "| label | count |",
        "|---|---|",
    ]
    for k, v in data.get("label_counts", {}).items():
        lines.append(f"| {k} | {v} |")
    soft = card.get("soft_labels")
    if soft:
        lines += [
            "",
            f"Polarity also learnt from a teacher's soft labels (`{soft.get('file')}`, sha256 "
            f"`{str(soft.get('sha256'))[:16]}…`): {soft.get('sentences')} corpus findings with no gold label, "
            f"each giving one row per class the teacher thinks at least 5% likely, weighted "
            f"{soft.get('weight')} x its probability ({soft.get('unattached')} rows not re-attached). "
            "The teacher is a fine-tuned MiniLM (`docs/teacher.md`); themes and the vocabulary come from the "
            "gold labels only.",
        ]
    lines += ["", "## Decision thresholds", "", "| theme | threshold |", "|---|---|"]
    for k, v in card.get("thresholds", {}).items():
        lines.append(f"| {k} | {v:.3f} |")
    ev = card.get("evaluation")
    if ev:
        lines += [
            "",
            "## Evaluation",
            "",
            f"{ev.get('folds')}-fold cross-validation grouped by authority (no authority in both train and test),",
            f"measured with `{ev.get('command', 'ofsted-nlp evaluate')}`.",
            "",
            "| system | theme macro-F1 | polarity macro-F1 | polarity accuracy |",
            "|---|---|---|---|",
        ]
        for name, m in ev.get("systems", {}).items():
            lines.append(
                f"| {name} | {_fmt(m['theme_macro_f1'])} | {_fmt(m['polarity_macro_f1'])} | {_fmt(m['polarity_accuracy'])} |"
            )
        for subset, sub in ev.get("subsets", {}).items():
            lines += ["", f"The same predictions scored on the {sub['sentences']} sentences {subset} for labelling",
                      "(the rest were picked by keyword nets or for the model's uncertainty):", "",
                      "| system | theme macro-F1 | polarity macro-F1 | polarity accuracy |", "|---|---|---|---|"]
            for name, m in sub.get("systems", {}).items():
                lines.append(f"| {name} | {_fmt(m['theme_macro_f1'])} | {_fmt(m['polarity_macro_f1'])} | "
                             f"{_fmt(m['polarity_accuracy'])} |")
        model = ev.get("systems", {}).get("model", {})
        if model.get("per_theme"):
            lines += ["", "Per theme (model):", "", "| theme | precision | recall | F1 | support |", "|---|---|---|---|---|"]
            for t, m in model["per_theme"].items():
                lines.append(f"| {t} | {_fmt(m['precision'])} | {_fmt(m['recall'])} | {_fmt(m['f1'])} | {m['support']} |")
        if model.get("per_polarity"):
            lines += ["", "Per polarity class (model):", "", "| class | precision | recall | F1 | support |",
                      "|---|---|---|---|---|"]
            for t, m in model["per_polarity"].items():
                lines.append(f"| {t} | {_fmt(m['precision'])} | {_fmt(m['recall'])} | {_fmt(m['f1'])} | {m['support']} |")
    held = card.get("heldout")
    if held:
        lines += [
            "",
            "## Authorities no model saw",
            "",
            f"Trained on the other authorities only and scored on the {held.get('authorities')} held-out ones' "
            f"sentences drawn at random ({held.get('sentences')}), measured with `{held.get('command')}`:",
            "",
            "| system | theme macro-F1 | polarity macro-F1 | polarity accuracy | neutral F1 |",
            "|---|---|---|---|---|",
        ]
        for name, m in held.get("systems", {}).items():
            lines.append(f"| {name} | {_fmt(m['theme_macro_f1'])} | {_fmt(m['polarity_macro_f1'])} | "
                         f"{_fmt(m['polarity_accuracy'])} | {_fmt(m['neutral_f1'])} |")
    lines += ["", "## Versions", ""]
    for k, v in card.get("versions", {}).items():
        lines.append(f"- {k} {v}")
    lines += [
        "",
        "## Limits",
        "- Trained on English local authority letters and reports 2010-2026; other inspection types are untested.",
        "- Judgement comes from the document's headings by rule, not from this model.",
        "",
    ]
    return "\n".join(lines)
