"""Tests of the command line (``ofsted-nlp tag``, ``matrix``), the theme matrix and the heatmaps.

The commands run on copies of the five seed letters in tmp folders, with a
small model trained here on the seed labels (the shipped model is only used
by the test that says so). Exit codes and the split of stdout and stderr are
checked with CliRunner, and with a real subprocess where the process itself
matters (tracebacks, worker processes, --help imports).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ofsted_nlp.batch.rows import FINDING_COLUMNS
from ofsted_nlp.cli.app import app
from ofsted_nlp.schema import GRADE_COLUMNS
from ofsted_nlp.training.labels import POLARITIES, THEMES
from ofsted_nlp.views.matrix import row_labels, theme_matrix

REPO = Path(__file__).resolve().parents[2]
LETTERS = sorted((REPO / "data" / "letters").glob("*.txt"))
SEEDS = REPO / "data" / "labels" / "seeds.csv"
SHIPPED_MODEL = REPO / "ofsted_nlp" / "models" / "ofsted-nlp.npz"

EXPECTED_AUTHORITIES = [
    ("Hackney", "E09000012", "204"),
    ("Haringey", "E09000014", "309"),
    ("Hounslow", "E09000018", "313"),
    ("Tower Hamlets", "E09000030", "211"),
]

# Used only if data/labels/seeds.csv is missing: enough to train a model, not a good one.
FALLBACK_SENTENCES = [
    ("Supervision is regular and reflective, and managers record clear actions.", "supervision", "positive"),
    ("Social workers receive regular supervision that helps them to reflect on risk.", "supervision", "positive"),
    ("Supervision is infrequent and does not challenge drift in children's plans.", "supervision", "negative"),
    ("Management oversight and supervision are not recorded consistently on case files.", "supervision", "negative"),
    ("Thresholds are well understood by partners and applied consistently.", "thresholds", "positive"),
    ("Partner agencies understand thresholds for intervention well.", "thresholds", "positive"),
    ("Thresholds are not applied consistently, so some referrals are inappropriate.", "thresholds", "negative"),
    ("Too many contacts that do not meet the threshold are passed to the referral team.", "thresholds", "negative"),
    ("Assessments are completed within timescales and are of good quality.", "timeliness", "positive"),
    ("Most initial assessments are completed in a timely way.", "timeliness", "positive"),
    ("Too many assessments are delayed and are not completed within timescales.", "timeliness", "negative"),
    ("Delays in strategy discussions leave some children at risk for too long.", "timeliness", "negative"),
    ("Caseloads are manageable and allow social workers to know their children well.", "caseloads", "positive"),
    ("Social workers report that their caseloads are reasonable.", "caseloads", "positive"),
    ("High caseloads mean that social workers cannot visit children often enough.", "caseloads", "negative"),
    ("Workload pressures in the referral team are high and staff turnover is a concern.", "caseloads", "negative"),
    ("The out of hours service responds well to children in crisis at night.", "out_of_hours", "positive"),
    ("The emergency duty team shares information promptly with day services.", "out_of_hours", "positive"),
    ("Out of hours responses are not always recorded or passed on to day teams.", "out_of_hours", "negative"),
    ("The emergency duty team is not always informed of children at risk.", "out_of_hours", "negative"),
    ("The common assessment framework is used well by schools and health visitors.", "caf", "positive"),
    ("Early help through CAF assessments is well established across partners.", "caf", "positive"),
    ("Use of the common assessment framework is inconsistent across agencies.", "caf", "negative"),
    ("Too few CAF assessments are completed by partner agencies.", "caf", "negative"),
    ("The local authority has a plan to restructure the front door.", "", "neutral"),
    ("The service is located in the civic centre.", "", "neutral"),
    ("The inspection considered the work of the referral and assessment team.", "", "neutral"),
    ("A new director of children's services was appointed in the spring.", "", "neutral"),
    ("Children are seen and seen alone, and their wishes are recorded well.", "", "positive"),
    ("Case records are up to date and clearly written.", "", "positive"),
    ("Records of direct work with children are too brief.", "", "negative"),
    ("Plans are not specific enough about what needs to change for children.", "", "negative"),
]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def model_path(tmp_path_factory, request) -> Path:
    """A small model trained on the seed labels, with its model card, in a tmp folder."""
    import sklearn

    from ofsted_nlp.training.estimators import fit_model
    from ofsted_nlp.training.export import save_model

    if SEEDS.exists():
        model = request.getfixturevalue("seed_model")  # conftest: fitted once per run on the seed labels
    else:
        texts = [t for t, _, _ in FALLBACK_SENTENCES] * 2
        themes = [tuple(filter(None, [th])) for _, th, _ in FALLBACK_SENTENCES] * 2
        polarity = [p for _, _, p in FALLBACK_SENTENCES] * 2
        groups = [f"g{i % 4}" for i in range(len(texts))]
        Y = np.array([[1 if t in ts else 0 for t in THEMES] for ts in themes], dtype=int)
        model = fit_model(texts, Y, polarity, groups)
    path = tmp_path_factory.mktemp("model") / "test-model.npz"
    save_model(model, path, card={"versions": {"scikit-learn": sklearn.__version__}})
    return path


@pytest.fixture(scope="session")
def finding_counts() -> dict[str, int]:
    """Findings per seed letter, as the reader finds them."""
    from ofsted_nlp.reading.letter import read_letter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {p.stem: len(read_letter(p).findings) for p in LETTERS}


@pytest.fixture
def letters_dir(tmp_path) -> Path:
    """Copies of the five seed letters: three at the top, two in a subfolder."""
    folder = tmp_path / "letters"
    (folder / "sub").mkdir(parents=True)
    for p in LETTERS[:3]:
        shutil.copy(p, folder / p.name)
    for p in LETTERS[3:]:
        shutil.copy(p, folder / "sub" / p.name)
    return folder


@pytest.fixture
def bad_files(tmp_path) -> list[Path]:
    """An empty .pdf and an HTML error page saved as .pdf."""
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    html = tmp_path / "error-page.pdf"
    html.write_text("<!DOCTYPE html><html><head><title>404</title></head><body>Page not found</body></html>\n")
    return [empty, html]


def run(*args, env: dict | None = None):
    """Invoke the app in-process; stdout and stderr are kept apart."""
    runner = CliRunner()
    return runner.invoke(app, [str(a) for a in args], env=env)


def run_process(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``ofsted-nlp`` as a real process (as a user would)."""
    return subprocess.run(
        [sys.executable, "-m", "ofsted_nlp.cli.app", *[str(a) for a in args]],
        capture_output=True, text=True, cwd=cwd, timeout=600,
    )


