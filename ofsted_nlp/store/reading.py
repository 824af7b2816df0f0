"""Reading a store: the documents a selection keeps, and their findings, as the batch pipeline gives them.

:func:`results` yields one :class:`~ofsted_nlp.batch.pipeline.DocumentResult` per file name in the store,
in the order the reader finds files in a folder (by path), each with its document record and its
:class:`~ofsted_nlp.batch.rows.FindingRow` rows: a view given them makes from the store what it makes
from the files. The selection (:class:`~ofsted_nlp.views.selection.Selection`'s criteria) is a query
(:func:`selection_sql`): only the documents it may keep, and their findings, are read from the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ofsted_nlp.batch.rows import DOCUMENT_FIELDS, FindingRow
from ofsted_nlp.errors import printable
from ofsted_nlp.store import schema

if TYPE_CHECKING:  # pragma: no cover
    from ofsted_nlp.batch.pipeline import DocumentResult
    from ofsted_nlp.errors import printable


class MixedStoreError(Exception):
    """A store whose documents are not all tagged by its model and read by its reader (a run was cut short)."""


def store_meta(con) -> dict[str, str]:
    return dict(con.execute("SELECT key, value FROM meta").fetchall())


def check_whole(con, where: str = "the store") -> dict[str, str]:
    """The store's meta, once it is known that every document holds the store model's tags and reader's
    reading; MixedStoreError (one line) where a re-tagging was cut short."""
    meta = store_meta(con)
    mixed, total = con.execute(
        "SELECT count(*) FILTER (WHERE model_sha256 IS DISTINCT FROM ? OR reader IS DISTINCT FROM ?), count(*) "
        "FROM documents", [meta.get("model_sha256"), meta.get("reader")]).fetchone()
    if mixed:
        raise MixedStoreError(f"{where}: {mixed} of its {total} documents are still tagged by another model or "
                              f"read by another reader (a run was cut short); run 'ofsted-nlp tag --store' "
                              "again to finish")
    return meta


def _finding_select(compact: bool) -> str:
    if compact:
        return "f.sha256, f.themes, f.polarity"
    cols = list(schema.FINDING_STORED)
    return ", ".join(f"f.{schema.quoted(c)}" for c in cols)


def finding_rows_of(con, sha: str, head: tuple) -> list[FindingRow]:
    """One stored document's findings as rows, ``head`` their document fields (DOCUMENT_FIELDS' values)."""
    found = con.execute(f"SELECT {_finding_select(False)} FROM findings f WHERE sha256 = ? ORDER BY \"index\"",
                        [sha]).fetchall()
    return [_row(head, r) for r in found]


_N_PLAIN = len(schema.FINDING_FIELDS) - 1  # the finding's fields before its scores


def _row(head: tuple, stored: tuple) -> FindingRow:
    plain = list(stored[1:1 + _N_PLAIN])
    themes_at = schema.FINDING_FIELDS.index("themes")
    plain[themes_at] = tuple(plain[themes_at] or ())
    return FindingRow._make(head + tuple(plain) + (tuple(stored[1 + _N_PLAIN:]),))


@dataclass(frozen=True)
class Query:
    """The criteria of a selection as the store queries them (``Selection.store_query()`` makes one): each
    narrows; ``region`` is (name, DfE numbers), matched by either; each of ``code_sets`` a set of DfE numbers."""

    region: tuple[str, frozenset[str]] | None = None
    code_sets: tuple[frozenset[str], ...] = ()
    since: str | None = None  # ISO dates, inclusive
    until: str | None = None
    kinds: frozenset[str] = frozenset()
    grades: frozenset[str] = frozenset()  # overall effectiveness


def selection_sql(query: Query | None) -> tuple[str, list]:
    """A WHERE clause on ``documents d`` for ``query``, and its parameters. Where a query comes from a
    ``Selection``, the selection's own test (``Selection.rank``) is then made on each document kept, so the
    result is exactly the selection's; the query spares reading the rest."""
    if query is None:
        return "TRUE", []
    clauses: list[str] = []
    params: list = []
    if query.region is not None:
        params.extend([query.region[0], sorted(query.region[1])])
        clauses.append("(d.region_name = ? OR list_contains(?, d.old_la_code))")
    for codes in query.code_sets:
        params.append(sorted(codes))
        clauses.append("list_contains(?, d.old_la_code)")
    if query.since:
        params.append(query.since[:10])
        clauses.append("substr(d.date, 1, 10) >= ?")
    if query.until:
        params.append(query.until[:10])
        clauses.append("substr(d.date, 1, 10) <= ?")
    if query.kinds:
        params.append(sorted(query.kinds))
        clauses.append("list_contains(?, d.kind)")
    if query.grades:
        params.append(sorted(query.grades))
        clauses.append("list_contains(?, d.overall_effectiveness)")
    return " AND ".join(clauses) or "TRUE", params


