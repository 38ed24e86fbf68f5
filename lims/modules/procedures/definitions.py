"""Verification procedures as data: load and check the regulation files, plan a job's test points.

Each file under ``data/`` describes one regulation (its id, ``data_version``, the instrument
types it covers, the test points or how to plan them, the MPE per verification kind, the
source of every number and whether REFERENCE.md marks it unconfirmed). Nothing here touches the
database or Flask: :func:`load_all` is called once by the application factory, which refuses to
start on a malformed file, and :func:`plan` turns an instrument's declared characteristics into
test points. Numbers are :class:`decimal.Decimal` throughout, so an MPE of 2.5 g stays 2.5 g.
"""
import datetime as dt
import math
import os
import pathlib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

DATA_DIR = pathlib.Path(__file__).with_name("data")
KINDS = ("initial", "subsequent", "in_service")
_COMMON = ("id", "data_version", "regulation", "title_zh", "title_en", "instrument_types", "kind", "unit",
           "item_zh", "item_en", "source")


class ProcedureDataError(ValueError):
    """A procedure file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class TestPoint:
    """One planned test point.

    :ivar id: the point's name in requests (e.g. ``"5000 g"``, ``"150 mmHg"``)
    :ivar nominal: nominal value (the load, the pressure, the bath temperature)
    :ivar unit: unit of nominal, indication, error and MPE
    :ivar mpe: magnitude of the maximum permissible error (±mpe) for this job's verification kind
    :ivar item_zh: test item in Chinese (certificate line)
    :ivar item_en: test item in English
    :ivar unconfirmed: its MPE rests on a number REFERENCE.md marks unconfirmed (see :attr:`Plan.unconfirmed`)
    :ivar note: how the MPE was found (e.g. "500 e, class III: 0.5 e × 1")
    :ivar test: ``error`` (one indication), ``repeatability`` (``count`` weighings of one load, the
        spread judged) or ``eccentricity`` (``count`` positions, the largest error judged)
    :ivar count: number of indications the test takes
    """

    __test__ = False  # not a pytest class

    id: str
    nominal: Decimal
    unit: str
    mpe: Decimal
    item_zh: str
    item_en: str
    unconfirmed: bool
    note: str
    test: str = "error"
    count: int = 1
    lower: Decimal | None = None  # a "limit" item: lower ≤ value ≤ upper (asymmetric or one-sided limits)
    upper: Decimal | None = None
    clause: str = ""


@dataclass(frozen=True)
class Plan:
    """A job's test points under one procedure."""

    procedure_id: str
    data_version: int
    regulation: str
    kind: str
    unit: str
    points: tuple
    e: Decimal | None = None  # verification scale interval of a scale (for the rounding correction)
    unconfirmed: tuple = ()  # what of this plan rests on numbers REFERENCE.md marks unconfirmed, with sources
    has_budget: bool = False  # the procedure computes each point's uncertainty budget from the record
    effective_from: object = None  # the date this edition came into force (None: since ever)

    def point(self, point_id: str) -> TestPoint | None:
        """Return the point named ``point_id`` or None."""
        return next((p for p in self.points if p.id == point_id), None)


