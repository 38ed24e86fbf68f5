"""Read-only questions about campaigns: capacity, bookings and visits a user may see, recall lists,
coverage statistics, backlog, next visit. All organisation scoping is decided here, once."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from lims.core.auth import sees_all_organisations
from lims.extensions import db
from lims.modules.campaigns.models import (
    Booking,
    BookingInstrument,
    Campaign,
    CapacityDay,
    Crew,
    Site,
    Visit,
    VisitInstrument,
)
from lims.modules.equipment.models import STATUSES, Instrument, InstrumentType
from lims.modules.equipment.queries import status_condition
from lims.modules.jobs.models import Job
from lims.modules.organisations.models import Organisation

if TYPE_CHECKING:
    from sqlalchemy.orm import InstrumentedAttribute

COVERAGE_GROUPS = ("organisation", "district", "type")
PUBLIC_GROUPS = ("district", "type")


class Viewer(Protocol):
    """Who reads: a :class:`~lims.modules.users.models.User`, or a stand-in with a role and an organisation
    (the signed calendar feed reads as a customer of one organisation)."""

    @property
    def role(self) -> str: ...

    @property
    def organisation_id(self) -> int: ...


def capacity_between(start: dt.date, end: dt.date) -> Sequence[CapacityDay]:
    """Bench capacity rows from ``start`` to ``end`` (inclusive), by day then kind."""
    return db.session.execute(sa.select(CapacityDay).where(CapacityDay.day >= start, CapacityDay.day <= end)
                              .order_by(CapacityDay.day, CapacityDay.kind)).scalars().all()


def bookings_for(user: Viewer, booked_for: dt.date | None = None,
                 state: str | None = None) -> sa.Select[Booking]:
    """A select of the bookings ``user`` may see (customers: their organisation's), newest day first."""
    q = sa.select(Booking).order_by(Booking.day.desc(), Booking.id.desc())
    if not sees_all_organisations(user):
        q = q.where(Booking.organisation_id == user.organisation_id)
    if booked_for is not None:
        q = q.where(Booking.day == booked_for)
    if state is not None:
        q = q.where(Booking.state == state)
    return q


def visits_for(user: Viewer, campaign_id: int | None = None, start: dt.date | None = None, end: dt.date | None = None,
               include_cancelled: bool = False) -> sa.Select[Visit]:
    """A select of the visits ``user`` may see (customers: the visits to their own site)."""
    q = sa.select(Visit).join(Site, Visit.site_id == Site.id).order_by(Visit.day, Visit.crew_id)
    if not sees_all_organisations(user):
        q = q.where(Site.organisation_id == user.organisation_id)
    if campaign_id is not None:
        q = q.where(Visit.campaign_id == campaign_id)
    if start is not None:
        q = q.where(Visit.day >= start)
    if end is not None:
        q = q.where(Visit.day <= end)
    if not include_cancelled:
        q = q.where(Visit.state != "cancelled")
    return q


def next_visit(organisation_id: int, day: dt.date) -> Visit | None:
    """The next planned visit to ``organisation_id``'s site on or after ``day`` (or None)."""
    return db.session.execute(
        sa.select(Visit).join(Site, Visit.site_id == Site.id)
        .where(Site.organisation_id == organisation_id, Visit.state == "planned", Visit.day >= day)
        .order_by(Visit.day, Visit.id).limit(1)).scalars().first()


def scheduled_days(instrument_ids: Sequence[int]) -> dict[int, dt.date]:
    """``{instrument id: day}`` of each instrument's planned visit or live booking."""

    if not instrument_ids:
        return {}
    out = dict(db.session.execute(
        sa.select(VisitInstrument.instrument_id, Visit.day).join(Visit, Visit.id == VisitInstrument.visit_id)
        .where(Visit.state == "planned", VisitInstrument.instrument_id.in_(instrument_ids))).all())
    out.update(db.session.execute(
        sa.select(BookingInstrument.instrument_id, Booking.day)
        .join(Booking, Booking.id == BookingInstrument.booking_id)
        .where(Booking.state != "cancelled", BookingInstrument.instrument_id.in_(instrument_ids))).all())
    return out


def recall(organisation_id: int, day: dt.date, within_days: int) -> list[dict[str, Any]]:
    """The recall list of an organisation: instruments overdue (or failed, never verified) and those due
    within ``within_days`` of ``day``, soonest first, each with its scheduled visit or booking day."""

    soon = day + dt.timedelta(days=within_days)
    rows = db.session.execute(
        sa.select(Instrument).where(
            Instrument.owner_id == organisation_id, Instrument.is_deleted.is_(False),
            Instrument.is_withdrawn.is_(False),
            sa.or_(Instrument.last_result.is_(None), Instrument.last_result == "fail",
                   Instrument.verified_until.is_(None), Instrument.verified_until <= soon))
        .order_by(Instrument.verified_until.nulls_first(), Instrument.id)).unique().scalars().all()
    planned = scheduled_days([r.id for r in rows])
    out = []
    for inst in rows:
        overdue = (inst.last_result != "pass" or inst.verified_until is None or inst.verified_until < day)
        out.append({"instrument": inst, "due": inst.verified_until if inst.last_result == "pass" else None,
                    "state": "overdue" if overdue else "due", "scheduled": planned.get(inst.id)})
    return out


def _verified_in(start, end):
    """Per instrument: verified (a decided job performed in the period) and whether the last one passed."""

    return (sa.select(Job.instrument_id.label("instrument_id"),
                      sa.func.max(sa.case((Job.result == "pass", 1), else_=0)).label("passed"))
            .where(Job.result.is_not(None), Job.performed_on >= start, Job.performed_on <= end,
                   Job.state.in_(("approved", "returned")))
            .group_by(Job.instrument_id).subquery())


def coverage(start: dt.date, end: dt.date, group_by: str, organisation_id: int | None = None,
             org_kind: str | None = None) -> list[dict[str, Any]]:
    """Coverage for a period, one row per group: instruments under control, verified in the period,
    coverage %, pass rate. ``group_by`` is organisation (market/hospital), district or type."""

    verified = _verified_in(start, end)
    key_cols: tuple[InstrumentedAttribute[Any], ...]
    if group_by == "organisation":
        key_cols = (Organisation.id, Organisation.name, Organisation.kind)
    elif group_by == "district":
        key_cols = (Organisation.district,)
    else:
        key_cols = (InstrumentType.code, InstrumentType.name_en, InstrumentType.name_zh)
    q = (sa.select(*key_cols, sa.func.count(Instrument.id), sa.func.count(verified.c.instrument_id),
                   sa.func.coalesce(sa.func.sum(verified.c.passed), 0))
         .select_from(Instrument)
         .join(Organisation, Organisation.id == Instrument.owner_id)
         .join(InstrumentType, InstrumentType.id == Instrument.type_id)
         .outerjoin(verified, verified.c.instrument_id == Instrument.id)
         .where(Instrument.is_deleted.is_(False), Instrument.is_withdrawn.is_(False),
                Organisation.kind.in_(("market", "hospital")))
         .group_by(*key_cols).order_by(*key_cols))
    if organisation_id is not None:
        q = q.where(Instrument.owner_id == organisation_id)
    if org_kind is not None:
        q = q.where(Organisation.kind == org_kind)
    out = []
    for row in db.session.execute(q).all():
        keys, (total, done, passed) = row[:len(key_cols)], row[len(key_cols):]
        out.append({"key": keys, "under_control": total, "verified": done, "passed": int(passed),
                    "coverage": round(100.0 * done / total, 1) if total else 0.0,
                    "pass_rate": round(100.0 * int(passed) / done, 1) if done else None})
    return out


def status_counts(organisation_id: int, day: dt.date, due_soon_days: int) -> dict[str, int]:
    """``{status: count}`` of an organisation's instruments."""

    base = sa.select(sa.func.count(Instrument.id)).where(Instrument.owner_id == organisation_id,
                                                         Instrument.is_deleted.is_(False))
    # COUNT always gives a row: never None
    return {s: db.session.execute(base.where(status_condition(s, day, due_soon_days))).scalar()  # type: ignore[misc]
            for s in STATUSES}


def backlog(day: dt.date, within_days: int) -> list[tuple[Any, ...]]:
    """Instruments due (within ``within_days``) or overdue that have no open job and no planned visit,
    counted per type: ``[(type code, name_en, name_zh, overdue, due)]``."""

    soon = day + dt.timedelta(days=within_days)
    overdue = sa.or_(Instrument.last_result.is_(None), Instrument.last_result == "fail",
                     Instrument.verified_until.is_(None), Instrument.verified_until < day)
    q = (sa.select(InstrumentType.code, InstrumentType.name_en, InstrumentType.name_zh,
                   sa.func.sum(sa.case((overdue, 1), else_=0)), sa.func.sum(sa.case((overdue, 0), else_=1)))
         .join(InstrumentType, InstrumentType.id == Instrument.type_id)
         .where(Instrument.is_deleted.is_(False), Instrument.is_withdrawn.is_(False),
                sa.or_(overdue, Instrument.verified_until <= soon),
                ~Instrument.id.in_(sa.select(Job.instrument_id).where(Job.state != "returned")))
         .group_by(InstrumentType.code, InstrumentType.name_en, InstrumentType.name_zh)
         .order_by(InstrumentType.code))
    return [tuple(r) for r in db.session.execute(q).all()]


def current_campaign(day: dt.date) -> Campaign | None:
    """The campaign to show on ``day``: a planned one running now, else the next planned one, else any
    running now, else the latest (or None)."""
    running = sa.and_(Campaign.start_on <= day, Campaign.end_on >= day)
    for condition, order in ((sa.and_(running, Campaign.state == "planned"), Campaign.start_on.desc()),
                             (sa.and_(Campaign.start_on > day, Campaign.state == "planned"), Campaign.start_on),
                             (running, Campaign.start_on.desc()),
                             (sa.true(), Campaign.start_on.desc())):
        found = db.session.execute(sa.select(Campaign).where(condition).order_by(order, Campaign.id.desc())
                                   .limit(1)).scalars().first()
        if found is not None:
            return found
    return None


def period_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The coverage period around ``day``: the current campaign's, else the calendar year."""
    campaign = current_campaign(day)
    if campaign is not None:
        return campaign.start_on, campaign.end_on
    return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)


def calendar(campaign_id: int, user: Viewer) -> tuple[list[dt.date], list[Crew], dict[tuple[dt.date, int], Visit]]:
    """``(days, crews, cells)`` of a campaign's plan: ``cells[(day, crew id)] = visit``."""
    visits = db.session.execute(visits_for(user, campaign_id=campaign_id)).unique().scalars().all()
    days = sorted({v.day for v in visits})
    crews = sorted({v.crew for v in visits}, key=lambda c: c.name)
    return days, crews, {(v.day, v.crew_id): v for v in visits}
