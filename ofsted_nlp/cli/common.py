"""What the commands share: options declared once, exit codes, one-line messages,
and the wiring of the library's batch pipeline (:mod:`ofsted_nlp.batch.pipeline`) and
whole-or-nothing outputs (:mod:`ofsted_nlp.io.atomic`) to the terminal.

Exit codes: 0 every file was read; 1 some files could not be read (the rest
were processed and written); 2 usage error, or nothing could be produced (no
file readable, model unusable, output not writable).

Heavy libraries are imported inside functions: this module is imported when
the CLI starts, and ``ofsted-nlp --help`` must stay fast.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ofsted_nlp.errors import printable
from ofsted_nlp.reading.extraction import Limits  # standard library only at import

if TYPE_CHECKING:  # pragma: no cover
    from ofsted_nlp.batch.pipeline import DocumentResult

# Typer >= 0.20 vendors click; take its exception classes from typer's public
# BadParameter so that they are the ones the app handles, whichever typer runs.
BadParameter = typer.BadParameter
UsageError: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
ClickException: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

PROG = "ofsted-nlp"

# Arguments and options that several commands take, declared once.
PathsArg = Annotated[list[Path], typer.Argument(
    metavar="PATH", show_default=False,
    help="Letters or reports (.txt or .pdf), or folders searched recursively for them; or one store "
         "(FILE.duckdb, made by 'tag PATH... --store FILE.duckdb') to read them from.")]
ModelOpt = Annotated[Optional[Path], typer.Option(
    "--model", "-m", dir_okay=True, show_default=False,
    help="Model file, or 'accurate' for the slower transformer model (needs the [accurate] extra) "
         "[default: the fast model shipped with the package].")]
TrustPickleOpt = Annotated[bool, typer.Option(
    "--trust-pickle", hidden=True,
    help="Kept for scripts that pass it: pickle (joblib) models of earlier versions are no longer read, "
         "trusted or not (retrain with `ofsted-nlp train`).")]
JobsOpt = Annotated[int, typer.Option("--jobs", "-j", help="Worker processes (-1: one per CPU).")]
# Limits on each document (ofsted_nlp.reading.extraction.Limits); a document over one is reported and skipped.
DEFAULT_LIMITS = Limits()
MaxPagesOpt = Annotated[int, typer.Option("--max-pages", min=1, help="Most pages a PDF may have.")]
MaxCharsOpt = Annotated[int, typer.Option("--max-chars", min=1, help="Most characters a document may have.")]
MaxFileMbOpt = Annotated[int, typer.Option("--max-file-mb", min=1, help="Largest file to read, in MB.")]
MaxInflatedMbOpt = Annotated[int, typer.Option(
    "--max-inflated-mb", min=1, help="Most a PDF's compressed streams (other than images) may expand to, in MB.")]

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2



class CommandError(Exception):
    """A problem that ends the command: shown as one line, then exit with ``code``."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def say(message: str) -> None:
    """Print ``ofsted-nlp: <message>`` as one line on stderr (above any progress bar)."""
    from tqdm import tqdm

    tqdm.write(f"{PROG}: {printable(one_line(message))}", file=sys.stderr)  # no escape sequence reaches a terminal


def warn_line(message: str) -> None:
    say(f"warning: {message}")


def stderr_is_tty() -> bool:
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):
        return False


def check_jobs(jobs: int) -> int:
    """``--jobs``: -1 is one per CPU; more than the CPUs is capped to them, with one line."""
    from ofsted_nlp.batch.pipeline import available_cpus

    cpus = available_cpus()
    if jobs == -1:
        return cpus
    if jobs < 1:
        raise BadParameter(f"{jobs} (give a number of processes >= 1, or -1 for one per CPU)",
                           param_hint="'--jobs'")
    if jobs > cpus:
        warn_line(f"--jobs {jobs} is more than the {cpus} CPUs this process may use; using {cpus}")
        return cpus
    return jobs


def check_output(path: Path, option: str = "--output") -> None:
    """Refuse, before any work, an output that cannot be written."""
    if path.is_dir():
        raise BadParameter(f"{path} is a folder", param_hint=f"'{option}'")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise BadParameter(f"folder {parent} does not exist", param_hint=f"'{option}'")


