"""Marshmallow schemas of the audit trail."""
from marshmallow import fields, validate

from lims.core.schemas import DumpSchema, PageArgsSchema, page_schema


class AuditEventSchema(DumpSchema):
    id = fields.Integer()
    created_dt = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.String()
    action = fields.String()
    entity = fields.String()
    entity_id = fields.String()
    changes = fields.Dict()
    chain_hash = fields.String(metadata={"description": "SHA-256 over the previous event's hash and this event"})


class AuditQuerySchema(PageArgsSchema):
    entity = fields.String(validate=validate.Length(min=1, max=64))
    entity_id = fields.String(validate=validate.Length(min=1, max=64))


AuditEventPageSchema = page_schema(AuditEventSchema, "AuditEventPageSchema")
