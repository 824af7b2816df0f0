"""Hostile input and interruption (issue 10): every promise of the README held.

Each test names the item of the issue it covers. Reader-level cases call the
library; the rest run the CLI in a subprocess (with PYTHONPATH set to this
tree), with a time bound and a cap on its address space, so that a case that
would hang or eat the machine fails instead.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, seed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ofsted_nlp import OfstedReadError, read_letter

# --------------------------------------------------------------------------- documents built for the tests


def make_pdf(content: bytes = b"", *, pages: int = 1, raw_stream: bytes | None = None,
             filters: bytes = b"/FlateDecode") -> bytes:
    """A minimal valid PDF: ``pages`` pages sharing one content stream (Helvetica as F1)."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + i} 0 R" for i in range(pages))
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    font_id, content_id = 3 + pages, 4 + pages
    for _ in range(pages):
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 {font_id} "
                    f"0 R >> >> /Contents {content_id} 0 R >>".encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    data = raw_stream if raw_stream is not None else zlib.compress(content, 9)
    objs.append(b"<< /Length %d /Filter %s >>\nstream\n" % (len(data), filters) + data + b"\nendstream")
    out = b"%PDF-1.4\n"
    offsets = []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


def text_content(text: str) -> bytes:
    """A content stream that shows ``text`` line by line (Windows-1252, as Helvetica's encoding)."""
    ops = [b"BT /F1 9 Tf 11 TL 40 800 Td"]
    for line in text.splitlines():
        s = line.encode("cp1252", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        ops.append(b"(" + s + b") Tj T*")
    ops.append(b"ET")
    return b"\n".join(ops)


def letter_pdf(prefix: str = "003", lines: int = 70, mark_line: str | None = None) -> bytes:
    """The first ``lines`` wrapped lines of a seed letter on one PDF page (``mark_line`` prepended to line 20)."""
    wrapped: list[str] = []
    for para in seed(prefix).read_text(encoding="utf-8").splitlines():
        wrapped.extend(textwrap.wrap(para, 90) or [""])
    wrapped = wrapped[:lines]
    if mark_line is not None:
        wrapped[20] = mark_line + wrapped[20]
    return make_pdf(text_content("\n".join(wrapped)))


def bomb_pdf(mb: int) -> bytes:
    """A PDF of a few tens of KB whose one content stream inflates to ``mb`` MB (of line-drawing operators)."""
    unit = b"0 0 m 1 1 l S\n"
    chunk = unit * (2**20 // len(unit))
    c = zlib.compressobj(9)
    raw = b"".join([c.compress(chunk) for _ in range(mb)] + [c.flush()])
    return make_pdf(raw_stream=raw)


ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[1;31m"
# A paragraph of 1,136,000 characters: 16,000 different sentences, each a finding.
FILLER = "".join(f"Inspectors saw that social workers visit children often in case {i:05d}. " for i in range(16_000))


# --------------------------------------------------------------------------- running the CLI


def _cap_memory() -> None:  # pragma: no cover - runs in the child
    # A reader that reads /dev/zero or inflates a bomb dies here instead of taking the machine.
    resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))


def cli(*args: str, cwd: Path | None = None, timeout: float = 180, env: dict | None = None,
        **kw) -> subprocess.CompletedProcess:
    full_env = os.environ | {"PYTHONPATH": str(REPO), "COLUMNS": "200"} | (env or {})
    full_env.pop("OFSTED_NLP_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "ofsted_nlp.cli.app", *args], check=False, capture_output=True, cwd=cwd,
                          env=full_env, timeout=timeout, preexec_fn=_cap_memory, **kw)


def cli_measured(*args: str, cwd: Path | None = None, timeout: float = 300) -> tuple[subprocess.CompletedProcess, float]:
    """Run the CLI; also return the peak memory (MB) of it and its worker processes, from wait4."""
    import tempfile

    env = os.environ | {"PYTHONPATH": str(REPO), "COLUMNS": "200"}
    env.pop("OFSTED_NLP_DEBUG", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "ofsted_nlp.cli.app", *args], cwd=cwd, env=env, stdout=out,
                                stderr=err, preexec_fn=_cap_memory)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), err.read())
    return done, usage.ru_maxrss / 1024


def inproc(*args: str) -> subprocess.CompletedProcess:
    """Invoke the app in this process (the model loads once for all such tests); as ``cli`` returns it."""
    from typer.testing import CliRunner

    from ofsted_nlp.cli.app import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout_bytes, result.stderr_bytes)


def lines_of(stderr: bytes) -> list[str]:
    return stderr.decode("utf-8", "replace").splitlines()


def assert_clean_stderr(stderr: bytes) -> list[str]:
    """Every line is one message of the tool; no traceback, no escape character."""
    lines = lines_of(stderr)
    text = "\n".join(lines)
    assert "Traceback" not in text and "unexpected error" not in text, text
    assert "\x1b" not in text, text
    for line in lines:
        assert line.startswith("ofsted-nlp: "), line
    return lines


def line_for(lines: list[str], name: str) -> str:
    found = [ln for ln in lines if name in ln]
    assert len(found) == 1, (name, lines)
    return found[0]


# --------------------------------------------------------------------------- 6: right reasons (reader)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_text_is_read_as_text(tmp_path, encoding):
    """Item 6: UTF-16 (with a BOM, or without one when plain) and UTF-32 are text, not "binary"."""
    text = seed("003").read_text(encoding="utf-8")
    path = tmp_path / f"letter-{encoding}.txt"
    path.write_bytes(text.encode(encoding))
    letter = read_letter(path)
    expected = read_letter(seed("003"))
    assert letter.la_name == "Hackney"
    assert [f.text for f in letter.findings] == [f.text for f in expected.findings]


@pytest.mark.parametrize("after_encrypted", [False, True])
def test_zero_page_pdf_has_no_pages(tmp_path, after_encrypted):
    """Item 6: a PDF whose page tree is empty "has no pages"; it is not "damaged". Nor "encrypted" after an
    encrypted PDF was read (pdfium's last error is process-wide: the order the whole suite runs in)."""
    if after_encrypted:
        with pytest.raises(OfstedReadError, match="encrypted"):
            read_letter(REPO / "tests" / "fixtures" / "encrypted.pdf")
    path = tmp_path / "empty-tree.pdf"
    path.write_bytes(make_pdf(b"", pages=0))
    with pytest.raises(OfstedReadError) as err:
        read_letter(path)
    assert str(err.value) == f"{path}: PDF has no pages"


def test_decompression_bomb_is_over_the_size_limit(tmp_path):
    """Items 3 and 6: a small PDF whose stream inflates past the limit is refused at once, as over the limit
    (not "scanned"), before pdfium inflates it."""
    path = tmp_path / "bomb.pdf"
    path.write_bytes(bomb_pdf(40))
    assert path.stat().st_size < 200_000
    start = time.process_time()  # CPU time (this process's threads): a loaded machine does not stretch it
    with pytest.raises(OfstedReadError) as err:
        read_letter(path)
    assert time.process_time() - start < 5
    message = str(err.value)
    assert message.startswith(f"{path}: over the size limit") and "--max-inflated-mb" in message
    assert "\n" not in message


