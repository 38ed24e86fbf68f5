"""Render a certificate record as a bilingual PDF (reportlab platypus).

Three documents share one layout: 检定证书 (verification certificate), 检定结果通知书
(notice of verification result, with the failed items and no due date) and 校准证书
(calibration certificate: results with uncertainty, conformity and due date only when
the record carries them). Contents follow ISO/IEC 17025:2017 7.8.2.1 / 7.8.4.1 and the
Chinese layout (title, number and "page x of y" on every page, signatures, end mark).

The output is deterministic: the same record and QR text give the same bytes, so the
SHA-256 stored at issue can be recomputed.
"""
from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from . import labels as L
from ._pdfkit import QRFlowable, cell, numbered_canvas_class, para, styles
from ._pdftables import results_table, signature_table, standards_table, statements
from .data import CertificateData, DocumentKind
from .fonts import FONT_NAME, check_text, register_font
from .qr import qr_symbol

__all__ = ["render_pdf", "QR_WIDTH_MM"]

QR_WIDTH_MM = 30.0  #: QR box incl. quiet zone; a version-9 symbol is then 26 mm wide
_MARGIN = 15 * mm
_WIDTH = A4[0] - 2 * _MARGIN
_GRID = TableStyle([
    ("FONT", (0, 0), (-1, -1), FONT_NAME, 8.5, 10.6),  # for plain-string cells (style "body")
    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
])


def render_pdf(data: CertificateData, qr_text: str) -> bytes:
    """Render the certificate PDF.

    :param data: the frozen certificate record
    :param qr_text: content of the QR code, normally :func:`certificates.qr.verification_url`
    :returns: the PDF bytes (deterministic for equal inputs)
    :raises certificates.fonts.FontNotFound: when the CJK font is not installed
    :raises certificates.fonts.MissingGlyphs: when some text cannot be drawn, naming the field
    """
    if not isinstance(data, CertificateData):
        raise TypeError(f"data: must be a CertificateData, got {type(data).__name__}")
    register_font()  # FontNotFound before any work
    st = styles()
    buf = io.BytesIO()
    zh, en = L.TITLES[data.kind]
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=_MARGIN, rightMargin=_MARGIN, topMargin=24 * mm,
                            bottomMargin=19 * mm, title=f"{zh} {en.capitalize()} {data.number}",
                            author=data.lab.name_en, subject=data.number, creator="metrology-lims",
                            keywords=[data.number, data.kind.value], lang="zh-CN", invariant=1)
    story = _title_block(data, qr_text, st) + _body(data, st)
    doc.build(story, canvasmaker=numbered_canvas_class(_decorator(data), data.issue_date))
    return buf.getvalue()


def _decorator(data: CertificateData):
    zh_title, en_title = L.TITLES[data.kind]
    lab = data.lab
    for field, value in (("lab.name", lab.name), ("lab.name_en", lab.name_en), ("lab.address", lab.address)):
        check_text(field, value)
    contact = "  ".join(x for x in (lab.address, lab.phone and f"Tel {lab.phone}",
                                    lab.authorisation and f"授权证书号 / Authorisation: {lab.authorisation}") if x)
    check_text("lab", contact)
    width, height = A4

    def decorate(canv, page, pages):
        canv.saveState()
        canv.setFont(FONT_NAME, 11)
        canv.drawString(_MARGIN, height - 14 * mm, lab.name)
        canv.setFont(FONT_NAME, 7.5)
        canv.drawString(_MARGIN, height - 18 * mm, lab.name_en)
        right = width - _MARGIN
        canv.setFont(FONT_NAME, 9)
        canv.drawRightString(right, height - 14 * mm, f"{L.FIELDS['number'][0]} / No.: {data.number}")
        canv.setFont(FONT_NAME, 8)
        pz, pe = L.FIELDS["page"]
        canv.drawRightString(right, height - 18 * mm,
                             f"{pz.format(page=page, pages=pages)} / {pe.format(page=page, pages=pages)}")
        canv.setLineWidth(0.6)
        canv.line(_MARGIN, height - 20.5 * mm, right, height - 20.5 * mm)
        canv.line(_MARGIN, 17 * mm, right, 17 * mm)
        canv.setFont(FONT_NAME, 6.5)
        canv.drawString(_MARGIN, 13 * mm, contact[:150])
        canv.drawString(_MARGIN, 9.5 * mm, f"{L.NOT_REPRODUCE[0]} {L.NOT_REPRODUCE[1]}")
        canv.drawRightString(right, 6 * mm, f"{zh_title} {en_title.capitalize()}  {data.number}")
        canv.restoreState()

    return decorate


def _title_block(data: CertificateData, qr_text: str, st) -> list:
    zh, en = L.TITLES[data.kind]
    side = QR_WIDTH_MM * mm + 4
    title = [Spacer(1, 6), cell("title", zh, st["title"], _WIDTH - side, center=True), Spacer(1, 4),
             cell("title", en, st["title_en"], _WIDTH - side, center=True), Spacer(1, 3)]
    if data.replaces:
        assert data.amendment is not None  # validated with replaces (CertificateData.__post_init__)
        how_zh, how_en = L.AMENDMENT[data.amendment.value]
        line_zh = L.REPLACES[0].format(old=data.replaces, how=how_zh, reason=data.amendment_reason)
        line_en = L.REPLACES[1].format(old=data.replaces, how_en=how_en, reason=data.amendment_reason)
        title.append(para("amendment_reason", line_zh, st["small"], line_en))
    symbol = qr_symbol(qr_text)
    qr = [QRFlowable(symbol, QR_WIDTH_MM * mm), cell("qr", L.QR_CAPTION[0], st["small"], side, L.QR_CAPTION[1])]
    table = Table([[title, qr]], colWidths=[A4[0] - 2 * _MARGIN - side, side])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                               ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return [table, Spacer(1, 3)]


