"""The findings store: views from it equal views from the files; tagging into it is incremental; a store
that cannot be used (locked, not a store, damaged, another version, read-only) is one line and is left as
it was; an interrupted or killed run leaves every document whole or absent, and the next run finishes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from conftest import CORPUS, REPO, SEEDS
from typer.testing import CliRunner

from ofsted_nlp.cli.app import app
from ofsted_nlp.store import writing

# A letter, a focused visit and a graded report of the corpus, beside the seed letters.
CORPUS_PDFS = ("letters/york_2019-08-09.pdf", "letters/darlington_2021-11-30.pdf",
               "reports/bedford_2017-04-07.pdf")


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def count(store: Path, sql: str) -> int:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


@pytest.fixture
def letters(tmp_path, shipped_model) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for p in sorted(SEEDS.glob("*.txt")):
        shutil.copy(p, folder / p.name)
    for name in CORPUS_PDFS:
        if (CORPUS / name).exists():
            shutil.copy(CORPUS / name, folder / Path(name).name)
    return folder


@pytest.fixture
def store(letters, tmp_path) -> Path:
    path = tmp_path / "findings.duckdb"
    result = run("tag", letters, "--store", path)
    assert result.exit_code == 0, result.output
    return path


def test_views_from_the_store_are_the_views_from_the_files(letters, store, tmp_path):
    n = len(list(letters.iterdir()))
    assert count(store, "SELECT count(*) FROM files") == n
    views = [
        ("tag", "--format", "csv"),
        ("tag", "--format", "jsonl", "--authority", "Hackney"),
        ("matrix",),
        ("matrix", "--region", "London", "--value", "count"),
        ("matrix", "--by", "document", "--since", "2015-01-01"),
        ("matrix", "--neighbours", "Hackney"),
        ("evidence", "--theme", "supervision", "--polarity", "all"),
        ("evidence", "--authority", "Hackney", "--kind", "focused_visit"),
        ("change",),
        ("change", "--until", "2019-12-31"),
    ]
    if (letters / "bedford_2017-04-07.pdf").exists():
        views.append(("matrix", "--grade", "requires_improvement"))
    for view in views:
        from_files, from_store = run(view[0], letters, *view[1:]), run(view[0], store, *view[1:])
        assert from_files.exit_code == 0, (view, from_files.output)
        assert from_store.exit_code == 0, (view, from_store.output)
        assert from_store.stdout == from_files.stdout, view
        assert from_store.stdout.strip()
    for suffix in (".csv", ".xlsx"):
        a, b = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
        assert run("matrix", letters, "-o", a).exit_code == 0 and run("matrix", store, "-o", b).exit_code == 0
        if suffix == ".csv":
            assert a.read_bytes() == b.read_bytes()
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    assert run("report", letters, "-o", a, "--region", "London").exit_code == 0
    assert run("report", store, "-o", b, "--region", "London").exit_code == 0
    assert a.read_bytes() == b.read_bytes()
    # a selection that keeps nothing is the same line from both
    none_files, none_store = run("matrix", letters, "--kind", "monitoring_visit"), run("matrix", store, "--kind",
                                                                                           "monitoring_visit")
    assert none_files.exit_code == none_store.exit_code == 2
    assert none_files.stderr == none_store.stderr


def test_tagging_again_reads_only_what_is_new_or_changed(letters, store, monkeypatch):
    from ofsted_nlp import read_letter

    n = len(list(letters.iterdir()))
    again = run("tag", letters, "--store", store)
    assert again.exit_code == 0
    assert f"{n} documents: 0 new, 0 changed, {n} unchanged" in again.stderr
    read: list[str] = []
    real = writing._Writer.put_contents

    def spy(self, items, *args):
        read.extend(document["kind"] for _, document, _ in items)
        return real(self, items, *args)

    monkeypatch.setattr(writing._Writer, "put_contents", spy)
    hackney = next(letters.glob("003_*.txt"))
    old_sha = count(store, f"SELECT count(*) FROM files WHERE document = '{hackney.stem}'")
    assert old_sha == 1
    # a changed file replaces its rows; a copy under a new name is recorded, not tagged again
    text = hackney.read_text(encoding="utf-8")
    first_finding = read_letter(hackney).findings[0].text
    hackney.write_text(text.replace(first_finding[:40], "", 1), encoding="utf-8")
    assert read_letter(hackney).findings[0].text != first_finding
    shutil.copy(next(letters.glob("000_*.txt")), letters / "copy_of_hackney_2011.txt")
    third = run("tag", letters, "--store", store)
    assert third.exit_code == 0, third.output
    assert (f"{n + 1} documents: 1 new, 1 changed, {n - 1} unchanged (1 already stored under another name, "
            "not tagged again)") in third.stderr
    assert len(read) == 1  # only the changed letter was tagged
    assert count(store, "SELECT count(*) FROM files") == n + 1
    assert count(store, "SELECT count(*) FROM documents") == n
    stored = count(store, f"SELECT count(*) FROM findings JOIN files USING (sha256) WHERE document = '{hackney.stem}'")
    assert stored == len(read_letter(hackney).findings)
    assert count(store, "SELECT count(*) FROM findings") == count(store, "SELECT sum(findings) FROM documents")
    assert count(store, "SELECT count(*) FROM documents WHERE sha256 NOT IN (SELECT sha256 FROM files)") == 0
    # the copy is counted once in the views, as when read from the files (said on stderr)
    a, b = run("tag", letters, "--format", "csv"), run("tag", store, "--format", "csv")
    assert a.stdout == b.stdout and "copy_of_hackney_2011" not in b.stdout
    assert "copy_of_hackney_2011.txt: the same document as" in b.output
    assert count(store, "SELECT count(*) FROM runs WHERE finished IS NOT NULL") == 3


def test_another_model_re_tags_from_the_stored_text(letters, tmp_path, shipped_model):
    from ofsted_nlp import findings_table, open_store, read_letter
    from ofsted_nlp.tagging.tags import decide

    class Stricter:
        """The shipped model with other theme thresholds: another model's tags."""

        info: dict = {}
        thresholds = {t: min(0.95, v + 0.2) for t, v in shipped_model.thresholds.items()}

        def probabilities(self, texts):
            return shipped_model.probabilities(texts)

        def tag(self, texts, judgements=None, recommendations=None):
            P, Q = shipped_model.probabilities(texts)
            return decide(texts, P, Q, self.thresholds, judgements, recommendations)

    seeds = sorted(letters.glob("*.txt"))
    store = open_store(tmp_path / "s.duckdb")
    assert store.add(seeds, model=shipped_model).new == len(seeds)
    stricter = Stricter()
    summary = store.add(seeds, model=stricter)
    assert summary.retagged == len(seeds) and summary.unchanged == len(seeds)
    expected = findings_table([read_letter(p) for p in seeds], stricter)
    got = store.findings()
    assert got.drop(columns=["scores"]).equals(expected.drop(columns=["scores"]))
    assert got["themes"].tolist() != findings_table([read_letter(p) for p in seeds], shipped_model)["themes"].tolist()
    # a view with --model other than the store's is refused in one line
    other = run("matrix", tmp_path / "s.duckdb", "--model", REPO / "ofsted_nlp" / "models" / "ofsted-nlp.npz")
    assert other.exit_code == 2 and "not by --model" in other.stderr and len(other.stderr.splitlines()) == 1


