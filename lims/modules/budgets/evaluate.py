"""The gateway to the ``uncertainty`` library (STYLE.md import rules; tests/test_architecture.py).

Other modules call these functions with plain numbers and get plain data back; they never import
``uncertainty`` themselves.
"""
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from uncertainty import BudgetError, UncertaintyError, decide, evaluate_budget

SIMPLE = "simple"


def judge(error: Decimal | float, mpe: Decimal | float, U: Decimal | float | None = None,
          k: Decimal | float = 2.0) -> dict[str, Any]:
    """Judge a measured error against ±``mpe`` with simple acceptance (ILAC-G8:09/2019 4.2.1).

    JJG verifications use simple acceptance because the regulation fixes the standards at
    ≤ 1/3 MPE (REFERENCE.md 2.3). Without an expanded uncertainty the decision is plain
    |E| ≤ MPE; with one, U/MPE is recorded and a ratio over 1/3 is reported in ``warnings``.

    :param error: the (corrected) error E, a number
    :param mpe: the MPE magnitude (> 0)
    :param U: expanded uncertainty of E, or None
    :param k: coverage factor of ``U``
    :returns: ``{"verdict", "rule", "rule_name", "ratio", "ratio_ok", "warnings"}``; ``ratio`` is
        None without ``U``
    :raises ValueError: an argument the library refuses (the message names it)
    """
    try:
        d = decide(float(error), float(U) if U is not None else 0.0, float(mpe), rule=SIMPLE, k=float(k))
    except BudgetError as exc:
        raise ValueError(str(exc)) from exc
    return {"verdict": d.verdict, "rule": d.rule, "rule_name": d.rule_name,
            "ratio": d.ratio if U is not None else None, "ratio_ok": d.ratio_ok if U is not None else None,
            "warnings": list(d.warnings) if U is not None else []}


def run_budget(budget: Mapping[str, Any], method: str = "gum", seed: int = 1) -> dict[str, Any]:
    """Evaluate a budget dict (JSON format v1): ``gum`` only, or ``mcm`` (10⁵ trials, fixed seed, with GUM and
    the JCGM 101 clause 8 validation beside it).

    :raises ValueError: the engine refused the budget (the message names the key)
    """
    run = dict(budget)
    if method == "mcm":
        run.update(trials=100000, seed=seed)
    try:
        return evaluate_budget(run, method="both" if method == "mcm" else "gum")
    except UncertaintyError as exc:
        raise ValueError(str(exc)) from exc


def judge_limits(value: Decimal | float, lower: Decimal | float, upper: Decimal | float) -> dict[str, Any]:
    """Judge a value against limits ``lower ≤ value ≤ upper`` (simple acceptance; asymmetric or one-sided).

    :returns: the same shape as :func:`judge` (no ratio: these items carry no uncertainty here)
    """
    lo, hi = float(lower), float(upper)
    if -float("inf") < lo < 0 < hi < float("inf"):  # a band around zero: the engine decides (asymmetric allowed)
        d = decide(float(value), 0.0, (lo, hi), rule=SIMPLE)
        verdict, rule, name = d.verdict, d.rule, d.rule_name
    else:
        verdict = "pass" if lo <= float(value) <= hi else "fail"
        rule, name = SIMPLE, decide(0.0, 0.0, 1.0, rule=SIMPLE).rule_name
    return {"verdict": verdict, "rule": rule, "rule_name": name, "ratio": None, "ratio_ok": None, "warnings": []}
