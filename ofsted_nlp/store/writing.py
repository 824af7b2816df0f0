"""Adding documents to a store: read and tag only what is new or changed, each document in one transaction.

A file is known by its absolute path and identified by the sha256 of its bytes:

- a path seen before with the same sha256 is unchanged (not read again);
- a path seen before with another sha256 is changed: its new content is read and tagged, and the old
  content's rows go once no file name refers to them;
- content already in the store under another name is recorded under the new name too, not tagged again.

A document's rows (its ``documents`` row, its findings, its file names) are written in one transaction:
after Ctrl-C, SIGTERM or a killed process the store holds each document whole or not at all, and the next
run finishes the rest. The store holds one model's tags: adding with another model first re-tags the
stored findings from their text (no file is read again), and a store read by an older reader
(:data:`~ofsted_nlp.store.identity.READER_VERSION`) has its documents read again from their files.
"""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ofsted_nlp.batch.pipeline import DocumentResult
from ofsted_nlp.batch.rows import FindingRow, retagged
from ofsted_nlp.errors import printable
from ofsted_nlp.io import interrupts
from ofsted_nlp.store import identity, schema
from ofsted_nlp.store.reading import finding_rows_of, store_meta

if TYPE_CHECKING:  # pragma: no cover
    from ofsted_nlp.reading.extraction import Limits
    from ofsted_nlp.tagging.tags import Tagger


@dataclass
class AddSummary:
    """What one run did: documents new, changed, unchanged (and, of the new, those already stored under
    another name), documents re-tagged or re-read for the model or the reader, and files not read."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    renamed: int = 0
    retagged: int = 0
    reread: int = 0
    removed: int = 0
    failed: int = 0
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """'503 documents: 3 new, 0 changed, 500 unchanged; 1 could not be read'."""
        total = self.new + self.changed + self.unchanged
        text = (f"{total} document{'s' if total != 1 else ''}: {self.new} new, {self.changed} changed, "
                f"{self.unchanged} unchanged")
        if self.renamed:
            text += f" ({self.renamed} already stored under another name, not tagged again)"
        if self.failed:
            text += f"; {self.failed} could not be read"
        return text


# Documents written together, in one transaction (each whole): up to this many, or findings, or seconds
# after the last were written. One commit a document cost ~10 ms of CPU each, a tenth of tagging it.
BATCH_DOCUMENTS = 16
BATCH_FINDINGS = 5000
BATCH_SECONDS = 2.0


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def _key(path: str | os.PathLike) -> str:
    """A file's name in the store: its absolute path (symlinks kept), as printable text."""
    return printable(os.path.abspath(os.fspath(path)))


