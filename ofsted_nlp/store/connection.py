"""Opening a store: for reading (views) or for writing (``tag --store``), each problem one line.

A store is one DuckDB file. DuckDB lets one process write a file, or several read it: a second writer, or
a reader while another process writes, is told so in one line naming the store. A file that is not a
DuckDB database, a truncated one, a DuckDB database that is not a store, a store of another schema version,
a store that cannot be written (for ``tag``): one line each, and the file is left as it was.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ofsted_nlp.errors import printable
from ofsted_nlp.store import schema

SUFFIX = ".duckdb"


class StoreError(Exception):
    """A store that cannot be used as asked: the message is one line naming it."""


def is_store_path(path: str | os.PathLike) -> bool:
    """Whether a path names a store (by its extension, ``.duckdb``)."""
    return Path(path).suffix.lower() == SUFFIX


def _reason(path: Path, exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    where = printable(path)
    if "Could not set lock" in text or "Conflicting lock" in text:
        pid = re.search(r"\(PID (\d+)\)", text)
        who = f"another process (pid {pid.group(1)})" if pid else "another process"
        return (f"{where}: the store is in use by {who} (one process may write a store, or several read it); "
                "try again when it has finished")
    if "not a valid DuckDB database" in text:
        return f"{where}: not a store (not a DuckDB database file)"
    if "Could not read enough bytes" in text or "truncated" in text.lower() or "corrupt" in text.lower():
        return f"{where}: the store is damaged (truncated or corrupt); it was left as it is"
    if "different configuration" in text:
        return f"{where}: the store is already open in this process"
    return f"{where}: cannot open the store ({text})"


def _connect(path: Path, read_only: bool):
    import duckdb

    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise StoreError(_reason(path, exc)) from None


def writable(path: Path) -> bool:
    """Whether this process may write the store file (and make its write-ahead log beside it)."""
    parent = path.parent if str(path.parent) else Path(".")
    if path.exists() and not os.access(path, os.W_OK):
        return False
    return os.access(parent, os.W_OK)


def _checked(con, path: Path, may_migrate: bool) -> None:
    import duckdb

    try:
        found = schema.version_of(con)
    except duckdb.Error as exc:
        con.close()
        raise StoreError(_reason(path, exc)) from None
    if found is None or not schema.tables(con) >= set(schema.TABLES):
        con.close()
        raise StoreError(f"{printable(path)}: a DuckDB database but not an ofsted-nlp store (no store tables)")
    if found != schema.SCHEMA_VERSION:
        if may_migrate and schema.migrate(con, found):
            return
        con.close()
        raise StoreError(f"{printable(path)}: a store of schema version {found}; this ofsted-nlp reads version "
                         f"{schema.SCHEMA_VERSION} and cannot migrate it: tag the documents into a new store")


def _check_path(p: Path) -> None:
    """StoreError (one line) for a path no store can be at: a name DuckDB cannot take, a special file, a link
    that loops or leads nowhere. A FIFO or device is never replaced: nothing a user had is lost."""
    try:
        os.fsencode(p).decode("utf-8")
    except UnicodeDecodeError:
        raise StoreError(f"{printable(p)}: a store's name must be UTF-8 (DuckDB opens no other); rename it") from None
    if os.path.lexists(p) and not p.exists():
        raise StoreError(f"{printable(p)}: a symbolic link that loops or leads nowhere, not a store")
    if p.exists() and not p.is_dir() and not p.is_file():
        raise StoreError(f"{printable(p)}: not a regular file (a FIFO, socket or device), not a store")


def open_for_reading(path: str | os.PathLike):
    """A read-only connection to an existing store, checked; StoreError (one line) otherwise."""
    p = Path(path)
    _check_path(p)
    if not p.exists():
        raise StoreError(f"{printable(p)}: no such store")
    if p.is_dir():
        raise StoreError(f"{printable(p)}: a folder, not a store")
    con = _connect(p, read_only=True)
    _checked(con, p, may_migrate=False)
    return con


def open_for_writing(path: str | os.PathLike):
    """A connection that may write the store, made if the file does not exist; StoreError otherwise."""
    p = Path(path)
    _check_path(p)
    if p.is_dir():
        raise StoreError(f"{printable(p)}: a folder, not a store")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise StoreError(f"{printable(p)}: folder {printable(parent)} does not exist")
    if not writable(p):
        raise StoreError(f"{printable(p)}: the store is read-only; tag cannot write to it (views can read it)")
    new = not p.exists() or p.stat().st_size == 0
    if new and p.exists():
        p.unlink()  # an empty file: nothing to lose, and DuckDB would not take it for a database
    con = _connect(p, read_only=False)
    if new:
        schema.create(con)
    else:
        _checked(con, p, may_migrate=True)
    return con
