"""The notebook API's store: open one, add paths to it, read its tables and views' inputs from it.

Each call opens the file for as long as it needs it, so a notebook holding a :class:`Store` never keeps
another process from writing it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ofsted_nlp.store import connection, reading, writing

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ofsted_nlp.batch.pipeline import DocumentResult
    from ofsted_nlp.reading.extraction import Limits
    from ofsted_nlp.store.writing import AddSummary
    from ofsted_nlp.tagging.tags import Tagger


class Store:
    """A findings store in one DuckDB file (see :mod:`ofsted_nlp.store`)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    @contextmanager
    def _reading(self) -> Iterator[Any]:
        con = connection.open_for_reading(self.path)
        try:
            yield con
        finally:
            con.close()

    def add(self, paths: Sequence[str | os.PathLike], model: Tagger | str | os.PathLike | None = None,
            jobs: int = 1, limits: Limits | None = None) -> AddSummary:
        """Read and tag into the store the documents under ``paths`` it does not hold yet (see
        :func:`ofsted_nlp.store.writing.add_files`). ``model``: a loaded model, a model file, or None for
        the shipped one. Files that cannot be read are counted in the summary's ``failed``."""
        from ofsted_nlp.batch.pipeline import cached_model, find_documents
        from ofsted_nlp.tagging.tags import Tagger

        loaded = model if isinstance(model, Tagger) else cached_model(None if model is None else Path(model))
        inputs = find_documents([Path(p) for p in paths], exclude=[self.path])
        con = connection.open_for_writing(self.path)
        try:
            summary = writing.add_files(con, inputs.files, loaded, jobs=jobs, limits=limits,
                                        on_note=lambda line: None)
        finally:
            con.close()
        summary.failed += len(inputs.problems)
        return summary

    def results(self, selection: Any = None, compact: bool = False) -> list[DocumentResult]:
        """The documents ``selection`` (a :class:`~ofsted_nlp.views.selection.Selection`, or None for all)
        keeps, as the batch pipeline gives them; with ``neighbours_of`` the authority's first."""
        with self._reading() as con:
            reading.check_whole(con, str(self.path))
            found = list(reading.results(con, selection, compact))
        if selection is None or getattr(selection, "empty", True):
            return found
        ranked = [(rank, i, r) for i, r in enumerate(found) if (rank := selection.rank(r.document or {})) is not None]
        return [r for _, _, r in sorted(ranked, key=lambda t: (t[0], t[1]))]

    def findings(self, selection: Any = None) -> pd.DataFrame:
        """The tag table of the selected documents (as :func:`ofsted_nlp.batch.rows.findings_table`)."""
        from ofsted_nlp.batch.rows import rows_frame

        return rows_frame([row for r in self.results(selection) for row in r.rows])

    def documents(self, selection: Any = None) -> pd.DataFrame:
        """One row per file name selected: its document record (document, path, metadata, findings)."""
        import pandas as pd

        from ofsted_nlp.batch.pipeline import DOCUMENT_COLUMNS

        records = [r.document or {} for r in self.results(selection, compact=True)]
        columns = DOCUMENT_COLUMNS + [c for c in (records[0] if records else {}) if c not in DOCUMENT_COLUMNS]
        return pd.DataFrame(records, columns=columns)

    def sql(self, query: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """The result of a read-only SQL query on the store's tables, as a DataFrame."""
        with self._reading() as con:
            return con.execute(query, list(params or [])).df()

    def model(self) -> dict[str, str]:
        """The store's meta: schema version, the model that tagged it (name, sha256, format), the reader."""
        with self._reading() as con:
            return reading.store_meta(con)

    def export_parquet(self, folder: str | os.PathLike) -> list[Path]:
        """Each table to ``folder/<table>.parquet`` (see :func:`ofsted_nlp.store.export.export_parquet`)."""
        from ofsted_nlp.store.export import export_parquet

        with self._reading() as con:
            return export_parquet(con, folder)


def open_store(path: str | os.PathLike) -> Store:
    """The store in ``path`` (a ``.duckdb`` file; made by the first :meth:`Store.add`)."""
    return Store(path)
