"""Campaign planning and capacity: crews, sites, minutes per type, holidays, campaigns, visits,
bench capacity days, bookings into capacity and the log of recall notices."""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.core.db import UTCDateTime, now_utc
from lims.extensions import db

CAMPAIGN_STATES = ("draft", "solving", "planned", "closed")
VISIT_STATES = ("planned", "cancelled", "done")
BOOKING_STATES = ("held", "confirmed", "proposed", "cancelled")
# capacity is kept per day and per instrument category (the bench that verifies it)
CAPACITY_KINDS = ("scale", "pressure", "thermometer", "electrical", "other")


class Crew(db.Model):
    """A field team: who is in it, the instrument types it verifies, its minutes a day, its days off."""

    __tablename__ = "crews"
    __audited__ = True
    __table_args__ = (sa.CheckConstraint("minutes_per_day >= 0", name="minutes_per_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False, unique=True)
    members: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    type_codes: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    minutes_per_day: Mapped[int] = mapped_column(nullable=False, default=420)
    days_off: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    is_active: Mapped[bool] = mapped_column(nullable=False, default=True, server_default=sa.true())
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class Site(db.Model):
    """The campaign view of a market or a hospital: setup minutes, closed days, crews that fit at once."""

    __tablename__ = "sites"
    __audited__ = True
    __table_args__ = (sa.CheckConstraint("setup_minutes >= 0", name="setup_minutes"),
                      sa.CheckConstraint("max_crews_per_day >= 1", name="max_crews_per_day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), nullable=False, unique=True)
    setup_minutes: Mapped[int] = mapped_column(nullable=False, default=30)
    max_crews_per_day: Mapped[int] = mapped_column(nullable=False, default=1)
    closed_days: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    organisation = relationship("Organisation", lazy="joined")
    __mapper_args__ = {"version_id_col": version}


class TypeMinutes(db.Model):
    """Minutes one instrument of a type takes on site or at the bench; a type without a row is not verified."""

    __tablename__ = "type_minutes"
    __audited__ = True
    __table_args__ = (sa.CheckConstraint("minutes >= 0", name="minutes"),)

    type_id: Mapped[int] = mapped_column(sa.ForeignKey("instrument_types.id"), primary_key=True)
    minutes: Mapped[int] = mapped_column(nullable=False)

    type = relationship("InstrumentType", lazy="joined")


class Holiday(db.Model):
    """A public holiday: nobody works, no capacity."""

    __tablename__ = "holidays"
    __audited__ = True

    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")


class Campaign(db.Model):
    """A verification campaign over a period, planned into visits."""

    __tablename__ = "campaigns"
    __audited__ = True
    __table_args__ = (sa.CheckConstraint(f"state IN {CAMPAIGN_STATES!r}", name="state"),
                      sa.CheckConstraint("end_on >= start_on", name="period"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False, unique=True)
    start_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    end_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    workdays: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=lambda: [1, 2, 3, 4, 5])
    target_percent: Mapped[int] = mapped_column(nullable=False, default=85, server_default="85")
    visit_days: Mapped[float] = mapped_column(sa.Float, nullable=False, default=1.0, server_default="1.0")
    unplanned_penalty_days: Mapped[int] = mapped_column(nullable=False, default=60, server_default="60")
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="draft", server_default="draft")
    progress: Mapped[float] = mapped_column(sa.Float, nullable=False, default=0.0, server_default="0")
    progress_message: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="", server_default="")
    figures: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}


class Visit(db.Model):
    """A crew at a site on a day, verifying a list of instruments (each with its job)."""

    __tablename__ = "visits"
    __audited__ = True
    __table_args__ = (sa.CheckConstraint(f"state IN {VISIT_STATES!r}", name="state"),
                      sa.Index("ix_visits_day_crew", "day", "crew_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), nullable=False, index=True)
    crew_id: Mapped[int] = mapped_column(sa.ForeignKey("crews.id"), nullable=False)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"), nullable=False, index=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="planned", server_default="planned")
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    crew = relationship("Crew", lazy="joined")
    site = relationship("Site", lazy="joined")
    items = relationship("VisitInstrument", lazy="selectin", order_by="VisitInstrument.instrument_id",
                         cascade="all, delete-orphan")
    __mapper_args__ = {"version_id_col": version}


class VisitInstrument(db.Model):
    """One instrument of a visit and the job booked for it."""

    __tablename__ = "visit_instruments"
    __audited__ = True

    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instruments.id"), primary_key=True, index=True)
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True)

    instrument = relationship("Instrument", lazy="joined")
    job = relationship("Job")


class CapacityDay(db.Model):
    """The lab's bench minutes on one day for one instrument category; ``remaining_minutes`` is what
    bookings have not yet taken. The CHECK makes overbooking impossible even for a buggy caller."""

    __tablename__ = "capacity_days"
    __audited__ = True
    __table_args__ = (sa.UniqueConstraint("day", "kind", name="uq_capacity_days_day_kind"),
                      sa.CheckConstraint(f"kind IN {CAPACITY_KINDS!r}", name="kind"),
                      sa.CheckConstraint("remaining_minutes >= 0", name="remaining_not_negative"),
                      sa.CheckConstraint("remaining_minutes <= total_minutes", name="remaining_le_total"))

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    total_minutes: Mapped[int] = mapped_column(nullable=False)
    remaining_minutes: Mapped[int] = mapped_column(nullable=False)


class Booking(db.Model):
    """A customer's batch booked into a bench day: it holds capacity until cancelled."""

    __tablename__ = "bookings"
    __audited__ = True
    __table_args__ = (sa.CheckConstraint(f"state IN {BOOKING_STATES!r}", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), nullable=False, index=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, nullable=False, index=True)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="held", server_default="held")
    proposed_day: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    minutes: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    notes: Mapped[str] = mapped_column(sa.Text, nullable=False, default="", server_default="")
    booked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    booked_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    organisation = relationship("Organisation", lazy="joined")
    items = relationship("BookingInstrument", lazy="selectin", order_by="BookingInstrument.instrument_id",
                         cascade="all, delete-orphan")
    __mapper_args__ = {"version_id_col": version}


class BookingInstrument(db.Model):
    """One instrument of a booking and the job booked for it."""

    __tablename__ = "booking_instruments"
    __audited__ = True

    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instruments.id"), primary_key=True, index=True)
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True)

    instrument = relationship("Instrument", lazy="joined")
    job = relationship("Job")


class Notice(db.Model):
    """The log of every recall notice generated (page, CSV or calendar feed)."""

    __tablename__ = "notices"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), nullable=False, index=True)
    channel: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    within_days: Mapped[int] = mapped_column(nullable=False)
    due_count: Mapped[int] = mapped_column(nullable=False)
    overdue_count: Mapped[int] = mapped_column(nullable=False)
    generated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    generated_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
