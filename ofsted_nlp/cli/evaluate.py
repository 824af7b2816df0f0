"""``ofsted-nlp evaluate``: cross-validation grouped by authority, beside two baselines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ofsted_nlp.cli import common


def evaluate(
    folds: Annotated[int, typer.Option("--folds", min=2, max=20, help="Number of folds (grouped by authority).")] = 5,
    labels: Annotated[Optional[Path], typer.Option("--labels", file_okay=False, help="Folder of label files.")] = None,
    corpus: Annotated[Optional[Path], typer.Option("--corpus", file_okay=False,
                                                   help="The corpus the corpus labels refer to.")] = None,
    json_out: Annotated[Optional[Path], typer.Option("--json", dir_okay=False,
                                                     help="Also write the full results as JSON.")] = None,
) -> None:
    """Score the method by cross-validation grouped by authority (no authority in both train and
    test), side by side with a keyword tagger built from the codebook and a majority-class dummy."""
    with common.command_errors():
        from ofsted_nlp.training.dataset import LABELS_DIR, SHARED_CORPUS, check_trainable, load_training_data
        from ofsted_nlp.training.evaluation import cross_validate
        from ofsted_nlp.training.fit import FEATURE_PARAMS, POLARITY_PARAMS, THEME_PARAMS
        from ofsted_nlp.training.labels import THEMES, LabelError

        labels_dir = labels or LABELS_DIR
        corpus_dir = corpus or SHARED_CORPUS
        if json_out is not None:
            common.check_output(json_out, "--json")
        try:
            data = load_training_data(labels_dir, corpus_dir)
            check_trainable(data, labels_dir)
        except LabelError as exc:
            raise common.CommandError(str(exc)) from None
        if len(set(data.groups)) < folds:
            raise common.CommandError(f"only {len(set(data.groups))} authorities in the labels; need {folds} folds")
        common.say(f"{len(data.texts)} sentences, {len(set(data.groups))} authorities, {folds} folds; "
                    f"{len(data.unattached)} labels not re-attached")
        res = cross_validate(data, n_splits=folds, theme_params=dict(THEME_PARAMS),
                             polarity_params=dict(POLARITY_PARAMS), feature_params=dict(FEATURE_PARAMS))
        systems = res["systems"]
        names = list(systems)
        typer.echo(f"{'':22}" + "".join(f"{n:>22}" for n in names))
        typer.echo(f"{'theme (P / R / F1)':22}" + "".join(f"{'':>22}" for _ in names))
        for t in THEMES:
            cells = []
            for n in names:
                m = systems[n]["per_theme"][t]
                cells.append(f"{m['precision']:.2f} / {m['recall']:.2f} / {m['f1']:.2f}")
            typer.echo(f"  {t:20}" + "".join(f"{c:>22}" for c in cells))
        for key, label in (("theme_macro_f1", "theme macro-F1"), ("polarity_macro_f1", "polarity macro-F1"),
                           ("polarity_accuracy", "polarity accuracy")):
            typer.echo(f"{label:22}" + "".join(f"{systems[n][key]:>22.3f}" for n in names))
        typer.echo(f"{'polarity F1 by class':22}")
        for c in systems["model"]["per_polarity"]:
            typer.echo(f"  {c:20}" + "".join(f"{systems[n]['per_polarity'][c]['f1']:>22.2f}" for n in names))
        for subset, sub in res.get("subsets", {}).items():
            typer.echo(f"on the {sub['sentences']} sentences {subset}:")
            for key, label in (("theme_macro_f1", "theme macro-F1"), ("polarity_macro_f1", "polarity macro-F1"),
                               ("polarity_accuracy", "polarity accuracy")):
                typer.echo(f"  {label:20}" + "".join(f"{sub['systems'][n][key]:>22.3f}" for n in names))
        if json_out is not None:
            common.write_output(json_out, lambda p: p.write_text(json.dumps(res, indent=2) + "\n"))
