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
from typing import TYPE_CHECKING

from ofsted_nlp.errors import OfstedReadError
from ofsted_nlp.reading import grades as grading
from ofsted_nlp.reading import metadata, sections
from ofsted_nlp.reading.cleaning import Block, clean_pages, normalise_chars
from ofsted_nlp.reading.extraction import Limits, read_pages
from ofsted_nlp.reading.grades import grade_columns
from ofsted_nlp.reading.normal_form import normalise
from ofsted_nlp.reading.sentences import is_finding_text, split_long, split_sentences
from ofsted_nlp.schema import GRADED_FRAMEWORKS, GRADES

if TYPE_CHECKING:  # pragma: no cover
    from ofsted_nlp.authorities.lookup import Authority


class AuthorityNotFoundWarning(UserWarning):
    """No authority in the project's table could be found in a document."""


class AuthorityDisagreementWarning(UserWarning):
    """The authority a letter is addressed to is not the one its title or opening names."""


class DateCorrectedWarning(UserWarning):
    """A letter's date line falls before its own visit and was corrected from the visit dates."""


class DateNotFoundWarning(UserWarning):
    """A document gives no date: none printed, no PDF creation date, no inspection dates."""


# Where a document's date comes from, best first (Letter.date_source, the tag table's date_source column).
DATE_SOURCES = ("text", "pdf_metadata", "inspection_end")


@dataclass(frozen=True)
class Finding:
    """One sentence that judges practice, with where it stands in the document.

    ``recommendation`` is true where the report marks the sentence
    "(Recommendation)" (the marker itself is dropped from ``text``). ``area``
    is the area of a graded report the sentence stands under (one of
    :data:`~ofsted_nlp.schema.AREAS`, ``""`` in letters and visits) and
    ``area_grade`` the grade the report gives that area (one of
    :data:`~ofsted_nlp.schema.GRADES`, or ``""``).
    """

    text: str
    section: str
    judgement: str
    index: int
    recommendation: bool = False
    area: str = ""
    area_grade: str = ""


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
    date_source: str | None  # DATE_SOURCES: "text", else "pdf_metadata", else "inspection_end"; None if undated
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
    framework: str = "other"  # one of schema.FRAMEWORKS
    grades: dict[str, str] = field(default_factory=dict)  # area -> one of schema.GRADE_VALUES, or "" if unread
    inspection_start: dt.date | None = None
    inspection_end: dt.date | None = None
    warnings: list[str] = field(default_factory=list)  # what the reader warned of, one line each

    def grade_columns(self) -> dict[str, str]:
        """The document's grades under the table column names of :data:`~ofsted_nlp.schema.GRADE_COLUMNS`."""
        return grade_columns(self.grades)

    def metadata(self) -> dict:
        """The document's metadata as plain values: document, authority names and codes, date, kind,
        framework and Ofsted's grades (under :data:`~ofsted_nlp.schema.GRADE_COLUMNS`' names)."""
        return {
            "document": self.document,
            "la_name": self.la_name,
            "old_la_code": self.old_la_code,
            "new_la_code": self.new_la_code,
            "region_name": self.region_name,
            "date": self.date.isoformat() if self.date else None,
            "date_source": self.date_source if self.date else None,
            "kind": self.kind,
            "framework": self.framework,
            "inspection_end": self.inspection_end.isoformat() if self.inspection_end else None,
            **self.grade_columns(),
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


def read_letter(path: str | Path, limits: Limits | None = None) -> Letter:
    """Read a letter or report (``.txt`` or ``.pdf``) into a :class:`Letter`.

    Raises :class:`~ofsted_nlp.errors.OfstedReadError` (one line: file and
    cause) for files that cannot be read or are not Ofsted documents, or that
    are over one of ``limits`` (default: the process's default,
    :func:`~ofsted_nlp.reading.extraction.get_limits`). Warns
    (``AuthorityNotFoundWarning``) and leaves the codes ``None`` when the
    authority cannot be identified.
    """
    p = Path(path)
    extracted = read_pages(p, limits)
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
    notes: list[str] = []
    date_source = "text" if date else None
    if date is None and extracted.created is not None:
        date, date_source = extracted.created, "pdf_metadata"
    visit_dates = metadata.find_visit_dates(head_text + " " + " ".join(head_lines), date)
    if date is not None and date_source == "text" and visit_dates is not None and date < visit_dates[0]:
        fixed = metadata.correct_date(date, visit_dates)
        _warn(notes, f"{p}: the date line says {date.isoformat()}, before the visit of "
                     f"{visit_dates[0].isoformat()}; read as {fixed.isoformat()}", DateCorrectedWarning)
        date = fixed
    if date is None and visit_dates is not None:  # no printed date, no PDF date: the inspection's last day
        date, date_source = visit_dates[1], "inspection_end"
    if date is None:
        _warn(notes, f"{p}: no date found (none printed, no PDF creation date, no inspection dates); "
                     "left empty, so --since, --until and change leave it out", DateNotFoundWarning)
    authority, disagreement = _authority(blocks, start, title, date)
    if disagreement:
        _warn(notes, f"{p}: {disagreement}", AuthorityDisagreementWarning)
    if authority is None:
        _warn(notes, f"{p}: authority not found; its codes are left empty", AuthorityNotFoundWarning)

    framework = grading.framework_of(kind, title + " " + " ".join(head_lines[:12]), visit_dates)
    document_grades = grading.document_grades(
        framework,
        grading.read_table(grading.table_text(pages[:2])) if framework in GRADED_FRAMEWORKS
        else {},
        grading.read_headings(b.text for b in blocks if b.kind == "heading"),
        visit_dates[0] if visit_dates else date,
    )
    found_sections, findings = _findings(body, document_grades if framework in GRADED_FRAMEWORKS
                                         else None)
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
        framework=framework,
        grades=document_grades,
        inspection_start=visit_dates[0] if visit_dates else None,
        inspection_end=visit_dates[1] if visit_dates else None,
        warnings=notes,
    )


