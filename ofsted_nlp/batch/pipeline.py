"""The batch pipeline: find documents, read them, tag their findings, in one process or several.

``tag_paths(paths, model, jobs)`` yields one :class:`DocumentResult` per file,
in the order given, whatever the number of processes: the document's record
and its tagged findings (:class:`~ofsted_nlp.batch.rows.FindingRow`), the warnings
its reading raised, or the one-line reason it could not be read. It never
raises for a bad document: a file that cannot be read, or that breaks a model
call, or that kills a worker process, costs that file alone.

Documents are read and tagged a few at a time (one call to the model for a
few thousand findings costs much less than one per document). With
``jobs > 1`` worker processes are forked from this one after the model is
loaded, so they start in milliseconds and share its memory; they ignore
Ctrl-C (the caller's process handles it and ends them) and never outlive the
call. Where workers cannot win (few documents, fewer than two CPUs free)
the work stays in this process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import warnings
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from ofsted_nlp.batch.rows import DOCUMENT_FIELDS
from ofsted_nlp.errors import ModelError, printable
from ofsted_nlp.reading.extraction import Limits, get_limits, set_limits
from ofsted_nlp.reading.inputs import SUFFIXES, Inputs, find_inputs
from ofsted_nlp.tagging.tags import Tagger

if TYPE_CHECKING:  # pragma: no cover
    from ofsted_nlp.batch.rows import FindingRow
    from ofsted_nlp.reading.letter import Letter

__all__ = ["DocumentResult", "DOCUMENT_COLUMNS", "SUFFIXES", "find_documents", "tag_paths", "read_paths",
           "effective_jobs"]

# One record per document read: its metadata (the finding rows' document fields), where it was read
# from and how many findings it has.
DOCUMENT_COLUMNS = ["document", "path", *DOCUMENT_FIELDS[1:], "findings"]

# Files read and tagged together: large enough that the model's per-call costs
# are spread over a few thousand findings, small enough to keep memory low and
# the progress moving (and, with workers, the work evenly spread).
CHUNK = 16
CHUNK_PARALLEL = 4
# Below this many documents per worker, starting workers costs more than it saves.
MIN_DOCUMENTS_PER_WORKER = 8


@dataclass
class DocumentResult:
    """One file's outcome: its document record and tagged findings, or why it could not be read."""

    path: str
    document: dict | None = None  # DOCUMENT_COLUMNS
    rows: list[FindingRow] = field(default_factory=list)  # or (themes, polarity) pairs when compact
    messages: list[str] = field(default_factory=list)  # warnings raised while reading it, one line each
    error: str | None = None  # one line: "path: cause"

    @property
    def ok(self) -> bool:
        return self.error is None


def one_line(text: str) -> str:
    return " ".join(str(text).split())


# --------------------------------------------------------------------------- finding documents


def find_documents(paths: Iterable[str | Path], exclude: Iterable[str | Path] = ()) -> Inputs:
    """Files to read, in the order given; folders are searched recursively (sorted) for .txt and .pdf.

    See :func:`ofsted_nlp.reading.inputs.find_inputs`: a path that cannot be read
    (missing, a special file, a symlink loop, an unreadable or too deeply
    nested folder, a file named explicitly with another extension) is returned
    as a problem and the rest go on; ofsted-nlp's own tables and empty folders
    are notes in ``skipped``. The same file given twice is read once; files in
    ``exclude`` (a command's own outputs) are not read.
    """
    return find_inputs(list(paths), exclude=exclude)


# --------------------------------------------------------------------------- the model in each process

_MODELS: dict[tuple, Tagger] = {}


