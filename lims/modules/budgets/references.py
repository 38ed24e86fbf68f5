"""Reference values for a test point from the register's standards (plain data in, plain data out).

A standard's calibration values are rows ``{"nominal": "10 kg", "value": 10000.12, "U": 0.17,
"k": 2, "unit": "g"}`` (optionally with ``certificate`` and ``date`` when a row comes from
another certificate than the standard's own). :func:`reference_for` finds the value of a
point by nominal value and unit:

* one row whose nominal equals the point's (units of one dimension are converted);
* for weight sets, several weights summed (largest first, each row used once), the
  uncertainties added linearly (the weights of one set are calibrated against the same
  reference, so their errors are taken as fully correlated: EURAMET cg-18 7.1.2);
* between two calibrated points of one standard, linear interpolation when the procedure
  allows it, with its own term (half the change of the correction between the two points,
  rectangular);
* by accuracy class (OIML R 111-1 MPE, rectangular) when the procedure uses the weights by class.

An expired standard, or no value for the point, raises :class:`ReferenceError` naming the
standard. Nothing here touches the database.
"""
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

UNITS = {"mg": ("mass", Decimal("0.001")), "g": ("mass", Decimal(1)), "kg": ("mass", Decimal(1000)),
         "t": ("mass", Decimal(1000000)), "Pa": ("pressure", Decimal("0.001")), "kPa": ("pressure", Decimal(1)),
         "MPa": ("pressure", Decimal(1000)), "mmHg": ("pressure", Decimal("0.133322387415")),
         "°C": ("temperature", Decimal(1)), "℃": ("temperature", Decimal(1))}
_NOMINAL = re.compile(r"\s*([-+]?[0-9]+(?:\.[0-9]+)?)\s*(\S+)\s*")


class ReferenceError(ValueError):  # noqa: A001 (a domain error, not the builtin)
    """No usable reference value for a point; the message names the standard and the reason."""


def convert(value: Decimal | int | str, unit: str, target: str) -> Decimal | None:
    """``value`` in ``unit`` expressed in ``target`` (Decimal), or None when the units do not match."""
    a, b = UNITS.get(unit), UNITS.get(target)
    if a is None or b is None or a[0] != b[0]:
        return None
    if unit == target:
        return Decimal(value)
    return Decimal(value) * a[1] / b[1]


def _dec(x):
    return Decimal(repr(float(x))) if isinstance(x, float) else Decimal(str(x))


@dataclass
class Part:
    """One calibrated value used: which standard, which certificate, which row."""

    standard_id: int
    code: str
    certificate: str
    calibrated_on: str
    nominal: str
    value: Decimal  # in the point's unit
    U: Decimal  # in the point's unit
    k: Decimal
    class_mpe: Decimal | None = None  # R 111 class MPE of this weight in the point's unit (when known)

    def as_dict(self) -> dict[str, Any]:
        return {"standard_id": self.standard_id, "code": self.code, "certificate": self.certificate,
                "calibrated_on": self.calibrated_on, "nominal": self.nominal, "value": str(self.value),
                "U": str(self.U), "k": str(self.k),
                "class_mpe": str(self.class_mpe) if self.class_mpe is not None else None}


@dataclass
class Reference:
    """The reference value L of a point and where it came from."""

    value: Decimal
    unit: str
    mode: str  # "certificate" or "class"
    parts: list = field(default_factory=list)
    u: Decimal = Decimal(0)  # standard uncertainty of L (certificate: Σ U/k linearly; class: Σ MPE / √3)
    class_mpe: Decimal | None = None  # Σ class MPE of the weights used (for buoyancy), when known
    interpolation_half_width: Decimal | None = None

    @property
    def standard_ids(self) -> list[int]:
        return sorted({p.standard_id for p in self.parts})

    def describe(self) -> str:
        return "; ".join(f"{p.code} {p.nominal} ({p.certificate}, {p.calibrated_on})" for p in self.parts)