class _Writer:
    """The statements of one run, on one connection."""

    def __init__(self, con) -> None:
        self.con = con

    def transaction(self, work: Callable[[], None]) -> None:
        """``work`` in one transaction: whole or not at all. Ctrl-C and SIGTERM are held back in this thread;
        one that still interrupts ``work`` (DuckDB's own threads may take the signal, and Python then acts on
        it here) undoes the transaction, and a killed process leaves it uncommitted, which DuckDB drops."""
        with interrupts.held():
            self.con.execute("BEGIN TRANSACTION")
            try:
                work()
            except BaseException:
                self.con.execute("ROLLBACK")
                raise
            self.con.execute("COMMIT")

    def set_meta(self, values: dict[str, str]) -> None:
        for k, v in values.items():
            self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [k, v])

    def put_file(self, path: str, sha: str, size: int, run: int) -> None:
        self.put_files([(path, sha, size)], run)

    def put_files(self, files: Sequence[tuple[str, str, int]], run: int) -> None:
        """File names (path, sha256, size), replacing what the store had under those paths: two statements
        (DuckDB's INSERT OR REPLACE costs ~8 ms a row)."""
        paths = [p for p, _, _ in files]
        self.con.execute("DELETE FROM files WHERE list_contains(?, path)", [paths])
        self.con.execute("INSERT INTO files SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                         "unnest(?::VARCHAR[]), unnest(?::BIGINT[]), ?",
                         [paths, [printable(Path(p).stem) for p in paths], [sha for _, sha, _ in files],
                          [size for _, _, size in files], run])

    def drop_orphans(self) -> int:
        orphans = [r[0] for r in self.con.execute(
            "SELECT sha256 FROM documents WHERE sha256 NOT IN (SELECT sha256 FROM files)").fetchall()]
        for sha in orphans:
            self.drop_content(sha)
        return len(orphans)

    def drop_content(self, sha: str) -> None:
        self.con.execute("DELETE FROM findings WHERE sha256 = ?", [sha])
        self.con.execute("DELETE FROM documents WHERE sha256 = ?", [sha])

    def put_content(self, sha: str, document: dict, rows: Sequence[FindingRow], model_sha: str, reader: str,
                    run: int) -> None:
        """One document's rows (see :meth:`put_contents`)."""
        self.put_contents([(sha, document, rows)], model_sha, reader, run)

    def put_contents(self, items: Sequence[tuple[str, dict, Sequence[FindingRow]]], model_sha: str, reader: str,
                     run: int) -> None:
        """Documents' rows (sha256, document record, finding rows), replacing any the store has for them:
        one statement for their documents rows, one for all their findings."""
        import numpy as np
        import pandas as pd

        shas = [sha for sha, _, _ in items]
        if self.con.execute("SELECT count(*) FROM documents WHERE list_contains(?, sha256)", [shas]).fetchone()[0]:
            for sha in shas:
                self.drop_content(sha)
        marks = ", ".join("?" * (len(schema.CONTENT_FIELDS) + 5))
        self.con.executemany(f"INSERT INTO documents VALUES ({marks})", [
            [sha] + [document.get(c) for c in schema.CONTENT_FIELDS] + [len(rows), model_sha, reader, run]
            for sha, document, rows in items])
        rows = [r for _, _, found in items for r in found]
        if not rows:
            return
        cols: dict[str, np.ndarray] = {
            "sha256": np.array([sha for sha, _, found in items for _ in found], dtype=object)}
        for name in schema.FINDING_FIELDS:
            if name == "scores":
                scores = np.array([r.scores for r in rows], dtype=np.float64).reshape(len(rows), -1)
                for k, score in enumerate(schema.SCORE_COLUMNS):
                    cols[score] = scores[:, k]
            elif name == "themes":
                cols["themes"] = np.array([";".join(r.themes) for r in rows], dtype=object)
            elif name == "recommendation":
                cols[name] = np.array([bool(r.recommendation) for r in rows], dtype=bool)
            elif name == "index":
                cols[name] = np.array([r[schema.FINDING_COLUMNS_INDEX] for r in rows], dtype=np.int64)
            else:
                cols[name] = np.array([getattr(r, name) for r in rows], dtype=object)
        frame = pd.DataFrame(cols, copy=False)
        select = ", ".join("CASE WHEN themes = '' THEN []::VARCHAR[] ELSE string_split(themes, ';') END"
                           if c == "themes" else schema.quoted(c) for c in schema.FINDING_STORED)
        self.con.register("_new_findings", frame)
        try:
            self.con.execute(f"INSERT INTO findings SELECT {select} FROM _new_findings")
        finally:
            self.con.unregister("_new_findings")


def _hash(path: str) -> tuple[str, int]:
    size = os.stat(path).st_size
    return identity.file_sha256(path), size


