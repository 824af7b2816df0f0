"""spaCy's English tokenizer for one whitespace-free piece of text, in Python, from its saved rules.

Sentence splitting (:mod:`ofsted_nlp.reading.sentences`) follows spaCy's tokenizer
and stock sentencizer, but only needs the tokens of the few thousand distinct
pieces of a corpus that hold a sentence-ending mark. Importing spaCy and
building its English pipeline costs ~0.7 s of CPU at every start, more than
all the tokenizing a document needs; so the tokenizer's rules (its prefix,
suffix, infix and URL patterns, its special cases, and the special cases it
matches again after splitting affixes) are saved once from spaCy into
``data/spacy_en_tokenizer.json``, and :class:`PieceTokenizer` applies them as
``Tokenizer.__call__`` does (``_split_affixes``, ``_attach_tokens`` and
``_apply_special_cases`` of ``spacy/tokenizer.pyx``, ported; MIT licence,
spaCy's authors). A piece is tokenized on its own, as spaCy tokenizes each
whitespace-separated piece (its special-case matcher could in principle let
a neighbour's tokens block a re-match; never seen in the corpus).

The saved rules are the project's own, versioned specification of sentence
splitting (format 1, saved from spaCy 3.8.18): they are used whatever spaCy
is installed, so sentence boundaries, and the label fingerprints that rest
on them, do not move with a spaCy release. Only a damaged rules file leaves
tokenizing to the installed spaCy. Where the installed spaCy is the version
they were saved from, the tests compare both on tricky and random text and
on every block of the corpus; under another spaCy they report how many
pieces it would tokenize differently (:func:`drift`). To adopt a new spaCy's
rules, ``python -m ofsted_nlp.reading.tokenizing`` saves them again: a change
of specification, to be made with the labels repointed.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["RULES_PATH", "PieceTokenizer", "piece_tokenizer", "rules_from_spacy", "is_punct", "drift", "saved_version",
           "installed_spacy"]

RULES_PATH = Path(__file__).resolve().parent.parent / "data" / "spacy_en_tokenizer.json"
FORMAT = 1


def is_punct(text: str) -> bool:
    """spaCy's ``IS_PUNCT`` (``spacy.lang.lex_attrs.is_punct``): every character is punctuation."""
    for char in text:
        if not unicodedata.category(char).startswith("P"):
            return False
    return True


def _never(text: str) -> None:
    return None


def _no_infixes(text: str) -> Iterator[re.Match]:
    return iter(())


class PieceTokenizer:
    """The tokens spaCy's tokenizer makes of one piece of text with no whitespace in it."""

    def __init__(self, rules: dict):
        def compiled(name: str) -> re.Pattern | None:
            spec = rules[name]
            return None if spec is None else re.compile(spec["pattern"], spec["flags"])

        prefix, suffix, infix = compiled("prefix"), compiled("suffix"), compiled("infix")
        token_match, url_match = compiled("token_match"), compiled("url_match")
        self.prefix_search: Callable = prefix.search if prefix else _never
        self.suffix_search: Callable = suffix.search if suffix else _never
        self.infix_finditer: Callable = infix.finditer if infix else _no_infixes
        self.token_match: Callable = token_match.match if token_match else _never
        self.url_match: Callable = url_match.match if url_match else _never
        self.special: dict[str, list[str]] = {k: list(v) for k, v in rules["special_cases"].items()}
        # special cases found again after affixes are split: their strings, and the tokens affixes make of them
        self.rematched: dict[tuple[str, ...], str] = {tuple(v): k for k, v in rules["rematched"].items()}
        self.rematch_first = {p[0] for p in self.rematched}
        self.longest_rematch = max(map(len, self.rematched), default=0)
        self.punct_chars = frozenset(rules["punct_chars"])
        self.cache: dict[str, list[str]] = {}
        self.limit = 200_000

    def __call__(self, piece: str) -> list[str]:
        """The token texts of ``piece`` (which holds no whitespace), in order; they join to ``piece``."""
        tokens = self.cache.get(piece)
        if tokens is None:
            if len(self.cache) > self.limit:  # a cache: past its limit it starts again
                self.cache = {}
            tokens = self.cache[piece] = self._rematch(self._affixes(piece))
        return tokens

    def _affixes(self, piece: str) -> list[str]:
        """Tokenizer._tokenize: a special case whole, else prefixes and suffixes split off
        (_split_affixes) and the rest attached (_attach_tokens), as spacy/tokenizer.pyx does."""
        special = self.special
        if piece in special:
            return list(special[piece])
        prefixes: list[str] = []
        suffixes: list[str] = []
        string = piece
        last_size = 0
        while string and len(string) != last_size:
            if self.token_match(string):
                break
            if string in special:
                break
            last_size = len(string)
            found = self.prefix_search(string)
            pre_len = found.end() - found.start() if found else 0
            if pre_len:
                prefix, minus_pre = string[:pre_len], string[pre_len:]
                if minus_pre and minus_pre in special:
                    string = minus_pre
                    prefixes.append(prefix)
                    break
            found = self.suffix_search(string[pre_len:])
            suf_len = found.end() - found.start() if found else 0
            if suf_len:
                suffix, minus_suf = string[-suf_len:], string[:-suf_len]
                if minus_suf and minus_suf in special:
                    string = minus_suf
                    suffixes.append(suffix)
                    break
            if pre_len and suf_len and pre_len + suf_len <= len(string):
                string = string[pre_len:-suf_len]
                prefixes.append(prefix)
                suffixes.append(suffix)
            elif pre_len:
                string = minus_pre
                prefixes.append(prefix)
            elif suf_len:
                string = minus_suf
                suffixes.append(suffix)
        tokens = prefixes
        if string:
            if string in special:
                tokens.extend(special[string])
            elif self.token_match(string) or self.url_match(string):
                tokens.append(string)
            else:
                start = 0
                for match in self.infix_finditer(string):
                    infix_start, infix_end = match.start(), match.end()
                    if infix_start == 0:
                        continue
                    if infix_start != start:
                        tokens.append(string[start:infix_start])
                    if infix_start != infix_end:
                        tokens.append(string[infix_start:infix_end])
                    start = infix_end
                if string[start:]:
                    tokens.append(string[start:])
        tokens.extend(reversed(suffixes))
        return tokens

    def _rematch(self, tokens: list[str]) -> list[str]:
        """Tokenizer._apply_special_cases: runs of tokens that spell a special case split by the affix rules
        become that case's tokens (longest runs first, then the earliest; a token in a run seen is taken)."""
        if not self.rematched or self.rematch_first.isdisjoint(tokens):
            return tokens
        spans = []
        for start, token in enumerate(tokens):
            if token not in self.rematch_first:
                continue
            for end in range(start + 1, min(len(tokens), start + self.longest_rematch) + 1):
                if tuple(tokens[start:end]) in self.rematched:
                    spans.append((start, end))
        if not spans:
            return tokens
        seen: set[int] = set()
        kept = []
        for start, end in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
            if start not in seen and end - 1 not in seen:
                kept.append((start, end))
            seen.update(range(start, end))  # (taken even where the span is not kept, as _filter_special_spans)
        out: list[str] = []
        at = 0
        for start, end in sorted(kept):
            out.extend(tokens[at:start])
            out.extend(self.special["".join(tokens[start:end])])
            at = end
        out.extend(tokens[at:])
        return out


