"""Conformity decisions for a measured error against maximum permissible errors (MPE).

Rules (``rule=``):

``simple``
    ILAC-G8:09/2019 4.2.1 binary simple acceptance (guard band w = 0), with the check of the
    ratio U/MPE against the fraction the regulation allows (default 1/3, JJF 1094 and
    OIML R 76-1 3.7.1); exceeding it is flagged in ``ratio_ok`` and ``warnings``.
``guarded``
    ILAC-G8 4.2.2 binary acceptance with guard band ``w = r*U`` (``guard_factor`` = r, default 1):
    acceptance limits ``TL -/+ w``.
``ilac_nonbinary``
    ILAC-G8 4.2.3: pass, conditional pass, conditional fail, fail with guard band ``w = r*U``.
``jjf1094``
    JJF 1094-2002 (Chinese legal verification): if U95 <= MPE/3 judge simply; otherwise pass when
    ``|E| <= MPE - U``, fail when ``|E| >= MPE + U`` and 待定 (undecided) in between.

Every decision carries the probability of conformity for a Gaussian PDF of the error
(JCGM 106:2012 7.3.2, ``p_c = Phi((T_U - E)/u) - Phi((T_L - E)/u)`` with ``u = U/k``).
"""
from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from scipy import special

from .errors import BudgetError

__all__ = ["Decision", "decide", "probability_of_conformity", "RULES", "VERDICTS"]

log = logging.getLogger(__name__)

RULES = {
    "simple": ("ILAC-G8:09/2019 4.2.1 简单接受 / simple acceptance", "ILAC-G8:09/2019 4.2.1"),
    "guarded": ("ILAC-G8:09/2019 4.2.2 保护带接受 / guarded acceptance", "ILAC-G8:09/2019 4.2.2"),
    "ilac_nonbinary": ("ILAC-G8:09/2019 4.2.3 非二元判定 / non-binary rule", "ILAC-G8:09/2019 4.2.3"),
    "jjf1094": ("JJF 1094-2002 检定判定规则 / verification decision rule", "JJF 1094-2002"),
}
#: verdict code -> (Chinese, English)
VERDICTS = {
    "pass": ("合格", "Pass"),
    "fail": ("不合格", "Fail"),
    "conditional_pass": ("有条件合格", "Conditional pass"),
    "conditional_fail": ("有条件不合格", "Conditional fail"),
    "undecided": ("待定", "Undecided"),
}


@dataclass(frozen=True)
class Decision:
    """A conformity decision a certificate can print.

    :ivar verdict: code, a key of :data:`VERDICTS`
    :ivar label_zh: Chinese label (合格, 不合格, 待定 ...)
    :ivar label_en: English label
    :ivar rule: rule code (a key of :data:`RULES`)
    :ivar rule_name: the rule's printable name, with its document and clause
    :ivar error: measured error E
    :ivar U: expanded uncertainty of E
    :ivar k: coverage factor of U
    :ivar tolerance: ``(T_L, T_U)``, the MPE limits
    :ivar acceptance: ``(A_L, A_U)``, the acceptance limits after the guard band
    :ivar guard_band: w
    :ivar ratio: U divided by the MPE (half the tolerance interval)
    :ivar max_ratio: the largest ratio the regulation allows
    :ivar ratio_ok: ``ratio <= max_ratio``
    :ivar probability: probability of conformity p_c (JCGM 106 7.3.2)
    :ivar warnings: tuple of messages
    """

    verdict: str
    label_zh: str
    label_en: str
    rule: str
    rule_name: str
    error: float
    U: float
    k: float
    tolerance: tuple
    acceptance: tuple
    guard_band: float
    ratio: float
    max_ratio: float
    ratio_ok: bool
    probability: float
    warnings: tuple = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """Plain-data copy.

        :returns: dict
        """
        return asdict(self)


