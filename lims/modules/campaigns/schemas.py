"""Input and output schemas of the campaigns API."""
from marshmallow import ValidationError, fields, validate, validates_schema

from lims.core.schemas import DumpSchema, LoadSchema, PageArgsSchema, VersionSchema
from lims.modules.campaigns.models import BOOKING_STATES, CAPACITY_KINDS
from lims.modules.campaigns.queries import COVERAGE_GROUPS

ID = validate.Range(min=1, max=2**31 - 1)


class CrewCreateSchema(LoadSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    members = fields.List(fields.String(validate=validate.Length(min=1, max=120)), load_default=list,
                          validate=validate.Length(max=20))
    type_codes = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True,
                             validate=validate.Length(min=1, max=50))
    minutes_per_day = fields.Integer(load_default=420, validate=validate.Range(min=0, max=1440))
    days_off = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=366))


class CrewSchema(DumpSchema):
    id = fields.Integer()
    name = fields.String()
    members = fields.List(fields.String())
    type_codes = fields.List(fields.String())
    minutes_per_day = fields.Integer()
    days_off = fields.List(fields.String())
    is_active = fields.Boolean()
    version = fields.Integer()


class SiteSetSchema(LoadSchema):
    setup_minutes = fields.Integer(load_default=30, validate=validate.Range(min=0, max=1440))
    max_crews_per_day = fields.Integer(load_default=1, validate=validate.Range(min=1, max=50))
    closed_days = fields.List(fields.Date(), validate=validate.Length(max=366))


class SiteSchema(DumpSchema):
    id = fields.Integer()
    organisation_id = fields.Integer()
    setup_minutes = fields.Integer()
    max_crews_per_day = fields.Integer()
    closed_days = fields.List(fields.String())
    version = fields.Integer()


class CampaignCreateSchema(LoadSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    start_on = fields.Date(required=True)
    end_on = fields.Date(required=True)
    target_percent = fields.Integer(load_default=85, validate=validate.Range(min=1, max=100))
    workdays = fields.List(fields.Integer(validate=validate.Range(min=1, max=7)),
                           validate=validate.Length(min=1, max=7))


class CampaignSchema(DumpSchema):
    id = fields.Integer()
    name = fields.String()
    start_on = fields.Date()
    end_on = fields.Date()
    workdays = fields.List(fields.Integer())
    target_percent = fields.Integer()
    state = fields.String()
    progress = fields.Float()
    progress_message = fields.String()
    figures = fields.Dict()
    version = fields.Integer()


class VisitSchema(DumpSchema):
    id = fields.Integer()
    campaign_id = fields.Integer()
    crew_id = fields.Integer()
    site_id = fields.Integer()
    organisation_id = fields.Function(lambda v: v.site.organisation_id)
    day = fields.Date()
    state = fields.String()
    instrument_ids = fields.Function(lambda v: [i.instrument_id for i in v.items])
    job_ids = fields.Function(lambda v: [i.job_id for i in v.items])
    version = fields.Integer()


class VisitMoveSchema(VersionSchema):
    day = fields.Date()
    crew_id = fields.Integer(validate=ID)


class CapacityOpenSchema(LoadSchema):
    day = fields.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(CAPACITY_KINDS))
    minutes = fields.Integer(required=True, validate=validate.Range(min=0, max=100000))


class CapacityQuerySchema(LoadSchema):
    start = fields.Date(data_key="from")
    end = fields.Date(data_key="to")


class CapacitySchema(DumpSchema):
    day = fields.Date()
    kind = fields.String()
    total_minutes = fields.Integer()
    remaining_minutes = fields.Integer()


class BookingCreateSchema(LoadSchema):
    instrument_ids = fields.List(fields.Integer(validate=ID), required=True, validate=validate.Length(min=1, max=500))
    day = fields.Date(required=True)
    notes = fields.String(load_default="", validate=validate.Length(max=2000))


class BookingQuerySchema(PageArgsSchema):
    booked_for = fields.Date()
    state = fields.String(validate=validate.OneOf(BOOKING_STATES))


