"""Load and dump schemas of the issuance API."""
from typing import Any

from marshmallow import fields, post_load, validate

from lims.core.schemas import Bool, DumpSchema, LoadSchema, PageArgsSchema, page_schema
from lims.modules.issuance.models import CERT_KINDS, STATUSES

_DEC: dict[str, Any] = {"validate": validate.Length(min=1, max=40)}
_ID = validate.Range(min=1, max=2**31 - 1)


def _drop_none(data):
    return {k: v for k, v in data.items() if v is not None}


class ResultLineSchema(LoadSchema):
    """One measured point, values as decimal strings (as printed)."""

    item = fields.String(required=True, validate=validate.Length(min=1, max=100))
    item_en = fields.String(required=True, validate=validate.Length(min=1, max=100))
    measured = fields.String(required=True, **_DEC)
    unit = fields.String(required=True, validate=validate.Length(min=1, max=20))
    nominal = fields.String(**_DEC)
    error = fields.String(**_DEC)
    mpe = fields.String(**_DEC)
    mpe_lower = fields.String(**_DEC)
    uncertainty = fields.String(**_DEC)
    k = fields.String(**_DEC)
    coverage_probability = fields.String(**_DEC)
    conformity = fields.String(validate=validate.OneOf(["pass", "fail", "conditionalPass", "conditionalFail"]))

    @post_load
    def _clean(self, data, **kwargs):
        return _drop_none(data)


class ConditionSchema(LoadSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=100))
    value = fields.String(required=True, **_DEC)
    unit = fields.String(required=True, validate=validate.Length(min=1, max=20))


_RESULTS: dict[str, Any] = {"validate": validate.Length(min=1, max=200)}
_REMARKS = fields.List(fields.String(validate=validate.Length(min=1, max=1000)), validate=validate.Length(max=20))


class IssueSchema(LoadSchema):
    """Options of an issue; everything else comes from the job, the instrument and the bench."""

    results = fields.List(fields.Nested(ResultLineSchema), **_RESULTS)
    environment = fields.List(fields.Nested(ConditionSchema), validate=validate.Length(max=20))
    remarks = _REMARKS
    location = fields.String(validate=validate.Length(min=1, max=200))
    on_site = Bool()
    due_date = fields.Date(metadata={"description": "calibration only: a recalibration date agreed with the "
                                                    "customer (ISO/IEC 17025 7.8.4.3)"})
    statement_of_conformity = Bool(metadata={"description": "calibration only: state pass/fail"})
    decision_rule = fields.String(validate=validate.OneOf(["simple", "guarded"]),
                                  metadata={"description": "calibration with a statement of conformity: "
                                                           "ILAC-G8:09/2019 4.2.1 simple or 4.2.2 guarded "
                                                           "acceptance (w = r×U)"})
    guard_factor = fields.Float(allow_nan=False, validate=validate.Range(min=0, max=3),
                                  metadata={"description": "r in w = r×U for guarded acceptance (default 1)"})


class RevokeSchema(LoadSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ReplaceSchema(LoadSchema):
    """A correction: the reason, and the parts of the record that change."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    amendment = fields.String(load_default="amended", validate=validate.OneOf(["amended", "substituted"]))
    results = fields.List(fields.Nested(ResultLineSchema), **_RESULTS)
    environment = fields.List(fields.Nested(ConditionSchema), validate=validate.Length(max=20))
    remarks = _REMARKS
    location = fields.String(validate=validate.Length(min=1, max=200))


class CertificateQuerySchema(PageArgsSchema):
    instrument_id = fields.Integer(validate=_ID)
    status = fields.String(validate=validate.OneOf(STATUSES))


MAX_STICKERS = 210  # certificates on one sticker request (ten A4 sheets of 3 × 7)


class StickerQuerySchema(LoadSchema):
    ids = fields.String(required=True, validate=validate.Regexp(
        rf"^[0-9]{{1,9}}(,[0-9]{{1,9}}){{0,{MAX_STICKERS - 1}}}$",
        error=f"must be comma-separated certificate ids (at most {MAX_STICKERS})"),
        metadata={"description": "comma-separated certificate ids, e.g. 1,2,3"})

    @post_load
    def _split(self, data, **kwargs):
        return {"ids": [int(p) for p in data["ids"].split(",")]}


class CertificateSchema(DumpSchema):
    id = fields.Integer()
    number = fields.String()
    kind = fields.String(metadata={"enum": list(CERT_KINDS)})
    job_id = fields.Integer()
    instrument_id = fields.Integer()
    revision = fields.Integer()
    replaces_id = fields.Integer(allow_none=True)
    replaces_number = fields.String(allow_none=True)
    replaced_by_id = fields.Integer(allow_none=True)
    replaced_by_number = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(STATUSES)})
    message_zh = fields.String()
    message_en = fields.String()
    result = fields.String(allow_none=True)
    performed_on = fields.Date()
    due_date = fields.Date(allow_none=True)
    issued_dt = fields.DateTime()
    issued_by_id = fields.Integer()
    key_id = fields.String()
    url = fields.String()
    content_hash = fields.String()
    pdf_sha256 = fields.String()
    dcc_sha256 = fields.String()
    revoked_dt = fields.DateTime(allow_none=True)
    revoked_by_id = fields.Integer(allow_none=True)
    revocation_reason = fields.String(allow_none=True)
    replaced_dt = fields.DateTime(allow_none=True)
    version = fields.Integer()


CertificatePageSchema = page_schema(CertificateSchema, "CertificatePageSchema")
