"""Statistical neighbours: carried from the shared lookup into the authority table, checked, and served."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest
from conftest import REPO, SHARED

from ofsted_nlp.authorities.lookup import authority_by_code, load_authorities, statistical_neighbours

LOOKUP = SHARED / "reference" / "la_lookup.csv"
TABLE = REPO / "ofsted_nlp" / "data" / "authorities.csv"


def _table() -> list[dict[str, str]]:
    with open(TABLE, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _build_module():
    spec = importlib.util.spec_from_file_location("build_authorities", REPO / "scripts" / "build_authorities.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_current_authority_has_ten_known_neighbours_not_itself():
    rows = _table()
    codes = {r["old_la_code"]: r for r in rows}
    current = [r for r in rows if not r["valid_to"]]
    assert len(current) == 153
    for r in current:
        ns = r["stat_neighbours"].split(";")
        assert len(ns) == 10 and len(set(ns)) == 10, r["la_name"]
        assert r["old_la_code"] not in ns
        assert all(n in codes and not codes[n]["valid_to"] for n in ns), r["la_name"]
    assert all(r["stat_neighbours"] == "" for r in rows if r["valid_to"])


def test_hackney_neighbours_closest_first():
    names = [a.la_name for a in statistical_neighbours("E09000012")]
    assert names == ["Southwark", "Islington", "Haringey", "Lambeth", "Tower Hamlets", "Lewisham", "Camden",
                     "Manchester", "Waltham Forest", "Westminster"]
    assert statistical_neighbours("204") == statistical_neighbours("E09000012")
    assert statistical_neighbours("909") == ()  # Cumbria, abolished 2023
    with pytest.raises(KeyError):
        statistical_neighbours("999")


def test_neighbours_equal_the_lookup_for_every_authority():
    if not LOOKUP.exists():
        pytest.skip("../shared/reference/la_lookup.csv is not present")
    with open(LOOKUP, newline="", encoding="utf-8-sig") as f:
        lookup = {r["la_code"]: [c.strip() for c in r["stat_neighbours"].split(",") if c.strip()]
                  for r in csv.DictReader(f)}
    for a in load_authorities():
        if a.old_la_code in lookup:
            assert [n.old_la_code for n in statistical_neighbours(a.old_la_code)] == lookup[a.old_la_code]
    # the seeds' authorities, by ONS code as the lookup pairs them
    assert [n.new_la_code for n in statistical_neighbours("309")][:3] == [
        authority_by_code(c).new_la_code for c in lookup["309"][:3]]


@pytest.mark.parametrize("fault, message", [
    (lambda ns: ns[:9], "9 neighbours"),
    (lambda ns: [ns[0]] + ns[:9], "listed twice"),
    (lambda ns: ["204"] + ns[1:], "its own neighbour"),
])
def test_build_stops_on_a_bad_neighbour_list(tmp_path: Path, fault, message, capsys):
    if not LOOKUP.exists():
        pytest.skip("../shared/reference/la_lookup.csv is not present")
    build = _build_module()
    with open(LOOKUP, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, list(reader)
    for r in rows:
        if r["la_code"] == "204":
            ns = [c.strip() for c in r["stat_neighbours"].split(",")]
            bad = fault(ns)
            r["stat_neighbours"] = ", ".join(bad)
            ons = [c.strip() for c in r["stat_neighbours_la_code"].split(",")]
            r["stat_neighbours_la_code"] = ", ".join((ons * 2)[: len(bad)])
    broken = tmp_path / "lookup.csv"
    with open(broken, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(SystemExit) as exc:
        build.build(broken)
    assert message in str(exc.value) and "204" in str(exc.value)


def test_build_stops_on_an_unknown_neighbour(tmp_path: Path):
    if not LOOKUP.exists():
        pytest.skip("../shared/reference/la_lookup.csv is not present")
    build = _build_module()
    text = LOOKUP.read_text(encoding="utf-8-sig")
    line = next(ln for ln in text.splitlines() if ln.startswith("80502,204,") or ",204,E09000012," in ln)
    broken = tmp_path / "lookup.csv"
    broken.write_text(text.replace(line, line.replace('"210, ', '"999, ', 1)), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        build.build(broken)
    assert "neighbour 999 is not a known authority" in str(exc.value)


def test_committed_table_is_a_fresh_build():
    if not LOOKUP.exists():
        pytest.skip("../shared/reference/la_lookup.csv is not present")
    build = _build_module()
    assert build.render(build.build(LOOKUP)) == TABLE.read_text(encoding="utf-8")