# --------------------------------------------------------------------------- model


def load_model_once(path: Path | None, trust_pickle: bool = False):
    """Load (and check) the model, showing its warnings as one line each. Raises CommandError if unusable."""
    from ofsted_nlp.batch.pipeline import cached_model
    from ofsted_nlp.errors import ModelError

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = cached_model(path, trust_pickle=trust_pickle)
    except ModelError as exc:
        raise CommandError(str(exc)) from None
    except Exception as exc:
        if os.environ.get("OFSTED_NLP_DEBUG"):
            raise
        raise CommandError(f"{path}: cannot load the model ({type(exc).__name__}: {exc})") from None
    for w in caught:
        warn_line(str(w.message))
    return model


# --------------------------------------------------------------------------- reading and tagging


@dataclass
class Batch:
    """What a run read, in input order (the findings went to the caller's sink as they came)."""

    documents: list[dict]
    findings: int
    failed: int
    total: int
    model_path: str | None = None  # read from a store: the model file that tagged it

    @property
    def exit_code(self) -> int:
        return EXIT_SOME_FAILED if self.failed else EXIT_OK


def limits(max_pages: int, max_chars: int, max_file_mb: int, max_inflated_mb: int) -> Limits:
    """The reader's limits from the command's options."""
    return Limits(pages=max_pages, chars=max_chars, file_mb=max_file_mb, inflated_mb=max_inflated_mb)


def run_batch(paths: Sequence[Path], model: Path | None, jobs: int, sink: Callable[[DocumentResult], None],
              exclude: Sequence[Path] = (), desc: str = "tagging", compact: bool = False,
              trust_pickle: bool = False, limits: Limits | None = None, selection=None) -> Batch:
    """Find, read and tag documents (:mod:`ofsted_nlp.batch.pipeline`), passing each one read to ``sink`` in input order.

    Bad files and warnings are reported on stderr as they come. Raises
    CommandError (exit 2) when no file is found or none can be read, or the model fails while tagging, and
    UsageError for a file named explicitly that is not .txt or .pdf.
    Given a store (one FILE.duckdb) the documents come from it instead (:func:`run_store`); ``selection``
    then chooses which are read from it.
    """
    from ofsted_nlp.batch.pipeline import SUFFIXES, find_documents, tag_files
    from ofsted_nlp.io import interrupts

    store = store_in(paths)
    if store is not None:
        return run_store(store, sink, selection=selection, compact=compact, model=model, trust_pickle=trust_pickle)

    for p in paths:
        if p.is_file() and p.suffix.lower() not in SUFFIXES:
            raise UsageError(f"{printable(p)}: unsupported file type {printable(p.suffix) or '(no extension)'!r}; "
                             "expected .txt or .pdf files or folders")
    inputs = find_documents(paths, exclude=exclude)
    for clash in inputs.clashes:
        raise UsageError(f"{printable(clash)} is one of the files to read; writing the output there would replace "
                         "it: choose another output file")
    failed = 0
    for note in inputs.skipped:
        warn_line(note)
    for problem in inputs.problems:
        say(problem)
        failed += 1
    if not inputs.files:
        raise CommandError("no .txt or .pdf files to read in " + " ".join(printable(p) for p in paths))
    loaded = load_model_once(model, trust_pickle=trust_pickle)

    import tqdm as tqdm_module

    tqdm_module.tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked from this one
    documents: list[dict] = []
    shown: set[str] = set()
    findings = 0
    bar = tqdm_module.tqdm(total=len(inputs.files), desc=desc, unit="doc", file=sys.stderr,
                           disable=not stderr_is_tty(), leave=False)
    from ofsted_nlp.errors import ModelError

    # closing(): an exception in the loop (a signal, a sink's failure) ends the workers there and then, not
    # whenever the generator happens to be collected.
    try:
        with closing(tag_files([str(f) for f in inputs.files], loaded, jobs, compact, limits=limits)) as results:
            for res in results:
                interrupts.check()
                for msg in res.messages:
                    if msg not in shown:
                        shown.add(msg)
                        warn_line(msg)
                if res.error:
                    say(res.error)
                    failed += 1
                elif res.duplicate_of is not None:
                    pass  # a second copy of a document read already: said in its message, counted once
                else:
                    assert res.document is not None
                    documents.append(res.document)
                    findings += len(res.rows)
                    sink(res)
                bar.update(1)
    except ModelError as exc:  # the model failed while tagging: its one line, nothing written
        raise CommandError(f"{exc}; nothing written") from None
    finally:
        bar.close()
    if not documents:
        raise CommandError("none of the files could be read; nothing written")
    return Batch(documents, findings, failed, len(inputs.files) + len(inputs.problems))


