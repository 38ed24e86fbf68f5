"""Starting, resuming and ending measurement sessions (the rules; no instrument I/O here).

Operations only ``flush()``; the request hook or the CLI commits.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from lims.core.db import now_utc
from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.equipment.operations import ensure_standards_usable
from lims.modules.jobs.operations import note_work
from lims.modules.measurements.models import MeasurementSession

if TYPE_CHECKING:
    from sqlalchemy.sql import Select

    from lims.modules.equipment.models import Bench
    from lims.modules.jobs.models import Job
    from lims.modules.users.models import User

RESUMABLE_STATES = ("open", "interrupted", "failed")

#: the bench kind (driver) that reads an instrument of each type category: a scale against a weighing indicator
#: (or balance), a sphygmomanometer against a pressure reference, a clinical thermometer through a thermometer readout
DRIVERS_BY_CATEGORY = {"scale": ("mtsics", "sbi"), "pressure": ("dpi740",), "thermometer": ("fluke1502",),
                       "electrical": ("scpi",)}


def ports_for_job(job: Job) -> list[dict[str, Any]]:
    """The ports of the job's bench that fit its instrument's type (all the bench's ports when none fits).

    :param job: a job on a bench.
    :returns: ``{"role", "port", "driver"}`` entries, the fitting ones in the bench's order.
    """
    ports = [p for p in ((job.bench.ports if job.bench else None) or []) if isinstance(p, dict)]
    kinds = DRIVERS_BY_CATEGORY.get(job.instrument.type.category, ())
    fitting = [p for p in ports if p.get("driver") in kinds]
    return fitting or ports


def ensure_job_ready(job: Job, day: dt.date) -> Bench:
    """Refuse a job that is not being worked on at a bench whose standards are usable on ``day``.

    :param job: the :class:`~lims.modules.jobs.models.Job`.
    :param day: the date the measurement is made.
    :returns: the job's bench.
    :raises Conflict: the job is not in_progress, has no bench, or a standard is past its due date.
    """
    if job.state != "in_progress":
        raise Conflict(f"job {job.id} is {job.state}; measurements need a job that is in_progress on a bench")
    bench = job.bench
    if bench is None or bench.is_deleted:
        raise Conflict(f"job {job.id} has no bench; start it on a bench first")
    ensure_standards_usable(bench.standards, day)
    return bench


def bench_port(bench: Bench, role: str | None, known_drivers: Collection[str],
               category: str | None = None) -> dict[str, Any]:
    """Return the ``{"role", "port", "driver"}`` entry of ``bench`` named ``role`` (or its only port).

    Without ``role`` on a bench with several ports, the one port whose driver fits the instrument type's
    ``category`` (see :data:`DRIVERS_BY_CATEGORY`) is the default.

    :param known_drivers: driver kinds the acquisition can use.
    :raises DomainValidationError: (field ``port_role``) no such port, several and none named, or
        the port's driver is not a known kind.
    """
    ports = [p for p in (bench.ports or []) if isinstance(p, dict)]
    entry = None
    if role is not None:
        entry = next((p for p in ports if p.get("role") == role), None)
        if entry is None:
            known = ", ".join(str(p.get("role")) for p in ports) or "none"
            raise DomainValidationError({"port_role": [f"bench {bench.id} has no port {role!r} (ports: {known})"]})
    elif len(ports) != 1:
        fitting = [p for p in ports if p.get("driver") in DRIVERS_BY_CATEGORY.get(category or "", ())]
        if len(fitting) == 1:
            return bench_port(bench, fitting[0].get("role"), known_drivers)
        problem = "has no serial port configured" if not ports else "has several ports; name one"
        raise DomainValidationError({"port_role": [f"bench {bench.id} {problem}"]})
    entry = entry or ports[0]
    if entry.get("driver") not in known_drivers or not entry.get("port"):
        raise DomainValidationError({"port_role": [
            f"bench {bench.id} port {entry.get('role')!r} has driver {entry.get('driver')!r}; "
            f"configure one of: {', '.join(known_drivers)}"]})
    return entry


def start_session(job: Job, user: User, *, driver: str, port: str, count: int, require_stable: bool = False,
                  test_point: str | None = None, day: dt.date | None = None) -> MeasurementSession:
    """Create an ``open`` session for ``job`` on its bench, recording the bench's standards.

    :param job: a job in_progress on a bench.
    :param user: who starts it (recorded as ``started_by_id``).
    :param driver: driver kind of the reference instrument (e.g. ``mtsics``).
    :param port: serial port or URL the worker will open.
    :param count: readings wanted (>= 1).
    :param require_stable: accept only stable readings.
    :param test_point: label stored with each reading (e.g. ``10 kg``).
    :param day: date of the measurement (default today).
    :returns: the flushed :class:`MeasurementSession`.
    :raises Conflict: see :func:`ensure_job_ready`.
    :raises DomainValidationError: ``count`` is not a positive integer.
    """
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 1_000_000:
        raise DomainValidationError({"count": ["must be an integer from 1 to 1000000"]})
    bench = ensure_job_ready(job, day or dt.date.today())
    session = MeasurementSession(job_id=job.id, bench_id=bench.id, driver=driver, port=port, count=count,
                                 is_stable_required=require_stable, test_point=test_point,
                                 started_by_id=user.id, state="open")
    session.standards = list(bench.standards)
    db.session.add(session)
    note_work(job, user, "measure")
    db.session.flush()
    return session


def prepare_resume(session: MeasurementSession, day: dt.date | None = None) -> MeasurementSession:
    """Check that ``session`` may take more readings now and reopen it.

    :raises Conflict: the session is completed, or its job/bench/standards no longer allow work.
    """
    if session.state not in RESUMABLE_STATES:
        raise Conflict(f"session {session.id} is {session.state}; only {', '.join(RESUMABLE_STATES)} "
                       "sessions can be resumed")
    bench = ensure_job_ready(session.job, day or dt.date.today())
    if bench.id != session.bench_id:
        raise Conflict(f"job {session.job_id} is now on bench {bench.id}, not on the session's bench "
                       f"{session.bench_id}; start a new session")
    session.state, session.ended_dt, session.error = "open", None, ""
    db.session.flush()
    return session


def end_session(session: MeasurementSession, state: str, error: str = "") -> MeasurementSession:
    """Record how a run ended: ``completed``, ``interrupted`` (resumable) or ``failed``.

    :raises ValueError: ``state`` is not an end state.
    """
    if state not in ("completed", "interrupted", "failed"):
        raise ValueError(f"state: {state!r} is not an end state")
    session.state, session.error, session.ended_dt = state, error[:2000], now_utc()
    db.session.flush()
    return session


def sessions_query(job_id: int | None = None, state: str | None = None) -> Select[MeasurementSession]:
    """Return a select of sessions, newest first, optionally for one job and/or state."""
    q = select(MeasurementSession).order_by(MeasurementSession.id.desc())
    if job_id is not None:
        q = q.where(MeasurementSession.job_id == job_id)
    if state is not None:
        q = q.where(MeasurementSession.state == state)
    return q
