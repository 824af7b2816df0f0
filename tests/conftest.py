"""Shared paths and fixtures. Tests that need ../shared skip cleanly when it is absent."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "data" / "letters"
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
SHIPPED_MODEL = REPO / "ofsted_nlp" / "models" / "ofsted-nlp.npz"


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "letters.csv").exists():
        pytest.skip("../shared/corpus is not present")
    return CORPUS


@pytest.fixture(scope="session")
def shipped_model():
    if not SHIPPED_MODEL.exists():
        pytest.skip("the shipped model ofsted_nlp/models/ofsted-nlp.npz is missing")
    from ofsted_nlp import load_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_model()


def _read_one(path: Path):
    from ofsted_nlp import OfstedReadError, read_letter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return read_letter(path)
        except OfstedReadError as exc:
            return exc


@pytest.fixture(scope="session")
def corpus_letters(corpus) -> dict:
    """Every corpus PDF read once per test run: {document id: Letter, or the OfstedReadError it raised}.

    Reading the corpus takes ~15 s of CPU; the tests that need all of it share this one reading
    (two processes, forked, as the pipeline does).
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    paths = sorted(corpus.rglob("*.pdf"))
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        return {p.stem: letter for p, letter in zip(paths, pool.map(_read_one, paths, chunksize=8))}


def seed(prefix: str) -> Path:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path
