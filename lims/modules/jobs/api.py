"""JSON API of jobs: booking and the verification workflow."""
from typing import Any

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort

from lims.core.auth import check_org, login_required, sees_all_organisations
from lims.core.db import get_or_404
from lims.core.schemas import VersionSchema, paginate
from lims.modules.equipment.models import Instrument
from lims.modules.jobs import operations as ops
from lims.modules.jobs.models import Batch, Job
from lims.modules.jobs.schemas import (
    BatchCreateSchema,
    BatchPageSchema,
    BatchQuerySchema,
    BatchSchema,
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


# --- batches: one delivery of one organisation's instruments -------------------------------------------

@blp.route("/batches")
class Batches(MethodView):
    @login_required
    @blp.arguments(BatchQuerySchema, location="query")
    @blp.response(200, BatchPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List batches (customers see their own organisation's); ``number`` finds one by its printed number"""
        q = ops.batches_for(current_user).order_by(Batch.id)
        if args.get("state"):
            q = q.where(Batch.state == args["state"])
        if args.get("number"):
            found = ops.find_batch(args["number"])
            q = q.where(Batch.id == (found.id if found is not None else 0))
        return paginate(q, args)

    @login_required
    @blp.arguments(BatchCreateSchema)
    @blp.response(201, BatchSchema)
    def post(self, data: dict[str, Any]) -> Batch:
        """Book one organisation's instruments as one batch with a delivery note: all or none"""
        return ops.book_delivery(current_user, data.pop("instrument_ids"), **data)


def _batch(batch_id):
    batch = get_or_404(Batch, batch_id)
    check_org(current_user, batch.organisation_id)
    return batch


@blp.route("/batches/<int:batch_id>")
@login_required
@blp.response(200, BatchSchema)
def get_batch(batch_id: int) -> Batch:
    """Get a batch: its instruments, their jobs and states"""
    return _batch(batch_id)


@blp.route("/batches/<int:batch_id>/receive", methods=["POST"])
@login_required
@blp.arguments(VersionSchema)
@blp.response(200, BatchSchema)
def receive_batch(data: dict[str, Any], batch_id: int) -> Batch:
    """The lab receives every instrument of the batch at once (409 when already received or cancelled)"""
    batch = _batch(batch_id)
    if not ops.role_may(current_user, "receive"):
        abort(403, message=f"a {current_user.role} may not receive instruments")
    return ops.receive_batch(batch, current_user, data["version"])


@blp.route("/batches/<int:batch_id>/cancel", methods=["POST"])
@login_required
@blp.arguments(VersionSchema)
@blp.response(200, BatchSchema)
def cancel_batch(data: dict[str, Any], batch_id: int) -> Batch:
    """Cancel the booking of a whole batch the lab has not received (its jobs are removed)"""
    return ops.cancel_batch(_batch(batch_id), current_user, data["version"])