def stderr_lines(result) -> list[str]:
    return [ln for ln in result.stderr.splitlines() if ln.strip()]


# --------------------------------------------------------------------------- help


def test_help_lists_every_command():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("tag", "matrix", "train", "evaluate", "explain"):
        assert f"  {command} " in result.stdout


def test_help_loads_no_heavy_library():
    code = (
        "import sys\n"
        "from ofsted_nlp.cli.app import app\n"
        "try:\n"
        "    app(['--help'], prog_name='ofsted-nlp')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ['pandas', 'numpy', 'sklearn', 'spacy', 'pypdfium2', 'matplotlib', 'plotly', 'joblib', 'openpyxl']\n"
        "print('loaded:' + ','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "loaded:"


def test_command_help_explains_options():
    result = run("tag", "--help")
    assert result.exit_code == 0
    for option in ("--format", "--output", "--model", "--jobs"):
        assert option in result.stdout
    result = run("matrix", "--help")
    for option in ("--value", "--by", "--output", "--plot", "--model", "--jobs"):
        assert option in result.stdout


# --------------------------------------------------------------------------- tag: formats


def test_tag_table_on_terminal(letters_dir, model_path, finding_counts):
    result = run("tag", letters_dir, "--model", model_path, env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = lines[0].split()
    assert header[:5] == ["document", "authority", "judgement", "polarity", "themes"]
    assert len(lines) == 1 + sum(finding_counts.values())
    assert all(len(ln) <= 100 for ln in lines)
    assert result.stderr == ""
    wide = run("tag", letters_dir, "--model", model_path, env={"COLUMNS": "200"}).stdout.splitlines()
    assert sum("Tower Hamlets" in ln for ln in wide) == finding_counts["004_686f96d9771e34e4"]
    assert all(len(ln) <= 200 for ln in wide)


def test_tag_csv(letters_dir, model_path, finding_counts, tmp_path):
    out = tmp_path / "findings.csv"
    result = run("tag", letters_dir, "--model", model_path, "--output", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame.columns) == FINDING_COLUMNS
    assert len(frame) == sum(finding_counts.values())
    assert frame.groupby("document", sort=False).size().to_dict() == finding_counts
    assert set(frame["new_la_code"]) == {code for _, code, _ in EXPECTED_AUTHORITIES}
    for themes, scores, polarity in zip(frame["themes"], frame["scores"], frame["polarity"]):
        assert all(t in THEMES for t in themes.split(";") if t)
        parsed = json.loads(scores)
        assert set(parsed) == set(THEMES) | set(POLARITIES)
        assert polarity in POLARITIES
    # index counts the findings of each document from 0
    first = frame[frame["document"] == LETTERS[0].stem]
    assert first["index"].astype(int).tolist() == list(range(len(first)))


def test_tag_csv_to_stdout_equals_file(letters_dir, model_path, tmp_path):
    out = tmp_path / "findings.csv"
    assert run("tag", letters_dir, "-m", model_path, "-o", out).exit_code == 0
    result = run("tag", letters_dir, "-m", model_path, "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout == out.read_text(encoding="utf-8")


def test_tag_jsonl_has_native_lists_and_dicts(letters_dir, model_path, finding_counts):
    result = run("tag", letters_dir, "--model", model_path, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    records = [json.loads(ln) for ln in result.stdout.splitlines()]
    assert len(records) == sum(finding_counts.values())
    for r in records:
        assert list(r) == FINDING_COLUMNS
        assert isinstance(r["themes"], list) and isinstance(r["scores"], dict)
        assert isinstance(r["index"], int)
        assert all(isinstance(v, float) for v in r["scores"].values())
    assert {r["la_name"] for r in records} == {name for name, _, _ in EXPECTED_AUTHORITIES}


def test_tag_xlsx(letters_dir, model_path, finding_counts, tmp_path):
    out = tmp_path / "findings.xlsx"
    result = run("tag", letters_dir, "--model", model_path, "--output", out)
    assert result.exit_code == 0, result.output
    frame = pd.read_excel(out, dtype=str, keep_default_na=False)
    assert list(frame.columns) == FINDING_COLUMNS
    assert len(frame) == sum(finding_counts.values())
    assert all(isinstance(json.loads(s), dict) for s in frame["scores"])

    import openpyxl

    sheet = openpyxl.load_workbook(out).worksheets[0]
    assert sheet.max_row == 1 + sum(finding_counts.values())
    assert [c.value for c in sheet[1]] == FINDING_COLUMNS


def test_format_from_extension_and_explicit_format(letters_dir, model_path, tmp_path):
    out = tmp_path / "findings.jsonl"
    assert run("tag", letters_dir, "-m", model_path, "-o", out).exit_code == 0
    json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    table = tmp_path / "findings.txt"
    assert run("tag", letters_dir, "-m", model_path, "-o", table).exit_code == 0
    assert table.read_text(encoding="utf-8").startswith("document")
    odd = tmp_path / "findings.data"
    assert run("tag", letters_dir, "-m", model_path, "-o", odd, "-f", "csv").exit_code == 0
    assert odd.read_text(encoding="utf-8").startswith("document,la_name")


# --------------------------------------------------------------------------- tag: inputs and jobs


def test_folders_are_searched_recursively_in_sorted_order(tmp_path, model_path, finding_counts):
    root = tmp_path / "corpus"
    (root / "b" / "deep").mkdir(parents=True)
    (root / "a").mkdir()
    shutil.copy(LETTERS[4], root / "b" / "deep" / LETTERS[4].name)
    shutil.copy(LETTERS[1], root / "a" / LETTERS[1].name)
    shutil.copy(LETTERS[0], root / LETTERS[0].name)
    (root / "notes.md").write_text("not a letter\n")  # ignored: not .txt or .pdf
    (root / ".hidden.txt").write_text("ignored too\n")
    result = run("tag", root, "-m", model_path, "-f", "jsonl")
    assert result.exit_code == 0, result.output
    docs = list(dict.fromkeys(json.loads(ln)["document"] for ln in result.stdout.splitlines()))
    assert docs == [LETTERS[0].stem, LETTERS[1].stem, LETTERS[4].stem]


def test_files_and_folders_keep_the_order_given(letters_dir, model_path):
    second = letters_dir / LETTERS[1].name
    result = run("tag", second, letters_dir / "sub", second, "-m", model_path, "-f", "jsonl")
    assert result.exit_code == 0
    docs = list(dict.fromkeys(json.loads(ln)["document"] for ln in result.stdout.splitlines()))
    assert docs == [LETTERS[1].stem, LETTERS[3].stem, LETTERS[4].stem]  # the repeated file is read once


def test_jobs_2_gives_the_same_output_as_jobs_1(letters_dir, model_path, bad_files, tmp_path):
    for bad in bad_files:
        shutil.copy(bad, letters_dir / "sub" / bad.name)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    r1 = run("tag", letters_dir, "-m", model_path, "-o", one, "--jobs", "1")
    r2 = run("tag", letters_dir, "-m", model_path, "-o", two, "--jobs", "2")
    assert r1.exit_code == r2.exit_code == 1
    assert one.read_bytes() == two.read_bytes()
    assert r1.stderr == r2.stderr


# --------------------------------------------------------------------------- bad files, errors


def test_bad_files_are_skipped_and_reported_in_one_line(letters_dir, model_path, bad_files, tmp_path,
                                                         finding_counts):
    out = tmp_path / "out.csv"
    result = run_process("tag", letters_dir, *bad_files, "--model", model_path, "--output", out)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(frame) == sum(finding_counts.values())
    lines = stderr_lines(result)
    for bad in bad_files:
        naming = [ln for ln in lines if str(bad) in ln]
        assert len(naming) == 1, lines
        assert naming[0].startswith(f"ofsted-nlp: {bad}: ")
    assert len(lines) == len(bad_files)


def test_bad_files_with_jobs_2_in_a_real_process(letters_dir, model_path, bad_files, tmp_path):
    result = run_process("tag", letters_dir, *bad_files, "-m", model_path, "-f", "csv", "-j", "2")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(stderr_lines(result)) == 2
    assert result.stdout.startswith("document,la_name")


def test_nothing_readable_is_exit_2_and_keeps_existing_output(model_path, bad_files, tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("previous results\n", encoding="utf-8")
    result = run("tag", *bad_files, "-m", model_path, "-o", out)
    assert result.exit_code == 2
    assert out.read_text(encoding="utf-8") == "previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.csv"] + [b.name for b in bad_files])


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "docx"],
        ["--format", "xlsx"],  # xlsx needs --output
        ["--jobs", "0"],
        ["--output", "out.unknown"],
        ["--format", "csv", "--output", "out.xlsx"],
        ["--output", "no-such-folder/out.csv"],
        ["--value", "median"],  # not an option of tag
    ],
)
def test_usage_errors_exit_2(letters_dir, model_path, tmp_path, args):
    args = [str(tmp_path / a) if a.startswith(("out.", "no-such")) else a for a in args]
    result = run("tag", letters_dir, "-m", model_path, *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert not (tmp_path / "out.xlsx").exists()


def test_nonexistent_path_only_is_exit_2(tmp_path, model_path):
    result = run("tag", tmp_path / "missing.pdf", "-m", model_path)
    assert result.exit_code == 2
    assert "missing.pdf" in result.stderr
    assert result.stdout == ""


def test_nonexistent_path_among_good_ones_is_exit_1(letters_dir, model_path, tmp_path):
    result = run("tag", letters_dir, tmp_path / "missing.pdf", "-m", model_path, "-f", "csv")
    assert result.exit_code == 1
    assert stderr_lines(result) == [f"ofsted-nlp: {tmp_path / 'missing.pdf'}: no such file or folder"]
    assert result.stdout.startswith("document,")


def test_unsupported_extension_given_explicitly_is_exit_2(tmp_path, model_path, letters_dir):
    doc = tmp_path / "letter.docx"
    doc.write_bytes(b"PK\x03\x04")
    result = run("tag", letters_dir, doc, "-m", model_path)
    assert result.exit_code == 2
    assert "letter.docx" in result.stderr


def test_folder_without_documents_is_exit_2(tmp_path, model_path):
    (tmp_path / "empty").mkdir()
    result = run("tag", tmp_path / "empty", "-m", model_path)
    assert result.exit_code == 2


def test_unusable_model_is_one_line_exit_2(letters_dir, tmp_path):
    result = run_process("tag", letters_dir, "--model", tmp_path / "absent.npz")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert stderr_lines(result) == [
        f"ofsted-nlp: {tmp_path / 'absent.npz'}: no such model file (train one with `ofsted-nlp train`)"
    ]


def test_altered_model_is_refused(letters_dir, model_path, tmp_path):
    altered = tmp_path / "altered.npz"
    shutil.copy(model_path, altered)
    shutil.copy(model_path.with_suffix(".json"), altered.with_suffix(".json"))
    with open(altered, "ab") as fh:
        fh.write(b"\0")
    result = run("tag", letters_dir, "--model", altered)
    assert result.exit_code == 2
    assert "does not match its model card" in result.stderr


def test_existing_output_survives_failed_runs(letters_dir, model_path, tmp_path):
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"precious")
    assert run("tag", tmp_path / "missing", "-m", model_path, "-o", out).exit_code == 2
    assert run("tag", letters_dir, "-m", tmp_path / "absent.npz", "-o", out).exit_code == 2
    assert run("tag", letters_dir, "-m", model_path, "-o", out, "-j", "0").exit_code == 2
    assert out.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["letters", "out.xlsx"]


