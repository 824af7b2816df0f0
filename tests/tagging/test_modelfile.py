"""A model file is data from outside: every part of it is checked at load, and anything out of bounds is refused
in one line naming the field (issue 21 s2). Each file here has a card whose sha256 matches it, as an attacker
who can write the model can also write its card."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import SEEDS, SHIPPED_MODEL

from ofsted_nlp.errors import ModelError
from ofsted_nlp.tagging.model import card_path, load_model, sha256_of


@pytest.fixture(scope="module")
def parts() -> dict[str, np.ndarray]:
    """The shipped model file's arrays, as they are stored."""
    with np.load(SHIPPED_MODEL, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def _header(parts) -> dict:
    return json.loads(parts["header"].tobytes())


def _with_header(parts, header: dict | str) -> dict:
    text = header if isinstance(header, str) else json.dumps(header)
    return {**parts, "header": np.frombuffer(text.encode("utf-8"), dtype=np.uint8)}


def _write(tmp_path: Path, arrays: dict, name: str = "m.npz") -> Path:
    path = tmp_path / name
    np.savez(path, **arrays)
    card_path(path).write_text(json.dumps({"sha256": sha256_of(path)}))  # card and file agree
    return path


def _refused(path: Path, match: str) -> str:
    with pytest.raises(ModelError, match=match) as caught:
        load_model(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path))
    return message


def test_the_shipped_model_passes_every_check(tmp_path, parts):
    """The checks' limits leave room for the model this project trains (and the copy below is loadable)."""
    model = load_model(_write(tmp_path, parts))
    assert model.n_features == parts["themes.coef"].shape[1]


def test_an_idf_that_inflates_to_gigabytes_is_refused_before_its_data_is_read(tmp_path, parts):
    """A small file whose words.idf.npy declares 6 GiB of float64 (the issue's: 6.35 GB of memory and 50 s
    before refusal) is refused from its .npy header, before any of its data is read."""
    path = tmp_path / "m.npz"
    shape = (6 * 2**30 // 8,)
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1))
    header["shape"] = shape
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in parts.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as fh:
                if name != "words.idf":
                    np.lib.format.write_array(fh, array, allow_pickle=False)
                    continue
                np.lib.format.write_array_header_1_0(fh, header)
                zeros = bytes(1 << 20)
                for _ in range(64):  # the first 64 MiB of its zeros: deflated, a few hundred kB
                    fh.write(zeros)
    card_path(path).write_text(json.dumps({"sha256": sha256_of(path)}))
    assert path.stat().st_size < 20 << 20
    tracemalloc.start()
    started = time.process_time()
    try:
        _refused(path, r"words\.idf: declares \[805306368\] \(6,442,450,944 bytes\), over the limit")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 << 20, peak  # the shipped model's own arrays, not the 6 GiB
    assert time.process_time() - started < 30  # generous: a loaded machine; unchecked, minutes


def test_arrays_that_together_declare_too_much_are_refused(tmp_path, parts, monkeypatch):
    from ofsted_nlp.tagging import modelfile

    monkeypatch.setattr(modelfile, "MAX_TOTAL_BYTES", 2 << 20)  # the shipped model's arrays: over 5 MB
    _refused(_write(tmp_path, parts), "the arrays declare over 2,097,152 bytes together")


@pytest.mark.parametrize("block, key, value, match", [
    (1, "ngram_range", [3, 1e9], r"blocks\[1\]\.params\.ngram_range: \[3, 1000000000\.0\] is not \[low, high\]"),
    (1, "ngram_range", [3, 11], r"blocks\[1\]\.params\.ngram_range: \[3, 11\] is not \[low, high\] with 1 <= low"),
    (0, "ngram_range", [2, 1], r"blocks\[0\]\.params\.ngram_range"),
    (0, "ngram_range", "1-3", r"blocks\[0\]\.params\.ngram_range"),
    (0, "sublinear_tf", "yes", r"blocks\[0\]\.params\.sublinear_tf: 'yes' is not true or false"),
    (1, "max_features", -1, r"blocks\[1\]\.params\.max_features: -1 is not an integer"),
    (0, "min_df", float("nan"), r"blocks\[0\]\.params\.min_df: nan is not a number"),
    (2, "themes", 1, r"blocks\[2\]\.params\.themes: 1 is not true or false"),
    (2, "analyzer", "char", r"blocks\[2\]\.params\.analyzer: not a setting of a codebook block"),
])
def test_a_header_setting_out_of_range_is_refused(tmp_path, parts, block, key, value, match):
    """The issue's `blocks[1].params.ngram_range=[3,1e9]`: tagging never ended."""
    header = _header(parts)
    header["blocks"][block]["params"][key] = value
    _refused(_write(tmp_path, _with_header(parts, header)), match)


