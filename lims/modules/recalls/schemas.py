"""Schemas of the recall API."""
from marshmallow import fields, validate

from lims.core.schemas import DumpSchema, LoadSchema
from lims.modules.recalls.models import DECISIONS, INCIDENT_KINDS


class CorrectionSchema(LoadSchema):
    nominal = fields.String(required=True, validate=validate.Length(min=1, max=40))
    value = fields.Float(required=True, allow_nan=False, metadata={"description": "the corrected calibrated value"})
    unit = fields.String(required=True, validate=validate.Length(min=1, max=16))
    U = fields.Float(allow_nan=False, validate=validate.Range(min=0))
    k = fields.Float(allow_nan=False, validate=validate.Range(min=1, max=10))


class IncidentCreateSchema(LoadSchema):
    kind = fields.String(required=True, validate=validate.OneOf(INCIDENT_KINDS))
    found_on = fields.Date(required=True)
    last_good_on = fields.Date(metadata={"description": "the last calibration known good (default: the standard's "
                                                        "calibration date)"})
    corrections = fields.List(fields.Nested(CorrectionSchema), load_default=list, validate=validate.Length(max=200))
    notes = fields.String(load_default="", validate=validate.Length(max=2000))


class DecisionSchema(LoadSchema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class RecallItemSchema(DumpSchema):
    id = fields.Integer()
    incident_id = fields.Integer()
    certificate_id = fields.Integer()
    certificate_number = fields.Function(lambda i: i.certificate.number)
    standard_code = fields.Function(lambda i: i.incident.standard.code)
    organisation_id = fields.Integer()
    points = fields.List(fields.Dict())
    may_change = fields.Boolean()
    decision = fields.String(allow_none=True)
    decision_note = fields.String()
    decided_by_id = fields.Integer(allow_none=True)
    decided_dt = fields.DateTime(allow_none=True)
    version = fields.Integer()


class IncidentSchema(DumpSchema):
    id = fields.Integer()
    standard_id = fields.Integer()
    kind = fields.String()
    found_on = fields.Date()
    last_good_on = fields.Date()
    corrections = fields.List(fields.Dict())
    notes = fields.String()
    recorded_by_id = fields.Integer()
    recorded_dt = fields.DateTime()
    items = fields.List(fields.Nested(RecallItemSchema))
