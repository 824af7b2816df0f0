"""A letter or report as the tool sees it: metadata, sections and findings.

``read_letter(path)`` is the one entry point: file -> pages -> clean blocks ->
sections -> sentences -> findings.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from . import metadata, sections
from .cleaning import Block, clean_pages, normalise_chars
from .errors import OfstedReadError
from .reading import read_pages
from .segmenting import is_finding_text, split_long, split_sentences


class AuthorityNotFoundWarning(UserWarning):
    """No authority in the project's table could be found in a document."""


@dataclass(frozen=True)
class Finding:
    """One sentence that judges practice, with where it stands in the document."""

    text: str
    section: str
    judgement: str
    index: int


@dataclass(frozen=True)
class Section:
    """A heading of the document and the judgement it gives its findings."""

    title: str
    judgement: str


@dataclass
class Letter:
    """A cleaned letter or report with its metadata and findings.

    Metadata fields are named as in the DfE's open-data standard
    (``la_name``, ``old_la_code``, ``new_la_code``, ``region_code``,
    ``region_name``) so that tables built from letters join to DfE statistics.
    """

    path: str
    document: str
    kind: str
    date: dt.date | None
    date_source: str | None  # "text", or "pdf_metadata" where the text gives no date
    visit_dates: tuple[dt.date, dt.date] | None
    la_name: str | None
    old_la_code: str | None
    new_la_code: str | None
    region_code: str | None
    region_name: str | None
    title: str
    sections: list[Section] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list, repr=False)

    def metadata(self) -> dict:
        """The document's metadata as plain values: document, authority names and codes, date, kind."""
        return {
            "document": self.document,
            "la_name": self.la_name,
            "old_la_code": self.old_la_code,
            "new_la_code": self.new_la_code,
            "region_name": self.region_name,
            "date": self.date.isoformat() if self.date else None,
            "kind": self.kind,
        }

    def summary(self) -> str:
        """One line: document, authority, kind, date and findings count."""
        return (
            f"{self.document}: {self.la_name or '?'} ({self.new_la_code or '-'}), {self.kind}, "
            f"{self.date or '?'}, {len(self.findings)} findings"
        )


_SALUTATION_RE = re.compile(r"^dear\b", re.I)
_SIGNOFF_RE = re.compile(
    r"^yours (sincerely|faithfully)|^the office for standards in education|^ofsted will take the findings", re.I
)
_OFSTED_WORDS_RE = re.compile(r"\b(ofsted|inspectors?|inspection|focused visit|monitoring visit)\b", re.I)


def read_letter(path: str | Path) -> Letter:
    """Read a letter or report (``.txt`` or ``.pdf``) into a :class:`Letter`.

    Raises :class:`~ofsted_nlp.errors.OfstedReadError` (one line: file and
    cause) for files that cannot be read or are not Ofsted documents. Warns
    (``AuthorityNotFoundWarning``) and leaves the codes ``None`` when the
    authority cannot be identified.
    """
    p = Path(path)
    extracted = read_pages(p)
    pages = extracted.pages
    head_lines = [normalise_chars(ln).strip() for ln in pages[0][:60] if ln.strip()]
    blocks = clean_pages(pages)
    if not blocks:
        raise OfstedReadError(p, "no text left after cleaning")
    start, end = _body_span(blocks)
    body = blocks[start:end]
    head_text = " ".join(b.text for b in blocks[: min(len(blocks), start + 6)])
    if not _OFSTED_WORDS_RE.search(" ".join(b.text for b in blocks[:80])):
        raise OfstedReadError(p, "does not look like an Ofsted letter or report")

    title = _title(blocks, start)
    # The title decides; the opening paragraphs only where the title says nothing
    # (reports mention "the last focused visit" in their first pages).
    kind = metadata.find_kind(title + " \n" + "\n".join(head_lines[:8]))
    if kind == "other":
        kind = metadata.find_kind(head_text + " " + " ".join(head_lines[:25]))
    date = metadata.find_date(head_lines, " ".join(head_lines + [head_text]), is_letter=start > 0)
    date_source = "text" if date else None
    if date is None and extracted.created is not None:
        date, date_source = extracted.created, "pdf_metadata"
    visit_dates = metadata.find_visit_dates(head_text + " " + " ".join(head_lines))
    authority = _authority(blocks, start, title, date)
    if authority is None:
        warnings.warn(f"{p}: authority not found; its codes are left empty", AuthorityNotFoundWarning, stacklevel=2)

    found_sections, findings = _findings(body)
    return Letter(
        path=str(p),
        document=p.stem,
        kind=kind,
        date=date,
        date_source=date_source,
        visit_dates=visit_dates,
        la_name=getattr(authority, "la_name", None),
        old_la_code=getattr(authority, "old_la_code", None),
        new_la_code=getattr(authority, "new_la_code", None),
        region_code=getattr(authority, "region_code", None),
        region_name=getattr(authority, "region_name", None),
        title=title,
        sections=found_sections,
        findings=findings,
        blocks=blocks,
    )


