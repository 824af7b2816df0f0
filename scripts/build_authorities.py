#!/usr/bin/env python3
"""Build ``ofsted_nlp/data/authorities.csv``, the project's authority table.

Reads the shared reference lookup (``../shared/reference/la_lookup.csv``, from
the data-to-insight Ofsted ILACS scrape tool), applies the corrections listed
in :data:`CORRECTIONS` (each one with its reason and the value the source is
expected to hold, so a changed source fails loudly instead of being silently
"corrected"), adds the defunct predecessor authorities that older letters name
(:data:`DEFUNCT`), attaches aliases, checks the result and writes it.

Usage::

    python scripts/build_authorities.py [LOOKUP_CSV] [--out PATH] [--check]

``--check`` compares the build with the committed file instead of writing it
(exit status 1 when they differ).  See ``docs/authorities.md`` for the sources
and for every correction.

Evidence used for the corrections (see docs/authorities.md):

* DfE's own geography lookup ``las.csv`` in
  github.com/dfe-analytical-services/dfe-published-data-qa (``data/las.csv``):
  DfE three-digit code, ONS code, DfE name, region code, dates of operation and
  termination for every English local authority since 2009;
* dfeR ``data-raw/old_la_codes.csv`` (DfE name / old / new code triples);
* the lookup's own ``stat_neighbours`` / ``stat_neighbours_la_code`` columns,
  which pair every DfE code with an ONS code and disagree with the broken
  ``ltla23cd`` values (e.g. 825 is paired with E06000060 sixteen times);
* ONS region codes E12000001-E12000009.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
import unicodedata
from collections import defaultdict
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "reference" / "la_lookup.csv"
DEFAULT_OUT = REPO / "ofsted_nlp" / "data" / "authorities.csv"

COLUMNS = [
    "la_name",
    "old_la_code",
    "new_la_code",
    "region_code",
    "region_name",
    "la_type",
    "urn",
    "aliases",
    "valid_from",
    "valid_to",
    "stat_neighbours",
]

# ONS region (former Government Office Region) codes and names.
REGIONS = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
}
# The source's own short region abbreviations (column ``region_code``).
REGION_ABBREVIATIONS = {
    "NE": "E12000001",
    "NW": "E12000002",
    "YH": "E12000003",
    "EM": "E12000004",
    "WM": "E12000005",
    "E": "E12000006",
    "GL": "E12000007",
    "SE": "E12000008",
    "SW": "E12000009",
}
LA_TYPES = {"Unitary Authority", "Metropolitan District", "London Borough", "County"}
# The ONS code's entity prefix must agree with the authority type.
TYPE_PREFIX = {
    "Unitary Authority": "E06",
    "Metropolitan District": "E08",
    "London Borough": "E09",
    "County": "E10",
}

# ---------------------------------------------------------------------------
# Corrections to the source, keyed by DfE code then source column:
#   column: (value the source holds, corrected value, reason)
# The build fails if the source no longer holds the expected value (unless it
# already holds the corrected one), so the table cannot drift from the source.
# ``la_code_new`` feeds ``new_la_code``; ``rgn22cd`` feeds ``region_code``;
# ``local_authority_ons_name`` feeds ``la_name``; ``ons_la_type`` feeds
# ``la_type``.  The other corrected columns are not written out, but every
# ONS-code column must agree with ``new_la_code`` after correction, so their
# errors are recorded here rather than ignored.
# ---------------------------------------------------------------------------
_SW_NOT_YH = "Gloucestershire is in the South West (E12000009), as its region_name says; E12000003 is Yorkshire and The Humber"
_SE_NOT_EM = "Buckinghamshire is in the South East (E12000008), as its region_name says; E12000004 is East Midlands"
_BUCKS_UA = "Buckinghamshire County Council (E10000002) was replaced by the unitary Buckinghamshire Council (E06000060) on 2020-04-01; E06000060 is already in la_code_new and ltla23_ons"
_DORSET_UA = "the county code E10000009 belongs to the old Dorset County Council (DfE 835, abolished 2019-03-31); Dorset Council (838) is E06000059, already in la_code_new and ltla23_ons"
_NY_UA = "North Yorkshire became a unitary authority on 2023-04-01: E10000023 (county) was replaced by E06000065, already in la_code_new"
_SOM_UA = "Somerset became a unitary authority on 2023-04-01: E10000027 (county) was replaced by E06000066, already in la_code_new"
_CUMB_SPLIT = "Cumbria (E10000006, DfE 909) was split on 2023-04-01 into Cumberland (E06000063, DfE 942) and Westmorland and Furness (E06000064, DfE 943); the row carries Cumbria's codes and name"
_BARNSLEY = "ONS recoded Barnsley E08000016 -> E08000038 after the Barnsley and Sheffield boundary change of 2025 (DfE las.csv: E08000016 terminated 2025-04-30, E08000038 live from 2025-05-01); E08000016 stays accepted by authority_by_code"
_SHEFFIELD = "ONS recoded Sheffield E08000019 -> E08000039 after the Barnsley and Sheffield boundary change of 2025 (DfE las.csv: E08000019 terminated 2025-04-30, E08000039 live from 2025-05-01); E08000019 stays accepted by authority_by_code"

CORRECTIONS: dict[str, dict[str, tuple[str, str, str]]] = {
    # --- regions -----------------------------------------------------------
    "916": {"rgn22cd": ("E12000003", "E12000009", _SW_NOT_YH)},
    "825": {
        "rgn22cd": ("E12000004", "E12000008", _SE_NOT_EM),
        "ltla23cd": ("E10000002", "E06000060", _BUCKS_UA),
    },
    "887": {"region_code": ("", "SE", "Medway's region abbreviation is blank; it is in the South East (rgn22cd E12000008)")},
    "909": {
        "region_code": ("NotKnown", "NW", "Cumbria's region abbreviation is 'NotKnown'; it was in the North West (rgn22cd E12000002)"),
        "la_code_new": ("", "E10000006", "Cumbria's ONS code is blank in la_code_new; it was E10000006 (as in its ltla23cd)"),
    },
    # --- ONS codes ---------------------------------------------------------
    "838": {"ltla23cd": ("E10000009", "E06000059", _DORSET_UA)},
    "815": {
        "ltla23cd": ("E10000023", "E06000065", _NY_UA),
        "ltla23_ons": ("E10000023", "E06000065", _NY_UA),
        "ons_la_type": ("County", "Unitary Authority", _NY_UA),
    },
    "933": {
        "ltla23cd": ("E10000027", "E06000066", _SOM_UA),
        "ltla23_ons": ("E10000027", "E06000066", _SOM_UA),
    },
    "942": {
        "ltla23cd": ("E10000006", "E06000063", _CUMB_SPLIT),
        "ltla23_ons": ("E10000006", "E06000063", _CUMB_SPLIT),
        "ltla23nm": ("Cumbria", "Cumberland", _CUMB_SPLIT),
        "ons_la_type": ("County", "Unitary Authority", _CUMB_SPLIT),
    },
    "943": {
        "ltla23cd": ("E10000006", "E06000064", _CUMB_SPLIT),
        "ltla23_ons": ("E10000006", "E06000064", _CUMB_SPLIT),
        "ltla23nm": ("Cumbria", "Westmorland and Furness", _CUMB_SPLIT),
        "ons_la_type": ("County", "Unitary Authority", _CUMB_SPLIT),
    },
    "928": {
        "la_code_new": ("", "E10000021", "Northamptonshire's ONS code is blank in la_code_new; it was E10000021 (as in its ltla23cd)"),
        "ons_la_type": ("", "County", "Northamptonshire's type is blank; it was a shire county (E10)"),
    },
    "836": {
        "la_code_new": ("", "E06000029", "Poole's ONS code is blank in la_code_new; it was E06000029 (as in its ltla23cd)"),
        "ons_la_type": ("", "Unitary Authority", "Poole's type is blank; it was a unitary authority (E06) from 1997 to 2019"),
    },
    # Not errors in the 2023 vintage, but superseded since (see _BARNSLEY).
    "370": {
        "la_code_new": ("E08000016", "E08000038", _BARNSLEY),
        "lad23cd": ("E08000016", "E08000038", _BARNSLEY),
        "ltla23cd": ("E08000016", "E08000038", _BARNSLEY),
        "ltla23_ons": ("E08000016", "E08000038", _BARNSLEY),
    },
    "373": {
        "la_code_new": ("E08000019", "E08000039", _SHEFFIELD),
        "lad23cd": ("E08000019", "E08000039", _SHEFFIELD),
        "ltla23cd": ("E08000019", "E08000039", _SHEFFIELD),
        "ltla23_ons": ("E08000019", "E08000039", _SHEFFIELD),
    },
    # --- names: use DfE's open-data spelling (las.csv / dfeR) ---------------
    "822": {"local_authority_ons_name": ("Bedford Borough", "Bedford", "DfE and ONS name the authority 'Bedford'; 'Bedford Borough' is kept as an alias")},
    "840": {"local_authority_ons_name": ("Durham", "County Durham", "DfE and ONS name the authority 'County Durham'; 'Durham' is kept as an alias")},
    "884": {"local_authority_ons_name": ("Herefordshire", "Herefordshire, County of", "DfE and ONS name the authority 'Herefordshire, County of'; 'Herefordshire' is kept as an alias")},
    "810": {"local_authority_ons_name": ("Kingston Upon Hull, City of", "Kingston upon Hull, City of", "DfE and ONS spell it with a lower-case 'upon'")},
    # --- aliases -----------------------------------------------------------
    "839": {
        "also_known_as": (
            "[BCP, Bournemouth, Christchurch & Poole]",
            "[BCP; Bournemouth, Christchurch & Poole]",
            "the list is comma-separated but one alias contains commas: split naively it would make 'Bournemouth' (a defunct authority) an alias of BCP",
        )
    },
}

# ---------------------------------------------------------------------------
# Defunct predecessors named by older letters, absent from the source (the
# source's own defunct rows, Cumbria 909, Northamptonshire 928 and Poole 836,
# are kept and given end dates in VALIDITY).  Facts from DfE las.csv:
# E06000028 Bournemouth 837 and E10000009 Dorset 835, both terminated
# 2019-03-31, region E12000009.  URNs are left empty: the source does not give
# them and they are not guessed.
# ---------------------------------------------------------------------------
DEFUNCT = [
    {
        "la_name": "Bournemouth",
        "old_la_code": "837",
        "new_la_code": "E06000028",
        "region_code": "E12000009",
        "la_type": "Unitary Authority",
        "urn": "",
    },
    {
        "la_name": "Dorset",
        "old_la_code": "835",
        "new_la_code": "E10000009",
        "region_code": "E12000009",
        "la_type": "County",
        "urn": "",
    },
]

# Validity windows (valid_from, valid_to), ISO dates; "" is open-ended.
VALIDITY: dict[str, tuple[str, str]] = {
    # Bournemouth and Poole: unitary authorities 1997-04-01 to 2019-03-31,
    # replaced by Bournemouth, Christchurch and Poole (839).
    "837": ("1997-04-01", "2019-03-31"),
    "836": ("1997-04-01", "2019-03-31"),
    # Dorset County Council (835) -> Dorset Council (838) on 2019-04-01.
    "835": ("", "2019-03-31"),
    "838": ("2019-04-01", ""),
    "839": ("2019-04-01", ""),
    # Northamptonshire (928) -> North (940) and West (941) Northamptonshire.
    "928": ("", "2021-03-31"),
    "940": ("2021-04-01", ""),
    "941": ("2021-04-01", ""),
    # Cumbria (909) -> Cumberland (942) and Westmorland and Furness (943).
    "909": ("", "2023-03-31"),
    "942": ("2023-04-01", ""),
    "943": ("2023-04-01", ""),
    # New unitary authorities of 2009-04-01 (DfE las.csv date_of_operation),
    # which replaced Bedfordshire (820) and Cheshire (875) county councils.
    "822": ("2009-04-01", ""),
    "823": ("2009-04-01", ""),
    "895": ("2009-04-01", ""),
    "896": ("2009-04-01", ""),
}

# ---------------------------------------------------------------------------
# Aliases: names letters and reports use for each authority besides la_name.
# Council names follow each council's own usage; short forms ("Hull", "BCP",
# "Stoke", "Southend", "Telford", "Windsor", "Durham") are the ones that
# cannot be found through la_name.  Forms differing only by '&'/'and', case,
# hyphens or "St."/"St" need no alias for matching (the matcher normalises
# them) but the common ones are listed for readers of the table.
# ---------------------------------------------------------------------------
_ROYAL_LONDON = {"203": "Greenwich", "207": "Kensington and Chelsea", "314": "Kingston upon Thames"}
_CITY_COUNCILS = {  # unitary / metropolitan authorities styled "<name> City Council"
    "330", "331", "383", "341", "352", "355", "373", "394", "384", "831", "856", "892",
    "879", "851", "852", "861", "874", "810", "826", "882", "846", "391", "336",
}
EXTRA_ALIASES: dict[str, list[str]] = {
    # London
    "201": ["City of London Corporation", "London Corporation", "Corporation of London"],
    "205": ["Hammersmith & Fulham", "London Borough of Hammersmith & Fulham"],
    "207": ["Kensington & Chelsea", "RBKC"],
    "213": ["City of Westminster", "Westminster City Council"],
    "318": ["Richmond Council"],
    # Metropolitan districts
    "336": ["City of Wolverhampton Council", "City of Wolverhampton"],
    "342": ["St Helens", "St Helens Council", "St Helens Metropolitan Borough Council", "Saint Helens"],
    "371": ["City of Doncaster Council", "Doncaster Metropolitan Borough Council"],
    "380": ["City of Bradford Metropolitan District Council", "City of Bradford", "Bradford Metropolitan District Council"],
    "384": ["City of Wakefield Metropolitan District Council", "Wakefield Metropolitan District Council"],
    "391": ["Newcastle City Council", "Newcastle Council"],
    # Unitary authorities
    "800": ["Bath and North East Somerset Council", "Bath & North East Somerset", "B&NES", "BANES"],
    "801": ["Bristol", "Bristol City Council", "City of Bristol", "City of Bristol Council"],
    "810": ["Kingston upon Hull", "Hull", "Hull City Council", "Kingston upon Hull City Council", "City of Kingston upon Hull"],
    "811": ["East Riding of Yorkshire Council", "East Riding", "East Riding Council"],
    "816": ["City of York Council", "City of York", "York City Council"],
    "822": ["Bedford Borough", "Bedford Borough Council"],
    "825": ["Buckinghamshire Council", "Buckinghamshire County Council"],
    "826": ["Milton Keynes Council"],
    "838": ["Dorset Council"],
    "839": ["Bournemouth, Christchurch and Poole Council", "BCP Council", "Bournemouth, Christchurch & Poole"],
    "840": ["Durham", "Durham County Council"],
    "846": ["Brighton & Hove", "Brighton & Hove City Council"],
    "857": ["Rutland County Council"],
    "861": ["Stoke", "Stoke-on-Trent City Council", "Stoke on Trent"],
    "868": ["Royal Borough of Windsor and Maidenhead", "Windsor", "RBWM", "Windsor & Maidenhead"],
    "882": ["Southend", "Southend-on-Sea Borough Council", "Southend Council"],
    "884": ["Herefordshire", "Herefordshire Council", "County of Herefordshire", "Herefordshire County Council"],
    "894": ["Telford", "Telford & Wrekin", "Telford and Wrekin Council", "Telford & Wrekin Council"],
    "420": ["Council of the Isles of Scilly"],
    "929": ["Northumberland County Council"],
    "815": ["North Yorkshire Council", "North Yorkshire County Council"],
    "933": ["Somerset Council", "Somerset County Council"],
    # Defunct
    "835": ["Dorset County Council"],
    "836": ["Borough of Poole", "Poole Borough Council"],
    "837": ["Bournemouth Borough Council"],
    "909": ["Cumbria County Council"],
    "928": ["Northamptonshire County Council"],
}
_BOROUGH_COUNCILS = {  # styled "<name> Borough Council"
    "805", "841", "808", "807", "876", "877", "889", "866", "821", "870", "871", "872",
    "887", "867", "351", "350", "353", "354", "343", "335", "359", "344", "340", "357", "358",
}
# Authorities for which "<name> Council" is not a form in use (their council
# names are given in EXTRA_ALIASES or by the city/borough rules instead).
_NO_PLAIN_COUNCIL = {"801", "808", "810", "816", "836", "837", "840", "861", "929", "314"}
_METROPOLITAN = {"350", "351", "353", "354", "356", "357", "359", "340", "343", "344", "370", "372",
                 "381", "382", "390", "392", "393", "332", "333", "334", "335"}


def _standard_aliases(code: str, name: str, la_type: str) -> list[str]:
    """Council names built from the type (e.g. "Kent County Council")."""
    name = name.split(",")[0]  # "Bristol, City of" -> "Bristol"
    out = []
    if la_type == "County":
        out.append(f"{name} County Council")
    elif la_type == "London Borough":
        if code in _ROYAL_LONDON:
            out.append(f"Royal Borough of {name}")
        elif code not in {"201", "213"}:
            out.append(f"London Borough of {name}")
        if code not in _NO_PLAIN_COUNCIL and code != "201":
            out.append(f"{name} Council")
    else:
        if code not in _NO_PLAIN_COUNCIL:
            out.append(f"{name} Council")
        if code in _CITY_COUNCILS:
            out.append(f"{name} City Council")
        if code in _BOROUGH_COUNCILS:
            out.append(f"{name} Borough Council")
        if code in _METROPOLITAN:
            out.append(f"{name} Metropolitan Borough Council")
    return out


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------
def _norm_key(text: str) -> str:
    """The matcher's normalisation (kept in step with ofsted_nlp.authorities.lookup)."""
    text = unicodedata.normalize("NFKC", text).replace("&", " and ")
    text = re.sub(r"[\u2019\u2018'`]s\b", "", text, flags=re.IGNORECASE)
    text = re.sub(r"[\u2019\u2018'`]", "", text)
    words = re.findall(r"[^\W_]+", text.casefold())
    return " ".join("st" if w == "saint" else w for w in words)


