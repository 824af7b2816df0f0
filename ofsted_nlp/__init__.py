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
    "Scores",
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
    "open_store",
    "Store",
    "THEMES",
    "POLARITIES",
    "JUDGEMENTS",
    "KINDS",
    "AREAS",
    "GRADES",
]

_WHERE = {
    "read_letter": "reading.letter",
    "Letter": "reading.letter",
    "Finding": "reading.letter",
    "Section": "reading.letter",
    "OfstedReadError": "errors",
    "Limits": "reading.extraction",
    "set_limits": "reading.extraction",
    "get_limits": "reading.extraction",
    "find_inputs": "reading.inputs",
    "printable": "errors",
    "load_model": "tagging.model",
    "OfstedModel": "tagging.model",
    "load_accurate": "tagging.accurate",
    "AccurateModel": "tagging.accurate",
    "Tagger": "tagging.tags",
    "Tags": "tagging.tags",
    "ModelError": "errors",
    "findings_table": "batch.rows",
    "FindingRow": "batch.rows",
    "Scores": "batch.rows",
    "tag_paths": "batch.pipeline",
    "read_paths": "batch.pipeline",
    "DocumentResult": "batch.pipeline",
    "open_writer": "batch.writers",
    "theme_matrix": "views.matrix",
    "find_authority": "authorities.lookup",
    "Authority": "authorities.lookup",
    "explain_sentence": "tagging.explain",
    "theme_terms": "tagging.explain",
    "kwic": "views.evidence",
    "evidence": "views.evidence",
    "select": "views.selection",
    "neighbours": "views.selection",
    "Selection": "views.selection",
    "statistical_neighbours": "authorities.lookup",
    "with_neighbour_median": "views.matrix",
    "change_table": "views.timeline",
    "timeline": "views.timeline",
    "ees_tables": "views.ees",
    "build_report": "views.report",
    "open_store": "store.api",
    "Store": "store.api",
    "THEMES": "schema",
    "POLARITIES": "schema",
    "JUDGEMENTS": "schema",
    "KINDS": "schema",
    "AREAS": "schema",
    "GRADES": "schema",
}

if TYPE_CHECKING:  # pragma: no cover
    from ofsted_nlp.authorities.lookup import Authority, find_authority, statistical_neighbours
    from ofsted_nlp.batch.pipeline import DocumentResult, read_paths, tag_paths
    from ofsted_nlp.batch.rows import FindingRow, Scores, findings_table
    from ofsted_nlp.batch.writers import open_writer
    from ofsted_nlp.errors import ModelError, OfstedReadError, printable
    from ofsted_nlp.reading.extraction import Limits, get_limits, set_limits
    from ofsted_nlp.reading.inputs import find_inputs
    from ofsted_nlp.reading.letter import Finding, Letter, Section, read_letter
    from ofsted_nlp.schema import AREAS, GRADES, JUDGEMENTS, KINDS, POLARITIES, THEMES
    from ofsted_nlp.store.api import Store, open_store
    from ofsted_nlp.tagging.accurate import AccurateModel, load_accurate
    from ofsted_nlp.tagging.explain import explain_sentence, theme_terms
    from ofsted_nlp.tagging.model import OfstedModel, load_model
    from ofsted_nlp.tagging.tags import Tagger, Tags
    from ofsted_nlp.views.ees import ees_tables
    from ofsted_nlp.views.evidence import evidence, kwic
    from ofsted_nlp.views.matrix import theme_matrix, with_neighbour_median
    from ofsted_nlp.views.report import build_report
    from ofsted_nlp.views.selection import Selection, neighbours, select
    from ofsted_nlp.views.timeline import change_table, timeline


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
