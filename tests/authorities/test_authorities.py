"""Tests for the authority table (ofsted_nlp/data/authorities.csv) and name matching."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import importlib.util
import re
from pathlib import Path

import pytest

from ofsted_nlp.authorities.lookup import (
    SUPERSEDED_ONS_CODES,
    Authority,
    authority_by_code,
    find_authority,
    load_authorities,
)

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
TABLE = REPO / "ofsted_nlp" / "data" / "authorities.csv"
COLUMNS = [
    "la_name", "old_la_code", "new_la_code", "region_code", "region_name",
    "la_type", "urn", "aliases", "valid_from", "valid_to", "stat_neighbours",
]
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
TODAY = dt.date.today()


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with open(TABLE, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _window(r: dict[str, str]) -> tuple[dt.date, dt.date]:
    lo = dt.date.fromisoformat(r["valid_from"]) if r["valid_from"] else dt.date.min
    hi = dt.date.fromisoformat(r["valid_to"]) if r["valid_to"] else dt.date.max
    return lo, hi


def _change_dates(rows) -> list[dt.date]:
    """Every date on which the set of valid authorities can change, and its eve."""
    days = {dt.date(2009, 1, 1), TODAY}
    for r in rows:
        for value in (r["valid_from"], r["valid_to"]):
            if value:
                d = dt.date.fromisoformat(value)
                days |= {d - dt.timedelta(days=1), d, d + dt.timedelta(days=1)}
    return sorted(days)


# ---------------------------------------------------------------------------
# The committed CSV
# ---------------------------------------------------------------------------
def test_columns(rows):
    with open(TABLE, newline="", encoding="utf-8") as f:
        assert next(csv.reader(f)) == COLUMNS
    assert all(None not in r and all(v is not None for v in r.values()) for r in rows)


def test_region_code_and_name_agree(rows):
    for r in rows:
        assert r["region_code"] in REGIONS, r
        assert REGIONS[r["region_code"]] == r["region_name"], r


def test_every_current_row_has_a_region(rows):
    current = [r for r in rows if not r["valid_to"]]
    assert current
    assert all(r["region_code"] and r["region_name"] for r in current)


def test_old_la_code_is_three_digits_and_unique_at_any_date(rows):
    assert all(re.fullmatch(r"\d{3}", r["old_la_code"]) for r in rows)
    for day in _change_dates(rows):
        valid = [r["old_la_code"] for r in rows if _window(r)[0] <= day <= _window(r)[1]]
        assert len(valid) == len(set(valid)), day


def test_new_la_code_pattern_and_unique_among_current(rows):
    assert all(re.fullmatch(r"E(0[6-9]|10)\d{6}", r["new_la_code"]) for r in rows)
    current = [r["new_la_code"] for r in rows if not r["valid_to"]]
    assert len(current) == len(set(current))
    for day in _change_dates(rows):
        valid = [r["new_la_code"] for r in rows if _window(r)[0] <= day <= _window(r)[1]]
        assert len(valid) == len(set(valid)), day


def test_la_type_agrees_with_ons_code(rows):
    prefix = {"Unitary Authority": "E06", "Metropolitan District": "E08", "London Borough": "E09", "County": "E10"}
    for r in rows:
        assert r["new_la_code"].startswith(prefix[r["la_type"]]), r


def test_dates_are_iso_and_ordered(rows):
    for r in rows:
        lo, hi = _window(r)
        assert lo <= hi, r


def test_153_current_authorities(rows):
    # England has 153 local authorities with children's services since 2023-04-01.
    assert sum(1 for r in rows if not r["valid_to"]) == 153
    assert sum(1 for r in rows if _window(r)[0] <= dt.date(2019, 1, 1) <= _window(r)[1]) == 152
    assert sum(1 for r in rows if _window(r)[0] <= dt.date(2022, 1, 1) <= _window(r)[1]) == 152


def test_urns_unique_where_known(rows):
    urns = [r["urn"] for r in rows if r["urn"]]
    assert len(urns) == len(set(urns))
    assert all(u.isdigit() for u in urns)


def test_aliases_are_clean(rows):
    for r in rows:
        aliases = r["aliases"].split(";") if r["aliases"] else []
        assert all(a and a == a.strip() for a in aliases), r
        folded = [a.casefold() for a in aliases]
        assert len(folded) == len(set(folded)), r
        assert r["la_name"].casefold() not in folded, r


def test_no_name_shared_by_authorities_valid_together():
    def norm(s: str) -> str:
        s = s.replace("&", " and ").replace("’", "'")
        s = re.sub(r"'s\b", "", s)
        words = re.findall(r"[^\W_]+", s.replace("'", "").casefold())
        return " ".join("st" if w == "saint" else w for w in words)

    seen: dict[str, list[Authority]] = {}
    for a in load_authorities():
        for key in {norm(n) for n in a.names}:
            seen.setdefault(key, []).append(a)
    for key, auths in seen.items():
        for i, a in enumerate(auths):
            for b in auths[i + 1 :]:
                a0, a1 = a.valid_from or dt.date.min, a.valid_to or dt.date.max
                b0, b1 = b.valid_from or dt.date.min, b.valid_to or dt.date.max
                assert a1 < b0 or b1 < a0, (key, a.la_name, b.la_name)


# ---------------------------------------------------------------------------
# Spot facts
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "code, la_name, new, region_code, region_name",
    [
        ("204", "Hackney", "E09000012", "E12000007", "London"),
        ("825", "Buckinghamshire", "E06000060", "E12000008", "South East"),
        ("916", "Gloucestershire", "E10000013", "E12000009", "South West"),
        ("887", "Medway", "E06000035", "E12000008", "South East"),
        ("942", "Cumberland", "E06000063", "E12000002", "North West"),
        ("943", "Westmorland and Furness", "E06000064", "E12000002", "North West"),
        ("815", "North Yorkshire", "E06000065", "E12000003", "Yorkshire and The Humber"),
        ("933", "Somerset", "E06000066", "E12000009", "South West"),
        ("838", "Dorset", "E06000059", "E12000009", "South West"),
        ("839", "Bournemouth, Christchurch and Poole", "E06000058", "E12000009", "South West"),
        ("801", "Bristol, City of", "E06000023", "E12000009", "South West"),
        ("810", "Kingston upon Hull, City of", "E06000010", "E12000003", "Yorkshire and The Humber"),
        ("822", "Bedford", "E06000055", "E12000006", "East of England"),
        ("840", "County Durham", "E06000047", "E12000001", "North East"),
        ("884", "Herefordshire, County of", "E06000019", "E12000005", "West Midlands"),
        ("342", "St. Helens", "E08000013", "E12000002", "North West"),
        ("940", "North Northamptonshire", "E06000061", "E12000004", "East Midlands"),
        ("941", "West Northamptonshire", "E06000062", "E12000004", "East Midlands"),
        ("370", "Barnsley", "E08000038", "E12000003", "Yorkshire and The Humber"),
        ("373", "Sheffield", "E08000039", "E12000003", "Yorkshire and The Humber"),
        ("420", "Isles of Scilly", "E06000053", "E12000009", "South West"),
        ("201", "City of London", "E09000001", "E12000007", "London"),
    ],
)
def test_spot_facts(code, la_name, new, region_code, region_name):
    a = authority_by_code(code)
    assert a is not None
    assert (a.la_name, a.old_la_code, a.new_la_code, a.region_code, a.region_name) == (
        la_name, code, new, region_code, region_name,
    )
    assert authority_by_code(new) is a


@pytest.mark.parametrize(
    "code, new, valid_from, valid_to",
    [
        ("837", "E06000028", None, "2019-03-31"),  # Bournemouth
        ("836", "E06000029", None, "2019-03-31"),  # Poole
        ("835", "E10000009", None, "2019-03-31"),  # Dorset County Council
        ("928", "E10000021", None, "2021-03-31"),  # Northamptonshire
        ("909", "E10000006", None, "2023-03-31"),  # Cumbria
        ("839", "E06000058", "2019-04-01", None),
        ("838", "E06000059", "2019-04-01", None),
        ("940", "E06000061", "2021-04-01", None),
        ("941", "E06000062", "2021-04-01", None),
        ("942", "E06000063", "2023-04-01", None),
        ("943", "E06000064", "2023-04-01", None),
    ],
)
def test_reorganisations(code, new, valid_from, valid_to):
    a = authority_by_code(code)
    assert a.new_la_code == new
    assert a.valid_to == (dt.date.fromisoformat(valid_to) if valid_to else None)
    if valid_from:
        assert a.valid_from == dt.date.fromisoformat(valid_from)
    assert a.is_current is (valid_to is None)


def test_authority_dataclass():
    a = authority_by_code("204")
    assert isinstance(a, Authority)
    assert isinstance(a.aliases, tuple)
    assert "London Borough of Hackney" in a.aliases
    assert a.names[0] == "Hackney"
    assert a.urn == "80496"
    with pytest.raises(AttributeError):
        a.la_name = "x"  # frozen
    assert load_authorities() is load_authorities()  # cached
    assert len(load_authorities()) == 158


def test_authority_by_code_forms():
    assert authority_by_code(" e09000012 ").la_name == "Hackney"
    assert authority_by_code(204).la_name == "Hackney"
    assert authority_by_code("999") is None
    assert authority_by_code("") is None
    assert authority_by_code("E99999999") is None
    assert authority_by_code("835").valid_to == dt.date(2019, 3, 31)
    assert authority_by_code("E10000009").old_la_code == "835"


@pytest.mark.parametrize("old, code", sorted(SUPERSEDED_ONS_CODES.items()))
def test_superseded_ons_codes(old, code):
    a = authority_by_code(old)
    assert a is authority_by_code(code)
    assert a.new_la_code != old and a.is_current


# ---------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, code",
    [
        # the brief's examples
        ("Focused visit to Bedford Borough Council children's services", "822"),
        ("within the London Borough of Hackney Council children's services", "204"),
        ("Inspection of Croydon local authority children's services", "306"),
        ("Cheshire East Unitary Authority", "895"),
        ("Kingston Upon Hull City Council", "810"),
        ("Bournemouth, Christchurch and Poole Council", "839"),
        ("Inspection of North Yorkshire County Council children's services", "815"),
        # longest match at the same place
        ("Focused visit to North Lincolnshire children's services", "813"),
        ("North East Lincolnshire Council", "812"),
        ("Lincolnshire County Council", "925"),
        ("Inspection of North Northamptonshire local authority children's services", "940"),
        ("West Northamptonshire County Council", "941"),
        ("Royal Borough of Kingston upon Thames", "314"),
        ("Kingston upon Hull", "810"),
        ("London Borough of Richmond upon Thames", "318"),
        ("Central Bedfordshire Council", "823"),
        ("Bedford", "822"),
        ("North Somerset Council", "802"),
        ("Somerset Council", "933"),
        ("Bath and North East Somerset", "800"),
        ("North Yorkshire", "815"),
        ("City of York Council", "816"),
        ("West Berkshire Council", "869"),
        ("East Riding of Yorkshire Council", "811"),
        ("Cheshire West and Chester", "896"),
        ("Redcar and Cleveland", "807"),
        # aliases and normalisation
        ("Bristol City Council", "801"),
        ("City of Bristol", "801"),
        ("Hull City Council", "810"),
        ("BCP Council", "839"),
        ("Bournemouth, Christchurch & Poole", "839"),
        ("Durham County Council", "840"),
        ("County Durham", "840"),
        ("St Helens", "342"),
        ("St. Helens Metropolitan Borough Council", "342"),
        ("ST HELENS COUNCIL", "342"),
        ("Southend", "882"),
        ("Southend-on-Sea City Council", "882"),
        ("Telford & Wrekin", "894"),
        ("Telford", "894"),
        ("Royal Borough of Windsor and Maidenhead", "868"),
        ("Windsor", "868"),
        ("Herefordshire Council", "884"),
        ("Bedford Borough", "822"),
        ("Brighton & Hove City Council", "846"),
        ("London Borough of Hammersmith & Fulham", "205"),
        ("Royal Borough of Kensington & Chelsea", "207"),
        ("Stoke", "861"),
        ("Stoke on Trent", "861"),
        ("Stockton on Tees Borough Council", "808"),
        ("Medway Council", "887"),
        ("City of London Corporation", "201"),
        ("the London Borough of Lewisham’s children’s services", "209"),
        ("Lewisham's children's services", "209"),
        ("Council of the Isles of Scilly", "420"),
        ("Isle of Wight Council", "921"),
        ("City of Wolverhampton Council", "336"),
        ("Focused visit to City of Doncaster Council children’s services", "371"),
        # the authority named first wins
        ("Hackney and Islington", "204"),
        ("Islington and Hackney", "206"),
        ("partnership between the Isle of Wight Council and Hampshire County Council", "921"),
        ("Kensington and Chelsea and Westminster (bi-borough)", "207"),
        # addresses are not the authority
        ("Ofsted, Piccadilly Gate, Store Street, Manchester M1 2WD. Focused visit to Bolton children's services", "350"),
        ("Agora, 6 Cumberland Place, Nottingham NG1 6HJ. Dear Ms Smith, Focused visit to Derby", "831"),
        ("Clive House, 70 Petty France, Westminster, London SW1H 9EX. Gateshead Civic Centre", "390"),
        ("Walsall Council House", "335"),
        # common words
        ("Inspectors were reading case files in Sutton", "319"),
        ("Inspection of Reading local authority children's services", "870"),
        ("bury", "351"),
    ],
)
def test_find_authority(text, code):
    found = find_authority(text)
    assert found is not None, text
    assert found.old_la_code == code, (text, found.la_name)


@pytest.mark.parametrize(
    "text",
    [
        "Inspection of Gotham City children's services",
        "",
        "Inspection of local authority children's services",
        "Yorkshire and The Humber",
        "Kingston",
        "Cheshire",
        "Agora, 6 Cumberland Place, Nottingham NG1 6HJ",
        "Inspectors were reading case files",
        "Lincolnshires",
    ],
)
def test_find_authority_none(text):
    assert find_authority(text) is None


@pytest.mark.parametrize(
    "text, day, code",
    [
        ("Focused visit to Dorset children's services", None, "838"),
        ("Focused visit to Dorset children's services", dt.date(2018, 6, 1), "835"),
        ("Focused visit to Dorset children's services", dt.date(2019, 3, 31), "835"),
        ("Focused visit to Dorset children's services", dt.date(2019, 4, 1), "838"),
        ("Dorset County Council", None, "835"),
        ("Dorset County Council", dt.date(2017, 1, 1), "835"),
        ("Dorset Council", dt.date(2022, 1, 1), "838"),
        ("Cumbria County Council", dt.date(2020, 1, 1), "909"),
        ("Cumberland Council", dt.date(2024, 1, 1), "942"),
        ("Northamptonshire County Council", dt.date(2019, 1, 1), "928"),
        ("Bournemouth Borough Council", dt.date(2016, 1, 1), "837"),
        ("Borough of Poole", dt.date(2016, 1, 1), "836"),
        ("Bournemouth, Christchurch and Poole", dt.date(2020, 1, 1), "839"),
        ("Hackney", dt.date(2010, 1, 1), "204"),
        ("Dorset", dt.datetime(2018, 6, 1, 12, 0), "835"),
    ],
)
def test_find_authority_by_date(text, day, code):
    found = find_authority(text, on_date=day)
    assert found is not None and found.old_la_code == code


@pytest.mark.parametrize(
    "text, day",
    [
        ("Cumbria County Council", dt.date(2024, 1, 1)),
        ("Cumberland", dt.date(2022, 1, 1)),
        ("Northamptonshire County Council", dt.date(2022, 1, 1)),
        ("North Northamptonshire", dt.date(2020, 1, 1)),
        # a name that did not exist on the date is not re-read as a shorter one
        ("Bournemouth, Christchurch and Poole", dt.date(2018, 1, 1)),
        ("Bournemouth", dt.date(2020, 1, 1)),
    ],
)
def test_find_authority_excluded_by_date(text, day):
    assert find_authority(text, on_date=day) is None


def test_every_name_finds_its_authority():
    for a in load_authorities():
        day = a.valid_to or TODAY
        for name in a.names:
            found = find_authority(name, on_date=day)
            assert found is a, (name, a.la_name, found and found.la_name)
        if a.is_current:
            assert find_authority(a.la_name) is a


def test_runtime_module_uses_stdlib_only():
    source = (REPO / "ofsted_nlp" / "authorities" / "lookup.py").read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module.split(".")[0])
    # and Unicode's confusables (as JSON data) from confusable_homoglyphs, to fold look-alike letters
    assert imported <= {"__future__", "csv", "datetime", "functools", "io", "re", "unicodedata", "dataclasses", "importlib",
                        "confusable_homoglyphs"}


@pytest.mark.parametrize("text, code", [
    ("Focused visit to London Borough of H\u0430ckney", "204"),  # Cyrillic а
    ("\u041d\u0430\u0441kn\u0435\u0443 children's services", "204"),  # Нас kn еу: all but "kn" Cyrillic
    ("Inspection of \u0399slington", "206"),  # Greek capital iota: Unicode's prototype is "l", read as "I"
    ("Inspection of Is\u200flington", "206"),  # right-to-left mark
    ("Inspection of Is\u200elington", "206"),  # left-to-right mark
    ("Inspection of Is\u061clington", "206"),  # Arabic letter mark
    ("Inspection of \u0392\u0415\u0044\u0046\u041e\u0052\u0044", "822"),  # BEDFORD, Greek and Cyrillic
])
def test_look_alike_letters_and_invisible_marks_are_read_as_they_look(text, code):
    from ofsted_nlp.authorities.lookup import fold_confusables

    found = find_authority(text)
    assert found is not None and found.old_la_code == code, (text, found)
    assert fold_confusables(text).isascii()


@pytest.mark.parametrize("text", [
    "\u041c\u043e\u0441\u043a\u0432\u0430",  # Москва: a Cyrillic word, not a look-alike of a Latin one
    "Hackn\u00e9y",  # a Latin letter with an accent is another letter
])
def test_words_of_another_script_are_not_folded(text):
    from ofsted_nlp.authorities.lookup import fold_confusables

    assert fold_confusables(text) == text
    assert find_authority(text) is None


# ---------------------------------------------------------------------------
# Against ../shared (skipped when it is absent)
# ---------------------------------------------------------------------------
def _need_shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


@pytest.mark.parametrize("index", ["letters.csv", "reports.csv"])
def test_corpus_authorities_resolve(index):
    path = _need_shared("corpus", index)
    with open(path, newline="", encoding="utf-8") as f:
        entries = list(csv.DictReader(f))
    assert entries
    checked = set()
    for e in entries:
        published = dt.date.fromisoformat(e["published"])
        for day in (None, published):
            found = find_authority(e["authority"], on_date=day)
            assert found is not None, (e["authority"], day)
            assert found.urn == e["urn"], (e["authority"], found.la_name)
        checked.add(e["authority"])
    assert len(checked) > 50


def test_rebuild_reproduces_committed_csv():
    source = _need_shared("reference", "la_lookup.csv")
    script = REPO / "scripts" / "build_authorities.py"
    spec = importlib.util.spec_from_file_location("build_authorities", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rebuilt = module.render(module.build(source))
    assert rebuilt == TABLE.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# The forms Ofsted writes, for every row of the table
# ---------------------------------------------------------------------------
def _rows_and_days():
    for a in load_authorities():
        yield a, (a.valid_to or a.valid_from or TODAY)


@pytest.mark.parametrize("authority, day", list(_rows_and_days()), ids=lambda x: getattr(x, "la_name", str(x)))
def test_every_authority_is_found_from_the_forms_ofsted_writes(authority, day):
    from ofsted_nlp.authorities.lookup import forms

    others = {n.casefold() for b in load_authorities() if b is not authority for n in b.names}
    checked = 0
    for form in forms(authority):
        if form.casefold() in others:
            continue  # another authority's own name ("Dorset County Council" is the old Dorset's)
        for text in (form, f"Focused visit to {form} children's services",
                     f"Inspection of {form} local authority children's services",
                     f"Dear Ms Smith\nAnnual unannounced inspection of contact, referral and assessment "
                     f"arrangements within {form}"):
            found = find_authority(text, on_date=day)
            assert found is authority, (text, authority.la_name, found and found.la_name)
            checked += 1
    assert checked >= 4 * 10


@pytest.mark.parametrize("text, code", [
    ("Focused visit to Newcastle children's services", "391"),
    ("Newcastle City Council, Civic Centre, Barras Bridge, Newcastle upon Tyne NE1 8PU", "391"),
    ("Inspection of Hull local authority children's services", "810"),
    ("Focused visit to Bristol City Council children's services", "801"),
    ("Inspection of Durham County Council children's services", "840"),
    ("Focused visit to Telford children's services", "894"),
    ("Inspection of Herefordshire Council children's services", "884"),
    ("Focused visit to Southend children's services", "882"),
    ("Focused visit to Stoke children's services", "861"),
    ("Inspection of the City of Wolverhampton local authority children's services", "336"),
    ("Focused visit to the Royal Borough of Greenwich children's services", "203"),
    ("Inspection of Leeds City Council children's services", "383"),
    ("Focused visit to Bedford Borough Council children's services", "822"),
])
def test_short_and_decorated_forms(text, code):
    found = find_authority(text, on_date=dt.date(2024, 1, 1))
    assert found is not None and found.old_la_code == code, (text, found and found.la_name)


def test_short_forms_file_names_real_authorities_and_no_name_of_another():
    from ofsted_nlp.authorities.lookup import short_forms

    names = {n.casefold(): a for a in load_authorities() for n in a.names}
    for code, shorts in short_forms().items():
        a = authority_by_code(code)
        assert a is not None, code
        for s in shorts:
            assert s.casefold() not in names or names[s.casefold()] is a, s
