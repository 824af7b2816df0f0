"""Fine-tune the teacher (all-MiniLM-L6-v2, six theme heads + polarity) and score it on held-out authorities.

Needs the ``[teacher]`` extra: ``pip install -e ".[teacher]"``. Labels come
from ``data/labels/`` with their text re-read from ``../shared/corpus``; the
teacher, its checkpoints and scores go to ``--workdir`` (default
``../teacher``, outside the repository). Run it again to resume.

    nice -n 19 python scripts/train_teacher.py                     # train, then score held-out authorities
    nice -n 19 python scripts/train_teacher.py --include-heldout \\
        --workdir ../teacher-all                                   # the teacher for labelling the corpus
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, default=REPO.parent / "teacher",
                    help="checkpoints, the trained teacher and its scores (default: ../teacher)")
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=96)
    ap.add_argument("--checkpoint-every", type=int, default=50, help="steps between checkpoints")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--include-heldout", action="store_true",
                    help="train on every authority (no held-out scores): the teacher that labels the corpus")
    ap.add_argument("--limit", type=int, default=0,
                    help="use only the first N labels of each side (a quick check that the run goes through)")
    ap.add_argument("--score-checkpoint", action="store_true",
                    help="score the last checkpoint of a run still training (thresholds on validation), "
                         "without touching it")
    args = ap.parse_args(argv)

    try:
        import torch

        from ofsted_nlp.training.teacher.model import TeacherConfig
        from ofsted_nlp.training.teacher.train import (
            fit_teacher,
            format_scores,
            score_heldout,
            split_for_teacher,
            teacher_from_checkpoint,
            write_scores,
        )
        from ofsted_nlp.training.teacher.weights import WeightsError, base_weights_dir, verify_weights
    except ImportError as exc:
        print(f"train_teacher: {exc.name} is not installed (pip install -e '.[teacher]')", file=sys.stderr)
        return 2
    from ofsted_nlp.training.dataset import load_training_data

    try:
        verify_weights(base_weights_dir())
    except WeightsError as exc:
        print(f"train_teacher: {exc}", file=sys.stderr)
        return 2
    if not (args.corpus / "letters.csv").exists():
        print(f"train_teacher: {args.corpus}: no corpus index (letters.csv) there", file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    config = TeacherConfig(max_length=args.max_length, batch_size=args.batch_size, epochs=args.epochs,
                           seed=args.seed, include_heldout=args.include_heldout)
    t0 = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load_training_data(corpus=args.corpus)
    if data.unattached:
        print(f"train_teacher: {len(data.unattached)} labels could not be re-attached to the corpus text; "
              "check ../shared/corpus", file=sys.stderr)
        return 2
    split = split_for_teacher(data, args.corpus, config)
    if args.limit:
        split = {k: v[:args.limit] for k, v in split.items()}
    print(f"{len(data.texts)} labels read in {time.time() - t0:.0f} s: train {len(split['train'])}, "
          f"validation {len(split['validation'])}, held out {len(split['heldout'])}", flush=True)
    if args.score_checkpoint:
        try:
            teacher, epoch, step = teacher_from_checkpoint(data, split, args.workdir, config)
        except WeightsError as exc:
            print(f"train_teacher: {exc}", file=sys.stderr)
            return 2
        print(f"checkpoint after {epoch} epoch(s) and {step} step(s) of the next")
        scores = score_heldout(teacher, data, split, args.corpus)
        scores["checkpoint"] = {"epoch": epoch, "step": step}
        print(format_scores(scores))
        print(f"scores written: {write_scores(scores, args.workdir, f'heldout_scores_e{epoch}s{step}.json')}")
        return 0
    try:
        teacher = fit_teacher(data, split, args.workdir, config, args.checkpoint_every,
                              log=lambda s: print(s, flush=True))
    except WeightsError as exc:
        print(f"train_teacher: {exc}", file=sys.stderr)
        return 2
    if len(split["heldout"]):
        scores = score_heldout(teacher, data, split, args.corpus)
        path = write_scores(scores, args.workdir)
        print(format_scores(scores))
        print(f"scores written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
