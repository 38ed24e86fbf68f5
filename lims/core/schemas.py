"""Marshmallow base classes: strict about unknown keys, strip whitespace, paginated envelopes."""
import json
import time
from typing import Any

import marshmallow as ma
from flask import request, url_for
from marshmallow import fields, pre_load, validate
from sqlalchemy import Select, TextClause, func, select, text
from sqlalchemy.sql import operators

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

    def _too_long(self, key, value) -> bool:
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
    after = fields.Integer(validate=validate.Range(min=0, max=2**63 - 1), metadata={
        "description": "keyset cursor: the id after which the page starts (follow the envelope's `next` link); "
                       "overrides `page`; such pages are not counted unless `count=exact`"})
    count = fields.String(validate=validate.OneOf(["exact", "none"]), metadata={
        "description": "`exact` counts the matching rows on every page; `none` never counts; by default the "
                       "first page is counted exactly and cursor pages carry an estimate at most"})


class VersionSchema(LoadSchema):
    """Input carrying the version the client last read (optimistic concurrency)."""

    version = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "the `version` of the record as last read; "
                                                      "a stale value gets 409"})


def page_schema(item_schema: type[ma.Schema] | ma.Schema, name: str) -> type[ma.Schema]:
    """Return a paginated envelope schema class for ``item_schema``."""
    return type(name, (DumpSchema,), {
        "items": fields.List(fields.Nested(item_schema), required=True),
        "total": fields.Integer(required=True, allow_none=True, metadata={
            "description": "exact number of matching rows, or null when this page was not counted"}),
        "total_is_exact": fields.Boolean(metadata={"description": "false: `total` is absent or an estimate"}),
        "total_estimate": fields.Integer(allow_none=True, metadata={
            "description": "the database planner's estimate (PostgreSQL) when no exact count was made"}),
        "page": fields.Integer(required=True, allow_none=True),
        "per_page": fields.Integer(required=True),
        "next": fields.String(allow_none=True, metadata={"description": "URL of the next page (keyset), or null"}),
    })


def _keyset_column(query_select):
    """The (column, descending) the select is ordered by first, when it is a unique ``id``; else None."""
    clauses = list(query_select._order_by_clauses)
    if not clauses:
        return None
    first = clauses[0]
    desc = getattr(first, "modifier", None) is operators.desc_op
    column = getattr(first, "element", first) if getattr(first, "modifier", None) else first
    if getattr(column, "key", None) != "id":
        return None
    return column, desc


def _next_url(after):
    args = {k: v for k, v in request.args.items() if k not in ("page", "after")}
    return url_for(request.endpoint, **(request.view_args or {}), **args, after=after)


def _estimate(rows_select):
    """The PostgreSQL planner's row estimate for ``rows_select`` (None elsewhere)."""

    if db.engine.dialect.name != "postgresql":
        return None
    compiled = rows_select.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    try:
        plan = db.session.execute(sa_text("EXPLAIN (FORMAT JSON) " + str(compiled))).scalar()
    except Exception:  # an estimate is a nicety; never fail a listing for it
        return None
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def sa_text(sql: str) -> TextClause:
    return text(sql)


COUNT_CACHE_SECONDS = 30
_count_cache: dict[tuple, tuple[float, int]] = {}


def _cached_count(count_select):
    """An exact count reused for :data:`COUNT_CACHE_SECONDS` by later numbered pages of the same listing."""
    return _cached(count_select, lambda: db.session.execute(count_select).scalar(), "exact")


def _cached(count_select, compute, kind="estimate"):
    """``compute()`` for the listing of ``count_select``, reused for :data:`COUNT_CACHE_SECONDS`.

    Keyed by the listing's filters (not its page or cursor), so walking a listing page by page
    asks the database once; an estimate is labelled as such (``total_is_exact`` false).
    """
    compiled = count_select.compile(dialect=db.engine.dialect)
    key = (kind, str(db.engine.url), str(compiled),
           tuple(sorted((k, str(v)) for k, v in compiled.params.items())))
    hit = _count_cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < COUNT_CACHE_SECONDS:
        return hit[1]
    value = compute()
    if len(_count_cache) > 1000:
        _count_cache.clear()
    _count_cache[key] = (now, value)
    return value


def paginate(query_select: Select[Any], args: dict[str, Any]) -> dict[str, Any]:
    """Run ``query_select`` (a SQLAlchemy select) for one page and return the envelope dict.

    Pages ordered by ``id`` have a ``next`` link with a keyset cursor (``after=<last id>``):
    deep pages cost as little as the first. The matching rows are counted exactly on the first
    page (page 1 without a cursor) or with ``count=exact``; later numbered pages reuse that count
    for 30 s; cursor pages carry ``total: null`` and, on PostgreSQL, the planner's estimate
    (``total_estimate``), labelled by ``total_is_exact``. A select built from ids the caller has
    already counted says so with ``execution_options(lims_total=n)`` and is not counted again.
    """
    per_page, after = args["per_page"], args.get("after")
    keyset = _keyset_column(query_select)
    counted = query_select.order_by(None)
    page = args["page"] if after is None else None
    if after is not None and keyset is not None:
        column, desc = keyset
        q = query_select.where(column < after if desc else column > after).limit(per_page + 1)
    else:
        q = query_select.limit(per_page + 1).offset((args["page"] - 1) * per_page)
    rows = db.session.execute(q).unique().scalars().all()
    items, more = rows[:per_page], len(rows) > per_page
    mode = args.get("count")
    total, estimate = None, None
    count_select = select(func.count()).select_from(counted.subquery())
    known = query_select.get_execution_options().get("lims_total")
    if known is not None:  # the query was built from a list of ids it already counted
        total = known
    elif mode == "exact" or (mode is None and after is None and args["page"] == 1):
        total = db.session.execute(count_select).scalar()
    elif mode is None and after is None:
        total = _cached_count(count_select)
    elif mode is None:
        estimate = _cached(count_select, lambda: _estimate(counted))
    nxt = None
    if more and keyset is not None:
        nxt = _next_url(items[-1].id)
    return {"items": items, "total": total, "total_is_exact": total is not None, "total_estimate": estimate,
            "page": page, "per_page": per_page, "next": nxt}


Str = fields.String
