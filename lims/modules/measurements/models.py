"""Bench measurement sessions and their append-only readings and rejected frames.

A :class:`MeasurementSession` records which job was measured on which bench, with which
instrument (driver and port) and standards, by whom and when. Its :class:`Reading` rows are the
accepted readings in sequence order; :class:`Rejection` rows are the frames that were refused
(garbled, overload, ...) with the reason. Readings and rejections are never updated or deleted:
the ORM refuses it here, and database triggers created by the migration refuse it for any client.
"""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from lims.core.db import UTCDateTime, now_utc
from lims.extensions import db

SESSION_STATES = ("open", "interrupted", "completed", "failed")

session_standards = sa.Table(
    "measurement_session_standards",
    db.metadata,
    sa.Column("session_id", sa.ForeignKey("measurement_sessions.id"), primary_key=True),
    sa.Column("standard_id", sa.ForeignKey("reference_standards.id"), primary_key=True),
)


class MeasurementSession(db.Model):
    """One acquisition run (possibly resumed several times) for a job on a bench."""

    __tablename__ = "measurement_sessions"
    __audited__ = True
    # the counters change with every reading; the audit trail records the state changes only
    __audit_exclude__ = ("accepted_count", "rejected_count", "last_sequence")
    __table_args__ = (
        sa.CheckConstraint(f"state IN {SESSION_STATES!r}", name="state"),
        sa.CheckConstraint("count >= 1", name="count_positive"),
        sa.CheckConstraint("accepted_count >= 0 AND rejected_count >= 0", name="counts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id"), nullable=False, index=True)
    bench_id: Mapped[int] = mapped_column(sa.ForeignKey("benches.id"), nullable=False, index=True)
    driver: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    port: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    count: Mapped[int] = mapped_column(nullable=False)
    is_stable_required: Mapped[bool] = mapped_column(nullable=False, default=False)
    test_point: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="open", index=True)
    accepted_count: Mapped[int] = mapped_column(nullable=False, default=0)
    rejected_count: Mapped[int] = mapped_column(nullable=False, default=0)
    last_sequence: Mapped[int] = mapped_column(nullable=False, default=0)
    error: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    started_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    started_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    ended_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    job = relationship("Job")
    bench = relationship("Bench")
    standards = relationship("ReferenceStandard", secondary=session_standards, lazy="selectin",
                             order_by="ReferenceStandard.code")

    def __repr__(self) -> str:
        return f"<MeasurementSession {self.id} job={self.job_id} {self.state}>"


class Reading(db.Model):
    """One accepted reading, stored the moment it was accepted (append-only)."""

    __tablename__ = "measurement_readings"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "sequence", name="uq_measurement_readings_session_sequence"),
        sa.CheckConstraint("sequence >= 1", name="sequence_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("measurement_sessions.id"), nullable=False)
    sequence: Mapped[int] = mapped_column(nullable=False)
    raw: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    value: Mapped[float] = mapped_column(sa.Float, nullable=False)
    unit: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    is_stable: Mapped[bool] = mapped_column(nullable=False)
    is_instrument_stable: Mapped[bool | None] = mapped_column(nullable=True)
    is_software_stable: Mapped[bool | None] = mapped_column(nullable=True)
    test_point: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    instrument_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    received_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    def __repr__(self) -> str:
        return f"<Reading {self.session_id}#{self.sequence} {self.value} {self.unit}>"


class Rejection(db.Model):
    """A frame that was refused, with the reason; never a value (append-only)."""

    __tablename__ = "measurement_rejections"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("measurement_sessions.id"), nullable=False, index=True)
    raw: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    received_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    def __repr__(self) -> str:
        return f"<Rejection {self.session_id} {self.reason[:30]!r}>"


@event.listens_for(Session, "before_flush")
def _refuse_changes(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, (Reading, Rejection)) and (obj in session.deleted or session.is_modified(obj)):
            raise PermissionError(f"{type(obj).__name__.lower()}s are append-only")
