"""What an ONNX file holds, read from its protobuf without running it: its operators, opsets and tables.

The accurate model's graph is checked before onnxruntime is given it (a session
may compute constant parts of a graph as it is made): :func:`read_graph` walks
the protobuf's wire format for the few fields the check needs (nodes, with
those of subgraphs; opsets; model-local functions; the shapes of the
initializers and whether their data lies in other files) and skips the rest
(the weights) by their lengths. Nothing is decoded that the check does not
read, and a file that is no well-formed protobuf is a ``ValueError``.

Field numbers are those of ``onnx.proto`` (ModelProto, GraphProto, NodeProto,
AttributeProto, TensorProto, OperatorSetIdProto).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Graph", "read_graph"]

MAX_DEPTH = 16  # subgraphs within subgraphs: the accurate model has none; a deeper file is refused

# ModelProto
_MODEL_OPSET, _MODEL_GRAPH, _MODEL_FUNCTIONS = 8, 7, 25
# GraphProto
_GRAPH_NODE, _GRAPH_INITIALIZER = 1, 5
# NodeProto
_NODE_INPUT, _NODE_OP_TYPE, _NODE_ATTRIBUTE, _NODE_DOMAIN = 1, 4, 5, 7
# AttributeProto
_ATTR_T, _ATTR_G, _ATTR_TENSORS, _ATTR_GRAPHS = 5, 6, 10, 11
# TensorProto
_TENSOR_DIMS, _TENSOR_NAME, _TENSOR_DATA_LOCATION = 1, 8, 14
# OperatorSetIdProto
_OPSET_DOMAIN, _OPSET_VERSION = 1, 2


@dataclass
class Graph:
    """What :func:`read_graph` found in an ONNX file.

    Attributes:
        ops: ``(domain, op_type)`` of every node, those of subgraphs included.
        opsets: domain -> opset version the model imports.
        functions: how many model-local functions it defines.
        subgraphs: whether any node holds a graph (``Loop``, ``If``, ``Scan`` do).
        external_data: whether a tensor's data lies in another file.
        initializers: name -> dims of the main graph's initializers.
        gathers: ``(data, indices)`` of the main graph's ``Gather`` nodes.
        dequantized: output -> quantized input of its ``DequantizeLinear`` nodes.
    """

    ops: set[tuple[str, str]] = field(default_factory=set)
    opsets: dict[str, int] = field(default_factory=dict)
    functions: int = 0
    subgraphs: bool = False
    external_data: bool = False
    initializers: dict[str, tuple[int, ...]] = field(default_factory=dict)
    gathers: list[tuple[str, str]] = field(default_factory=list)
    dequantized: dict[str, str] = field(default_factory=dict)

    def table_rows(self, indices: str) -> int | None:
        """Rows of the table a ``Gather`` indexes with the graph input ``indices`` (directly, or through
        ``DequantizeLinear``), or ``None`` where no such table is an initializer."""
        for data, index in self.gathers:
            if index != indices:
                continue
            name = self.dequantized.get(data, data)
            dims = self.initializers.get(name)
            if dims:
                return dims[0]
        return None


def read_graph(path: str | Path) -> Graph:
    """Read what :class:`Graph` holds from the ONNX file at ``path``; ``ValueError`` if it is no ONNX protobuf."""
    data = memoryview(Path(path).read_bytes())
    graph = Graph()
    found = False
    for number, wire, value in _fields(data, 0, len(data)):
        if wire != 2:
            continue
        start, end = value
        if number == _MODEL_GRAPH:
            _graph(data, start, end, graph, 0)
            found = True
        elif number == _MODEL_OPSET:
            domain, version = "", 0
            for n, w, v in _fields(data, start, end):
                if n == _OPSET_DOMAIN and w == 2:
                    domain = _text(data, v)
                elif n == _OPSET_VERSION and w == 0:
                    version = v
            graph.opsets[domain] = version
        elif number == _MODEL_FUNCTIONS:
            graph.functions += 1
    if not found:
        raise ValueError("no graph in the file")
    return graph


def _graph(data: memoryview, start: int, end: int, graph: Graph, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"graphs nested more than {MAX_DEPTH} deep")
    main = depth == 0
    for number, wire, value in _fields(data, start, end):
        if wire != 2:
            continue
        if number == _GRAPH_NODE:
            _node(data, value[0], value[1], graph, depth, main)
        elif number == _GRAPH_INITIALIZER:
            name, dims = _tensor(data, value[0], value[1], graph)
            if main:
                graph.initializers[name] = dims


def _node(data: memoryview, start: int, end: int, graph: Graph, depth: int, main: bool) -> None:
    op_type, domain, inputs = "", "", []
    for number, wire, value in _fields(data, start, end):
        if wire != 2:
            continue
        if number == _NODE_OP_TYPE:
            op_type = _text(data, value)
        elif number == _NODE_DOMAIN:
            domain = _text(data, value)
        elif number == _NODE_INPUT:
            inputs.append(_text(data, value))
        elif number == _NODE_ATTRIBUTE:
            for n, w, v in _fields(data, value[0], value[1]):
                if w != 2:
                    continue
                if n in (_ATTR_G, _ATTR_GRAPHS):
                    graph.subgraphs = True
                    _graph(data, v[0], v[1], graph, depth + 1)
                elif n in (_ATTR_T, _ATTR_TENSORS):
                    _tensor(data, v[0], v[1], graph)
    graph.ops.add((domain, op_type))
    if main and op_type == "Gather" and domain in ("", "ai.onnx") and len(inputs) >= 2:
        graph.gathers.append((inputs[0], inputs[1]))
    if main and op_type == "DequantizeLinear" and domain in ("", "ai.onnx") and inputs:
        graph.dequantized[_output_of(data, start, end)] = inputs[0]


def _output_of(data: memoryview, start: int, end: int) -> str:
    for number, wire, value in _fields(data, start, end):
        if number == 2 and wire == 2:  # NodeProto.output
            return _text(data, value)
    return ""


def _tensor(data: memoryview, start: int, end: int, graph: Graph) -> tuple[str, tuple[int, ...]]:
    name, dims = "", []
    for number, wire, value in _fields(data, start, end):
        if number == _TENSOR_DIMS:
            if wire == 0:
                dims.append(value)
            elif wire == 2:  # packed
                i, stop = value
                while i < stop:
                    d, i = _varint(data, i, stop)
                    dims.append(d)
        elif number == _TENSOR_NAME and wire == 2:
            name = _text(data, value)
        elif number == _TENSOR_DATA_LOCATION and wire == 0 and value != 0:
            graph.external_data = True
    return name, tuple(dims)


def _text(data: memoryview, span: tuple[int, int]) -> str:
    return bytes(data[span[0]:span[1]]).decode("utf-8", "replace")


def _varint(data: memoryview, i: int, end: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if i >= end or shift > 63:
            raise ValueError("a number runs past its field")
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def _fields(data: memoryview, start: int, end: int) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) of each field in ``data[start:end]``: a varint's value, a
    length-delimited field's (start, end), None for fixed-width ones."""
    i = start
    while i < end:
        key, i = _varint(data, i, end)
        number, wire = key >> 3, key & 7
        value: Any = None
        if wire == 0:
            value, i = _varint(data, i, end)
        elif wire == 1:
            i += 8
        elif wire == 2:
            length, i = _varint(data, i, end)
            value = (i, i + length)
            i += length
        elif wire == 5:
            i += 4
        else:
            raise ValueError(f"wire type {wire} is not used by ONNX")
        if i > end:
            raise ValueError("a field runs past its message")
        yield number, wire, value
