"""Shared paths and fixtures. Tests that need ../shared skip cleanly when it is absent."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

# OpenBLAS's worker threads wait for work by spinning: on a 2-core machine they multiply the CPU time of fitting
# a model on the seed labels by about six (4.6 s against 0.7 s, measured at load 11) and slow everything else
# running. The tests (and the commands they start, which inherit this) use one BLAS thread unless the
# environment says otherwise (OPENBLAS_NUM_THREADS=2 to run them with BLAS threads). Set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

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

    Reading the corpus takes ~18 s of CPU; every test that needs much of it shares this one reading
    (tests/_corpus_read.py, also for tests that ask for single documents). Tests that use it are marked slow;
    the default run checks the same on ``corpus_sample``.
    """
    from _corpus_read import read_all

    return read_all()


@pytest.fixture(scope="session")
def corpus_sample(corpus) -> dict:
    """The fixed sample of corpus documents (_corpus_read.SAMPLE, 36 of 504), as ``corpus_letters`` gives them."""
    from _corpus_read import read_sample

    return read_sample()


@pytest.fixture(scope="session")
def seed_data():
    """The seed labels as fit_model takes them: texts, theme matrix, polarities, one group per seed letter."""
    import numpy as np

    from ofsted_nlp.training.labels import THEMES, load_seed_labels

    labels = load_seed_labels(REPO / "data" / "labels" / "seeds.csv")
    texts = [x.text for x in labels]
    Y = np.array([[1 if t in x.themes else 0 for t in THEMES] for x in labels])
    pol = [x.polarity for x in labels]
    groups = [x.document[:3] for x in labels]  # one group per seed letter
    return texts, Y, pol, groups


@pytest.fixture(scope="session")
def seed_fit(seed_data):
    """The scikit-learn estimators fitted on the seed labels, once per run (~5 s of CPU)."""
    from ofsted_nlp.training.estimators import fit_estimators

    return fit_estimators(*seed_data)


@pytest.fixture(scope="session")
def seed_model(seed_fit):
    """Their artefact (what ``fit_model`` gives): the tests that need a trained model share it and only read
    it (a test that changes a model changes a copy)."""
    return seed_fit.artefact()


@pytest.fixture(scope="session")
def weighted_seed_model(seed_data):
    """As ``seed_model``, with the codebook block weighted 2 in the feature union."""
    from ofsted_nlp.training.estimators import fit_model

    return fit_model(*seed_data, feature_params={"codebook_weight": 2.0})


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


def distinct_visit(text: str, k: int) -> str:
    """A letter's text made another visit's (its sentences each gain words of their own): a plain copy would
    be the same document, counted once (ofsted_nlp.batch.duplicates)."""
    import re

    return re.sub(r"(?<=[a-z])\.(?=\s)", f" in the visit numbered {k}.", text)


def run_cli(*args):
    """``ofsted-nlp ARGS`` in this process (typer's CliRunner); arguments may be paths."""
    from typer.testing import CliRunner

    from ofsted_nlp.cli.app import app

    return CliRunner().invoke(app, [str(a) for a in args])


def seed_folder(folder: Path) -> Path:
    """The five seed letters copied into ``folder`` (made), for commands that read a folder."""
    import shutil

    folder.mkdir(parents=True)
    for p in sorted(SEEDS.glob("*.txt")):
        shutil.copy(p, folder / p.name)
    return folder


def report_payload(html: str) -> dict:
    """The data block a report page embeds (views/templates/report.html.j2), read back."""
    import json
    import re

    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.DOTALL)
    assert m is not None, "no data block in the page"
    return json.loads(m.group(1))
