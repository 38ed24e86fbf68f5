"""Load and dump schemas of the measurements API."""
from marshmallow import fields, validate

from lims.core.schemas import Bool, DumpSchema, LoadSchema, PageArgsSchema, page_schema
from lims.modules.measurements.models import SESSION_STATES

ID = validate.Range(min=1, max=2**31 - 1)


def raw_text(raw: bytes) -> str:
    r"""Render raw frame bytes as printable ASCII: other bytes as ``\xNN``, a backslash as ``\\``.

    >>> raw_text(b"S S \xff\x01 g\\")
    'S S \\xff\\x01 g\\\\'
    """
    return "".join(_PRINTABLE[b] for b in bytes(raw))


_PRINTABLE = [chr(b) if 32 <= b < 127 and b != 0x5C else f"\\x{b:02x}" for b in range(256)]
_PRINTABLE[0x5C] = "\\\\"


class SessionStandardSchema(DumpSchema):
    id = fields.Integer()
    code = fields.String()
    certificate_number = fields.String()
    due_on = fields.Date()


class SessionSchema(DumpSchema):
    id = fields.Integer()
    job_id = fields.Integer()
    bench_id = fields.Integer()
    driver = fields.String()
    port = fields.String()
    count = fields.Integer()
    is_stable_required = fields.Boolean()
    test_point = fields.String(allow_none=True)
    state = fields.String(metadata={"enum": list(SESSION_STATES)})
    accepted_count = fields.Integer()
    rejected_count = fields.Integer()
    last_sequence = fields.Integer()
    error = fields.String()
    standards = fields.List(fields.Nested(SessionStandardSchema))
    started_by_id = fields.Integer()
    started_dt = fields.DateTime()
    ended_dt = fields.DateTime(allow_none=True)


class SessionCreateSchema(LoadSchema):
    port_role = fields.String(load_default=None, validate=validate.Length(min=1, max=40),
                              metadata={"description": "role of the bench port to use (the bench's only "
                                                       "port when omitted)"})
    count = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))
    require_stable = Bool(load_default=False)
    test_point = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))


class SessionQuerySchema(PageArgsSchema):
    job_id = fields.Integer(validate=ID)
    state = fields.String(validate=validate.OneOf(SESSION_STATES))


class ReadingSchema(DumpSchema):
    sequence = fields.Integer()
    value = fields.Float()
    unit = fields.String()
    is_stable = fields.Boolean()
    is_instrument_stable = fields.Boolean(allow_none=True)
    is_software_stable = fields.Boolean(allow_none=True)
    test_point = fields.String(allow_none=True)
    raw = fields.Function(lambda r: raw_text(r.raw), metadata={"type": "string"})
    instrument_dt = fields.DateTime()
    received_dt = fields.DateTime()


class RejectionSchema(DumpSchema):
    id = fields.Integer()
    raw = fields.Function(lambda r: raw_text(r.raw), metadata={"type": "string"})
    reason = fields.String()
    received_dt = fields.DateTime()


SessionPageSchema = page_schema(SessionSchema, "SessionPageSchema")
ReadingPageSchema = page_schema(ReadingSchema, "ReadingPageSchema")
RejectionPageSchema = page_schema(RejectionSchema, "RejectionPageSchema")