def _rows(std, unit):
    """Usable rows of a standard: (nominal in unit, row) — rows whose nominal does not parse are skipped."""
    out = []
    for row in std.get("values") or []:
        m = _NOMINAL.fullmatch(str(row.get("nominal", "")))
        if not m or row.get("value") is None or row.get("U") is None:
            continue
        try:
            nominal = convert(Decimal(m[1]), m[2], unit)
            value = convert(_dec(row["value"]), row.get("unit") or m[2], unit)
            big_u = convert(_dec(row["U"]), row.get("unit") or m[2], unit)
        except (TypeError, ValueError, InvalidOperation):
            continue
        if nominal is None or value is None or big_u is None:
            continue
        out.append((nominal, row, value, big_u))
    return out


def _part(std, row, value, big_u, unit, class_table=None):
    cls_mpe = _class_mpe(class_table, std.get("accuracy_class"), row.get("nominal"), unit) if class_table else None
    return Part(std["id"], std["code"], str(row.get("certificate") or std["certificate_number"]),
                str(row.get("date") or std["calibrated_on"]), str(row["nominal"]), value, big_u,
                _dec(row.get("k", 2)), cls_mpe)


def _class_mpe(table, cls, nominal_text, unit):
    """R 111 MPE of one weight of ``cls`` and nominal ``nominal_text`` in ``unit`` (None when not in the table)."""
    if not table or not cls or cls not in table.get("classes", {}):
        return None
    m = _NOMINAL.fullmatch(str(nominal_text))
    if not m:
        return None
    grams = convert(Decimal(m[1]), m[2], "g")
    for nom, mpe_mg in table["classes"][cls]:
        if grams is not None and Decimal(str(nom)) == grams:
            return convert(Decimal(str(mpe_mg)), "mg", unit)
    return None


def check_valid(std: Mapping[str, Any], day: dt.date) -> None:
    """Raise :class:`ReferenceError` when ``std`` is not within its calibration on ``day``."""
    if std.get("is_deleted"):
        raise ReferenceError(f"standard {std['code']} is withdrawn from use")
    cal, due = std["calibrated_on"], std["due_on"]
    if isinstance(cal, str):
        cal, due = dt.date.fromisoformat(cal), dt.date.fromisoformat(due)
    if not cal <= day <= due:
        raise ReferenceError(f"standard {std['code']} (certificate {std['certificate_number']}) is not calibrated "
                             f"on {day.isoformat()}: valid {cal.isoformat()} to {due.isoformat()}")


def _compose(candidates, target):
    """Largest-first sum of weights equal to ``target``; each candidate used once. Returns the list or None."""
    chosen, rest = [], target
    for cand in sorted(candidates, key=lambda c: c[0], reverse=True):
        if cand[0] <= rest:
            chosen.append(cand)
            rest -= cand[0]
        if rest == 0:
            return chosen
    return None


