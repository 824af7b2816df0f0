"""The same document twice in one batch: a ``.pdf`` and its ``.txt`` copy, or one file under two names.

Counted twice, such a document doubles its authority's findings and documents
(an authority with two inspections shows ``documents=3``). Two documents are
the same where they are of the same authority and kind, end on the same day
(or, where either has no visit dates read, bear the same date) and share nearly
all their findings: at least
:data:`SAME_FINDINGS` of the findings of the smaller, compared by their normal
form (:func:`~ofsted_nlp.reading.normal_form.normalise`), which a ``.txt`` copy
keeps though its line breaks and page furniture differ. The first in the
batch's order is kept; each later copy is reported in one line and left out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ofsted_nlp.reading.normal_form import normalise

__all__ = ["SAME_FINDINGS", "findings_key", "Duplicates"]

SAME_FINDINGS = 0.9


def findings_key(texts: list[str]) -> frozenset[str]:
    """A document's findings as a set of short digests of their normal form (kept in place of the texts)."""
    return frozenset(hashlib.blake2b(normalise(t).encode("utf-8"), digest_size=8).hexdigest() for t in texts)


def _identity(document: dict) -> tuple:
    return (document.get("new_la_code") or document.get("la_name") or "", document.get("kind"))


def _same_dates(a: dict, b: dict) -> bool:
    """The same inspection's dates: its last day where both read it (a .txt copy has no PDF date), else the date."""
    if a.get("inspection_end") and b.get("inspection_end"):
        return bool(a["inspection_end"] == b["inspection_end"])
    return bool(a.get("date") == b.get("date"))


@dataclass
class Duplicates:
    """Remembers the documents of one batch; :meth:`of` names the earlier one a document repeats."""

    seen: dict[tuple, list[tuple[str, dict, frozenset[str]]]] = field(default_factory=dict)

    def of(self, path: str, document: dict, key: frozenset[str]) -> tuple[str, float] | None:
        """(earlier path, share of findings in common) if this document repeats one seen before, else None
        (and it is remembered)."""
        identity = _identity(document)
        earlier = self.seen.setdefault(identity, [])
        for other_path, other, other_key in earlier:
            smaller = min(len(key), len(other_key))
            if smaller == 0 or not _same_dates(document, other):
                continue
            shared = len(key & other_key) / smaller
            if shared >= SAME_FINDINGS:
                return other_path, shared
        earlier.append((path, document, key))
        return None
