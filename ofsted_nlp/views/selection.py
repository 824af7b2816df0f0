"""Choosing which documents to compare: by region, authority, date, kind, or an authority's statistical neighbours.

Every function takes a findings table (``findings_table``, ``ofsted-nlp tag``
output read back) or a per-document table (:func:`ofsted_nlp.documents.documents_table`):
any DataFrame with ``la_name``, ``old_la_code``, ``new_la_code``, ``region_name``,
``date`` and ``kind`` columns. Selecting never reorders rows, except
:func:`neighbours`, which puts the authority first.

>>> from ofsted_nlp.views.selection import select, neighbours
>>> london_since_2018 = select(table, region="London", since="2018-01-01")       # doctest: +SKIP
>>> hackney_and_neighbours = neighbours(table, "E09000012")                      # doctest: +SKIP
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ofsted_nlp.authorities.lookup import (
    Authority,
    authority_by_code,
    find_authority,
    load_authorities,
    statistical_neighbours,
)
from ofsted_nlp.schema import FRAMEWORKS, GRADES, KIND_LABELS, KINDS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "REGIONS",
    "Selection",
    "counted",
    "neighbour_group",
    "neighbours",
    "resolve_authority",
    "resolve_framework",
    "resolve_kind",
    "resolve_region",
    "select",
]

# ONS region code -> name, from the authority table.
REGIONS: dict[str, str] = dict(sorted({a.region_code: a.region_name for a in load_authorities()}.items()))


def counted(n: int, noun: str) -> str:
    """"1 document", "2 documents": a count and its noun, plural where it is not one."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _norm(text: str) -> str:
    return " ".join(str(text).replace("&", "and").casefold().split())


def resolve_region(region: str) -> tuple[str, str]:
    """(ONS code, name) of a region given by name ("London", case ignored) or code ("E12000007").

    Raises ``ValueError`` naming the regions when it is neither.
    """
    key = _norm(region)
    for code, name in REGIONS.items():
        if key in (code.casefold(), _norm(name)):
            return code, name
    raise ValueError(f"no region {region!r}; use one of: " + ", ".join(REGIONS.values()) + " (or its E12 code)")


def resolve_authority(authority: str) -> Authority:
    """The authority given by DfE number ("204"), ONS code ("E09000012") or name ("Hackney", "Bristol").

    A name must name one authority exactly (after the matcher's
    normalisation): "London Borough of Hackney" works, "Hack" does not.
    Raises ``ValueError`` otherwise.
    """
    text = str(authority).strip()
    found = authority_by_code(text)
    if found is not None:
        return found
    found = find_authority(text)
    if found is not None and _name_key(text) in {_name_key(n) for n in found.names}:
        return found
    raise ValueError(f"no authority named or coded {authority!r}")


def _name_key(text: str) -> tuple[str, ...]:
    from ofsted_nlp.authorities.lookup import name_key, name_words

    return name_key(name_words(text))


def resolve_kind(kind: str) -> str:
    """A kind of document by its name ("focused_visit") or label ("focused visit"); ``ValueError`` if neither."""
    key = _norm(kind).replace("-", "_")
    for k in KINDS:
        if key in (k, _norm(KIND_LABELS[k]), k.replace("_", " ")):
            return k
    raise ValueError(f"no kind {kind!r}; use one of: {', '.join(KINDS)}")


def resolve_framework(framework: str) -> str:
    """An inspection framework by name ("ilacs_short", "ILACS short", "ilacs-short"); ``ValueError`` if none."""
    key = _norm(framework).replace("-", "_").replace(" ", "_")
    if key in FRAMEWORKS:
        return key
    raise ValueError(f"no framework {framework!r}; use one of: {', '.join(FRAMEWORKS)}")


OVERALL = "overall_effectiveness"


def resolve_grade(grade: str) -> str:
    """A grade by name ("inadequate", "requires improvement", "requires_improvement"); ``ValueError`` if none."""
    key = _norm(grade).replace(" ", "_").replace("-", "_")
    if key in GRADES:
        return key
    raise ValueError(f"no grade {grade!r}; use one of: {', '.join(GRADES)}")


def _date(value: str | datetime.date | None) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)") from None


def _codes(table: pd.DataFrame) -> pd.Series:
    import pandas as pd

    """Each row's DfE number as text ("204"), whatever the table's dtypes (CSV read back gives ints)."""
    if "old_la_code" not in table.columns:
        raise ValueError("the table lacks the old_la_code column")
    return pd.Series([_code_text(v) for v in table["old_la_code"]], index=table.index, dtype=object)