def fmt(value: Decimal | float | str) -> str:
    """A decimal without exponent or trailing zeros (``Decimal("5E+3")`` → ``"5000"``)."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


def _dec(where, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ProcedureDataError(f"{where}: must be a number, got {value!r}")
    try:
        out = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation as exc:
        raise ProcedureDataError(f"{where}: not a number: {value!r}") from exc
    if out.is_nan():
        raise ProcedureDataError(f"{where}: must not be NaN")
    return out


def _check_mpe_table(where, table, positive=True):
    if not isinstance(table, dict):
        raise ProcedureDataError(f"{where}: must be a table with {', '.join(KINDS)}")
    for k in KINDS:
        if k not in table:
            raise ProcedureDataError(f"{where}.{k}: missing")
        if _dec(f"{where}.{k}", table[k]) <= 0 and positive:
            raise ProcedureDataError(f"{where}.{k}: must be > 0")
    if not isinstance(table.get("source"), str) or not table["source"].strip():
        raise ProcedureDataError(f"{where}.source: every number needs its source")
    if not isinstance(table.get("unconfirmed", False), bool):
        raise ProcedureDataError(f"{where}.unconfirmed: must be true or false")


def _check_performance(name, data):
    rep, ecc = data.get("repeatability"), data.get("eccentricity")
    if rep is not None:
        if not 0 < _dec(f"{name}: repeatability.load_fraction", rep.get("load_fraction")) <= 1:
            raise ProcedureDataError(f"{name}: repeatability.load_fraction: must be in (0, 1]")
        counts = rep.get("count")
        if not isinstance(counts, dict) or set(counts) != set(data["classes"]) or \
                not all(isinstance(v, int) and 2 <= v <= 20 for v in counts.values()):
            raise ProcedureDataError(f"{name}: repeatability.count: an integer 2..20 for every class")
    if ecc is not None:
        if not _dec(f"{name}: eccentricity.load_divisor", ecc.get("load_divisor")) >= 1:
            raise ProcedureDataError(f"{name}: eccentricity.load_divisor: must be >= 1")
        if not isinstance(ecc.get("positions"), int) or not 2 <= ecc["positions"] <= 20:
            raise ProcedureDataError(f"{name}: eccentricity.positions: an integer 2..20")
    for key, section in (("repeatability", rep), ("eccentricity", ecc)):
        if section is not None and not all(isinstance(section.get(k), str) and section[k].strip()
                                           for k in ("item_zh", "item_en", "source")):
            raise ProcedureDataError(f"{name}: {key}: item_zh, item_en and source are required")


def validate(data: dict[str, Any], name: str = "<data>") -> dict[str, Any]:
    """Check one procedure document; return it with numbers as Decimal.

    :param data: the parsed TOML document
    :param name: file name used in messages
    :raises ProcedureDataError: naming the file and the key
    """
    for key in _COMMON:
        if key not in data:
            raise ProcedureDataError(f"{name}: {key}: missing")
    formula = data.get("formula")
    if formula is not None and not (isinstance(formula, dict) and all(
            isinstance(formula.get(k), str) and formula[k].strip() for k in ("zh", "en", "source"))):
        raise ProcedureDataError(f"{name}: formula: a table with zh, en and source (the error formula shown "
                                 "beside the test points)")
    if not isinstance(data["data_version"], int) or data["data_version"] < 1:
        raise ProcedureDataError(f"{name}: data_version: must be an integer >= 1")
    if not isinstance(data["instrument_types"], list) or not data["instrument_types"]:
        raise ProcedureDataError(f"{name}: instrument_types: must be a non-empty list")
    if data["kind"] == "scale":
        classes = data.get("classes")
        if not isinstance(classes, dict) or not classes:
            raise ProcedureDataError(f"{name}: classes: missing")
        for cls, spec in classes.items():
            bands = spec.get("bands") if isinstance(spec, dict) else None
            if not isinstance(bands, list) or len(bands) < 2:
                raise ProcedureDataError(f"{name}: classes.{cls}.bands: at least two [upper e, MPE e] pairs")
            last = Decimal(0)
            for i, band in enumerate(bands):
                if not isinstance(band, list) or len(band) != 2:
                    raise ProcedureDataError(f"{name}: classes.{cls}.bands[{i}]: must be [upper e, MPE e]")
                upper, mpe = _dec(f"{name}: classes.{cls}.bands[{i}][0]", band[0]), \
                    _dec(f"{name}: classes.{cls}.bands[{i}][1]", band[1])
                if upper <= last or mpe <= 0:
                    raise ProcedureDataError(f"{name}: classes.{cls}.bands[{i}]: upper limits must increase "
                                             "and the MPE be > 0")
                last = upper
        _check_mpe_table(f"{name}: mpe_factor", data.get("mpe_factor"))
        _check_performance(name, data)
        half = data.get("plan", {}).get("half_max")
        if half is None or not 0 < _dec(f"{name}: plan.half_max", half) < 1:
            raise ProcedureDataError(f"{name}: plan.half_max: must be between 0 and 1")
    elif data["kind"] == "points":
        pts = data.get("points", {}).get("nominal")
        if not isinstance(pts, list) or not pts:
            raise ProcedureDataError(f"{name}: points.nominal: must be a non-empty list")
        values = [_dec(f"{name}: points.nominal[{i}]", v) for i, v in enumerate(pts)]
        if len({fmt(v) for v in values}) != len(values):
            raise ProcedureDataError(f"{name}: points.nominal: contains duplicates")
        if not isinstance(data["points"].get("source"), str):
            raise ProcedureDataError(f"{name}: points.source: every number needs its source")
        _check_mpe_table(f"{name}: mpe", data.get("mpe"))
    else:
        raise ProcedureDataError(f"{name}: kind: must be 'scale' or 'points', got {data['kind']!r}")
    if "effective_from" in data and not isinstance(data["effective_from"], dt.date):
        raise ProcedureDataError(f"{name}: effective_from: must be a date (YYYY-MM-DD)")
    if "budget" in data:
        _check_budget(name, data["budget"])
    for i, item in enumerate(data.get("items") or []):
        _check_item(f"{name}: items[{i}]", item)
    return data


BUDGET_TYPES = ("scale", "sphygmomanometer", "thermometer")


def _check_budget(name, b):
    if not isinstance(b, dict):
        raise ProcedureDataError(f"{name}: budget: must be a table")
    if b.get("type") not in BUDGET_TYPES:
        raise ProcedureDataError(f"{name}: budget.type: must be one of {', '.join(BUDGET_TYPES)}")
    if b.get("method", "gum") not in ("gum", "mcm"):
        raise ProcedureDataError(f"{name}: budget.method: must be gum or mcm")
    if not 0 < _dec(f"{name}: budget.coverage", b.get("coverage", Decimal("0.9545"))) < 1:
        raise ProcedureDataError(f"{name}: budget.coverage: must be between 0 and 1")
    if b.get("reference_mode", "certificate") not in ("certificate", "class"):
        raise ProcedureDataError(f"{name}: budget.reference_mode: must be certificate or class")
    if not isinstance(b.get("reference_kind"), str):
        raise ProcedureDataError(f"{name}: budget.reference_kind: the kind of standard the points are measured with")
    if not isinstance(b.get("source"), str) or not b["source"].strip():
        raise ProcedureDataError(f"{name}: budget.source: every budget needs its source")
    for key in ("compose", "interpolate", "hysteresis"):
        if not isinstance(b.get(key, False), bool):
            raise ProcedureDataError(f"{name}: budget.{key}: must be true or false")


def _limit_value(where, value) -> None:
    """A limit: a number, or a table with one number per verification kind."""
    if isinstance(value, dict):
        for k in KINDS:
            if k in value:
                _dec(f"{where}.{k}", value[k])
        return
    _dec(where, value)


def _check_item(where, item):
    """An item judged against limits with their clause: ``{id, item_zh, item_en, unit | per_e, lower, upper,
    clause, source, kinds?, types?, unconfirmed?}`` (asymmetric and one-sided limits allowed: ``-inf``/``inf``)."""
    if not isinstance(item, dict):
        raise ProcedureDataError(f"{where}: must be a table")
    for key in ("id", "item_zh", "item_en", "clause", "source"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            raise ProcedureDataError(f"{where}.{key}: required (every limit keeps its clause and source)")
    if not item.get("per_e") and not isinstance(item.get("unit"), str):
        raise ProcedureDataError(f"{where}.unit: required (or per_e = true for limits in e)")
    for key in ("lower", "upper"):
        if key not in item:
            raise ProcedureDataError(f"{where}.{key}: required (use -inf or inf for a one-sided limit)")
        _limit_value(f"{where}.{key}", item[key])
    for key in ("kinds", "types"):
        if key in item and (not isinstance(item[key], list) or not all(isinstance(x, str) for x in item[key])):
            raise ProcedureDataError(f"{where}.{key}: must be a list of names")
    if any(k not in KINDS for k in item.get("kinds", [])):
        raise ProcedureDataError(f"{where}.kinds: each one of {', '.join(KINDS)}")


def load_editions(directory: str | os.PathLike[str] = DATA_DIR) -> dict[str, list[dict[str, Any]]]:
    """Load and check every ``*.toml`` procedure file.

    A regulation revision is a new file with ``effective_from`` (a date): one type may have several
    files when their effective dates differ (the oldest may leave it out: in force since ever).

    :returns: ``{instrument type code: [procedure documents, oldest first]}``
    :raises ProcedureDataError: a malformed file, two files with the same id, or two files for one
        type with the same effective date
    """
    by_type: dict[str, list[dict[str, Any]]] = {}
    ids = set()
    for path in sorted(pathlib.Path(directory).glob("*.toml")):
        with path.open("rb") as fh:
            try:
                data = tomllib.load(fh, parse_float=Decimal)
            except tomllib.TOMLDecodeError as exc:
                raise ProcedureDataError(f"{path.name}: {exc}") from exc
        validate(data, path.name)
        if data["id"] in ids:
            raise ProcedureDataError(f"{path.name}: id {data['id']!r} is used by another file")
        ids.add(data["id"])
        for code in data["instrument_types"]:
            same = [d for d in by_type.get(code, []) if d.get("effective_from") == data.get("effective_from")]
            if same:
                raise ProcedureDataError(f"{path.name}: {code} already has procedure {same[0]['id']} "
                                         "with the same effective date")
            by_type.setdefault(code, []).append(data)
    for docs in by_type.values():
        docs.sort(key=lambda d: d.get("effective_from") or dt.date.min)
    return by_type


def edition_on(editions: Iterable[dict[str, Any]] | None, day: dt.date) -> dict[str, Any] | None:
    """The edition in force on ``day`` from a type's list of documents (oldest first), or None."""
    current = None
    for doc in editions or []:
        if (doc.get("effective_from") or dt.date.min) <= day:
            current = doc
    return current


