"""A job's verification plan, its entered results, the judged errors and the overall verdict.

The plan comes from the procedure files (:mod:`lims.modules.procedures.definitions`) loaded at
start-up into ``app.extensions["procedures"]``; results are :class:`PointResult` rows judged by
:func:`lims.modules.budgets.evaluate.judge` (simple acceptance). Operations only ``flush()``.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import select

from lims.core.db import now_utc
from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.budgets.evaluate import judge, judge_limits
from lims.modules.budgets.record import BudgetInputError, build, evaluate
from lims.modules.budgets.references import ReferenceError as RefError
from lims.modules.budgets.references import check_valid, convert, reference_for
from lims.modules.jobs import operations as jobs_ops
from lims.modules.measurements.models import MeasurementSession, Reading
from lims.modules.procedures.definitions import PlanError, compute_error, edition_on, fmt, plan
from lims.modules.procedures.models import PointResult

if TYPE_CHECKING:
    from lims.modules.budgets.references import Reference
    from lims.modules.jobs.models import Job
    from lims.modules.procedures.definitions import Plan, TestPoint
    from lims.modules.users.models import User

#: ``(plan, results, overall, failing, missing)`` of :func:`judged`; the plan is a ``Plan``, or None when the job has
#: none (typed Any: callers that planned the job first use it without a check)
Judged = tuple[Any, dict[str, PointResult], str | None, list[str], list[str]]

COVERAGE_PROBABILITY = "0.95"
MULTI = ("repeatability", "eccentricity")  # tests that take several indications
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


def conventional_value(job: Job, point: TestPoint) -> tuple[Decimal, str] | None:
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


def job_day(job: Job) -> dt.date:
    """The day that selects the regulation edition: the day work started (today before that)."""
    return job.started_dt.date() if job.started_dt is not None else dt.date.today()


def procedure_for(job: Job) -> dict[str, Any] | None:
    """The procedure document for ``job`` in the edition in force when it started, or None.

    Calibrations use the same test points and budgets; their MPE serves only a statement of
    conformity the customer asked for.

    A revision is a new file with ``effective_from``: a job started before that date keeps the old
    edition, one started on or after it uses the new (docs/procedures.md).
    """
    if job.kind not in ("verification", "calibration"):
        return None
    editions = current_app.extensions.get("procedure_editions")
    if editions is None:
        return current_app.extensions["procedures"].get(job.instrument.type.code)
    return edition_on(editions.get(job.instrument.type.code), job_day(job))


def job_plan(job: Job) -> Plan | None:
    """The job's :class:`~lims.modules.procedures.definitions.Plan`, or None when it has none.

    :raises PlanError: the instrument's characteristics do not allow a plan
    """
    proc = procedure_for(job)
    if proc is None:
        return None
    return plan(proc, job.instrument.characteristics, job.verification_kind, job.instrument.type.code)


def results_of(job: Job) -> dict[str, PointResult]:
    """``{point id: PointResult}`` entered for ``job``."""
    rows = db.session.execute(select(PointResult).where(PointResult.job_id == job.id)).scalars()
    return {r.point: r for r in rows}


def judged(job: Job) -> Judged:
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


def result_view(r: PointResult | None) -> dict[str, Any] | None:
    """Plain data of one stored point result."""
    if r is None:
        return None
    out = {f: getattr(r, f) for f in ("indication", "indications", "reference", "flash_delta", "zero_error", "error",
                                       "corrected_error", "mpe", "uncertainty", "k", "ratio", "rule",
                                       "rule_name", "verdict", "session_id", "sequences", "entered_by_id",
                                       "entered_dt", "version", "indication_falling", "budget", "budget_error",
                                       "justification", "justified_by_id", "justified_dt")}
    out["flags"] = flags(r)
    return out


def procedure_view(job: Job) -> dict[str, Any]:
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
        "formula_zh": proc.get("formula", {}).get("zh"), "formula_en": proc.get("formula", {}).get("en"),
        "points": [{"point": pt.id, "nominal": fmt(pt.nominal), "unit": pt.unit, "mpe": fmt(pt.mpe),
                    "item_zh": pt.item_zh, "item_en": pt.item_en, "unconfirmed": pt.unconfirmed, "note": pt.note,
                    "test": pt.test, "count": pt.count, **_reference(job, pt, proc),
                    "lower": _bound(pt.lower), "upper": _bound(pt.upper),
                    "result": result_view(results.get(pt.id))} for pt in p.points],
    }


def _bound(limit):
    """A limit item's bound as text; None for an open side (or an item judged against ±MPE)."""
    return fmt(limit) if limit is not None and limit.is_finite() else None


