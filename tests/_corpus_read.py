"""Corpus documents read once per test process, shared by the tests that need many of them."""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

from conftest import CORPUS


@functools.lru_cache(maxsize=None)
def letter(document: str):
    """The corpus document ``document`` (its id, the file name without ``.pdf``), read once."""
    from ofsted_nlp.letter import read_letter

    (path,) = [p for p in (CORPUS / "letters" / f"{document}.pdf", CORPUS / "reports" / f"{document}.pdf")
               if p.exists()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_letter(path)


@functools.lru_cache(maxsize=1)
def all_letters() -> tuple:
    """Every readable corpus document, read once (about a minute)."""
    from ofsted_nlp.errors import OfstedReadError

    out = []
    for path in sorted(Path(CORPUS).rglob("*.pdf")):
        try:
            out.append(letter(path.stem))
        except OfstedReadError:
            pass  # the one HTML error page saved as .pdf
    return tuple(out)