class BookingActionSchema(VersionSchema):
    action = fields.String(required=True, validate=validate.OneOf(("confirm", "propose", "reschedule", "cancel")))
    day = fields.Date()

    @validates_schema
    def _day_needed(self, data, **kwargs):
        if data.get("action") in ("propose", "reschedule") and not data.get("day"):
            raise ValidationError(f"a day is required to {data['action']}", "day")


class BookingSchema(DumpSchema):
    id = fields.Integer()
    organisation_id = fields.Integer()
    day = fields.Date()
    state = fields.String()
    proposed_day = fields.Date(allow_none=True)
    minutes = fields.Dict()
    notes = fields.String()
    instrument_ids = fields.Function(lambda b: [i.instrument_id for i in b.items])
    job_ids = fields.Function(lambda b: [i.job_id for i in b.items])
    progress = fields.Function(lambda b: _progress(b))
    version = fields.Integer()


def _progress(booking):
    out = {}
    for item in booking.items:
        state = item.job.state if item.job is not None else "cancelled"
        out[state] = out.get(state, 0) + 1
    return out


class RecallQuerySchema(LoadSchema):
    within_days = fields.Integer(load_default=30, validate=validate.Range(min=0, max=730))
    organisation_id = fields.Integer(validate=ID)


class CoverageQuerySchema(LoadSchema):
    verified_from = fields.Date()
    verified_to = fields.Date()
    group_by = fields.String(load_default="district", validate=validate.OneOf(COVERAGE_GROUPS))

    @validates_schema
    def _order(self, data, **kwargs):
        if data.get("verified_from") and data.get("verified_to") and data["verified_to"] < data["verified_from"]:
            raise ValidationError("must not be before verified_from", "verified_to")


class DueInstrumentSchema(DumpSchema):
    instrument_id = fields.Integer()
    type = fields.String()
    serial_number = fields.String()
    state = fields.String(metadata={"enum": ["due", "overdue"]})
    due = fields.String(allow_none=True)
    scheduled = fields.String(allow_none=True)


class RecallSchema(DumpSchema):
    organisation_id = fields.Integer()
    within_days = fields.Integer()
    items = fields.List(fields.Nested(DueInstrumentSchema))


class CoverageItemSchema(DumpSchema):
    group = fields.List(fields.Raw(), metadata={"description": "organisation [id, name, kind], [district] or "
                                                              "type [code, name_en, name_zh]"})
    under_control = fields.Integer()
    verified = fields.Integer()
    passed = fields.Integer()
    coverage = fields.Float()
    pass_rate = fields.Float(allow_none=True)


class CoverageSchema(DumpSchema):
    verified_from = fields.String()
    verified_to = fields.String()
    group_by = fields.String()
    items = fields.List(fields.Nested(CoverageItemSchema))


class InstanceSchema(DumpSchema):
    """lims-plan-instance/1 (../shared/planning/FORMAT.md)."""

    format = fields.String()
    horizon = fields.Dict()
    costs = fields.Dict()
    kinds = fields.Dict()
    sites = fields.List(fields.Dict())
    instruments = fields.List(fields.Dict())
    crews = fields.List(fields.Dict())


class NoticeSchema(DumpSchema):
    id = fields.Integer()
    organisation_id = fields.Integer()
    channel = fields.String()
    within_days = fields.Integer()
    due_count = fields.Integer()
    overdue_count = fields.Integer()
    generated_by_id = fields.Integer(allow_none=True)
    generated_dt = fields.DateTime()


class TypeMinutesSetSchema(LoadSchema):
    minutes = fields.Integer(required=True, validate=validate.Range(min=0, max=1440))


class TypeMinutesSchema(DumpSchema):
    type_code = fields.Function(lambda row: row.type.code)
    category = fields.Function(lambda row: row.type.category)
    minutes = fields.Integer()


class HolidayCreateSchema(LoadSchema):
    day = fields.Date(required=True)
    name = fields.String(load_default="", validate=validate.Length(max=100))


class HolidaySchema(DumpSchema):
    day = fields.Date()
    name = fields.String()