def _reference(job, pt, proc=None):
    if proc is not None and proc.get("budget") is not None:
        try:
            ref = reference_of(job, proc, pt)
            return {"reference": fmt(ref.value), "reference_source": ", ".join(sorted({x.code for x in ref.parts}))}
        except RefError:
            pass
    conventional = conventional_value(job, pt)
    if conventional is None:
        return {"reference": fmt(pt.nominal), "reference_source": "nominal"}
    return {"reference": fmt(conventional[0]), "reference_source": conventional[1]}


def _reading_values(job, point, session_id, sequences):
    """The values of stored readings ``sequences`` of session ``session_id`` (checked against the point)."""

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
    multi = point.test in MULTI
    given = "indications" if multi else "indication"
    other = "indication" if multi else "indications"
    if data.get(other) is not None:
        raise DomainValidationError({other: [f"this test point takes `{given}`" + (
            f" ({point.count} values)" if multi else "")]})
    if (data.get(given) is None) == (not has_readings):
        raise DomainValidationError({given: [f"give the {given}, or session_id and sequences of stored readings "
                                             "(not both)"]})
    for key in ("flash_delta", "zero_error"):
        if data.get(key) is not None and (p.kind != "scale" or point.test != "error"):
            raise DomainValidationError({key: ["only for the weighing points of scales (the flash-point method)"]})
    flash = data.get("flash_delta")
    if flash is not None and not 0 <= flash <= p.e:
        raise DomainValidationError({"flash_delta": [f"must be between 0 and e = {fmt(p.e)} {p.unit}"]})
    if data.get("uncertainty") is not None and p.has_budget:
        raise DomainValidationError({"uncertainty": ["computed from the record (the procedure's budget: standards, "
                                                     "readings); it cannot be typed"]})
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
    if point.test == "limit":  # judged against its (possibly asymmetric or one-sided) limits

        value = _mean(values)
        return value, value, value, judge_limits(value, point.lower, point.upper)
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