def test_failed_write_leaves_no_partial_file(tmp_path):
    from ofsted_nlp.io.atomic import atomic_path

    out = tmp_path / "out.csv"
    out.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_path(out) as tmp:
            tmp.write_text("half a fi")
            raise RuntimeError("disk full")
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    with atomic_path(out) as tmp:
        tmp.write_text("new\n")
    assert out.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_output_turns_os_errors_into_one_line(tmp_path):
    from ofsted_nlp.cli.common import CommandError, write_output

    out = tmp_path / "out.json"
    out.write_text("old\n")

    def fail(tmp):
        tmp.write_text("partial")
        raise OSError(28, "No space left on device")

    with pytest.raises(CommandError, match=r"out.json: cannot be written \(No space left on device\)"):
        write_output(out, fail)
    assert out.read_text() == "old\n"
    write_output(out, lambda tmp: tmp.write_text("{}\n"))
    assert out.read_text() == "{}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_warnings_are_one_line_each(tmp_path, model_path):
    haringey = LETTERS[1].read_text(encoding="utf-8")
    (tmp_path / "no-authority.txt").write_text(
        haringey.replace("Haringey", "Atlantis").replace("Wood Green London N22 8LE", ""), encoding="utf-8")
    (tmp_path / "cp1252.txt").write_bytes(LETTERS[4].read_text(encoding="utf-8").replace("'", "\u2019")
                                          .encode("cp1252"))
    result = run_process("tag", tmp_path, "-m", model_path, "-f", "jsonl")
    assert result.returncode == 0
    assert stderr_lines(result) == [
        f"ofsted-nlp: warning: {tmp_path / 'cp1252.txt'}: not UTF-8; read as Windows-1252",
        f"ofsted-nlp: warning: {tmp_path / 'no-authority.txt'}: authority not found; its codes are left empty",
    ]
    records = [json.loads(ln) for ln in result.stdout.splitlines()]
    unknown = [r for r in records if r["document"] == "no-authority"]
    assert unknown and all(r["la_name"] is None and r["new_la_code"] is None for r in unknown)


