"""The job state machine: who may move a job, the four-eyes rule, and what an approval does to the instrument.

The jobs area sits below procedures and measurements (they import it, never the other way): the
judgement of a job's test points reaches :func:`transition` through :func:`register_judge`, which
the procedures area calls when it is imported.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload
from werkzeug.exceptions import Forbidden, NotFound

from lims.core.audit import insert_audited
from lims.core.auth import check_org, sees_all_organisations
from lims.core.db import check_version, now_utc
from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.equipment.models import Bench, Instrument
from lims.modules.equipment.operations import ensure_standards_usable
from lims.modules.jobs.models import TRANSITIONS, WORK_STEPS, Batch, BatchItem, Job, JobWorker

if TYPE_CHECKING:
    from sqlalchemy.sql import Select

    from lims.modules.users.models import User

#: ``judge(job)``: None (no procedure) or the judgement of the job's test points
Judge = Callable[[Job], dict[str, Any] | None]
#: ``check(job)``: raises Conflict when the job may not be approved yet
ApprovalCheck = Callable[[Job], None]
#: ``problem(batch)``: why another area's record keeps the batch from being cancelled here, or None
BatchCancelCheck = Callable[["Batch"], str | None]

# action -> roles that may perform it (admin may do everything, but never approve its own work)
ACTION_ROLES = {
    "receive": ("lab_manager", "technician"),
    "start": ("lab_manager", "technician"),
    "submit": ("lab_manager", "technician"),
    "approve": ("lab_manager",),
    "reject": ("lab_manager",),
    "return": ("lab_manager", "technician"),
}
DECISIONS = ("approve", "reject")
_OPEN_JOB_INDEX = "uq_jobs_one_open_per_instrument"
_judges: list[Judge] = []
_approval_checks: list[ApprovalCheck] = []
_batch_cancel_checks: list[BatchCancelCheck] = []


def register_judge(judge: Judge) -> Judge:
    """Register ``judge(job)`` -> None (no procedure) or ``{"failing": [...], "missing": [...], "problem": str|None}``.

    The procedures area registers the judgement of a job's test points; :func:`transition` asks it at submit.
    """
    if judge not in _judges:
        _judges.append(judge)
    return judge


def register_approval_check(check: ApprovalCheck) -> ApprovalCheck:
    """Register ``check(job)``, raising :class:`Conflict` when ``job`` may not be approved yet.

    The procedures area registers its U/MPE adequacy check; :func:`transition` asks every check at approve.
    """
    if check not in _approval_checks:
        _approval_checks.append(check)
    return check


def register_batch_cancel_check(check: BatchCancelCheck) -> BatchCancelCheck:
    """Register ``check(batch)`` -> a reason or None; :func:`cancel_batch` refuses with the first reason.

    The campaigns area registers one: a batch booked into the lab's bench capacity is cancelled there,
    which also gives the bench time back.
    """
    if check not in _batch_cancel_checks:
        _batch_cancel_checks.append(check)
    return check


def jobs_for(user: User) -> Select[Job]:
    """The jobs ``user`` may see: all for lab staff, their own organisation's instruments' for customers."""
    query = db.select(Job).join(Instrument, Job.instrument_id == Instrument.id)
    if not sees_all_organisations(user):
        query = query.where(Instrument.owner_id == user.organisation_id)
    return query


def role_may(user: User, action: str) -> bool:
    """True when ``user``'s role may take ``action`` on a job (admins may take every step)."""
    return user.role == "admin" or user.role in ACTION_ROLES[action]


# --- four-eyes: the one home of the rule ------------------------------------------------------------

def note_work(job: Job, user: User, step: str) -> None:
    """Record that ``user`` did work step ``step`` (receive, start, measure, submit) on ``job``."""
    if step not in WORK_STEPS:
        raise ValueError(f"not a work step: {step}")
    if db.session.get(JobWorker, (job.id, user.id)) is None:
        db.session.add(JobWorker(job_id=job.id, user_id=user.id, first_step=step))
        db.session.flush()