@pytest.mark.parametrize("change, match", [
    (lambda h: h["blocks"][0].update(kind="bag"), r"blocks\[0\]\.kind: 'bag' is not one of"),
    (lambda h: h["blocks"][1].update(weight=float("inf")), r"blocks\[1\]\.weight: inf is not a number from 0"),
    (lambda h: h["blocks"][2].update(weight="1"), r"blocks\[2\]\.weight: '1' is not a number"),
    (lambda h: h["blocks"][1].update(name="words"), "blocks: two blocks have the same name"),
    (lambda h: h["thresholds"].update(caf="NaN"), r"thresholds\.caf: 'NaN' is not a number from 0 to 1"),
    (lambda h: h["thresholds"].update(caf=float("nan")), r"thresholds\.caf: nan is not a number from 0 to 1"),
    (lambda h: h["thresholds"].update(caf=1.5), r"thresholds\.caf: 1\.5 is not a number from 0 to 1"),
    (lambda h: h["thresholds"].pop("caf"), "thresholds: not one for each of"),
    (lambda h: h.update(polarity_classes=["bad", "neutral", "positive"]), r"polarity_classes: \['bad'"),
    (lambda h: h.update(polarity_classes=["negative", "neutral"]), "polarity_classes"),
    (lambda h: h.update(themes=["caf"]), r"themes: \['caf'\], but this ofsted-nlp tags"),
    (lambda h: h.update(blocks=[]), "header.blocks: not a list of feature blocks"),
])
def test_a_header_part_out_of_bounds_is_refused(tmp_path, parts, change, match):
    """Renamed polarity classes used to load, then fail every input file with 'unexpected error'; a NaN
    threshold gave exit 0 with meaningless themes."""
    header = _header(parts)
    change(header)
    _refused(_write(tmp_path, _with_header(parts, header)), match)


def test_a_threshold_of_1e400_is_refused(tmp_path, parts):
    """JSON reads 1e400 as infinity."""
    text = json.dumps(_header(parts)).replace('"caf": 0.45', '"caf": 1e400')
    assert "1e400" in text
    _refused(_write(tmp_path, _with_header(parts, text)), r"thresholds\.caf: inf is not a number from 0 to 1")


def _nan_at(a: np.ndarray, value: float) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.flat[a.size // 2] = value
    return a


@pytest.mark.parametrize("name, make, match", [
    ("themes.coef", lambda a: _nan_at(a, np.nan), r"themes\.coef: holds NaN or infinite values"),
    ("polarity.coef", lambda a: _nan_at(a, -np.inf), r"polarity\.coef: holds NaN or infinite values"),
    ("polarity.intercept", lambda a: _nan_at(a, np.nan), r"polarity\.intercept: holds NaN"),
    ("words.idf", lambda a: _nan_at(a, 1e308), r"words\.idf: values outside \[0, 1e\+06\]"),
    ("chars.idf", lambda a: _nan_at(a, -2.0), r"chars\.idf: values outside"),
    ("themes.coef", lambda a: _nan_at(a, 1e300), r"themes\.coef: values outside"),
    ("themes.intercept", lambda a: a[:1], r"themes\.intercept: shape \[1\], but the model's other parts need \[6\]"),
    ("polarity.intercept", lambda a: a[:2], r"polarity\.intercept: shape \[2\]"),
    ("themes.coef", lambda a: a[:, :-1], r"themes\.coef: shape \[6, 70608\], but the model's other parts need "
                                         r"\[6, 70609\]"),
    ("polarity.coef", lambda a: a[:2], r"polarity\.coef: 2 rows for 3 polarity classes"),
    ("words.idf", lambda a: a[:-1], r"words\.idf: shape \[47944\], but the model's other parts need \[47945\]"),
    ("words.idf", lambda a: a.astype(np.int64), r"words\.idf: dtype int64, not float"),
    ("themes.coef", lambda a: a.astype(np.complex128), r"themes\.coef: dtype complex128, not float"),
    ("themes.coef", lambda a: a.ravel(), r"themes\.coef: 1 dimensions, not 2"),
    ("words.vocabulary", lambda a: np.frombuffer(b"\xff\xfe" + a.tobytes()[2:], dtype=np.uint8),
     r"words\.vocabulary: not UTF-8 text"),
    ("chars.vocabulary", lambda a: np.frombuffer(a.tobytes() + b"\n" + a.tobytes().split(b"\n")[0], np.uint8),
     r"chars\.vocabulary: an n-gram stands twice"),
    ("words.vocabulary", lambda a: a.astype(np.uint16), r"words\.vocabulary: dtype uint16, not bytes"),
])
def test_an_array_out_of_bounds_is_refused(tmp_path, parts, name, make, match):
    """NaN or infinite coefficients, idf of 1e308: exit 0 with meaningless scores (and a bare NaN in JSONL);
    an intercept of length 1: every input file failed with 'unexpected error'."""
    _refused(_write(tmp_path, {**parts, name: make(parts[name])}), match)


@pytest.mark.parametrize("missing", ["themes.coef", "words.idf", "chars.vocabulary", "polarity.intercept"])
def test_a_missing_array_is_named(tmp_path, parts, missing):
    _refused(_write(tmp_path, {k: v for k, v in parts.items() if k != missing}), f"{missing}: missing from the file")


def test_the_command_line_refuses_a_bad_model_in_one_line(tmp_path, parts):
    header = _header(parts)
    header["blocks"][1]["params"]["ngram_range"] = [3, 10**9]
    path = _write(tmp_path, _with_header(parts, header))
    letter = next(SEEDS.glob("003_*.txt"))
    run = subprocess.run([sys.executable, "-m", "ofsted_nlp.cli.app", "tag", str(letter), "--model", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "blocks[1].params.ngram_range" in lines[0], run.stderr
