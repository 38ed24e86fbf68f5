"""Validation of an instrument's declared characteristics against its type.

Regulatory numbers are data here, each with its source, so that a corrected or revised table is
a one-line change. OIML R 76-1:2006 Table 3 (checked, see shared/domain/REFERENCE.md §1.1).
"""
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lims.modules.equipment.models import InstrumentType

# class -> list of (e_min_g, e_max_g, n_min, n_max, min_in_e); None = unbounded
R76_CLASSES: dict[str, list[tuple[float, float | None, int, int | None, int]]] = {
    "I": [(0.001, None, 50_000, None, 100)],
    "II": [(0.001, 0.05, 100, 100_000, 20), (0.1, None, 5_000, 100_000, 50)],
    "III": [(0.1, 2, 100, 10_000, 20), (5, None, 500, 10_000, 20)],
    "IIII": [(5, None, 100, 1_000, 10)],
}


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def validate_characteristics(itype: "InstrumentType", values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Return ``{key: [messages]}`` for ``values`` declared against ``itype`` (empty when valid)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(values, dict):
        return {"_schema": ["characteristics must be an object"]}
    spec = {c["key"]: c for c in itype.characteristics}
    for key in values:
        if key not in spec:
            errors.setdefault(key, []).append(f"not a characteristic of {itype.code}")
    for key, c in spec.items():
        value = values.get(key)
        if value is None:
            if c.get("required"):
                errors.setdefault(key, []).append("required")
            continue
        if c["kind"] == "number":
            if not _is_number(value):
                errors.setdefault(key, []).append("must be a finite number")
            elif value <= 0 and not c.get("allow_zero"):
                errors.setdefault(key, []).append("must be greater than 0")
        elif c["kind"] == "choice":
            choices = itype.accuracy_classes if c.get("choices") == "accuracy_classes" else c.get("choices", [])
            if value not in choices:
                errors.setdefault(key, []).append(f"must be one of {', '.join(choices)}")
    if not errors and itype.category == "scale":
        _scale_rules(values, errors)
    if not errors and {"range_min", "range_max"} <= values.keys() and values["range_min"] >= values["range_max"]:
        errors.setdefault("range_max", []).append("must be greater than range_min")
    return errors


def _is_125(e):
    exponent = math.floor(math.log10(e))
    mantissa = e / 10 ** exponent
    return any(math.isclose(mantissa, m, rel_tol=1e-9) for m in (1, 2, 5, 10))


def _scale_rules(v, errors) -> None:
    """R 76 rules for Max, Min, e, d and the accuracy class."""
    e, d, mx, mn = v["e"], v["d"], v["max"], v["min"]
    if not _is_125(e):
        errors.setdefault("e", []).append("must be 1, 2 or 5 × 10^k (R 76-1 3.1.2)")
    if d > e:
        errors.setdefault("d", []).append("must not exceed e")
    if mn >= mx:
        errors.setdefault("min", []).append("must be less than max")
    cls = v.get("accuracy_class")
    if errors or cls not in R76_CLASSES:
        return
    n = mx / e
    for e_lo, e_hi, n_min, n_max, min_e in R76_CLASSES[cls]:
        if e < e_lo - 1e-12 or (e_hi is not None and e > e_hi + 1e-12):
            continue
        if n < n_min or (n_max is not None and n > n_max):
            errors.setdefault("max", []).append(
                f"n = max/e = {n:g} is outside {n_min}…{n_max or '∞'} for class {cls} (R 76-1 Table 3)")
        if mn < min_e * e - 1e-9:
            errors.setdefault("min", []).append(f"must be at least {min_e} e for class {cls} (R 76-1 Table 3)")
        return
    errors.setdefault("e", []).append(f"e = {e:g} g is not allowed for class {cls} (R 76-1 Table 3)")
