"""Reporting: rounding for certificates (GUM 7.2.6) and budget tables as plain data.

Nothing here renders; :mod:`certificates` and the ``lims`` pages format these plain values.
Rounding works on the decimal representation (:class:`decimal.Decimal` of ``repr(x)``), so
``0.125`` rounds as a person would round the printed number, not its binary approximation.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .results import GumResult

__all__ = ["round_uncertainty", "round_result", "format_value", "budget_table", "ROUNDING_MODES"]

log = logging.getLogger(__name__)
ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "up": ROUND_CEILING}

#: Column headings of :func:`budget_table` (Chinese first, English second).
COLUMNS = (
    ("name", "输入量", "Input quantity"),
    ("description", "说明", "Description"),
    ("value", "估计值", "Estimate"),
    ("u", "标准不确定度", "Standard uncertainty"),
    ("distribution", "分布", "Distribution"),
    ("sensitivity", "灵敏系数", "Sensitivity coefficient"),
    ("contribution", "不确定度分量", "Contribution"),
    ("share", "方差占比", "Share of variance"),
    ("dof", "自由度", "Degrees of freedom"),
)
DISTRIBUTION_LABELS = {
    "normal": ("正态", "normal"), "rectangular": ("均匀", "rectangular"), "triangular": ("三角", "triangular"),
    "arcsine": ("反正弦", "arcsine"), "trapezoidal": ("梯形", "trapezoidal"), "t": ("t 分布", "Student t"),
    "type_a": ("A 类 (t)", "Type A (t)"),
}


def _decimal(x, key):
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise ValueError(f"{key}: must be a finite number, got {x!r}")
    return Decimal(repr(float(x)))


def round_uncertainty(U: float, digits: int = 2, mode: str = "half_up") -> Decimal:
    """Round an uncertainty to ``digits`` significant digits (GUM 7.2.6).

    :param U: the uncertainty (> 0)
    :param digits: significant digits (GUM: at most two)
    :param mode: ``half_up`` (nearest, ties away from zero), ``half_even`` (GB/T 8170
        四舍六入五成双) or ``up`` (只进不舍: GUM 7.2.6 and JJF 1059.1 allow rounding U up)
    :returns: the rounded value as a :class:`~decimal.Decimal` (its exponent is the decimal place)
    :raises ValueError: for a non-positive or non-finite ``U`` or unknown mode

    >>> str(round_uncertainty(0.0291)), str(round_uncertainty(0.0996)), str(round_uncertainty(0.0221, mode="up"))
    ('0.029', '0.10', '0.023')
    """
    if mode not in ROUNDING_MODES:
        raise ValueError(f"mode: must be one of {', '.join(ROUNDING_MODES)}, got {mode!r}")
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise ValueError(f"digits: must be a positive integer, got {digits!r}")
    d = _decimal(U, "U")
    if d <= 0:
        raise ValueError(f"U: must be > 0, got {U!r}")
    exponent = d.adjusted() - digits + 1
    rounded = d.quantize(Decimal(1).scaleb(exponent), rounding=ROUNDING_MODES[mode])
    if rounded.adjusted() > d.adjusted():  # 0.0996 -> 0.100: drop the extra digit
        rounded = rounded.quantize(Decimal(1).scaleb(exponent + 1), rounding=ROUNDING_MODES[mode])
    return rounded




def format_value(d: Decimal) -> str:
    """Plain (non-scientific) text of a Decimal.

    :param d: a :class:`~decimal.Decimal`
    :returns: str

    >>> format_value(Decimal("1.2E+3"))
    '1200'
    """
    return format(d, "f")


def round_result(value: float, U: float, digits: int = 2, mode: str = "half_up") -> dict[str, str]:
    """Round a result for a certificate: U to ``digits`` significant digits, the value to the
    same decimal place (GUM 7.2.6).

    :param value: the estimate y
    :param U: the expanded (or standard) uncertainty
    :param digits: significant digits of U
    :param mode: rounding of U (see :func:`round_uncertainty`); the value rounds half-even with
        ``half_even`` (GB/T 8170 四舍六入五成双, as JJF 1059.1 refers to) and half-up otherwise
    :returns: ``{"value": str, "U": str}``; with ``U == 0`` the value is given unrounded
    :raises ValueError: for non-finite numbers

    >>> round_result(10000.02526, 0.05852)
    {'value': '10000.025', 'U': '0.059'}
    >>> round_result(50000838.4, 92.6)
    {'value': '50000838', 'U': '93'}
    >>> round_result(98765.4, 1234)
    {'value': '98800', 'U': '1200'}
    """
    v = _decimal(value, "value")
    if float(U) == 0:
        return {"value": format_value(v), "U": "0"}
    u = round_uncertainty(U, digits, mode)
    quantum = Decimal(1).scaleb(int(u.as_tuple().exponent))  # finite: U was checked
    value_rounding = ROUND_HALF_EVEN if mode == "half_even" else ROUND_HALF_UP
    return {"value": format_value(v.quantize(quantum, rounding=value_rounding)), "U": format_value(u)}


def _sig(x, digits):
    if x is None:
        return "∞"
    if isinstance(x, str):
        return x
    if x == 0:
        return "0"
    if math.isinf(x):
        return "∞"
    return f"{x:.{digits}g}"


def budget_table(gum_result: GumResult, digits: int = 3, unit: str | None = None,
                 descriptions: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An uncertainty budget as plain data for HTML pages and PDF certificates (GUM 7.2.5).

    :param gum_result: a :class:`~uncertainty.results.GumResult` or the ``"gum"`` dict of
        :func:`~uncertainty.serialization.evaluate_budget`
    :param digits: significant digits of the numbers in the rows
    :param unit: unit of the output quantity, added to the summary
    :param descriptions: optional mapping of input name to a description for the rows
    :returns: ``{"columns": [{"key", "zh", "en"}], "rows": [{key: text}], "summary": {...}}``

    >>> from uncertainty.gum import gum
    >>> from uncertainty.quantities import normal
    >>> t = budget_table(gum("a + b", [normal("a", 1.0, 0.3), normal("b", 2.0, 0.4)]))
    >>> t["rows"][1]["share"], t["summary"]["U"]
    ('64.0 %', '0.98')
    """
    g = gum_result if isinstance(gum_result, dict) else _gum_dict(gum_result)
    rows = []
    for row in g["budget"]:
        zh, en = DISTRIBUTION_LABELS.get(row["distribution"], (row["distribution"],) * 2)
        rows.append({
            "name": row["name"], "description": (descriptions or {}).get(row["name"], ""),
            "value": _sig(row["value"], 10), "u": _sig(row["u"], digits),
            "distribution": f"{zh} / {en}", "sensitivity": _sig(row["sensitivity"], digits),
            "contribution": _sig(row["contribution"], digits), "share": f"{100 * row['share']:.1f} %",
            "dof": _sig(row["dof"], digits),
        })
    rounded = round_result(g["value"], g["U"]) if g["U"] > 0 else {"value": _sig(g["value"], 10), "U": "0"}
    summary = {
        "value": rounded["value"], "U": rounded["U"], "u": _sig(g["u"], 2), "k": f"{g['k']:.2f}",
        "dof": _sig(g["dof"], 3), "coverage": f"{100 * g['coverage']:g} %", "unit": unit or "",
    }
    return {"columns": [{"key": k, "zh": zh, "en": en} for k, zh, en in COLUMNS], "rows": rows, "summary": summary}


def _gum_dict(res):
    return {"value": res.value, "U": res.U, "u": res.u, "k": res.k, "dof": res.dof, "coverage": res.coverage,
            "budget": [{"name": b.name, "value": b.value, "u": b.u, "distribution": b.distribution,
                        "sensitivity": b.sensitivity, "contribution": b.contribution, "share": b.share,
                        "dof": b.dof} for b in res.budget]}
