"""A job's verification plan, its entered results, the judged errors and the overall verdict.

The plan comes from the procedure files (:mod:`lims.modules.procedures.definitions`) loaded at
start-up into ``app.extensions["procedures"]``; results are :class:`PointResult` rows judged by
:func:`lims.modules.budgets.evaluate.judge` (simple acceptance). Operations only ``flush()``.
"""
import re
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import select

from lims.core.db import now_utc
from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.jobs import operations as jobs_ops
from lims.modules.procedures.definitions import PlanError, compute_error, fmt, plan
from lims.modules.procedures.models import PointResult

COVERAGE_PROBABILITY = "0.95"
# unit -> (dimension, factor to the dimension's base unit), for matching a standard's calibrated values
_UNITS = {"mg": ("mass", Decimal("0.001")), "g": ("mass", Decimal(1)), "kg": ("mass", Decimal(1000)),
          "t": ("mass", Decimal(1000000)), "Pa": ("pressure", Decimal("0.001")), "kPa": ("pressure", Decimal(1)),
          "MPa": ("pressure", Decimal(1000)), "mmHg": ("mmHg", Decimal(1)), "°C": ("temperature", Decimal(1)),
          "℃": ("temperature", Decimal(1))}
_NOMINAL = re.compile(r"\s*([-+]?[0-9]+(?:\.[0-9]+)?)\s*(\S+)\s*")


def _convert(value, unit, target):
    a, b = _UNITS.get(unit), _UNITS.get(target)
    if a is None or b is None or a[0] != b[0]:
        return None
    return value * a[1] / b[1]


def conventional_value(job, point):
    """The calibrated (conventional) value of a standard on the job's bench for exactly this nominal value.

    A standard's ``values`` rows (``{"nominal": "10 kg", "value": 10000.12, "unit": "g", ...}``)
    are matched by nominal value, converted into the point's unit.

    :returns: ``(value, standard code)`` or None
    """
    if job.bench is None:
        return None
    for std in sorted(job.bench.standards, key=lambda s: s.code):
        for row in std.values or []:
            m = _NOMINAL.fullmatch(str(row.get("nominal", "")))
            if not m or _convert(Decimal(m[1]), m[2], point.unit) != point.nominal:
                continue
            try:
                value = _convert(Decimal(repr(float(row["value"]))), row.get("unit"), point.unit)
            except (KeyError, TypeError, ValueError, InvalidOperation):
                continue
            if value is not None:
                return value, std.code
    return None


def procedure_for(job):
    """The procedure document for ``job`` (verifications only), or None."""
    if job.kind != "verification":
        return None
    return current_app.extensions["procedures"].get(job.instrument.type.code)


def job_plan(job):
    """The job's :class:`~lims.modules.procedures.definitions.Plan`, or None when it has none.

    :raises PlanError: the instrument's characteristics do not allow a plan
    """
    proc = procedure_for(job)
    if proc is None:
        return None
    return plan(proc, job.instrument.characteristics, job.verification_kind)


def results_of(job):
    """``{point id: PointResult}`` entered for ``job``."""
    rows = db.session.execute(select(PointResult).where(PointResult.job_id == job.id)).scalars()
    return {r.point: r for r in rows}


def judged(job):
    """The judged state of a job's plan.

    :returns: ``(plan, results, overall, failing, missing)``: ``overall`` is ``"fail"`` when a
        point failed, ``"pass"`` when every point passed, None otherwise; ``failing`` and
        ``missing`` are point ids in plan order. ``plan`` is None when the job has no plan.
    """
    try:
        p = job_plan(job)
    except PlanError:
        p = None
    if p is None:
        return None, {}, None, [], []
    results = results_of(job)
    failing = [pt.id for pt in p.points if pt.id in results and results[pt.id].verdict == "fail"]
    missing = [pt.id for pt in p.points if pt.id not in results]
    overall = "fail" if failing else ("pass" if not missing else None)
    return p, results, overall, failing, missing