def enter_result(job: Job, user: User, data: dict[str, Any]) -> PointResult:
    """Store (or re-enter) the result of one test point and judge it.

    :param data: validated request (``point``; ``indication`` — or ``indications`` for repeatability
        and eccentricity — or ``session_id`` + ``sequences``; optional ``reference``, ``flash_delta``,
        ``zero_error`` (weighing points of scales), ``uncertainty``, ``k``)
    :returns: the :class:`PointResult`
    :raises Conflict: the job is not in progress or has no procedure
    :raises DomainValidationError: naming the field (unknown point, two or no indications, a
        scale-only field on another instrument, ΔL outside 0…e, readings that do not fit)
    """

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
        values = list(data["indications"]) if point.test in MULTI else [data["indication"]]
    reference = data.get("reference")
    proc = procedure_for(job)
    # a job with a plan has a procedure: proc is not None below
    if data.get("indication_falling") is not None and not proc.get("budget", {}).get("hysteresis"):  # type: ignore[union-attr]
        raise DomainValidationError({"indication_falling": [f"{p.regulation} does not measure hysteresis"]})
    if reference is None:
        reference = default_reference(job, proc, point)  # type: ignore[arg-type]
    indication, error, corrected, verdict = _evaluate(point, values, reference, p, data, judge)
    falling = data.get("indication_falling")
    if falling is not None:  # judged on the larger of the rising and the falling error
        f_err, f_corr = compute_error(falling, reference)
        if abs(f_corr) > abs(corrected):
            error, corrected = f_err, f_corr
            verdict = _judge(judge, corrected, point.mpe, None, Decimal(2))
    big_u, k = data.get("uncertainty"), data.get("k") or Decimal(2)
    flash = data.get("flash_delta")
    row = results_of(job).get(point.id)
    if row is None:
        row = PointResult(job_id=job.id, point=point.id)
        db.session.add(row)
    fields = {
        "procedure_id": p.procedure_id, "data_version": p.data_version, "unit": point.unit,
        "nominal": fmt(point.nominal), "reference": fmt(reference), "indication": fmt(indication),
        "indications": [fmt(v) for v in values] if point.test in MULTI or len(values) > 1 else None,
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
    fields["indication_falling"] = fmt(falling) if falling is not None else None
    for key, value in fields.items():
        setattr(row, key, value)
    if proc.get("budget") is not None:  # type: ignore[union-attr]
        with db.session.no_autoflush:  # one write of the row: its budget is computed before the flush
            results = results_of(job)
        results[point.id] = row
        # this point, and when a repeatability or eccentricity item changed, the points whose budgets use it
        with db.session.no_autoflush:
            refresh_budgets(job, p, proc, results, None if point.test in MULTI else {point.id})  # type: ignore[arg-type]
        if row.ratio is not None:  # the judged decision records U/MPE of the computed U
            verdict = _judge(judge, corrected, point.mpe, Decimal(row.uncertainty),  # type: ignore[arg-type]
                             Decimal(row.k))  # type: ignore[arg-type]  # set with the ratio
            row.rule, row.rule_name = verdict["rule"], verdict["rule_name"]
    jobs_ops.note_work(job, user, "measure")
    db.session.flush()
    return row


def default_reference(job: Job, proc: dict[str, Any], point: TestPoint) -> Decimal:
    """The reference value L when none is given: from the standards' calibration values (the budget's
    reference), else the older exact-nominal lookup, else the nominal value."""

    if proc.get("budget") is not None:
        try:
            return reference_of(job, proc, point).value
        except RefError:
            pass
    conventional = conventional_value(job, point)
    return conventional[0] if conventional else point.nominal


@jobs_ops.register_judge
def submission_judgement(job: Job) -> dict[str, Any] | None:
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
    _p, results, _overall, failing, missing = judged(job)
    if job.kind != "verification":  # a calibration reports the points measured; conformity only when asked
        return {"failing": [], "missing": [], "problem": None if results else "no test point has been measured"}
    return {"failing": failing, "missing": missing, "problem": None}


def demo_measure_every_point(job: Job, user: User, fail: bool = False) -> int:
    """Demo and fixtures: enter the nominal value at every test point (the last weighing point 3 MPE off if ``fail``).

    :returns: the number of points entered (0 when the job has no procedure)
    """
    p = job_plan(job)
    if p is None:
        return 0
    last_error = [pt.id for pt in p.points if pt.test == "error"][-1:]
    e = getattr(p, "e", None)
    for pt in p.points:
        entry = {"point": pt.id}
        if pt.test == "error":
            entry["indication"] = pt.nominal + (3 * pt.mpe if fail and pt.id in last_error else 0)
            if e is not None:  # a scale read by the flash-point method, as at the bench (U/MPE within 1/3)
                entry.update(flash_delta=e * 3 / 10, zero_error=e / 10)
        elif pt.test == "limit":  # zero-setting, tare, discrimination, price check: a value within the limits
            entry["indication"] = 0 if pt.lower <= 0 <= pt.upper else pt.lower
        else:  # repeatability, eccentricity: the same load read several times
            entry["indications"] = [pt.nominal] * pt.count
        enter_result(job, user, entry)
    return len(p.points)


RULES = {"simple": "ILAC-G8:09/2019 4.2.1 简单接受 / simple acceptance (w = 0)",
         "guarded": "ILAC-G8:09/2019 4.2.2 保护带接受 / guarded acceptance (w = r×U)"}


def _coverage(r):
    return f"{r.budget['coverage']:.4g}" if r.budget else COVERAGE_PROBABILITY


def certificate_results(job: Job, conformity: bool = True, rule: str = "simple",
                        guard_factor: Decimal = Decimal(1), judgement: Judged | None = None) -> list[dict[str, Any]]:
    """Certificate result lines (``certificates`` record form) from the judged points, or [].

    :param conformity: state a verdict per line (verifications always; calibrations only when the
        customer asked for a statement of conformity — otherwise the lines carry no MPE and no verdict)
    :param rule: ``simple`` (ILAC-G8 4.2.1) or ``guarded`` (4.2.2: pass when |E| ≤ MPE − w, w = r·U)
    :param judgement: :func:`judged` of ``job`` when the caller has it already (default: judged here)
    :raises DomainValidationError: guarded acceptance for a point without U
    """
    p, results, _overall, _failing, _missing = judgement if judgement is not None else judged(job)
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
        if pt.test == "limit":  # a value judged against limits: the line shows them as MPE upper/lower
            line.pop("error")
            line.pop("nominal")
            line.pop("mpe")
            if pt.lower.is_finite() and pt.upper.is_finite() and pt.upper >= 0 >= pt.lower:
                line.update(mpe=fmt(pt.upper), mpe_lower=fmt(-pt.lower))
        if r.uncertainty is not None:
            line.update(uncertainty=r.uncertainty, k=r.k, coverage_probability=_coverage(r))
        if conformity and rule == "guarded" and pt.test == "error":
            if r.uncertainty is None:
                raise DomainValidationError({"decision_rule": [f"guarded acceptance needs U at {pt.id}"]})
            w = Decimal(r.uncertainty) * guard_factor
            line["conformity"] = "pass" if abs(Decimal(r.corrected_error)) <= Decimal(r.mpe) - w else "fail"
        if not conformity:
            line.pop("conformity")
            line.pop("mpe", None)
            line.pop("mpe_lower", None)
        lines.append(line)
    return lines


def decision_rule(job: Job, rule: str = "simple", guard_factor: Decimal = Decimal(1),
                  judgement: Judged | None = None) -> str | None:
    """The decision rule text of a job judged here (with the guard band of every point when guarded), or None.

    :param judgement: :func:`judged` of ``job`` when the caller has it already (default: judged here)
    """
    p, results, *_ = judgement if judgement is not None else judged(job)
    if p is None or not results:
        return None
    if rule == "guarded":
        bands = [f"{pt.id}: w = {fmt(Decimal(r.uncertainty) * guard_factor)} {pt.unit}, "
                 f"±{fmt(Decimal(r.mpe) - Decimal(r.uncertainty) * guard_factor)} {pt.unit}"
                 for pt in p.points if (r := results.get(pt.id)) is not None and pt.test == "error"
                 and r.uncertainty is not None]
        return (f"依据 {p.regulation}，{RULES['guarded']}, r = {fmt(guard_factor)}：|示值误差| ≤ MPE - w 判合格 / "
                f"|error| ≤ MPE - w passes; 保护带 guard bands (w, acceptance limit): " + "; ".join(bands))
    names = sorted({r.rule_name for r in results.values()})
    return f"依据 {p.regulation}，{'; '.join(names)}：|示值误差| ≤ MPE 判合格 / |error| ≤ MPE passes"


# --- uncertainty budgets from the record --------------------------------------------------------------

RATIO_LIMIT = Decimal(1) / Decimal(3)


def _standard_data(std):
    return {"id": std.id, "code": std.code, "kind": std.kind, "certificate_number": std.certificate_number,
            "calibrated_on": std.calibrated_on, "due_on": std.due_on, "accuracy_class": std.accuracy_class,
            "values": list(std.values or []), "is_deleted": std.is_deleted}


def bench_standards(job: Job, kind: str) -> list[dict[str, Any]]:
    """Plain data of the standards of ``kind`` on the job's bench."""
    if job.bench is None:
        return []
    return [_standard_data(s) for s in job.bench.standards if s.kind == kind]


def _resolution(job, spec, unit):
    key = spec.get("resolution_characteristic", "resolution")
    value = (job.instrument.characteristics or {}).get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return Decimal(repr(float(value))), f"the instrument's declared {key} in the register"
    return Decimal(str(spec.get("resolution_default", 1))), str(spec.get("resolution_source", "procedure default"))


def _bath(job, spec, point):
    """Stability and uniformity at the point's temperature from a bath standard on the bench (nearest row)."""

    best = None
    for std in bench_standards(job, spec.get("bath_kind", "other")):
        for row in std["values"]:
            if row.get("stability") is None or row.get("uniformity") is None:
                continue
            m = _NOMINAL.fullmatch(str(row.get("nominal", "")))
            nominal = convert(Decimal(m[1]), m[2], point.unit) if m else None
            if nominal is None:
                continue
            dist = abs(nominal - point.nominal)
            if best is None or dist < best[0]:
                best = (dist, std, row, nominal)
    if best is None:
        return None
    _dist, std, row, nominal = best
    try:
        check_valid(std, dt.date.today())
    except RefError as exc:
        raise ValueError(str(exc)) from exc
    return {"stability": Decimal(repr(float(row["stability"]))), "uniformity": Decimal(repr(float(row["uniformity"]))),
            "source": f"{std['code']} ({row.get('certificate') or std['certificate_number']}): characterised at "
                      f"{fmt(nominal)} {point.unit}", "standard_id": std["id"]}


def reference_of(job: Job, proc: dict[str, Any], point: TestPoint, day: dt.date | None = None) -> Reference:
    """The :class:`~lims.modules.budgets.references.Reference` of ``point`` from the bench's standards.

    :raises lims.modules.budgets.references.ReferenceError: naming the standard (expired, no value)
    """

    spec = proc["budget"]
    return reference_for(bench_standards(job, spec["reference_kind"]), point.nominal, point.unit,
                         day or dt.date.today(), mode=spec.get("reference_mode", "certificate"),
                         compose=spec.get("compose", False), interpolate=spec.get("interpolate", False),
                         class_table=current_app.extensions.get("weight_classes"))


def _row_readings(row):
    if row.session_id is not None and row.indications and len(row.indications) > 1:
        return {"values": [Decimal(v) for v in row.indications], "mean": True,
                "source": f"measurement session {row.session_id}, readings {', '.join(map(str, row.sequences or []))}"}
    return None


def _budget_context(job, p, proc, point, row, results, ref):
    """The record a point's budget is built from (see :func:`lims.modules.budgets.record.build`)."""
    spec = proc["budget"]
    indication = Decimal(row.indication)
    ctx = {"unit": point.unit, "nominal": point.nominal, "reference": ref, "readings": _row_readings(row),
           "indication_source": (f"job {job.id}, point {point.id}: indication {row.indication} {point.unit}"
                                 + (f" (mean of session {row.session_id} readings)" if row.session_id else ""))}
    if spec["type"] == "scale":
        chars = job.instrument.characteristics or {}
        d = chars.get("d") or chars.get("e")
        ctx["d"] = Decimal(repr(float(d))) if d else p.e
        ctx["e"] = p.e
        if row.flash_delta is not None:
            indication = indication + p.e / 2 - Decimal(row.flash_delta)
            ctx["flash"] = True
        ctx["zero_error"] = Decimal(row.zero_error) if row.zero_error is not None else None
        for other in p.points:
            r = results.get(other.id)
            if r is None or other.id == point.id or not r.indications:
                continue
            src = f"job {job.id}, {other.id}: indications {' '.join(r.indications)} {other.unit}"
            if other.test == "repeatability":
                ctx["repeatability"] = {"values": [Decimal(v) for v in r.indications], "source": src}
            elif other.test == "eccentricity" and point.test == "error":
                ctx["eccentricity"] = {"values": [Decimal(v) for v in r.indications], "load": other.nominal,
                                       "source": src}
    else:
        ctx["d"], ctx["d_source"] = _resolution(job, spec, point.unit)
        ctx["reference_d"] = _part_resolution(job, ref, point.unit)
        if spec["type"] == "thermometer":
            ctx["bath"] = _bath(job, spec, point)
        if spec.get("hysteresis") and row.indication_falling is not None:
            ctx["hysteresis"] = {"up": Decimal(row.indication), "down": Decimal(row.indication_falling),
                                 "source": f"job {job.id}, point {point.id}: rising {row.indication}, falling "
                                           f"{row.indication_falling} {point.unit}"}
    ctx["indication"] = indication
    return ctx


def _part_resolution(job, ref, unit):
    """The reference standard's resolution: the ``resolution`` of the calibration row used, in the point's unit."""

    for std in job.bench.standards if job.bench else []:
        for part in ref.parts:
            if part.standard_id != std.id:
                continue
            for row in std.values or []:
                if str(row.get("nominal")) == part.nominal and row.get("resolution") is not None:
                    m = _NOMINAL.fullmatch(part.nominal)
                    return convert(Decimal(repr(float(row["resolution"]))), row.get("unit") or (m[2] if m else unit),
                                   unit)
    return None


def compute_budget(job: Job, p: Plan, proc: dict[str, Any], point: TestPoint, row: PointResult,
                   results: dict[str, PointResult]) -> tuple[dict[str, Any] | None, str | None]:
    """Build and evaluate the budget of ``row``; returns ``(budget dict or None, error text or None)``.

    Repeatability and eccentricity items have none: they are performance tests of the instrument (a spread,
    the worst position), whose results enter the weighing points' budgets (cg-18 7.1.1.3, 7.1.1.4).
    """

    spec = proc.get("budget")
    if spec is None or point.test != "error":
        return None, None
    try:
        ref = reference_of(job, proc, point)
        budget = build(spec["type"], spec, _budget_context(job, p, proc, point, row, results, ref))
        out = evaluate(budget, spec.get("method", "gum"))
    except (RefError, BudgetInputError, ValueError) as exc:
        return None, str(exc)[:500]
    out["standards"] = [part.as_dict() for part in ref.parts]
    out["reference_mode"] = ref.mode
    return out, None


def _apply_budget(row, point, budget, error) -> None:
    """Store a computed budget on ``row`` with U (2 significant digits), k and U/MPE."""
    row.budget, row.budget_error = budget, error
    if budget is None:
        row.uncertainty = row.k = row.ratio = None
        return
    big_u = Decimal(budget["rounded_U"]) if budget["method"] == "gum" else Decimal(f"{budget['U']:.2g}")
    row.uncertainty = fmt(big_u)
    row.k = f"{budget['k']:.2f}"
    row.ratio = f"{big_u / point.mpe:.3g}" if point.mpe else None


def refresh_budgets(job: Job, p: Plan, proc: dict[str, Any], results: dict[str, PointResult],
                    only: Collection[str] | None = None) -> None:
    """Recompute the budgets of the job's entered points (all, or the ids in ``only``)."""
    for pt in p.points:
        row = results.get(pt.id)
        if row is None or (only is not None and pt.id not in only):
            continue
        budget, error = compute_budget(job, p, proc, pt, row, results)
        if budget != row.budget or error != row.budget_error:
            _apply_budget(row, pt, budget, error)


def flags(row: PointResult) -> list[str]:
    """Why a point needs the lab manager's justification before approval: ``[]`` or reasons."""
    out = []
    if row.budget_error:
        out.append(f"no uncertainty budget: {row.budget_error}")
    if row.ratio is not None and Decimal(row.ratio) > RATIO_LIMIT:
        out.append(f"U/MPE = {row.ratio} exceeds 1/3")
    return out


@jobs_ops.register_approval_check
def check_approval(job: Job) -> None:
    """Refuse approval while a point's U/MPE exceeds 1/3 (or it has no budget) without a recorded justification.

    :raises Conflict: naming the points (HTTP 409)
    """
    if job.kind != "verification":  # the 1/3 rule is the JJG verifications' (calibrations state U instead)
        return
    _p, results, *_ = judged(job)
    bad = [f"{r.point} ({'; '.join(flags(r))})" for r in results.values() if flags(r) and not r.justification]
    if bad:
        raise Conflict("approval needs the lab manager's justification for: " + ", ".join(sorted(bad)))


def justify(job: Job, user: User, point_id: str, text: str | None) -> PointResult:
    """Record the lab manager's justification of a flagged point (audited through the row).

    :raises DomainValidationError: unknown point, point not flagged, empty text
    """
    text = (text or "").strip()
    if not text:
        raise DomainValidationError({"justification": ["give the reason the uncertainty is acceptable"]})
    row = results_of(job).get(point_id)
    if row is None:
        raise DomainValidationError({"point": ["no result entered for this point"]})
    if not flags(row):
        raise DomainValidationError({"point": ["this point's U/MPE is within 1/3; nothing to justify"]})
    row.justification, row.justified_by_id, row.justified_dt = text[:2000], user.id, now_utc()
    db.session.flush()
    return row
