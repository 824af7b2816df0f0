"""The batch pipeline with worker processes: what it is given reaches the workers, it changes nothing of the
caller's process, a document that kills its worker costs itself alone, and a program using it exits promptly
leaving no process."""

from __future__ import annotations

import gc
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from conftest import REPO, SEEDS, seed

from ofsted_nlp import Limits, get_limits, read_letter, read_paths, tag_paths
from ofsted_nlp.batch.pipeline import effective_jobs

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forked workers: Linux")


def _copies(folder: Path, n: int) -> list[Path]:
    """``n`` copies of the seed letters (different names, so different documents)."""
    folder.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    paths = []
    for i in range(n):
        path = folder / f"{i:03d}_{seeds[i % len(seeds)].name}"
        shutil.copy(seeds[i % len(seeds)], path)
        paths.append(path)
    return paths


@pytest.fixture
def letters(tmp_path) -> list[Path]:
    paths = _copies(tmp_path / "d", 18)
    if effective_jobs(2, len(paths)) < 2:
        pytest.skip("fewer than 2 CPUs: no workers would be started")
    return paths


def test_the_callers_garbage_collector_settings_are_put_back(letters):
    saved = gc.get_threshold()
    gc.set_threshold(1234, 5, 6)
    try:
        for jobs in (1, 2):
            results = list(read_paths(letters, jobs=jobs))
            assert all(r.ok for r in results)
            assert gc.get_threshold() == (1234, 5, 6)
            assert gc.get_freeze_count() == 0
    finally:
        gc.set_threshold(*saved)


def test_limits_given_reach_the_workers_and_change_nothing_else(letters):
    """The batch's limits hold in its workers; meanwhile the process's own default is untouched (the loop's body
    reads a letter with it)."""
    tiny = Limits(chars=1000)
    seen = []
    for result in read_paths(letters, jobs=2, limits=tiny):
        seen.append(result)
        assert get_limits() == Limits()
        assert read_letter(seed("003")).findings  # within the default limits, not the batch's
    assert len(seen) == len(letters)
    assert all("over the character limit" in (r.error or "") and "the limit is 1,000" in r.error for r in seen)


class _DiesOn:
    """The shipped model, except that the process tagging ``poison`` dies at once (as a crash in C code would)."""

    def __init__(self, model, poison: str, parent: int) -> None:
        self.model, self.poison, self.parent = model, poison, parent
        self.info, self.thresholds = model.info, model.thresholds

    def tag(self, texts, judgements=None, recommendations=None):
        if self.poison in texts:
            if os.getpid() == self.parent:
                raise AssertionError("tagged in the test's own process")
            os.kill(os.getpid(), signal.SIGKILL)
        return self.model.tag(texts, judgements=judgements, recommendations=recommendations)

    def probabilities(self, texts):
        return self.model.probabilities(texts)


def test_a_document_that_kills_its_worker_costs_itself_alone(letters, shipped_model):
    poison = read_letter(letters[3]).findings[0].text
    killers = {str(p) for p in letters if poison in [f.text for f in read_letter(p).findings]}
    assert len(killers) == 3  # the copies of that seed letter, and no other
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = list(tag_paths(letters, shipped_model, jobs=1))
        got = list(tag_paths(letters, _DiesOn(shipped_model, poison, os.getpid()), jobs=2))
    assert [r.path for r in got] == [str(p) for p in letters]
    for want, have in zip(expected, got):
        if have.path in killers:
            assert have.error == (f"{have.path}: the process reading it died (out of memory, or a crash in a PDF "
                                  "library)")
            assert have.document is None and have.rows == []
        else:
            assert have.error is None
            assert (have.document, have.rows) == (want.document, want.rows)


SCRIPT = """
    import os, sys, warnings
    sys.path.insert(0, {repo!r})
    warnings.simplefilter("ignore")
    from ofsted_nlp import tag_paths

    results = tag_paths([{folder!r}], jobs=2)
    {use}
    print("done", flush=True)
"""


def _marked(tag: str) -> list[int]:
    """Processes whose environment carries ``OFSTED_TEST_RUN=tag`` (the script and its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"OFSTED_TEST_RUN={tag}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.mark.parametrize("use", ["assert all(r.ok for r in results)", "assert next(results).ok",
                                 "next(results); results.close()", "next(results); del results",
                                 "for r in results: break"],
                         ids=["all", "abandoned", "closed", "dropped", "break"])
def test_a_script_using_tag_paths_exits_promptly_and_leaves_no_process(letters, use, tmp_path):
    """However the loop is left (run to its end, left at the first result, the generator kept to the end), the
    program ends in seconds, with nothing on stderr and no worker left."""
    script = tmp_path / "uses_the_library.py"
    script.write_text(textwrap.dedent(SCRIPT.format(repo=str(REPO), folder=str(letters[0].parent), use=use)))
    tag = f"{os.getpid()}-{tmp_path.name}"
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180,
                          env=os.environ | {"OFSTED_TEST_RUN": tag})
    assert (done.returncode, done.stderr, done.stdout) == (0, "", "done\n")
    assert _marked(tag) == []