def result_view(r):
    """Plain data of one stored point result."""
    if r is None:
        return None
    return {f: getattr(r, f) for f in ("indication", "indications", "reference", "flash_delta", "zero_error", "error",
                                        "corrected_error", "mpe", "uncertainty", "k", "ratio", "rule",
                                        "rule_name", "verdict", "session_id", "sequences", "entered_by_id",
                                        "entered_dt", "version")}


def procedure_view(job):
    """The plan of ``job`` with any results entered (``GET /api/v1/jobs/<id>/procedure``).

    :raises Conflict: the job has no procedure, or its instrument cannot be planned (409)
    """
    proc = procedure_for(job)
    if proc is None:
        raise Conflict(f"job {job.id} has no verification procedure ({job.kind} of "
                       f"{job.instrument.type.code})")
    try:
        job_plan(job)
    except PlanError as exc:
        raise Conflict(f"job {job.id} cannot be planned: {exc}") from exc
    p, results, overall, failing, missing = judged(job)
    return {
        "job_id": job.id, "procedure_id": p.procedure_id, "data_version": p.data_version,
        "regulation": p.regulation, "title_zh": proc["title_zh"], "title_en": proc["title_en"],
        "verification_kind": job.verification_kind, "kind": p.kind, "unit": p.unit,
        "e": fmt(p.e) if p.e is not None else None, "unconfirmed": list(p.unconfirmed),
        "overall": overall, "failing": failing, "missing": missing,
        "points": [{"point": pt.id, "nominal": fmt(pt.nominal), "unit": pt.unit, "mpe": fmt(pt.mpe),
                    "item_zh": pt.item_zh, "item_en": pt.item_en, "unconfirmed": pt.unconfirmed, "note": pt.note,
                    "test": pt.test, "count": pt.count, **_reference(job, pt),
                    "result": result_view(results.get(pt.id))} for pt in p.points],
    }


def _reference(job, pt):
    conventional = conventional_value(job, pt)
    if conventional is None:
        return {"reference": fmt(pt.nominal), "reference_source": "nominal"}
    return {"reference": fmt(conventional[0]), "reference_source": conventional[1]}


def _reading_values(job, point, session_id, sequences):
    """The values of stored readings ``sequences`` of session ``session_id`` (checked against the point)."""
    from lims.modules.measurements.models import MeasurementSession, Reading

    session = db.session.get(MeasurementSession, session_id)
    if session is None or session.job_id != job.id:
        raise DomainValidationError({"session_id": [f"job {job.id} has no measurement session {session_id}"]})
    if not sequences:
        raise DomainValidationError({"sequences": ["give the sequence numbers of the readings to use"]})
    if len(set(sequences)) != len(sequences):
        raise DomainValidationError({"sequences": ["contains duplicates"]})
    rows = {r.sequence: r for r in db.session.execute(select(Reading).where(
        Reading.session_id == session_id, Reading.sequence.in_(sequences))).scalars()}
    absent = [s for s in sequences if s not in rows]
    if absent:
        missing = ", ".join(map(str, absent))
        raise DomainValidationError({"sequences": [f"session {session_id} has no reading {missing}"]})
    for seq in sequences:
        r = rows[seq]
        if r.unit != point.unit:
            raise DomainValidationError({"sequences": [f"reading {seq} is in {r.unit}, the point in {point.unit}"]})
        if r.test_point and r.test_point != point.id:
            raise DomainValidationError({"sequences": [f"reading {seq} was taken for test point {r.test_point!r}, "
                                                       f"not {point.id!r}"]})
    return [Decimal(repr(rows[s].value)) for s in sequences]


def _mean(values):
    """Mean of decimals, with one digit more than the most precise value."""
    if len(values) == 1:
        return values[0]
    places = min(v.as_tuple().exponent for v in values)
    return (sum(values) / len(values)).quantize(Decimal(10) ** (places - 1))