def test_an_interrupted_run_leaves_whole_documents_and_the_next_finishes(letters, tmp_path, monkeypatch):
    path = tmp_path / "s.duckdb"
    n = len(list(letters.iterdir()))
    monkeypatch.setattr(writing, "BATCH_DOCUMENTS", 2)  # two documents a transaction
    real = writing._Writer.put_contents
    calls = [0]

    def interrupted(self, *args):
        calls[0] += 1
        real(self, *args)
        if calls[0] == 2:  # in the middle of the second transaction, its documents' rows written
            raise KeyboardInterrupt

    monkeypatch.setattr(writing._Writer, "put_contents", interrupted)
    result = run("tag", letters, "--store", path)
    assert result.exit_code == 130
    assert count(path, "SELECT count(*) FROM documents") == 2
    assert count(path, "SELECT count(*) FROM files") == 2
    assert count(path, "SELECT count(*) FROM findings") == count(path, "SELECT sum(findings) FROM documents")
    monkeypatch.setattr(writing._Writer, "put_contents", real)
    rest = run("tag", letters, "--store", path)
    assert rest.exit_code == 0 and f"{n} documents: {n - 2} new, 0 changed, 2 unchanged" in rest.stderr


KILLED = textwrap.dedent("""
    import os, signal, sys
    from ofsted_nlp.store import writing
    writing.BATCH_DOCUMENTS = 2
    real, calls = writing._Writer.put_contents, [0]
    def put(self, items, *args):
        calls[0] += 1
        real(self, items, *args)
        if calls[0] == 2:
            os.kill(os.getpid(), signal.SIGKILL)  # killed in the middle of the second transaction
    writing._Writer.put_contents = put
    from ofsted_nlp.cli.app import main
    sys.argv = ["ofsted-nlp", "tag", sys.argv[1], "--store", sys.argv[2]]
    main()
""")


