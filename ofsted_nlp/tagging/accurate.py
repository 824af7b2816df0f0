"""The ``accurate`` model: the teacher (a fine-tuned MiniLM) as int8 ONNX, for a few letters read at their best.

Slower than the shipped TF-IDF model (it reads each sentence with a small
transformer) and more often right on polarity; see the README's model
section for both, measured side by side. It needs the ``[accurate]`` extra
(``onnxruntime`` and ``tokenizers``; no torch), and is chosen with
``--model accurate`` or ``load_model("accurate")``.

Its files lie in ``ofsted_nlp/models/accurate/``: the ONNX graph, the base
model's ``tokenizer.json`` and a card (JSON: thresholds, token limit, sha256
of both files). Loading checks both digests against the card and reads no
code: an ONNX file is a protobuf of operators and weights. A folder named
with ``--model`` brings its own card, so the graph is checked too before a
session is made of it: only the operators the shipped graph uses
(:data:`ALLOWED_OPS`; no ``Loop``, ``If`` or ``Scan``, no functions of its
own, no weights in other files), the inputs and outputs it has (names, types
and widths), and a tokenizer whose ids are the rows of the graph's embedding
table. A run may take at most :data:`MEMORY_LIMIT` bytes of onnxruntime's
memory, gives up on a sentence after :data:`RUN_TIMEOUT` seconds, stops at
once on Ctrl-C or SIGTERM (the run is told to end: ``RunOptions.terminate``),
and its outputs must be probabilities of the right shapes: each failure is one
line (:class:`ModelError`). onnxruntime's own log lines are silenced.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ofsted_nlp.errors import ModelError, printable
from ofsted_nlp.schema import POLARITIES, THEMES
from ofsted_nlp.tagging.tags import Tags, check_layout, decide, sentences, tags_frame

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

ACCURATE_FORMAT = 1
ACCURATE_NAME = "accurate"  # what --model and load_model() accept
ACCURATE_DIR = Path(__file__).resolve().parent.parent / "models" / "accurate"
ONNX_NAME = "ofsted-nlp-accurate.onnx"
TOKENIZER_NAME = "tokenizer.json"
CARD_NAME = "ofsted-nlp-accurate.json"
EXTRA_HINT = "pip install 'ofsted-nlp[accurate]'"
# One sentence a run: int8 dynamic quantisation scales activations per batch, so in a batch a sentence's
# scores would move (by up to ~0.004 here) with its companions. Alone, they are its own; and on 2 cores
# it cost little (161 seed findings a second alone, 201 in batches of 8, 159 in batches of 32).
BATCH = 1
INPUTS = ("input_ids", "attention_mask")
OUTPUTS = {"theme_proba": len(THEMES), "polarity_proba": len(POLARITIES)}  # name -> width
# The operators of the shipped graph (default domain), and no others: a graph that needs more is no
# export of the teacher (scripts/train_teacher.py) and is refused before onnxruntime sees it.
ALLOWED_OPS = frozenset({
    "Add", "And", "Cast", "Clip", "Concat", "Constant", "ConstantOfShape", "DequantizeLinear", "Div",
    "DynamicQuantizeLinear", "Equal", "Erf", "Expand", "Flatten", "Gather", "GatherElements", "GreaterOrEqual",
    "IsNaN", "LayerNormalization", "MatMul", "MatMulInteger", "Mul", "Range", "ReduceSum", "Reshape", "Shape",
    "Sigmoid", "Slice", "Softmax", "Transpose", "Unsqueeze", "Where",
})
# onnxruntime's memory for all accurate models of a process (its arena: weights and activations). The
# shipped model tags in about 60 MB of it; a graph that asks for more fails its run in one line.
MEMORY_LIMIT = 1 << 30
RUN_TIMEOUT = 120.0  # seconds one sentence may take (the shipped model: about 6 ms)
_QUIET = 4  # onnxruntime's log severity: fatal only (its errors come back as exceptions, said in one line)
_ALLOCATOR: list[bool] = []  # whether this process registered the bounded arena
_ALLOCATOR_LOCK = threading.Lock()


def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class AccurateModel:
    """The teacher run by onnxruntime: the same ``tag``/``predict``/``probabilities`` as :class:`OfstedModel`."""

    session: Any
    tokenizer: Any
    thresholds: dict[str, float]
    max_length: int
    info: dict = field(default_factory=dict)
    threads_itself: bool = True  # onnxruntime runs on every core: the pipeline tags in one process

    @property
    def theme_names(self) -> tuple[str, ...]:
        """The themes, in the order of the theme probabilities' columns."""
        return THEMES

    def probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Theme probabilities (n x THEMES) and polarity probabilities (n x POLARITIES), in the order of ``texts``.

        The runs go on in a thread of their own while this one waits, so that a signal is handled
        as it comes: Ctrl-C or SIGTERM (or any exception here) ends the run under way at once
        (``RunOptions.terminate``) and is raised. Raises :class:`ModelError` (one line) for a run
        that fails, takes over :data:`RUN_TIMEOUT` seconds, or gives outputs that are not
        probabilities of the expected shapes (NaN included).
        """
        texts = sentences(texts)
        n = len(texts)
        P = np.zeros((n, len(THEMES)))
        Q = np.zeros((n, len(POLARITIES)))
        order = sorted(range(n), key=lambda i: len(texts[i]))  # like lengths together: less padding
        batches = [order[start:start + BATCH] for start in range(0, n, BATCH)]
        if not batches:
            return P, Q
        import onnxruntime as ort

        options = ort.RunOptions()
        options.log_severity_level = _QUIET
        state: dict[str, Any] = {"progress": time.monotonic()}

        def work() -> None:
            try:
                for idx in batches:
                    p, q = self._run([str(texts[i]) for i in idx], options)
                    P[idx] = p
                    Q[idx] = q
                    state["progress"] = time.monotonic()
            except BaseException as exc:  # handed to the waiting thread (after its own, if it stopped the run)
                state.setdefault("error", exc)

        worker = threading.Thread(target=work, name="ofsted-nlp-accurate", daemon=True)
        worker.start()
        try:
            while worker.is_alive():
                worker.join(0.2)
                if worker.is_alive() and time.monotonic() - state["progress"] > RUN_TIMEOUT:
                    state.setdefault("error", ModelError(
                        f"{self.where}: one sentence took more than {RUN_TIMEOUT:.0f} s; stopped "
                        "(the shipped model takes milliseconds)"))
                    break
        finally:
            if worker.is_alive():  # interrupted, or too slow: end the run under way
                options.terminate = True
                worker.join()
        if "error" in state:
            raise state["error"]
        return P, Q

    @property
    def where(self) -> str:
        """The model's folder, printable: what its one-line errors name."""
        return printable(self.info.get("path", ACCURATE_NAME))

    def _run(self, batch: list[str], options: Any) -> tuple[np.ndarray, np.ndarray]:
        """One run of the session on ``batch``, its outputs checked."""
        encodings = self.tokenizer.encode_batch(batch)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        try:
            p, q = self.session.run(list(OUTPUTS), {"input_ids": ids, "attention_mask": mask}, options)
        except Exception as exc:  # onnxruntime's errors: one line, the model at fault
            if options.terminate:
                raise KeyboardInterrupt from None  # ended by the waiting thread; it raises the cause
            raise ModelError(f"{self.where}: the model failed on a sentence ({_runtime_error(exc)})") from None
        for name, out in zip(OUTPUTS, (p, q)):
            shape = (len(batch), OUTPUTS[name])
            if not isinstance(out, np.ndarray) or out.shape != shape:
                got = getattr(out, "shape", type(out).__name__)
                raise ModelError(f"{self.where}: {name} came back of shape {got} for {shape[0]} sentence(s), "
                                 f"not {shape}; the model is not the accurate model's kind")
            if not np.all(np.isfinite(out)) or out.min() < 0 or out.max() > 1:
                what = "NaN" if np.isnan(out).any() else "values that are not probabilities"
                raise ModelError(f"{self.where}: {name} holds {what} for a sentence; its scores cannot be used")
        return p, q

    def tag(self, texts: Sequence[str], judgements: Sequence[str] | None = None,
            recommendations: Sequence[bool] | None = None) -> Tags:
        """Themes, polarity and probabilities; the layout rule as :meth:`OfstedModel.tag`."""
        texts = [str(t) for t in sentences(texts)]
        check_layout(len(texts), judgements, recommendations)
        P, Q = self.probabilities(texts)
        return decide(texts, P, Q, self.thresholds, judgements, recommendations)

    def predict(self, texts: Sequence[str], judgements: Sequence[str] | None = None,
                recommendations: Sequence[bool] | None = None) -> pd.DataFrame:
        """One row per text, with the columns of :meth:`OfstedModel.predict`."""
        texts = [str(t) for t in sentences(texts)]
        return tags_frame(texts, self.tag(texts, judgements, recommendations))