def load_all(directory: str | os.PathLike[str] = DATA_DIR, day: dt.date | None = None) -> dict[str, dict[str, Any]]:
    """Load and check every procedure file; return the editions in force on ``day`` (default today).

    :returns: ``{instrument type code: procedure document}``
    :raises ProcedureDataError: see :func:`load_editions`
    """
    day = day or dt.date.today()
    out = {}
    for code, docs in load_editions(directory).items():
        doc = edition_on(docs, day)
        if doc is not None:
            out[code] = doc
    return out


def load_weight_classes(path: pathlib.Path = DATA_DIR / "standards" / "oiml-r111-1-2004.toml") -> dict[str, Any]:
    """The OIML R 111-1 MPE table ``{"classes": {"M1": [[nominal g, MPE mg], ...]}, "source"}``."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh, parse_float=Decimal)
    for cls, rows in data.get("classes", {}).items():
        for i, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != 2:
                raise ProcedureDataError(f"{path.name}: classes.{cls}[{i}]: must be [nominal g, MPE mg]")
            _dec(f"{path.name}: classes.{cls}[{i}]", row[0]), _dec(f"{path.name}: classes.{cls}[{i}]", row[1])
    return data


def compute_error(indication: Decimal, reference: Decimal, e: Decimal | None = None, flash_delta: Decimal | None = None,
                  zero_error: Decimal | None = None) -> tuple[Decimal, Decimal]:
    """Error of indication, with the rounding correction of a digital scale (flash-point method).

    ``E = I + 0.5 e − ΔL − L`` when ΔL is given (else ``E = I − L``) and ``Ec = E − E0``
    (REFERENCE.md 1.1; ``E0`` is the error at or near zero found the same way).

    :returns: ``(E, Ec)`` as Decimals
    """
    error = indication - reference
    if flash_delta is not None:
        assert e is not None  # ΔL is taken only on scales, which have e
        error = indication + e / 2 - flash_delta - reference
    corrected = error - zero_error if zero_error is not None else error
    return error, corrected


class PlanError(ValueError):
    """The instrument's characteristics do not allow a plan (e.g. no accuracy class)."""


