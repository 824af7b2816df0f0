"""Keyword in context: show the evidence behind a tag as the words around a term."""

from __future__ import annotations

import re
from typing import Iterable


def kwic(texts: Iterable[str], term: str, width: int = 40, ignore_case: bool = True) -> list[tuple[str, str, str]]:
    """Every occurrence of ``term`` (a regular expression) as (left context, match, right context).

    >>> kwic(["Social workers carry high caseloads."], "caseloads?", width=15)
    [('workers carry high ', 'caseloads', '.')]
    """
    rx = re.compile(term, re.I if ignore_case else 0)
    out = []
    for text in texts:
        for m in rx.finditer(text):
            left = text[max(0, m.start() - width): m.start()]
            right = text[m.end(): m.end() + width]
            out.append((left, m.group(0), right))
    return out
