"""The tour notebook runs top to bottom, shows a heatmap and Hackney's findings, and does not need ../shared.

The committed ``notebooks/tour.ipynb`` is read and executed in memory (a copy);
the file itself is never rewritten. Rebuild it with ``python notebooks/make_tour.py``.
It is executed once per module for each corpus setting, and the tests share that execution: the
default run executes it without the shared corpus (its regional section skipped), the slow run
also with the corpus (which reads every London document).
"""

from __future__ import annotations

import os

import pytest
from conftest import CORPUS, REPO, SHIPPED_MODEL

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = REPO / "notebooks"
TOUR = NOTEBOOKS / "tour.ipynb"


@pytest.fixture(scope="module")
def model_present() -> None:
    if not SHIPPED_MODEL.exists():
        pytest.skip("the shipped model ofsted_nlp/models/ofsted-nlp.npz is missing")


def _execute(env: dict[str, str] | None = None):
    before = TOUR.read_bytes()
    nb = nbformat.read(TOUR, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute(**({"env": env} if env is not None else {}))  # raises CellExecutionError on any error
    assert TOUR.read_bytes() == before, "executing the tour must not rewrite the committed notebook"
    return nb


def _outputs(nb):
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]


def _html_tables(nb) -> list[str]:
    return [out["data"]["text/html"] for out in _outputs(nb)
            if "text/html" in out.get("data", {}) and "<table" in out["data"]["text/html"]]


def _text(nb) -> str:
    parts = []
    for out in _outputs(nb):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join(parts)


@pytest.fixture(scope="module", params=[pytest.param("without corpus"),
                                        pytest.param("with corpus", marks=pytest.mark.slow)])
def executed(request, model_present, tmp_path_factory):
    """The tour executed once, with ``OFSTED_NLP_CORPUS`` naming a folder that does not exist or (slow) with
    the corpus as a newcomer's checkout finds it."""
    if request.param == "with corpus":
        if not (CORPUS / "letters.csv").exists():
            pytest.skip("../shared/corpus is not present")
        return _execute()
    return _execute({**os.environ, "OFSTED_NLP_CORPUS": str(tmp_path_factory.mktemp("tour") / "no-corpus")})


def test_tour_runs_without_errors(executed):
    errors = [out for out in _outputs(executed) if out.get("output_type") == "error"]
    assert not errors, errors
    assert all(cell.get("execution_count") for cell in executed.cells if cell.cell_type == "code")


def test_tour_shows_a_heatmap(executed):
    assert any("image/png" in out.get("data", {}) for out in _outputs(executed))


def test_tour_shows_a_hackney_table(executed):
    assert any("Hackney" in html for html in _html_tables(executed))


def test_tour_reads_the_region_from_the_corpus_or_says_it_is_absent(executed, request):
    if request.node.callspec.params["executed"] == "with corpus":
        assert "London: " in _text(executed) and "No shared corpus found" not in _text(executed)
        return
    assert "No shared corpus found" in _text(executed)
    assert any("image/png" in out.get("data", {}) for out in _outputs(executed))  # the seed heatmap still shows


def test_committed_tour_has_outputs():
    nb = nbformat.read(TOUR, as_version=4)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and all(cell.get("outputs") for cell in code), "commit the tour executed (make_tour.py)"
    assert not [out for cell in code for out in cell["outputs"] if out.get("output_type") == "error"]
    assert str(REPO) not in nbformat.writes(nb), "the notebook must not show absolute paths of this machine"


def test_tour_answers_the_four_questions(executed):
    text = _text(executed)
    # (a) change between Hackney's 2011 inspection and its 2019 focused visit, kinds named
    assert "unannounced inspection 2011-06-09" in text and "-> focused visit 2019-03-04" in text
    # (b) its statistical neighbours from the authority table, with the median row
    assert "Hackney's statistical neighbours: Southwark, Islington, Haringey" in text
    assert "statistical neighbours (median)" in text
    # (c) grades when read, else said so
    assert "documents by overall effectiveness:" in text
    assert "reports graded inadequate overall, on" in text or "no report graded inadequate overall" in text
    # (d) the sentences behind a cell
    assert "negative timeliness findings behind Hackney's cell" in text
