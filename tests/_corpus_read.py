"""Corpus documents read once per test process, shared by every test that needs them.

``read_all()`` reads every corpus PDF once (two forked processes), and
``letter(id)`` takes a document from it once it has been read, or reads that
one document alone (cached) when no test has needed the whole corpus yet.
The ``corpus_letters`` fixture in conftest.py is ``read_all()``: the tests that
use it are marked slow. The default run's checks take ``read_sample()``
(the ``corpus_sample`` fixture): the fixed :data:`SAMPLE` of documents, read alone.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

from conftest import CORPUS

_ALL: dict = {}

# A fixed sample of the corpus (36 of its 504 documents, about 2 s of reading instead of 20) for the default run:
# 8 focused-visit letters spread over 2018-2026, and reports of each framework spread over the years (6 SIF,
# 6 ILACS standard, 5 ILACS short, both 'other'); the one that is not a PDF (an HTML page); the documents with the
# most findings (telford-wrekin 2016) and the fewest (north-lincolnshire 2019); and those the default run's tests
# name (croydon, kirklees, bedford, ealing, bury). Both letters and reports carry corpus labels here.
SAMPLE = (
    "bedford_2017-04-07", "bedford_2019-01-04", "bedford_2022-01-14", "bexley_2023-03-24", "blackpool_2012-07-13",
    "bury_2016-05-16", "coventry_2019-03-21", "croydon_2017-09-04", "croydon_2024-12-03", "derby_2017-06-13",
    "ealing_2019-12-19", "greenwich_2024-07-16", "hampshire_2018-11-05", "hillingdon_2014-02-11",
    "hounslow_2018-11-12", "isle-of-wight_2023-12-15", "kent_2013-08-23", "kirklees_2016-11-25",
    "kirklees_2019-08-05", "kirklees_2024-08-28", "lambeth_2019-05-08", "lincolnshire_2015-01-06",
    "liverpool_2023-05-25", "milton-keynes_2024-01-12", "north-lincolnshire_2019-03-29", "north-yorkshire_2018-08-06",
    "peterborough_2015-09-18", "peterborough_2023-05-09", "peterborough_2024-01-30", "solihull_2021-08-02",
    "st-helens_2019-11-04", "stockton-on-tees_2019-07-01", "suffolk_2016-02-11", "surrey_2015-08-03",
    "telford-wrekin_2016-08-26", "telford-wrekin_2022-05-26",
)


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


@functools.cache
def _read_alone(document: str):
    (path,) = [p for p in (CORPUS / "letters" / f"{document}.pdf", CORPUS / "reports" / f"{document}.pdf")
               if p.exists()]
    return _read_one(path)


def read_sample() -> dict:
    """{document id: Letter, or the OfstedReadError it raised} for each document of :data:`SAMPLE`, read once."""
    return {document: _ALL[document] if _ALL else _read_alone(document) for document in SAMPLE}


def letter(document: str):
    """The corpus document ``document`` (its id, the file name without ``.pdf``), read once."""
    doc = _ALL[document] if _ALL else _read_alone(document)
    if isinstance(doc, Exception):
        raise doc
    return doc


def all_letters() -> tuple:
    """Every readable corpus document (the one HTML page saved as .pdf left out)."""
    return tuple(doc for doc in read_all().values() if not isinstance(doc, Exception))
