"""The matrix as a metric: how often a model's authority x theme cell leans the readers' way.

What an analyst reads is the matrix, not single sentences. Given labelled
sentences of authorities (readers' themes and polarity) and a model's themes
and polarity for the same sentences, :func:`cell_agreement` builds the
authority x theme cells the readers' labels support (at least ``min_findings``
positive or negative findings) and compares each cell's sign (positive minus
negative findings: +1, 0 or -1) with the sign of the same cell built from the
model's own themes and polarity. A cell is

- ``right`` where the signs are equal;
- ``flipped`` where they are opposite (one positive, the other negative);
- ``balanced`` where one of them is 0 and the other is not;
- ``empty`` where the model puts no positive or negative finding in it (the
  theme missed, or every finding called neutral).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from ofsted_nlp.schema import THEMES

__all__ = ["CellAgreement", "cell_agreement"]


@dataclass(frozen=True)
class CellAgreement:
    """Counts of cells by outcome; ``share_right`` is right / cells (0 where there are no cells)."""

    cells: int
    right: int
    flipped: int
    balanced: int
    empty: int

    @property
    def share_right(self) -> float:
        return self.right / self.cells if self.cells else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"cells": self.cells, "right": self.right, "flipped": self.flipped, "balanced": self.balanced,
                "empty": self.empty, "share_right": round(self.share_right, 4)}


def _nets(authorities: Sequence[str], themes: Sequence[Sequence[str]], polarity: Sequence[str]
          ) -> dict[tuple[str, str], list[int]]:
    """(authority, theme) -> [positive findings, negative findings]."""
    out: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for authority, ts, pol in zip(authorities, themes, polarity, strict=True):
        if pol not in ("positive", "negative"):
            continue
        for theme in ts:
            out[(authority, theme)][0 if pol == "positive" else 1] += 1
    return out


def _sign(counts: list[int]) -> int:
    return (counts[0] > counts[1]) - (counts[0] < counts[1])


def cell_agreement(authorities: Sequence[str], true_themes: Sequence[Sequence[str]], true_polarity: Sequence[str],
                   pred_themes: Sequence[Sequence[str]], pred_polarity: Sequence[str],
                   min_findings: int = 2) -> CellAgreement:
    """Compare the readers' cells with the model's, one sentence per entry of each sequence.

    ``authorities``: each sentence's authority (its code or name); themes as
    tuples of theme names (only :data:`~ofsted_nlp.schema.THEMES` count);
    polarity as ``positive``, ``negative`` or ``neutral``.
    """
    n = len(authorities)
    if not (len(true_themes) == len(true_polarity) == len(pred_themes) == len(pred_polarity) == n):
        raise ValueError("cell_agreement needs one entry per sentence in every sequence")
    known = set(THEMES)
    truth = _nets(authorities, [[t for t in ts if t in known] for ts in true_themes], true_polarity)
    model = _nets(authorities, [[t for t in ts if t in known] for ts in pred_themes], pred_polarity)
    right = flipped = balanced = empty = cells = 0
    for key, counts in truth.items():
        if sum(counts) < min_findings:
            continue
        cells += 1
        mine = model.get(key)
        if mine is None or sum(mine) == 0:
            empty += 1
            continue
        a, b = _sign(counts), _sign(mine)
        if a == b:
            right += 1
        elif a * b == -1:
            flipped += 1
        else:
            balanced += 1
    return CellAgreement(cells, right, flipped, balanced, empty)