def _check_input(p, point, data, has_readings):
    """Refuse fields that do not fit the point's test (422 naming the field)."""
    multi = point.test != "error"
    given = "indications" if multi else "indication"
    other = "indication" if multi else "indications"
    if data.get(other) is not None:
        raise DomainValidationError({other: [f"this test point takes `{given}`" + (
            f" ({point.count} values)" if multi else "")]})
    if (data.get(given) is None) == (not has_readings):
        raise DomainValidationError({given: [f"give the {given}, or session_id and sequences of stored readings "
                                             "(not both)"]})
    for key in ("flash_delta", "zero_error"):
        if data.get(key) is not None and (p.kind != "scale" or multi):
            raise DomainValidationError({key: ["only for the weighing points of scales (the flash-point method)"]})
    flash = data.get("flash_delta")
    if flash is not None and not 0 <= flash <= p.e:
        raise DomainValidationError({"flash_delta": [f"must be between 0 and e = {fmt(p.e)} {p.unit}"]})
    if data.get("k") is not None and data.get("uncertainty") is None:
        raise DomainValidationError({"k": ["only with an uncertainty"]})
    if has_readings and data.get("session_id") is None:
        raise DomainValidationError({"session_id": ["required with sequences"]})


def _judge(judge, value, mpe, big_u, k):
    try:
        return judge(value, mpe, big_u, k)
    except ValueError as exc:
        raise DomainValidationError({"uncertainty": [str(exc)]}) from exc


def _evaluate(point, values, reference, p, data, judge):
    """Return (indication, E, Ec, decision) for the point's test."""
    big_u, k = data.get("uncertainty"), data.get("k") or Decimal(2)
    if point.test == "error":
        indication = _mean(values)
        error, corrected = compute_error(indication, reference, p.e, data.get("flash_delta"), data.get("zero_error"))
        return indication, error, corrected, _judge(judge, corrected, point.mpe, big_u, k)
    if len(values) != point.count:
        key = "sequences" if data.get("sequences") else "indications"
        raise DomainValidationError({key: [f"this test takes {point.count} indications, got {len(values)}"]})
    errors = [v - reference for v in values]
    singles = [_judge(judge, err, point.mpe, None, k) for err in errors]
    if point.test == "repeatability":  # R 76-1 3.6.1: spread ≤ |MPE| and every single error within MPE
        spread = max(values) - min(values)
        decision = _judge(judge, spread, point.mpe, big_u, k)
        if any(d["verdict"] == "fail" for d in singles):
            decision = {**decision, "verdict": "fail"}
        return _mean(values), spread, spread, decision
    worst = max(range(len(errors)), key=lambda i: abs(errors[i]))  # eccentricity: every position within MPE
    return values[worst], errors[worst], errors[worst], _judge(judge, errors[worst], point.mpe, big_u, k)


def enter_result(job, user, data):
    """Store (or re-enter) the result of one test point and judge it.

    :param data: validated request (``point``; ``indication`` — or ``indications`` for repeatability
        and eccentricity — or ``session_id`` + ``sequences``; optional ``reference``, ``flash_delta``,
        ``zero_error`` (weighing points of scales), ``uncertainty``, ``k``)
    :returns: the :class:`PointResult`
    :raises Conflict: the job is not in progress or has no procedure
    :raises DomainValidationError: naming the field (unknown point, two or no indications, a
        scale-only field on another instrument, ΔL outside 0…e, readings that do not fit)
    """
    from lims.modules.budgets.evaluate import judge

    if job.state != "in_progress":
        raise Conflict(f"results can be entered only while the job is in progress; job {job.id} is {job.state}")
    try:
        p = job_plan(job)
    except PlanError as exc:
        raise Conflict(f"job {job.id} cannot be planned: {exc}") from exc
    if p is None:
        raise Conflict(f"job {job.id} has no verification procedure")
    point = p.point(data["point"])
    if point is None:
        raise DomainValidationError({"point": [f"not a test point of this job; the points are: "
                                               f"{', '.join(pt.id for pt in p.points)}"]})
    has_readings = bool(data.get("session_id") is not None or data.get("sequences"))
    _check_input(p, point, data, has_readings)
    if has_readings:
        values = _reading_values(job, point, data["session_id"], data.get("sequences"))
    else:
        values = list(data["indications"]) if point.test != "error" else [data["indication"]]
    reference = data.get("reference")
    if reference is None:
        conventional = conventional_value(job, point)
        reference = conventional[0] if conventional else point.nominal
    indication, error, corrected, verdict = _evaluate(point, values, reference, p, data, judge)
    big_u, k = data.get("uncertainty"), data.get("k") or Decimal(2)
    flash = data.get("flash_delta")
    row = results_of(job).get(point.id)
    if row is None:
        row = PointResult(job_id=job.id, point=point.id)
        db.session.add(row)
    fields = {
        "procedure_id": p.procedure_id, "data_version": p.data_version, "unit": point.unit,
        "nominal": fmt(point.nominal), "reference": fmt(reference), "indication": fmt(indication),
        "indications": [fmt(v) for v in values] if point.test != "error" or len(values) > 1 else None,
        "flash_delta": fmt(flash) if flash is not None else None,
        "zero_error": fmt(data["zero_error"]) if data.get("zero_error") is not None else None,
        "error": fmt(error), "corrected_error": fmt(corrected), "mpe": fmt(point.mpe),
        "uncertainty": fmt(big_u) if big_u is not None else None, "k": fmt(k) if big_u is not None else None,
        "ratio": f"{verdict['ratio']:.3g}" if verdict["ratio"] is not None else None,
        "rule": verdict["rule"], "rule_name": verdict["rule_name"], "verdict": verdict["verdict"],
        "session_id": data.get("session_id") if has_readings else None,
        "sequences": list(data["sequences"]) if has_readings else None,
        "entered_by_id": user.id, "entered_dt": now_utc(),
    }
    for key, value in fields.items():
        setattr(row, key, value)
    jobs_ops.note_work(job, user, "measure")
    db.session.flush()
    return row


