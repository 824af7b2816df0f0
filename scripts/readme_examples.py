"""The README's examples, made from runs so that they cannot drift from what the tool prints.

An example in README.md is a marked block:

    <!-- example: ofsted-nlp tag data/letters/003_08c661ef1fa93ef4.txt | head -4 -->
    ```
    $ ofsted-nlp tag data/letters/003_08c661ef1fa93ef4.txt | head -4
    (what the command prints)
    ```
    <!-- example:end -->

The command runs with bash in the repository's root, ``ofsted-nlp`` being this
checkout's (``python -m ofsted_nlp.cli``), on the shipped model. ``--write``
puts each command's output in its block; ``--check`` (the default) exits 1 and
names each block whose text is not what its command prints today
(tests/test_readme.py runs it).

    python scripts/readme_examples.py --write
    python scripts/readme_examples.py --check
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
BLOCK = re.compile(r"<!-- example: (?P<command>.+?) -->\n```\n(?P<body>.*?)```\n<!-- example:end -->", re.S)


def run(command: str) -> str:
    """What ``command`` prints (stdout, then stderr), as the README shows it: ``$ command`` first."""
    cli = f"{shlex.quote(sys.executable)} -m ofsted_nlp.cli"
    script = re.sub(r"(^|\|\s*|&&\s*)ofsted-nlp\b", lambda m: m.group(1) + cli, command)
    env = dict(os.environ, PYTHONPATH=str(REPO), COLUMNS="120", NO_COLOR="1", PYTHONHASHSEED="0")
    env.pop("OFSTED_NLP_DEBUG", None)
    done = subprocess.run(["bash", "-o", "pipefail", "-c", script], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)
    out = done.stdout + done.stderr
    return f"$ {command}\n" + out.rstrip("\n") + "\n"


def blocks(text: str) -> list[re.Match]:
    return list(BLOCK.finditer(text))


def write(readme: Path = README) -> int:
    text = readme.read_text(encoding="utf-8")
    out, at = [], 0
    for m in blocks(text):
        out.append(text[at:m.start("body")])
        out.append(run(m.group("command")))
        at = m.end("body")
    out.append(text[at:])
    readme.write_text("".join(out), encoding="utf-8")
    return len(blocks(text))


def stale(readme: Path = README) -> list[tuple[str, str, str]]:
    """(command, shown, printed today) of each example whose text is not what its command prints."""
    out = []
    for m in blocks(readme.read_text(encoding="utf-8")):
        now = run(m.group("command"))
        if now != m.group("body"):
            out.append((m.group("command"), m.group("body"), now))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="put each command's output in its block")
    ap.add_argument("--check", action="store_true", help="exit 1 if a block differs from its command's output")
    args = ap.parse_args()
    if args.write:
        print(f"{write()} examples written into {README}", file=sys.stderr)
        return 0
    bad = stale()
    for command, _, _ in bad:
        print(f"README.md: the example `{command}` no longer shows what it prints "
              "(python scripts/readme_examples.py --write)", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
