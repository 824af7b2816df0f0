"""English local authorities: names, aliases, DfE and ONS codes, regions and statistical neighbours.

The table ships as package data (``ofsted_nlp/data/authorities.csv``); :mod:`.lookup` finds an
authority in a document's text and answers by code.
"""

from __future__ import annotations

from ofsted_nlp.authorities.lookup import (
    Authority,
    authority_by_code,
    core_name,
    find_authority,
    fold_confusables,
    forms,
    load_authorities,
    statistical_neighbours,
)

__all__ = ["Authority", "authority_by_code", "core_name", "find_authority", "fold_confusables", "forms", "load_authorities",
           "statistical_neighbours"]
