"""What the commands share: finding input files, reading and tagging them (in
worker processes if asked), reporting problems as one line each, and writing
outputs whole or not at all.

Exit codes: 0 every file was read; 1 some files could not be read (the rest
were processed and written); 2 usage error, or nothing could be produced (no
file readable, model unusable, output not writable).

Heavy libraries are imported inside functions: this module is imported when
the CLI starts, and ``ofsted-nlp --help`` must stay fast.
"""

from __future__ import annotations

import gc
import os
import stat
import sys
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Callable, Iterator, Optional, Sequence

import typer

# Typer >= 0.20 vendors click; take its exception classes from typer's public
# BadParameter so that they are the ones the app handles, whichever typer runs.
BadParameter = typer.BadParameter
UsageError = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

PROG = "ofsted-nlp"

# Arguments and options that several commands take, declared once.
PathsArg = Annotated[list[Path], typer.Argument(
    metavar="PATH", show_default=False,
    help="Letters or reports (.txt or .pdf), or folders searched recursively for them.")]
ModelOpt = Annotated[Optional[Path], typer.Option(
    "--model", "-m", dir_okay=False, show_default=False,
    help="Model file [default: models/ofsted-nlp.joblib].")]
JobsOpt = Annotated[int, typer.Option("--jobs", "-j", help="Worker processes (-1: one per CPU).")]
SUFFIXES = (".txt", ".pdf")

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2

DOCUMENT_COLUMNS = [
    "document", "path", "la_name", "old_la_code", "new_la_code", "region_name", "date", "kind", "findings",
]


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

    tqdm.write(f"{PROG}: {one_line(message)}", file=sys.stderr)


def warn_line(message: str) -> None:
    say(f"warning: {message}")


def stderr_is_tty() -> bool:
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):
        return False


# --------------------------------------------------------------------------- input files


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _folder_files(root: Path) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):  # does not follow symlinked folders
        dirnames[:] = [d for d in dirnames if not _is_hidden(d)]
        for name in filenames:
            if not _is_hidden(name) and Path(name).suffix.lower() in SUFFIXES:
                found.append(Path(dirpath) / name)
    return sorted(found, key=lambda p: p.relative_to(root).parts)


@dataclass
class Inputs:
    files: list[Path]
    missing: list[str]  # one-line messages for paths that do not exist


def find_inputs(paths: Sequence[Path], exclude: Path | None = None) -> Inputs:
    """Files to read, in the order given; folders are searched recursively, sorted.

    A file named explicitly with another extension than ``.txt``/``.pdf`` is a
    usage error; paths that do not exist are returned as messages (the run goes
    on with the others). The same file given twice is read once.
    """
    files: list[Path] = []
    missing: list[str] = []
    seen: set[Path] = set()
    excluded = exclude.resolve() if exclude is not None else None
    for p in paths:
        if p.is_dir():
            candidates = _folder_files(p)
            if not candidates:
                warn_line(f"{p}: no .txt or .pdf files in this folder")
        elif p.exists():
            if p.suffix.lower() not in SUFFIXES:
                raise UsageError(f"{p}: unsupported file type {p.suffix or '(no extension)'!r}; "
                                 "expected .txt or .pdf files or folders")
            candidates = [p]
        else:
            missing.append(f"{p}: no such file or folder")
            continue
        for c in candidates:
            key = c.resolve()
            if key in seen or key == excluded:
                continue
            seen.add(key)
            files.append(c)
    return Inputs(files, missing)


def check_jobs(jobs: int) -> int:
    if jobs == -1:
        return os.cpu_count() or 1
    if jobs < 1:
        raise BadParameter(f"{jobs} (give a number of processes >= 1, or -1 for one per CPU)",
                           param_hint="'--jobs'")
    return jobs


def check_output(path: Path, option: str = "--output") -> None:
    """Refuse, before any work, an output that cannot be written."""
    if path.is_dir():
        raise BadParameter(f"{path} is a folder", param_hint=f"'{option}'")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise BadParameter(f"folder {parent} does not exist", param_hint=f"'{option}'")


# --------------------------------------------------------------------------- model

_MODELS: dict[tuple, object] = {}