def _model_key(path: Path) -> tuple:
    """Identifies a model file and its version on disk (so that a retrained file is reloaded)."""
    try:
        st = path.stat()
        return (str(path.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        return (str(path), 0, 0)


def batch_gc() -> None:
    """Tune the garbage collector for a batch: hundreds of documents, millions of small objects.

    The model, spaCy's vocabulary and the libraries are kept for the whole run,
    so they are frozen out of the collector's scans, and the youngest
    generation is collected every 50,000 allocations instead of every 700.
    Over the corpus this saves about a tenth of the CPU time for a few MB more.
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def cached_model(path: str | Path | None = None, trust_pickle: bool = False) -> Tagger:
    """The model at ``path`` (default: the shipped one), loaded once per process while the file is unchanged.

    Raises :class:`~ofsted_nlp.errors.ModelError` for a model that cannot be used;
    its warnings are raised as usual.
    """
    from ofsted_nlp.tagging.accurate import ACCURATE_DIR, CARD_NAME, is_accurate, load_accurate
    from ofsted_nlp.tagging.model import DEFAULT_MODEL, load_model

    accurate = is_accurate(path)
    if accurate:
        key = _model_key(ACCURATE_DIR / CARD_NAME if str(path) == "accurate" else Path(path or ""))
    else:
        key = _model_key(Path(path) if path is not None else DEFAULT_MODEL)
    model = _MODELS.get(key)
    if model is None:
        model = load_accurate(path) if accurate else load_model(key[0], trust_pickle=trust_pickle)
        _MODELS.clear()
        _MODELS[key] = model
    return model


# --------------------------------------------------------------------------- reading and tagging


def _caught(result: DocumentResult, caught: list) -> None:
    for w in caught:
        msg = one_line(str(w.message))
        if msg not in result.messages:
            result.messages.append(msg)


def _failure(path: str, exc: BaseException) -> str:
    from ofsted_nlp.errors import OfstedReadError

    if isinstance(exc, OfstedReadError):
        return one_line(str(exc))
    where = printable(path)
    if isinstance(exc, OSError):
        return one_line(f"{where}: {exc.strerror or exc}")
    if isinstance(exc, MemoryError):
        return f"{where}: out of memory while reading"
    if isinstance(exc, RecursionError):
        return f"{where}: too deeply nested to read"
    # a bug costs one file, not the batch
    return one_line(f"{where}: unexpected error ({type(exc).__name__}: {printable(str(exc))})")


def _debug() -> bool:
    return bool(os.environ.get("OFSTED_NLP_DEBUG"))


def _read(path: str) -> tuple[DocumentResult, Letter | None]:
    """(result, Letter or None) for one file. Never raises."""
    from ofsted_nlp.reading.letter import read_letter

    result = DocumentResult(path)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            letter = read_letter(path)
        _caught(result, caught)
        # A name that is not UTF-8, or holds control characters, is written escaped wherever it goes.
        letter.document, letter.path = printable(letter.document), printable(letter.path)
        result.document = document_record(letter)
        return result, letter
    except Exception as exc:
        if _debug():
            raise
        result.error = _failure(path, exc)
        return result, None


def document_record(letter: Letter) -> dict:
    """A letter's row of the documents table (:data:`DOCUMENT_COLUMNS`)."""
    return letter.metadata() | {"path": letter.path, "findings": len(letter.findings)}


def _tag(read: list[tuple[DocumentResult, Letter | None]], model: Tagger, compact: bool) -> None:
    """Tag the findings of the letters read, in one call to the model, into their results."""
    from ofsted_nlp.batch.rows import finding_rows

    done = [(result, letter) for result, letter in read if letter is not None]
    if not done:
        return
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rows = finding_rows([letter for _, letter in done], model)
        _caught(done[0][0], caught)
    except ModelError:
        raise  # the model is at fault, not the documents: the run stops with its one line
    except Exception as exc:
        if _debug():
            raise
        if len(done) > 1:  # find the document at fault: tag each on its own
            for pair in done:
                _tag([pair], model, compact)
        else:
            result = done[0][0]
            result.error, result.document = _failure(result.path, exc), None
        return
    start = 0
    for result, letter in done:
        mine = rows[start:start + len(letter.findings)]
        start += len(letter.findings)
        result.rows = [(r.themes, r.polarity) for r in mine] if compact else mine  # type: ignore[misc]


def _tag_chunk(paths: list[str], model: Tagger | None, compact: bool) -> list[DocumentResult]:
    """Read files and tag all their findings together (``model`` None: read only). Never raises."""
    read = [_read(p) for p in paths]
    if model is not None:
        _tag(read, model, compact)
    return [result for result, _ in read]


# --------------------------------------------------------------------------- worker processes

_WORKER_MODEL: list = [None]  # the model a forked worker inherited


_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def _worker_init() -> None:
    # Ctrl-C goes to the whole process group: the parent handles it and ends the workers. A worker
    # ends silently on SIGTERM or SIGHUP (not with the handler it inherited, which would print a
    # traceback), and dies with its parent, should that be killed outright.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in _SIGNALS[1:]:
        signal.signal(signum, signal.SIG_DFL)
    _die_with_parent()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)


def _die_with_parent() -> None:
    """Linux: have the kernel send this process SIGKILL when its parent dies."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _worker_chunk(paths: list[str], compact: bool) -> list[DocumentResult]:
    return _tag_chunk(paths, _WORKER_MODEL[0], compact)


def effective_jobs(jobs: int, documents: int) -> int:
    """How many processes are worth starting for ``documents`` documents.

    No more than the CPUs this process may use, nor than the documents allow
    (``MIN_DOCUMENTS_PER_WORKER`` each): below that, starting and feeding
    workers costs more than they save.
    """
    return max(1, min(jobs, available_cpus(), documents // MIN_DOCUMENTS_PER_WORKER))


def available_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _forked_results(paths: list[str], model: Tagger | None, jobs: int, compact: bool
                    ) -> Iterator[DocumentResult]:
    """Results in input order from ``jobs`` forked workers.

    A worker's death breaks its pool; the documents not yet returned are then
    read again one at a time by a single fresh worker, so that the document
    that kills it is known: it alone comes back with an error.
    """
    queue = [paths[i:i + CHUNK_PARALLEL] for i in range(0, len(paths), CHUNK_PARALLEL)]
    _WORKER_MODEL[0] = model
    _prepare_fork()
    context = multiprocessing.get_context("fork")
    isolating = False
    try:
        while queue:
            # Signals are held while the workers are forked (each unblocks them once its handlers are set),
            # so that none is caught by a worker with the handlers of this process.
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
            try:
                pool = ProcessPoolExecutor(max_workers=1 if isolating else min(jobs, len(queue)),
                                           mp_context=context, initializer=_worker_init)
                futures: list[tuple[list[str], Future | None]] = []
                for chunk in queue:
                    try:
                        futures.append((chunk, pool.submit(_worker_chunk, chunk, compact)))
                    except BrokenProcessPool:  # a worker died while documents were still being handed out
                        futures.append((chunk, None))
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            done = False
            try:
                queue = []
                for i, (chunk, future) in enumerate(futures):
                    try:
                        if future is None:  # never handed out: the pool broke before; blame none, read again
                            queue = [[p] for c, _ in futures[i:] for p in c]
                            isolating = True
                            break
                        results = future.result()
                    except BrokenProcessPool:
                        rest = futures[i:]
                        if isolating:  # one worker, one document at a time: this one killed it
                            yield DocumentResult(chunk[0], error=f"{chunk[0]}: the process reading it died "
                                                 "(out of memory, or a crash in a PDF library)")
                            rest = futures[i + 1:]
                        queue = [[p] for c, _ in rest for p in c]
                        isolating = True
                        break
                    yield from results
                done = not queue
            finally:
                _shutdown(pool, graceful=done)
    finally:
        _WORKER_MODEL[0] = None


def _prepare_fork() -> None:
    """Import and build in this process what every worker needs (the sentence splitter's tokenizer: spaCy's
    rules, or spaCy's pipeline where they cannot be used; the PDF library), so that forked workers share
    it instead of each building it again (with spaCy, 1-2 s of CPU and ~300 MB a worker)."""
    import pypdfium2  # noqa: F401

    from ofsted_nlp.reading.sentences import piece_starts

    piece_starts()


# Set once workers were ended rather than let finish (see _shutdown).
_ENDED_WORKERS = [False]


def ended_workers() -> bool:
    """Whether this process ended worker processes early (an interruption, or a worker's death)."""
    return _ENDED_WORKERS[0]


def _shutdown(pool: ProcessPoolExecutor, graceful: bool = False) -> None:
    """Stop the pool and wait for its processes to be gone (none outlives the call).

    ``graceful``: every task is done, so the workers are let finish and exit
    on their own; otherwise (an interruption, a broken pool) they are ended now.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())
    # (shutdown drops the pool's references to these)
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    thread = getattr(pool, "_executor_manager_thread", None)
    if graceful:
        pool.shutdown(wait=True)
        return
    _ENDED_WORKERS[0] = True
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(timeout=5)
        if p.is_alive():  # pragma: no cover - a worker stuck in C code
            p.kill()
            p.join()
    # A worker ended while sending its result leaves half a message in the pool's result pipe, and the
    # pool's manager thread reading the rest for ever: the interpreter's exit, which joins that thread,
    # would wait with it. The workers are gone, so this process holds the pipe's last writing end:
    # closing it ends that read (end of file), the thread sees a broken pool and ends.
    if writer is not None:
        try:
            writer.close()
        except OSError:  # pragma: no cover - already closed
            pass
    if thread is not None:
        thread.join(timeout=10)


def _results(paths: list[str], model: Tagger | None, jobs: int, compact: bool) -> Iterator[DocumentResult]:
    if jobs <= 1:
        for i in range(0, len(paths), CHUNK):
            yield from _tag_chunk(paths[i:i + CHUNK], model, compact)
        return
    yield from _forked_results(paths, model, jobs, compact)


def tag_paths(paths: Sequence[str | Path], model: Tagger | str | Path | None = None, jobs: int = 1,
              compact: bool = False, trust_pickle: bool = False, limits: Limits | None = None
              ) -> Iterator[DocumentResult]:
    """Read and tag documents, yielding one :class:`DocumentResult` per file in the order given.

    ``paths`` are files or folders (searched recursively for .txt and .pdf);
    a path that cannot be used comes back as a result with an ``error``.
    ``model`` is a loaded model, a model file, or None for the shipped model
    (loading it may raise :class:`~ofsted_nlp.errors.ModelError`). ``jobs``
    is an upper bound on processes (see :func:`effective_jobs`); the results
    are the same whatever it is. ``compact`` keeps only ``(themes, polarity)``
    of each finding, all a matrix needs. ``limits`` (default: the reader's,
    :func:`~ofsted_nlp.reading.extraction.get_limits`) bound each document's size, pages
    and characters.
    """
    inputs = find_documents(paths)
    for problem in inputs.problems:
        yield DocumentResult(problem.split(": ", 1)[0], error=problem)
    loaded = model if isinstance(model, Tagger) else cached_model(model, trust_pickle=trust_pickle)
    yield from tag_files([str(f) for f in inputs.files], loaded, jobs, compact, limits=limits)


def tag_files(files: Sequence[str], model: Tagger | None, jobs: int = 1, compact: bool = False,
              limits: Limits | None = None) -> Iterator[DocumentResult]:
    """:func:`tag_paths` for files already found, with the model already loaded (None: read only)."""
    files = [str(f) for f in files]
    batch_gc()
    # Worker processes are forked from this one, so they read with these limits too.
    previous = set_limits(limits or get_limits())
    if getattr(model, "threads_itself", False):
        jobs = 1  # the accurate model's runtime already uses every core; forked copies would only compete
    try:
        yield from _results(files, model, effective_jobs(jobs, len(files)), compact)
    finally:
        set_limits(previous)
        gc.unfreeze()
        gc.set_threshold(700, 10, 10)


def read_paths(paths: Sequence[str | Path], jobs: int = 1, limits: Limits | None = None
               ) -> Iterator[DocumentResult]:
    """Read documents without tagging them: results with the document record and no rows."""
    inputs = find_documents(paths)
    for problem in inputs.problems:
        yield DocumentResult(problem.split(": ", 1)[0], error=problem)
    yield from tag_files([str(f) for f in inputs.files], None, jobs, limits=limits)