def is_accurate(name: str | Path | None) -> bool:
    """Whether a ``--model`` value names the accurate model (``accurate``, or its folder or card)."""
    if name is None:
        return False
    if str(name) == ACCURATE_NAME:
        return True
    path = Path(name)
    return (path.is_dir() and (path / CARD_NAME).is_file()) or path.name == CARD_NAME


def load_accurate(folder: str | Path | None = None, threads: int | None = None) -> AccurateModel:
    """Load the accurate model from ``folder`` (default: the one shipped in the package).

    Raises :class:`ModelError` with one line if the extra is not installed, a
    file is missing, or a file's sha256 differs from the card's.
    """
    if folder is None or str(folder) == ACCURATE_NAME:
        folder = ACCURATE_DIR
    folder = Path(folder)
    if folder.name == CARD_NAME:
        folder = folder.parent
    card_file = folder / CARD_NAME
    if not card_file.is_file():
        raise ModelError(f"{folder}: no accurate model here (no {CARD_NAME})")
    try:
        card = json.loads(card_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{card_file}: unreadable card ({exc})") from None
    if not isinstance(card, dict) or card.get("format") != ACCURATE_FORMAT:
        raise ModelError(f"{card_file}: not an accurate-model card of format {ACCURATE_FORMAT}")
    if list(card.get("themes", [])) != list(THEMES) or list(card.get("polarities", [])) != list(POLARITIES):
        raise ModelError(f"{card_file}: made for other themes or polarities than this version's")
    files = {}
    for name, key in ((ONNX_NAME, "onnx_sha256"), (TOKENIZER_NAME, "tokenizer_sha256")):
        path = folder / name
        if not path.is_file():
            raise ModelError(f"{path}: missing (the accurate model needs it)")
        if _sha256(path) != card.get(key):
            raise ModelError(f"{path}: sha256 does not match {CARD_NAME}; the file is damaged or not the card's")
        files[name] = path
    try:
        import onnxruntime as ort
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise ModelError(f"the accurate model needs {exc.name}, not installed here: {EXTRA_HINT}") from None
    where = printable(folder)
    rows = check_graph(files[ONNX_NAME])
    try:
        tokenizer = Tokenizer.from_file(str(files[TOKENIZER_NAME]))
    except Exception as exc:
        raise ModelError(f"{printable(files[TOKENIZER_NAME])}: not a tokenizer ({_runtime_error(exc)})") from None
    check_vocabulary(tokenizer, rows, where)
    ort.set_default_logger_severity(_QUIET)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or min(os.cpu_count() or 1, 4)
    options.inter_op_num_threads = 1
    options.log_severity_level = _QUIET
    if _bounded_arena(ort):
        options.add_session_config_entry("session.use_env_allocators", "1")
    try:
        session = ort.InferenceSession(str(files[ONNX_NAME]), sess_options=options,
                                       providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelError(f"{printable(files[ONNX_NAME])}: onnxruntime cannot use it ({_runtime_error(exc)})") from None
    check_signature(session, where)
    max_length = int(card.get("max_length", 96))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    thresholds = {t: float(card["thresholds"][t]) for t in THEMES}
    info = {"card": card, "path": str(folder), "kind": "accurate"}
    return AccurateModel(session, tokenizer, thresholds, max_length, info)


def check_graph(path: Path) -> int:
    """Refuse (:class:`ModelError`, one line) an ONNX graph that is not of the shipped model's kind; return
    the rows of the embedding table ``input_ids`` index.

    Read from the file (:func:`~ofsted_nlp.tagging.onnx_graph.read_graph`) before any session is
    made of it: operators outside :data:`ALLOWED_OPS` or of another domain, subgraphs, model-local
    functions and weights kept in other files are refused.
    """
    from ofsted_nlp.tagging.onnx_graph import read_graph

    where = printable(path)
    try:
        graph = read_graph(path)
    except (ValueError, OSError) as exc:
        raise ModelError(f"{where}: not an ONNX model ({exc})") from None
    foreign = sorted(f"{domain}.{op}" if domain not in ("", "ai.onnx") else op
                     for domain, op in graph.ops if domain not in ("", "ai.onnx") or op not in ALLOWED_OPS)
    if foreign:
        raise ModelError(f"{where}: uses operators the accurate model does not ({', '.join(printable(f) for f in foreign[:6])}"
                         f"{', ...' if len(foreign) > 6 else ''}); refused")
    other = sorted(d for d in graph.opsets if d not in ("", "ai.onnx"))
    if other:
        raise ModelError(f"{where}: imports operator sets the accurate model does not ({printable(', '.join(other))}); "
                         "refused")
    if graph.subgraphs or graph.functions:
        raise ModelError(f"{where}: holds subgraphs or functions of its own, as the accurate model does not; refused")
    if graph.external_data:
        raise ModelError(f"{where}: keeps weights in other files, as the accurate model does not; refused")
    rows = graph.table_rows("input_ids")
    if rows is None:
        raise ModelError(f"{where}: no embedding table is indexed by input_ids; not the accurate model's kind")
    return rows


def check_vocabulary(tokenizer: Any, rows: int, where: str) -> None:
    """Refuse a tokenizer whose ids are not the rows 0..rows-1 of the graph's embedding table (shifted ids
    would read other words' rows, or rows that are not there), or whose padding id 0 is not ``[PAD]``."""
    ids = set(tokenizer.get_vocab(with_added_tokens=True).values())
    if len(ids) != rows or min(ids, default=0) != 0 or max(ids, default=-1) != rows - 1:
        low, high = min(ids, default=0), max(ids, default=0)
        raise ModelError(f"{where}: the tokenizer's {len(ids)} ids ({low}..{high}) are not the embedding table's "
                         f"{rows} rows (0..{rows - 1}); tokenizer and model do not belong together")
    if tokenizer.id_to_token(0) != "[PAD]":
        raise ModelError(f"{where}: the tokenizer's id 0 is not [PAD]; tokenizer and model do not belong together")


def check_signature(session: Any, where: str) -> None:
    """Refuse a session whose inputs are not :data:`INPUTS` (int64, batch x tokens) or whose outputs lack
    :data:`OUTPUTS` (float, batch x width)."""
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = {o.name: o for o in session.get_outputs()}
    if sorted(inputs) != sorted(INPUTS):
        raise ModelError(f"{where}: the model's inputs are {printable(', '.join(sorted(inputs)))}, not "
                         f"{', '.join(INPUTS)}")
    for name in INPUTS:
        if inputs[name].type != "tensor(int64)" or len(inputs[name].shape) != 2:
            raise ModelError(f"{where}: input {name} is {printable(inputs[name].type)} of shape {inputs[name].shape}, "
                             "not tensor(int64) of batch x tokens")
    for name, width in OUTPUTS.items():
        out = outputs.get(name)
        if out is None:
            raise ModelError(f"{where}: the model has no output {name}")
        shape = list(out.shape)
        if out.type != "tensor(float)" or len(shape) != 2 or shape[1] != width:
            raise ModelError(f"{where}: output {name} is {printable(out.type)} of shape {printable(str(shape))}, "
                             f"not tensor(float) of batch x {width}")


def _bounded_arena(ort: Any) -> bool:
    """Register, once a process, onnxruntime's shared CPU arena capped at :data:`MEMORY_LIMIT`."""
    with _ALLOCATOR_LOCK:
        if not _ALLOCATOR:
            try:
                memory = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
                ort.create_and_register_allocator(memory, ort.OrtArenaCfg({"max_mem": MEMORY_LIMIT}))
                _ALLOCATOR.append(True)
            except Exception:  # registered already (by another library in this process): not ours to bound
                _ALLOCATOR.append(False)
        return _ALLOCATOR[0]


def _runtime_error(exc: BaseException) -> str:
    """onnxruntime's message in one short line: its last sentence, without its source paths."""
    text = " ".join(str(exc).split())
    if "allocate" in text.lower() or "available memory" in text.lower():
        return f"it needs more than the {MEMORY_LIMIT >> 20} MB of memory the accurate model may use"
    text = text.rsplit("Status Message: ", 1)[-1]
    if "] " in text and text.startswith("/"):
        text = text.split("] ", 1)[-1]
    text = " ".join(w for w in text.split() if not w.startswith("/onnxruntime_src/"))
    return printable(text[:200])
