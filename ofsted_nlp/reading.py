"""Get the text out of a file: ``.txt`` (UTF-8, or Windows-1252 with a warning) or ``.pdf``.

This module only extracts; cleaning, structure and metadata live elsewhere.
It returns the text as a list of pages, each a list of lines, so that the
cleaner can tell page furniture (lines repeated at page tops and bottoms) from
content.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import datetime as dt
import re
from dataclasses import dataclass

from .errors import OfstedReadError

# Fewer non-blank characters than this over the whole document means the PDF
# has no usable text layer (a scan) or the text file is effectively empty.
MIN_TEXT_CHARS = 200

PAGE_BREAK = "\f"


class CodepageWarning(UserWarning):
    """Text was not UTF-8 and was decoded as Windows-1252."""


@dataclass(frozen=True)
class Extracted:
    """Raw text of a document: pages of lines, and the PDF's creation date if it has one."""

    pages: list[list[str]]
    created: dt.date | None = None


def read_pages(path: str | Path) -> Extracted:
    """Return the document's text as pages of lines.

    Raises :class:`OfstedReadError` with a one-line reason for a missing
    path, an empty file, binary junk, an HTML page saved as ``.pdf``, an
    encrypted PDF or a PDF with no text layer.
    """
    p = Path(path)
    if not p.exists():
        raise OfstedReadError(p, "no such file")
    if p.is_dir():
        raise OfstedReadError(p, "is a folder, not a file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise OfstedReadError(p, f"cannot be opened ({exc.strerror or exc})") from None
    if not data.strip():
        raise OfstedReadError(p, "file is empty")
    head = data[:1024].lstrip().lower()
    created = None
    if data[:5] == b"%PDF-" or (b"%PDF-" in data[:1024]):
        pages, created = _pdf_pages(p, data)
    elif p.suffix.lower() == ".pdf":
        if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
            raise OfstedReadError(p, "not a PDF (it is an HTML page, perhaps a saved error page)")
        raise OfstedReadError(p, "not a PDF (no PDF header; the file is damaged or of another type)")
    else:
        pages = _text_pages(p, data)
    chars = sum(len(line.strip()) for page in pages for line in page)
    if chars < MIN_TEXT_CHARS:
        if data[:5] == b"%PDF-":
            raise OfstedReadError(p, "PDF has no text layer (a scanned image?); run OCR first")
        raise OfstedReadError(p, f"too little text to be a letter ({chars} characters)")
    return Extracted(pages, created)


def _pdf_pages(p: Path, data: bytes) -> tuple[list[list[str]], dt.date | None]:
    import pypdfium2 as pdfium  # imported here: the CLI's --help must stay fast

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        msg = str(exc).lower()
        if "password" in msg:
            raise OfstedReadError(p, "PDF is encrypted (password protected)") from None
        raise OfstedReadError(p, "PDF is damaged and cannot be opened") from None
    try:
        pages = []
        for page in pdf:
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            textpage.close()
            page.close()
            pages.append(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        return pages, _pdf_date(pdf.get_metadata_dict().get("CreationDate", ""))
    finally:
        pdf.close()


def _pdf_date(value: str) -> dt.date | None:
    m = re.match(r"(?:D:)?(\d{4})(\d{2})(\d{2})", value or "")
    if not m:
        return None
    try:
        return dt.date(*map(int, m.groups()))
    except ValueError:
        return None


def _text_pages(p: Path, data: bytes) -> list[list[str]]:
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


def _binary_share(chunk: bytes) -> float:
    """Share of bytes that are control characters other than whitespace."""
    if not chunk:
        return 0.0
    bad = sum(1 for b in chunk if b < 32 and b not in (9, 10, 12, 13))
    return bad / len(chunk)
