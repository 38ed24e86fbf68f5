"""reportlab helpers shared by the certificate and sticker renderers.

* deterministic output: invariant mode plus a creation date taken from the record;
* a canvas class that draws "page x of y" and the certificate number on every page;
* QR symbols drawn as vector rectangles (no PNG encode/decode, sharp at any zoom).
"""
from __future__ import annotations

import calendar
import datetime as _dt
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import TimeStamp
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph

from .fonts import FONT_NAME, check_text, register_font
from .qr import QRSymbol

QUIET_ZONE = 4  # modules, ISO/IEC 18004


def fixed_timestamp(day: _dt.date) -> TimeStamp:
    """Make a reportlab timestamp for midnight UTC of ``day``.

    :param day: the document date (the issue date)
    :returns: a timestamp object reportlab writes as CreationDate/ModDate
    """
    ts = TimeStamp(invariant=1)
    ts.t = calendar.timegm(day.timetuple())
    ts.lt = tuple(day.timetuple())
    ts.YMDhms = (day.year, day.month, day.day, 0, 0, 0)
    ts.dhh = ts.dmm = 0
    ts.tzname = "UTC"
    return ts


def new_canvas(buf, day: _dt.date, **kw) -> Canvas:
    """Create a deterministic canvas (invariant mode, fixed date, Chinese language tag).

    :param buf: file-like target
    :param day: creation date
    :param kw: further :class:`Canvas` arguments
    :returns: the canvas
    """
    register_font()
    canv = Canvas(buf, invariant=1, lang="zh-CN", **kw)
    canv._doc._timeStamp = fixed_timestamp(day)
    canv.setCreator("metrology-lims certificates")
    canv.setProducer("ReportLab")
    return canv


def styles(base: float = 8.5) -> dict[str, ParagraphStyle]:
    """Paragraph styles, all in the embedded CJK font with CJK line breaking.

    :param base: body font size in points
    :returns: styles by name: body, small, label, title, title_en, head, center
    """
    body = ParagraphStyle("body", fontName=FONT_NAME, fontSize=base, leading=base * 1.3, wordWrap="CJK")
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=base - 1.5, leading=(base - 1.5) * 1.25),
        "label": ParagraphStyle("label", parent=body, fontSize=base - 1.5, leading=(base - 1.5) * 1.2),
        "title": ParagraphStyle("title", parent=body, fontSize=22, leading=26, alignment=1),
        "title_en": ParagraphStyle("title_en", parent=body, fontSize=11, leading=14, alignment=1),
        "head": ParagraphStyle("head", parent=body, fontSize=base + 1.5, leading=(base + 1.5) * 1.3,
                               spaceBefore=5, spaceAfter=2),
        "center": ParagraphStyle("center", parent=body, alignment=1),
    }


def para(field: str, text: str, style: ParagraphStyle, second: str | None = None,
         second_style: ParagraphStyle | None = None) -> Paragraph:
    """A paragraph of checked, escaped text; optional second line (the English) in another style.

    :param field: name of the text for glyph errors
    :param text: first-language text
    :param style: its style
    :param second: optional second line
    :param second_style: style of the second line (font size is what matters)
    :returns: the paragraph
    :raises certificates.fonts.MissingGlyphs: when the font cannot draw a character
    """
    markup = escape(check_text(field, text)).replace("\n", "<br/>")
    if second:
        size = (second_style or style).fontSize
        markup += f'<br/><font size="{size}">{escape(check_text(field, second))}</font>'
    return Paragraph(markup, style)


def draw_qr(canv: Canvas, symbol: QRSymbol, x: float, y: float, module: float):
    """Draw a QR symbol as filled rectangles (one per horizontal run of dark modules).

    The rectangles are written in module units under a scaling transform, as integer PDF
    ``re`` operators through :meth:`Canvas.addLiteral` (fast, and runs abut exactly).

    :param canv: target canvas
    :param symbol: the symbol
    :param x: left edge of the first module (quiet zone not included)
    :param y: bottom edge of the last row
    :param module: module size in points
    """
    n = symbol.size
    ops = []
    for r, row in enumerate(symbol.rows):
        top = n - 1 - r
        c = 0
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                ops.append(f"{start} {top} {c - start} 1 re")
            else:
                c += 1
    canv.saveState()
    canv.setFillColorRGB(0, 0, 0)
    canv.transform(module, 0, 0, module, x, y)
    canv.addLiteral("\n".join(ops) + "\nf")
    canv.restoreState()


