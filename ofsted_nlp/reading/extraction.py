"""Get the text out of a file: ``.txt`` (UTF-8, UTF-16, or Windows-1252 with a warning) or ``.pdf``.

This module only extracts; cleaning, structure and metadata live elsewhere.
It returns the text as a list of pages, each a list of lines, so that the
cleaner can tell page furniture (lines repeated at page tops and bottoms) from
content.

Only regular files are read (a FIFO, a device or a socket is refused before it
is opened for reading), and every document is held to :class:`Limits`: its
file size, the size its PDF streams expand to, its pages and its characters.
Each limit has a default that real letters and reports are far below, and a
command-line option to raise it; a document over one is refused with one line
naming the limit.
"""

from __future__ import annotations

import binascii
import datetime as dt
import errno
import os
import re
import stat
import unicodedata
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ofsted_nlp.errors import OfstedReadError

try:  # ISA-L's inflate: the same bytes as zlib's in ~55% of the CPU (the corpus's 14,098 streams: 1.25 -> 0.69 s)
    from isal import isal_zlib

    _inflater: Any = isal_zlib
except ImportError:  # pragma: no cover - a dependency; zlib does the same work where it is missing
    _inflater = zlib
_INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error, _inflater.error)

# Fewer non-blank characters than this over the whole document means the PDF
# has no usable text layer (a scan) or the text file is effectively empty.
MIN_TEXT_CHARS = 200

PAGE_BREAK = "\f"


class CodepageWarning(UserWarning):
    """Text was not UTF-8 and was decoded as Windows-1252."""


@dataclass(frozen=True)
class Limits:
    """How much of a document the reader will take on.

    The defaults are far above any real letter or report (the corpus's largest
    has 98,000 characters on 38 pages in a 0.9 MB PDF) and keep the memory of
    reading and tagging one document well under 1 GB. ``chars`` also bounds
    every paragraph handed to spaCy, so the default keeps it within spaCy's own
    limit (E088).
    """

    pages: int = 500
    chars: int = 1_000_000
    file_mb: int = 50  # size of the file on disk
    inflated_mb: int = 16  # what a PDF's compressed streams (other than images) expand to

    def __post_init__(self) -> None:
        for name in ("pages", "chars", "file_mb", "inflated_mb"):
            if getattr(self, name) < 1:
                raise ValueError(f"limit {name} must be at least 1")


# The command-line option that raises each limit, named in the message when one is hit.
LIMIT_OPTIONS = {"pages": "--max-pages", "chars": "--max-chars", "file_mb": "--max-file-mb",
                 "inflated_mb": "--max-inflated-mb"}

_limits = Limits()


def set_limits(limits: Limits) -> Limits:
    """Make ``limits`` the default of later calls in this process that pass none; return the default they replace.

    For a notebook or script that reads many documents with other limits:
    ``read_letter``, ``read_pages``, ``tag_paths`` and ``read_paths`` take
    ``limits=`` too, which is the way for a library (it changes nothing for
    the rest of the process). A batch takes the default once, when it starts,
    and hands it to its worker processes.
    """
    global _limits
    old, _limits = _limits, limits
    return old


def get_limits() -> Limits:
    """The limits that calls passing none use (:class:`Limits`' defaults unless :func:`set_limits` changed them)."""
    return _limits


def _over(what: str, found: str, limit: str, option: str) -> str:
    return f"over the {what} limit ({found}; the limit is {limit}, {LIMIT_OPTIONS[option]} raises it)"


@dataclass(frozen=True)
class Extracted:
    """Raw text of a document: pages of lines, and the PDF's creation date if it has one."""

    pages: list[list[str]]
    created: dt.date | None = None