def test_a_killed_run_leaves_whole_documents(letters, tmp_path):
    path = tmp_path / "s.duckdb"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", KILLED, str(letters), str(path)], env=env, capture_output=True,
                          timeout=300)
    assert proc.returncode == -signal.SIGKILL
    assert count(path, "SELECT count(*) FROM documents") == 2
    assert count(path, "SELECT count(*) FROM files") == 2
    assert count(path, "SELECT count(*) FROM findings") == count(path, "SELECT sum(findings) FROM documents")
    rest = run("tag", letters, "--store", path)
    assert rest.exit_code == 0 and "2 unchanged" in rest.stderr


HOLDER = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)"


def test_a_store_being_written_is_one_line_for_writers_and_readers(store):
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(store)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        for args in (("tag", SEEDS, "--store", store), ("matrix", store)):
            result = run(*args)
            assert result.exit_code == 2, args
            (line,) = result.stderr.splitlines()
            assert store.name in line and "in use by another process" in line
    finally:
        holder.kill()
        holder.wait()
    assert run("matrix", store).exit_code == 0


def test_stores_that_cannot_be_used_are_one_line_and_left_as_they_were(store, tmp_path, monkeypatch):
    not_a_store = tmp_path / "notes.duckdb"
    not_a_store.write_text("a,b\n1,2\n")
    truncated = tmp_path / "truncated.duckdb"
    data = store.read_bytes()
    truncated.write_bytes(data[: len(data) // 3])
    other_db = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other_db))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    other_version = tmp_path / "v99.duckdb"
    shutil.copy(store, other_version)
    con = duckdb.connect(str(other_version))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    cases = {not_a_store: "not a store", truncated: "damaged", other_db: "not an ofsted-nlp store",
             other_version: "schema version 99", tmp_path / "missing.duckdb": "no such store"}
    for path, words in cases.items():
        before = path.read_bytes() if path.exists() else None
        for args in (("matrix", path), ("tag", SEEDS, "--store", path)):
            if args[0] == "tag" and before is None:
                continue  # tag makes a store where there is none
            result = run(*args)
            assert result.exit_code == 2, (path, args, result.output)
            (line,) = result.stderr.splitlines()
            assert words in line and path.name in line, line
            assert "Traceback" not in result.output
        assert (path.read_bytes() if path.exists() else None) == before
    # read-only: views read it, tag says it cannot write
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: False if Path(p) in (store, store.parent)
                        and mode == os.W_OK else real_access(p, mode, *a, **k))
    before = store.read_bytes()
    assert run("matrix", store).exit_code == 0
    result = run("tag", SEEDS, "--store", store)
    assert result.exit_code == 2 and "read-only" in result.stderr and len(result.stderr.splitlines()) == 1
    assert store.read_bytes() == before