def reference_for(standards: Sequence[Mapping[str, Any]], nominal: Decimal, unit: str, day: dt.date, *,
                  mode: str = "certificate", compose: bool = False, interpolate: bool = False,
                  class_table: Mapping[str, Any] | None = None) -> Reference:
    """The reference value of a point of ``nominal`` ``unit`` from ``standards`` (plain dicts).

    :param standards: ``[{"id", "code", "kind", "certificate_number", "calibrated_on", "due_on",
        "accuracy_class", "values", "is_deleted"}]`` — only those of the kind the procedure uses
    :param day: the day of the measurement (every standard used must be valid then)
    :param mode: ``certificate`` (value, U, k from the calibration values) or ``class`` (nominal
        value, R 111 class MPE as a rectangular half-width)
    :param compose: weights: sum several rows to reach the nominal
    :param interpolate: allow linear interpolation between two calibrated points of one standard
    :param class_table: the R 111 MPE table ``{"classes": {"M1": [[nominal g, mpe mg], ...]}}``
    :returns: :class:`Reference`
    :raises ReferenceError: naming the standard (expired, no value for the point, class unknown)
    """
    nominal = Decimal(nominal)
    if not standards:
        raise ReferenceError(f"no reference standard on the bench for {nominal} {unit}")
    names = ", ".join(s["code"] for s in standards)
    for std in standards:
        check_valid(std, day)
    if mode == "class":
        return _by_class(standards, nominal, unit, class_table, compose, names)
    # one row with exactly this nominal
    for std in standards:
        for nom, row, value, big_u in _rows(std, unit):
            if nom == nominal:
                part = _part(std, row, value, big_u, unit, class_table)
                return Reference(value, unit, "certificate", [part], big_u / part.k,
                                 part.class_mpe)
    if compose:
        cands = [(nom, std, row, value, big_u) for std in standards for nom, row, value, big_u in _rows(std, unit)
                 if nom > 0]
        chosen = _compose(cands, nominal)
        if chosen:
            parts = [_part(std, row, value, big_u, unit, class_table) for _n, std, row, value, big_u in chosen]
            class_mpe = sum(p.class_mpe for p in parts) if all(p.class_mpe is not None for p in parts) else None
            return Reference(sum(p.value for p in parts), unit, "certificate", parts,
                             sum(p.U / p.k for p in parts), class_mpe)
    if interpolate:
        for std in standards:
            rows = sorted(_rows(std, unit), key=lambda r: r[0])
            for (n1, r1, v1, u1), (n2, r2, v2, u2) in zip(rows, rows[1:], strict=False):
                if n1 < nominal < n2:
                    c1, c2 = v1 - n1, v2 - n2
                    corr = c1 + (c2 - c1) * (nominal - n1) / (n2 - n1)
                    p1, p2 = _part(std, r1, v1, u1, unit), _part(std, r2, v2, u2, unit)
                    u = max(p1.U / p1.k, p2.U / p2.k)
                    return Reference(nominal + corr, unit, "certificate", [p1, p2], u, None, abs(c2 - c1) / 2)
    raise ReferenceError(f"no calibrated value for {fmt(nominal)} {unit} in standard {names}"
                         + ("" if interpolate else " (the procedure does not allow interpolation)"))


def _by_class(standards, nominal, unit, class_table, compose, names):
    cands = []
    for std in standards:
        if not std.get("accuracy_class"):
            continue
        for nom, row, _value, _u in _rows(std, unit):
            cands.append((nom, std, row))
        if not std.get("values") and class_table and std["accuracy_class"] in class_table.get("classes", {}):
            # a set used by class without a list of pieces: one weight of each R 111 nominal is assumed
            for nom_g, _mpe in class_table["classes"][std["accuracy_class"]]:
                n = convert(Decimal(str(nom_g)), "g", unit)
                if n is not None:
                    cands.append((n, std, {"nominal": f"{fmt(Decimal(str(nom_g)))} g"}))
    exact = [c for c in cands if c[0] == nominal]
    chosen = exact[:1] or (_compose(cands, nominal) if compose else None)
    if not chosen:
        raise ReferenceError(f"no weight of {fmt(nominal)} {unit} with an accuracy class in standard {names}")
    parts = []
    for nom, std, row in chosen:
        mpe = _class_mpe(class_table, std["accuracy_class"], row["nominal"], unit)
        if mpe is None:
            raise ReferenceError(f"standard {std['code']}: class {std['accuracy_class']!r} has no OIML R 111 MPE "
                                 f"for {row['nominal']}")
        parts.append(Part(std["id"], std["code"], std["certificate_number"], str(std["calibrated_on"]),
                          str(row["nominal"]), nom, Decimal(0), Decimal(1), mpe))
    total = sum(p.class_mpe for p in parts)
    return Reference(nominal, unit, "class", parts, total / Decimal(3).sqrt(), total)


def fmt(value: Decimal | int | str) -> str:
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text