def _body_span(blocks: list[Block]) -> tuple[int, int]:
    """Where the letter's own text starts (after the salutation) and ends (at the sign-off)."""
    start = 0
    for i, b in enumerate(blocks[:40]):
        if _SALUTATION_RE.match(b.text):
            start = i + 1
            break
    end = len(blocks)
    for i in range(start, len(blocks)):
        if _SIGNOFF_RE.match(blocks[i].text):
            end = i
            break
    return start, end


def _title(blocks: list[Block], start: int) -> str:
    if start and start < len(blocks):
        return blocks[start].text
    return blocks[0].text


def _authority(blocks: list[Block], start: int, title: str, date: dt.date | None):
    from .authorities import find_authority

    # The title names the authority; failing that, the first paragraphs; the
    # recipient's address block comes last as it may name a building, not a council.
    candidates = [title, " ".join(b.text for b in blocks[start : start + 3])]
    if start:
        candidates.append(" ".join(b.text for b in blocks[:start]))
    candidates.append(" ".join(b.text for b in blocks[:12]))
    for text in candidates:
        found = find_authority(text, on_date=date)
        if found is not None:
            return found
    return None


def _findings(body: list[Block]) -> tuple[list[Section], list[Finding]]:
    found_sections: list[Section] = []
    current = Section("", "unspecified")
    skip_section = False
    units: list[tuple[str, Section]] = []
    seen_bullet = False
    for i, b in enumerate(body):
        if b.kind == "heading":
            judgement = sections.judgement_of(b.text) or "unspecified"
            current = Section(b.text, judgement)
            skip_section = sections.is_non_finding_section(b.text)
            found_sections.append(current)
            seen_bullet = False
            continue
        seen_bullet = seen_bullet or b.kind == "bullet"
        if (
            current.judgement != "unspecified"
            and seen_bullet
            and b.kind == "paragraph"
            and i + 1 < len(body)
            and body[i + 1].kind == "paragraph"
        ):
            # A judged list (bullets) followed by running paragraphs with no
            # heading of their own: the list has ended, the prose is not judged.
            current = Section("", "unspecified")
            found_sections.append(current)
        lead = sections.judgement_of_leadin(b.text) if b.kind == "paragraph" else None
        if lead:
            current = Section(b.text.rstrip(":"), lead)
            skip_section = False
            found_sections.append(current)
            continue
        if not skip_section:
            units.append((b.text, current))

    findings: list[Finding] = []
    for (text, section), sents in zip(units, split_sentences(t for t, _ in units)):
        for sent in sents:
            for piece in split_long(sent):
                if is_finding_text(piece):
                    findings.append(Finding(piece, section.title, section.judgement, len(findings)))
    return found_sections, findings