def _parse_also_known_as(value: str) -> list[str]:
    value = value.strip()
    if not value:
        return []
    if not (value.startswith("[") and value.endswith("]")):
        raise ValueError(f"unexpected also_known_as format: {value!r}")
    inner = value[1:-1]
    sep = ";" if ";" in inner else ","
    return [part.strip() for part in inner.split(sep) if part.strip()]


def _apply_corrections(row: dict[str, str], log: list[str]) -> dict[str, str]:
    code = row["la_code"]
    row = dict(row)
    for column, (expected, corrected, reason) in CORRECTIONS.get(code, {}).items():
        held = row.get(column, "")
        if held == corrected:
            log.append(f"{code} {column}: already {corrected!r} in the source; correction not needed")
            continue
        if held != expected:
            raise SystemExit(
                f"la_lookup row {code}: {column} is {held!r}, expected {expected!r} before correcting "
                f"to {corrected!r}; review CORRECTIONS ({reason})"
            )
        row[column] = corrected
        log.append(f"{code} {column}: {expected!r} -> {corrected!r}: {reason}")
    return row


NEIGHBOURS = 10  # DfE's children's services statistical neighbours: ten per authority


def _parse_neighbours(row: dict[str, str]) -> list[str]:
    """The row's ten DfE statistical neighbours (DfE numbers, closest first), checked against the row's
    own ``stat_neighbours_la_code`` (the same neighbours by ONS code).

    The defunct authorities (no neighbours in the source) give an empty list; a
    current one must have exactly ten, distinct, not itself.  That every code is
    a known authority, current, is checked on the finished table
    (:func:`_check_table`), where the added rows are known too.
    """
    code = row["la_code"]
    numbers = [x.strip() for x in row["stat_neighbours"].split(",") if x.strip()]
    ons = [x.strip() for x in row["stat_neighbours_la_code"].split(",") if x.strip()]
    if not numbers and not ons:
        return []
    problems = []
    if len(numbers) != NEIGHBOURS:
        problems.append(f"{len(numbers)} neighbours, not {NEIGHBOURS}")
    if len(set(numbers)) != len(numbers):
        problems.append("a neighbour listed twice")
    if code in numbers:
        problems.append("the authority is its own neighbour")
    if len(ons) != len(numbers):
        problems.append(f"{len(ons)} ONS codes for {len(numbers)} neighbours")
    if any(not re.fullmatch(r"\d{3}", n) for n in numbers):
        problems.append("a neighbour is not a three-digit DfE number")
    if problems:
        raise SystemExit(f"la_lookup row {code}: stat_neighbours: {'; '.join(problems)}")
    row["_neighbour_ons"] = ",".join(ons)
    return numbers


