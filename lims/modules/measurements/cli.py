"""Operator commands of the measurements area: ``lims bench run``.

Bad input, an unusable port or a stopped run print one line to stderr and exit with code 2.
Each accepted reading is printed as one JSON line on stdout AFTER it is committed.
"""
import contextlib
import json
import signal

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError, OperationalError

from lims.core.audit import acting_as
from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.jobs.models import Job
from lims.modules.measurements import acquisition
from lims.modules.measurements import operations as ops
from lims.modules.measurements.acquisition import DRIVER_KINDS, InstrumentError
from lims.modules.measurements.models import MeasurementSession
from lims.modules.measurements.operations import ports_for_job
from lims.modules.measurements.schemas import raw_text
from lims.modules.users.models import User
from lims.modules.users.operations import user_by_username

ID = click.IntRange(1, 2**31 - 1)


class BenchError(click.ClickException):
    """A problem the operator must fix: printed as one ``Error: …`` line, exit code 2."""

    exit_code = 2


@click.group("bench")
def bench() -> None:
    """Bench acquisition: measurement sessions from serial instruments into the database."""


@bench.command("run")
@click.option("--job", "job_id", type=ID, help="job in progress on a bench (new session)")
@click.option("--port", help="serial port, pyserial URL or sim://KIND (a simulator in this process) "
                             "[default with --driver left out: the bench's port fitting the instrument's type]")
@click.option("--driver", type=click.Choice(DRIVER_KINDS), help="driver of the reference instrument")
@click.option("--count", type=click.IntRange(1, 1_000_000), help="readings wanted in the session [default: 10]")
@click.option("--stable", is_flag=True, help="accept only stable readings")
@click.option("--stream", is_flag=True, help="use the instrument's continuous output instead of polling")
@click.option("--resume", "resume_id", type=ID, help="continue session SESSION_ID after its last stored reading")
@click.option("--user", "username", help="who performs the measurement (lab staff; required for a new session)")
@click.option("--point", "test_point", help="test point label stored with the readings, e.g. '10 kg'")
@click.option("--timeout", type=click.FloatRange(0.01, 3600), help="frame timeout in seconds")
@click.option("--stable-within", type=click.FloatRange(0.1, 3600), default=30.0, show_default=True,
              help="seconds allowed without an acceptable reading")
@with_appcontext
def bench_run(job_id: int | None, port: str | None, driver: str | None, count: int | None, stable: bool, stream: bool,
              resume_id: int | None, username: str | None, test_point: str | None, timeout: float | None,
              stable_within: float) -> None:
    """Run a measurement session from a serial instrument into the database (or resume one)."""

    if test_point is not None and not 1 <= len(test_point.strip()) <= 64:
        raise BenchError("--point: must be 1 to 64 characters")
    opts = {"job_id": job_id, "port": port, "driver": driver, "count": count, "stable": stable,
            "username": username, "test_point": test_point and test_point.strip()}
    session, user = _resumed(resume_id, opts) if resume_id else _new(opts)
    holder = {"sid": session.id if session else None}
    with acting_as(user.id, user.username), _errors(holder):
        _run(session, user, opts, opts["port"] or session.port, timeout, stable_within, stream, holder)


def _new(opts):
    job = db.session.get(Job, opts["job_id"]) if opts["job_id"] else None
    if opts["job_id"] and job is None:
        raise BenchError(f"--job: no job {opts['job_id']}")
    if job is not None and not opts["port"] and not opts["driver"]:
        _default_port(job, opts)
    missing = [f"--{k}" for k in ("job_id", "port", "driver", "username") if not opts[k]]
    if missing:
        raise BenchError(", ".join(m.replace("_id", "").replace("username", "user") for m in missing)
                               + ": required for a new session (or give --resume SESSION_ID)")
    return None, _lab_user(opts["username"])