def _scale_mpe(proc, cls, load, e, kind):
    bands = proc["classes"][cls]["bands"]
    m_e = load / e
    for upper, mpe_e in bands:  # noqa: B007 (the band found is used after the loop)
        if m_e <= Decimal(str(upper)):
            break
    factor = Decimal(str(proc["mpe_factor"][kind]))
    return Decimal(str(mpe_e)) * e * factor, f"{fmt(m_e)} e, class {cls}: {fmt(mpe_e)} e × {fmt(factor)}"


def _char(chars, key):
    value = chars.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise PlanError(f"the instrument has no valid {key}")
    return Decimal(str(value))


def _scale_plan(proc, chars, kind):
    cls = chars.get("accuracy_class")
    if cls not in proc["classes"]:
        raise PlanError(f"accuracy class {cls!r} has no MPE table in {proc['id']}")
    mx, mn, e = _char(chars, "max"), _char(chars, "min"), _char(chars, "e")
    if e <= 0 or mx <= mn:
        raise PlanError("the instrument's max, min and e do not allow a plan")
    bands = proc["classes"][cls]["bands"]
    half = (mx * Decimal(str(proc["plan"]["half_max"])) / e).to_integral_value(rounding="ROUND_FLOOR") * e
    loads = [mn] + [Decimal(str(b[0])) * e for b in bands[:2]] + [half, mx]
    unconfirmed = bool(proc["mpe_factor"].get("unconfirmed") and kind == "in_service")
    points, seen = [], set()
    for load in sorted(v for v in loads if v.is_finite() and mn <= v <= mx):
        key = fmt(load)
        if key in seen:
            continue
        seen.add(key)
        mpe, note = _scale_mpe(proc, cls, load, e, kind)
        points.append(TestPoint(f"{key} {proc['unit']}", load, proc["unit"], mpe,
                                f"{proc['item_zh']} {key} {proc['unit']}", f"{proc['item_en']} {key} {proc['unit']}",
                                unconfirmed, note))
    if proc["plan"].get("decreasing"):  # the same loads unloaded again, Max excluded (R 76-1 A.4.4.1 style)
        for pt in [p for p in points if p.nominal != mx][::-1]:
            key = fmt(pt.nominal)
            points.append(TestPoint(f"{key} {proc['unit']} decreasing", pt.nominal, pt.unit, pt.mpe,
                                    f"{proc['item_zh']} {key} {proc['unit']}（卸载）",
                                    f"{proc['item_en']} {key} {proc['unit']} (decreasing)", pt.unconfirmed, pt.note))
    points += _performance_points(proc, cls, mx, mn, e, kind, unconfirmed)
    return points, e


