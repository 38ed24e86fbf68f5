"""Marshmallow base classes: strict about unknown keys, strip whitespace, paginated envelopes."""
import marshmallow as ma
from marshmallow import fields, pre_load, validate


class LoadSchema(ma.Schema):
    """Base for input schemas: unknown keys are an error; strings are stripped."""

    class Meta:
        unknown = ma.RAISE

    @pre_load
    def _strip(self, data, **kwargs):
        if isinstance(data, dict):
            return {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items()}
        return data


class DumpSchema(ma.Schema):
    """Base for output schemas (explicit fields only)."""


class PageArgsSchema(LoadSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class VersionSchema(LoadSchema):
    """Input carrying the version the client last read (optimistic concurrency)."""

    version = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "the `version` of the record as last read; "
                                                      "a stale value gets 409"})


def page_schema(item_schema, name):
    """Return a paginated envelope schema class for ``item_schema``."""
    return type(name, (DumpSchema,), {
        "items": fields.List(fields.Nested(item_schema), required=True),
        "total": fields.Integer(required=True),
        "page": fields.Integer(required=True),
        "per_page": fields.Integer(required=True),
    })


def paginate(query_select, args):
    """Run ``query_select`` (a SQLAlchemy select) for one page and return the envelope dict."""
    from sqlalchemy import func, select

    from lims.extensions import db

    total = db.session.execute(select(func.count()).select_from(query_select.order_by(None).subquery())).scalar()
    page, per_page = args["page"], args["per_page"]
    items = db.session.execute(query_select.limit(per_page).offset((page - 1) * per_page)).unique().scalars().all()
    return {"items": items, "total": total, "page": page, "per_page": per_page}


Str = fields.String
