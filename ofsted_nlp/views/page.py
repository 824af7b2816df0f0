"""What the HTML pages share: their templates (``views/templates/``, jinja2 with autoescape), the CSS and
scripts put inline, and data embedded in a ``<script>`` as JSON that cannot end or bend it."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

__all__ = ["render", "script_json"]

# Inside <script>, "</script" ends the element and "<!--" followed by "<script" makes the parser skip the
# next "</script>" (the page then draws nothing); "&" and ">" are written out too, and U+2028 and U+2029,
# which older JavaScript does not accept inside a string. Each becomes its \u escape, which JSON reads back
# as the same character (these characters occur only inside JSON strings, where an escape is allowed).
_SCRIPT_ESCAPES = {ord(c): f"\\u{ord(c):04x}" for c in "<>&\u2028\u2029"}
TEMPLATES = "templates"


def script_json(data: object) -> str:
    """``data`` as compact JSON (UTF-8 text, not ASCII) safe to put as it is inside a ``<script>`` element."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)


def _asset(name: str) -> str:
    """A file of ``views/templates/`` (CSS or a script) as text; it must not close the element it goes in."""
    text = resources.files("ofsted_nlp.views").joinpath(TEMPLATES, name).read_text(encoding="utf-8")
    if "</" in text:
        raise ValueError(f"{name}: holds '</', which would end its <style> or <script> element")
    return text


@lru_cache(maxsize=1)
def _environment():
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ofsted_nlp.views", TEMPLATES), autoescape=True,
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
    )
    env.globals["inline"] = lambda name: Markup(_asset(name))
    env.filters["script_json"] = lambda data: Markup(script_json(data))
    return env


def render(template: str, **context: object) -> str:
    """The page ``views/templates/<template>`` filled with ``context`` (every value escaped as HTML text,
    except what the template puts through ``inline`` or ``script_json``)."""
    return _environment().get_template(template).render(**context)
