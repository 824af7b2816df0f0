"""Export a trained teacher as the ``accurate`` model (int8 ONNX + tokenizer + card) and check it against torch.

Needs the ``[teacher]`` extra plus onnx and onnxruntime (``pip install -e '.[teacher,accurate]' onnx``).

    python scripts/export_accurate.py --teacher ../teacher/all/teacher.pt     # into ofsted_nlp/models/accurate/
    python scripts/export_accurate.py --teacher ../teacher/run1/teacher.pt --output ../teacher/run1/accurate

After writing, it loads the export with ``ofsted_nlp.tagging.accurate.load_accurate``
(onnxruntime, no torch) and compares it with the torch teacher on the findings
of the five seed letters in ``data/letters``: largest probability difference,
and how many polarities and theme decisions differ.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teacher", type=Path, required=True, help="a teacher.pt from scripts/train_teacher.py")
    ap.add_argument("--output", type=Path, default=REPO / "ofsted_nlp" / "models" / "accurate")
    ap.add_argument("--scores", type=Path, default=None,
                    help="held-out scores (heldout_scores.json) of a teacher trained the same way, for the card")
    args = ap.parse_args(argv)
    try:
        import numpy as np
        import torch

        from ofsted_nlp.training.teacher.export import export_accurate
        from ofsted_nlp.training.teacher.model import load_teacher
    except ImportError as exc:
        print(f"export_accurate: {exc.name} is not installed (pip install -e '.[teacher,accurate]' onnx)",
              file=sys.stderr)
        return 2
    from ofsted_nlp.reading.letter import read_letter
    from ofsted_nlp.schema import THEMES
    from ofsted_nlp.tagging.accurate import load_accurate

    if not args.teacher.is_file():
        print(f"export_accurate: {args.teacher}: no such teacher", file=sys.stderr)
        return 2
    torch.set_num_threads(2)
    teacher = load_teacher(args.teacher)
    blob = torch.load(args.teacher, map_location="cpu", weights_only=False)
    config = blob["config"]
    trained_on: dict = {"teacher": args.teacher.name, "include_heldout": bool(config.get("include_heldout")),
                        "epochs": config.get("epochs"), "seed": config.get("seed")}
    if args.scores:
        scores = json.loads(args.scores.read_text(encoding="utf-8"))
        trained_on["heldout_scores_of_a_teacher_trained_without_them"] = {
            name: {k: sub["teacher"][k] for k in ("polarity_accuracy", "polarity_macro_f1", "theme_macro_f1")}
            | {"sentences": sub["sentences"]}
            for name, sub in scores["subsets"].items()}
    card = export_accurate(teacher, args.output, trained_on)
    print(f"wrote {args.output}: ONNX {card['onnx_bytes'] / 1e6:.1f} MB")

    texts = [f.text for p in sorted((REPO / "data" / "letters").glob("*.txt")) for f in read_letter(p).findings]
    t0 = time.perf_counter()
    P0, Q0 = teacher.predict_proba(texts)
    t_torch = time.perf_counter() - t0
    model = load_accurate(args.output)
    t0 = time.perf_counter()
    P1, Q1 = model.probabilities(texts)
    t_onnx = time.perf_counter() - t0
    th = np.array([model.thresholds[t] for t in THEMES])
    print(f"{len(texts)} seed findings: torch {len(texts) / t_torch:.0f}/s, onnx int8 {len(texts) / t_onnx:.0f}/s; "
          f"largest difference theme {abs(P0 - P1).max():.3f}, polarity {abs(Q0 - Q1).max():.3f}; "
          f"polarity differs on {(Q0.argmax(1) != Q1.argmax(1)).sum()}, "
          f"theme decisions on {((P0 >= th) != (P1 >= th)).sum()} of {P0.size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