def _code_text(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = str(value).strip()
    return text.removesuffix(".0")


def _dates(table: pd.DataFrame) -> pd.Series:
    import pandas as pd

    return pd.to_datetime(table["date"].astype(object).where(table["date"].notna(), None), errors="coerce")


@dataclass(frozen=True)
class Selection:
    """What to keep; each criterion given narrows the selection (authorities: any of them)."""

    region: str | None = None
    authorities: tuple[str, ...] = ()
    since: datetime.date | str | None = None
    until: datetime.date | str | None = None
    kinds: tuple[str, ...] = ()
    neighbours_of: str | None = None
    grades: tuple[str, ...] = ()  # overall effectiveness, as schema.GRADES (e.g. "inadequate")
    frameworks: tuple[str, ...] = ()  # schema.FRAMEWORKS (e.g. "ilacs_standard", "jtai")

    def describe(self, documents: int | None = None) -> str:
        """What was selected, in words, for titles: "London, 2018-01-01 to 2024-12-31, 40 documents"."""
        parts = []
        if self.neighbours_of:
            parts.append(f"{resolve_authority(self.neighbours_of).la_name} and its statistical neighbours")
        if self.region:
            parts.append(resolve_region(self.region)[1])
        if self.authorities:
            parts.append(", ".join(resolve_authority(a).la_name for a in self.authorities))
        since, until = _date(self.since), _date(self.until)
        if since and until:
            parts.append(f"{since} to {until}")
        elif since:
            parts.append(f"since {since}")
        elif until:
            parts.append(f"until {until}")
        if self.kinds:
            parts.append(", ".join(KIND_LABELS[resolve_kind(k)] + "s" for k in self.kinds))
        if self.frameworks:
            parts.append(", ".join(resolve_framework(f).replace("_", " ") for f in self.frameworks))
        if self.grades:
            parts.append("graded " + " or ".join(resolve_grade(g).replace("_", " ") for g in self.grades)
                         + " overall")
        if documents is not None:
            parts.append(counted(documents, "document"))
        return ", ".join(parts) if parts else "all documents"

    def apply(self, table: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``table`` selected (the authority first when ``neighbours_of`` is set)."""
        out = select(table, region=self.region, authority=self.authorities or None, since=self.since,
                     until=self.until, kind=self.kinds or None, grade=self.grades or None,
                     framework=self.frameworks or None)
        if self.neighbours_of:
            out = neighbours(out, self.neighbours_of)
        return out

    def matches(self, document: dict) -> bool:
        """Whether one document (a dict with ``old_la_code``, ``date`` and ``kind``, as ``Letter.metadata()``)
        is selected: the test :meth:`apply` makes, for one document at a time (e.g. while streaming)."""
        return self.rank(document) is not None

    def rank(self, document: dict) -> int | None:
        """``None`` if the document is not selected, else its group's place: 0 for every selected document,
        or with ``neighbours_of`` 0 for the authority and 1-10 for its neighbours, closest first."""
        code = _code_text(document.get("old_la_code"))
        if self.region:
            region_code, _ = resolve_region(self.region)
            authority = authority_by_code(code) if code else None
            if authority is None or authority.region_code != region_code:
                return None
        if self.authorities and code not in {resolve_authority(a).old_la_code for a in self.authorities}:
            return None
        since, until = _date(self.since), _date(self.until)
        if since or until:
            try:
                day = datetime.date.fromisoformat(str(document.get("date") or "")[:10])
            except ValueError:
                return None
            if (since and day < since) or (until and day > until):
                return None
        if self.kinds and document.get("kind") not in {resolve_kind(k) for k in self.kinds}:
            return None
        if self.grades and document.get(OVERALL) not in {resolve_grade(g) for g in self.grades}:
            return None
        if self.frameworks and document.get("framework") not in {resolve_framework(f) for f in self.frameworks}:
            return None
        if self.neighbours_of:
            group = [a.old_la_code for a in neighbour_group(self.neighbours_of)]
            return group.index(code) if code in group else None
        return 0

    def store_query(self):
        """The selection as a findings store queries it (:class:`ofsted_nlp.store.reading.Query`): the store
        reads only the documents it may keep; :meth:`rank` is then the exact test."""
        from ofsted_nlp.store.reading import Query

        if self.empty:
            return None
        region = None
        if self.region:
            code, name = resolve_region(self.region)
            region = (name, frozenset(a.old_la_code for a in load_authorities() if a.region_code == code))
        code_sets = []
        if self.authorities:
            code_sets.append(frozenset(resolve_authority(a).old_la_code for a in self.authorities))
        if self.neighbours_of:
            code_sets.append(frozenset(a.old_la_code for a in neighbour_group(self.neighbours_of)))
        since, until = _date(self.since), _date(self.until)
        return Query(region=region, code_sets=tuple(code_sets), since=since.isoformat() if since else None,
                     until=until.isoformat() if until else None,
                     kinds=frozenset(resolve_kind(k) for k in self.kinds),
                     grades=frozenset(resolve_grade(g) for g in self.grades))

    @property
    def empty(self) -> bool:
        return not (self.region or self.authorities or self.since or self.until or self.kinds or self.neighbours_of
                    or self.grades or self.frameworks)


def select(table: pd.DataFrame, region: str | None = None, authority: str | Iterable[str] | None = None,
           since: datetime.date | str | None = None, until: datetime.date | str | None = None,
           kind: str | Iterable[str] | None = None, grade: str | Iterable[str] | None = None,
           framework: str | Iterable[str] | None = None) -> pd.DataFrame:
    """The rows of ``table`` in ``region`` (name or E12 code), of ``authority`` (name or code, or several),
    dated from ``since`` to ``until`` (inclusive; ISO text or dates), of ``kind`` (one or several), graded
    ``grade`` for overall effectiveness (one or several of ``schema.GRADES``: needs the
    ``overall_effectiveness`` column, which the reader gives to documents) and of ``framework`` (one or
    several of ``schema.FRAMEWORKS``, finer than the kind: ``ilacs_standard`` against ``ilacs_short``,
    ``jtai``; needs the ``framework`` column).

    Rows without a date are dropped when ``since`` or ``until`` is given; rows
    without an authority when ``region`` or ``authority`` is. Order is kept.
    Raises ``ValueError`` for an unknown region, authority or kind, or a bad date.
    """
    import pandas as pd

    keep = pd.Series(True, index=table.index)
    if region is not None:
        code, name = resolve_region(region)
        codes = _codes(table)
        in_region = {a.old_la_code for a in load_authorities() if a.region_code == code}
        keep &= codes.isin(in_region) | (table["region_name"].astype(object) == name)
    if authority is not None:
        wanted = [authority] if isinstance(authority, str) else list(authority)
        keep &= _codes(table).isin({resolve_authority(a).old_la_code for a in wanted})
    lo, hi = _date(since), _date(until)
    if lo is not None or hi is not None:
        dates = _dates(table)
        if lo is not None:
            keep &= dates >= pd.Timestamp(lo)
        if hi is not None:
            keep &= dates <= pd.Timestamp(hi)
    if kind is not None:
        kinds = {resolve_kind(k) for k in ([kind] if isinstance(kind, str) else kind)}
        keep &= table["kind"].isin(kinds)
    if grade is not None:
        if OVERALL not in table.columns:
            raise ValueError(f"the table has no {OVERALL} column: grades were not read")
        grades = {resolve_grade(g) for g in ([grade] if isinstance(grade, str) else grade)}
        keep &= table[OVERALL].isin(grades)
    if framework is not None:
        if "framework" not in table.columns:
            raise ValueError("the table has no framework column")
        frameworks = {resolve_framework(f) for f in ([framework] if isinstance(framework, str) else framework)}
        keep &= table["framework"].isin(frameworks)
    return table[keep.to_numpy(dtype=bool)]


def neighbour_group(code: str) -> tuple[Authority, ...]:
    """The authority (by name or code) followed by its ten DfE statistical neighbours, closest first."""
    authority = resolve_authority(code)
    return (authority, *statistical_neighbours(authority.old_la_code))


def neighbours(table: pd.DataFrame, code: str) -> pd.DataFrame:
    """The rows of the authority ``code`` (name or code) and of its ten statistical neighbours:
    the authority's rows first, then each neighbour's, closest first; each group keeps its order."""
    group = [a.old_la_code for a in neighbour_group(code)]
    rank = {c: i for i, c in enumerate(group)}
    codes = _codes(table)
    kept = table[codes.isin(rank).to_numpy(dtype=bool)]
    order = sorted(range(len(kept)), key=lambda i: (rank[codes.loc[kept.index[i]]], i))
    return kept.iloc[order]
