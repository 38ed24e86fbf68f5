"""JSON API of measurement sessions: start a session record, read sessions, readings and rejections.

Only lab staff (technician, lab_manager) and admins use these endpoints; customers get 403.
The raw readings and rejected frames are the lab's working records; customers see the outcome of
the job and its certificate. The reading loop itself runs in ``lims bench run`` at the bench.
"""
import datetime as dt
from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from lims.core.auth import require_roles
from lims.core.db import get_or_404
from lims.core.schemas import PageArgsSchema, paginate
from lims.modules.jobs.models import Job
from lims.modules.measurements import operations as ops
from lims.modules.measurements.acquisition import DRIVER_KINDS
from lims.modules.measurements.models import MeasurementSession, Reading, Rejection
from lims.modules.measurements.schemas import (
    ReadingPageSchema,
    RejectionPageSchema,
    SessionCreateSchema,
    SessionPageSchema,
    SessionQuerySchema,
    SessionSchema,
)

blp = Blueprint("measurements", __name__, url_prefix="/api/v1",
                description="Bench measurement sessions, their readings and rejected frames")

LAB = ("lab_manager", "technician")


@blp.route("/jobs/<int:job_id>/sessions", methods=["POST"])
@require_roles(*LAB)
@blp.arguments(SessionCreateSchema)
@blp.response(201, SessionSchema)
def start_session(data: dict[str, Any], job_id: int) -> MeasurementSession:
    """Start a measurement session for a job that is in progress on a bench (standards must be in date)"""
    job = get_or_404(Job, job_id)
    bench = ops.ensure_job_ready(job, dt.date.today())
    entry = ops.bench_port(bench, data["port_role"], DRIVER_KINDS, job.instrument.type.category)
    return ops.start_session(job, current_user, driver=entry["driver"], port=str(entry["port"]),
                             count=data["count"], require_stable=data["require_stable"],
                             test_point=data["test_point"])


@blp.route("/sessions", methods=["GET"])
@require_roles(*LAB)
@blp.arguments(SessionQuerySchema, location="query")
@blp.response(200, SessionPageSchema)
def list_sessions(args: dict[str, Any]) -> dict[str, Any]:
    """List measurement sessions, newest first (filter by job and state)"""
    return paginate(ops.sessions_query(args.get("job_id"), args.get("state")), args)


@blp.route("/sessions/<int:session_id>", methods=["GET"])
@require_roles(*LAB)
@blp.response(200, SessionSchema)
def get_session(session_id: int) -> MeasurementSession:
    """Get a session with its counts of accepted and rejected frames and its standards"""
    return get_or_404(MeasurementSession, session_id)


@blp.route("/sessions/<int:session_id>/readings", methods=["GET"])
@require_roles(*LAB)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, ReadingPageSchema)
def list_readings(args: dict[str, Any], session_id: int) -> dict[str, Any]:
    """List a session's accepted readings in sequence order"""
    session = get_or_404(MeasurementSession, session_id)
    return paginate(select(Reading).where(Reading.session_id == session.id).order_by(Reading.sequence), args)


@blp.route("/sessions/<int:session_id>/rejections", methods=["GET"])
@require_roles(*LAB)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, RejectionPageSchema)
def list_rejections(args: dict[str, Any], session_id: int) -> dict[str, Any]:
    """List a session's rejected frames with the reason each was refused"""
    session = get_or_404(MeasurementSession, session_id)
    return paginate(select(Rejection).where(Rejection.session_id == session.id).order_by(Rejection.id), args)