class QRFlowable(Flowable):
    """A vector QR symbol with its quiet zone, as a platypus flowable.

    :param symbol: the QR symbol
    :param width: total width including the 4-module quiet zone, in points
    """

    def __init__(self, symbol: QRSymbol, width: float):
        super().__init__()
        self.symbol = symbol
        self.module = width / (symbol.size + 2 * QUIET_ZONE)
        self.width = self.height = width

    def wrap(self, avail_width, avail_height):
        return self.width, self.height

    def draw(self):
        q = QUIET_ZONE * self.module
        draw_qr(self.canv, self.symbol, q, q, self.module)


def numbered_canvas_class(decorate, day: _dt.date):
    """Make a canvas class that knows the page count when it draws headers and footers.

    :param decorate: ``decorate(canvas, page, pages)`` draws the running header/footer
    :param day: creation date written into the PDF
    :returns: a :class:`Canvas` subclass for ``doc.build(..., canvasmaker=...)``
    """

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            kwargs["invariant"] = 1
            super().__init__(*args, **kwargs)
            self._doc._timeStamp = fixed_timestamp(day)
            self.setCreator("metrology-lims certificates")
            self._saved_pages = []

        def showPage(self):
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            pages = len(self._saved_pages)
            for number, state in enumerate(self._saved_pages, start=1):
                self.__dict__.update(state)
                decorate(self, number, pages)
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas


class TextCell(Flowable):
    """Unwrapped lines of text (much cheaper than a CJK :class:`Paragraph`).

    :param lines: ``(text, font size)`` pairs, drawn top to bottom
    :param center: centre the lines in the available width
    :param space_before: extra space above, in points
    :param width: natural width if already measured
    """

    def __init__(self, lines: list[tuple[str, float]], center: bool = False, space_before: float = 0,
                 width: float | None = None):
        super().__init__()
        self.lines = lines
        self.center = center
        self.width = width if width is not None else max(stringWidth(t, FONT_NAME, s) for t, s in lines)
        self.height = sum(s * 1.25 for _, s in lines) + space_before

    def wrap(self, avail_width, avail_height):
        if self.center:
            self.width = avail_width
        return self.width, self.height

    def draw(self):
        y = self.height
        for text, size in self.lines:
            y -= size * 1.25
            self.canv.setFont(FONT_NAME, size)
            if self.center:
                self.canv.drawCentredString(self.width / 2, y + size * 0.25, text)
            else:
                self.canv.drawString(0, y + size * 0.25, text)


def cell(field: str, text: str, style: ParagraphStyle, width: float, second: str | None = None,
         second_style: ParagraphStyle | None = None, center: bool = False, plain: bool = False):
    """A table cell: a :class:`TextCell` when every line fits ``width``, else a wrapping paragraph.

    :param field: name of the text for glyph errors
    :param text: first line(s); ``\\n`` separates lines
    :param style: style of the first text
    :param width: usable cell width in points
    :param second: optional second-language line
    :param second_style: its style
    :param center: centre the lines (a paragraph then uses the style's alignment)
    :param plain: return a bare string for one line that fits (table cells whose ``FONT``
        style command sets this style's font and size; about twice as fast to lay out)
    :returns: a flowable, or the text itself when ``plain`` applies
    :raises certificates.fonts.MissingGlyphs: when the font cannot draw a character
    """
    lines = [(t, style.fontSize) for t in check_text(field, text).split("\n")]
    if second:
        lines.append((check_text(field, second), (second_style or style).fontSize))
    natural = max(stringWidth(t, FONT_NAME, s) for t, s in lines)
    if plain and natural <= width and len(lines) == 1:
        return text
    if natural <= width:
        return TextCell(lines, center=center, space_before=style.spaceBefore, width=natural)
    return para(field, text, style, second, second_style)
