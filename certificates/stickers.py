"""Printable A4 sheets of verification marks (检定合格标记) for a batch of instruments.

Each sticker carries the QR code, the lab name, the certificate number, the result and
the due date (when the certificate has one). The QR is drawn as vector modules at a fixed
module size of 0.5 mm, so a version-9 symbol (the usual size of a verification URL, 53
modules) is 26.5 mm wide without its quiet zone; :func:`sticker_layout` reports the version
and module size actually used, and we refuse to make a symbol narrower than 25 mm.
"""
from __future__ import annotations

import datetime as _dt
import io
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from . import _checks as chk
from ._pdfkit import QUIET_ZONE, draw_qr, new_canvas
from .fonts import FONT_NAME, check_text
from .qr import qr_symbol

__all__ = ["StickerItem", "StickerLayout", "render_sticker_sheet", "sticker_layout", "MIN_QR_MM", "MODULE_MM"]

MIN_QR_MM = 25.0
MODULE_MM = 0.5
COLUMNS, ROWS = 3, 7
STICKER_W, STICKER_H = A4[0] / COLUMNS, A4[1] / ROWS  # 70 mm x 42.4 mm


@dataclass(frozen=True)
class StickerItem:
    """One verification mark.

    :param qr_text: QR content (the verification URL)
    :param certificate_number: certificate number
    :param lab_name: lab name as printed (short form)
    :param result: result as printed, e.g. ``"合格 Pass"``
    :param due_date: valid-until date, ``None`` when the certificate has none
    :param instrument: short instrument description, optional
    """

    qr_text: str
    certificate_number: str
    lab_name: str
    result: str
    due_date: _dt.date | None = None
    instrument: str | None = None

    def __post_init__(self):
        chk.text("qr_text", self.qr_text, max_len=2000)
        chk.text("certificate_number", self.certificate_number, max_len=64)
        chk.text("lab_name", self.lab_name, max_len=24)
        chk.text("result", self.result, max_len=12)
        chk.date("due_date", self.due_date, required=False)
        chk.text("instrument", self.instrument, required=False, max_len=30)


@dataclass(frozen=True)
class StickerLayout:
    """Measured facts about the QR codes on a sheet.

    :param versions: QR versions used (sorted, distinct)
    :param module_mm: module size in millimetres
    :param qr_mm: symbol width without quiet zone, for the largest version
    :param min_qr_mm: symbol width for the smallest version
    :param pages: number of A4 pages
    """

    versions: tuple[int, ...]
    module_mm: float
    qr_mm: float
    min_qr_mm: float
    pages: int


def sticker_layout(items: list[StickerItem]) -> StickerLayout:
    """Compute the QR versions and sizes a sheet will use, without rendering it.

    :param items: the stickers
    :returns: the layout facts
    """
    versions = sorted({qr_symbol(i.qr_text).version for i in items}) or [0]
    return _layout(versions, len(items))


def _layout(versions, count: int) -> StickerLayout:
    width = lambda v: (17 + 4 * v) * MODULE_MM  # noqa: E731 - modules per side of version v
    return StickerLayout(versions=tuple(versions), module_mm=MODULE_MM, qr_mm=width(max(versions)),
                         min_qr_mm=width(min(versions)), pages=max(1, -(-count // (COLUMNS * ROWS))))


def render_sticker_sheet(items: list[StickerItem], day: _dt.date | None = None) -> tuple[bytes, StickerLayout]:
    """Render stickers on A4 sheets, 3 x 7 per page (70 mm x 42.4 mm labels).

    :param items: the stickers, in order
    :param day: date written as the PDF creation date (default: the earliest due date, else 2000-01-01)
    :returns: the PDF bytes (deterministic) and the layout facts
    :raises ValueError: when ``items`` is empty or a QR would be narrower than 25 mm or not fit
    :raises certificates.fonts.MissingGlyphs: when some text cannot be drawn
    """
    if not items or not all(isinstance(i, StickerItem) for i in items):
        raise ValueError("items: need at least one StickerItem")
    buf = io.BytesIO()
    canv = new_canvas(buf, day or _dt.date(2000, 1, 1), pagesize=A4)
    canv.setTitle("检定合格标记 Verification marks")
    versions = set()
    per_page = COLUMNS * ROWS
    for n, item in enumerate(items):
        if n and n % per_page == 0:
            canv.showPage()
        slot = n % per_page
        x, y = (slot % COLUMNS) * STICKER_W, A4[1] - (slot // COLUMNS + 1) * STICKER_H
        versions.add(_draw_sticker(canv, item, x, y, f"items[{n}]"))
    canv.showPage()
    canv.save()
    return buf.getvalue(), _layout(sorted(versions), len(items))


def _draw_sticker(canv, item: StickerItem, x: float, y: float, field: str) -> int:
    symbol = qr_symbol(item.qr_text)
    module = MODULE_MM * mm
    side = symbol.size * module
    if side < MIN_QR_MM * mm - 1e-6:
        raise ValueError(f"{field}.qr_text: QR would be {side / mm:.1f} mm wide, below {MIN_QR_MM} mm")
    box = 1 * mm + side + 2 * QUIET_ZONE * module  # 1 mm border inset, then the quiet zone
    if side + 2 * QUIET_ZONE * module > STICKER_H - 2 * mm:
        raise ValueError(f"{field}.qr_text: QR version {symbol.version} does not fit the sticker")
    canv.setStrokeColorRGB(0.75, 0.75, 0.75)
    canv.setLineWidth(0.3)
    canv.rect(x + 1 * mm, y + 1 * mm, STICKER_W - 2 * mm, STICKER_H - 2 * mm, stroke=1, fill=0)
    qx, qy = x + 1 * mm + QUIET_ZONE * module, y + (STICKER_H - side) / 2
    draw_qr(canv, symbol, qx, qy, module)
    tx = x + box + 0.5 * mm
    lines = [(item.lab_name, 7), (item.result, 10), (f"No. {item.certificate_number}", 6.5)]
    if item.due_date is not None:
        lines.append((f"有效期至 Valid until {item.due_date.isoformat()}", 6.5))
    if item.instrument:
        lines.append((item.instrument, 6))
    ty = y + STICKER_H - 7 * mm
    max_w = STICKER_W - (tx - x) - 2 * mm
    for i, (text, size) in enumerate(lines):
        check_text(f"{field}.line{i}", text)
        size = _fit(text, size, max_w)
        canv.setFont(FONT_NAME, size)
        canv.drawString(tx, ty, text)
        ty -= size * 1.45
    return symbol.version


def _fit(text: str, size: float, width: float) -> float:
    w = stringWidth(text, FONT_NAME, size)
    return size if w <= width else max(3.5, size * width / w)