def _check_source_row(row: dict[str, str]) -> None:
    """Cross-check a corrected source row against itself."""
    code = row["la_code"]
    new = row["la_code_new"]
    for column in ("lad23cd", "ltla23cd", "ltla23_ons"):
        if row[column] and row[column] != new:
            raise SystemExit(f"la_lookup row {code}: {column} {row[column]} disagrees with la_code_new {new}")
    rgn = row["rgn22cd"]
    if rgn not in REGIONS:
        raise SystemExit(f"la_lookup row {code}: unknown region code {rgn!r}")
    for column in ("region_name", "rgn22nm"):
        if row[column].casefold() != REGIONS[rgn].casefold():
            raise SystemExit(f"la_lookup row {code}: {column} {row[column]!r} disagrees with rgn22cd {rgn}")
    if REGION_ABBREVIATIONS.get(row["region_code"]) != rgn:
        raise SystemExit(f"la_lookup row {code}: region_code {row['region_code']!r} disagrees with rgn22cd {rgn}")


def build(source: Path = DEFAULT_SOURCE, log: list[str] | None = None) -> list[dict[str, str]]:
    """Return the authority table rows (dicts keyed by :data:`COLUMNS`)."""
    log = [] if log is None else log
    with open(source, newline="", encoding="utf-8-sig") as f:
        source_rows = list(csv.DictReader(f))
    unused = set(CORRECTIONS) - {r["la_code"] for r in source_rows}
    if unused:
        raise SystemExit(f"CORRECTIONS name codes absent from the source: {sorted(unused)}")

    rows: list[dict[str, str]] = []
    for src in source_rows:
        src = _apply_corrections(src, log)
        _check_source_row(src)
        code = src["la_code"]
        name = src["local_authority_ons_name"].strip()
        la_type = src["ons_la_type"].strip()
        aliases = _standard_aliases(code, name, la_type)
        aliases += EXTRA_ALIASES.get(code, [])
        aliases += _parse_also_known_as(src["also_known_as"])
        aliases.append(src["ltla23nm"].strip())
        rows.append(
            {
                "la_name": name,
                "old_la_code": code,
                "new_la_code": src["la_code_new"],
                "region_code": src["rgn22cd"],
                "la_type": la_type,
                "urn": src["urn"].strip(),
                "stat_neighbours": ";".join(_parse_neighbours(src)),
                "_neighbour_ons": src.get("_neighbour_ons", ""),
                "_aliases": aliases,
            }
        )
    for extra in DEFUNCT:
        if any(r["old_la_code"] == extra["old_la_code"] for r in rows):
            raise SystemExit(f"defunct authority {extra['old_la_code']} is already in the source")
        rows.append(
            dict(extra, stat_neighbours="", _aliases=_standard_aliases(extra["old_la_code"], extra["la_name"], extra["la_type"])
                 + EXTRA_ALIASES.get(extra["old_la_code"], []))
        )

    for r in rows:
        r["region_name"] = REGIONS[r["region_code"]]
        r["valid_from"], r["valid_to"] = VALIDITY.get(r["old_la_code"], ("", ""))
        seen = {r["la_name"].casefold()}
        kept = []
        for alias in r.pop("_aliases"):
            alias = " ".join(alias.split())
            if alias and alias.casefold() not in seen:
                seen.add(alias.casefold())
                kept.append(alias)
        r["aliases"] = ";".join(kept)

    rows.sort(key=lambda r: (r["la_name"].casefold(), r["valid_from"] or "0000", r["old_la_code"]))
    _check_neighbours(rows, log)
    _check_table(rows)
    return [{c: r[c] for c in COLUMNS} for r in rows]


