"""The embedded CJK font: find it, register it with reportlab, and check glyph coverage.

The project's set-up installs the Debian package ``fonts-wqy-zenhei`` (TrueType outlines in
a ``.ttc`` collection, which reportlab can embed and subset). ``LIMS_CJK_FONT`` overrides
the search, as ``/path/font.ttc`` or ``/path/font.ttc#<subfont index>``. If no font is
found we raise :class:`FontNotFound` instead of rendering boxes for missing glyphs.
"""
from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

__all__ = ["FONT_NAME", "FontNotFound", "MissingGlyphs", "SEARCH_PATHS", "find_font", "register_font",
           "missing_glyphs", "check_text"]

log = logging.getLogger(__name__)

FONT_NAME = "LimsCJK"
ENV_VAR = "LIMS_CJK_FONT"
SEARCH_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/local/share/fonts/wqy-zenhei.ttc",
)


class FontNotFound(RuntimeError):
    """No usable CJK font is installed."""


class MissingGlyphs(ValueError):
    """Some text has characters the embedded font cannot draw.

    :param field: which text; :param chars: the characters without a glyph
    """

    def __init__(self, field: str, chars: str):
        self.field = field
        self.chars = chars
        listing = " ".join(f"{c!r} (U+{ord(c):04X})" for c in chars)
        super().__init__(f"{field}: characters not in the certificate font: {listing}")


def find_font() -> tuple[Path, int]:
    """Locate the CJK font file.

    :returns: the path and the sub-font index inside a ``.ttc`` collection
    :raises FontNotFound: naming the package to install and the override variable
    """
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        path, _, index = override.partition("#")
        if not Path(path).is_file():
            raise FontNotFound(f"{ENV_VAR}={override!r}: no such font file")
        if index and not index.isdigit():
            raise FontNotFound(f"{ENV_VAR}={override!r}: the part after '#' must be a sub-font number")
        return Path(path), int(index or 0)
    for candidate in SEARCH_PATHS:
        if Path(candidate).is_file():
            return Path(candidate), 0
    raise FontNotFound("no CJK font found: install the Debian package fonts-wqy-zenhei "
                       f"(apt-get install fonts-wqy-zenhei) or set {ENV_VAR}=/path/to/font.ttc")


@functools.cache
def register_font() -> TTFont:
    """Register the CJK font with reportlab once per process.

    :returns: the registered font (its ``face.charToGlyph`` maps code points to glyphs)
    :raises FontNotFound: when no font is found or it cannot be embedded
    """
    path, index = find_font()
    try:
        font = TTFont(FONT_NAME, str(path), subfontIndex=index)
    except (TTFError, OSError) as exc:
        raise FontNotFound(f"{path}: cannot be embedded (need TrueType outlines): {exc}") from None
    pdfmetrics.registerFont(font)
    log.debug("registered CJK font %s#%d", path, index)
    return font


@functools.cache
def _drawable() -> frozenset[str]:
    return frozenset(map(chr, register_font().face.charToGlyph)) | {"\n", "\r"}


def missing_glyphs(text: str) -> str:
    """Return the characters of ``text`` that the font has no glyph for (line breaks ignored).

    :param text: any text
    :returns: the distinct missing characters, in order of appearance
    """
    missing = set(text) - _drawable()
    return "".join(dict.fromkeys(ch for ch in text if ch in missing)) if missing else ""


def check_text(field: str, text: str) -> str:
    """Raise unless every character of ``text`` can be drawn.

    :param field: name of the text, for the error
    :param text: the text
    :returns: ``text`` unchanged
    :raises MissingGlyphs: naming the field and the characters
    """
    missing = missing_glyphs(text)
    if missing:
        raise MissingGlyphs(field, missing)
    return text