def test_export_to_parquet_and_the_python_api(store, tmp_path):
    from ofsted_nlp import Selection, open_store

    out = tmp_path / "parquet"
    result = run("export", store, "--parquet", out)
    assert result.exit_code == 0, result.output
    con = duckdb.connect()
    for table in ("files", "documents", "findings", "runs", "meta"):
        n = con.execute(f"SELECT count(*) FROM read_parquet('{out / (table + '.parquet')}')").fetchone()[0]
        assert n == count(store, f"SELECT count(*) FROM {table}"), table
    s = open_store(store)
    hackney = s.documents(Selection(authorities=("Hackney",)))
    assert set(hackney["la_name"]) == {"Hackney"} and len(hackney) == 2
    findings = s.findings(Selection(authorities=("Hackney",)))
    assert len(findings) == hackney["findings"].sum() and set(findings["la_name"]) == {"Hackney"}
    kinds = s.sql("SELECT kind, count(*) AS n FROM documents GROUP BY kind ORDER BY kind")
    assert kinds["n"].sum() == count(store, "SELECT count(*) FROM documents")
    assert s.model()["schema_version"] == "1" and s.model()["model_name"] == "ofsted-nlp.npz"


def test_a_new_reader_reads_the_documents_again(letters, store, monkeypatch, tmp_path):
    from ofsted_nlp.store import identity

    n = len(list(letters.iterdir()))
    moved = tmp_path / "moved"
    moved.mkdir()
    gone = next(letters.glob("004_*.txt"))
    shutil.move(gone, moved / gone.name)  # no longer where the store read it
    monkeypatch.setattr(identity, "READER_VERSION", "2")
    result = run("tag", next(letters.glob("000_*.txt")), "--store", store)
    assert result.exit_code == 0, result.output
    assert f"{n} documents were read by another version of the reader; they are read again" in result.stderr
    assert "1 documents read by another version of the reader are no longer at their paths" in result.stderr
    assert "1 document: 0 new, 0 changed, 1 unchanged" in result.stderr
    assert count(store, "SELECT count(*) FROM documents WHERE reader = '2'") == n - 1
    assert count(store, "SELECT count(*) FROM documents") == n - 1
    assert count(store, f"SELECT count(*) FROM files WHERE document = '{gone.stem}'") == 0
    assert run("matrix", store).exit_code == 0


def test_a_file_that_cannot_be_read_is_counted_as_such_and_tried_again(tmp_path, shipped_model):
    folder = tmp_path / "docs"
    folder.mkdir()
    for p in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(p, folder / p.name)
    (folder / "saved_error_page.pdf").write_text("<html><body>Not found</body></html>")
    store = tmp_path / "s.duckdb"
    for _ in range(2):
        result = run("tag", folder, "--store", store)
        assert result.exit_code == 1
        lines = result.stderr.splitlines()
        assert any("saved_error_page.pdf" in line for line in lines)
        assert lines[-1].endswith("; 1 could not be read")
    assert "2 documents: 0 new, 0 changed, 2 unchanged; 1 could not be read" in result.stderr
    assert count(store, "SELECT count(*) FROM files") == 2


def test_the_selection_is_a_query(store):
    """The store reads only what a selection keeps: the query's documents are the selection's own."""
    import pandas as pd

    from ofsted_nlp.store import connection, reading
    from ofsted_nlp.views.selection import Selection

    con = connection.open_for_reading(store)
    try:
        everything = pd.DataFrame([r.document for r in reading.results(con, compact=True)])
        selections = [Selection(authorities=("Hackney",)), Selection(region="London"),
                      Selection(since="2015-01-01"), Selection(until="2012-12-31", kinds=("ucra",)),
                      Selection(neighbours_of="Hackney"), Selection(grades=("requires_improvement",)),
                      Selection(region="North East", kinds=("focused_visit", "ilacs"))]
        for selection in selections:
            queried = list(reading.results(con, selection))
            assert sorted(r.document["document"] for r in queried) == sorted(selection.apply(everything)["document"])
            assert all(row.document == r.document["document"] for r in queried for row in r.rows)
        assert len(list(reading.results(con, Selection(authorities=("Hackney",))))) == 2
    finally:
        con.close()


