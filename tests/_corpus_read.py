"""Corpus documents read once per test process, shared by every test that needs them.

``read_all()`` reads every corpus PDF once (two forked processes), and
``letter(id)`` takes a document from it once it has been read, or reads that
one document alone (cached) when no test has needed the whole corpus yet.
The ``corpus_letters`` fixture in conftest.py is ``read_all()``.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

from conftest import CORPUS

_ALL: dict = {}


def _read_one(path: Path):
    from ofsted_nlp import OfstedReadError, read_letter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return read_letter(path)
        except OfstedReadError as exc:
            return exc


def read_all() -> dict:
    """{document id: Letter, or the OfstedReadError it raised} for every corpus PDF, read once."""
    if not _ALL:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        paths = sorted(Path(CORPUS).rglob("*.pdf"))
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
            _ALL.update({p.stem: doc for p, doc in zip(paths, pool.map(_read_one, paths, chunksize=8))})
    return _ALL


@functools.lru_cache(maxsize=None)
def _read_alone(document: str):
    (path,) = [p for p in (CORPUS / "letters" / f"{document}.pdf", CORPUS / "reports" / f"{document}.pdf")
               if p.exists()]
    return _read_one(path)


def letter(document: str):
    """The corpus document ``document`` (its id, the file name without ``.pdf``), read once."""
    doc = _ALL[document] if _ALL else _read_alone(document)
    if isinstance(doc, Exception):
        raise doc
    return doc


def all_letters() -> tuple:
    """Every readable corpus document (the one HTML page saved as .pdf left out)."""
    return tuple(doc for doc in read_all().values() if not isinstance(doc, Exception))
