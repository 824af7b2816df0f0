"""The package as a user gets it: a wheel installed in a fresh venv, used from a folder that is not the repo.

The wheel is built from a copy of the source (so the work tree gets no
``build/`` or ``*.egg-info``), without network or build isolation, and
installed with ``--no-deps`` into a venv made with ``--system-site-packages``
and a path file naming the test run's own site-packages (the heavy
dependencies come from this machine, also when the tests run in a venv;
nothing is downloaded).

The system site-packages may hold an editable install of the repo, whose
import hook is a fallback finder: a module missing from the wheel would be
imported silently from the repo, and the test would pass with a broken wheel.
The venv gets a ``sitecustomize`` that removes that hook, so whatever the
wheel lacks fails to import; the test also checks that every ``ofsted_nlp``
module and the model file come from the venv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path

import pytest
from conftest import REPO, SHIPPED_MODEL, seed

pytestmark = pytest.mark.slow

# Runs in the venv at start-up (after the .pth files of the system site-packages): drops any editable-install
# hook, so that only what the wheel installed can be imported as ofsted_nlp.
SITECUSTOMIZE = """\
import sys
sys.meta_path[:] = [f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")]
sys.path[:] = [p for p in sys.path if not str(p).startswith("__editable__")]
"""

# Imports every module of the package and loads the default model; prints where each came from.
PROBE = """\
import json, pkgutil, importlib, sys
import ofsted_nlp
from ofsted_nlp import load_model
from ofsted_nlp.tagging.model import DEFAULT_MODEL
model = load_model()
OPTIONAL = {"torch", "transformers"}  # the [teacher] extra's: its modules import them, nothing else may
for m in pkgutil.walk_packages(ofsted_nlp.__path__, "ofsted_nlp."):
    try:
        importlib.import_module(m.name)
    except ModuleNotFoundError as exc:
        if exc.name not in OPTIONAL or not m.name.startswith("ofsted_nlp.training.teacher."):
            raise
files = {name: getattr(mod, "__file__", None) for name, mod in sys.modules.items()
         if name == "ofsted_nlp" or name.startswith("ofsted_nlp.")}
print(json.dumps({"default_model": str(DEFAULT_MODEL), "model_path": str(model.info.get("path")),
                  "themes": list(model.theme_names), "files": files}))
"""


def _clean_env() -> dict[str, str]:
    """The environment of a user's shell: no PYTHONPATH pointing at a work tree, no user site-packages."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONNOUSERSITE"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run(args: list, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env or _clean_env(), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, f"{args[:3]} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv with the wheel built from this tree installed in it."""
    if not SHIPPED_MODEL.exists():
        pytest.skip("the shipped model ofsted_nlp/models/ofsted-nlp.npz is missing")
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(REPO / "ofsted_nlp", src / "ofsted_nlp",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.previous.*"))
    dist = root / "dist"
    # The build runs in the repo's environment: setuptools from this machine, nothing fetched.
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", dist, src], cwd=root, env=_clean_env() | {"PIP_NO_INPUT": "1"})
    (wheel,) = dist.glob("ofsted_nlp-*.whl")

    env_dir = root / "venv"
    # No pip of its own: the system's pip is visible through the system site-packages and installs into the venv.
    _run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", env_dir], cwd=root)
    python = env_dir / "bin" / "python"
    site = Path(_run([python, "-I", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                     cwd=root).stdout.strip())
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    # Where the tests run in a venv of their own, its packages are not the system's: the test venv sees them
    # through a path file (plain paths: the .pth files there, an editable install's hook among them, do not run).
    outer = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (site / "outer-env.pth").write_text("".join(f"{p}\n" for p in sorted(outer)), encoding="utf-8")
    # --ignore-installed: the system's (editable) ofsted-nlp 0.1.0 would otherwise count as already installed.
    _run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--ignore-installed", wheel], cwd=root)
    assert (site / "ofsted_nlp" / "models" / "ofsted-nlp.npz").is_file(), "the wheel does not ship the model"
    assert (site / "ofsted_nlp" / "data" / "spacy_en_tokenizer.json").is_file(), "nor the tokenizer's rules"
    assert (site / "ofsted_nlp" / "views" / "templates" / "report.html.j2").is_file(), "nor the pages' templates"
    return env_dir


def _under(path: str | None, folder: Path) -> bool:
    return path is not None and Path(path).resolve().is_relative_to(folder.resolve())


def test_installed_wheel_loads_its_own_model_from_another_folder(venv, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = _run([venv / "bin" / "python", "-I", "-c", PROBE], cwd=elsewhere)
    probe = json.loads(proc.stdout.strip().splitlines()[-1])
    assert _under(probe["default_model"], venv), probe["default_model"]
    assert _under(probe["model_path"], venv), probe["model_path"]
    outside = {name: f for name, f in probe["files"].items() if not _under(f, venv)}
    assert not outside, f"modules imported from outside the venv: {outside}"
    assert len(probe["files"]) > 20  # every module of the package was imported (and from the wheel)
    assert probe["themes"]


def test_installed_wheel_tags_a_seed_from_another_folder(venv, tmp_path, shipped_model):
    from ofsted_nlp.batch.pipeline import tag_paths

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    letter = shutil.copy2(seed("003"), elsewhere)
    _run([venv / "bin" / "ofsted-nlp", "tag", Path(letter).name, "--format", "jsonl", "--output", "out.jsonl"],
         cwd=elsewhere)
    got = [json.loads(line) for line in (elsewhere / "out.jsonl").read_text(encoding="utf-8").splitlines()]

    # The same letter tagged in this process by the source tree's library and shipped model.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (result,) = list(tag_paths([seed("003")], shipped_model))
    assert result.ok and len(result.rows) > 20
    expected = [(r.index, r.text, sorted(r.themes), r.polarity) for r in result.rows]
    assert [(g["index"], g["text"], sorted(g["themes"]), g["polarity"]) for g in got] == expected
    assert {g["document"] for g in got} == {Path(letter).stem}
    assert any(g["themes"] for g in got)  # the model tagged themes, not only sentences


def test_installed_wheel_writes_a_report_from_its_own_templates(venv, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    letter = shutil.copy2(seed("003"), elsewhere)
    _run([venv / "bin" / "ofsted-nlp", "report", Path(letter).name, "--output", "r.html"], cwd=elsewhere)
    page = (elsewhere / "r.html").read_text(encoding="utf-8")
    assert '<script type="application/json" id="report-data">' in page and "data-ready" in page
    assert "Hackney" in page and "{{" not in page