def read_pages(path: str | Path, limits: Limits | None = None) -> Extracted:
    """Return the document's text as pages of lines.

    Raises :class:`OfstedReadError` with a one-line reason for a missing
    path, a folder, a special file (FIFO, device, socket), a symlink loop, an
    empty file, binary junk, an HTML page saved as ``.pdf``, a table written
    by ofsted-nlp itself, an encrypted PDF, a PDF with no pages or no text
    layer, and a document over one of ``limits`` (default: :func:`get_limits`).
    """
    p = Path(path)
    lim = limits or _limits
    data = _read_regular_file(p, lim)
    if not data.strip():
        raise OfstedReadError(p, "file is empty")
    head = data[:1024].lstrip().lower()
    created = None
    if data[:5] == b"%PDF-" or (b"%PDF-" in data[:1024]):
        pages, created = _pdf_pages(p, data, lim)
    elif p.suffix.lower() == ".pdf":
        if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
            raise OfstedReadError(p, "not a PDF (it is an HTML page, perhaps a saved error page)")
        raise OfstedReadError(p, "not a PDF (no PDF header; the file is damaged or of another type)")
    else:
        pages = _text_pages(p, data, lim)
    if _text_chars(pages, MIN_TEXT_CHARS) < MIN_TEXT_CHARS:
        if data[:5] == b"%PDF-":
            raise OfstedReadError(p, "PDF has no text layer (a scanned image?); run OCR first")
        raise OfstedReadError(p, f"too little text to be a letter ({_text_chars(pages)} characters)")
    _check_chars(p, pages, lim)
    return Extracted(pages, created)


def _text_chars(pages: list[list[str]], enough: int | None = None) -> int:
    """Characters of the pages' lines without their outer whitespace (counting stops past ``enough``)."""
    chars = 0
    for page in pages:
        chars += sum(len(line.strip()) for line in page)
        if enough is not None and chars >= enough:
            break
    return chars


# --------------------------------------------------------------------------- the file


