"""The register: instrument types, instruments under legal control, the lab's standards and benches."""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.core.db import UTCDateTime, now_utc
from lims.extensions import db

CATEGORIES = ("scale", "pressure", "thermometer", "electrical", "other")
RESULTS = ("pass", "fail")
STANDARD_KINDS = ("weight_set", "pressure", "thermometer", "electrical", "other")
STATUSES = ("never_verified", "verified", "due_soon", "overdue", "failed", "withdrawn")


class InstrumentType(db.Model):
    """A kind of instrument and the regulation it is verified under (data, not code)."""

    __tablename__ = "instrument_types"
    __audited__ = True
    __table_args__ = (sa.CheckConstraint(f"category IN {CATEGORIES!r}", name="category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    category: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    name_zh: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    name_en: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    regulation: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    is_mandatory: Mapped[bool] = mapped_column(nullable=False, default=True)
    period_months: Mapped[int | None] = mapped_column(nullable=True)
    accuracy_classes: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    characteristics: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    notes: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<InstrumentType {self.id} {self.code}>"


class Instrument(db.Model):
    """One item under legal control, owned by a market or a hospital."""

    __tablename__ = "instruments"
    __audited__ = True
    __table_args__ = (
        sa.UniqueConstraint("manufacturer", "model", "serial_number", name="uq_instruments_identity"),
        # serial numbers compare case-insensitively within a make and model
        sa.Index("uq_instruments_identity_ci", "manufacturer", "model", sa.text("lower(serial_number)"), unique=True),
        sa.CheckConstraint("last_result IS NULL OR last_result IN ('pass', 'fail')", name="last_result"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(sa.ForeignKey("instrument_types.id"), nullable=False, index=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), nullable=False, index=True)
    location: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    manufacturer: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    model: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    serial_number: Mapped[str] = mapped_column(sa.String(120), nullable=False, index=True)
    characteristics: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    is_withdrawn: Mapped[bool] = mapped_column(nullable=False, default=False)
    is_deleted: Mapped[bool] = mapped_column(nullable=False, default=False)
    last_verified_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    verified_until: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True, index=True)
    last_result: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    type = relationship("InstrumentType", lazy="joined")
    owner = relationship("Organisation", lazy="joined")
    __mapper_args__ = {"version_id_col": version}

    def status(self, today: dt.date, due_soon_days: int) -> str:
        """Return the status derived from the verification history as of ``today``."""
        if self.is_withdrawn:
            return "withdrawn"
        if self.last_result is None:
            return "never_verified"
        if self.last_result == "fail":
            return "failed"
        if self.verified_until is None or self.verified_until < today:
            return "overdue"
        if self.verified_until <= today + dt.timedelta(days=due_soon_days):
            return "due_soon"
        return "verified"

    def __repr__(self) -> str:
        return f"<Instrument {self.id} {self.manufacturer} {self.model} #{self.serial_number}>"


bench_standards = sa.Table(
    "bench_standards",
    db.metadata,
    sa.Column("bench_id", sa.ForeignKey("benches.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("standard_id", sa.ForeignKey("reference_standards.id"), primary_key=True),
)


class ReferenceStandard(db.Model):
    """One of the lab's own standards, with the certificate of its own calibration."""

    __tablename__ = "reference_standards"
    __audited__ = True
    __table_args__ = (sa.CheckConstraint(f"kind IN {STANDARD_KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    manufacturer: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    model: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    serial_number: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    accuracy_class: Mapped[str] = mapped_column(sa.String(32), nullable=False, default="")
    measuring_range: Mapped[str] = mapped_column(sa.String(120), nullable=False, default="")
    certificate_number: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    certificate_issuer: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    calibrated_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    due_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False, index=True)
    values: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    is_deleted: Mapped[bool] = mapped_column(nullable=False, default=False)
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    def is_usable_on(self, day: dt.date) -> bool:
        """Return True when the standard's calibration is valid on ``day``."""
        return not self.is_deleted and self.calibrated_on <= day <= self.due_on

    def __repr__(self) -> str:
        return f"<ReferenceStandard {self.id} {self.code}>"


class Bench(db.Model):
    """A workstation: its serial ports (role -> port/URL and driver) and the standards on it."""

    __tablename__ = "benches"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False, unique=True)
    location: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    ports: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    is_deleted: Mapped[bool] = mapped_column(nullable=False, default=False)
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    standards = relationship("ReferenceStandard", secondary=bench_standards, lazy="selectin",
                             order_by="ReferenceStandard.code")
    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Bench {self.id} {self.name!r}>"


# Substring search on serial numbers ("contains", lims.core.db.contains) is served by an index:
# a pg_trgm GIN index on PostgreSQL (ILIKE '%…%' uses it); on SQLite the same name is a plain
# B-tree index (equality and prefix look-ups; a substring search scans, see docs/operations.md).
sa.Index("ix_instruments_serial_number_trgm", Instrument.serial_number, postgresql_using="gin",
         postgresql_ops={"serial_number": "gin_trgm_ops"})
