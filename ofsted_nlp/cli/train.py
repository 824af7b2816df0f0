"""``ofsted-nlp train``: fit the tagger on data/labels and write the model with its card."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ofsted_nlp.cli import common


def train(
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", dir_okay=False,
        help="Where to write the model (its card goes beside it as .json and .md; "
             "an existing model is kept as *.previous.*) [default: models/ofsted-nlp.npz in the current folder; "
             "the shipped model is never overwritten unless named].",
        show_default=False)] = None,
    labels: Annotated[Optional[Path], typer.Option("--labels", file_okay=False, help="Folder of label files.")] = None,
    corpus: Annotated[Optional[Path], typer.Option("--corpus", file_okay=False,
                                         help="The corpus the corpus labels refer to.")] = None,
    evaluate: Annotated[bool, typer.Option(
        "--evaluate/--no-evaluate", help="Cross-validate by authority for the model card (adds ~3 minutes).")] = True,
    folds: Annotated[int, typer.Option("--folds", min=2, max=20, help="Folds for the card's evaluation.")] = 5,
    soft: Annotated[Optional[Path], typer.Option(
        "--soft", dir_okay=False, show_default=False,
        help="A teacher's soft labels (docs/teacher.md) for polarity to learn from too "
             "[default: data/soft/teacher_soft.csv.gz if present].")] = None,
    no_soft: Annotated[bool, typer.Option("--no-soft", help="Train on the gold labels alone.")] = False,
    soft_weight: Annotated[Optional[float], typer.Option(
        "--soft-weight", min=0.0, show_default=False,
        help="Weight of a soft-labelled row against a gold one, times the teacher's probability [default: 0.5].")
    ] = None,
) -> None:
    """Train the tagger on the hand-labelled sentences in data/labels.

    Corpus labels hold no text: it is re-read from ../shared/corpus, and the
    number of labels that could not be re-attached is reported (0 expected).
    """
    with common.command_errors():
        from tqdm import tqdm

        from ofsted_nlp.tagging.model import USER_MODEL
        from ofsted_nlp.training.dataset import LABELS_DIR, SHARED_CORPUS, SOFT_LABELS
        from ofsted_nlp.training.fit import SOFT_WEIGHT, train_and_save
        from ofsted_nlp.training.labels import LabelError
        from ofsted_nlp.training.teacher.soft import SoftLabelError

        if no_soft and soft is not None:
            raise common.UsageError("give --soft or --no-soft, not both")
        soft_file = None if no_soft else (soft or (SOFT_LABELS if SOFT_LABELS.is_file() else None))
        if soft_file is not None and not soft_file.is_file():
            raise common.CommandError(f"{soft_file}: " + ("not a regular file" if soft_file.exists()
                                                           else "no such soft-label file"))

        output = output or USER_MODEL
        labels_dir = labels or LABELS_DIR
        corpus_dir = corpus or SHARED_CORPUS
        if not labels_dir.is_dir():
            raise common.CommandError(f"{labels_dir}: no such folder of labels")
        if (labels_dir / "corpus.csv").exists() and not corpus_dir.is_dir():
            raise common.CommandError(
                f"{corpus_dir}: corpus not found; corpus labels hold no text and need it (use --corpus)")
        common.check_output(output)
        try:
            card = train_and_save(
                output=output, labels_dir=labels_dir, corpus=corpus_dir, evaluate=evaluate, folds=folds,
                command="ofsted-nlp train" + ("" if evaluate else " --no-evaluate")
                + (" --no-soft" if soft_file is None else ""),
                soft_labels=soft_file, soft_weight=SOFT_WEIGHT if soft_weight is None else soft_weight,
                progress=lambda docs: tqdm(docs, desc="re-reading", unit="doc", file=__import__("sys").stderr,
                                           disable=not common.stderr_is_tty()),
                say=common.say,
            )
        except (LabelError, SoftLabelError) as exc:
            raise common.CommandError(str(exc)) from None
        common.say(f"model written to {output} (sha256 {card['sha256'][:12]}…), card {output.with_suffix('.json')}")
        ev = card.get("evaluation")
        if ev:
            m = ev["systems"]["model"]
            common.say(f"grouped CV: theme macro-F1 {m['theme_macro_f1']:.3f}, "
                        f"polarity macro-F1 {m['polarity_macro_f1']:.3f}")