# --------------------------------------------------------------------------- matrix command


def test_matrix_for_the_five_seeds(letters_dir, model_path, tmp_path):
    out = tmp_path / "matrix.csv"
    result = run("matrix", letters_dir, "--model", model_path, "--output", out)
    assert result.exit_code == 0, result.output
    m = pd.read_csv(out, dtype={"new_la_code": str, "old_la_code": str})
    assert list(zip(m["la_name"], m["new_la_code"], m["old_la_code"])) == EXPECTED_AUTHORITIES
    assert dict(zip(m["la_name"], m["documents"])) == {"Hackney": 2, "Haringey": 1, "Hounslow": 1,
                                                       "Tower Hamlets": 1}
    assert list(m.columns) == ["new_la_code", "old_la_code", "la_name", "region_name", "documents",
                               *[c for t in THEMES for c in (t, f"{t}_findings")],
                               "graded_document", "graded_date", *GRADE_COLUMNS]
    assert m["graded_document"].isna().all()  # the seeds are letters and a focused visit: nothing graded
    values = m[list(THEMES)].to_numpy(dtype=float)
    assert np.all(np.isnan(values) | ((values >= -1) & (values <= 1)))


def test_matrix_counts_by_document_to_xlsx(letters_dir, model_path, tmp_path):
    out = tmp_path / "matrix.xlsx"
    result = run("matrix", letters_dir, "-m", model_path, "--value", "count", "--by", "document", "-o", out)
    assert result.exit_code == 0, result.output
    m = pd.read_excel(out, dtype={"new_la_code": str, "old_la_code": str})
    # by authority (Hackney's two letters together, 2011 then 2019), then date
    assert m["document"].tolist() == [LETTERS[i].stem for i in (0, 3, 1, 2, 4)]
    assert m["label"].tolist()[:2] == ["Hackney · 2011-06-09 · unannounced inspection",
                                       "Hackney · 2019-03-04 · focused visit"]
    assert m["documents"].tolist() == [1] * 5
    for t in THEMES:
        assert f"{t}_positive" in m.columns and f"{t}_negative" in m.columns


