"""JSON API of jobs: booking and the verification workflow."""
from typing import Any

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort

from lims.core.auth import check_org, login_required, sees_all_organisations
from lims.core.db import get_or_404
from lims.core.schemas import paginate
from lims.modules.equipment.models import Instrument
from lims.modules.jobs import operations as ops
from lims.modules.jobs.models import Job
from lims.modules.jobs.schemas import (
    BatchCreateSchema,
    JobCreateSchema,
    JobPageSchema,
    JobQuerySchema,
    JobSchema,
    TransitionSchema,
)

blp = Blueprint("jobs", __name__, url_prefix="/api/v1", description="Verification and calibration jobs")


@blp.route("/jobs")
class Jobs(MethodView):
    @login_required
    @blp.arguments(JobQuerySchema, location="query")
    @blp.response(200, JobPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List jobs (customers see the jobs of their own instruments)"""
        q = ops.jobs_for(current_user).order_by(Job.id)
        if args.get("state"):
            q = q.where(Job.state == args["state"])
        if args.get("instrument_id"):
            q = q.where(Job.instrument_id == args["instrument_id"])
        return paginate(q, args)

    @login_required
    @blp.arguments(JobCreateSchema)
    @blp.response(201, JobSchema)
    def post(self, data: dict[str, Any]) -> Job:
        """Book a verification or calibration of an instrument"""
        inst = get_or_404(Instrument, data.pop("instrument_id"))
        if not sees_all_organisations(current_user):
            check_org(current_user, inst.owner_id, "write")
        return ops.book_job(inst, current_user, **data)


@blp.route("/jobs/batch", methods=["POST"])
@login_required
@blp.arguments(BatchCreateSchema)
@blp.response(201, JobSchema(many=True))
def book_batch(data: dict[str, Any]) -> list[Job]:
    """Book a batch of instruments (e.g. a hospital's sphygmomanometers) for one date: all or none"""
    return ops.book_batch(current_user, data.pop("instrument_ids"), **data)


@blp.route("/jobs/<int:job_id>")
@login_required
@blp.response(200, JobSchema)
def get_job(job_id: int) -> Job:
    """Get a job with who did each step and when"""
    job = get_or_404(Job, job_id)
    check_org(current_user, job.instrument.owner_id)
    return job


@blp.route("/jobs/<int:job_id>/transitions", methods=["POST"])
@login_required
@blp.arguments(TransitionSchema)
@blp.response(200, JobSchema)
def transition_job(data: dict[str, Any], job_id: int) -> Job:
    """Move a job: receive, start (with a bench), submit (with the result), approve, reject, return"""
    job = get_or_404(Job, job_id)
    if not ops.role_may(current_user, data["action"]):
        abort(403, message=f"a {current_user.role} may not {data['action']} a job")
    return ops.transition(job, data.pop("action"), current_user, data)