def _check_neighbours(rows: list[dict[str, str]], log: list[str]) -> None:
    """Every neighbour is a current authority of the table, and the source's ONS code for it is that
    authority's (or a code it has since been given: Barnsley and Sheffield, recoded in 2025)."""
    from_ons = {"E08000016": "370", "E08000019": "373"}  # 2023 codes the neighbour columns still use
    by_code = {r["old_la_code"]: r for r in rows}
    problems = []
    recoded = 0
    for r in rows:
        numbers = [n for n in r["stat_neighbours"].split(";") if n]
        ons = [o for o in r.pop("_neighbour_ons", "").split(",") if o]
        if not numbers and not r["valid_to"]:
            problems.append(f"{r['old_la_code']} {r['la_name']}: a current authority with no statistical neighbours")
        for n, o in zip(numbers, ons):
            other = by_code.get(n)
            if other is None:
                problems.append(f"{r['old_la_code']}: neighbour {n} is not a known authority")
            elif other["valid_to"]:
                problems.append(f"{r['old_la_code']}: neighbour {n} {other['la_name']} no longer exists")
            elif other["new_la_code"] != o:
                if from_ons.get(o) == n:
                    recoded += 1
                else:
                    problems.append(f"{r['old_la_code']}: neighbour {n} is {other['new_la_code']}, "
                                    f"the source pairs it with {o}")
    if problems:
        raise SystemExit("statistical neighbour check failed:\n  " + "\n  ".join(problems))
    log.append(f"stat_neighbours: {recoded} neighbour ONS codes are Barnsley's or Sheffield's 2023 code "
               "(recoded in 2025); the DfE numbers are used, so nothing is corrected")