def test_matrix_negative_printed(letters_dir, model_path):
    result = run("matrix", letters_dir, "-m", model_path, "--value", "negative")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split()[:5] == ["new_la_code", "old_la_code", "la_name", "region_name", "documents"]
    assert len(lines) == 1 + 4


def test_matrix_with_unknown_authority_and_bad_file(letters_dir, model_path, bad_files, tmp_path):
    (letters_dir / "no-authority.txt").write_text(
        LETTERS[1].read_text(encoding="utf-8").replace("Haringey", "Atlantis")
        .replace("Wood Green London N22 8LE", ""), encoding="utf-8")
    out = tmp_path / "matrix.csv"
    result = run("matrix", letters_dir, *bad_files, "-m", model_path, "-o", out)
    assert result.exit_code == 1
    m = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert m["la_name"].tolist()[-1] == "unknown"
    assert m.iloc[-1][["new_la_code", "old_la_code", "region_name", "documents"]].tolist() == ["", "", "", "1"]


def test_matrix_usage_errors(letters_dir, model_path, tmp_path):
    assert run("matrix", letters_dir, "-m", model_path, "-o", tmp_path / "m.json").exit_code == 2
    assert run("matrix", letters_dir, "-m", model_path, "--plot", tmp_path / "m.svg").exit_code == 2
    assert run("matrix", letters_dir, "-m", model_path, "--value", "mean").exit_code == 2
    assert run("matrix", letters_dir, "-m", model_path, "--by", "region").exit_code == 2
    assert list(tmp_path.iterdir()) == [letters_dir]