def test_isal_inflate_counts_as_zlib_does(monkeypatch):
    """The reader inflates with ISA-L where it is installed: the size it counts for each stream, and whether
    the stream passes the limit, are zlib's, on whole, truncated, corrupt and oversized streams."""
    from ofsted_nlp.reading import extraction as reading

    isal_zlib = pytest.importorskip("isal.isal_zlib")
    assert reading._inflater is isal_zlib
    whole = zlib.compress(os.urandom(3000) + b"0 0 m 1 1 l S\n" * 300_000)  # 4.2 MB out: several 1 MB pieces
    cases = [whole, whole[: len(whole) // 2], whole[:-1] + bytes([whole[-1] ^ 1]),
             whole[:40] + b"\xff" * 40 + whole[80:], b"not a zlib stream", b"", zlib.compress(b"")]
    rooms = [10, 2**20, 3 * 2**20, 16 * 2**20]
    ours = [(reading._inflated_count(buf, room), reading._inflate(buf, room)) for buf in cases for room in rooms]
    monkeypatch.setattr(reading, "_inflater", zlib)
    assert ours == [(reading._inflated_count(buf, room), reading._inflate(buf, room)) for buf in cases for room in rooms]
    assert ours[3][0] == len(zlib.decompress(whole)) and ours[0][0] is None


def test_control_characters_are_stripped_from_text(tmp_path):
    """Item 6: escape sequences in a document never reach a finding, the title or any printed field."""
    text = seed("003").read_text(encoding="utf-8").replace("Since the last", ESCAPES + "Since the last\x07")
    text = text.replace("Hackney", "Hack\x1b[8mney", 1)
    path = tmp_path / "escapes.txt"
    path.write_text(text, encoding="utf-8")
    letter = read_letter(path)
    printed = [letter.title, *(f.text for f in letter.findings), *(s.title for s in letter.sections)]
    for field in printed:
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", field), repr(field)
        assert "pwned" not in field and "[2J" not in field and "[1;31m" not in field
    assert letter.findings[0].text.startswith("Since the last Ofsted inspection")


def test_control_characters_are_stripped_from_pdf_text(tmp_path):
    path = tmp_path / "escapes.pdf"
    path.write_bytes(letter_pdf(mark_line=ESCAPES))
    letter = read_letter(path)
    assert letter.la_name == "Hackney" and letter.findings
    for field in [letter.title, *(f.text for f in letter.findings)]:
        assert "\x1b" not in field and "pwned" not in field and "\x07" not in field


# --------------------------------------------------------------------------- 2: special files (reader)


@pytest.mark.parametrize("kind", ["fifo", "device", "device-symlink"])
def test_special_files_are_not_read(tmp_path, kind):
    """Item 2: a FIFO or a device (or a symlink to one) is refused without being opened for reading.

    Run in a subprocess with a time bound and a memory cap: today's main waits on the FIFO for ever and
    reads /dev/zero until memory runs out."""
    path = tmp_path / "x.txt"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        try:
            os.mknod(path, 0o600 | 0o020000, os.makedev(1, 5))  # the /dev/zero device
        except PermissionError:
            pytest.skip("mknod needs root")
    else:
        path.symlink_to("/dev/zero")
    code = "import sys\nfrom ofsted_nlp import read_letter, OfstedReadError\ntry:\n    read_letter(sys.argv[1])\n" \
           "except OfstedReadError as e:\n    print(e)\n"
    try:
        done = subprocess.run([sys.executable, "-c", code, str(path)], check=False, capture_output=True, timeout=60,
                              env=os.environ | {"PYTHONPATH": str(REPO)}, preexec_fn=_cap_memory)
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading {kind} did not return within 60 s")
    out = done.stdout.decode().strip()
    assert done.returncode == 0, done.stderr.decode()[-500:]
    cause = "a FIFO (named pipe)" if kind == "fifo" else "a character device"
    assert out == f"{path}: is {cause}, not a regular file; not read"


# --------------------------------------------------------------------------- 3: limits (reader)


def test_page_limit(tmp_path):
    """Item 3: a PDF over the page limit is refused with one line naming the limit and its option."""
    from ofsted_nlp.reading.extraction import Limits

    path = tmp_path / "long.pdf"
    path.write_bytes(make_pdf(text_content("Social workers visit children regularly and record it well.\n" * 8),
                              pages=6))
    with pytest.raises(OfstedReadError) as err:
        read_letter(path, limits=Limits(pages=5))
    assert str(err.value) == (f"{path}: over the page limit (6 pages; the limit is 5, --max-pages raises it)")
    with pytest.raises(OfstedReadError) as err:
        read_letter(path, limits=Limits(pages=6))  # within it: read, and found not to be a letter
    assert str(err.value) == f"{path}: does not look like an Ofsted letter or report"


def test_set_limits_is_the_default_of_calls_that_pass_none(tmp_path):
    """A notebook's set_limits: read_letter and read_paths without limits= use it; limits= still wins."""
    from ofsted_nlp import Limits, get_limits, read_paths, set_limits

    path = tmp_path / "long.pdf"
    path.write_bytes(make_pdf(text_content("Social workers visit children regularly and record it well.\n" * 8),
                              pages=6))

    def refusals(**limits) -> list[str]:
        with pytest.raises(OfstedReadError) as err:
            read_letter(path, **limits)
        (result,) = read_paths([path], **limits)
        return [str(err.value), result.error or ""]

    over = f"{path}: over the page limit (6 pages; the limit is 5, --max-pages raises it)"
    read = f"{path}: does not look like an Ofsted letter or report"
    assert refusals() == [read, read]
    old = set_limits(Limits(pages=5))
    try:
        assert get_limits() == Limits(pages=5)
        assert refusals() == [over, over]
        assert refusals(limits=Limits()) == [read, read]
    finally:
        set_limits(old)
    assert get_limits() == Limits()


def test_text_file_over_the_character_limit_is_refused_quickly(tmp_path):
    """Item 3: a 200 MB text file is refused at once without being decoded (today: 10.5 GB, 445 s)."""
    path = tmp_path / "huge.txt"
    letter = seed("003").read_bytes()
    with open(path, "wb") as fh:
        fh.write(letter)
        fh.truncate(200 * 2**20)  # a sparse file: 200 MB of text that takes no disk
    start = time.process_time()  # CPU time: a loaded machine does not stretch it
    with pytest.raises(OfstedReadError) as err:
        read_letter(path)
    assert time.process_time() - start < 3
    assert re.fullmatch(re.escape(str(path)) + r": over the size limit \(200\.0 MB; the limit is 50 MB, "
                        r"--max-file-mb raises it\)", str(err.value)), str(err.value)


def test_million_character_paragraph(tmp_path):
    """Item 3: a paragraph of over a million characters is over the character limit by default (not spaCy's
    E088), and read whole when the limit is raised."""
    text = seed("003").read_text(encoding="utf-8")
    filler = FILLER
    path = tmp_path / "long-paragraph.txt"
    path.write_text(text.replace("Since the last", filler + "Since the last", 1), encoding="utf-8")
    with pytest.raises(OfstedReadError) as err:
        read_letter(path)
    assert re.fullmatch(re.escape(str(path)) + r": over the character limit \([\d,]+ characters; the limit is "
                        r"1,000,000, --max-chars raises it\)", str(err.value)), str(err.value)
    from ofsted_nlp.reading.extraction import Limits

    letter = read_letter(path, limits=Limits(chars=2_000_000))
    assert sum("visit children often" in f.text for f in letter.findings) == 16_000


# --------------------------------------------------------------------------- property: the reader never breaks

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252", "latin-1", "ascii"]


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.fixture(scope="module")
def base_pdf() -> bytes:
    return letter_pdf("001")


def _read_bounded(path: Path) -> None:
    """read_letter returns a Letter or raises OfstedReadError, within a bound on its CPU time (which a loaded
    machine does not stretch) and on its memory."""
    from ofsted_nlp.reading.letter import Letter

    before = _rss_mb()
    start = time.process_time()
    try:
        result = read_letter(path)
    except OfstedReadError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(str(path))
    else:
        assert isinstance(result, Letter)
    assert time.process_time() - start < 10
    assert _rss_mb() - before < 300


_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.mark.filterwarnings("ignore::UserWarning")
@_SETTINGS
@given(data=st.binary(max_size=6000), suffix=st.sampled_from([".txt", ".pdf"]))
def test_arbitrary_bytes(tmp_path_factory, data, suffix):
    path = tmp_path_factory.mktemp("bytes") / f"doc{suffix}"
    path.write_bytes(data)
    _read_bounded(path)


@pytest.mark.filterwarnings("ignore::UserWarning")
@_SETTINGS
@given(extra=st.text(max_size=400), encoding=st.sampled_from(ENCODINGS), cut=st.integers(0, 3000),
       prefix=st.sampled_from(["000", "002", "003"]))
def test_text_in_common_encodings(tmp_path_factory, extra, encoding, cut, prefix):
    text = seed(prefix).read_text(encoding="utf-8")
    text = text[:cut] + extra + text[cut:]
    path = tmp_path_factory.mktemp("text") / "doc.txt"
    path.write_bytes(text.encode(encoding, errors="replace"))
    _read_bounded(path)


@pytest.mark.filterwarnings("ignore::UserWarning")
@_SETTINGS
@given(edits=st.lists(st.tuples(st.floats(0, 1), st.sampled_from(["flip", "cut", "insert", "zero", "repeat"]),
                                st.binary(min_size=1, max_size=64)), min_size=1, max_size=6))
def test_mutated_pdfs(tmp_path_factory, base_pdf, edits):
    data = bytearray(base_pdf)
    for where, how, payload in edits:
        at = int(where * (len(data) - 1))
        if how == "flip":
            data[at:at + len(payload)] = bytes(b ^ p for b, p in zip(data[at:at + len(payload)], payload))
        elif how == "cut":
            del data[at:]
            data += b"\n%%EOF\n"
        elif how == "insert":
            data[at:at] = payload
        elif how == "zero":
            data[at:at + len(payload) * 8] = bytes(len(data[at:at + len(payload) * 8]))
        else:
            data[at:at] = data[at:at + 4096] * 3
    path = tmp_path_factory.mktemp("pdf") / "doc.pdf"
    path.write_bytes(bytes(data))
    _read_bounded(path)


# =========================================================================== the command line

EVIL_NAME = "e\x1b[2Jvil.txt"  # a file name that would clear a terminal


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Iterator[dict]:
    """One folder with an odd case of each kind beside good letters, tagged once:
    ``tag d --jobs 1000 --max-pages 1 -o out.csv``."""
    root = tmp_path_factory.mktemp("hostile")
    d = root / "d"
    d.mkdir()
    shutil.copy(seed("003"), d / "good.txt")
    shutil.copy(seed("001"), os.fsdecode(bytes(d) + b"/caf\xe9.txt"))  # a Windows-1252 name: not UTF-8
    shutil.copy(seed("002"), d / EVIL_NAME)
    gotham = seed("003").read_text(encoding="utf-8").replace("London Borough of Hackney", "Borough of Gotham")
    (d / "g\x1b[2Jotham.txt").write_text(gotham.replace("Hackney", "Gotham"), encoding="utf-8")  # warns
    (d / "utf16.txt").write_bytes(seed("004").read_text(encoding="utf-8").encode("utf-16"))
    (d / "escapes.txt").write_text(seed("000").read_text(encoding="utf-8").replace(
        "Dear", ESCAPES + "Dear", 1).replace("Hackney", "Hack\x1b]0;pwned\x07ney"), encoding="utf-8")
    os.mkfifo(d / "fifo.txt")
    (d / "zero.txt").symlink_to("/dev/zero")
    (d / "loop.txt").symlink_to("loop.txt")
    deep = d / "deep"
    deep.mkdir()
    here = os.getcwd()
    try:
        os.chdir(deep)
        for _ in range(1200):
            os.mkdir("n")
            os.chdir("n")
        Path("inner.txt").write_bytes(seed("003").read_bytes())
    finally:
        os.chdir(here)
    (d / "bomb.pdf").write_bytes(bomb_pdf(40))
    (d / "no-pages.pdf").write_bytes(make_pdf(b"", pages=0))
    (d / "two-pages.pdf").write_bytes(make_pdf(text_content("Social workers visit children.\n" * 30), pages=2))
    filler = FILLER
    (d / "long.txt").write_text(seed("003").read_text(encoding="utf-8").replace("Since the last", filler, 1),
                                encoding="utf-8")
    done, peak_mb = cli_measured("tag", str(d), "--jobs", "1000", "--max-pages", "1", "-o", str(root / "out.csv"),
                                 cwd=root)
    import csv

    with open(root / "out.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    yield {"root": root, "d": d, "done": done, "lines": lines_of(done.stderr), "rows": rows,
           "peak_mb": peak_mb, "out": (root / "out.csv").read_bytes()}
    _remove_chain(deep)  # pytest's own clean-up of old temporary folders recurses, and fails on 1,200 levels


def _remove_chain(top: Path) -> None:
    """Remove a chain of nested folders named ``n`` below ``top``, without recursion."""
    here = os.getcwd()
    try:
        os.chdir(top)
        depth = 0
        while os.path.isdir("n"):
            os.chdir("n")
            depth += 1
        for name in os.listdir("."):
            os.unlink(name)
        for _ in range(depth):
            os.chdir("..")
            os.rmdir("n")
    finally:
        os.chdir(here)


HOSTILE_CASES = {
    # item: (file, cause)
    "1 symlink loop": ("loop.txt", "symlink loop"),
    "1 deep nesting": ("deep/n/n/n", "folder nested more than 64 deep; not searched"),
    "2 FIFO": ("fifo.txt", "is a FIFO (named pipe), not a regular file; not read"),
    "2 symlink to /dev/zero": ("zero.txt", "is a character device, not a regular file; not read"),
    "3 decompression bomb": ("bomb.pdf", "over the size limit (its compressed streams expand to more than 16 MB"),
    "3 page limit raised or lowered by option": ("two-pages.pdf", "over the page limit (2 pages; the limit is 1, "
                                                 "--max-pages raises it)"),
    "3 million-character paragraph": ("long.txt", "over the character limit"),
    "6 zero-page PDF": ("no-pages.pdf", "PDF has no pages"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_CASES))
def test_each_odd_file_is_one_line_and_the_rest_are_tagged(hostile, case):
    name, cause = HOSTILE_CASES[case]
    lines = assert_clean_stderr(hostile["done"].stderr)
    line = line_for(lines, f"/d/{name}")
    assert cause in line, line
    assert hostile["done"].returncode == 1
    documents = {r["document"] for r in hostile["rows"]}
    assert {"good", "caf\\xe9", "e\\x1b[2Jvil", "utf16", "escapes"} <= documents, documents


def test_jobs_are_capped_at_the_cpus(hostile):
    """Item 3: --jobs 1000 runs on the CPUs there are, with one line saying so."""
    lines = assert_clean_stderr(hostile["done"].stderr)
    line = line_for(lines, "--jobs 1000")
    assert re.fullmatch(r"ofsted-nlp: warning: --jobs 1000 is more than the \d+ CPUs this process may use; "
                        r"using \d+", line)


def test_names_that_are_not_utf8_or_hold_escapes_are_written_escaped(hostile):
    """Items 1 and 6: such a name is written escaped (never dropped), in the table and in messages."""
    rows = hostile["rows"]
    assert sum(r["document"] == "caf\\xe9" for r in rows) == len(read_letter(seed("001")).findings)
    assert sum(r["document"] == "e\\x1b[2Jvil" for r in rows) == len(read_letter(seed("002")).findings)


def test_nothing_printed_carries_control_characters(hostile):
    """Item 6: escape sequences in a document's text or name reach neither the output nor stderr."""
    assert b"\x1b" not in hostile["out"] and b"\x07" not in hostile["out"]
    assert b"pwned" not in hostile["out"]
    assert any(r["document"] == "escapes" and r["la_name"] == "Hackney" for r in hostile["rows"])
    assert b"\x1b" not in hostile["done"].stderr


def test_warnings_name_the_file_escaped(hostile):
    """Item 6: a warning about a file whose name holds an escape sequence prints the name escaped."""
    lines = assert_clean_stderr(hostile["done"].stderr)
    assert line_for(lines, "otham") == ("ofsted-nlp: warning: " + str(hostile["d"]) +
                                       "/g\\x1b[2Jotham.txt: authority not found; its codes are left empty")


def test_peak_memory_stays_under_1_gb(hostile):
    """Item 3: the bomb and the long document are refused without any process passing 1 GB."""
    assert hostile["peak_mb"] < 1024, hostile["peak_mb"]


def test_raised_character_limit_reads_a_million_character_paragraph(tmp_path):
    """Item 3: with --max-chars raised, the million-character paragraph is tagged (not spaCy's E088),
    with every process under 1 GB."""
    path = tmp_path / "long.txt"
    filler = FILLER
    path.write_text(seed("003").read_text(encoding="utf-8").replace("Since the last", filler, 1), encoding="utf-8")
    done, peak_mb = cli_measured("tag", str(path), "--max-chars", "2000000", "-f", "jsonl")
    assert_clean_stderr(done.stderr)
    assert done.returncode == 0
    assert done.stdout.count(b"visit children often") >= 16_000
    assert peak_mb < 1024, peak_mb


def test_special_file_named_explicitly(tmp_path):
    """Item 2: ``tag z.txt`` with z.txt a symlink to /dev/zero: one line, exit 2, at once."""
    (tmp_path / "z.txt").symlink_to("/dev/zero")
    done = cli("tag", "z.txt", cwd=tmp_path, timeout=60)
    lines = assert_clean_stderr(done.stderr)
    assert done.returncode == 2
    assert lines[0] == "ofsted-nlp: z.txt: is a character device, not a regular file; not read"


def test_xlsx_with_a_name_that_is_not_utf8_reopens(tmp_path):
    """Item 1: the workbook opens again in openpyxl, the name escaped in it."""
    import openpyxl

    d = tmp_path / "d"
    d.mkdir()
    shutil.copy(seed("001"), os.fsdecode(bytes(d) + b"/caf\xe9.txt"))
    shutil.copy(seed("003"), d / "good.txt")
    done = inproc("tag", str(d), "-o", str(tmp_path / "o.xlsx"))
    assert_clean_stderr(done.stderr)
    assert done.returncode == 0
    sheet = openpyxl.load_workbook(tmp_path / "o.xlsx", read_only=True).active
    documents = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert set(documents) == {"caf\\xe9", "good"}


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def _seed_copies(folder: Path, n: int) -> None:
    """``n`` letters made from the seeds, each another visit (plain copies would be counted once)."""
    from conftest import distinct_visit

    folder.mkdir()
    seeds = sorted(p for p in (REPO / "data" / "letters").glob("*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in seeds]
    for i in range(n):
        (folder / f"{i:03d}_{seeds[i % len(seeds)].name}").write_text(distinct_visit(texts[i % len(seeds)], i),
                                                                     encoding="utf-8")


def _marked(tag: str) -> list[int]:
    """Processes whose environment carries ``OFSTED_TEST_RUN=tag`` (the command and its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if f"OFSTED_TEST_RUN={tag}".encode() in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.mark.slow
def test_a_killed_worker_costs_at_most_its_file(tmp_path):
    """Item 1: a worker killed with --jobs 2 does not sink the batch: its documents are read again (one that
    kills its worker again is the one reported), the rest are written."""
    _seed_copies(tmp_path / "d", 40)
    env = os.environ | {"PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "ofsted_nlp.cli.app", "tag", "d", "--jobs", "2", "-o", "o.csv"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(_children(proc.pid)) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    workers = _children(proc.pid)
    assert workers, "no worker processes started"
    os.kill(workers[-1], signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    lines = assert_clean_stderr(err)
    assert proc.returncode in (0, 1), lines
    assert len(lines) == (proc.returncode == 1)
    assert all("the process reading it died" in line for line in lines), lines
    import csv

    with open(tmp_path / "o.csv", encoding="utf-8", newline="") as fh:
        documents = {r["document"] for r in csv.DictReader(fh)}
    assert len(documents) == 40 - len(lines)


# --------------------------------------------------------------------------- 4: outputs


def test_output_to_a_device_is_written_through(tmp_path):
    """Item 4: ``-o n`` with n a character device (as /dev/null) writes to it; n stays a device."""
    node = tmp_path / "n"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("mknod needs root")
    done = inproc("tag", str(seed("003")), "-f", "csv", "-o", str(node))
    assert_clean_stderr(done.stderr)
    assert done.returncode == 0
    assert stat.S_ISCHR(os.lstat(node).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["n"]


def test_output_to_a_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    received: list[bytes] = []
    import threading

    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    done = inproc("tag", str(seed("003")), "-o", str(fifo))
    reader.join(timeout=30)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert received and received[0].startswith(b"document,") and received[0].count(b"\n") > 60


def test_output_through_a_symlink_replaces_its_target(tmp_path):
    target = tmp_path / "real" / "findings.csv"
    target.parent.mkdir()
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    done = inproc("tag", str(seed("003")), "-o", str(link))
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("document,")
    assert sorted(p.name for p in target.parent.iterdir()) == ["findings.csv"]


def test_output_to_a_block_device_is_refused(tmp_path):
    node = tmp_path / "disk.csv"
    try:
        os.mknod(node, 0o600 | stat.S_IFBLK, os.makedev(7, 200))
    except (PermissionError, OSError):
        pytest.skip("mknod needs root")
    done = inproc("tag", str(seed("003")), "-o", str(node))
    lines = assert_clean_stderr(done.stderr)
    assert done.returncode == 2
    assert lines == [f"ofsted-nlp: {node}: cannot be written (is a block device; an output does not replace it); "
                     "nothing written"]
    assert stat.S_ISBLK(os.lstat(node).st_mode)


def test_matrix_writes_all_its_outputs_or_none(tmp_path):
    """Item 4: ``matrix -o <unwritable> --plot p.html`` leaves p.html as it was."""
    plot = tmp_path / "p.html"
    plot.write_text("earlier plot")
    done = cli("matrix", str(seed("003")), "-o", "/proc/ofsted-hostile.csv", "--plot", str(plot))
    lines = assert_clean_stderr(done.stderr)
    assert done.returncode == 2
    assert len(lines) == 1 and lines[0].startswith("ofsted-nlp: ") and "nothing written" in lines[0]
    assert plot.read_text() == "earlier plot"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.html"]


def test_own_output_in_the_input_folder_is_skipped(tmp_path, monkeypatch):
    """Item 4: a table written into the folder read is not read back as a letter on the next run."""
    d = tmp_path / "d"
    _seed_copies(d, 2)
    monkeypatch.chdir(tmp_path)
    first = inproc("tag", "d", "-o", "d/run1.txt")
    assert first.returncode == 0, first.stderr
    table = (d / "run1.txt").read_bytes()
    second = inproc("tag", "d", "-o", "run2.csv")
    lines = assert_clean_stderr(second.stderr)
    assert second.returncode == 0
    assert lines == ["ofsted-nlp: warning: d/run1.txt: a findings table written by ofsted-nlp, not an Ofsted "
                     "document; skipped"]
    import csv

    with open(tmp_path / "run2.csv", encoding="utf-8", newline="") as fh:
        documents = {r["document"] for r in csv.DictReader(fh)}
    assert documents == {p.stem for p in d.iterdir() if p.name != "run1.txt"}
    assert (d / "run1.txt").read_bytes() == table


def test_output_that_is_an_input_is_refused_clearly(tmp_path):
    """Item 4: ``-o`` naming one of the inputs: one line saying so, exit 2, the input untouched."""
    letter = tmp_path / "letter.txt"
    shutil.copy(seed("003"), letter)
    done = cli("tag", str(letter), "-o", str(letter))
    lines = assert_clean_stderr(done.stderr)
    assert done.returncode == 2
    assert lines == [f"ofsted-nlp: {letter} is one of the files to read; writing the output there would replace it: "
                     f"choose another output file (see 'ofsted-nlp tag --help')"]
    assert letter.read_bytes() == seed("003").read_bytes()


# --------------------------------------------------------------------------- 5: interruption

SIGNAL_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
SIGNAL_WORDS = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated", signal.SIGHUP: "hung up"}


@pytest.fixture(scope="module")
def many_letters(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("many")
    _seed_copies(root / "d", 2400)  # enough work that a run is still going when the signal comes, on a quiet machine
    return root / "d"


def _leftovers(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if p.suffix in (".part", ".tmp") or ".part" in p.name)


def _catches_signals(pid: int) -> bool:
    """Whether process ``pid`` has its own handlers for SIGINT, SIGTERM and SIGHUP (SigCgt in /proc/pid/status):
    the command has installed them (ofsted_nlp.io.interrupts.install)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            caught = next(int(line.split()[1], 16) for line in fh if line.startswith("SigCgt:"))
    except (OSError, StopIteration, ValueError):
        return False
    return all(caught >> (s - 1) & 1 for s in SIGNAL_CODES)


def _signal_run(tmp_path: Path, many_letters: Path, signum: int, when: float | str, twice: bool = False):
    """Run ``tag`` on many letters and send ``signum`` once the command handles signals: ``when`` seconds after
    it installed its handlers, or (``"workers"``) 0.5 s after its two workers exist. Waiting for the handlers,
    not a time since the start, holds on a loaded machine, where starting the interpreter and importing the CLI
    can take longer than 0.3 s (and a signal before the handlers exist is the default action's: no message)."""
    tag = f"{os.getpid()}-{signum}-{when}-{twice}-{time.monotonic_ns()}"
    env = os.environ | {"PYTHONPATH": str(REPO), "OFSTED_TEST_RUN": tag}
    out = tmp_path / "out"
    out.mkdir()
    (out / "findings.csv").write_text("earlier output\n")
    # Start the command as a terminal would, with hang-ups not ignored: under nohup (which ofsted-nlp rightly
    # obeys) the test process ignores SIGHUP and its children would inherit that.
    hangup = signal.signal(signal.SIGHUP, signal.SIG_DFL)
    proc = subprocess.Popen([sys.executable, "-m", "ofsted_nlp.cli.app", "tag", str(many_letters), "--jobs", "2",
                             "-o", str(out / "findings.csv")], cwd=out, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    signal.signal(signal.SIGHUP, hangup)
    deadline = time.monotonic() + 120
    if when == "workers":
        while len(_children(proc.pid)) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.02)
        time.sleep(0.5)
    else:
        while not _catches_signals(proc.pid) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert _catches_signals(proc.pid), "the command did not install its signal handlers within 120 s"
        time.sleep(float(when))
    assert proc.poll() is None, "the run ended before the signal could be sent: give it more documents"
    # Ctrl-C and a hang-up go to the whole process group (as from a terminal); SIGTERM to the command.
    send = (lambda s: os.killpg(proc.pid, s)) if signum != signal.SIGTERM else (lambda s: proc.send_signal(s))
    send(signum)
    if twice:
        time.sleep(0.1)
        send(signum)
    _, err = proc.communicate(timeout=300)
    # Processes of the run still there: waited for (a loaded machine is slow to end them), up to 30 s.
    deadline = time.monotonic() + 30
    while (alive := _marked(tag)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return proc.returncode, err, out, alive


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["INT", "TERM", "HUP"])
@pytest.mark.parametrize("when", ["0.3", "1.5", "workers"])
def test_signals_leave_nothing_behind(tmp_path, many_letters, signum, when):
    """Item 5: at any point, the signal's exit code, one line, the earlier output intact, no .part,
    no process left."""
    code, err, out, alive = _signal_run(tmp_path, many_letters, signum, when)
    lines = assert_clean_stderr(err)
    assert code == SIGNAL_CODES[signum], (code, lines)
    assert lines == [f"ofsted-nlp: {SIGNAL_WORDS[signum]}; nothing written"], lines
    assert (out / "findings.csv").read_text() == "earlier output\n"
    assert _leftovers(out) == []
    assert alive == []


@pytest.mark.slow
def test_double_ctrl_c_with_workers_is_quiet(tmp_path, many_letters):
    """Item 5: two Ctrl-C in quick succession with --jobs 2: no worker traceback, one line, nothing left."""
    code, err, out, alive = _signal_run(tmp_path, many_letters, signal.SIGINT, "workers", twice=True)
    lines = assert_clean_stderr(err)
    assert code == 130 and lines == ["ofsted-nlp: interrupted; nothing written"], lines
    assert (out / "findings.csv").read_text() == "earlier output\n"
    assert _leftovers(out) == [] and alive == []


def test_saving_outputs_interrupted_leaves_no_temporary_file(tmp_path):
    """Item 5: a signal while outputs are being written (as train's save_model does) leaves no .part/.tmp
    and the earlier files as they were."""
    (tmp_path / "a.npz").write_text("earlier model")
    code = ("import sys, time\nfrom ofsted_nlp.io import interrupts\nfrom ofsted_nlp.io.atomic import atomic_paths\n"
            "interrupts.install()\n"
            "with atomic_paths(['a.npz', 'a.json', 'a.md']) as tmps:\n"
            "    for t in tmps:\n        t.write_text('new')\n"
            "    print('writing', flush=True)\n    time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, env=os.environ | {"PYTHONPATH": str(REPO)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline() == b"writing\n"
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz"]
    assert (tmp_path / "a.npz").read_text() == "earlier model"


# --------------------------------------------------------------------------- 6: messages


def test_closed_stdout_is_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "ofsted_nlp.cli.app", "tag", str(seed("003")), "-f", "csv"],
                          check=False, capture_output=False, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                          env=os.environ | {"PYTHONPATH": str(REPO)}, timeout=180, preexec_fn=lambda: os.close(1))
    lines = assert_clean_stderr(done.stderr)
    assert done.returncode == 2
    assert lines == ["ofsted-nlp: standard output is closed; nothing written (give --output FILE)"]


def test_model_card_that_is_not_an_object(tmp_path):
    from ofsted_nlp.tagging.model import DEFAULT_MODEL

    model = tmp_path / "m.npz"
    shutil.copy(DEFAULT_MODEL, model)
    (tmp_path / "m.json").write_text("[1, 2, 3]\n")
    done = inproc("tag", str(seed("003")), "-m", str(model))
    lines = assert_clean_stderr(done.stderr)
    assert done.returncode == 2
    assert lines == [f"ofsted-nlp: {tmp_path / 'm.json'}: not a model card (its JSON is not an object)"]


@pytest.mark.parametrize("args, message", [
    (["tag", "--jobs", "0", "x.txt"], "Invalid value for '--jobs'"),
    (["tag"], "Missing argument 'PATH'"),
    (["matrix", "x.txt", "-o", "m.txt"], "use a .csv or .xlsx file"),
    (["tag", "x.txt", "--max-pages", "0"], "Invalid value for '--max-pages'"),
])
def test_usage_errors_take_one_line(tmp_path, args, message):
    done = cli(*args, cwd=tmp_path, timeout=60)
    lines = assert_clean_stderr(done.stderr)
    assert done.returncode == 2
    assert len(lines) == 1 and message in lines[0] and lines[0].endswith(f"(see 'ofsted-nlp {args[0]} --help')")


def test_unreadable_subfolder_is_reported(tmp_path, monkeypatch):
    """Item 6: a subfolder that cannot be listed is one line, not skipped silently (simulated: as root
    every folder can be read)."""
    from ofsted_nlp.batch.pipeline import find_documents

    (tmp_path / "locked").mkdir()
    shutil.copy(seed("003"), tmp_path / "locked" / "hidden-letter.txt")
    shutil.copy(seed("001"), tmp_path / "open.txt")
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = find_documents([tmp_path])
    assert [p.name for p in found.files] == ["open.txt"]
    assert found.problems == [f"{tmp_path / 'locked'}: folder cannot be read (Permission denied); skipped"]


def test_a_signal_just_after_a_temporary_output_is_made_leaves_nothing(tmp_path):
    """Item 5: SIGTERM arriving the moment the temporary file exists, before the output keeps it, still has
    it removed (the signal is held back while the file is made and registered)."""
    (tmp_path / "out.csv").write_text("earlier output\n")
    code = textwrap.dedent(f"""
        import os, signal, sys, tempfile
        from ofsted_nlp.io import interrupts
        from ofsted_nlp.io.atomic import atomic_path
        interrupts.install()
        real = tempfile.mkstemp
        def mkstemp(*args, **kwargs):
            made = real(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGTERM)  # the signal comes now, the file just made
            return made
        tempfile.mkstemp = mkstemp
        try:
            with atomic_path({str(tmp_path / "out.csv")!r}) as tmp:
                tmp.write_text("new output")
        except interrupts.Interrupted:
            print("interrupted")
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env=os.environ | {"PYTHONPATH": str(REPO)})
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "interrupted"
    assert (tmp_path / "out.csv").read_text() == "earlier output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


# --------------------------------------------------------------------------- issue 21, 5: authorities a look-alike
# letter cannot move

_HARINGEY = "Inspectors also spoke with colleagues from Haringey. "


def look_alike_letter(copy_line: str | None = None) -> str:
    """Seed 003 (Hackney) with every "Hackney" written with a Cyrillic "а", a passing mention of Haringey
    opening the letter's first paragraph, and ``copy_line`` above the salutation."""
    text = seed("003").read_text(encoding="utf-8").replace("Hackney", "H\u0430ckney")
    text = text.replace("This letter summarises", _HARINGEY + "This letter summarises", 1)
    if copy_line is not None:
        text = text.replace("Dear Ms Canning", f"{copy_line}\n\nDear Ms Canning", 1)
    return text


def read_warned(path: Path):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        letter = read_letter(path)
    return letter, [str(w.message) for w in caught]


def test_a_cyrillic_a_does_not_hide_the_authority_behind_a_passing_mention(tmp_path):
    path = tmp_path / "lookalike.txt"
    path.write_text(look_alike_letter(), encoding="utf-8")
    letter, warned = read_warned(path)
    assert (letter.la_name, letter.old_la_code) == ("Hackney", "204")
    assert warned == [] and letter.warnings == []


def test_a_copy_line_with_a_zero_width_space_does_not_move_the_authority(tmp_path):
    """The copy line stands where the addressee does: the title's Hackney stays, with one warning that says so."""
    path = tmp_path / "copy.txt"
    path.write_text(look_alike_letter("Copy: Is\u200blington"), encoding="utf-8")
    letter, warned = read_warned(path)
    assert letter.la_name == "Hackney"
    assert letter.warnings == warned == [
        f"{path}: the title names Hackney but the letter is addressed to Islington; read as Hackney"]
    done = cli("tag", str(path), "-f", "csv", cwd=tmp_path)
    lines = assert_clean_stderr(done.stderr)
    assert done.returncode == 0
    assert lines == [f"ofsted-nlp: warning: {warned[0]}"]
    assert {row.split(",")[1] for row in done.stdout.decode().splitlines()[1:] if row.startswith("copy,")} == {"Hackney"}


def test_the_addressee_stands_against_a_passing_mention_with_a_warning(tmp_path):
    """A title that names no authority: the letter is addressed to Hackney (above the salutation) and its first
    paragraph mentions Haringey first; Hackney, with a warning, not Haringey in silence."""
    text = seed("003").read_text(encoding="utf-8")
    text = text.replace("Focused visit to London Borough of Hackney local authority children's services.",
                        "Focused visit to the local authority's children's services.", 1)
    text = text.replace("the London Borough of Hackney local authority", "the local authority", 1)
    text = text.replace("This letter summarises", _HARINGEY + "This letter summarises", 1)
    text = text.replace("Dear Ms Canning", "London Borough of Hackney\n\nDear Ms Canning", 1)
    path = tmp_path / "addressed.txt"
    path.write_text(text, encoding="utf-8")
    letter, warned = read_warned(path)
    assert letter.la_name == "Hackney"
    assert warned == letter.warnings == [
        f"{path}: addressed to Hackney but its opening names Haringey; read as Hackney"]


# --------------------------------------------------------------------------- issue 21, 2: a hostile accurate model
# folder (tiny graphs of tests/_onnx_models.py under cards that match them), through the CLI


def _hostile_model(tmp_path: Path, kind: str, **kw) -> Path:
    pytest.importorskip("onnxruntime")
    import _onnx_models as hostile

    return hostile.folder(tmp_path / kind, hostile.graph(kind, **kw))


def test_a_model_that_asks_for_20_gb_fails_in_one_line_within_bounded_memory(tmp_path):
    """ConstantOfShape of 5e9 floats (an operator the shipped graph uses): onnxruntime's arena refuses it."""
    folder = _hostile_model(tmp_path, "constant_of_shape")
    done, peak_mb = cli_measured("tag", str(seed("003")), "--model", str(folder), "-f", "csv", cwd=tmp_path)
    lines = assert_clean_stderr(done.stderr)  # no onnxruntime log line, coloured or not
    assert done.returncode == 2 and done.stdout == b""
    assert lines == [f"ofsted-nlp: {folder}: the model failed on a sentence (it needs more than the 1024 MB of "
                     "memory the accurate model may use); nothing written"]
    assert peak_mb < 1500, peak_mb


def test_a_model_whose_outputs_are_wrong_blames_itself_once_not_every_document(tmp_path):
    folder = _hostile_model(tmp_path, "wide_at_run")
    out = tmp_path / "out.csv"
    done = cli("tag", str(seed("003")), str(seed("001")), "--model", str(folder), "-o", str(out), cwd=tmp_path)
    lines = assert_clean_stderr(done.stderr)
    assert done.returncode == 2 and not out.exists()
    assert len(lines) == 1 and f"{folder}: theme_proba came back of shape" in lines[0], lines


def test_a_loop_model_is_refused_in_one_line_at_once(tmp_path):
    folder = _hostile_model(tmp_path, "loop")
    done = cli("tag", str(seed("003")), "--model", str(folder), cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    assert assert_clean_stderr(done.stderr) == [
        f"ofsted-nlp: {folder / 'ofsted-nlp-accurate.onnx'}: uses operators the accurate model does not "
        "(Identity, Loop); refused"]


@pytest.mark.slow  # a graph that runs for minutes, stopped: ~5 s; CI runs it
def test_sigterm_ends_tagging_with_a_slow_model_at_once(tmp_path):
    """A graph of allowed operators that runs for minutes: SIGTERM ends the command (143) within seconds of it."""
    folder = _hostile_model(tmp_path, "slow", matmuls=400)
    env = os.environ | {"PYTHONPATH": str(REPO), "COLUMNS": "200"}
    proc = subprocess.Popen([sys.executable, "-m", "ofsted_nlp.cli.app", "tag", str(seed("003")), "--model",
                             str(folder), "-o", str(tmp_path / "out.csv")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, preexec_fn=_cap_memory)
    try:
        # The run under way: onnxruntime's threads and the run's own have started (4 threads before them,
        # 7 once a session runs, here); reading and loading take seconds, the run minutes.
        tasks = Path(f"/proc/{proc.pid}/task")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and len(list(tasks.iterdir())) < 6:
            time.sleep(0.2)
        time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        _, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 143
    assert assert_clean_stderr(err) == ["ofsted-nlp: terminated; nothing written"]
    assert took < 30, took
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slow"]


# --------------------------------------------------------------------------- issue 21.1: formula injection

HYPERLINK = '=HYPERLINK("evil","Supervision is poor") and caseloads are too high for workers.'
CALC = "=cmd|' /C calc'!A0 and caseloads are too high for workers."
FORMULA_NAME = '=HYPERLINK("http:||evil.example","click")'


def _with_findings(lines: list[str]) -> str:
    """Seed letter 003 with ``lines`` added as bullets under its findings heading."""
    text = seed("003").read_text(encoding="utf-8").splitlines()
    at = text.index("Findings") + 1
    for line in reversed(lines):
        text[at:at] = ["", f"- {line}"]
    return "\n".join(text) + "\n"


@pytest.fixture(scope="module")
def formulas(tmp_path_factory) -> Path:
    """A folder: letter L with the two formulas as findings, and letter 001 under a file name that is a formula
    (another letter: a copy of 003 would be the same document as L, counted once)."""
    d = tmp_path_factory.mktemp("formulas") / "in"
    d.mkdir()
    (d / "L.txt").write_text(_with_findings([HYPERLINK, CALC]), encoding="utf-8")
    shutil.copy(seed("001"), d / f"{FORMULA_NAME}.txt")
    return d


def _xlsx_cells(path: Path) -> list:
    import openpyxl

    return [c for row in openpyxl.load_workbook(path).active.iter_rows() for c in row]


def _csv_rows(path: Path) -> list[dict]:
    import csv

    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_tag_xlsx_stores_formula_text_as_text(formulas, tmp_path):
    """21.1: a finding ``=HYPERLINK(...)`` or ``=cmd|...`` is a string cell holding the sentence, no formula;
    so is every cell of the ``document`` column of the file named ``=HYPERLINK(...).txt``."""
    done = inproc("tag", str(formulas), "-o", str(tmp_path / "out.xlsx"))
    assert_clean_stderr(done.stderr)
    assert done.returncode == 0
    cells = _xlsx_cells(tmp_path / "out.xlsx")
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = [c.value for c in cells if c.data_type == "s"]
    assert HYPERLINK in texts and CALC in texts
    assert texts.count(FORMULA_NAME) > 25  # every finding of that letter names it, as text


def test_tag_xlsx_stores_an_error_code_name_as_text(tmp_path):
    """21.1: a file named ``#REF!.txt``: openpyxl took the ``document`` cells for error values; they are text."""
    (tmp_path / "in").mkdir()
    shutil.copy(seed("001"), tmp_path / "in" / "#REF!.txt")
    done = inproc("tag", str(tmp_path / "in"), "-o", str(tmp_path / "out.xlsx"))
    assert done.returncode == 0, done.stderr
    cells = [c for c in _xlsx_cells(tmp_path / "out.xlsx") if c.column == 1 and c.row > 1]
    assert cells and {(c.data_type, c.value) for c in cells} == {("s", "#REF!")}


def test_tag_csv_prefixes_formula_text(formulas, tmp_path):
    """21.1: the CSV's text cells that start like a formula get a single quote in front; JSON lines keep the
    text as it is (JSON is not a spreadsheet)."""
    done = inproc("tag", str(formulas), "-o", str(tmp_path / "out.csv"))
    assert done.returncode == 0, done.stderr
    rows = _csv_rows(tmp_path / "out.csv")
    texts = [r["text"] for r in rows]
    assert "'" + HYPERLINK in texts and "'" + CALC in texts
    assert {r["document"] for r in rows} == {"L", "'" + FORMULA_NAME}
    for r in rows:
        for cell in r.values():
            assert cell[:1] not in "=+-@\t\r" or not cell or _is_number(cell), cell
    done = inproc("tag", str(formulas), "-f", "jsonl")
    import json

    records = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert HYPERLINK in [r["text"] for r in records]
    assert FORMULA_NAME in {r["document"] for r in records}


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_tag_csv_prefixes_every_formula_start(tmp_path, start):
    """21.1: a document named ``<start>x`` is ``'<start>x`` in the CSV, in both of the CSV writer's paths (the
    fast one, and the csv module's for scores it does not read)."""
    from ofsted_nlp.batch.rows import FindingRow
    from ofsted_nlp.batch.writers import open_writer

    (tmp_path / "in").mkdir()
    shutil.copy(seed("003"), tmp_path / "in" / f"{start}x.txt")
    done = inproc("tag", str(tmp_path / "in"), "-o", str(tmp_path / "out.csv"))
    assert done.returncode == 0, done.stderr
    assert {r["document"] for r in _csv_rows(tmp_path / "out.csv")} == {f"'{start}x"}
    import io

    fields = dict.fromkeys(FindingRow._fields) | {
        "document": f"{start}doc", "index": -1, "text": f"{start}1+1", "themes": (), "polarity": "neutral",
        "recommendation": False, "scores": (float("nan"),) * 9}  # NaN scores: the csv module writes the row
    buffer = io.StringIO()
    writer = open_writer("csv", buffer)
    writer.add_rows([FindingRow(**fields)])
    writer.close()
    import csv

    (row,) = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert (row["document"], row["text"], row["index"]) == (f"'{start}doc", f"'{start}1+1", "-1")


def test_csv_cells_tab_and_carriage_return_and_numbers():
    """21.1: tab and carriage return are formula starts too; numbers stay numbers (-0.5 in a number column),
    text that looks like one is prefixed ("-0.5" from a sentence)."""
    import pandas as pd

    from ofsted_nlp.io.cells import csv_frame

    frame = pd.DataFrame({"net": [-0.5, 0.25], "text": ["-0.5", "\tcalc"], "other": ["\rx", "fine"],
                          "shown": ["-0.50", "z"]})
    safe = csv_frame(frame, numbers=["shown"])
    assert safe["net"].tolist() == [-0.5, 0.25] and safe["net"].dtype == float
    assert safe["text"].tolist() == ["'-0.5", "'\tcalc"]
    assert safe["other"].tolist() == ["'\rx", "fine"]
    assert safe["shown"].tolist() == ["-0.50", "z"]
    assert frame["text"].tolist() == ["-0.5", "\tcalc"]  # the caller's table is left as it was


def test_evidence_outputs_hold_no_formula(formulas, tmp_path):
    """21.1: ``evidence -o ev.xlsx`` stores the two formula sentences (and the formula file name) as text;
    ``-o ev.csv`` prefixes them."""
    done = inproc("evidence", str(formulas), "--theme", "caseloads", "-o", str(tmp_path / "ev.xlsx"))
    assert done.returncode == 0, done.stderr
    cells = _xlsx_cells(tmp_path / "ev.xlsx")
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = [c.value for c in cells if c.data_type == "s"]
    assert HYPERLINK in texts and CALC in texts and FORMULA_NAME in texts
    done = inproc("evidence", str(formulas), "--theme", "caseloads", "-o", str(tmp_path / "ev.csv"))
    assert done.returncode == 0, done.stderr
    rows = _csv_rows(tmp_path / "ev.csv")
    assert {"'" + HYPERLINK, "'" + CALC} <= {r["text"] for r in rows}
    assert "'" + FORMULA_NAME in {r["document"] for r in rows}


def test_matrix_and_change_outputs_hold_no_formula(formulas, tmp_path):
    """21.1: ``matrix --by document`` and ``change`` name the documents: as text in xlsx, prefixed in CSV;
    their nets stay numbers (negative ones unprefixed), as do the EES file's net balances (text there)."""
    import pandas as pd

    from ofsted_nlp.views.ees import check_ees

    for args, name in ((("matrix", "--by", "document"), "m"), (("change",), "c")):
        done = inproc(*args, str(formulas), "-o", str(tmp_path / f"{name}.xlsx"))
        assert done.returncode == 0, done.stderr
        cells = _xlsx_cells(tmp_path / f"{name}.xlsx")
        assert [c.coordinate for c in cells if c.data_type == "f"] == []
        assert FORMULA_NAME in [c.value for c in cells if c.data_type == "s"]
        assert any(c.data_type == "n" and isinstance(c.value, float) and c.value < 0 for c in cells)
        done = inproc(*args, str(formulas), "-o", str(tmp_path / f"{name}.csv"))
        assert done.returncode == 0, done.stderr
        cells = [v for r in _csv_rows(tmp_path / f"{name}.csv") for v in r.values()]
        assert "'" + FORMULA_NAME in cells and FORMULA_NAME not in cells
        assert any(v.startswith("-0.") and _is_number(v) for v in cells)
        assert all(v[:1] not in "=+-@\t\r" or _is_number(v) for v in cells if v)
    done = inproc("matrix", str(formulas), "--format", "ees", "-o", str(tmp_path / "f.csv"))
    assert done.returncode == 0, done.stderr
    data = pd.read_csv(tmp_path / "f.csv", dtype=str, keep_default_na=False)
    meta = pd.read_csv(tmp_path / "f.meta.csv", dtype=str, keep_default_na=False)
    assert data["net_balance"].str.startswith("-0.").any()
    assert check_ees(data, meta) == []


# --------------------------------------------------------------------------- issue 21.6: outputs and training


def test_ees_export_keeps_a_meta_file_it_did_not_write(tmp_path):
    """21.6: ``echo notes > f.meta.csv; matrix --format ees -o f.csv`` is refused (one line, nothing written,
    the notes kept) unless --replace-meta; a metadata file the tool wrote is replaced as before."""
    from ofsted_nlp.views.ees import MetaFileExists, ees_tables, write_ees

    meta = tmp_path / "f.meta.csv"
    meta.write_text("notes\n")
    done = cli("matrix", str(seed("003")), "--format", "ees", "-o", str(tmp_path / "f.csv"))
    lines = assert_clean_stderr(done.stderr)
    assert done.returncode == 2
    assert len(lines) == 1 and f"{meta}: already exists and is not an EES metadata file ofsted-nlp wrote" in lines[0]
    assert "--replace-meta" in lines[0]
    assert meta.read_text() == "notes\n" and sorted(p.name for p in tmp_path.iterdir()) == ["f.meta.csv"]
    with pytest.raises(MetaFileExists):
        write_ees(*ees_tables(pd_findings()), tmp_path / "f.csv")
    assert meta.read_text() == "notes\n"
    done = inproc("matrix", str(seed("003")), "--format", "ees", "-o", str(tmp_path / "f.csv"), "--replace-meta")
    assert done.returncode == 0, done.stderr
    assert meta.read_text().startswith("col_name,col_type,label,")
    ours = meta.read_bytes()
    meta.write_bytes(b"")
    done = inproc("matrix", str(seed("003")), "--format", "ees", "-o", str(tmp_path / "f.csv"))  # ours: replaced
    assert done.returncode == 0, done.stderr
    assert meta.read_bytes() == ours
    done = inproc("matrix", str(seed("003")), "--format", "ees", "-o", str(tmp_path / "f.csv"))
    assert done.returncode == 0, done.stderr


def pd_findings():
    """A findings table of seed letter 003, as the notebook API makes it."""
    from ofsted_nlp import findings_table, load_model

    return findings_table([read_letter(seed("003"))], load_model())


@pytest.fixture
def full_disk(tmp_path) -> Iterator[Path]:
    """A 2 MB tmpfs, filled: every write there fails with ENOSPC (needs root to mount; skipped otherwise)."""
    mount = tmp_path / "full"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        with open(mount / "fill", "wb") as fh:
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError:
                pass
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.parametrize("args, named", [
    (("tag", "-o", "out.xlsx"), "out.xlsx"),
    (("matrix", "-o", "m.xlsx"), "m.xlsx"),
    (("matrix", "--format", "ees", "-o", "m.csv"), "m.csv"),
    (("matrix", "-o", "m.csv", "--plot", "p.png"), None),
    (("evidence", "-o", "ev.xlsx"), "ev.xlsx"),
], ids=["tag-xlsx", "matrix-xlsx", "matrix-ees", "matrix-plot", "evidence-xlsx"])
def test_a_full_disk_is_one_line_naming_the_file(full_disk, args, named):
    """21.6: on a full disk each output is one line that names the file (the plot or the table, whichever
    failed), no ``Exception ignored in ZipFile.__del__`` traceback, nothing left behind."""
    command, *rest = args
    done = cli(command, str(seed("003")), *[str(full_disk / a) if "." in a else a for a in rest])
    lines = assert_clean_stderr(done.stderr)
    assert done.returncode == 2
    assert len(lines) == 1, lines
    if named is None:
        assert re.fullmatch(rf"ofsted-nlp: {re.escape(str(full_disk))}/(m\.csv|p\.png): cannot be written "
                            r"\(No space left on device\); nothing written", lines[0]), lines
    else:
        assert lines == [f"ofsted-nlp: {full_disk / named}: cannot be written (No space left on device); "
                         "nothing written"]
    assert sorted(p.name for p in full_disk.iterdir()) == ["fill"]


def test_a_failed_write_names_the_output_not_its_temporary_file(tmp_path, monkeypatch):
    """21.6: ENOSPC simulated in the EES export and the matrix CSV (an error that names no file): the line
    names the output the user gave, not nothing or the temporary ``.part``."""
    import errno

    import pandas as pd

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    for args, named in ((("--format", "ees", "-o", "f.csv"), "f.csv"), (("-o", "m.csv"), "m.csv")):
        done = inproc("matrix", str(seed("003")), *[str(tmp_path / a) if "." in a else a for a in args])
        lines = assert_clean_stderr(done.stderr)
        assert done.returncode == 2
        assert lines == [f"ofsted-nlp: {tmp_path / named}: cannot be written (No space left on device); "
                         "nothing written"]
    assert list(tmp_path.iterdir()) == []


def _seed_rows() -> list[list[str]]:
    import csv

    with open(REPO / "data" / "labels" / "seeds.csv", encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def _bad_seeds(case: str, path: Path) -> None:
    header, *rows = _seed_rows()
    if case == "twice":
        _write_rows(path, [header] + rows + rows)
    elif case == "one-polarity":
        _write_rows(path, [header] + [r[:4] + ["negative"] for r in rows])
    elif case == "header-only":
        _write_rows(path, [header])
    elif case == "single-row":
        _write_rows(path, [header, rows[0]])
    elif case == "huge-field":
        _write_rows(path, [header] + rows[:2] + [rows[2][:2] + ["x" * (2 * 2**20)] + rows[2][3:]] + rows[3:])
    elif case == "index":
        _write_rows(path, [header] + rows[:4] + [rows[4][:1] + ["five"] + rows[4][2:]] + rows[5:])


@pytest.mark.parametrize("case, message", [
    ("twice", "seeds.csv:188: sentence labelled twice (000_d08d9c219d03248a 85cd47e663b07464, first on line 2)"),
    ("one-polarity", "seeds.csv: all 186 labels are negative; training needs labels of at least 2 polarities"),
    ("header-only", "seeds.csv: no labels (a header and nothing else)"),
    ("single-row", "seeds.csv: the 1 label is neutral; training needs labels of at least 2 polarities"),
    ("huge-field", "seeds.csv:4: not a CSV row (a field of more than 131,072 characters)"),
    ("index", "seeds.csv:6: index must be a whole number, got 'five'"),
])
def test_bad_seed_labels_are_one_line_naming_file_and_line(tmp_path, case, message):
    """21.6: ``train`` on a seeds.csv with every row twice, of one polarity, a header only, a single row, a
    field of megabytes or an index that is not a number: one line naming the file (and line) and the problem,
    exit 2, no model written, before any fitting (so no scikit-learn warnings)."""
    labels = tmp_path / "labels"
    labels.mkdir()
    _bad_seeds(case, labels / "seeds.csv")
    done = inproc("train", "--labels", str(labels), "--no-evaluate", "--no-soft", "-o", str(tmp_path / "m.npz"))
    lines = assert_clean_stderr(done.stderr)
    assert done.returncode == 2
    assert lines[-1] == f"ofsted-nlp: {labels}/{message}", lines
    assert len(lines) <= 2  # at most the count of sentences read before it
    assert not (tmp_path / "m.npz").exists()
