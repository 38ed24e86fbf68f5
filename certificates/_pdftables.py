"""Tables and statements of the certificate body (used by :mod:`certificates.pdf`)."""
from __future__ import annotations

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Table, TableStyle

from . import labels as L
from ._pdfkit import cell, para
from .data import CertificateData, DocumentKind, ResultLine
from .fonts import FONT_NAME

_WIDTH = A4[0] - 30 * mm


def _header(pairs, st, widths) -> list:
    return [cell("header", zh, st["label"], w - 6, en, st["small"]) for (zh, en), w in zip(pairs, widths, strict=False)]


def standards_table(data: CertificateData, st, grid) -> Table:
    """Reference standards with their certificates and traceability (17025 7.8.4.1 c).

    :param data: the record
    :param st: paragraph styles
    :param grid: table style
    :returns: the table
    """
    widths = [w * _WIDTH for w in (0.2, 0.12, 0.14, 0.14, 0.17, 0.23)]
    rows = [_header(L.STANDARD_COLUMNS, st, widths)]
    for i, s in enumerate(data.standards):
        values = (("name", s.name), ("identifier", s.identifier), ("measuring_range", s.measuring_range),
                  ("accuracy", s.accuracy),
                  ("certificate_number", f"{s.certificate_number}\n{s.valid_until.isoformat()}"),
                  ("traceability", s.traceability))
        rows.append([cell(f"standards[{i}].{f}", v, st["small"], w - 6, plain=True)
                     for (f, v), w in zip(values, widths, strict=False)])
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(grid)
    size = st["small"].fontSize
    table.setStyle(TableStyle([("FONT", (0, 1), (-1, -1), FONT_NAME, size, size * 1.25)]))
    return table


def _mpe(r: ResultLine) -> str | None:
    if r.mpe is None:
        return None
    # ASCII minus: the CJK font has no U+2212
    return f"±{r.mpe}" if r.mpe_lower is None else f"+{r.mpe} / -{r.mpe_lower}"


def _uncertainty(r: ResultLine) -> str | None:
    if r.uncertainty is None:
        return None
    return f"{r.uncertainty} (k={r.k}, p={r.coverage_probability})"


def _cell(r: ResultLine, column: str) -> str | None:
    if column == "mpe":
        return _mpe(r)
    if column == "uncertainty":
        return _uncertainty(r)
    if column == "conformity":
        return None if r.conformity is None else "/".join(L.CONFORMITY[r.conformity])
    return getattr(r, column)


def results_table(data: CertificateData, st, grid) -> Table:
    """The results, one row per point; columns without any value are left out.

    :param data: the record
    :param st: paragraph styles
    :param grid: table style
    :returns: the table
    """
    columns = [c for c in L.RESULT_COLUMNS
               if c in ("item", "unit", "measured") or any(_cell(r, c) is not None for r in data.results)]
    weights = {"item": 2.2, "uncertainty": 1.8, "mpe": 1.3, "conformity": 1.1, "unit": 0.7}
    total = sum(weights.get(c, 1.0) for c in columns)
    widths = [weights.get(c, 1.0) / total * _WIDTH for c in columns]
    rows = [_header([L.RESULT_COLUMNS[c] for c in columns], st, widths)]
    for i, r in enumerate(data.results):
        row = [cell(f"results[{i}].item", f"{r.item} {r.item_en}", st["body"], widths[0] - 6, plain=True)]
        for c, w in zip(columns[1:], widths[1:], strict=False):
            value = _cell(r, c)
            row.append(cell(f"results[{i}].{c}", value, st["body"], w - 6, plain=True) if value is not None else "")
        rows.append(row)
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(grid)
    return table


def statements(data: CertificateData, st) -> list:
    """Conformity, uncertainty, validity and remark statements (17025 7.8.2.1 l, 7.8.4.1, 7.8.6).

    :param data: the record
    :param st: paragraph styles
    :returns: flowables
    """
    work_zh, work_en = L.WORK[data.kind]
    out = []
    if data.conformity is not None:
        zh, en = L.CONFORMITY[data.conformity]
        (sz, se), (rz, re_) = L.FIELDS["statement"], L.FIELDS["decision_rule"]
        out.append(cell("conformity", f"{sz} / {se}：{zh} / {en}", st["body"], _WIDTH))
        out.append(para("decision_rule", f"{rz} / {re_}：{data.decision_rule}", st["body"]))
    elif data.kind is DocumentKind.CALIBRATION:
        out.append(cell("conformity", L.NO_CONFORMITY[0], st["body"], _WIDTH, L.NO_CONFORMITY[1], st["small"]))
    if any(r.uncertainty is not None for r in data.results):
        out.append(cell("uncertainty", L.UNCERTAINTY[0], st["body"], _WIDTH, L.UNCERTAINTY[1], st["small"]))
    if data.kind is DocumentKind.VERIFICATION_NOTICE:
        out.append(cell("notice", L.NOTICE_USE[0], st["body"], _WIDTH, L.NOTICE_USE[1], st["small"]))
    work_en_done = "calibrated" if data.kind is DocumentKind.CALIBRATION else "verified"
    out.append(cell("statement", L.ONLY_ITEMS[0].format(work=work_zh), st["body"], _WIDTH,
                    L.ONLY_ITEMS[1].format(work_en=work_en_done), st["small"]))
    for i, remark in enumerate(data.remarks):
        out.append(para(f"remarks[{i}]", remark, st["body"]))
    return out


def signature_table(data: CertificateData, st) -> Table:
    """Signature block: role caption and name for each signatory, marked as e-signed.

    :param data: the record
    :param st: paragraph styles
    :returns: the table
    """
    cells = []
    w = _WIDTH / len(data.signatories)
    for i, s in enumerate(data.signatories):
        zh, en = L.role_label(s.role, data.kind)
        caption = f"{zh} {en}：" + (f"{s.title} " if s.title else "")
        cells.append([cell(f"signatories[{i}]", caption, st["label"], w - 6),
                      cell(f"signatories[{i}].name", s.name, st["head"], w - 6,
                           f"{L.E_SIGNED[0]} {L.E_SIGNED[1]}", st["small"])])
    table = Table([cells], colWidths=[_WIDTH / len(cells)] * len(cells))
    return table
