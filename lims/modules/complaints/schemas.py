"""Marshmallow schemas of complaints (messages are lazy strings: they read in the request's language)."""
from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from lims.core.schemas import DumpSchema, LoadSchema, PageArgsSchema, VersionSchema, page_schema
from lims.modules.complaints.models import MAX_ANSWER, MAX_PHONE, MAX_TEXT, STATES


class ComplaintReportSchema(LoadSchema):
    """What a member of the public sends: a short text and, if they like, a phone number."""

    text = fields.String(required=True, validate=validate.Length(
        min=5, max=MAX_TEXT, error=_l("between {min} and {max} characters")),
        error_messages={"required": _l("Describe the problem.")})
    phone = fields.String(load_default="", validate=validate.Regexp(
        rf"^$|^[0-9+\- ]{{5,{MAX_PHONE}}}$", error=_l("digits, spaces, '+' and '-' only (5 to 32)")))


class ComplaintAnswerSchema(VersionSchema):
    answer = fields.String(required=True, validate=validate.Length(
        min=1, max=MAX_ANSWER, error=_l("between {min} and {max} characters")))


class ComplaintCloseSchema(VersionSchema):
    pass


class ComplaintQuerySchema(PageArgsSchema):
    state = fields.String(validate=validate.OneOf(STATES))


class ComplaintSchema(DumpSchema):
    id = fields.Integer()
    instrument_id = fields.Integer()
    serial_number = fields.Function(lambda c: c.instrument.serial_number)
    location = fields.Function(lambda c: c.instrument.location)
    organisation_id = fields.Integer()
    certificate_id = fields.Integer(allow_none=True)
    text = fields.String()
    phone = fields.String()
    state = fields.String()
    answer = fields.String()
    answered_by_id = fields.Integer(allow_none=True)
    answered_dt = fields.DateTime(allow_none=True)
    closed_by_id = fields.Integer(allow_none=True)
    closed_dt = fields.DateTime(allow_none=True)
    created_dt = fields.DateTime()
    version = fields.Integer()


ComplaintPageSchema = page_schema(ComplaintSchema, "ComplaintPageSchema")