def _default_port(job, opts) -> None:
    """Without --port and --driver: the one port of the job's bench that fits its instrument's type."""

    ports = ports_for_job(job) if job.bench else []
    if len(ports) == 1 and ports[0].get("port") and ports[0].get("driver") in DRIVER_KINDS:
        opts["port"], opts["driver"] = str(ports[0]["port"]), ports[0]["driver"]


def _resumed(resume_id, opts):
    session = db.session.get(MeasurementSession, resume_id)
    if session is None:
        raise BenchError(f"--resume: no session {resume_id}")
    for key, current in (("job_id", session.job_id), ("driver", session.driver), ("count", session.count)):
        if opts[key] is not None and opts[key] != current:
            raise BenchError(f"--{key.removesuffix('_id')}: session {resume_id} has {current}, "
                                   f"not {opts[key]}")
    user = _lab_user(opts["username"]) if opts["username"] else db.session.get(User, session.started_by_id)
    return session, user


def _lab_user(username):
    user = user_by_username(username)
    if user is None or not user.is_active:
        raise BenchError(f"--user: no active user named {username!r}")
    if user.role not in ("admin", "lab_manager", "technician"):
        raise BenchError(f"--user: {username} is a {user.role}; measurements are made by lab staff")
    return user


def _run(session, user, opts, port, timeout, stable_within, stream, holder) -> None:
    with acquisition.open_driver(opts["driver"] or session.driver, port, timeout) as driver:
        if session is None:
            job = db.session.get(Job, opts["job_id"])
            assert job is not None  # _new refused a missing job
            session = ops.start_session(job, user, driver=opts["driver"], port=port,
                                        count=opts["count"] or 10, require_stable=opts["stable"],
                                        test_point=opts["test_point"])
        else:
            ops.prepare_resume(session)
        db.session.commit()
        sid = holder["sid"] = session.id
        click.echo(f"session {sid} open: job {session.job_id}, {session.driver} on {port}, "
                   f"{session.count} readings (resuming after {session.last_sequence})", err=True)
        with _sigterm_as_interrupt():
            summary = acquisition.run_session(session, driver, stable_within=stable_within, stream=stream,
                                              test_point=opts["test_point"], on_accept=_printer(sid))
    click.echo(f"session {sid} completed: {summary.accepted} accepted, {summary.rejected} rejected in this run",
               err=True)


def _printer(sid):
    """Print one JSON line per committed reading (click.echo flushes, so a reader sees it at once)."""

    def emit(record) -> None:
        r = record.reading
        click.echo(json.dumps({"session": sid, "sequence": record.sequence, "value": r.value, "unit": r.unit,
                               "stable": record.stable, "raw": raw_text(r.raw)}, ensure_ascii=False))

    return emit


@contextlib.contextmanager
def _sigterm_as_interrupt():
    def handler(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _errors(holder):
    """Turn every expected failure into one line and exit code 2."""


    try:
        yield
    except InstrumentError as exc:
        raise BenchError(_stopped(holder["sid"], exc)) from None
    except KeyboardInterrupt:
        raise BenchError(_stopped(holder["sid"], "stopped by the operator")) from None
    except Conflict as exc:
        db.session.rollback()
        raise BenchError(str(exc)) from None
    except DomainValidationError as exc:
        db.session.rollback()
        raise BenchError("; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items())) from None
    except IntegrityError:
        db.session.rollback()
        raise BenchError("a reading with this sequence number is already stored: is another "
                               "`lims bench run` working on this session?") from None
    except OperationalError as exc:
        db.session.rollback()
        raise BenchError(f"database: {str(exc.orig).strip().splitlines()[0]}") from None


def _stopped(sid, reason):
    """Describe a stopped run: the session's state, its last stored reading and how to resume."""

    db.session.rollback()
    session = db.session.get(MeasurementSession, sid) if sid else None
    if session is None:
        return str(reason)
    return (f"session {sid} {session.state} after reading {session.last_sequence} of {session.count}: {reason}; "
            f"continue with: lims bench run --resume {sid}")


COMMANDS = [bench]
