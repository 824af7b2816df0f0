"""Exporting a store: each table to Parquet, for analysts' tools that read files rather than databases."""

from __future__ import annotations

import os
from pathlib import Path

from ofsted_nlp.errors import printable
from ofsted_nlp.store import schema
from ofsted_nlp.store.connection import StoreError


def export_parquet(con, folder: str | os.PathLike) -> list[Path]:
    """Write each table of the store (``files``, ``documents``, ``findings``, ``runs``, ``meta``) to
    ``folder/<table>.parquet``. Each file is written beside its place and put there whole; the folder
    is made if needed. Returns the files written. StoreError (one line, nothing made) for a folder DuckDB
    cannot write to: a name that is not UTF-8, a link that loops or leads nowhere."""
    out = Path(folder)
    try:
        os.fsencode(out).decode("utf-8")
    except UnicodeDecodeError:
        raise StoreError(f"{printable(out)}: the Parquet folder's name must be UTF-8 (DuckDB writes no other)") from None
    if os.path.lexists(out) and not out.exists():
        raise StoreError(f"{printable(out)}: a symbolic link that loops or leads nowhere, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for table in schema.TABLES:
        final = out / f"{table}.parquet"
        tmp = out / f".{table}.parquet.part"
        try:
            con.execute(f"COPY (SELECT * FROM {table}) TO '{_literal(tmp)}' (FORMAT parquet)")
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                tmp.unlink()
        written.append(final)
    return written


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")