_KINDS = [(stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")]


def special_kind(mode: int) -> str | None:
    """What a file of this ``st_mode`` is, if it is neither a regular file nor a folder."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def stat_problem(p: Path, exc: OSError) -> str:
    """One-line cause for a path that cannot be looked at."""
    if exc.errno == errno.ELOOP:
        return "symlink loop (a link that leads back to itself); not read"
    if exc.errno == errno.ENOENT:
        if os.path.islink(p):
            return f"broken symlink (to {os.readlink(p)}); not read"
        return "no such file"
    if exc.errno == errno.ENAMETOOLONG:
        return "path too long to open; not read"
    return f"cannot be opened ({exc.strerror or exc})"


def _read_regular_file(p: Path, lim: Limits) -> bytes:
    """The file's bytes, if it is a regular file within the size limit."""
    try:
        st = os.stat(p)
    except OSError as exc:
        raise OfstedReadError(p, stat_problem(p, exc)) from None
    if stat.S_ISDIR(st.st_mode):
        raise OfstedReadError(p, "is a folder, not a file")
    kind = special_kind(st.st_mode)
    if kind:
        raise OfstedReadError(p, f"is {kind}, not a regular file; not read")
    max_bytes = lim.file_mb * 1024 * 1024
    if st.st_size > max_bytes:
        raise OfstedReadError(p, _over("size", f"{st.st_size / 2**20:,.1f} MB", f"{lim.file_mb} MB", "file_mb"))
    try:
        # O_NONBLOCK: should the path have become a FIFO since, opening it does not wait for a writer.
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise OfstedReadError(p, stat_problem(p, exc)) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OfstedReadError(p, "is not a regular file; not read")
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise OfstedReadError(p, f"cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if size > max_bytes:  # it grew while being read
        raise OfstedReadError(p, _over("size", f"over {lim.file_mb} MB", f"{lim.file_mb} MB", "file_mb"))
    return b"".join(chunks)


def _check_chars(p: Path, pages: list[list[str]], lim: Limits) -> None:
    """Refuse a document over the character limit, counted as the cleaner will see it (NFKC can
    lengthen text: one ligature character becomes up to 18). (spaCy's own length limit does not apply: only
    its tokenizer ever reads a document's pieces, and the tokenizer has none.)"""
    n = sum(sum(map(len, page)) + len(page) for page in pages)  # each line and its newline
    if n > lim.chars or not all(all(map(str.isascii, page)) for page in pages):
        n = sum(len(unicodedata.normalize("NFKC", "\n".join(page))) + 1 for page in pages)
    if n > lim.chars:
        raise OfstedReadError(p, _over("character", f"{n:,} characters", f"{lim.chars:,}", "chars"))


# --------------------------------------------------------------------------- tables written by ofsted-nlp

_OWN_HEADERS = [
    ("document", "la_name", "old_la_code", "new_la_code"),  # tag --format csv/xlsx, documents tables
    ("document", "authority", "judgement", "polarity", "themes", "text"),  # tag's table
    ("new_la_code", "old_la_code", "la_name", "region_name"),  # matrix
    ("document", "path", "la_name", "old_la_code"),
]
_OWN_JSON_RE = re.compile(rb'^\s*\{"document": .*"(themes|polarity|findings)": ')


def own_output(head: bytes) -> str | None:
    """What ofsted-nlp output this is (``"findings table"``, ``"theme matrix"``), judged from the
    first bytes of a file, or None for anything else."""
    first = head.split(b"\n", 1)[0]
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    if _OWN_JSON_RE.match(first):
        return "findings table (JSON lines)"
    try:
        words = tuple(re.split(r"[\s,;]+", first.decode("utf-8").strip()))
    except UnicodeDecodeError:
        return None
    for header in _OWN_HEADERS:
        if words[: len(header)] == header:
            return "theme matrix" if header[0] == "new_la_code" else "findings table"
    return None


# --------------------------------------------------------------------------- PDF


def _pdf_pages(p: Path, data: bytes, lim: Limits) -> tuple[list[list[str]], dt.date | None]:
    import pypdfium2 as pdfium  # imported here: the CLI's --help must stay fast

    inflated = inflated_size(data, lim.inflated_mb * 1024 * 1024)
    if inflated is None:
        raise OfstedReadError(p, _over("size", f"its compressed streams expand to more than {lim.inflated_mb} MB",
                                       f"{lim.inflated_mb} MB", "inflated_mb"))
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        msg = str(exc).lower()
        # pdfium's error code is process-wide and some failures leave the last one in place: a password
        # error only where the file has an encryption dictionary
        if "password" in msg and b"/Encrypt" in data:
            raise OfstedReadError(p, "PDF is encrypted (password protected)") from None
        if _declares_no_pages(data):
            raise OfstedReadError(p, "PDF has no pages") from None
        raise OfstedReadError(p, "PDF is damaged and cannot be opened") from None
    try:
        count = len(pdf)
        if count == 0:
            raise OfstedReadError(p, "PDF has no pages")
        if count > lim.pages:
            raise OfstedReadError(p, _over("page", f"{count:,} pages", f"{lim.pages:,}", "pages"))
        pages = []
        chars = 0
        for i in range(count):
            try:
                page = pdf[i]
                textpage = page.get_textpage()
                text = textpage.get_text_range()
                textpage.close()
                page.close()
            except pdfium.PdfiumError:
                raise OfstedReadError(p, f"PDF is damaged (page {i + 1} cannot be read)") from None
            chars += len(text)
            if chars > lim.chars:
                raise OfstedReadError(p, _over("character", f"more than {lim.chars:,} characters by page {i + 1}",
                                               f"{lim.chars:,}", "chars"))
            pages.append(_lines(text))
        return pages, _pdf_date(pdf.get_metadata_value("CreationDate"))  # "" where there is none
    finally:
        pdf.close()


def _lines(text: str) -> list[str]:
    """A page's lines, whatever ends them (pdfium ends them with CR LF: split at it alone where no other
    CR or LF stands, without two passes of replacing)."""
    crlf = text.count("\r\n")
    if text.count("\r") == crlf and text.count("\n") == crlf:
        return text.split("\r\n")
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


_PAGE_OBJ_RE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_COUNT_ZERO_RE = re.compile(rb"/Count\s+0(?![0-9])")


def _declares_no_pages(data: bytes) -> bool:
    """A PDF whose page tree says it has none (pdfium will not open it) and that has no page object."""
    return bool(_COUNT_ZERO_RE.search(data)) and not _PAGE_OBJ_RE.search(data)


def _pdf_date(value: str) -> dt.date | None:
    m = re.match(r"(?:D:)?(\d{4})(\d{2})(\d{2})", value or "")
    if not m:
        return None
    try:
        return dt.date(*map(int, m.groups()))
    except ValueError:
        return None


_FILTER_RE = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)")
_NAME_RE = re.compile(rb"/([A-Za-z0-9]+)")
_IMAGE_RE = re.compile(rb"/Subtype\s*/Image(?![A-Za-z])")


def inflated_size(data: bytes, limit: int) -> int | None:
    """What the PDF's streams (other than images) expand to, in bytes; None once that passes ``limit``.

    pdfium inflates the content streams, fonts, object and cross-reference
    streams to read a document's text, so this bounds its memory before it
    starts: a 700 KB file whose stream expands to 200 MB is refused here in
    well under a second, where pdfium would take gigabytes. Images are not
    decoded to extract text, so they count at their size in the file. Every
    decoder stops at the limit; a stream that does not decode counts as it is.
    """
    total = 0
    pos = 0
    while True:
        at = data.find(b"stream", pos)
        if at < 0:
            break
        start = at + 6
        if data[at - 3:at] == b"end":
            pos = start
            continue
        if data[start:start + 2] == b"\r\n":
            start += 2
        elif data[start:start + 1] in (b"\n", b"\r"):
            start += 1
        else:
            pos = start
            continue
        end = data.find(b"endstream", start)
        end = len(data) if end < 0 else end
        head_from = max(pos, at - 4096)
        obj = data.rfind(b"obj", head_from, at)
        head = data[obj if obj >= 0 else head_from:at]
        pos = end + 9
        raw = data[start:end]
        if _IMAGE_RE.search(head):
            total += len(raw)
        else:
            fm = _FILTER_RE.search(head)
            filters = _NAME_RE.findall(fm.group(1)) if fm else []
            size = _decoded_size(raw, filters, limit - total)
            if size is None:
                return None
            total += size
        if total > limit:
            return None
    return total


def _decoded_size(raw: bytes, filters: list[bytes], room: int) -> int | None:
    """Size of ``raw`` after its filters, or None if it passes ``room``."""
    buf: bytes | None = raw
    for k, name in enumerate(filters):
        assert buf is not None
        last = k == len(filters) - 1
        if name in (b"FlateDecode", b"Fl"):
            if last:
                return _inflated_count(buf, room)
            buf = _inflate(buf, room)
        elif name in (b"ASCIIHexDecode", b"AHx"):
            hexdigits = re.sub(rb"[^0-9A-Fa-f]", b"", buf.split(b">", 1)[0])
            buf = binascii.unhexlify(hexdigits + b"0" * (len(hexdigits) % 2))
        elif name in (b"ASCII85Decode", b"A85"):
            try:
                import base64

                buf = base64.a85decode(buf.split(b"~>", 1)[0].lstrip(b"<~"), ignorechars=b" \t\n\r\x0b\x0c\x00")
            except ValueError:
                return len(buf)
        elif name in (b"LZWDecode", b"LZW"):
            buf = _lzw_decode(buf, room)
        elif name in (b"RunLengthDecode", b"RL"):
            buf = _run_length_decode(buf, room)
        else:  # image codecs (DCT, JPX, JBIG2, CCITT), Crypt: not expanded to read text
            return len(buf)
        if buf is None or len(buf) > room:
            return None
    return len(buf) if buf is not None else None


def _inflated_count(buf: bytes, room: int) -> int | None:
    """Bytes that ``buf`` inflates to, counted a MB at a time without keeping them; None past ``room``."""
    d = _inflater.decompressobj()
    n = 0
    try:
        out = d.decompress(buf, 1 << 20)
        while True:
            n += len(out)
            if n > room:
                return None
            if d.eof or not d.unconsumed_tail or not out:
                break
            out = d.decompress(d.unconsumed_tail, 1 << 20)
    except _INFLATE_ERRORS:
        return max(n, len(buf))
    return n


def _inflate(buf: bytes, room: int) -> bytes | None:
    d = _inflater.decompressobj()
    try:
        out = d.decompress(buf, room + 1)
    except _INFLATE_ERRORS:
        return buf
    return None if len(out) > room else out


def _lzw_decode(buf: bytes, room: int) -> bytes | None:
    """PDF's LZW (early change), stopping past ``room``."""
    out = bytearray()
    table = [bytes([i]) for i in range(256)] + [b"", b""]
    bits, acc, nacc = 9, 0, 0
    prev: bytes | None = None
    for byte in buf:
        acc = (acc << 8) | byte
        nacc += 8
        while nacc >= bits:
            nacc -= bits
            code = (acc >> nacc) & ((1 << bits) - 1)
            acc &= (1 << nacc) - 1
            if code == 256:
                del table[258:]
                bits, prev = 9, None
                continue
            if code == 257:
                return bytes(out)
            if code < len(table):
                entry = table[code]
                if prev is not None:
                    table.append(prev + entry[:1])
            elif code == len(table) and prev is not None:
                entry = prev + prev[:1]
                table.append(entry)
            else:
                return bytes(out)  # corrupt: what was decoded so far
            out += entry
            if len(out) > room:
                return None
            prev = entry
            if len(table) + 1 >= (1 << bits) and bits < 12:
                bits += 1
    return bytes(out)


def _run_length_decode(buf: bytes, room: int) -> bytes | None:
    out = bytearray()
    i = 0
    while i < len(buf):
        n = buf[i]
        if n == 128:
            break
        if n < 128:
            out += buf[i + 1:i + 2 + n]
            i += n + 2
        else:
            out += buf[i + 1:i + 2] * (257 - n)
            i += 2
        if len(out) > room:
            return None
    return bytes(out)


# --------------------------------------------------------------------------- text


def _text_pages(p: Path, data: bytes, lim: Limits) -> list[list[str]]:
    own = own_output(data[:4096])
    if own:
        raise OfstedReadError(p, f"a {own} written by ofsted-nlp, not an Ofsted document; skipped")
    # Every character takes at least one byte (two in UTF-16): a file this long is over the limit undecoded.
    if len(data) > 4 * lim.chars + 4:
        raise OfstedReadError(p, _over("character", f"{len(data) / 2**20:,.1f} MB of text",
                                       f"{lim.chars:,} characters", "chars"))
    encoding = _unicode_encoding(data)
    if encoding:
        text = data.decode(encoding, errors="replace").lstrip("\ufeff")
        if _binary_share(text[:4096]) > 0.1:
            raise OfstedReadError(p, "binary data, not text or PDF")
    else:
        if b"\x00" in data[:4096] or _binary_share(data[:4096]) > 0.1:
            raise OfstedReadError(p, "binary data, not text or PDF")
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
            warnings.warn(f"{p}: not UTF-8; read as Windows-1252", CodepageWarning, stacklevel=3)
    head = text[:1024].lower()
    if "<html" in head or "<!doctype html" in head:
        raise OfstedReadError(p, "an HTML page, not a letter")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [page.split("\n") for page in text.split(PAGE_BREAK)]


_BOMS = [(b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")]


def _unicode_encoding(data: bytes) -> str | None:
    """UTF-16 or UTF-32, from a byte-order mark, or UTF-16 without one when it is plain: text
    that is mostly ASCII has a zero in every other byte (the high byte of each character)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    sample = data[:4096]
    if len(sample) < 64:
        return None
    sample = sample[: len(sample) // 2 * 2]
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    if odd.count(0) > 0.6 * half and even.count(0) < 0.05 * half:
        return "utf-16-le"
    if even.count(0) > 0.6 * half and odd.count(0) < 0.05 * half:
        return "utf-16-be"
    return None


def _binary_share(chunk: bytes | str) -> float:
    """Share of bytes (or characters) that are control characters other than whitespace."""
    if not chunk:
        return 0.0
    codes = chunk if isinstance(chunk, bytes) else map(ord, chunk)
    bad = sum(1 for b in codes if b < 32 and b not in (9, 10, 12, 13))
    return bad / len(chunk)
