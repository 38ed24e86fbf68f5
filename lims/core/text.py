"""Text that identifies something (serial numbers, models, names): refuse characters that hide or fake it.

Control characters (NUL included), bidirectional overrides and isolates, zero-width and other
invisible format characters, surrogates, private-use and unassigned code points can make two
different strings look the same on a page, a certificate or a sticker. They are refused with a
message naming the character, the same on every database (PostgreSQL would refuse NUL by itself,
SQLite would store it).
"""
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

_NAMES = {"\x00": "a NUL character", "\u200b": "a zero-width space", "\u200c": "a zero-width non-joiner",
          "\u200d": "a zero-width joiner", "\u2060": "a word joiner", "\ufeff": "a zero-width no-break space"}
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def identity_text_problem(text: str) -> str | None:
    """Why ``text`` may not identify anything, or None when it may.

    :returns: e.g. ``"contains a bidirectional control character (U+202E)"``
    """
    if text != text.strip():
        return "must not begin or end with spaces"
    for ch in text:
        code = f"U+{ord(ch):04X}"
        if ch in _NAMES:
            return f"contains {_NAMES[ch]} ({code})"
        if ch in _BIDI:
            return f"contains a bidirectional control character ({code})"
        category = unicodedata.category(ch)
        if category == "Cc":
            return f"contains a control character ({code})"
        if category == "Cf":
            return f"contains an invisible format character ({code})"
        if category in ("Cs", "Co", "Cn"):
            return f"contains a character that is not allowed ({code})"
        if category == "Zs" and ch != " ":
            return f"contains an unusual space character ({code})"
    return None


def identity_problems(data: Mapping[str, Any], keys: Iterable[str]) -> dict[str, list[str]]:
    """``{key: [problem]}`` for the values of ``keys`` in ``data`` that may not identify anything."""
    out = {}
    for key in keys:
        value = data.get(key)
        if isinstance(value, str):
            problem = identity_text_problem(value)
            if problem:
                out[key] = [problem]
    return out
