"""The job state machine: who may move a job, and what an approval does to the instrument."""
import calendar
import datetime as dt

from lims.core.db import now_utc
from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.equipment.operations import ensure_standards_usable
from lims.modules.jobs.models import TRANSITIONS, Job

# action -> roles that may perform it (admin may do everything)
ACTION_ROLES = {
    "receive": ("lab_manager", "technician"),
    "start": ("lab_manager", "technician"),
    "submit": ("lab_manager", "technician"),
    "approve": ("lab_manager",),
    "reject": ("lab_manager",),
    "return": ("lab_manager", "technician"),
}


def jobs_for(user):
    """The jobs ``user`` may see: all for lab staff, their own organisation's instruments' for customers."""
    from lims.core.auth import sees_all_organisations
    from lims.modules.equipment.models import Instrument

    query = db.select(Job).join(Instrument, Job.instrument_id == Instrument.id)
    if not sees_all_organisations(user):
        query = query.where(Instrument.owner_id == user.organisation_id)
    return query


def role_may(user, action):
    """True when ``user``'s role may take ``action`` on a job (admins may take every step)."""
    return user.role == "admin" or user.role in ACTION_ROLES[action]


def allowed_actions(job, user):
    """The steps ``user`` may take on ``job`` now: the role table, the state machine, four-eyes."""
    out = []
    for action, (sources, _target, _who) in TRANSITIONS.items():
        if job.state not in sources or not role_may(user, action):
            continue
        if action in ("approve", "reject") and job.submitted_by_id == user.id and user.role != "admin":
            continue
        out.append(action)
    return out


def add_months(day, months):
    """``day`` plus ``months`` calendar months (clamped to the month's last day)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def valid_until(verified_on, period_months):
    """The last day of validity: the day before the anniversary (有效期至)."""
    return add_months(verified_on, period_months) - dt.timedelta(days=1)


def book_job(instrument, user, kind="verification", verification_kind="subsequent", booked_for=None, notes=""):
    """Book a job for ``instrument``; refuses a second open job for the same instrument."""
    if instrument.is_withdrawn:
        raise Conflict("a withdrawn instrument cannot be booked")
    open_job = db.session.execute(
        db.select(Job.id).where(Job.instrument_id == instrument.id, Job.state != "returned")).first()
    if open_job is not None:
        raise Conflict(f"instrument {instrument.id} already has an open job ({open_job[0]})")
    job = Job(instrument_id=instrument.id, instrument=instrument, kind=kind, verification_kind=verification_kind,
              booked_for=booked_for, notes=notes, booked_by_id=user.id)
    db.session.add(job)
    db.session.flush()
    return job


def book_batch(user, instrument_ids, **options):
    """Book every instrument of ``instrument_ids`` for ``user``: all or none.

    Customers book only their own organisation's instruments (403 otherwise); lab staff book any.
    The caller's transaction commits or rolls back the whole batch.

    :param options: passed to :func:`book_job` (``kind``, ``verification_kind``, ``booked_for``, ``notes``)
    :raises DomainValidationError: the list names an instrument twice
    :raises NotFound: an id names no instrument
    :raises Conflict: an instrument is withdrawn or already has an open job
    """
    from lims.core.auth import check_org, sees_all_organisations
    from lims.core.db import get_or_404
    from lims.modules.equipment.models import Instrument

    if len(set(instrument_ids)) != len(instrument_ids):
        raise DomainValidationError({"instrument_ids": ["contains duplicates"]})
    jobs = []
    for iid in instrument_ids:
        inst = get_or_404(Instrument, iid)
        if not sees_all_organisations(user):
            check_org(user, inst.owner_id, "write")
        jobs.append(book_job(inst, user, **options))
    return jobs


def transition(job, action, user, data):
    """Move ``job`` by ``action`` (receive, start, submit, approve, reject, return).

    :param data: validated payload (``version``, and per action: ``bench_id``, ``result``,
        ``performed_on``, ``notes``).
    :raises Conflict: not allowed from the current state, a stale version, the approver is the
        person who did the work, a standard on the bench is past its due date, or a submitted
        result differs from the judged test points (:func:`lims.modules.procedures.operations.check_submission`).
    """
    from lims.core.db import check_version

    check_version(job, data["version"])
    sources, target, who = TRANSITIONS[action]
    if job.state not in sources:
        raise Conflict(f"cannot {action} a job that is {job.state} (allowed from: {', '.join(sources)})")
    if action == "start":
        _start(job, data)
    elif action == "submit":
        _submit(job, data)
    elif action in ("approve", "reject") and job.submitted_by_id == user.id and user.role != "admin":
        raise Conflict("the person who performed the work cannot approve or reject it (four-eyes rule)")
    if action == "approve":
        _apply_result(job)
    if data.get("notes"):
        job.notes = (job.notes + "\n" if job.notes else "") + data["notes"]
    job.state = target
    setattr(job, f"{who}_by_id", user.id)
    setattr(job, f"{who}_dt", now_utc())
    db.session.flush()
    return job


def _start(job, data):
    from lims.modules.equipment.models import Bench

    bench_id = data.get("bench_id") or job.bench_id
    bench = db.session.get(Bench, bench_id) if bench_id else None
    if bench is None or bench.is_deleted:
        raise DomainValidationError({"bench_id": ["a bench is required to start work" if not bench_id
                                                  else f"no bench {bench_id}"]})
    ensure_standards_usable(bench.standards, dt.date.today())
    job.bench_id = bench.id


def _submit(job, data):
    from lims.modules.procedures.operations import check_submission

    if data.get("result") not in ("pass", "fail"):
        raise DomainValidationError({"result": ["required to submit: pass or fail"]})
    check_submission(job, data["result"])
    job.result = data["result"]
    job.performed_on = data.get("performed_on") or dt.date.today()


def _apply_result(job):
    """An approved verification updates the instrument's history-derived fields."""
    inst = job.instrument
    if job.kind != "verification":
        return
    inst.last_result = job.result
    inst.last_verified_on = job.performed_on
    period = inst.type.period_months
    inst.verified_until = valid_until(job.performed_on, period) if job.result == "pass" and period else None


def cancel_booking(job, user, version):
    """Cancel a booking the lab has not received yet: the job is removed (the audit trail keeps it).

    Customers cancel their own organisation's bookings; lab staff any.

    :raises Conflict: the lab already received the instrument, or a stale version.
    """
    from flask_babel import gettext as _

    from lims.core.auth import check_org, sees_all_organisations
    from lims.core.db import check_version

    if not sees_all_organisations(user):
        check_org(user, job.instrument.owner_id, "write")
    check_version(job, version)
    if job.state != "booked":
        raise Conflict(_("Only a booking the lab has not received yet can be cancelled."))
    db.session.delete(job)
    db.session.flush()