def add_files(con, files: Iterable[str | os.PathLike], model: Tagger, jobs: int = 1, limits: Limits | None = None,
              on_result: Callable[[DocumentResult], None] | None = None,
              on_note: Callable[[str], None] | None = None) -> AddSummary:
    """Read and tag into the store (an open connection for writing) what ``files`` hold that it lacks.

    ``on_result`` is given each result read (its warnings and errors, for the caller to show);
    ``on_note`` each line saying what is re-tagged or re-read and why. Never raises for a bad file.
    """
    from ofsted_nlp.batch.pipeline import tag_files

    summary = AddSummary()

    def note(line: str) -> None:
        summary.notes.append(line)
        if on_note is not None:
            on_note(line)
    w = _Writer(con)
    model_id = identity.model_identity(model)
    reader = identity.reader_version()
    run = int(con.execute("SELECT coalesce(max(run), 0) + 1 FROM runs").fetchone()[0])
    w.transaction(lambda: con.execute(
        "INSERT INTO runs (run, started, model_name, model_sha256, model_format, package_version, reader) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [run, _now(), model_id.name, model_id.sha256, model_id.format, identity.package_version(), reader]))

    # ---- the model and the reader: the store holds one model's tags, by one reader
    meta = store_meta(con)
    if meta.get("model_sha256") and meta.get("model_sha256") != model_id.sha256:
        note(f"the store was tagged by {meta.get('model_name')} ({meta['model_sha256'][:12]}); its documents are "
             f"re-tagged with {model_id.describe()}")
    w.transaction(lambda: w.set_meta({"model_name": model_id.name, "model_sha256": model_id.sha256,
                                      "model_format": model_id.format, "reader": reader,
                                      "model_path": str((getattr(model, "info", None) or {}).get("path") or ""),
                                      "package_version": identity.package_version()}))
    stale_reader = {r[0] for r in con.execute("SELECT sha256 FROM documents WHERE reader IS DISTINCT FROM ?",
                                              [reader]).fetchall()}
    if stale_reader:
        note(f"{len(stale_reader)} documents were read by another version of the reader; they are read again")
    stale_model = [r[0] for r in con.execute(
        "SELECT sha256 FROM documents WHERE model_sha256 IS DISTINCT FROM ? AND reader = ? ORDER BY sha256",
        [model_id.sha256, reader]).fetchall()]
    for sha in stale_model:
        interrupts.check()
        _retag(w, sha, model, model_id.sha256, run)
        summary.retagged += 1

    # ---- this run's files
    known = dict(con.execute("SELECT path, sha256 FROM files").fetchall())
    current = {r[0] for r in con.execute("SELECT sha256 FROM documents").fetchall()} - stale_reader
    order: list[str] = []
    names: dict[str, tuple[str, int]] = {}  # path -> (sha256, size)
    real: dict[str, str] = {}  # path -> the path to read it by (as given)
    for f in files:
        path = _key(f)
        if path in names:
            continue
        try:
            names[path] = _hash(os.fspath(f))
            real[path] = os.fspath(f)
        except OSError as exc:
            summary.failed += 1
            if on_result is not None:
                on_result(DocumentResult(os.fspath(f), error=f"{printable(os.fspath(f))}: {exc.strerror or exc}"))
            continue
        order.append(path)
    given = set(order)
    # documents an older reader read, at paths not given this run: read again from where they were
    if stale_reader:
        for path, sha in sorted(known.items()):
            if sha in stale_reader and path not in names:
                if os.path.isfile(path) and _hash(path)[0] == sha:
                    names[path] = (sha, os.stat(path).st_size)
                    real[path] = path
                    order.append(path)
        summary.reread = len(stale_reader)

    to_tag: dict[str, list[str]] = {}  # sha256 -> its paths this run, the first to be read
    status: dict[str, str] = {}  # path -> new, changed or unchanged (counted once read; "" not counted)
    for path in order:
        sha, size = names[path]
        if known.get(path) == sha and sha in current:
            summary.unchanged += 1
            continue
        if known.get(path) == sha:  # unchanged, read again for the new reader (said above)
            status[path] = "unchanged" if path in given else ""
        else:
            status[path] = "changed" if path in known else "new"
        _count(summary, status[path], +1)
        if sha in current:  # stored under another name: recorded under this one too
            summary.renamed += 1
            def rename(path: str = path, sha: str = sha, size: int = size) -> None:
                w.put_file(path, sha, size, run)
                w.drop_orphans()

            w.transaction(rename)
        else:
            to_tag.setdefault(sha, []).append(path)

    # ---- read and tag what is new: a few documents a transaction, each whole or not at all
    first = {real[paths[0]]: sha for sha, paths in to_tag.items()}  # the path to read -> its content
    pending: list[tuple[str, list[str], DocumentResult]] = []
    held = [0, time.monotonic()]  # findings pending, when the last were written

    def flush() -> None:
        items, pending[:] = list(pending), []
        held[0], held[1] = 0, time.monotonic()
        if not items:
            return

        def write() -> None:
            w.put_contents([(sha, result.document or {}, result.rows) for sha, _, result in items],
                           model_id.sha256, reader, run)
            w.put_files([(p, sha, names[p][1]) for sha, paths, _ in items for p in paths], run)
            w.drop_orphans()

        w.transaction(write)

    for result in tag_files(list(first), model, jobs, limits=limits):
        interrupts.check()
        if on_result is not None:
            on_result(result)
        sha = first[result.path]
        paths = to_tag[sha]
        if result.error is not None or result.document is None:
            for p in paths:  # not read: counted as such, not as new or changed
                _count(summary, status[p], -1)
                summary.failed += 1
            # A changed file that cannot be read no longer holds what the store has under its name.
            gone = [p for p in paths if p in known]
            if gone:
                def forget(gone: list[str] = gone) -> None:
                    for p in gone:
                        con.execute("DELETE FROM files WHERE path = ?", [p])
                    w.drop_orphans()

                w.transaction(forget)
            continue
        if result.duplicate_of is not None:  # a copy of a document tagged in this run: said, left out
            for p in paths:
                _count(summary, status[p], -1)
            continue
        pending.append((sha, paths, result))
        held[0] += len(result.rows)
        if (len(pending) >= BATCH_DOCUMENTS or held[0] >= BATCH_FINDINGS
                or time.monotonic() - held[1] >= BATCH_SECONDS):
            flush()
    flush()
    # documents an older reader read whose files are gone: nothing to read them again from
    left = [r[0] for r in con.execute("SELECT sha256 FROM documents WHERE reader IS DISTINCT FROM ?",
                                      [reader]).fetchall()]
    if left:
        note(f"{len(left)} documents read by another version of the reader are no longer at their paths; "
             "they are removed from the store")

        def remove() -> None:
            for sha in left:
                con.execute("DELETE FROM files WHERE sha256 = ?", [sha])
                w.drop_content(sha)

        w.transaction(remove)
        summary.removed = len(left)
    w.transaction(lambda: con.execute(
        "UPDATE runs SET finished = ?, new = ?, changed = ?, unchanged = ?, renamed = ?, retagged = ?, "
        "failed = ? WHERE run = ?",
        [_now(), summary.new, summary.changed, summary.unchanged, summary.renamed, summary.retagged,
         summary.failed, run]))
    return summary


def _count(summary: AddSummary, status: str, step: int) -> None:
    if status:
        setattr(summary, status, getattr(summary, status) + step)


def _retag(w: _Writer, sha: str, model: Tagger, model_sha: str, run: int) -> None:
    """One stored document's findings tagged again by ``model`` from their text, in one transaction."""
    con = w.con
    names = list(schema.CONTENT_FIELDS)
    row = con.execute(f"SELECT {', '.join(schema.quoted(c) for c in names)}, reader FROM documents "
                      "WHERE sha256 = ?", [sha]).fetchone()
    document = dict(zip(names, row[:-1]))
    head = ("",) + tuple(document[c] for c in names)
    rows = retagged(finding_rows_of(con, sha, head), model)

    def write() -> None:
        w.put_content(sha, document, rows, model_sha, row[-1], run)

    w.transaction(write)