def check_haringey_caseloads(model: Path, letters_dir: Path, tmp_path: Path) -> None:
    """The 2010 Haringey letter criticises workload pressures: the matrix must show it.

    The gold labels of that letter (data/labels/seeds.csv) hold one positive
    caseloads finding (staffing capacity closely monitored) and one negative
    (workload pressures in the children in need team), so the net is 0 by the
    labels themselves: the check is on the negative finding, not on net < 0.
    """
    out = tmp_path / "counts.csv"
    result = run("matrix", letters_dir, "--model", model, "--value", "count", "-o", out)
    assert result.exit_code == 0, result.output
    m = pd.read_csv(out).set_index("la_name")
    assert m.loc["Haringey", "caseloads_negative"] >= 1
    net = run("matrix", letters_dir, "--model", model, "-o", tmp_path / "net.csv")
    assert net.exit_code == 0
    assert pd.read_csv(tmp_path / "net.csv").set_index("la_name").loc["Haringey", "caseloads"] <= 0
    tagged = run("tag", letters_dir / LETTERS[1].name, "--model", model, "-f", "jsonl")
    workload = [json.loads(ln) for ln in tagged.stdout.splitlines() if "workload pressures" in ln]
    assert workload and all("caseloads" in r["themes"] and r["polarity"] == "negative" for r in workload)


@pytest.mark.skipif(not SHIPPED_MODEL.exists(), reason="the shipped model ofsted_nlp/models/ofsted-nlp.npz is missing")
def test_haringey_caseloads_criticised_with_the_shipped_model(letters_dir, tmp_path):
    check_haringey_caseloads(SHIPPED_MODEL, letters_dir, tmp_path)


# --------------------------------------------------------------------------- theme_matrix


def _findings(rows):
    cols = ["document", "la_name", "old_la_code", "new_la_code", "region_name", "themes", "polarity"]
    return pd.DataFrame(rows, columns=cols)


HAND_MADE = [
    ("d1", "Hackney", "204", "E09000012", "London", ["supervision"], "positive"),
    ("d1", "Hackney", "204", "E09000012", "London", ["supervision", "caseloads"], "negative"),
    ("d1", "Hackney", "204", "E09000012", "London", ["supervision"], "positive"),
    ("d1", "Hackney", "204", "E09000012", "London", ["supervision"], "neutral"),
    ("d2", "Hackney", "204", "E09000012", "London", ["timeliness"], "negative"),
    ("d2", "Hackney", "204", "E09000012", "London", [], "negative"),
    ("d3", "Barnet", "302", "E09000003", "London", ["caf"], "positive"),
    ("d3", "Barnet", "302", "E09000003", "London", ["thresholds"], "neutral"),
    ("d4", None, None, None, None, ["caseloads"], "negative"),
]


