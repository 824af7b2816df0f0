"""English local authorities with children's services, and finding the one a text names.

The table is ``ofsted_nlp/data/authorities.csv``, built from the shared
reference lookup by ``scripts/build_authorities.py`` (sources and corrections
are listed in ``docs/authorities.md``).  It has one row per authority,
including the defunct predecessors older letters name (Bournemouth, Poole, the
old Dorset County Council, Northamptonshire and Cumbria), each with the dates
it was valid.

Matching is exact after normalisation: case, apostrophes and possessive "'s",
"&" versus "and", "St."/"St"/"Saint", hyphens and other punctuation are
ignored, and names must match whole words.  Nothing is fuzzy-matched; but a
name written with look-alike letters of another script (a Cyrillic "а" in
"Hackney") or with invisible characters or bidirectional marks inside it is
read as it looks (:func:`fold_confusables`).

Example::

    >>> find_authority("Focused visit to Bedford Borough Council children's services").old_la_code
    '822'
    >>> authority_by_code("E09000012").la_name
    'Hackney'
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

__all__ = ["Authority", "load_authorities", "find_authority", "authority_by_code", "forms", "core_name",
           "fold_confusables"]


@dataclass(frozen=True)
class Authority:
    """One local authority (children's services authority) in England.

    Attributes:
        la_name: DfE's name for the authority, e.g. ``"Hackney"``,
            ``"Bristol, City of"``, ``"County Durham"``.
        old_la_code: DfE three-digit LA number as a string, e.g. ``"204"``.
        new_la_code: ONS (GSS) code, e.g. ``"E09000012"``.
        region_code: ONS region code, e.g. ``"E12000007"``.
        region_name: ONS region name, e.g. ``"London"``.
        la_type: ``"London Borough"``, ``"Metropolitan District"``,
            ``"Unitary Authority"`` or ``"County"``.
        urn: Ofsted's unique reference number for the authority, or ``None``
            where unknown.
        aliases: other names letters use, e.g. ``("London Borough of Hackney",
            "Hackney Council")``.
        valid_from: first day the authority existed, or ``None`` if it predates
            the letters (2009 onwards).
        valid_to: last day the authority existed, or ``None`` if it still does.
    """

    la_name: str
    old_la_code: str
    new_la_code: str
    region_code: str
    region_name: str
    la_type: str
    urn: str | None
    aliases: tuple[str, ...]
    valid_from: datetime.date | None
    valid_to: datetime.date | None

    @property
    def names(self) -> tuple[str, ...]:
        """``la_name`` followed by the aliases."""
        return (self.la_name, *self.aliases)

    @property
    def is_current(self) -> bool:
        """True if the authority has not been abolished."""
        return self.valid_to is None

    def is_valid_on(self, day: datetime.date) -> bool:
        """True if the authority existed on ``day``."""
        if isinstance(day, datetime.datetime):
            day = day.date()
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


# ONS codes no longer in use, mapped to the DfE number of the authority that
# carries on under a new ONS code (same council and same DfE number).
# Accepted by authority_by_code only; see docs/authorities.md.
SUPERSEDED_ONS_CODES: dict[str, str] = {
    "E08000016": "370",  # Barnsley, recoded E08000038 in 2025 (boundary change)
    "E08000019": "373",  # Sheffield, recoded E08000039 in 2025 (boundary change)
    "E10000002": "825",  # Buckinghamshire County Council -> unitary E06000060, 2020-04-01
    "E10000023": "815",  # North Yorkshire County Council -> unitary E06000065, 2023-04-01
    "E10000027": "933",  # Somerset County Council -> unitary E06000066, 2023-04-01
    "E06000048": "929",  # Northumberland, recoded E06000057 on 2013-04-01 (boundary change)
    "E08000020": "390",  # Gateshead, recoded E08000037 on 2013-04-01 (boundary change)
    "E10000010": "840",  # Durham county -> unitary County Durham E06000047, 2009-04-01
    "E10000022": "929",  # Northumberland county -> unitary, 2009-04-01
    "E10000026": "893",  # Shropshire county -> unitary E06000051, 2009-04-01
    "E10000033": "865",  # Wiltshire county -> unitary E06000054, 2009-04-01
}


def _date(value: str) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


@functools.cache
def load_authorities() -> tuple[Authority, ...]:
    """Return every authority in the table (current and defunct), cached.

    Rows are in the committed CSV's order (by ``la_name``).  Use
    :attr:`Authority.is_current` or :meth:`Authority.is_valid_on` to select
    the authorities of a given date.
    """
    text = resources.files("ofsted_nlp").joinpath("data", "authorities.csv").read_text(encoding="utf-8")
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        out.append(
            Authority(
                la_name=row["la_name"],
                old_la_code=row["old_la_code"],
                new_la_code=row["new_la_code"],
                region_code=row["region_code"],
                region_name=row["region_name"],
                la_type=row["la_type"],
                urn=row["urn"] or None,
                aliases=tuple(a for a in row["aliases"].split(";") if a),
                valid_from=_date(row["valid_from"]),
                valid_to=_date(row["valid_to"]),
            )
        )
    return tuple(out)


# Ofsted's ways of writing an authority around its name. The name inside is the
# authority's "core" name (``la_name`` without a trailing ", City of" or ", County
# of", as DfE sorts "Bristol, City of"), so "City of Bristol", "Bristol City
# Council", "Royal Borough of Greenwich" and "London Borough of Hackney" all
# stand for their authority. Short forms the rules cannot make ("Newcastle" for
# Newcastle upon Tyne) are listed in ``data/authority_forms.csv``.
_SORTED_SUFFIX = re.compile(r",\s*(city|county|borough) of$", re.I)
FORM_TEMPLATES: tuple[str, ...] = (
    "{core}",
    "{core} Council",
    "{core} City Council",
    "{core} County Council",
    "{core} Borough Council",
    "{core} Metropolitan Borough Council",
    "{core} Metropolitan District Council",
    "City of {core}",
    "City of {core} Council",
    "County of {core}",
    "London Borough of {core}",
    "Royal Borough of {core}",
    "Borough of {core}",
)


def core_name(la_name: str) -> str:
    """``la_name`` as written in running text: "Bristol, City of" -> "Bristol"."""
    return _SORTED_SUFFIX.sub("", la_name).strip()


@functools.cache
def short_forms() -> dict[str, tuple[str, ...]]:
    """DfE number -> the short forms of ``data/authority_forms.csv`` ("391" -> ("Newcastle",))."""
    text = resources.files("ofsted_nlp").joinpath("data", "authority_forms.csv").read_text(
        encoding="utf-8")
    out: dict[str, tuple[str, ...]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        out[row["old_la_code"]] = out.get(row["old_la_code"], ()) + (row["form"],)
    return out


def forms(a: Authority) -> tuple[str, ...]:
    """Every form of ``a``'s name this module finds: its names, its core name in
    :data:`FORM_TEMPLATES`, and its short forms."""
    core = core_name(a.la_name)
    out = list(a.names) + [t.format(core=core) for t in FORM_TEMPLATES]
    for short in short_forms().get(a.old_la_code, ()):
        out += [short, f"{short} Council", f"{short} City Council"]
    return tuple(dict.fromkeys(out))


@functools.cache
def _codes() -> dict[str, Authority]:
    table: dict[str, Authority] = {}
    for a in load_authorities():
        table[a.old_la_code] = a
        table[a.new_la_code] = a
    for old, dfe in SUPERSEDED_ONS_CODES.items():
        table.setdefault(old, table[dfe])
    return table


def authority_by_code(code: str) -> Authority | None:
    """Return the authority with DfE number or ONS code ``code``, else ``None``.

    Accepts ``"204"``, ``204`` or ``"E09000012"`` (case and surrounding space
    ignored), and ONS codes since superseded for an authority that continues
    (:data:`SUPERSEDED_ONS_CODES`, e.g. Barnsley's ``"E08000016"``).  Defunct
    authorities are found by their own codes (``"835"`` is the old Dorset
    County Council, ``"838"`` today's Dorset Council).
    """
    if code is None:
        return None
    return _codes().get(str(code).strip().upper())


# ---------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------
# Soft hyphen, zero-width characters, the word joiner and BOM, and the bidirectional marks, embeddings,
# overrides and isolates (U+061C, U+200E/U+200F, U+202A-U+202E, U+2066-U+2069): invisible in a name.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_APOSTROPHE_S = re.compile("[\u2019\u2018\u02bc'`]s\\b", re.IGNORECASE)
_APOSTROPHE = re.compile("[\u2019\u2018\u02bc'`]")
_WORD = re.compile(r"[^\W_]+")
_TOKEN_SYNONYMS = {"saint": "st"}

# A name directly followed by one of these is part of an address ("Cumberland
# Place", "Derby Road"), not the authority: skipped.
_ADDRESS_WORDS = frozenset(
    "street road place square avenue lane way house gate close drive crescent terrace court walk row buildings quay parade".split()
)
# ... and so is a name followed by a postcode, directly or after one more word:
# the post town or locality of an address ("Manchester M1 2WD" and
# "Westminster, London SW1H 9EX" in Ofsted's own letterheads).
_POSTCODE_OUTWARD = re.compile(r"[a-z]{1,2}[0-9][a-z0-9]?")
_POSTCODE_INWARD = re.compile(r"[0-9][a-z]{2}")
# One-word names that are also common English words: matched only when written
# with a capital ("Reading", "Bury"), not in "reading the files" -- unless the
# text is all lower or all upper case, when capitals carry no information.
_CAPITALISED_ONLY = frozenset({"reading", "bury"})


_NON_ASCII_LETTER = re.compile(r"[^\W\x00-\x7f]")  # a letter or digit beyond ASCII (not a curly quote)
_NON_ASCII_WORD = re.compile(r"(?<![^\W_])[^\W_]*[^\W\x00-\x7f][^\W_]*")  # a word with one (tried at word starts)


@functools.cache
def _latin_lookalike(ch: str) -> str:
    """The ASCII letter ``ch`` looks like (Unicode's confusables: Cyrillic "а" -> "a", Greek "Ο" -> "O"),
    else ``ch``."""
    if ch.isascii() or not ch.isalpha():
        return ch
    from confusable_homoglyphs.confusables import confusables_data  # Unicode's confusables.txt, as JSON

    for glyph in confusables_data.get(ch, ()):
        c = glyph["c"]
        if len(c) == 1 and c.isascii() and c.isalpha():
            # Unicode's prototype of the I/l/1 look-alikes is "l": a capital stands for "I"
            return "I" if c == "l" and ch.isupper() else c
    return ch


def _fold_word(m: re.Match) -> str:
    word = m.group()
    folded = "".join(_latin_lookalike(ch) for ch in word)
    # The script check: a word is read as Latin only if every letter of it is Latin or looks like
    # one ("Hаckney" with a Cyrillic "а"); a word of another script is left as written.
    return folded if folded.isascii() else word


def fold_confusables(text: str) -> str:
    """``text`` after NFKC, without invisible characters and bidirectional marks, and with each word
    that is written in look-alikes of Latin letters (Cyrillic, Greek, ...) spelt in Latin letters.

    >>> fold_confusables("London Borough of H\u0430ckney and Is\u200blington")
    'London Borough of Hackney and Islington'
    """
    if text.isascii():
        return text
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return _NON_ASCII_WORD.sub(_fold_word, text) if _NON_ASCII_LETTER.search(text) else text


def name_words(text: str) -> list[str]:
    """Split ``text`` into normalised words (look-alike letters folded: :func:`fold_confusables`),
    keeping their original case."""
    if not text.isascii():
        text = fold_confusables(text)
    if "&" in text:
        text = text.replace("&", " and ")
    if not text.isascii() or "'" in text or "`" in text:
        text = _APOSTROPHE.sub("", _APOSTROPHE_S.sub("", text))
    return _WORD.findall(text)


def name_key(words: list[str]) -> tuple[str, ...]:
    return tuple(_TOKEN_SYNONYMS.get(w, w) for w in (w.lower() for w in words))


def _preference(a: Authority) -> tuple[int, datetime.timedelta]:
    # current authorities first, then the most recently abolished
    return (0 if a.valid_to is None else 1, datetime.date.max - (a.valid_to or datetime.date.max))


@functools.cache
def _index() -> dict[str, tuple[tuple[tuple[str, ...], tuple[Authority, ...]], ...]]:
    """First word -> ((name words, authorities with that name), ...), longest first."""
    by_name: dict[tuple[str, ...], list[Authority]] = {}
    for a in load_authorities():
        # Its own names first: a form made by the rules never takes a name from
        # another authority that has it as its own.
        for name in a.names:
            key = name_key(name_words(name))
            if key and a not in by_name.setdefault(key, []):
                by_name[key].append(a)
    own = set(by_name)
    for a in load_authorities():
        for name in forms(a)[len(a.names):]:
            key = name_key(name_words(name))
            if key and key not in own and a not in by_name.setdefault(key, []):
                by_name[key].append(a)
    grouped: dict[str, list[tuple[tuple[str, ...], tuple[Authority, ...]]]] = {}
    for key, auths in by_name.items():
        grouped.setdefault(key[0], []).append((key, tuple(sorted(auths, key=_preference))))
    return {first: tuple(sorted(entries, key=lambda e: -len(e[0]))) for first, entries in grouped.items()}


def _postcode_at(words: list[str], i: int) -> bool:
    return (
        i + 1 < len(words)
        and _POSTCODE_OUTWARD.fullmatch(words[i]) is not None
        and _POSTCODE_INWARD.fullmatch(words[i + 1]) is not None
    )


def _in_address(words: list[str], end: int) -> bool:
    """True if the name ending before ``words[end]`` is part of a postal address."""
    if end >= len(words):
        return False
    if words[end] in _ADDRESS_WORDS:
        return True
    # "Manchester M1 2WD", or with a post town between: "Westminster, London SW1H 9EX"
    return _postcode_at(words, end) or _postcode_at(words, end + 1)


def find_authority(text: str, on_date: datetime.date | None = None) -> Authority | None:
    """Return the authority named in ``text``, or ``None`` if none is named.

    Meant for a letter's heading or opening lines, e.g. "Focused visit to
    Bedford Borough Council children's services" or "Inspection of Croydon
    local authority children's services".

    * Names (``la_name`` and aliases) match as whole words after normalising
      case, apostrophes and possessives, "&"/"and", "St."/"St"/"Saint" and
      hyphens or other punctuation.  No fuzzy matching.
    * The authority named first in the text wins; where names overlap at the
      same place the longest wins ("North Lincolnshire" over "Lincolnshire",
      "Kingston upon Thames" over nothing shorter, "North Yorkshire" over
      "York", which whole-word matching never finds in "Yorkshire").
    * With ``on_date``, authorities not in existence on that date are
      excluded, and same-named ones are told apart by date ("Dorset" is
      DfE 835 before 2019-04-01 and 838 from then).  A name whose authorities
      are all excluded is skipped whole, so "Bournemouth, Christchurch and
      Poole" dated 2018 does not fall back to Bournemouth or Poole.  Without
      ``on_date``, a name shared by several authorities resolves to the
      current one.
    * A name followed by a postcode ("Manchester M1 2WD", "Westminster,
      London SW1H 9EX") or by a street word ("Cumberland Place", "Derby
      Road") is taken as part of an address and skipped.  In mixed-case text
      "Reading" and "Bury" must be capitalised.
    """
    if not text:
        return None
    if isinstance(on_date, datetime.datetime):
        on_date = on_date.date()
    originals = name_words(text)
    words = list(name_key(originals))
    mixed_case = not (text.islower() or text.isupper())  # else capitals tell nothing
    index = _index()
    n = len(words)
    i = 0
    while i < n:
        entries = index.get(words[i])
        nxt = i + 1
        for key, auths in entries or ():
            end = i + len(key)
            if end > n or (len(key) > 1 and tuple(words[i:end]) != key):
                continue
            if len(key) == 1 and key[0] in _CAPITALISED_ONLY and mixed_case and not originals[i][:1].isupper():
                continue
            if _in_address(words, end):
                continue  # a shorter name here may still stand ("Walsall" in "Walsall Council House")
            if on_date is None:
                return auths[0]
            for a in auths:
                if a.is_valid_on(on_date):
                    return a
            # The name here belongs to authorities not in existence on on_date:
            # excluded, and the words it spans are not re-read as shorter names
            # ("Poole" inside "Bournemouth, Christchurch and Poole").
            nxt = end
            break
        i = nxt
    return None


# ---------------------------------------------------------------------------
# Statistical neighbours
# ---------------------------------------------------------------------------
@functools.cache
def _neighbour_codes() -> dict[str, tuple[str, ...]]:
    text = resources.files("ofsted_nlp").joinpath("data", "authorities.csv").read_text(encoding="utf-8")
    return {row["old_la_code"]: tuple(c for c in (row.get("stat_neighbours") or "").split(";") if c)
            for row in csv.DictReader(io.StringIO(text))}


def statistical_neighbours(code: str) -> tuple[Authority, ...]:
    """The DfE's ten statistical neighbours of the authority with DfE number or ONS code ``code``,
    closest first (as in DfE's children's services benchmarking tool), as :class:`Authority` rows.

    Raises ``KeyError`` for a code that is no authority's; an authority that no
    longer exists (Cumbria, Poole, ...) has none, so the result is empty.

    >>> [a.la_name for a in statistical_neighbours("204")][:3]
    ['Southwark', 'Islington', 'Haringey']
    """
    authority = authority_by_code(code)
    if authority is None:
        raise KeyError(f"no authority has the code {code!r}")
    return tuple(a for c in _neighbour_codes().get(authority.old_la_code, ()) if (a := authority_by_code(c)))
