"""``ofsted-nlp explain``: which n-grams drive a sentence's tags, or a theme overall."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ofsted_nlp.cli import common


def explain(
    text: Annotated[Optional[str], typer.Argument(
        metavar="TEXT", show_default=False, help="A sentence to explain.")] = None,
    theme: Annotated[Optional[str], typer.Option(
        "--theme", "-t", show_default=False,
        help="Show the strongest n-grams for and against this theme (or polarity class) instead.")] = None,
    top: Annotated[Optional[int], typer.Option(
        "--top", "-n", min=1, max=100, show_default=False,
        help="How many n-grams to show [default: 5 for a sentence, 10 for a theme].")] = None,
    model: common.ModelOpt = None,
) -> None:
    """Explain the model: a sentence's themes and polarity with the n-grams that pushed each
    decision most, or (with --theme) the n-grams that weigh most for and against a theme."""
    if (text is None) == (theme is None):
        raise common.UsageError("give either a sentence (TEXT) or --theme THEME, not both")
    with common.command_errors():
        from ofsted_nlp.tagging.accurate import is_accurate
        from ofsted_nlp.tagging.explain import explain_sentence, polarity_terms, theme_terms
        from ofsted_nlp.training.labels import POLARITIES, THEMES

        if is_accurate(model):
            raise common.CommandError("explain shows the fast model's n-gram weights; the accurate model has none "
                                       "to show (leave out --model accurate)")
        m = common.load_model_once(model)
        if theme is not None:
            if theme in THEMES:
                pos, neg = theme_terms(m, theme, top=top or 10)
            elif theme in POLARITIES:
                pos, neg = polarity_terms(m, theme, top=top or 10)
            else:
                raise common.CommandError(
                    f"unknown theme {theme!r}; expected one of {', '.join(THEMES + POLARITIES)}")
            typer.echo(f"{theme}: strongest n-grams for (coefficient)")
            for c in pos:
                typer.echo(f"  {c.weight:+7.3f}  {c.feature}")
            typer.echo(f"{theme}: strongest n-grams against")
            for c in neg:
                typer.echo(f"  {c.weight:+7.3f}  {c.feature}")
            return
        if text is None or not text.strip():
            raise common.CommandError("the sentence is empty")
        out = explain_sentence(m, text, top=top or 5)
        typer.echo(f"themes: {', '.join(out['themes']) or '(none)'}")
        typer.echo(f"polarity: {out['polarity']} (p={out['polarity_reasons']['probability']:.2f})")
        pr = out["polarity_reasons"]
        typer.echo(f"  for {out['polarity']}: " + _fmt(pr["for"]))
        typer.echo("  against: " + _fmt(pr["against"]))
        for t, r in out["theme_reasons"].items():
            chosen = t in out["themes"]
            if not chosen and r["probability"] < r["threshold"] / 2:
                continue
            mark = "yes" if chosen else "no "
            typer.echo(f"{t}: {mark} p={r['probability']:.2f} (threshold {r['threshold']:.2f})")
            typer.echo("  for: " + _fmt(r["for"]))
            typer.echo("  against: " + _fmt(r["against"]))


def _fmt(items) -> str:
    return ", ".join(f"{c.feature} ({c.weight:+.2f})" for c in items) or "-"