def _num(key, value, positive=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BudgetError(key, f"must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise BudgetError(key, f"must be > 0, got {value!r}")
    return float(value)


def _limits(mpe):
    if isinstance(mpe, (tuple, list)):
        if len(mpe) != 2:
            raise BudgetError("mpe", "must be a number or a pair (lower, upper)")
        low, high = _num("mpe[0]", mpe[0]), _num("mpe[1]", mpe[1])
        if not low < 0 < high:
            raise BudgetError("mpe", f"needs lower < 0 < upper, got ({low}, {high})")
        return low, high
    m = _num("mpe", mpe, positive=True)
    return -m, m


def probability_of_conformity(error: float, u: float, tolerance: tuple[float, float]) -> float:
    """Probability that the true error lies within the tolerance (JCGM 106 7.3.2, Gaussian).

    :param error: measured error (best estimate)
    :param u: standard uncertainty of the error
    :param tolerance: ``(T_L, T_U)``
    :returns: p_c in [0, 1]

    >>> round(probability_of_conformity(0.0, 1.0, (-1.96, 1.96)), 3)
    0.95
    """
    low, high = tolerance
    if u == 0:
        return 1.0 if low <= error <= high else 0.0
    return float(special.ndtr((high - error) / u) - special.ndtr((low - error) / u))


def decide(error: float, U: float, mpe: float | tuple[float, float], *, rule: str = "simple", k: float = 2.0,
           guard_factor: float = 1.0, max_ratio: float = 1 / 3) -> Decision:
    """Decide conformity of a measured error with the MPE.

    :param error: measured error E (indication minus reference)
    :param U: expanded uncertainty of E (coverage factor ``k``)
    :param mpe: MPE as a number (±mpe) or a pair ``(lower, upper)`` such as ``(-0.15, 0.1)``
    :param rule: a key of :data:`RULES`
    :param k: coverage factor of U (for the probability of conformity)
    :param guard_factor: r in ``w = r*U`` (guarded and non-binary rules)
    :param max_ratio: largest U/MPE the regulation allows (1/3 in JJF 1094 and OIML R 76-1)
    :returns: :class:`Decision`
    :raises BudgetError: for invalid arguments, naming the argument

    >>> d = decide(0.3, 0.5, 2.5)
    >>> d.verdict, d.label_zh, d.ratio_ok
    ('pass', '合格', True)
    >>> decide(4.2, 2.0, 5.0, rule="jjf1094").label_zh   # U > MPE/3 and MPE-U < |E| < MPE+U
    '待定'
    """
    if rule not in RULES:
        raise BudgetError("rule", f"must be one of {', '.join(RULES)}, got {rule!r}")
    e, big_u = _num("error", error), _num("U", U)
    if big_u < 0:
        raise BudgetError("U", f"must be >= 0, got {U!r}")
    kk, r, limit = _num("k", k, True), _num("guard_factor", guard_factor), _num("max_ratio", max_ratio, True)
    if r < 0:
        raise BudgetError("guard_factor", f"must be >= 0, got {guard_factor!r}")
    low, high = _limits(mpe)
    half = (high - low) / 2.0
    ratio = big_u / half
    warnings = []
    if ratio > limit:
        warnings.append(f"U/MPE = {ratio:.3g} exceeds the allowed {limit:.3g}")
    verdict, w = _VERDICT_RULES[rule](e, big_u, low, high, r, ratio <= limit)
    zh, en = VERDICTS[verdict]
    return Decision(verdict, zh, en, rule, RULES[rule][0], e, big_u, kk, (low, high), (low + w, high - w), w,
                    ratio, limit, ratio <= limit, probability_of_conformity(e, big_u / kk, (low, high)),
                    tuple(warnings))


def _simple(e, U, low, high, r, ratio_ok):
    return ("pass" if low <= e <= high else "fail"), 0.0


def _guarded(e, U, low, high, r, ratio_ok):
    w = r * U
    return ("pass" if low + w <= e <= high - w else "fail"), w


def _nonbinary(e, U, low, high, r, ratio_ok):
    w = r * U
    if low + w <= e <= high - w:
        return "pass", w
    if low <= e <= high:
        return "conditional_pass", w
    if low - w <= e <= high + w:
        return "conditional_fail", w
    return "fail", w


def _jjf1094(e, U, low, high, r, ratio_ok):
    if ratio_ok:
        return _simple(e, U, low, high, r, ratio_ok)
    if low + U <= e <= high - U:
        return "pass", U
    if e <= low - U or e >= high + U:
        return "fail", U
    return "undecided", U


_VERDICT_RULES = {"simple": _simple, "guarded": _guarded, "ilac_nonbinary": _nonbinary, "jjf1094": _jjf1094}
