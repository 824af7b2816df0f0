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


@pytest.fixture(scope="session")
def corpus_letters(corpus) -> dict:
    """Every corpus PDF read once per test run: {document id: Letter, or the OfstedReadError it raised}.

    Reading the corpus takes ~15 s of CPU; every test that needs much of it shares this one reading
    (tests/_corpus_read.py, also for tests that ask for single documents).
    """
    from _corpus_read import read_all

    return read_all()


def seed(prefix: str) -> Path:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path


def assert_threads_agree(model, batches: list[list[str]]) -> None:
    """Eight threads calling a fresh copy of ``model`` (its own scorer, no word tables yet: the threads build
    them) give one thread's probabilities, with the scorer's word index as it is and while it starts new
    generations under them (a limit of 300 words)."""
    import copy
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    expected = [model.probabilities(b) for b in batches]
    for limit in (500_000, 300):
        fresh = copy.deepcopy(model)
        assert fresh.scorer is not model.scorer and not fresh.scorer.cache.index.words  # a copy starts empty
        fresh.scorer.cache.index.__init__(limit=limit)  # in place: the blocks' tables hold this index
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(fresh.probabilities, batches * 3))
        if limit == 300:
            assert fresh.scorer.cache.index.generation > model.scorer.cache.index.generation
        for (P, Q), (P2, Q2) in zip(expected * 3, got):
            assert np.abs(P - P2).max() < 1e-12 and np.abs(Q - Q2).max() < 1e-12
