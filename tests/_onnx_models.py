"""Tiny ONNX graphs with the accurate model's inputs and outputs, built with the ``onnx`` helper for the tests,
and folders that hold one beside the shipped tokenizer under a card that matches them (issue 21, section 2).

Every graph reads ``input_ids`` through an embedding table of the shipped tokenizer's 30,522 rows, as the
shipped graph does, and gives ``theme_proba`` (batch x 6) and ``polarity_proba`` (batch x 3); a ``kind``
adds what makes it hostile.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ofsted_nlp.tagging.accurate import ACCURATE_DIR, CARD_NAME, ONNX_NAME, TOKENIZER_NAME

onnx = pytest.importorskip("onnx", reason="the test extra's onnx builds the hostile graphs")
from onnx import TensorProto as T  # noqa: E402
from onnx import helper as h  # noqa: E402

ROWS = 30522  # the shipped tokenizer's ids


def _const(name: str, array: np.ndarray) -> onnx.NodeProto:
    return h.make_node("Constant", [], [name], value=onnx.numpy_helper.from_array(array, name))


def graph(kind: str = "plain", *, rows: int = ROWS, theme_width: int = 6, matmuls: int = 400) -> onnx.ModelProto:
    """A graph of ``kind``: "plain" (0.5 for each theme, a third for each polarity), "loop" (a Loop of 1e15
    iterations), "constant_of_shape" (5e9 floats), "nan" (NaN theme scores), "wide_at_run" (theme scores
    10 wide, declared 6), "slow" (``matmuls`` products of 2048 x 2048 matrices: a minute or more)."""
    ins = [h.make_tensor_value_info("input_ids", T.INT64, ["batch", "tokens"]),
           h.make_tensor_value_info("attention_mask", T.INT64, ["batch", "tokens"])]
    outs = [h.make_tensor_value_info("theme_proba", T.FLOAT, ["batch", theme_width]),
            h.make_tensor_value_info("polarity_proba", T.FLOAT, ["batch", 3])]
    table = onnx.numpy_helper.from_array(np.zeros((rows, 1), np.float32), "word_embeddings")
    nodes = [
        h.make_node("Gather", ["word_embeddings", "input_ids"], ["embedded"]),  # batch x tokens x 1
        _const("axis1", np.array([1], np.int64)),
        h.make_node("ReduceSum", ["embedded", "axis1"], ["x0"], keepdims=0),  # batch x 1 (zeros)
        _const("zeros6", np.zeros((1, 6), np.float32)),
        _const("zeros3", np.zeros((1, 3), np.float32)),
    ]
    x = "x0"
    if kind == "loop":
        body = h.make_graph(
            [h.make_node("Identity", ["cond_in"], ["cond_out"]), h.make_node("Add", ["v_in", "one"], ["v_out"])],
            "body",
            [h.make_tensor_value_info("i", T.INT64, []), h.make_tensor_value_info("cond_in", T.BOOL, []),
             h.make_tensor_value_info("v_in", T.FLOAT, [])],
            [h.make_tensor_value_info("cond_out", T.BOOL, []), h.make_tensor_value_info("v_out", T.FLOAT, [])],
            [onnx.numpy_helper.from_array(np.array(1.0, np.float32), "one")])
        nodes += [_const("trips", np.array(10**15, np.int64)), _const("true", np.array(True)),
                  _const("v0", np.array(0.0, np.float32)),
                  h.make_node("Loop", ["trips", "true", "v0"], ["looped"], body=body),
                  h.make_node("Add", [x, "looped"], ["x1"])]
        x = "x1"
    elif kind == "constant_of_shape":
        nodes += [_const("huge", np.array([5 * 10**9], np.int64)),
                  h.make_node("ConstantOfShape", ["huge"], ["big"],
                              value=onnx.numpy_helper.from_array(np.array([1.0], np.float32), "v")),
                  h.make_node("ReduceSum", ["big"], ["total"], keepdims=1),
                  h.make_node("Add", [x, "total"], ["x1"])]
        x = "x1"
    elif kind == "slow":
        nodes += [_const("square", np.array([2048, 2048], np.int64)),
                  h.make_node("ConstantOfShape", ["square"], ["m_const"],
                              value=onnx.numpy_helper.from_array(np.array([0.0], np.float32), "v")),
                  h.make_node("ReduceSum", [x], ["x_scalar"], keepdims=0),
                  h.make_node("Add", ["m_const", "x_scalar"], ["m0"])]  # depends on the input: not folded
        for k in range(matmuls):
            nodes.append(h.make_node("MatMul", [f"m{k}", "m_const"], [f"m{k + 1}"]))
        nodes += [h.make_node("ReduceSum", [f"m{matmuls}"], ["total"], keepdims=1),
                  h.make_node("Add", [x, "total"], ["x1"])]
        x = "x1"
    nodes += [h.make_node("Mul", [x, "zeros3"], ["p_logits"]),
              h.make_node("Softmax", ["p_logits"], ["polarity_proba"], axis=1)]
    if kind == "nan":
        nodes += [h.make_node("Mul", [x, "zeros6"], ["t_logits"]), h.make_node("Sigmoid", ["t_logits"], ["t0"]),
                  _const("nans", np.full((1, 6), np.nan, np.float32)), h.make_node("Add", ["t0", "nans"], ["theme_proba"])]
    elif kind == "wide_at_run":
        # 10 wide, from a slice whose end is the sentence's token count: no shape inference can see it
        nodes += [_const("ten", np.full((1, 10), 0.5, np.float32)), _const("starts", np.array([0], np.int64)),
                  _const("axis0", np.array([0], np.int64)),
                  h.make_node("ReduceSum", ["attention_mask"], ["ends"], keepdims=0),
                  h.make_node("Unsqueeze", ["ends", "axis0"], ["ends1"]),
                  h.make_node("Slice", ["ten", "starts", "ends1", "axis1"], ["sliced"]),
                  h.make_node("Add", [x, "sliced"], ["theme_proba"])]
    else:
        nodes += [_const("zeros_w", np.zeros((1, theme_width), np.float32)),
                  h.make_node("Mul", [x, "zeros_w"], ["t_logits"]), h.make_node("Sigmoid", ["t_logits"], ["theme_proba"])]
    return h.make_model(h.make_graph(nodes, kind, ins, outs, [table]), opset_imports=[h.make_opsetid("", 17)],
                         ir_version=8)


def folder(where: Path, model: onnx.ModelProto | None = None, tokenizer: str | None = None) -> Path:
    """A copy of the shipped model's folder with ``model`` as its graph and ``tokenizer`` (JSON text) as its
    tokenizer, under a card whose digests match them: only the checks of the graph itself stand in the way."""
    where.mkdir(parents=True, exist_ok=True)
    for name in (CARD_NAME, TOKENIZER_NAME):
        shutil.copy(ACCURATE_DIR / name, where / name)
    if model is not None:
        onnx.save(model, str(where / ONNX_NAME))
    else:
        shutil.copy(ACCURATE_DIR / ONNX_NAME, where / ONNX_NAME)
    if tokenizer is not None:
        (where / TOKENIZER_NAME).write_text(tokenizer, encoding="utf-8")
    card = json.loads((where / CARD_NAME).read_text(encoding="utf-8"))
    card["onnx_sha256"] = hashlib.sha256((where / ONNX_NAME).read_bytes()).hexdigest()
    card["tokenizer_sha256"] = hashlib.sha256((where / TOKENIZER_NAME).read_bytes()).hexdigest()
    (where / CARD_NAME).write_text(json.dumps(card), encoding="utf-8")
    return where


def shifted_tokenizer(by: int = 3) -> str:
    """The shipped tokenizer.json with every id moved up by ``by`` (the vocabulary's size unchanged)."""
    tok = json.loads((ACCURATE_DIR / TOKENIZER_NAME).read_text(encoding="utf-8"))
    tok["model"]["vocab"] = {t: i + by for t, i in tok["model"]["vocab"].items()}
    for added in tok.get("added_tokens", []):
        added["id"] += by
    return json.dumps(tok)
