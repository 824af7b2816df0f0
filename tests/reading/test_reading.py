"""Reading letters and reports: cleaning, metadata, sections and findings."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections import Counter

import pytest
from conftest import SEEDS, seed

from ofsted_nlp import OfstedReadError, read_letter
from ofsted_nlp.reading.extraction import CodepageWarning

# Counted by hand once, sentence by sentence, from the five seed letters.
SEED_FACTS = {
    "000": {"la_name": "Hackney", "old": "204", "new": "E09000012", "date": dt.date(2011, 6, 9), "kind": "ucra",
                # 19 satisfactory sentences, one of them written twice: one finding (codebook, 2026-11-29)
                "counts": {"strength": 9, "satisfactory": 18, "unspecified": 2}},
    "001": {"la_name": "Haringey", "old": "309", "new": "E09000014", "date": dt.date(2010, 9, 16), "kind": "ucra",
                "counts": {"strength": 12, "satisfactory": 15, "development": 3, "unspecified": 1}},
    "002": {"la_name": "Hounslow", "old": "313", "new": "E09000018", "date": dt.date(2011, 7, 14), "kind": "ucra",
                # "This was an area for development at the last unannounced inspection." stands
                # three times (once satisfactory, twice development): one finding, the first
                "counts": {"satisfactory": 26, "development": 5, "unspecified": 4}},
    "003": {"la_name": "Hackney", "old": "204", "new": "E09000012", "date": dt.date(2019, 3, 4), "kind": "focused_visit",
                "counts": {"unspecified": 58, "development": 5, "priority_action": 2}},
    "004": {"la_name": "Tower Hamlets", "old": "211", "new": "E09000030", "date": dt.date(2010, 2, 24), "kind": "ucra",
                "counts": {"strength": 11, "satisfactory": 9, "development": 6, "unspecified": 1}},
}
FURNITURE = re.compile(
    r"yours sincerely|majesty's inspector|^copy:|^dear |ofsted\.gov\.uk|freshford house|piccadilly gate|"
    r"\b[A-Z]{1,2}\d{1,2}[A-Z]? ?\d[A-Z]{2}\b|investor in people|this letter summarises|"
    r"any areas for development identified above|inspectors considered a range of evidence",
    re.I,
)


@pytest.mark.parametrize("prefix", sorted(SEED_FACTS))
def test_seed_letters(prefix):
    facts = SEED_FACTS[prefix]
    letter = read_letter(seed(prefix))
    assert letter.la_name == facts["la_name"]
    assert (letter.old_la_code, letter.new_la_code) == (facts["old"], facts["new"])
    assert letter.region_name == "London" and letter.region_code == "E12000007"
    assert letter.date == facts["date"]
    assert letter.kind == facts["kind"]
    assert Counter(f.judgement for f in letter.findings) == Counter(facts["counts"])
    assert [f.index for f in letter.findings] == list(range(len(letter.findings)))
    for f in letter.findings:
        assert not FURNITURE.search(f.text), f.text


def test_page_break_is_rejoined():
    letter = read_letter(seed("000"))
    joined = [f.text for f in letter.findings if f.text.startswith("Senior managers are facilitating")]
    assert len(joined) == 1 and "with partner agencies, new procedural systems" in joined[0]


def test_visit_dates_and_sections():
    letter = read_letter(seed("003"))
    assert letter.visit_dates == (dt.date(2019, 2, 5), dt.date(2019, 2, 6))
    titles = [s.title for s in letter.sections]
    assert "Areas for priority action" in titles and "Findings" in titles
    first_dev = next(f for f in letter.findings if f.judgement == "development")
    assert first_dev.text == "children's daily lived experiences to be central to all work"


def test_lead_in_gives_judgement():
    letter = read_letter(seed("004"))
    first = next(f for f in letter.findings if f.judgement == "satisfactory")
    assert first.text.startswith("Referrals are allocated promptly")


def _render_pdf(text: str, path, lines_per_page: int = 48) -> None:
    """Lay a letter out on A4 pages as a PDF with a real text layer, wrapped, with page numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    lines: list[str] = []
    for para in text.splitlines():
        lines.extend(textwrap.wrap(para, 90) or [""])
    with PdfPages(path) as pdf:
        for start in range(0, len(lines), lines_per_page):
            fig = plt.figure(figsize=(8.27, 11.69))
            for k, line in enumerate(lines[start:start + lines_per_page]):
                fig.text(0.07, 0.95 - k * 0.018, line, fontsize=8, family="DejaVu Sans")
            fig.text(0.5, 0.03, str(start // lines_per_page + 1), fontsize=8)
            pdf.savefig(fig)
            plt.close(fig)


def test_pdf_reads_like_its_text(tmp_path):
    source = seed("003")
    pdf = tmp_path / "hackney-2019.pdf"
    _render_pdf(source.read_text(encoding="utf-8"), pdf)
    from_pdf = read_letter(pdf)
    from_txt = read_letter(source)
    assert from_pdf.la_name == "Hackney" and from_pdf.kind == "focused_visit"
    assert from_pdf.date == from_txt.date
    assert [f.text for f in from_pdf.findings] == [f.text for f in from_txt.findings]
    assert [f.judgement for f in from_pdf.findings] == [f.judgement for f in from_txt.findings]


def test_running_header_with_curly_apostrophe_is_removed_mid_sentence(tmp_path):
    """Reports repeat "Inspection of ... children’s services" atop each page, often inside a sentence."""
    source = seed("003")
    lines: list[str] = []
    for para in source.read_text(encoding="utf-8").splitlines():
        lines.extend(textwrap.wrap(para, 90) or [""])
    header = "Inspection of the London Borough of Hackney children\u2019s services"
    pages = ["\n".join([header, f"11 to 12 February 2019 {k // 30 + 1}"] + lines[k:k + 30])
             for k in range(0, len(lines), 30)]
    assert len(pages) >= 3
    paged = tmp_path / "hackney-paged.txt"
    paged.write_text("\f".join(pages), encoding="utf-8")
    from_paged, from_txt = read_letter(paged), read_letter(source)
    assert [f.text for f in from_paged.findings] == [f.text for f in from_txt.findings]
    assert not any("Inspection of the London" in f.text for f in from_paged.findings)


def test_windows_1252_is_read_with_a_warning(tmp_path):
    text = seed("001").read_text(encoding="utf-8").replace("Staff morale is good.", "Staff morale is good – “very” good.")
    path = tmp_path / "cp1252.txt"
    path.write_bytes(text.encode("cp1252"))
    with pytest.warns(CodepageWarning, match="Windows-1252"):
        letter = read_letter(path)
    assert any("“very”" in f.text or '"very"' in f.text for f in letter.findings)
    assert letter.la_name == "Haringey"


def _image_only_pdf(path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig = plt.figure(figsize=(4, 4))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.imshow(np.random.default_rng(0).random((50, 50)))
    ax.axis("off")
    fig.savefig(path, format="pdf")
    plt.close(fig)


@pytest.mark.parametrize(
    "name, content, cause",
    [
        ("empty.txt", b"", "file is empty"),
        ("empty.pdf", b"", "file is empty"),
        ("error.pdf", b"<!DOCTYPE html><html><body>404 Not Found</body></html>", "HTML page"),
        ("junk.txt", bytes(range(256)) * 40, "binary data"),
        ("junk.pdf", bytes(range(256)) * 40, "not a PDF"),
        ("damaged.pdf", b"%PDF-1.7\n" + b"garbage " * 200, "damaged"),
        ("recipe.txt", ("Mix the flour and the butter, then add sugar and bake it slowly. " * 20).encode(),
         "not look like an Ofsted"),
    ],
)
def test_bad_input_raises_one_clear_error(tmp_path, name, content, cause):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(OfstedReadError) as err:
        read_letter(path)
    message = str(err.value)
    assert message.startswith(str(path)) and cause in message and "\n" not in message


def test_missing_encrypted_and_scanned(tmp_path):
    with pytest.raises(OfstedReadError, match="no such file"):
        read_letter(tmp_path / "nope.pdf")
    with pytest.raises(OfstedReadError, match="encrypted"):
        read_letter(SEEDS.parents[1] / "tests" / "fixtures" / "encrypted.pdf")
    scan = tmp_path / "scan.pdf"
    _image_only_pdf(scan)
    with pytest.raises(OfstedReadError, match="no text layer"):
        read_letter(scan)


def test_unknown_authority_warns_and_leaves_codes_empty(tmp_path):
    text = seed("003").read_text(encoding="utf-8").replace("London Borough of Hackney", "Borough of Gotham")
    text = text.replace("Hackney", "Gotham")
    path = tmp_path / "gotham.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.warns(UserWarning, match="authority not found"):
        letter = read_letter(path)
    assert letter.la_name is None and letter.new_la_code is None and letter.old_la_code is None
    assert len(letter.findings) == 65


# The cleaner's fast paths against the plain definitions they replace.
_ODD_TEXTS = [
    "", " ", "  ", "a b", "a  b", " \t\u00a0x\u2002\u2003y\u2009\u202f ", "tab\tonly", "\u00a0", "a \u00a0 b  c   d",
    "end.", 'end."', "end.')]", "end.'x", "no end", "colon:", "semi;", "q?)", "!", ")", "end.\u2019\u201d",
    "İstanbul Kelvin \u212a co-op e\ufffeffective effective Effective EFFECTIVE, naïve café x1y _under_",
]


def test_space_collapsing_matches_the_regex():
    from ofsted_nlp.reading import cleaning

    for text in _ODD_TEXTS:
        assert cleaning._collapse_spaces(text) == cleaning._SPACES_RE.sub(" ", text), repr(text)


def test_sentence_end_test_matches_the_regex():
    from ofsted_nlp.reading import cleaning

    for text in _ODD_TEXTS:
        assert cleaning._ends_sentence(text) == bool(cleaning._TERMINAL_RE.search(text)), repr(text)


def test_control_character_guard_finds_every_control_character():
    """strip_controls' two cheap classes together find what _CONTROL_RE finds, on every code point."""
    import sys

    from ofsted_nlp.reading import cleaning

    for c in map(chr, range(sys.maxunicode + 1)):
        for text in (f"ab{c}cd", f"caf\u00e9 {c}", c):
            expected = cleaning._CONTROL_RE.sub("", cleaning._ESCAPE_SEQ_RE.sub("", text)) \
                if cleaning._CONTROL_RE.search(text) else text
            assert cleaning.strip_controls(text) == expected, hex(ord(c))
    assert cleaning.strip_controls("plans\u202e are good\x1b[2J") == "plans are good"


def test_vocabulary_lookup_matches_the_word_set():
    from ofsted_nlp.reading import cleaning

    text = " ".join(_ODD_TEXTS)
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", text.replace(cleaning._SOFT_HYPHEN, " "))}
    vocab = cleaning._Vocabulary(text)
    probes = words | {"stanbul", "i", "effectiv", "ffective", "na", "ve", "caf", "co-op", "x1y", "under", "Effective",
                      "kelvin", "elvin", "", "e\ufffeffective", "zzz", "y"}
    for word in probes:
        assert (word in vocab) == (word in words), word
    assert "effective" in vocab and "ffective" in vocab and "effectiv" not in vocab and "stanbul" in vocab


# --------------------------------------------------------------------------- issue 13: findings a reader would count


def test_a_date_line_before_its_own_visit_is_corrected_with_a_warning(tmp_path):
    from ofsted_nlp.reading.letter import DateCorrectedWarning

    text = seed("003").read_text(encoding="utf-8").replace("4 March 2019", "21 January 2019")
    text = text.replace("on 5 and 6 February 2019", "on 18 and 19 December 2019")
    path = tmp_path / "wrong-year.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.warns(DateCorrectedWarning, match="2019-01-21.*2020-01-21"):
        letter = read_letter(path)
    assert letter.date == dt.date(2020, 1, 21)
    assert (letter.inspection_start, letter.inspection_end) == (dt.date(2019, 12, 18), dt.date(2019, 12, 19))
    # a date line on or after the visit is left alone
    assert read_letter(seed("003")).date == dt.date(2019, 3, 4)


def test_correct_date_keeps_day_and_month():
    from ofsted_nlp.reading.metadata import correct_date

    visit = (dt.date(2019, 12, 18), dt.date(2019, 12, 19))
    assert correct_date(dt.date(2019, 1, 21), visit) == dt.date(2020, 1, 21)
    assert correct_date(dt.date(2018, 12, 20), visit) == dt.date(2019, 12, 20)
    assert correct_date(dt.date(2016, 2, 29), (dt.date(2017, 1, 3), dt.date(2017, 1, 4))) == dt.date(2017, 2, 28)


_REPORT = """Inspection of Somewhere local authority children's services

Executive summary

Leaders know their services well and act on what audits tell them.

The experiences and progress of children who need help and protection

Inadequate

Inspection findings

Visits to children are not always recorded onto the system quickly enough. (Recommendation)
Managers do not review plans often enough to prevent drift for children in need.
(Recommendation)
Agency staff often do not have supervision. (Recommendation)
Leadership, management and governance Requires improvement

Progress is difficult to measure for children whose plans lack clear goals. Parents cannot
be clear about what is expected of them.
Some children wait too long for an assessment (Recommendation 7).

Information about this local authority area

Children living in this area
in primary schools is 14.9% (the national proportion is 15.6%)
Approximately 23% of the local authority's children are living in low-income families.

Information about this inspection

The visit was carried out by Her Majesty's Inspectors Ann Smith and Bob Jones.
"""


def _report(tmp_path, text=_REPORT):
    path = tmp_path / "somewhere.txt"
    path.write_text(text, encoding="utf-8")
    with warnings_ignored():
        return read_letter(path)


def warnings_ignored():
    import warnings

    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("ignore")

    class _Done:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            ctx.__exit__(*exc)

    return _Done()


def test_recommendation_markers_mark_the_sentence_before_them(tmp_path):
    letter = _report(tmp_path)
    by_start = {f.text.split()[0] + " " + f.text.split()[1]: f for f in letter.findings}
    assert by_start["Visits to"].recommendation and by_start["Visits to"].text.endswith("quickly enough.")
    # the marker on a line of its own marks the sentence above it
    assert by_start["Managers do"].recommendation
    # a sentence with its marker is no heading, and the heading after it is one again
    assert by_start["Agency staff"].recommendation and by_start["Agency staff"].section == "Inspection findings"
    assert by_start["Some children"].recommendation and by_start["Some children"].text.endswith("assessment.")
    assert {f.judgement for f in letter.findings if f.recommendation} == {"development"}
    assert not any("Recommendation" in f.text or f.text.endswith("(") for f in letter.findings)
    assert not any("Recommendation" in s.title for s in letter.sections)


def test_a_line_that_runs_on_into_a_sentence_is_no_heading(tmp_path):
    letter = _report(tmp_path)
    progress = [f for f in letter.findings if f.text.startswith("Progress is difficult")]
    assert len(progress) == 1 and progress[0].section.startswith("Leadership, management and governance")
    assert all(len(s.title) <= 120 for s in letter.sections)


def test_inspectors_and_area_statistics_are_no_findings(tmp_path):
    letter = _report(tmp_path)
    texts = " ".join(f.text for f in letter.findings)
    assert "14.9%" not in texts and "low-income" not in texts and "Ann Smith" not in texts


@pytest.mark.parametrize("sentence, finding", [
    ("in primary schools is 14.9% (the national proportion is 15.6%)", False),
    ("in secondary schools is 30%, well above the national average of 15%.", True),
    ("At 31 March 2016, 300 children were being looked after by the local authority.", False),
    ("At 31 March 2016, 300 children were looked after, which is too high for the resources available.", True),
    ("This is an increase from 190 at 31 March 2016.", False),
    ("At the time of the inspection, 252 children were the subject of a child protection plan.", False),
    ("At the time of the inspection, 252 children were the subject of a child protection plan, which is high "
     "compared with similar areas.", True),
    ("At the time of inspection, 29 young people remained living with their foster carers after their 18th "
     "birthday as part of the 'staying put' programme.", True),
    ("The proportion of children entitled to free school meals:", False),
    ("The proportion of children entitled to free school meals is well below the national average.", True),
    ("His Majesty's Inspectors for this visit were Sophie Wales and Margaret Burke.", False),
    ("The visit was conducted by Alison Smale and Julie Knight, two of Her Majesty's Inspectors.", False),
    ("The inspection was carried out by three inspectors over two weeks.", False),  # who inspected
    ("The visit took place on 5 and 6 February 2019 at the council's offices.", False),
    ("Caseloads seen by inspectors in the court teams ranged between 10 and 12.", True),
])
def test_non_findings_by_the_codebook_rulings(sentence, finding):
    from ofsted_nlp.reading.sentences import is_finding_text

    assert is_finding_text(sentence) is finding


def test_a_repeated_sentence_is_one_finding(tmp_path):
    text = _REPORT.replace("Leaders know their services well and act on what audits tell them.",
                           "Leaders know their services well. Children are seen quickly by their social workers.")
    text = text.replace("Inspection findings\n", "Inspection findings\n\nChildren are seen quickly by their social "
                                                 "workers. Plans are reviewed on time in most cases.\n")
    letter = _report(tmp_path, text)
    seen = [f for f in letter.findings if f.text == "Children are seen quickly by their social workers."]
    assert len(seen) == 1 and seen[0].section == "Executive summary" and seen[0].area == "overall"
    assert [f.index for f in letter.findings] == list(range(len(letter.findings)))


# Codebook rulings of 2026-11-29, as detectors that do not share the reader's patterns.
_INSPECTORS = re.compile(
    r"(her|his) majesty'?s inspectors? (for|were|was)\b|inspectors? for (this|the) (visit|inspection) (were|was)\b|"
    r"(visit|inspection) was (carried out|conducted|led) by (her|his) majesty|"
    r"(visit|inspection) was (carried out|conducted|led) by [A-Z][a-z]+ [A-Z][a-z]+ and",
    re.I,
)
_VISIT_DATES = re.compile(
    r"^(the|this) (focused |monitoring )?(visit|inspection) (took place|was held) (on|between|from) \d|"
    r"^inspection dates?:", re.I)
_AREA_FIGURES = re.compile(
    r"^in (primary|secondary) schools is [\d.]+% \(the national (average|proportion) is [\d.]+%\)\W*$|"
    r"^approximately [\d,]+ children and young people under the age of 18 years live in|"
    r"^(approximately )?[\d.]+% of the local authority'?s children are living in low-income families\W*$|"
    r"^this is an? (increase|decrease|reduction) from [\d,]+ (at|on) \d{1,2} \w+ \d{4}\W*$",
    re.I,
)


@pytest.mark.slow
def test_corpus_findings_a_reader_would_count(corpus):
    from _corpus_read import all_letters

    letters = all_letters()
    assert len(letters) > 500
    dangling, long_sections, inspectors, dates, figures, repeated = [], [], [], [], [], []
    recommendations = 0
    for doc in letters:
        seen = set()
        for f in doc.findings:
            if f.text.rstrip().endswith("(") or "(Recommendation" in f.text:
                dangling.append((doc.document, f.text))
            if len(f.section) > 120:
                long_sections.append((doc.document, f.section))
            if _INSPECTORS.search(f.text):
                inspectors.append((doc.document, f.text))
            if _VISIT_DATES.search(f.text):
                dates.append((doc.document, f.text))
            if _AREA_FIGURES.search(f.text):
                figures.append((doc.document, f.text))
            key = " ".join(re.findall(r"[a-z0-9]+", f.text.lower()))
            if key in seen:
                repeated.append((doc.document, f.text))
            seen.add(key)
            recommendations += f.recommendation
            if f.recommendation:
                assert f.judgement == "development"
        assert all(len(s.title) <= 120 for s in doc.sections if s.title), doc.document
    assert dangling == [] and long_sections == [] and repeated == []
    assert inspectors == [] and dates == [] and figures == []
    assert recommendations > 900  # "(Recommendation)" stands about 1,000 times in the SIF reports


@pytest.mark.parametrize("head, recipient", [
    ("Westminster, 9 May 2018 Caroline O'Neill Gateshead Civic Centre", "Caroline O'Neill Gateshead Civic Centre"),
    ("Piccadilly Gate Store Street Manchester M1 2WD 4 March 2019 Ms Anne Canning", "Ms Anne Canning"),
    ("Ms Anne Canning London Borough of Hackney", "Ms Anne Canning London Borough of Hackney"),
])
def test_the_recipient_is_what_follows_the_letters_date(head, recipient):
    from ofsted_nlp.reading.metadata import recipient as read_recipient

    assert read_recipient(head).strip() == recipient
