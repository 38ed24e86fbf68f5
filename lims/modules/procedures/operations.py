"""A job's verification plan, its entered results, the judged errors and the overall verdict.

The plan comes from the procedure files (:mod:`lims.modules.procedures.definitions`) loaded at
start-up into ``app.extensions["procedures"]``; results are :class:`PointResult` rows judged by
:func:`lims.modules.budgets.evaluate.judge` (simple acceptance). Operations only ``flush()``.
"""
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from lims.core.db import now_utc
from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.procedures.definitions import PlanError, compute_error, fmt, plan
from lims.modules.procedures.models import PointResult

COVERAGE_PROBABILITY = "0.95"


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
    return {f: getattr(r, f) for f in ("indication", "reference", "flash_delta", "zero_error", "error",
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
                    "result": result_view(results.get(pt.id))} for pt in p.points],
    }


def _indication_from_readings(job, point, session_id, sequences):
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
        raise DomainValidationError({"sequences": [f"session {session_id} has no reading {', '.join(map(str, absent))}"]})
    for seq in sequences:
        r = rows[seq]
        if r.unit != point.unit:
            raise DomainValidationError({"sequences": [f"reading {seq} is in {r.unit}, the point in {point.unit}"]})
        if r.test_point and r.test_point != point.id:
            raise DomainValidationError({"sequences": [f"reading {seq} was taken for test point {r.test_point!r}, "
                                                       f"not {point.id!r}"]})
    values = [Decimal(repr(rows[s].value)) for s in sequences]
    places = min(v.as_tuple().exponent for v in values)
    mean = sum(values) / len(values)
    return mean.quantize(Decimal(10) ** (places - 1)) if len(values) > 1 else values[0]


def enter_result(job, user, data):
    """Store (or re-enter) the result of one test point and judge it.

    :param data: validated request (``point``; ``indication`` or ``session_id`` + ``sequences``;
        optional ``reference``, ``flash_delta``, ``zero_error`` (scales), ``uncertainty``, ``k``)
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
    has_readings = data.get("session_id") is not None or data.get("sequences")
    if (data.get("indication") is None) == (not has_readings):
        raise DomainValidationError({"indication": ["give the indication, or session_id and sequences of "
                                                    "stored readings (not both)"]})
    if p.kind != "scale":
        for key in ("flash_delta", "zero_error"):
            if data.get(key) is not None:
                raise DomainValidationError({key: ["only for scales (the flash-point method)"]})
    flash = data.get("flash_delta")
    if flash is not None and not 0 <= flash <= p.e:
        raise DomainValidationError({"flash_delta": [f"must be between 0 and e = {fmt(p.e)} {p.unit}"]})
    if data.get("k") is not None and data.get("uncertainty") is None:
        raise DomainValidationError({"k": ["only with an uncertainty"]})
    if has_readings:
        if data.get("session_id") is None:
            raise DomainValidationError({"session_id": ["required with sequences"]})
        indication = _indication_from_readings(job, point, data["session_id"], data.get("sequences"))
    else:
        indication = data["indication"]
    reference = data.get("reference") if data.get("reference") is not None else point.nominal
    error, corrected = compute_error(indication, reference, p.e, flash, data.get("zero_error"))
    big_u, k = data.get("uncertainty"), data.get("k") or Decimal(2)
    try:
        verdict = judge(corrected, point.mpe, big_u, k)
    except ValueError as exc:
        raise DomainValidationError({"uncertainty": [str(exc)]}) from exc
    row = results_of(job).get(point.id)
    if row is None:
        row = PointResult(job_id=job.id, point=point.id)
        db.session.add(row)
    values = {
        "procedure_id": p.procedure_id, "data_version": p.data_version, "unit": point.unit,
        "nominal": fmt(point.nominal), "reference": fmt(reference), "indication": fmt(indication),
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
    for key, value in values.items():
        setattr(row, key, value)
    db.session.flush()
    return row


def check_submission(job, result):
    """Refuse a submitted overall result that differs from the judged points (HTTP 409).

    Jobs without a plan, or with no point entered yet, are not checked (their result lines come
    from the ``R:`` notes, as before).

    :raises Conflict: naming the failing points, or the points not measured yet
    """
    p, results, overall, failing, missing = judged(job)
    if p is None or not results:
        return
    if failing and result != "fail":
        raise Conflict(f"the judged result is fail: test points {', '.join(failing)} exceed the MPE")
    if not failing and missing:
        raise Conflict(f"test points not measured yet: {', '.join(missing)}")
    if overall == "pass" and result != "pass":
        raise Conflict("the judged result is pass: every test point is within the MPE")


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