def test_theme_matrix_net_values_are_exact():
    m = theme_matrix(_findings(HAND_MADE))
    assert m["la_name"].tolist() == ["Barnet", "Hackney", "unknown"]
    assert m["documents"].tolist() == [1, 2, 1]
    m = m.set_index("la_name")
    assert m.loc["Hackney", "supervision"] == pytest.approx(1 / 3)  # 2 positive, 1 negative, 1 neutral
    assert m.loc["Hackney", "caseloads"] == -1.0
    assert m.loc["Hackney", "timeliness"] == -1.0
    assert m.loc["Barnet", "caf"] == 1.0
    assert math.isnan(m.loc["Barnet", "thresholds"])  # neutral only
    assert math.isnan(m.loc["Hackney", "out_of_hours"])  # none at all
    assert m.loc["unknown", "caseloads"] == -1.0
    assert m.loc["unknown", ["new_la_code", "old_la_code", "region_name"]].tolist() == ["", "", ""]
    assert m.attrs == {"value": "net", "by": "authority"}


def test_theme_matrix_counts_and_negative():
    c = theme_matrix(_findings(HAND_MADE), value="count").set_index("la_name")
    assert [col for col in c.columns if col.startswith("supervision")] == [
        "supervision_positive", "supervision_negative", "supervision_positive_per_100", "supervision_negative_per_100"]
    assert c.loc["Hackney", ["supervision_positive", "supervision_negative"]].tolist() == [2, 1]
    assert c.loc["Hackney", ["caseloads_positive", "caseloads_negative"]].tolist() == [0, 1]
    assert c.loc["Barnet", ["thresholds_positive", "thresholds_negative"]].tolist() == [0, 0]
    assert len(c.columns) == 5 - 1 + 1 + 4 * len(THEMES)  # keys (la_name is the index), findings, counts, rates
    n = theme_matrix(_findings(HAND_MADE), value="negative").set_index("la_name")
    assert n.loc["Hackney", list(THEMES)].tolist() == [1, 0, 1, 1, 0, 0]
    assert n.loc["Barnet", list(THEMES)].tolist() == [0] * 6


def test_theme_matrix_by_document_and_documents_read():
    docs = pd.DataFrame(
        [("d0", "Barnet", "302", "E09000003", "London")] + [(r[0], *r[1:5]) for r in HAND_MADE[::3]],
        columns=["document", "la_name", "old_la_code", "new_la_code", "region_name"],
    ).drop_duplicates("document")
    by_doc = theme_matrix(_findings(HAND_MADE), by="document", documents_read=docs)
    assert by_doc["document"].tolist() == ["d0", "d3", "d1", "d2", "d4"]  # by authority, then date (none), then id
    assert math.isnan(by_doc.set_index("document").loc["d0", "caf"])
    by_la = theme_matrix(_findings(HAND_MADE), documents_read=docs).set_index("la_name")
    assert by_la.loc["Barnet", "documents"] == 2  # d0 was read but has no findings


def test_theme_matrix_accepts_joined_themes_as_in_csv():
    frame = _findings(HAND_MADE)
    frame["themes"] = [";".join(t) for t in frame["themes"]]
    pd.testing.assert_frame_equal(theme_matrix(frame), theme_matrix(_findings(HAND_MADE)))


def test_theme_matrix_rejects_bad_arguments():
    with pytest.raises(ValueError):
        theme_matrix(_findings(HAND_MADE), value="mean")
    with pytest.raises(ValueError):
        theme_matrix(_findings(HAND_MADE), by="region")
    with pytest.raises(ValueError):
        theme_matrix(pd.DataFrame({"document": ["d"]}))


# --------------------------------------------------------------------------- plots


