"""The accurate model (the teacher as int8 ONNX): checked before use, tagging with the usual API and CLI."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ofsted_nlp.errors import ModelError
from ofsted_nlp.schema import POLARITIES, THEMES
from ofsted_nlp.tagging.accurate import ACCURATE_DIR, CARD_NAME, ONNX_NAME, TOKENIZER_NAME, is_accurate, load_accurate

pytest.importorskip("onnxruntime", reason="the [accurate] extra (onnxruntime) is not installed")
pytest.importorskip("tokenizers", reason="the [accurate] extra (tokenizers) is not installed")

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "data" / "letters" / "003_08c661ef1fa93ef4.txt"


@pytest.fixture(scope="module")
def accurate():
    return load_accurate()


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ofsted_nlp.cli.app", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_the_shipped_files_are_small_enough_to_ship():
    assert (ACCURATE_DIR / ONNX_NAME).stat().st_size <= 30_000_000


def test_it_reads_sentences_no_model_saw_at_least_as_well_as_the_keywords(accurate):
    """A floor on tests/fixtures/unseen_sentences.csv (written for the tests; in no label file)."""
    from ofsted_nlp.tagging import codebook as keywords

    frame = pd.read_csv(REPO / "tests" / "fixtures" / "unseen_sentences.csv", keep_default_na=False)
    texts, gold = list(frame["text"]), list(frame["polarity"])
    out = accurate.predict(texts)
    assert list(out.columns[:3]) == ["text", "themes", "polarity"]
    assert [c for c in out.columns if c.startswith("p_")] == [f"p_{k}" for k in THEMES + POLARITIES]
    accuracy = float(np.mean([p == g for p, g in zip(out["polarity"], gold)]))
    baseline = float(np.mean([keywords.keyword_polarity(t) == g for t, g in zip(texts, gold)]))
    assert accuracy >= 0.80 and accuracy > baseline, (accuracy, baseline)
    assert np.allclose(out[[f"p_{p}" for p in POLARITIES]].sum(axis=1), 1.0, atol=1e-4)


def test_probabilities_do_not_depend_on_the_batch(accurate):
    """A sentence's scores are its own, alone or among others (int8 activations are scaled per run)."""
    frame = pd.read_csv(REPO / "tests" / "fixtures" / "unseen_sentences.csv", keep_default_na=False)
    texts = list(frame["text"])
    P, Q = accurate.probabilities(texts)
    for i in (0, 7, len(texts) - 1):
        p, q = accurate.probabilities([texts[i]])
        assert np.allclose(p[0], P[i], atol=1e-6) and np.allclose(q[0], Q[i], atol=1e-6)


def test_the_layout_rule_is_the_fast_models(accurate):
    """One place decides polarity: a recommendation under a development heading is negative for both models."""
    from ofsted_nlp import load_model

    text = ["Ensure that children benefit from consistently strong management oversight."]
    for model in (accurate, load_model()):
        assert model.tag(text, judgements=["development"]).polarity == ["negative"]
        assert model.tag(text, recommendations=[True]).polarity == ["negative"]
    with pytest.raises(ValueError):
        accurate.tag(text + text, judgements=["development"])


def test_load_model_accurate_is_the_same_model():
    from ofsted_nlp import load_model

    model = load_model("accurate")
    assert model.info["kind"] == "accurate"
    assert is_accurate("accurate") and is_accurate(ACCURATE_DIR) and not is_accurate(None)