def rules_from_spacy() -> dict:
    """The English tokenizer's rules, read from the installed spaCy (what ``RULES_PATH`` holds)."""
    import spacy
    from spacy.attrs import ORTH
    from spacy.pipeline import Sentencizer

    tokenizer: Any = spacy.blank("en").tokenizer

    def spec(fn) -> dict | None:
        pattern = getattr(fn, "__self__", None)
        return None if pattern is None else {"pattern": pattern.pattern, "flags": int(pattern.flags)}

    def orths(tokens) -> list[str]:
        return [t[ORTH] if ORTH in t else t["ORTH"] for t in tokens]

    special = {k: orths(v) for k, v in sorted(tokenizer.rules.items())}
    bare: Any = spacy.blank("en").tokenizer  # the affix rules alone: what _tokenize_affixes(text, False) makes
    bare.rules = {}
    # Tokenizer.add_special_case: with faster_heuristics, these strings are found again after affixes split them
    rematched = {k: [t.text for t in bare(k)] for k in special
                 if (not tokenizer.faster_heuristics or tokenizer.find_prefix(k) or tokenizer.find_infix(k)
                     or tokenizer.find_suffix(k) or " " in k)}
    return {
        "format": FORMAT,
        "spacy": spacy.__version__,
        "prefix": spec(tokenizer.prefix_search),
        "suffix": spec(tokenizer.suffix_search),
        "infix": spec(tokenizer.infix_finditer),
        "token_match": spec(tokenizer.token_match),
        "url_match": spec(tokenizer.url_match),
        "special_cases": special,
        "rematched": rematched,
        "punct_chars": sorted(set(Sentencizer.default_punct_chars)),
    }


def save_rules(path: Path = RULES_PATH) -> dict:
    """Save the installed spaCy's English tokenizer rules to ``path`` (JSON)."""
    rules = rules_from_spacy()
    path.write_text(json.dumps(rules, ensure_ascii=False, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    return rules


@lru_cache(maxsize=1)
def piece_tokenizer() -> PieceTokenizer | None:
    """The Python tokenizer from the saved rules (whatever spaCy is installed); None where the file is
    damaged, and then spaCy tokenizes."""
    try:
        rules = json.loads(RULES_PATH.read_text(encoding="utf-8"))
        if not isinstance(rules, dict) or rules.get("format") != FORMAT:
            return None
        return PieceTokenizer(rules)
    except (OSError, ValueError, LookupError, TypeError, AttributeError, re.error):  # a damaged file
        return None


def saved_version() -> str | None:
    """The spaCy version the saved rules were taken from (the specification's origin), or None if unreadable."""
    try:
        rules = json.loads(RULES_PATH.read_text(encoding="utf-8"))
        return str(rules["spacy"]) if isinstance(rules, dict) else None
    except (OSError, ValueError, LookupError):
        return None


def drift(pieces: list[str]) -> list[tuple[str, list[str], list[str]]]:
    """The pieces the installed spaCy tokenizes otherwise than the saved rules: (piece, ours, spaCy's).

    Empty where the installed spaCy is the rules' own version (the tests check it on the corpus).
    """
    import spacy

    ours = piece_tokenizer()
    if ours is None:
        return []
    theirs = spacy.blank("en").tokenizer
    out = []
    for piece in pieces:
        mine, spacys = ours(piece), [t.text for t in theirs(piece)]
        if mine != spacys:
            out.append((piece, mine, spacys))
    return out


def installed_spacy() -> str | None:
    """The installed spaCy's version, read from its metadata (without importing it)."""
    try:
        return metadata.version("spacy")
    except metadata.PackageNotFoundError:  # pragma: no cover - a dependency
        return None


if __name__ == "__main__":  # pragma: no cover
    saved = save_rules()
    print(f"{RULES_PATH}: spaCy {saved['spacy']}, {len(saved['special_cases'])} special cases, "
          f"{len(saved['rematched'])} found again after affixes")