def _warn(notes: list[str], message: str, category: type[UserWarning]) -> None:
    """Warn of ``message``, and keep it for the Letter's ``warnings``."""
    notes.append(message)
    warnings.warn(message, category, stacklevel=3)


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


def _authority(blocks: list[Block], start: int, title: str, date: dt.date | None) -> tuple[Authority | None, str]:
    """The authority a document is about, and a one-line note where the letter's addressee disagrees ("" if not).

    The title names the authority; failing that, the addressee: the authority the recipient's address
    above the salutation names (:func:`~ofsted_nlp.reading.metadata.recipient`); failing that, the
    first paragraphs, then the first blocks. A name in the opening paragraphs that is not the
    addressee is a passing mention ("colleagues from Haringey"): the addressee stands, with a note, as
    the title does where the title and the addressee disagree.
    """
    from ofsted_nlp.authorities.lookup import find_authority

    def found(text: str) -> Authority | None:
        return find_authority(text, on_date=date)

    addressee = found(metadata.recipient(" ".join(b.text for b in blocks[:start]))) if start else None
    named = found(title)
    if named is not None:
        if addressee is not None and addressee != named:
            return named, (f"the title names {named.la_name} but the letter is addressed to {addressee.la_name}; "
                           f"read as {named.la_name}")
        return named, ""
    opening = found(" ".join(b.text for b in blocks[start : start + 3]))
    if addressee is not None:
        if opening is not None and opening != addressee:
            return addressee, (f"addressed to {addressee.la_name} but its opening names {opening.la_name}; "
                               f"read as {addressee.la_name}")
        return addressee, ""
    return opening or found(" ".join(b.text for b in blocks[:12])), ""


