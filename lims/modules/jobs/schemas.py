"""Load and dump schemas of jobs: booking, the workflow steps, listing."""
from marshmallow import fields, validate

from lims.core.schemas import DumpSchema, LoadSchema, PageArgsSchema, VersionSchema, page_schema
from lims.modules.jobs.models import BATCH_STATES, JOB_KINDS, STATES, TRANSITIONS, VERIFICATION_KINDS

_id = validate.Range(min=1, max=2**31 - 1)


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
    instrument_id = fields.Integer(required=True, validate=_id)
    kind = fields.String(load_default="verification", validate=validate.OneOf(JOB_KINDS))
    verification_kind = fields.String(load_default="subsequent", validate=validate.OneOf(VERIFICATION_KINDS))
    booked_for = fields.Date(load_default=None, allow_none=True)
    notes = fields.String(load_default="", validate=validate.Length(max=2000))


class BatchCreateSchema(LoadSchema):
    instrument_ids = fields.List(fields.Integer(validate=_id), required=True,
                                 validate=validate.Length(min=1, max=500), metadata={"uniqueItems": True})
    kind = fields.String(load_default="verification", validate=validate.OneOf(JOB_KINDS))
    verification_kind = fields.String(load_default="subsequent", validate=validate.OneOf(VERIFICATION_KINDS))
    booked_for = fields.Date(load_default=None, allow_none=True)
    notes = fields.String(load_default="", validate=validate.Length(max=2000))


class TransitionSchema(VersionSchema):
    action = fields.String(required=True, validate=validate.OneOf(list(TRANSITIONS)))
    bench_id = fields.Integer(validate=_id)
    result = fields.String(validate=validate.OneOf(["pass", "fail"]))
    performed_on = fields.Date(metadata={"description": "submit: the verification date; not in the future and "
                                                        "not before the job was received (default: today)"})
    reason = fields.String(validate=validate.Length(min=1, max=2000),
                           metadata={"description": "submit: why a job fails when no judged test point failed"})
    notes = fields.String(validate=validate.Length(max=2000))


class JobQuerySchema(PageArgsSchema):
    state = fields.String(validate=validate.OneOf(STATES))
    instrument_id = fields.Integer(validate=_id)


JobPageSchema = page_schema(JobSchema, "JobPageSchema")


class BatchItemSchema(DumpSchema):
    instrument_id = fields.Integer()
    serial_number = fields.Function(lambda item: item.instrument.serial_number)
    job_id = fields.Integer(allow_none=True, metadata={"description": "null once the booking was cancelled"})
    job_state = fields.Function(lambda item: item.job.state if item.job is not None else None, allow_none=True)


class BatchSchema(DumpSchema):
    id = fields.Integer()
    number = fields.String(metadata={"description": "what the delivery note prints and the lab scans: B-000042"})
    organisation_id = fields.Integer()
    state = fields.String(metadata={"description": "booked, received or cancelled"})
    booked_for = fields.Date(allow_none=True)
    notes = fields.String()
    booked_by_id = fields.Integer()
    booked_dt = fields.DateTime()
    received_by_id = fields.Integer(allow_none=True)
    received_dt = fields.DateTime(allow_none=True)
    cancelled_by_id = fields.Integer(allow_none=True)
    cancelled_dt = fields.DateTime(allow_none=True)
    items = fields.List(fields.Nested(BatchItemSchema))
    version = fields.Integer()


class BatchQuerySchema(PageArgsSchema):
    state = fields.String(validate=validate.OneOf(BATCH_STATES))
    number = fields.String(validate=validate.Length(min=1, max=200),
                           metadata={"description": "a batch number as printed or scanned (B-000042, or the "
                                                    "batch page's address)"})


BatchPageSchema = page_schema(BatchSchema, "BatchPageSchema")