# --------------------------------------------------------------------------- the findings store


def store_in(paths: Sequence[Path]) -> Path | None:
    """The store a command is given in place of documents (one FILE.duckdb), or None."""
    from ofsted_nlp.store.connection import is_store_path

    stores = [p for p in paths if is_store_path(p)]
    if not stores:
        return None
    if len(paths) > 1:
        raise UsageError("a store (FILE.duckdb) is read on its own: give it without other paths")
    return stores[0]


def store_path_ok(path: Path) -> bool:
    from ofsted_nlp.store.connection import is_store_path

    return is_store_path(path)


@contextmanager
def store_errors() -> Iterator[None]:
    """A store that cannot be used, as a one-line CommandError."""
    from ofsted_nlp.store.connection import StoreError
    from ofsted_nlp.store.reading import MixedStoreError

    try:
        yield
    except (StoreError, MixedStoreError) as exc:
        raise CommandError(str(exc)) from None


def run_store(store: Path, sink: Callable[[DocumentResult], None], selection=None, compact: bool = False,
              model: Path | None = None, trust_pickle: bool = False) -> Batch:
    """:func:`run_batch` from a store: each document the selection's query keeps goes to ``sink``, in path
    order. A --model other than the store's is refused (a view never mixes models). ``compact`` (the
    matrix's reading) gives only the findings a matrix counts (:data:`ofsted_nlp.store.reading.COUNTED`)."""
    from ofsted_nlp.io import interrupts
    from ofsted_nlp.store import connection, reading

    with store_errors():
        con = connection.open_for_reading(store)
        try:
            meta = reading.check_whole(con, printable(store))
            if model is not None:
                from ofsted_nlp.store.identity import model_identity

                wanted = model_identity(load_model_once(model, trust_pickle=trust_pickle))
                if wanted.sha256 != meta.get("model_sha256"):
                    raise CommandError(f"{printable(store)}: tagged by {meta.get('model_name')}, not by --model "
                                       f"{printable(model)}; tag the documents into it with that model first")
            documents: list[dict] = []
            findings = 0
            for res in reading.results(con, selection, compact=compact):  # every finding: rates count them all
                interrupts.check()
                if res.duplicate_of is not None:
                    for msg in res.messages:
                        warn_line(msg)
                    continue
                assert res.document is not None
                documents.append(res.document)
                findings += len(res.rows)
                sink(res)
        finally:
            con.close()
    if not documents and (selection is None or selection.empty):
        raise CommandError(f"{printable(store)}: the store holds no documents")
    return Batch(documents, findings, 0, len(documents), model_path=meta.get("model_path") or None)