def _findings(body: list[Block], grades: dict[str, str] | None) -> tuple[list[Section], list[Finding]]:
    """Sections and findings of the body; ``grades`` (area -> grade) for a graded report, else ``None``.

    A "(Recommendation)" marker is dropped and marks the sentence before it
    (in its own block or the block before). A sentence repeated word for word
    (after :func:`~ofsted_nlp.training.labels.normalise`) is kept once, where it first stands.
    """
    found_sections: list[Section] = []
    current = Section("", "unspecified")
    skip_section = False
    area = "overall" if grades is not None else ""
    heading_grade = ""
    units: list[_Unit] = []
    seen_bullet = False
    for i, b in enumerate(body):
        if b.kind == "heading" and sections.is_front_matter(b.text):
            # "Lead inspector: ...", "Her Majesty's Inspector", "Inspection dates: ...": the
            # report's front matter, not the heading of the summary that follows it.
            current = Section("", "unspecified")
            skip_section = False
            continue
        if b.kind == "heading" and skip_section and sections.is_statistics_leadin(b.text):
            continue  # "Of this number" / "In the last 12 months" inside the area statistics
        if (b.kind == "heading" and found_sections and current is found_sections[-1]
                and grading.bare_grade(b.text) and grading.area_of_heading(current.title) is not None):
            # A SIF area heading's grade on the line after it: one heading, "<area>: <grade>"
            current = Section(f"{current.title}: {b.text}", current.judgement)
            found_sections[-1] = current
            if grades is not None:
                area, heading_grade = _area_after(b.text, area, heading_grade, False)
            continue
        if b.kind == "heading":
            judgement = sections.judgement_of(b.text) or "unspecified"
            current = Section(b.text, judgement)
            skip_section = sections.is_non_finding_section(b.text)
            found_sections.append(current)
            seen_bullet = False
            if grades is not None:
                area, heading_grade = _area_after(b.text, area, heading_grade, skip_section)
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
        if skip_section:
            continue
        grade = ""
        if grades is not None:
            grade = next((g for g in (grades.get(area, ""), heading_grade) if g in GRADES), "")
        text = b.text
        if ". (" in text:
            # A note in brackets after a sentence's full stop ("... safety planning. (Outcome 1,
            # national framework)") belongs to that sentence: moved inside it, so that the
            # sentence does not end in "(" and the note does not stand alone.
            text = _NOTE_AFTER_STOP_RE.sub(r" (\1).", text)
        if "(" in text and sections.RECOMMENDATION_MARK_RE.search(text):
            pieces = sections.RECOMMENDATION_MARK_RE.split(text)
            for k, piece in enumerate(pieces):
                marked = k < len(pieces) - 1
                piece = piece.strip()
                if not piece.strip(" .;,"):
                    if marked and units:
                        units[-1].recommendation = True  # "(Recommendation)" alone: the sentence before it
                    continue
                if marked and not piece.endswith((".", "?", "!")):
                    piece += "."  # "... is too high (Recommendation)." ends where the marker stood
                units.append(_Unit(piece, current, area, grade, marked))
        else:
            units.append(_Unit(text, current, area, grade, False))

    findings: list[Finding] = []
    seen: set[str] = set()
    for unit, sents in zip(units, split_sentences(u.text for u in units)):
        if "(" in unit.text:  # the sentences are pieces of the unit's text: without "(", none ends in one
            sents = _rejoin_open_brackets(sents)
        pieces = [piece for sent in sents for piece in split_long(sent) if is_finding_text(piece)]
        for k, piece in enumerate(pieces):
            key = normalise(piece)
            if key in seen:
                continue  # the same sentence again (a summary restating the body): one finding
            seen.add(key)
            recommendation = unit.recommendation and k == len(pieces) - 1
            judgement = "development" if recommendation else unit.section.judgement
            findings.append(Finding(piece, unit.section.title, judgement, len(findings), recommendation, unit.area,
                                    unit.grade))
    return found_sections, findings


_NOTE_AFTER_STOP_RE = re.compile(r"\.\s*\((?!\s*recommendations?\b)([^()]{1,80})\)\.?(?=\s|$)", re.I)


def _rejoin_open_brackets(sents: list[str]) -> list[str]:
    """Sentences with a split that fell before a bracket's text ("... for the FAB! (" / "fantastic, amazing,
    brilliant) award event ...") joined again: no sentence ends in an open bracket."""
    if not any(x.endswith("(") for x in sents):
        return sents
    out: list[str] = []
    for sent in sents:
        if out and out[-1].endswith("("):
            out[-1] = out[-1] + sent
        else:
            out.append(sent)
    return out


@dataclass
class _Unit:
    """A block's text (or the part of it before a recommendation marker) waiting to be split into sentences."""

    text: str
    section: Section
    area: str
    grade: str
    recommendation: bool


def _area_after(heading: str, area: str, heading_grade: str, non_finding: bool) -> tuple[str, str]:
    """The area (and the grade a heading gave it) in force after ``heading``, in a graded report."""
    got = grading.area_of_heading(heading)
    if got is not None:
        return got
    if non_finding:
        return "overall", ""  # the area statistics stand between the summary and the areas
    low = heading.strip().lower()
    if low == "executive summary" and area != "lscb":
        return "overall", ""
    g = grading.bare_grade(heading)
    if g and not heading_grade:
        return area, g  # a SIF area heading's grade, on the line after it
    return area, heading_grade