def workers(job: Job) -> set[int]:
    """The ids of the users who did a work step of ``job`` (receive, start, measure, submit)."""
    ids = set(db.session.execute(select(JobWorker.user_id).where(JobWorker.job_id == job.id)).scalars())
    ids.update(i for i in (job.received_by_id, job.started_by_id, job.submitted_by_id) if i is not None)
    return ids


def four_eyes_problem(job: Job, user: User) -> str | None:
    """Why ``user`` may not approve, reject or certify ``job`` (four-eyes), or None when they may.

    Whoever received, started, measured or submitted the job is refused, whatever their role.
    """
    if user.id in workers(job):
        return (f"user {user.username} did work on job {job.id} (received, started, measured or submitted it) and "
                "cannot approve, reject or certify it: another signatory must (four-eyes rule)")
    return None


def ensure_four_eyes(job: Job, user: User) -> None:
    """:raises Conflict: ``user`` did a work step of ``job`` (see :func:`four_eyes_problem`)."""
    problem = four_eyes_problem(job, user)
    if problem:
        raise Conflict(problem)


def allowed_actions(job: Job, user: User) -> list[str]:
    """The steps ``user`` may take on ``job`` now: the role table, the state machine, four-eyes."""
    out = []
    for action, (sources, _target, _who) in TRANSITIONS.items():
        if job.state not in sources or not role_may(user, action):
            continue
        if action in DECISIONS and four_eyes_problem(job, user):
            continue
        out.append(action)
    return out


# --- dates -------------------------------------------------------------------------------------------

