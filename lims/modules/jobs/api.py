"""JSON API of jobs: booking and the verification workflow."""
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort
from marshmallow import fields, validate

from lims.core.auth import check_org, login_required, sees_all_organisations
from lims.core.db import get_or_404
from lims.core.schemas import DumpSchema, LoadSchema, PageArgsSchema, VersionSchema, page_schema, paginate
from lims.modules.equipment.models import Instrument
from lims.modules.jobs import operations as ops
from lims.modules.jobs.models import JOB_KINDS, STATES, VERIFICATION_KINDS, Job

blp = Blueprint("jobs", __name__, url_prefix="/api/v1", description="Verification and calibration jobs")


class JobSchema(DumpSchema):
    id = fields.Integer()
    instrument_id = fields.Integer()
    kind = fields.String()
    verification_kind = fields.String()
    state = fields.String()
    bench_id = fields.Integer(allow_none=True)
    booked_for = fields.Date(allow_none=True)
    result = fields.String(allow_none=True)
    performed_on = fields.Date(allow_none=True)
    notes = fields.String()
    booked_by_id = fields.Integer()
    booked_dt = fields.DateTime()
    received_by_id = fields.Integer(allow_none=True)
    received_dt = fields.DateTime(allow_none=True)
    started_by_id = fields.Integer(allow_none=True)
    started_dt = fields.DateTime(allow_none=True)
    submitted_by_id = fields.Integer(allow_none=True)
    submitted_dt = fields.DateTime(allow_none=True)
    decided_by_id = fields.Integer(allow_none=True)
    decided_dt = fields.DateTime(allow_none=True)
    returned_by_id = fields.Integer(allow_none=True)
    returned_dt = fields.DateTime(allow_none=True)
    version = fields.Integer()


class JobCreateSchema(LoadSchema):
    instrument_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    kind = fields.String(load_default="verification", validate=validate.OneOf(JOB_KINDS))
    verification_kind = fields.String(load_default="subsequent", validate=validate.OneOf(VERIFICATION_KINDS))
    booked_for = fields.Date(load_default=None, allow_none=True)
    notes = fields.String(load_default="", validate=validate.Length(max=2000))


class BatchCreateSchema(LoadSchema):
    instrument_ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)), required=True,
                                 validate=validate.Length(min=1, max=500), metadata={"uniqueItems": True})
    kind = fields.String(load_default="verification", validate=validate.OneOf(JOB_KINDS))
    verification_kind = fields.String(load_default="subsequent", validate=validate.OneOf(VERIFICATION_KINDS))
    booked_for = fields.Date(load_default=None, allow_none=True)
    notes = fields.String(load_default="", validate=validate.Length(max=2000))


class TransitionSchema(VersionSchema):
    action = fields.String(required=True, validate=validate.OneOf(list(ops.ACTION_ROLES)))
    bench_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    result = fields.String(validate=validate.OneOf(["pass", "fail"]))
    performed_on = fields.Date()
    notes = fields.String(validate=validate.Length(max=2000))


class JobQuerySchema(PageArgsSchema):
    state = fields.String(validate=validate.OneOf(STATES))
    instrument_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))


JobPageSchema = page_schema(JobSchema, "JobPageSchema")


@blp.route("/jobs")
class Jobs(MethodView):
    @login_required
    @blp.arguments(JobQuerySchema, location="query")
    @blp.response(200, JobPageSchema)
    def get(self, args):
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
    def post(self, data):
        """Book a verification or calibration of an instrument"""
        inst = get_or_404(Instrument, data.pop("instrument_id"))
        if not sees_all_organisations(current_user):
            check_org(current_user, inst.owner_id, "write")
        return ops.book_job(inst, current_user, **data)


@blp.route("/jobs/batch", methods=["POST"])
@login_required
@blp.arguments(BatchCreateSchema)
@blp.response(201, JobSchema(many=True))
def book_batch(data):
    """Book a batch of instruments (e.g. a hospital's sphygmomanometers) for one date: all or none"""
    return ops.book_batch(current_user, data.pop("instrument_ids"), **data)


@blp.route("/jobs/<int:job_id>")
@login_required
@blp.response(200, JobSchema)
def get_job(job_id):
    """Get a job with who did each step and when"""
    job = get_or_404(Job, job_id)
    check_org(current_user, job.instrument.owner_id)
    return job


@blp.route("/jobs/<int:job_id>/transitions", methods=["POST"])
@login_required
@blp.arguments(TransitionSchema)
@blp.response(200, JobSchema)
def transition_job(data, job_id):
    """Move a job: receive, start (with a bench), submit (with the result), approve, reject, return"""
    job = get_or_404(Job, job_id)
    if not ops.role_may(current_user, data["action"]):
        abort(403, message=f"a {current_user.role} may not {data['action']} a job")
    return ops.transition(job, data.pop("action"), current_user, data)