@pytest.mark.parametrize("damage", ["onnx", "tokenizer", "card"])
def test_a_changed_or_missing_file_is_refused_in_one_line(tmp_path, damage):
    folder = tmp_path / "accurate"
    shutil.copytree(ACCURATE_DIR, folder)
    if damage == "onnx":
        with open(folder / ONNX_NAME, "r+b") as fh:
            fh.seek(1000)
            byte = fh.read(1)
            fh.seek(1000)
            fh.write(bytes([byte[0] ^ 0xFF]))
    elif damage == "tokenizer":
        (folder / TOKENIZER_NAME).unlink()
    else:
        (folder / CARD_NAME).write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError):
        load_accurate(folder)
    result = _run("tag", str(SEED), "--model", str(folder), cwd=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert str(folder) in lines[0]


def test_without_the_extra_it_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as if not installed
    with pytest.raises(ModelError, match=r"onnxruntime.*pip install 'ofsted-nlp\[accurate\]'"):
        load_accurate()


def test_tag_with_model_accurate_end_to_end(tmp_path):
    """The CLI tags a seed with the accurate model from another folder; --jobs 2 gives the same table."""
    out1, out2 = tmp_path / "one.csv", tmp_path / "two.csv"
    r1 = _run("tag", str(SEED), "--model", "accurate", "--format", "csv", "-o", str(out1), cwd=tmp_path)
    assert r1.returncode == 0, r1.stderr
    r2 = _run("tag", str(SEED), str(SEED.with_name("001_9d7a8b42e7b9c2a1.txt")), "--model", "accurate",
              "--jobs", "2", "--format", "csv", "-o", str(out2), cwd=tmp_path)
    one = pd.read_csv(out1, keep_default_na=False)
    assert len(one) > 20 and set(one["polarity"]) <= set(POLARITIES)
    assert set(one["polarity"]) >= {"positive", "negative"}
    if r2.returncode == 0:
        two = pd.read_csv(out2, keep_default_na=False)
        assert two[two["document"] == one["document"][0]]["polarity"].tolist() == one["polarity"].tolist()


def test_explain_refuses_the_accurate_model_with_a_reason(tmp_path):
    result = _run("explain", "Supervision is regular.", "--model", "accurate", cwd=tmp_path)
    assert result.returncode != 0
    assert "n-gram" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- issue 21, 2: a hostile model folder
# (tiny graphs of tests/_onnx_models.py, each under a card that matches it)


def test_the_graph_reader_reads_the_shipped_graph_as_onnx_does():
    onnx = pytest.importorskip("onnx")
    from ofsted_nlp.tagging.accurate import ALLOWED_OPS
    from ofsted_nlp.tagging.onnx_graph import read_graph

    graph = read_graph(ACCURATE_DIR / ONNX_NAME)
    model = onnx.load(str(ACCURATE_DIR / ONNX_NAME))
    assert graph.ops == {(n.domain, n.op_type) for n in model.graph.node}
    assert graph.initializers == {i.name: tuple(i.dims) for i in model.graph.initializer}
    assert graph.opsets == {o.domain: o.version for o in model.opset_import}
    assert not (graph.subgraphs or graph.functions or graph.external_data)
    assert graph.table_rows("input_ids") == 30522
    assert {op for _, op in graph.ops} == ALLOWED_OPS  # the allow-list is the shipped graph's, no more


def test_a_loop_is_refused_before_any_session_runs_it(tmp_path):
    """A Loop of 1e15 iterations ran for ten minutes deaf to signals: now the graph's operators are checked first."""
    import _onnx_models as hostile

    folder = hostile.folder(tmp_path / "loop", hostile.graph("loop"))
    with pytest.raises(ModelError, match=r"uses operators the accurate model does not \(Identity, Loop\); refused"):
        load_accurate(folder)


@pytest.mark.parametrize("what", ["shifted ids", "other rows"])
def test_a_tokenizer_that_does_not_fit_the_embedding_table_is_refused(tmp_path, what):
    import _onnx_models as hostile

    if what == "shifted ids":  # the shipped graph with every token id moved up by 3
        folder = hostile.folder(tmp_path / "m", tokenizer=hostile.shifted_tokenizer(3))
        message = r"30522 ids \(3\.\.30524\) are not the embedding table's 30522 rows"
    else:
        folder = hostile.folder(tmp_path / "m", hostile.graph(rows=30000))
        message = r"30522 ids \(0\.\.30521\) are not the embedding table's 30000 rows"
    with pytest.raises(ModelError, match=message):
        load_accurate(folder)


def test_outputs_declared_of_another_width_are_refused(tmp_path):
    import _onnx_models as hostile

    folder = hostile.folder(tmp_path / "m", hostile.graph(theme_width=7))
    with pytest.raises(ModelError, match=r"output theme_proba is tensor\(float\) of shape \['batch', 7\]"):
        load_accurate(folder)


@pytest.mark.parametrize("kind, message", [
    ("nan", r"theme_proba holds NaN for a sentence; its scores cannot be used"),
    ("wide_at_run", r"theme_proba came back of shape \(1, \d+\) for 1 sentence\(s\), not \(1, 6\)"),
])
def test_outputs_are_checked_at_each_run(tmp_path, kind, message):
    """A graph that passes the load's checks and gives NaN, or scores of another width than it declares."""
    import _onnx_models as hostile

    model = load_accurate(hostile.folder(tmp_path / kind, hostile.graph(kind)))
    with pytest.raises(ModelError, match=message):
        model.probabilities(["Supervision is regular.", "Caseloads are high."])


_RUN_SLOW = """
import sys, time
from ofsted_nlp.io import interrupts
from ofsted_nlp.tagging.accurate import load_accurate
interrupts.install()
model = load_accurate(sys.argv[1])
print("running", flush=True)
try:
    model.probabilities(["Supervision is regular."])
except KeyboardInterrupt as exc:
    print("stopped", getattr(exc, "signum", "SIGINT"), flush=True)
    sys.exit(3)
print("finished", flush=True)
"""


@pytest.mark.slow  # a graph that runs for minutes, stopped: ~5 s; CI runs it
@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_a_signal_ends_a_run_under_way(tmp_path, signum):
    """A graph of allowed operators that runs for minutes: the signal ends the run at once (RunOptions.terminate),
    not when the run ends."""
    import signal

    import _onnx_models as hostile

    folder = hostile.folder(tmp_path / "slow", hostile.graph("slow", matmuls=400))
    proc = subprocess.Popen([sys.executable, "-c", _RUN_SLOW, str(folder)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**__import__("os").environ, "PYTHONPATH": str(REPO)})
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "running"
        import time

        time.sleep(1.0)  # inside the run: 400 products of 2048 x 2048 matrices take minutes
        proc.send_signal(getattr(signal, signum))
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert out.strip() == f"stopped {int(getattr(signal, signum))}", (out, err)  # the run ended at the signal
    # onnxruntime can abort while the interpreter tears down after a run it was told to end ("terminate called
    # without an active exception", SIGABRT), seen in about one run in four at load: the run had already ended
    # and said so, which is what this test is about; anything else is a failure.
    assert proc.returncode == 3 or (proc.returncode == -6 and "terminate called" in err), (out, err)
    assert err.strip() in ("", "terminate called without an active exception"), err


@pytest.mark.slow  # a graph that runs for minutes, stopped: ~5 s; CI runs it
def test_a_sentence_that_takes_too_long_is_stopped_in_one_line(tmp_path, monkeypatch):
    """The watchdog: past RUN_TIMEOUT (here 1 s) the run is ended and the model blamed, not left to run for minutes."""
    import time

    import _onnx_models as hostile

    from ofsted_nlp.tagging import accurate

    model = load_accurate(hostile.folder(tmp_path / "slow", hostile.graph("slow", matmuls=400)))
    monkeypatch.setattr(accurate, "RUN_TIMEOUT", 1.0)
    started = time.monotonic()
    with pytest.raises(ModelError, match=r"slow: one sentence took more than 1 s; stopped"):
        model.probabilities(["Supervision is regular."])
    assert time.monotonic() - started < 60