def tag_into_store(paths: Sequence[Path], store: Path, model: Path | None, jobs: int, trust_pickle: bool = False,
                   limits: Limits | None = None) -> int:
    """``tag PATH... --store FILE``: read and tag into the store what it lacks, say what was done in one
    line, and return the exit code (1 where some file could not be read)."""
    from ofsted_nlp.batch.pipeline import SUFFIXES, find_documents
    from ofsted_nlp.store import connection, writing

    for p in paths:
        if connection.is_store_path(p):
            raise UsageError(f"{printable(p)}: a store among the documents to read; give the store with --store")
        if p.is_file() and p.suffix.lower() not in SUFFIXES:
            raise UsageError(f"{printable(p)}: unsupported file type {printable(p.suffix) or '(no extension)'!r}; "
                             "expected .txt or .pdf files or folders")
    inputs = find_documents(paths, exclude=[store])
    for note in inputs.skipped:
        warn_line(note)
    for problem in inputs.problems:
        say(problem)
    if not inputs.files:
        raise CommandError("no .txt or .pdf files to read in " + " ".join(printable(p) for p in paths))
    loaded = load_model_once(model, trust_pickle=trust_pickle)
    shown: set[str] = set()

    def report(res) -> None:
        for msg in res.messages:
            if msg not in shown:
                shown.add(msg)
                warn_line(msg)
        if res.error:
            say(res.error)

    with store_errors():
        con = connection.open_for_writing(store)
        try:
            summary = writing.add_files(con, inputs.files, loaded, jobs=jobs, limits=limits, on_result=report,
                                        on_note=say)
        finally:
            con.close()
    summary.failed += len(inputs.problems)
    say(summary.describe())
    return EXIT_SOME_FAILED if summary.failed else EXIT_OK


# --------------------------------------------------------------------------- output


@contextmanager
def output_file(path: Path) -> Iterator[Path]:
    """:func:`ofsted_nlp.io.atomic.atomic_path` for a command's output: a write failure is a one-line CommandError."""
    from ofsted_nlp.io.atomic import atomic_path

    try:
        with atomic_path(path) as tmp:
            yield tmp
    except OSError as exc:
        raise CommandError(f"{printable(path)}: cannot be written ({exc.strerror or exc}); nothing written") from None


@contextmanager
def output_files(paths: Sequence[Path]) -> Iterator[list[Path]]:
    """:func:`ofsted_nlp.io.atomic.atomic_paths` for a command's outputs: all written or none; a failure is one line."""
    from ofsted_nlp.io.atomic import atomic_paths

    try:
        with atomic_paths(paths) as tmps:
            yield tmps
    except OSError as exc:
        named = getattr(exc, "filename", None) or " or ".join(map(str, paths))  # the file, else the files written
        raise CommandError(f"{printable(named)}: cannot be written ({exc.strerror or exc}); nothing written") from None


def write_output(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` and put the result at ``path`` whole, or raise a one-line CommandError."""
    with output_file(path) as tmp:
        write(tmp)


def write_stdout(data: str, binary: bool = True) -> None:
    """Write all of ``data`` to stdout at once; a closed pipe (``| head``) ends quietly."""
    from ofsted_nlp.io import interrupts

    interrupts.check()
    if sys.stdout is None:  # started with standard output closed (``>&-``)
        raise CommandError("standard output is closed; nothing written (give --output FILE)")
    try:
        buffer = getattr(sys.stdout, "buffer", None)
        if binary and buffer is not None:
            sys.stdout.flush()
            buffer.write(data.encode("utf-8"))
            buffer.flush()
        else:
            sys.stdout.write(data)
            sys.stdout.flush()
    except OSError as exc:
        if not isinstance(exc, BrokenPipeError):
            raise CommandError(f"standard output cannot be written ({exc.strerror or exc}); nothing written "
                               "(give --output FILE)") from None
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        raise SystemExit(EXIT_SOME_FAILED) from None


@contextmanager
def command_errors() -> Iterator[None]:
    """Turn every failure inside a command into one line on stderr and an exit code."""
    try:
        yield
    except CommandError as exc:
        say(str(exc))
        raise typer.Exit(exc.code) from None
    except (typer.Exit, typer.Abort, ClickException, SystemExit):
        raise
    except KeyboardInterrupt:
        from ofsted_nlp.io import interrupts

        if not interrupts.said():
            interrupts.mark_said()
            say(f"{interrupts.describe()}; nothing written")
        raise typer.Exit(interrupts.exit_code(130)) from None
    except OSError as exc:
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        say(f"{where}{exc.strerror or exc}")
        raise typer.Exit(EXIT_USAGE) from None
    except Exception as exc:
        if os.environ.get("OFSTED_NLP_DEBUG"):
            raise
        say(f"unexpected error ({type(exc).__name__}: {one_line(str(exc))}); "
            "set OFSTED_NLP_DEBUG=1 to see the traceback")
        raise typer.Exit(EXIT_USAGE) from None