def model_key(path: Path | None) -> tuple:
    """Identifies a model file and its version on disk (so a retrained file is reloaded)."""
    from ..model import DEFAULT_MODEL

    p = Path(path) if path is not None else DEFAULT_MODEL
    try:
        st = p.stat()
        return (str(p.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        return (str(p), 0, 0)


def batch_gc() -> None:
    """Tune the garbage collector for a batch: read hundreds of documents, allocate millions of small objects.

    The model, spaCy's vocabulary and the libraries are kept for the whole run,
    so they are frozen out of the collector's scans, and the youngest
    generation is collected every 50,000 allocations instead of every 700.
    Over the corpus this saves about a tenth of the CPU time (measured) for a
    few MB more memory.
    """
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def cached_model(key: tuple):
    """The model for ``key``, loaded once per process (workers keep theirs between files)."""
    model = _MODELS.get(key)
    if model is None:
        from ..model import load_model

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the parent has shown them once already
            model = load_model(key[0])
        _MODELS.clear()
        _MODELS[key] = model
        batch_gc()
    return model


def load_model_once(path: Path | None) -> tuple:
    """Load (and check) the model in this process, showing its warnings as one line each.

    Returns the key workers use to load it themselves. Raises CommandError for
    a model that cannot be used.
    """
    from ..model import ModelError, load_model

    key = model_key(path)
    if key in _MODELS:
        return key
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = load_model(key[0])
    except ModelError as exc:
        raise CommandError(str(exc)) from None
    except Exception as exc:  # a file that joblib cannot unpickle, etc.
        raise CommandError(f"{key[0]}: cannot load the model ({type(exc).__name__}: {exc})") from None
    for w in caught:
        warn_line(str(w.message))
    _MODELS.clear()
    _MODELS[key] = model
    batch_gc()
    return key


# --------------------------------------------------------------------------- reading and tagging


@dataclass
class DocResult:
    """What a worker sends back for one file: its findings, or why it failed."""

    path: str
    document: dict | None = None
    records: list[tuple] = field(default_factory=list)  # tables.finding_rows, or (themes, polarity) if compact
    messages: list[str] = field(default_factory=list)
    error: str | None = None




def _caught(result: DocResult, caught: list) -> None:
    """The reader's warnings name the file; others (from libraries) are shown once per run."""
    for w in caught:
        msg = one_line(str(w.message))
        if msg not in result.messages:
            result.messages.append(msg)


def _failure(path: str, exc: BaseException) -> str:
    from ..errors import OfstedReadError

    if isinstance(exc, OfstedReadError):
        return one_line(str(exc))
    if isinstance(exc, OSError):
        return one_line(f"{path}: {exc.strerror or exc}")
    if isinstance(exc, MemoryError):
        return f"{path}: out of memory while reading"
    return one_line(f"{path}: unexpected error ({type(exc).__name__}: {exc})")  # a bug costs one file, not the batch


def _read(path: str):
    """(DocResult, Letter or None) for one file. Never raises."""
    from ..letter import read_letter

    result = DocResult(path)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            letter = read_letter(path)
        _caught(result, caught)
        result.document = letter.metadata() | {"path": path, "findings": len(letter.findings)}
        return result, letter
    except Exception as exc:
        if os.environ.get("OFSTED_NLP_DEBUG"):
            raise
        result.error = _failure(path, exc)
        return result, None


def _tag(read: list, key: tuple, compact: bool) -> None:
    """Tag the findings of the letters read, in one call to the model, into their results."""
    from ..tables import FINDING_COLUMNS, finding_rows

    done = [(result, letter) for result, letter in read if letter is not None]
    if not done:
        return
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rows = finding_rows([letter for _, letter in done], cached_model(key))
        _caught(done[0][0], caught)
    except Exception as exc:
        if os.environ.get("OFSTED_NLP_DEBUG"):
            raise
        if len(done) > 1:  # find the document at fault: tag each on its own
            for pair in done:
                _tag([pair], key, compact)
        else:
            result = done[0][0]
            result.error, result.document = _failure(result.path, exc), None
        return
    start = 0
    themes, polarity = FINDING_COLUMNS.index("themes"), FINDING_COLUMNS.index("polarity")
    for result, letter in done:
        mine = rows[start:start + len(letter.findings)]
        start += len(letter.findings)
        result.records = [(r[themes], r[polarity]) for r in mine] if compact else mine


def tag_files(paths: list[str], key: tuple, compact: bool = False) -> list[DocResult]:
    """Read files and tag all their findings together. Never raises: failures come back as ``error``.

    One call to the model for the lot is cheaper than one per document.
    ``compact`` returns only themes and polarity of each finding (enough for a matrix).
    """
    read = [_read(p) for p in paths]
    _tag(read, key, compact)
    return [result for result, _ in read]


@dataclass
class Batch:
    """What a run read, in input order (the findings went to the caller's sink as they came)."""

    documents: list[dict]
    findings: int
    failed: int
    total: int

    @property
    def exit_code(self) -> int:
        return EXIT_SOME_FAILED if self.failed else EXIT_OK


# Files read and tagged together: large enough that the model's per-call costs
# are spread over a few thousand findings, small enough to keep memory low and
# the progress bar moving (and, with --jobs, the workers evenly loaded).
CHUNK = 16
CHUNK_PARALLEL = 4


def _results(files: list[Path], key: tuple, jobs: int, compact: bool) -> Iterator[DocResult]:
    paths = [str(f) for f in files]
    if jobs <= 1 or len(paths) <= 1:
        for i in range(0, len(paths), CHUNK):
            yield from tag_files(paths[i:i + CHUNK], key, compact)
        return
    from joblib import Parallel, delayed

    # Each worker loads the model once (cached_model) and reads and tags a few
    # whole documents at a time; results come back in input order whatever the
    # number of workers.
    chunks = [paths[i:i + CHUNK_PARALLEL] for i in range(0, len(paths), CHUNK_PARALLEL)]
    parallel = Parallel(n_jobs=min(jobs, len(chunks)), backend="loky", return_as="generator")
    for results in parallel(delayed(tag_files)(chunk, key, compact) for chunk in chunks):
        yield from results


def run_batch(paths: Sequence[Path], model: Path | None, jobs: int, sink: Callable[[DocResult], None],
              exclude: Path | None = None, desc: str = "tagging", compact: bool = False) -> Batch:
    """Find, read and tag documents, passing each one read to ``sink`` in input order.

    Bad files and warnings are reported on stderr as they come. ``compact``
    keeps only what a matrix needs of each finding. Raises CommandError
    (exit 2) when no file is found or none can be read.
    """
    inputs = find_inputs(paths, exclude=exclude)
    for msg in inputs.missing:
        say(msg)
    if not inputs.files:
        raise CommandError("no .txt or .pdf files to read in " + " ".join(str(p) for p in paths))
    key = load_model_once(model)

    from tqdm import tqdm

    documents: list[dict] = []
    shown: set[str] = set()
    findings = 0
    failed = len(inputs.missing)
    bar = tqdm(total=len(inputs.files), desc=desc, unit="doc", file=sys.stderr, disable=not stderr_is_tty(),
               leave=False)
    try:
        for res in _results(inputs.files, key, jobs, compact):
            for msg in res.messages:
                if msg not in shown:
                    shown.add(msg)
                    warn_line(msg)
            if res.error:
                say(res.error)
                failed += 1
            else:
                documents.append(res.document)
                findings += len(res.records)
                sink(res)
            bar.update(1)
    finally:
        bar.close()
    if not documents:
        raise CommandError("none of the files could be read; nothing written")
    return Batch(documents, findings, failed, len(inputs.files) + len(inputs.missing))


# --------------------------------------------------------------------------- output


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` whole.

    On any error the temporary file is removed and an existing ``path`` is left
    as it was.
    """
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.",
                                    suffix=".part")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise


@contextmanager
def output_file(path: Path) -> Iterator[Path]:
    """``atomic_path`` for a command's output: a write failure becomes a one-line CommandError."""
    try:
        with atomic_path(path) as tmp:
            yield tmp
    except OSError as exc:
        raise CommandError(f"{path}: cannot be written ({exc.strerror or exc}); nothing written") from None


def write_output(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` and put the result at ``path`` whole, or raise a one-line CommandError."""
    with output_file(path) as tmp:
        write(tmp)


def write_stdout(data: str, binary: bool = True) -> None:
    """Write all of ``data`` to stdout at once; a closed pipe (``| head``) ends quietly."""
    try:
        buffer = getattr(sys.stdout, "buffer", None)
        if binary and buffer is not None:
            sys.stdout.flush()
            buffer.write(data.encode("utf-8"))
            buffer.flush()
        else:
            sys.stdout.write(data)
            sys.stdout.flush()
    except BrokenPipeError:
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
        say("interrupted; nothing written")
        raise typer.Exit(130) from None
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