def _multiple_of_e(value, e):
    return (value / e).to_integral_value(rounding="ROUND_FLOOR") * e


def _performance_points(proc, cls, mx, mn, e, kind, unconfirmed):
    """Repeatability and eccentricity items of a scale (when the file defines them)."""
    out = []
    rep, ecc = proc.get("repeatability"), proc.get("eccentricity")
    if rep:
        load = _multiple_of_e(mx * Decimal(str(rep["load_fraction"])), e)
        if load >= mn:
            mpe, note = _scale_mpe(proc, cls, load, e, kind)
            key = fmt(load)
            out.append(TestPoint(f"repeatability {key} {proc['unit']}", load, proc["unit"], mpe,
                                 f"{rep['item_zh']} {key} {proc['unit']}", f"{rep['item_en']} {key} {proc['unit']}",
                                 unconfirmed, f"spread of {rep['count'][cls]} weighings ≤ {note}",
                                 "repeatability", int(rep["count"][cls])))
    if ecc:
        load = _multiple_of_e(mx / Decimal(str(ecc["load_divisor"])), e)
        if load >= mn:
            mpe, note = _scale_mpe(proc, cls, load, e, kind)
            key = fmt(load)
            out.append(TestPoint(f"eccentricity {key} {proc['unit']}", load, proc["unit"], mpe,
                                 f"{ecc['item_zh']} {key} {proc['unit']}", f"{ecc['item_en']} {key} {proc['unit']}",
                                 unconfirmed, f"each of {ecc['positions']} positions within {note}",
                                 "eccentricity", int(ecc["positions"])))
    return out


def _kind_value(value, kind):
    value = value.get(kind) if isinstance(value, dict) else value
    return None if value is None else Decimal(str(value))


