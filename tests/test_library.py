"""The notebook API: ``ofsted_nlp``'s exported names stay what they are, and rows read by name."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import types

from conftest import REPO, SEEDS


def test_exported_names_are_not_shadowed_by_submodules():
    """Importing every submodule (as using the views does) leaves each name of ``__all__`` the object it
    exports, never a module: ``o.change_table(df); o.timeline(df)`` once raised 'module' object is not callable."""
    code = (
        "import importlib, pkgutil, types, ofsted_nlp as o\n"
        "first = {n: getattr(o, n) for n in o.__all__}\n"
        "for m in pkgutil.walk_packages(o.__path__, 'ofsted_nlp.'):\n"
        "    if '.cli' not in m.name and 'teacher' not in m.name:\n"
        "        importlib.import_module(m.name)\n"
        "bad = [n for n in o.__all__ if isinstance(getattr(o, n), types.ModuleType) or getattr(o, n) is not first[n]]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "[]"


def test_change_table_then_timeline_both_call(shipped_model):
    import ofsted_nlp as o

    letters = [o.read_letter(p) for p in sorted(SEEDS.glob("*.txt"))[:3]]
    df = o.findings_table(letters, shipped_model)
    importlib.import_module("ofsted_nlp.views.timeline")
    assert len(o.change_table(df)) > 0
    assert len(o.timeline(df)) == 3
    assert not any(isinstance(getattr(o, n), types.ModuleType) for n in o.__all__)
    assert {m.name for m in pkgutil.iter_modules(o.__path__)}.isdisjoint(o.__all__)


def test_tag_paths_rows_name_their_scores(shipped_model):
    from ofsted_nlp import tag_paths
    from ofsted_nlp.schema import SCORE_KEYS

    (result,) = list(tag_paths([sorted(SEEDS.glob("*.txt"))[0]], model=shipped_model))
    row = result.rows[0]
    assert row.scores._fields == SCORE_KEYS
    assert row.scores.caseloads == row.scores[SCORE_KEYS.index("caseloads")]
    assert row.scores._asdict()["neutral"] == row.scores[-1]