def _info_entries(data: CertificateData) -> list[tuple]:
    """(label key, field, text, second line, wide) for every filled-in field, in print order."""
    inst = data.instrument
    performed = data.performed_date.isoformat()
    if data.performed_end_date and data.performed_end_date != data.performed_date:
        performed += f" ~ {data.performed_end_date.isoformat()}"
    customer = data.customer.name + (f"\n{data.customer.address}" if data.customer.address else "")
    entries = [
        ("customer", "customer", customer, None, True),
        ("instrument", "instrument.name", inst.name, inst.name_en, True),
        ("model", "instrument.model", inst.model, None, False),
        ("serial", "instrument.serial_number", inst.serial_number, None, False),
        ("manufacturer", "instrument.manufacturer", inst.manufacturer, None, False),
        ("instrument_id", "instrument.instrument_id", inst.instrument_id, None, False),
        ("accuracy_class", "instrument.accuracy_class", inst.accuracy_class, None, False),
        ("range", "instrument.measuring_range", inst.measuring_range, None, False),
        ("method", "method", f"{data.method.code} 《{data.method.title}》", data.method.title_en, True),
        *_conclusion_rows(data),
        ("received", "received_date", data.received_date and data.received_date.isoformat(), None, False),
        ("performed", "performed_date", performed, None, False),
        (_due_key(data), "due_date", data.due_date and data.due_date.isoformat(), None, False),
        ("issued", "issue_date", data.issue_date.isoformat(), None, False),
        ("location", "location", data.location, None, False),
        ("raw_record", "raw_record_number", data.raw_record_number, None, False),
        ("environment", "environment", _environment(data), None, True),
        ("deviations", "method.deviations", data.method.deviations, None, True),
    ]
    return [e for e in entries if e[2]]


def _info_table(data: CertificateData, st) -> Table:
    work = L.WORK[data.kind]
    lw, vw = 36 * mm, (_WIDTH - 72 * mm) / 2
    rows: list = []
    spans: list = []
    pending: list = []

    def label(key):
        zh, en = L.FIELDS[key]
        return cell(key, f"{zh.format(work=work[0])} {en.format(work=work[1])}", st["label"], lw - 6, plain=True)

    def flush():
        if pending:
            row = [c for e in pending
                   for c in (label(e[0]), cell(e[1], e[2], st["body"], vw - 6, e[3], st["small"], plain=True))]
            if len(pending) == 1:
                spans.append(("SPAN", (1, len(rows)), (3, len(rows))))
                row += ["", ""]
            rows.append(row)
            pending.clear()

    for entry in _info_entries(data):
        if entry[4]:
            flush()
            spans.append(("SPAN", (1, len(rows)), (3, len(rows))))
            rows.append([label(entry[0]), cell(entry[1], entry[2], st["body"], _WIDTH - lw - 6, entry[3],
                                               st["small"], plain=True), "", ""])
        else:
            pending.append(entry)
            if len(pending) == 2:
                flush()
    flush()
    table = Table(rows, colWidths=[lw, vw, lw, vw])
    table.setStyle(_GRID)
    size = st["label"].fontSize
    table.setStyle(TableStyle(spans + [("FONT", (c, 0), (c, -1), FONT_NAME, size, size * 1.25) for c in (0, 2)]))
    return table


def _due_key(data: CertificateData) -> str:
    return "due_calibration" if data.kind is DocumentKind.CALIBRATION else "due_verification"


def _conclusion_rows(data: CertificateData) -> list:
    if data.conformity is None:
        return []
    zh, en = L.CONFORMITY[data.conformity]
    if data.instrument.accuracy_class and data.kind is DocumentKind.VERIFICATION:
        zh = f"{data.instrument.accuracy_class}级{zh}"
    rows: list[tuple[str, str, str, str | None, bool]] = [("conclusion", "conformity", zh, en, True)]
    failed = data.failed_items()
    if failed:
        text = "；".join(f"{r.item}（{r.item_en}）" for r in failed)
        rows.append(("failed", "results", text, None, True))
    return rows


def _environment(data: CertificateData) -> str | None:
    if not data.environment:
        return None
    return "；".join(f"{c.name} {c.name_en}: {c.value} {c.unit}" for c in data.environment)


def _body(data: CertificateData, st) -> list:
    story = [_info_table(data, st)]
    if data.standards:
        story += [cell("standards", *_pair("standards"), st["head"], _WIDTH), standards_table(data, st, _GRID)]
    work_zh, work_en = L.WORK[data.kind]
    zh, en = L.FIELDS["results"]
    story += [cell("results", f"{zh.format(work=work_zh)} / {en.format(work=work_en)}", st["head"], _WIDTH),
              results_table(data, st, _GRID)]
    story += statements(data, st)
    story.append(KeepTogether([Spacer(1, 6), signature_table(data, st), Spacer(1, 6),
                               cell("end", f"{L.END_MARK[0]}  {L.END_MARK[1]}", st["center"], _WIDTH,
                                    center=True)]))
    return story


def _pair(key: str) -> tuple[str]:
    zh, en = L.FIELDS[key]
    return (f"{zh} / {en}",)
