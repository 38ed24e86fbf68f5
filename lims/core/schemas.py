"""Marshmallow base classes: strict about unknown keys, strip whitespace, paginated envelopes."""
import marshmallow as ma
from marshmallow import fields, pre_load, validate
from sqlalchemy import func, select

from lims.extensions import db


class LoadSchema(ma.Schema):
    """Base for input schemas: unknown keys are an error; strings are stripped."""

    class Meta:
        unknown = ma.RAISE

    @pre_load
    def _strip(self, data, **kwargs):
        if isinstance(data, dict):
            return {k: (v.strip() if isinstance(v, str) and not self._too_long(k, v) else v)
                    for k, v in data.items()}
        return data

    def _too_long(self, key, value):
        """True when ``value`` is over its field's published maxLength before stripping.

        The OpenAPI document states maxLength of the text as sent; a value over it is refused
        (422) even if trimming blanks would bring it under, so the schema and the API agree.
        """
        field = self._by_data_key().get(key)
        if field is None:
            return False
        for v in field.validators:
            if isinstance(v, validate.Length) and v.max is not None and len(value) > v.max:
                return True
        return False

    def _by_data_key(self):
        cache = self.__dict__.get("_data_key_fields")
        if cache is None:
            cache = {(f.data_key or name): f for name, f in self.load_fields.items()}
            self.__dict__["_data_key_fields"] = cache
        return cache


class Bool(fields.Boolean):
    """A JSON boolean in a request body: only ``true`` and ``false``.

    marshmallow's Boolean also takes 0, 1, "yes", "on"…; a body that sends those is malformed
    for our published schema (``type: boolean``), so it gets 422 rather than a guess.
    Query strings keep ``fields.Boolean`` (they can only carry text).
    """

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


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
    total = db.session.execute(select(func.count()).select_from(query_select.order_by(None).subquery())).scalar()
    page, per_page = args["page"], args["per_page"]
    items = db.session.execute(query_select.limit(per_page).offset((page - 1) * per_page)).unique().scalars().all()
    return {"items": items, "total": total, "page": page, "per_page": per_page}


Str = fields.String