def _query_of(selection) -> Query | None:
    """A Query, from a Query or from anything with ``store_query()`` (a ``Selection``); None keeps all."""
    if selection is None or isinstance(selection, Query):
        return selection
    return selection.store_query()


def _order(path: str) -> tuple[str, ...]:
    return Path(path).parts


def document_records(con, selection=None) -> list[tuple[str, dict]]:
    """(sha256, document record) of each file name the selection's query keeps, in path order; the record as
    the pipeline makes it (:data:`~ofsted_nlp.batch.pipeline.DOCUMENT_COLUMNS`, and every document field)."""
    where, params = selection_sql(_query_of(selection))
    content = ", ".join(f"d.{schema.quoted(c)}" for c in schema.CONTENT_FIELDS)
    found = con.execute(f"SELECT fl.path, fl.document, fl.sha256, {content}, d.findings FROM files fl "
                        f"JOIN documents d ON d.sha256 = fl.sha256 WHERE {where}", params).fetchall()
    found.sort(key=lambda r: _order(r[0]))
    out = []
    for r in found:
        record = {"document": r[1], **dict(zip(schema.CONTENT_FIELDS, r[3:-1])), "path": r[0], "findings": r[-1]}
        out.append((r[2], record))
    return out


# The findings a theme matrix counts: positive or negative, on some theme (views.matrix counts no other).
COUNTED = "f.polarity IN ('positive', 'negative') AND len(f.themes) > 0"


def results(con, selection=None, compact: bool = False, counted: bool = False) -> Iterator[DocumentResult]:
    """One result per file name in the store that the selection's query keeps, in path order (a later name of
    the same bytes with ``duplicate_of`` set and no rows, as the pipeline gives a copy), with its
    document record and its findings (``compact``: (themes, polarity) pairs only, as the pipeline's;
    ``counted``: only the findings a theme matrix counts, a fifth of them: a matrix from them is the same,
    given the documents read)."""
    from ofsted_nlp.batch.pipeline import DocumentResult

    records = document_records(con, selection)
    if not records:
        return
    where, params = selection_sql(_query_of(selection))
    conditions = ([] if where == "TRUE" else [f"f.sha256 IN (SELECT d.sha256 FROM documents d WHERE {where})"]
                  ) + ([COUNTED] if counted else [])
    chosen = f"WHERE {' AND '.join(conditions)} " if conditions else ""
    found = con.execute(f"SELECT {_finding_select(compact)} FROM findings f {chosen}"
                        "ORDER BY f.sha256, f.\"index\"", params).fetchall()
    by_sha: dict[str, list[tuple]] = {}
    for r in found:
        by_sha.setdefault(r[0], []).append(r)
    first: dict[str, str] = {}
    for sha, record in records:
        if sha in first:  # the same bytes under another name: counted once, as from the files
            yield DocumentResult(record["path"], document=record, duplicate_of=first[sha], messages=[
                f"{printable(record['path'])}: the same document as {printable(first[sha])} (the same file's bytes): "
                "counted once, this copy left out"])
            continue
        first[sha] = record["path"]
        stored = by_sha.get(sha, [])
        result = DocumentResult(record["path"], document=record)
        if compact:
            result.rows = [(tuple(r[1] or ()), r[2]) for r in stored]  # type: ignore[misc]
        else:
            head = tuple(record[k] for k in DOCUMENT_FIELDS)
            result.rows = [_row(head, r) for r in stored]
        yield result