def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (clamped to the month's last day)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def valid_until(verified_on: dt.date, period_months: int) -> dt.date:
    """The last day of validity: the day before the anniversary (有效期至)."""
    return add_months(verified_on, period_months) - dt.timedelta(days=1)


def received_on(job: Job) -> dt.date | None:
    """The lab's calendar day on which ``job`` was received (None before)."""
    return job.received_dt.astimezone().date() if job.received_dt else None


def date_problem(job: Job, performed_on: dt.date, today: dt.date | None = None) -> str | None:
    """Why ``performed_on`` cannot be the verification date of ``job``, or None."""
    today = today or dt.date.today()
    if performed_on > today:
        return f"{performed_on.isoformat()} is in the future (today is {today.isoformat()})"
    received = received_on(job)
    if received is not None and performed_on < received:
        return f"{performed_on.isoformat()} is before the job was received ({received.isoformat()})"
    return None


# --- booking -----------------------------------------------------------------------------------------

def _open_job_conflict(instrument, job_id=None):
    known = f" (job {job_id})" if job_id else ""
    return Conflict(f"instrument {instrument.manufacturer} {instrument.model} serial number "
                    f"{instrument.serial_number} already has an open job{known}; finish or return it first")


def book_job(instrument: Instrument, user: User, kind: str = "verification", verification_kind: str = "subsequent",
             booked_for: dt.date | None = None, notes: str = "") -> Job:
    """Book a job for ``instrument``; refuses a second open job for the same instrument.

    The database enforces one open job per instrument (a partial unique index), so two bookings made
    at the same moment never both succeed: the later one gets :class:`Conflict` naming the serial number.
    """
    if instrument.is_withdrawn:
        raise Conflict("a withdrawn instrument cannot be booked")
    open_job = db.session.execute(
        select(Job.id).where(Job.instrument_id == instrument.id, Job.state != "returned")).first()
    if open_job is not None:
        raise _open_job_conflict(instrument, open_job[0])
    conflict = _open_job_conflict(instrument)  # read its names now: a failed flush expires the instance
    job = Job(instrument_id=instrument.id, instrument=instrument, kind=kind, verification_kind=verification_kind,
              booked_for=booked_for, notes=notes, booked_by_id=user.id)
    db.session.add(job)
    try:
        db.session.flush()
    except IntegrityError as exc:  # another booking won the race
        db.session.rollback()
        text = str(exc.orig)
        if _OPEN_JOB_INDEX in text or "jobs.instrument_id" in text:
            raise conflict from exc
        raise
    return job


def book_batch(user: User, instrument_ids: Sequence[int], *, as_batch: bool = True, **options: Any) -> list[Job]:
    """Book every instrument of ``instrument_ids`` for ``user``: all or none, checked and inserted as a set.

    The bookings are recorded as one :class:`Batch` per owning organisation (a delivery with its
    delivery note), unless ``as_batch`` is false: a campaign visit's jobs (the crew goes to the
    instruments) keep the visit as their record. A batch booked into bench capacity is one too, but
    is cancelled as that booking (see :func:`register_batch_cancel_check`).

    One query loads the instruments, one finds every open job among them, one bulk INSERT
    stores the jobs (:func:`lims.core.audit.insert_audited`: one audit event per job), one query
    loads them back. Customers book only their own organisation's
    instruments (403 otherwise); lab staff book any. The caller's transaction commits or rolls
    back the whole batch; the database's one-open-job rule still refuses a racing booking.

    :param options: ``kind``, ``verification_kind``, ``booked_for``, ``notes`` (as :func:`book_job`)
    :raises DomainValidationError: the list names an instrument twice
    :raises NotFound: an id names no instrument
    :raises Conflict: an instrument is withdrawn or already has an open job (naming its serial number)
    """
    if len(set(instrument_ids)) != len(instrument_ids):
        raise DomainValidationError({"instrument_ids": ["contains duplicates"]})
    valid_ids = [i for i in instrument_ids if isinstance(i, int) and 0 < i < 2**31]
    found = {inst.id: inst for inst in db.session.execute(
        db.select(Instrument).options(lazyload(Instrument.type), lazyload(Instrument.owner))
        .where(Instrument.id.in_(valid_ids), Instrument.is_deleted.is_(False))).scalars()}
    missing = [i for i in instrument_ids if i not in found]
    if missing:
        raise NotFound(f"Instrument {', '.join(str(i) for i in missing[:20])} not found")
    instruments = [found[i] for i in instrument_ids]
    if not sees_all_organisations(user):
        for owner_id in dict.fromkeys(inst.owner_id for inst in instruments):  # each owner once, in list order
            check_org(user, owner_id, "write")
    withdrawn = [inst.serial_number for inst in instruments if inst.is_withdrawn]
    if withdrawn:
        raise Conflict(f"withdrawn instruments cannot be booked: {', '.join(withdrawn[:20])}")
    open_jobs = db.session.execute(db.select(Job.instrument_id, Job.id).where(
        Job.instrument_id.in_(instrument_ids), Job.state != "returned")).all()
    if open_jobs:
        busy = ", ".join(f"{found[iid].serial_number} (instrument {iid}, job {jid})" for iid, jid in open_jobs[:20])
        raise Conflict(f"{len(open_jobs)} instrument(s) already have an open job: {busy}")
    serials = [inst.serial_number for inst in instruments]  # read now: a failed insert expires them
    rows = [{"instrument_id": inst.id, "kind": options.get("kind", "verification"),
             "verification_kind": options.get("verification_kind", "subsequent"),
             "booked_for": options.get("booked_for"), "notes": options.get("notes", ""), "booked_by_id": user.id}
            for inst in instruments]
    try:
        insert_audited(db.session(), Job, rows)
    except IntegrityError as exc:  # a racing booking took one of them between our check and our insert
        db.session.rollback()
        if _OPEN_JOB_INDEX in str(exc.orig) or "jobs.instrument_id" in str(exc.orig):
            raise Conflict("another booking took an instrument of this batch at the same moment; nothing was "
                           f"booked — serial numbers: {', '.join(serials[:20])}") from exc
        raise
    by_id = {job.id: job for job in db.session.execute(
        select(Job).options(lazyload(Job.instrument)).where(Job.id.in_([r["id"] for r in rows]))).scalars()}
    jobs = [by_id[r["id"]] for r in rows]
    if as_batch:
        _group_into_batches(user, jobs, options)
    return jobs


def _group_into_batches(user: User, jobs: Sequence[Job], options: dict[str, Any]) -> list[Batch]:
    """One :class:`Batch` per owning organisation of ``jobs`` (a customer's batch is always one).

    The batches are ORM objects (one per owner); their items are one bulk insert
    (:func:`~lims.core.audit.insert_audited`: one audit event per item, as a flush would record).
    """
    by_owner: dict[int, list[Job]] = {}
    for job in jobs:
        by_owner.setdefault(job.instrument.owner_id, []).append(job)
    batches = [Batch(organisation_id=owner_id, booked_for=options.get("booked_for"), notes=options.get("notes", ""),
                     booked_by_id=user.id) for owner_id in by_owner]
    db.session.add_all(batches)
    db.session.flush()
    insert_audited(db.session(), BatchItem, [
        {"batch_id": batch.id, "instrument_id": job.instrument_id, "position": n, "job_id": job.id}
        for batch, owned in zip(batches, by_owner.values(), strict=True) for n, job in enumerate(owned)])
    for batch in batches:  # the items were written past the ORM: read them when asked for
        db.session.expire(batch, ["items"])
    return batches


# --- the workflow ------------------------------------------------------------------------------------

def transition(job: Job, action: str, user: User, data: dict[str, Any]) -> Job:
    """Move ``job`` by ``action`` (receive, start, submit, approve, reject, return).

    :param data: validated payload (``version``, and per action: ``bench_id``, ``result``,
        ``performed_on``, ``reason``, ``notes``).
    :raises Conflict: not allowed from the current state, a stale version, the approver did work on
        the job (four-eyes), a standard on the bench is past its due date, or a submitted result
        differs from the judged test points.
    :raises DomainValidationError: naming the field (no bench, no result, a date out of range, a
        fail without a failed point or a reason).
    """
    check_version(job, data["version"])
    sources, target, who = TRANSITIONS[action]
    if job.state not in sources:
        raise Conflict(f"cannot {action} a job that is {job.state} (allowed from: {', '.join(sources)})")
    if action in DECISIONS:
        ensure_four_eyes(job, user)
    if action == "start":
        _start(job, data)
    elif action == "submit":
        _submit(job, data)
    elif action == "approve":
        problem = date_problem(job, job.performed_on) if job.performed_on else "no verification date"
        if problem:
            raise Conflict(f"job {job.id} cannot be approved: its verification date {problem}; reject it and "
                           "submit it again with the right date")
        for check in _approval_checks:  # e.g. U/MPE over 1/3 needs the lab manager's justification (issue 13)
            check(job)
        _apply_result(job)
    if data.get("notes"):
        job.notes = (job.notes + "\n" if job.notes else "") + data["notes"]
    job.state = target
    setattr(job, f"{who}_by_id", user.id)
    setattr(job, f"{who}_dt", now_utc())
    if action in WORK_STEPS:
        note_work(job, user, action)
    db.session.flush()
    if action == "receive":
        _settle_batch_of(job, user)
    return job


def _start(job, data):
    bench_id = data.get("bench_id") or job.bench_id
    bench = db.session.get(Bench, bench_id) if bench_id else None
    if bench is None or bench.is_deleted:
        raise DomainValidationError({"bench_id": ["a bench is required to start work" if not bench_id
                                                  else f"no bench {bench_id}"]})
    ensure_standards_usable(bench.standards, dt.date.today())
    job.bench_id = bench.id


def _submit(job, data):
    result = data.get("result")
    if result not in ("pass", "fail"):
        raise DomainValidationError({"result": ["required to submit: pass or fail"]})
    performed_on = data.get("performed_on") or dt.date.today()
    problem = date_problem(job, performed_on)
    if problem:
        raise DomainValidationError({"performed_on": [problem]})
    reason = (data.get("reason") or data.get("notes") or "").strip()
    _check_result(job, result, reason)
    if data.get("reason"):
        data["notes"] = "\n".join(x for x in (data.get("notes"), f"不合格原因 / reason: {reason}") if x)
    job.result = result
    job.performed_on = performed_on


def _check_result(job, result, reason):
    """No pass with a missing or failed planned point; a fail needs a failed point or a stated reason."""
    failing = []
    for judge in _judges:
        judgement = judge(job)
        if judgement is None:
            continue
        failing += judgement["failing"]
        if result == "pass" and judgement.get("problem"):
            raise Conflict(f"job {job.id} cannot pass: {judgement['problem']}")
        if result == "pass" and judgement["failing"]:
            raise Conflict(f"the judged result is fail: test points {', '.join(judgement['failing'])} exceed the MPE")
        if result == "pass" and judgement["missing"]:
            raise Conflict(f"cannot submit a pass: test points not measured yet: {', '.join(judgement['missing'])}")
        if result == "fail" and not judgement["failing"] and not judgement["missing"] and not reason:
            raise Conflict("the judged result is pass: every test point is within the MPE; "
                           "give the reason to submit a fail")
    if result == "fail" and not failing and not reason:
        raise DomainValidationError({"reason": ["a fail needs a failed test point or a stated reason"]})


def _apply_result(job) -> None:
    """An approved verification updates the instrument's history-derived fields."""
    inst = job.instrument
    if job.kind != "verification":
        return
    inst.last_result = job.result
    inst.last_verified_on = job.performed_on
    period = inst.type.period_months
    inst.verified_until = valid_until(job.performed_on, period) if job.result == "pass" and period else None


def cancel_booking(job: Job, user: User, version: int) -> None:
    """Cancel a booking the lab has not received yet: the job is removed (the audit trail keeps it).

    Customers cancel their own organisation's bookings; lab staff any.

    :raises Conflict: the lab already received the instrument, or a stale version.
    """


    if not sees_all_organisations(user):
        check_org(user, job.instrument.owner_id, "write")
    check_version(job, version)
    if job.state != "booked":
        raise Conflict(_("Only a booking the lab has not received yet can be cancelled."))
    drop_booked_jobs([job], user)


# --- batches: one delivery, booked, received and cancelled as one --------------------------------------

def batch_of(job: Job) -> Batch | None:
    """The batch ``job`` was booked in (None for a job booked alone)."""
    return db.session.execute(select(Batch).join(BatchItem, BatchItem.batch_id == Batch.id)
                              .where(BatchItem.job_id == job.id)).scalars().first()


def batches_for(user: User) -> Select[Batch]:
    """The batches ``user`` may see: all for lab staff, their own organisation's for customers."""
    query = select(Batch)
    if not sees_all_organisations(user):
        query = query.where(Batch.organisation_id == user.organisation_id)
    return query


def find_batch(code: str) -> Batch | None:
    """The batch a scanned or typed code names: ``B-000042``, ``b42``, ``42`` or the batch page's address."""
    text = (code or "").strip()
    m = re.fullmatch(r"(?:.*/batches/)?[Bb]?-?0*(\d{1,9})/?", text)
    return db.session.get(Batch, int(m.group(1))) if m else None


def book_delivery(user: User, instrument_ids: Sequence[int], **options: Any) -> Batch:
    """Book one organisation's instruments as one batch (a delivery note): :func:`book_batch`, all or none.

    :raises DomainValidationError: the instruments belong to several organisations (``instrument_ids``)
    """
    valid_ids = [i for i in instrument_ids if isinstance(i, int) and 0 < i < 2**31]
    owners = set(db.session.execute(select(Instrument.owner_id).where(Instrument.id.in_(valid_ids))).scalars())
    if len(owners) > 1:
        raise DomainValidationError({"instrument_ids": [
            "a batch is one organisation's instruments; book each organisation's instruments separately"]})
    jobs = book_batch(user, instrument_ids, **options)
    batch = batch_of(jobs[0])
    assert batch is not None  # book_batch groups every booking into a batch
    return batch


def drop_booked_jobs(jobs: Sequence[Job], user: User | None = None) -> None:
    """Remove bookings the lab has not received (the audit trail keeps them); a batch left with no
    job is cancelled. The one place a booked job is deleted (a booking, a visit, a capacity booking)."""
    if any(j.state != "booked" for j in jobs):
        raise Conflict("work has started on some of these instruments; the booking cannot be cancelled")
    touched = set()
    for job in jobs:
        for item in db.session.execute(select(BatchItem).where(BatchItem.job_id == job.id)).scalars():
            item.job = None  # the relationship too, not only the column: the batch is read again below
            touched.add(item.batch)
    db.session.flush()
    for job in jobs:
        db.session.delete(job)
    db.session.flush()
    for batch in touched:
        _settle(batch, user)


def _mark(batch: Batch, state: str, user: User | None) -> None:
    batch.state = state
    setattr(batch, f"{state}_by_id", user.id if user is not None else None)
    setattr(batch, f"{state}_dt", now_utc())


def _settle(batch: Batch, user: User | None) -> None:
    """A booked batch with nothing left to receive is received (some of its jobs were received one by
    one) or, when none is left at all, cancelled (its bookings were cancelled one by one)."""
    left = [item.job for item in batch.items if item.job is not None]
    if batch.state != "booked" or any(j.state == "booked" for j in left):
        return
    if left:  # received when its last instrument was, by whoever received that one
        last = max((j for j in left if j.received_dt is not None), key=lambda j: j.received_dt, default=None)
        batch.state = "received"
        batch.received_by_id = last.received_by_id if last is not None else (user.id if user else None)
        batch.received_dt = last.received_dt if last is not None else now_utc()
    else:
        _mark(batch, "cancelled", user)
    db.session.flush()


def _settle_batch_of(job: Job, user: User) -> None:
    batch = batch_of(job)
    if batch is not None:
        _settle(batch, user)


def _day(moment: dt.datetime | None) -> str:
    return moment.astimezone().date().isoformat() if moment else "?"


def _refuse_unless_booked(batch: Batch, doing: str) -> None:
    if batch.state == "received":
        who = batch.received_by.display_name if batch.received_by is not None else "the lab"
        raise Conflict(f"batch {batch.number} was already received on {_day(batch.received_dt)} by {who}; "
                       f"it cannot be {doing}")
    if batch.state == "cancelled":
        raise Conflict(f"batch {batch.number} was cancelled on {_day(batch.cancelled_dt)}; "
                       f"it cannot be {doing}")


def receive_batch(batch: Batch, user: User, version: int) -> Batch:
    """The lab receives every instrument of ``batch`` at once: each still booked job moves to received
    (each a step in its job's audit trail, the batch's too), all in the caller's one transaction.

    Jobs the lab already received one by one stay as they are.

    :raises Forbidden: ``user``'s role may not receive instruments
    :raises Conflict: a stale version; the batch was already received or was cancelled
    """

    if not role_may(user, "receive"):
        raise Forbidden("only the lab receives instruments")
    check_version(batch, version)
    _refuse_unless_booked(batch, "received")
    for item in batch.items:
        if item.job is not None and item.job.state == "booked":
            transition(item.job, "receive", user, {"version": item.job.version})
    if batch.state == "booked":  # the last transition may have settled it already
        _mark(batch, "received", user)
    db.session.flush()
    return batch


def batch_cancel_problem(batch: Batch) -> str | None:
    """Why ``batch`` must be cancelled elsewhere (another area's record holds it), or None."""
    for check in _batch_cancel_checks:
        problem = check(batch)
        if problem:
            return problem
    return None


def cancel_batch(batch: Batch, user: User, version: int) -> Batch:
    """Cancel the booking of a whole batch before the lab receives it: its jobs are removed (the audit
    trail keeps them), the batch stays, cancelled, with its list of instruments.

    :raises Forbidden: a customer cancelling another organisation's batch
    :raises Conflict: a stale version; the batch was received or already cancelled; the lab has
        received some of its instruments (named by serial number); a registered check refuses it
        (a batch booked into bench capacity is cancelled as a capacity booking)
    """
    if not sees_all_organisations(user):
        check_org(user, batch.organisation_id, "write")
    check_version(batch, version)
    _refuse_unless_booked(batch, "cancelled")
    problem = batch_cancel_problem(batch)
    if problem:
        raise Conflict(problem)
    jobs = [item.job for item in batch.items if item.job is not None]
    started = sorted(j.instrument.serial_number for j in jobs if j.state != "booked")
    if started:
        raise Conflict(f"batch {batch.number}: the lab has already received {', '.join(started[:20])}; "
                       "the batch cannot be cancelled (cancel the other bookings one by one)")
    drop_booked_jobs(jobs, user)
    if batch.state == "booked":  # a batch of jobs already all cancelled one by one
        _mark(batch, "cancelled", user)
        db.session.flush()
    return batch