def test_heatmap_png(tmp_path):
    from ofsted_nlp.views.plots import heatmap_png

    path = heatmap_png(theme_matrix(_findings(HAND_MADE), value="count"), tmp_path / "m.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    heatmap_png(theme_matrix(_findings(HAND_MADE)), tmp_path / "net.png")  # a net matrix works too
    assert (tmp_path / "net.png").stat().st_size > 1000
    heatmap_png(theme_matrix(_findings(HAND_MADE), value="negative"), tmp_path / "neg.png")  # --plot follows --value
    assert (tmp_path / "neg.png").read_bytes() != (tmp_path / "net.png").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.png", "neg.png", "net.png"]


def _page_data(html: str, element: str) -> dict:
    import re

    m = re.search(rf'<script type="application/json" id="{element}">(.*?)</script>', html, re.DOTALL)
    return json.loads(m.group(1))


def test_heatmap_html(tmp_path):
    import re

    from ofsted_nlp.views.plots import heatmap_html

    path = heatmap_html(theme_matrix(_findings(HAND_MADE), value="count"), tmp_path / "m.html")
    html = path.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', html)  # nothing fetched: opens offline
    assert "<script src" not in html and "<link" not in html
    assert "const OfstedHeatmap" in html  # the report's heatmap, not a second one
    data = _page_data(html, "matrix-data")
    assert [r["label"] for r in data["rows"]] == row_labels(theme_matrix(_findings(HAND_MADE)))
    assert {"Hackney", "Barnet", "unknown"} <= {r["label"] for r in data["rows"]}
    hackney = data["rows"][[r["label"] for r in data["rows"]].index("Hackney")]
    assert hackney["values"][0] == round(1 / 3, 3) and hackney["n"][0] == 3  # supervision: 2 positive, 1 negative
    assert hackney["titles"][0] == "net +0.33 from 3 findings; positive 2, negative 1"  # the counts on hover
    negative = _page_data(heatmap_html(theme_matrix(_findings(HAND_MADE), value="negative"),
                                       tmp_path / "n.html").read_text(encoding="utf-8"), "matrix-data")
    assert negative["scale"] == "negative" and [r["values"][0] for r in negative["rows"]] == [None, 1, None]


def test_matrix_command_plots(letters_dir, model_path, tmp_path):
    png, html = tmp_path / "m.png", tmp_path / "m.html"
    assert run("matrix", letters_dir, "-m", model_path, "--plot", png).exit_code == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    result = run("matrix", letters_dir, "-m", model_path, "--plot", html, "-o", tmp_path / "m.csv")
    assert result.exit_code == 0
    data = _page_data(html.read_text(encoding="utf-8"), "matrix-data")
    assert [r["label"] for r in data["rows"]] == [name for name, _, _ in EXPECTED_AUTHORITIES]
    assert len(data["rows"][0]["values"]) == 6


def test_closed_pipe_on_stdout_ends_quietly(monkeypatch):
    from ofsted_nlp.cli.common import write_stdout

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader (say `head`) has gone
    stream = os.fdopen(write_end, "w", encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", stream)
    with pytest.raises(SystemExit) as exc:
        write_stdout("x" * 100_000)
    assert exc.value.code == 1
    stream.close()


@pytest.mark.parametrize("values", [[0.125] * 9, [1.0, 0.0] + [0.5] * 7, [float("nan")] + [0.0] * 8, [1] * 9,
                                    [True] * 9, ["x"] * 9])
def test_scores_are_written_as_json_writes_them(values):
    from ofsted_nlp.batch.writers import _score_values_text
    from ofsted_nlp.training.labels import SCORE_KEYS

    assert _score_values_text(tuple(values)) == json.dumps(dict(zip(SCORE_KEYS, values)))


def test_a_document_the_model_fails_on_costs_only_itself(letters_dir, model_path, monkeypatch):
    """Documents are tagged several to a model call; one that breaks the call is found and reported alone."""
    from ofsted_nlp.batch import rows as tables

    real = tables.finding_rows

    def fussy(letters, model):
        if any(x.document.startswith("002_") for x in letters):
            raise ValueError("cannot tag this one")
        return real(letters, model)

    monkeypatch.setattr(tables, "finding_rows", fussy)
    result = run("tag", letters_dir, "-m", model_path, "-f", "csv")
    assert result.exit_code == 1
    [line] = stderr_lines(result)
    assert "002_" in line and "unexpected error (ValueError: cannot tag this one)" in line
    documents = {row["document"][:4] for row in csv.DictReader(io.StringIO(result.stdout))}
    assert documents == {"000_", "001_", "003_", "004_"}


def test_jobs_2_in_a_real_process_forks_workers_that_leave_no_trace(tmp_path, model_path):
    """Forty letters with --jobs 2 (workers do start): the same output as --jobs 1, no worker traceback on
    stderr, and no process of the command's group left once it has exited."""
    folder = tmp_path / "many"
    folder.mkdir()
    for k in range(8):
        for p in sorted((REPO / "data" / "letters").glob("*.txt")):
            shutil.copy(p, folder / f"{k}_{p.name}")
    outputs = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}.csv"
        proc = subprocess.Popen([sys.executable, "-m", "ofsted_nlp.cli.app", "tag", str(folder), "-m", str(model_path),
                                 "-o", str(out), "--jobs", jobs], stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        _, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
        assert "Traceback" not in stderr
        with pytest.raises(ProcessLookupError):
            os.killpg(proc.pid, 0)  # the group (its workers included) is gone
        outputs[jobs] = out.read_bytes()
    assert outputs["1"] == outputs["2"]
    assert outputs["1"].count(b"\n") > 5 * 20  # the five letters once each: their 35 copies are left out, said