@jobs_ops.register_judge
def submission_judgement(job):
    """What the job's test points say at submit (:func:`lims.modules.jobs.operations.transition` asks it).

    :returns: None when the job has no procedure (a calibration, a type without one), else
        ``{"failing": [...], "missing": [...], "problem": ...}`` with point ids in plan order;
        ``problem`` says why the instrument cannot be planned (then no point can pass).
    """
    if procedure_for(job) is None:
        return None
    try:
        job_plan(job)
    except PlanError as exc:
        return {"failing": [], "missing": [], "problem": f"its declared characteristics allow no plan: {exc}"}
    _p, _results, _overall, failing, missing = judged(job)
    return {"failing": failing, "missing": missing, "problem": None}


def demo_measure_every_point(job, user, fail=False):
    """Demo and fixtures: enter the nominal value at every test point (the last weighing point 3 MPE off if ``fail``).

    :returns: the number of points entered (0 when the job has no procedure)
    """
    p = job_plan(job)
    if p is None:
        return 0
    last_error = [pt.id for pt in p.points if pt.test == "error"][-1:]
    for pt in p.points:
        entry = {"point": pt.id}
        if pt.test == "error":
            entry["indication"] = pt.nominal + (3 * pt.mpe if fail and pt.id in last_error else 0)
        else:  # repeatability, eccentricity: the same load read several times
            entry["indications"] = [pt.nominal] * pt.count
        enter_result(job, user, entry)
    return len(p.points)


def certificate_results(job):
    """Certificate result lines (``certificates`` record form) from the judged points, or []."""
    p, results, _overall, _failing, _missing = judged(job)
    if p is None or not results:
        return []
    lines = []
    for pt in p.points:
        r = results.get(pt.id)
        if r is None:
            continue
        line = {"item": pt.item_zh[:100], "item_en": pt.item_en[:100], "nominal": r.reference,
                "measured": r.indication, "error": r.corrected_error, "mpe": r.mpe, "unit": r.unit,
                "conformity": r.verdict}
        if pt.test == "repeatability":  # the spread is the measured value; there is no error of indication
            line.update(measured=r.corrected_error)
            line.pop("error")
        if r.uncertainty is not None:
            line.update(uncertainty=r.uncertainty, k=r.k, coverage_probability=COVERAGE_PROBABILITY)
        lines.append(line)
    return lines


def decision_rule(job):
    """The decision rule text of a job judged here, or None."""
    p, results, *_ = judged(job)
    if p is None or not results:
        return None
    names = sorted({r.rule_name for r in results.values()})
    return f"依据 {p.regulation}，{'; '.join(names)}：|示值误差| ≤ MPE 判合格 / |error| ≤ MPE passes"
