"""What the HTML pages share: data embedded in a page's ``<script>`` as JSON that cannot end or bend it."""

from __future__ import annotations

import json

__all__ = ["script_json"]

# Inside <script>, "</script" ends the element and "<!--" followed by "<script" makes the parser skip the
# next "</script>" (the page then draws nothing); "&" and ">" are written out too, and U+2028 and U+2029,
# which older JavaScript does not accept inside a string. Each becomes its \u escape, which JSON reads back
# as the same character (these characters occur only inside JSON strings, where an escape is allowed).
_SCRIPT_ESCAPES = {ord(c): f"\\u{ord(c):04x}" for c in "<>&\u2028\u2029"}


def script_json(data: object) -> str:
    """``data`` as compact JSON (UTF-8 text, not ASCII) safe to put as it is inside a ``<script>`` element."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)