def _window(r: dict[str, str]) -> tuple[date, date]:
    lo = date.fromisoformat(r["valid_from"]) if r["valid_from"] else date.min
    hi = date.fromisoformat(r["valid_to"]) if r["valid_to"] else date.max
    return lo, hi


def _overlap(a: dict[str, str], b: dict[str, str]) -> bool:
    (a0, a1), (b0, b1) = _window(a), _window(b)
    return a0 <= b1 and b0 <= a1


def _check_table(rows: list[dict[str, str]]) -> None:
    """Invariants of the finished table; raises SystemExit on a violation."""
    problems = []
    for r in rows:
        c = r["old_la_code"]
        if not re.fullmatch(r"\d{3}", c):
            problems.append(f"{c}: old_la_code not three digits")
        if not re.fullmatch(r"E(0[6-9]|10)\d{6}", r["new_la_code"]):
            problems.append(f"{c}: bad new_la_code {r['new_la_code']!r}")
        if r["la_type"] not in LA_TYPES:
            problems.append(f"{c}: bad la_type {r['la_type']!r}")
        elif not r["new_la_code"].startswith(TYPE_PREFIX[r["la_type"]]):
            problems.append(f"{c}: la_type {r['la_type']} disagrees with {r['new_la_code']}")
        if r["region_code"] not in REGIONS or REGIONS[r["region_code"]] != r["region_name"]:
            problems.append(f"{c}: region {r['region_code']} / {r['region_name']}")
        lo, hi = _window(r)
        if lo > hi:
            problems.append(f"{c}: valid_from after valid_to")
    for key in ("old_la_code", "new_la_code", "urn"):
        values = [r[key] for r in rows if r[key]]
        dupes = {v for v in values if values.count(v) > 1}
        if dupes:
            problems.append(f"duplicate {key}: {sorted(dupes)}")
    # A normalised name may be shared only by authorities never valid together.
    by_key: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        keys = {_norm_key(r["la_name"])} | {_norm_key(a) for a in r["aliases"].split(";") if a}
        for k in keys:
            by_key[k].append(r)
    for k, rs in by_key.items():
        for i, a in enumerate(rs):
            for b in rs[i + 1 :]:
                if _overlap(a, b):
                    problems.append(f"name {k!r} is shared by {a['old_la_code']} and {b['old_la_code']}, valid together")
    if problems:
        raise SystemExit("authority table check failed:\n  " + "\n  ".join(problems))


def render(rows: list[dict[str, str]]) -> str:
    """The CSV text exactly as committed."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE, help="la_lookup.csv")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each correction applied")
    args = parser.parse_args(argv)
    log: list[str] = []
    text = render(build(args.source, log))
    if args.verbose:
        print("\n".join(log))
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'DIFFERS from a fresh build'}")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({text.count(chr(10)) - 1} authorities, {len(log)} corrections applied)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
