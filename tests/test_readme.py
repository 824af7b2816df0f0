"""The README's examples are what the tool prints (scripts/readme_examples.py makes them from runs)."""

from __future__ import annotations

import importlib.util

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow

spec = importlib.util.spec_from_file_location("readme_examples", REPO / "scripts" / "readme_examples.py")
assert spec and spec.loader
readme_examples = importlib.util.module_from_spec(spec)
spec.loader.exec_module(readme_examples)


def test_the_readme_shows_examples_made_from_runs():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    commands = [m.group("command") for m in readme_examples.blocks(text)]
    assert len(commands) >= 5 and any(c.startswith("ofsted-nlp tag") for c in commands)


def test_every_readme_example_is_what_its_command_prints_today(shipped_model):
    stale = readme_examples.stale()
    assert stale == [], "README examples drifted (python scripts/readme_examples.py --write): " + "; ".join(
        c for c, _, _ in stale)


def test_a_drifted_example_is_found(tmp_path, shipped_model):
    readme = tmp_path / "README.md"
    readme.write_text("<!-- example: ofsted-nlp tag data/letters/003_08c661ef1fa93ef4.txt | head -2 -->\n```\n"
                      "$ ofsted-nlp tag data/letters/003_08c661ef1fa93ef4.txt | head -2\nnot what it prints\n```\n"
                      "<!-- example:end -->\n", encoding="utf-8")
    (command, shown, now), = readme_examples.stale(readme)
    assert shown.endswith("not what it prints\n") and "003_08c661ef1fa93ef4  Hackney" in now
    readme_examples.write(readme)
    assert readme_examples.stale(readme) == []
