"""ofsted-nlp: structured, comparable findings from Ofsted letters and reports.

Data flows one way: file -> :class:`Letter` -> findings -> predictions -> tables.

>>> from ofsted_nlp import read_letter, load_model, findings_table, theme_matrix
>>> letter = read_letter("data/letters/003_08c661ef1fa93ef4.txt")
>>> model = load_model()                     # the shipped model (arrays and JSON: loading runs no code)
>>> table = findings_table([letter], model)  # one row per finding
>>> matrix = theme_matrix(table)             # authorities x themes, net polarity

A folder at a time, in worker processes if asked, one result per document
(a bad file is a result with an ``error``, never an exception):

>>> from ofsted_nlp import tag_paths
>>> for result in tag_paths(["data/letters"], jobs=2):
...     print(result.path, result.error or len(result.rows))

The ``accurate`` model (a fine-tuned MiniLM as int8 ONNX; the ``[accurate]``
extra) tags with the same API, slower and more often right on polarity:

>>> accurate = load_model("accurate")         # or load_accurate()
>>> table = findings_table([letter], accurate)

Heavy libraries load on first use, so ``import ofsted_nlp`` is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = [
    "read_letter",
    "Letter",
    "Finding",
    "Section",
    "OfstedReadError",
    "Limits",
    "set_limits",
    "get_limits",
    "find_inputs",
    "printable",
    "load_model",
    "OfstedModel",
    "load_accurate",
    "AccurateModel",
    "Tagger",
    "Tags",
    "ModelError",
    "findings_table",
    "FindingRow",
    "tag_paths",
    "read_paths",
    "DocumentResult",
    "open_writer",
    "theme_matrix",
    "find_authority",
    "Authority",
    "explain_sentence",
    "theme_terms",
    "kwic",
    "evidence",
    "select",
    "neighbours",
    "Selection",
    "statistical_neighbours",
    "with_neighbour_median",
    "change_table",
    "timeline",
    "ees_tables",
    "build_report",
    "THEMES",
    "POLARITIES",
    "JUDGEMENTS",
    "KINDS",
    "AREAS",
    "GRADES",
]

_WHERE = {
    "read_letter": "letter",
    "Letter": "letter",
    "Finding": "letter",
    "Section": "letter",
    "OfstedReadError": "errors",
    "Limits": "reading",
    "set_limits": "reading",
    "get_limits": "reading",
    "find_inputs": "inputs",
    "printable": "errors",
    "load_model": "model",
    "OfstedModel": "model",
    "load_accurate": "accurate",
    "AccurateModel": "accurate",
    "Tagger": "tags",
    "Tags": "tags",
    "ModelError": "errors",
    "findings_table": "tables",
    "FindingRow": "tables",
    "tag_paths": "pipeline",
    "read_paths": "pipeline",
    "DocumentResult": "pipeline",
    "open_writer": "writers",
    "theme_matrix": "matrix",
    "find_authority": "authorities",
    "Authority": "authorities",
    "explain_sentence": "explain",
    "theme_terms": "explain",
    "kwic": "evidence",
    "evidence": "evidence",
    "select": "selection",
    "neighbours": "selection",
    "Selection": "selection",
    "statistical_neighbours": "authorities",
    "with_neighbour_median": "matrix",
    "change_table": "timeline",
    "timeline": "timeline",
    "ees_tables": "ees",
    "build_report": "report",
    "THEMES": "schema",
    "POLARITIES": "schema",
    "JUDGEMENTS": "schema",
    "KINDS": "schema",
    "AREAS": "schema",
    "GRADES": "schema",
}

if TYPE_CHECKING:  # pragma: no cover
    from .accurate import AccurateModel, load_accurate
    from .authorities import Authority, find_authority, statistical_neighbours
    from .ees import ees_tables
    from .errors import ModelError, OfstedReadError, printable
    from .evidence import evidence, kwic
    from .inputs import find_inputs
    from .reading import Limits, get_limits, set_limits
    from .explain import explain_sentence, theme_terms
    from .letter import Finding, Letter, Section, read_letter
    from .matrix import theme_matrix, with_neighbour_median
    from .model import OfstedModel, load_model
    from .pipeline import DocumentResult, read_paths, tag_paths
    from .report import build_report
    from .schema import AREAS, GRADES, JUDGEMENTS, KINDS, POLARITIES, THEMES
    from .selection import Selection, neighbours, select
    from .tables import FindingRow, findings_table
    from .tags import Tagger, Tags
    from .timeline import change_table, timeline
    from .writers import open_writer


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'ofsted_nlp' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