TERMINATED = textwrap.dedent("""
    import os, signal, sys
    from ofsted_nlp.store import writing
    writing.BATCH_DOCUMENTS = 1
    real, calls = writing._Writer.put_contents, [0]
    def put(self, items, *args):
        calls[0] += 1
        if calls[0] == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # arrives in the middle of the second document's transaction
        real(self, items, *args)
    writing._Writer.put_contents = put
    from ofsted_nlp.cli.app import main
    sys.argv = ["ofsted-nlp", "tag", sys.argv[1], "--store", sys.argv[2]]
    main()
""")


def test_sigterm_in_a_transaction_leaves_the_document_whole_or_absent(letters, tmp_path):
    path = tmp_path / "s.duckdb"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", TERMINATED, str(letters), str(path)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.strip().splitlines()[-1].startswith("ofsted-nlp: terminated")
    # the first document committed; the second whole (committed before the signal acted) or absent (undone)
    stored = count(path, "SELECT count(*) FROM documents")
    assert stored in (1, 2) and count(path, "SELECT count(*) FROM files") == stored
    assert count(path, "SELECT count(*) FROM findings") == count(path, "SELECT sum(findings) FROM documents")
    n = len(list(letters.iterdir()))
    rest = run("tag", letters, "--store", path)
    assert rest.exit_code == 0 and f"{n - stored} new, 0 changed, {stored} unchanged" in rest.stderr


READER = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); print('held', flush=True); "
          "time.sleep(60)")


def test_a_store_being_read_is_one_line_for_a_writer_and_open_to_readers(store):
    before = store.read_bytes()
    holder = subprocess.Popen([sys.executable, "-c", READER, str(store)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert run("matrix", store).exit_code == 0  # readers share it
        result = run("tag", SEEDS, "--store", store)
        assert result.exit_code == 2
        (line,) = result.stderr.splitlines()
        assert store.name in line and "in use by another process" in line
    finally:
        holder.kill()
        holder.wait()
    assert store.read_bytes() == before


@pytest.mark.parametrize("kind", ["fifo", "loop", "not utf-8"])
def test_a_store_path_no_store_can_be_at_is_one_line_and_left_as_it_was(letters, tmp_path, kind):
    """A FIFO is not replaced by a store (it was: unlinked as an empty file), a looping link and a name DuckDB
    cannot take are one line each (the last was DuckDB's std::bad_cast), for tag --store, the views and export."""
    if kind == "fifo":
        path = tmp_path / "pipe.duckdb"
        os.mkfifo(path)
    elif kind == "loop":
        path = tmp_path / "loop.duckdb"
        os.symlink(tmp_path / "loop2.duckdb", path)
        os.symlink(path, tmp_path / "loop2.duckdb")
    else:
        path = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.duckdb"))
    for args in (["tag", letters, "--store", path], ["matrix", path], ["export", path, "--parquet", tmp_path / "pq"]):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "unexpected error" not in lines[0] and "Traceback" not in result.output, lines
    if kind == "fifo":
        assert path.is_fifo()
    assert not (tmp_path / "pq").exists()


@pytest.mark.parametrize("kind", ["loop", "not utf-8"])
def test_a_parquet_folder_duckdb_cannot_write_is_one_line_and_nothing_made(store, tmp_path, kind):
    if kind == "loop":
        folder = tmp_path / "loop"
        os.symlink(tmp_path / "loop", folder)
    else:
        folder = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/out\xe9"))
    result = run("export", store, "--parquet", folder)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "unexpected error" not in result.stderr
    assert kind == "loop" or not os.path.lexists(folder)
