"""Queries over the register: derived status as SQL, scoped lists."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lims.core.auth import sees_all_organisations
from lims.core.db import contains
from lims.extensions import db
from lims.modules.equipment.models import Bench, Instrument, InstrumentType
from lims.modules.organisations.models import Organisation

if TYPE_CHECKING:
    from sqlalchemy.sql import ColumnElement, Select

    from lims.modules.users.models import User


def today() -> dt.date:
    """The lab's current date (server local date)."""
    return dt.date.today()


def status_of(instrument: Instrument) -> str:
    """Return the derived status of ``instrument`` as of today."""
    return instrument.status(today(), current_app.config["DUE_SOON_DAYS"])


def active_benches() -> Select[Bench]:
    """A select of the benches in use (not deleted), by name: the one definition for the API, pages and CLI."""
    return select(Bench).where(Bench.is_deleted.is_(False)).order_by(Bench.name)


def status_condition(status: str, day: dt.date, due_soon_days: int) -> ColumnElement[bool]:
    """A SQL condition equivalent to :meth:`Instrument.status` == ``status``."""
    soon = day + dt.timedelta(days=due_soon_days)
    active = Instrument.is_withdrawn.is_(False)
    passed = sa.and_(active, Instrument.last_result == "pass")
    return {
        "withdrawn": Instrument.is_withdrawn.is_(True),
        "never_verified": sa.and_(active, Instrument.last_result.is_(None)),
        "failed": sa.and_(active, Instrument.last_result == "fail"),
        "overdue": sa.and_(passed, sa.or_(Instrument.verified_until.is_(None), Instrument.verified_until < day)),
        "due_soon": sa.and_(passed, Instrument.verified_until >= day, Instrument.verified_until <= soon),
        "verified": sa.and_(passed, Instrument.verified_until > soon),
    }[status]


def instruments_for(user: User, args: Mapping[str, Any]) -> Select[Instrument]:
    """Return a select of the instruments ``user`` may see, filtered by ``args``."""
    q = select(Instrument).where(Instrument.is_deleted.is_(False))
    if not sees_all_organisations(user):
        q = q.where(Instrument.owner_id == user.organisation_id)
    if args.get("owner_id"):
        q = q.where(Instrument.owner_id == args["owner_id"])
    if args.get("type_code"):
        q = q.join(InstrumentType, Instrument.type_id == InstrumentType.id).where(
            InstrumentType.code == args["type_code"])
    if args.get("status"):
        q = q.where(status_condition(args["status"], today(), current_app.config["DUE_SOON_DAYS"]))
    if args.get("due_before"):
        q = q.where(Instrument.verified_until < args["due_before"])
    if args.get("q"):
        q = q.where(contains(Instrument.serial_number, args["q"]))
        few = _few_matching_ids(q)
        if few is not None:  # the listing is exactly these rows, and its count is known
            q = select(Instrument).where(Instrument.id.in_(few)).execution_options(lims_total=len(few))
    return q.order_by(Instrument.id)


def listing_options() -> tuple[Any, ...]:
    """Loader options for a page of the register: the instrument with its type's and owner's names only.

    The type's JSON rules and the owner's address are not needed on a listing; joined into every
    row they were most of the bytes fetched and decoded.
    """


    return (joinedload(Instrument.type).load_only(InstrumentType.code, InstrumentType.category,
                                                  InstrumentType.name_zh, InstrumentType.name_en),
            joinedload(Instrument.owner).load_only(Organisation.name, Organisation.kind))


#: a serial-number search matching at most this many instruments is narrowed to their ids first
SEARCH_ID_LIMIT = 1000


def _few_matching_ids(listing: Select[tuple[Instrument]]) -> list[int] | None:
    """On PostgreSQL, the ids of a substring search's listing when they are few (None when many, or elsewhere).

    A page of a search is ``ORDER BY id LIMIT 51``. For a rare substring the planner may still
    walk the primary key in order and test every row (its estimate of a ``LIKE '%…%'`` is rough),
    which reads most of the table; asking the trigram index for the ids first (a bitmap scan,
    about a millisecond) and then reading those rows by id keeps a search fast whatever the
    estimate, and gives the exact count without another query. A common substring (more than
    :data:`SEARCH_ID_LIMIT` matches) is left to the plain query, where walking in id order finds a
    page quickly.
    """

    if db.session.get_bind().dialect.name != "postgresql":
        return None
    ids = db.session.execute(listing.with_only_columns(Instrument.id).order_by(None)
                             .limit(SEARCH_ID_LIMIT + 1)).scalars().all()
    return list(ids) if len(ids) <= SEARCH_ID_LIMIT else None