def _items(proc, kind, type_code, e):
    """The procedure's limit items for this verification kind and instrument type."""
    out = []
    for item in proc.get("items") or []:
        if kind not in item.get("kinds", KINDS) or (type_code and "types" in item and type_code not in item["types"]):
            continue
        lower, upper = _kind_value(item["lower"], kind), _kind_value(item["upper"], kind)
        if lower is None or upper is None:
            continue
        unit = proc["unit"] if item.get("per_e") else item["unit"]
        if item.get("per_e"):
            if e is None:
                continue
            lower, upper = lower * e, upper * e
        finite = [abs(v) for v in (lower, upper) if v.is_finite()]
        limits = f"{fmt(lower) if lower.is_finite() else '−∞'} … {fmt(upper) if upper.is_finite() else '+∞'} {unit}"
        out.append(TestPoint(item["id"], _dec("nominal", item.get("nominal", 0)), unit, max(finite) if finite else
                             Decimal(0), item["item_zh"], item["item_en"], bool(item.get("unconfirmed")),
                             f"{limits} ({item['clause']})", "limit", 1, lower, upper, item["clause"]))
    return out


def plan(proc: Mapping[str, Any], chars: Mapping[str, Any] | None, verification_kind: str,
         type_code: str | None = None) -> Plan:
    """Plan the test points of an instrument.

    :param proc: a procedure document from :func:`load_all`
    :param chars: the instrument's declared characteristics (a scale: max, min, e in g, accuracy_class;
        others: optional range_min, range_max)
    :param verification_kind: ``initial``, ``subsequent`` or ``in_service`` (the job's)
    :param type_code: the instrument type (items may apply to some types of a file only)
    :returns: :class:`Plan`
    :raises PlanError: the characteristics do not allow a plan
    """
    if verification_kind not in KINDS:
        raise PlanError(f"unknown verification kind {verification_kind!r}")
    chars = chars or {}
    e = None
    notes = []
    if proc["kind"] == "scale":
        points, e = _scale_plan(proc, chars, verification_kind)
        if proc["plan"].get("unconfirmed"):
            notes.append(f"test loads: {proc['plan']['source']}")
        for item in ("repeatability", "eccentricity"):
            if proc.get(item, {}).get("unconfirmed"):
                notes.append(f"{item}: {proc[item]['source']}")
        if proc["mpe_factor"].get("unconfirmed") and verification_kind == "in_service":
            notes.append(f"in-service MPE factor: {proc['mpe_factor']['source']}")
    else:
        mpe = Decimal(str(proc["mpe"][verification_kind]))
        unconfirmed = bool(proc["mpe"].get("unconfirmed"))
        if proc["points"].get("unconfirmed"):
            notes.append(f"test points: {proc['points']['source']}")
        if unconfirmed:
            notes.append(f"MPE: {proc['mpe']['source']}")
        lo, hi = chars.get("range_min"), chars.get("range_max")
        main, outside = proc["mpe"].get("main_range"), proc["mpe"].get("outside")
        points = []
        for v in proc["points"]["nominal"]:
            nominal = Decimal(str(v))
            if isinstance(lo, (int, float)) and nominal < Decimal(str(lo)):
                continue
            if isinstance(hi, (int, float)) and nominal > Decimal(str(hi)):
                continue
            here = mpe
            if main and outside and not Decimal(str(main[0])) <= nominal <= Decimal(str(main[1])):
                here = Decimal(str(outside[verification_kind]))  # outside the main range (e.g. JJG 1162)
            points.append(TestPoint(f"{fmt(nominal)} {proc['unit']}", nominal, proc["unit"], here,
                                    f"{proc['item_zh']} {fmt(nominal)} {proc['unit']}",
                                    f"{proc['item_en']} {fmt(nominal)} {proc['unit']}", unconfirmed,
                                    f"{verification_kind}: ±{fmt(here)} {proc['unit']}"))
    items = _items(proc, verification_kind, type_code, e)
    notes += [f"{pt.id}: {pt.clause}" for pt in items if pt.unconfirmed]
    return Plan(proc["id"], proc["data_version"], proc["regulation"], proc["kind"], proc["unit"],
                tuple(points) + tuple(items), e, tuple(notes), "budget" in proc, proc.get("effective_from"))
