"""Jobs: one instrument's verification or calibration, as a state machine with who and when."""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.core.db import UTCDateTime, now_utc
from lims.extensions import db

JOB_KINDS = ("verification", "calibration")
VERIFICATION_KINDS = ("initial", "subsequent", "in_service")
STATES = ("booked", "received", "in_progress", "awaiting_approval", "approved", "rejected", "returned")
#: every state but ``returned``: an instrument has at most one job in these (a partial unique index)
OPEN_STATES = STATES[:-1]
#: work steps: whoever took one of them for a job may not approve, reject or issue it (four-eyes)
WORK_STEPS = ("receive", "start", "measure", "submit")

# action -> (from states, to state, the column prefix that records who/when)
TRANSITIONS = {
    "receive": (("booked",), "received", "received"),
    "start": (("received", "rejected"), "in_progress", "started"),
    "submit": (("in_progress",), "awaiting_approval", "submitted"),
    "approve": (("awaiting_approval",), "approved", "decided"),
    "reject": (("awaiting_approval",), "rejected", "decided"),
    "return": (("approved", "rejected"), "returned", "returned"),
}


def _who(prefix):
    return (mapped_column(f"{prefix}_by_id", sa.ForeignKey("users.id"), nullable=True),
            mapped_column(f"{prefix}_dt", UTCDateTime, nullable=True))


class Job(db.Model):
    """A verification or calibration job for one instrument."""

    __tablename__ = "jobs"
    __audited__ = True
    __table_args__ = (
        sa.Index("uq_jobs_one_open_per_instrument", "instrument_id", unique=True,
                 sqlite_where=sa.text("state != 'returned'"), postgresql_where=sa.text("state != 'returned'")),
        sa.CheckConstraint(f"state IN {STATES!r}", name="state"),
        sa.CheckConstraint(f"kind IN {JOB_KINDS!r}", name="kind"),
        sa.CheckConstraint("result IS NULL OR result IN ('pass', 'fail')", name="result"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instruments.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="verification")
    verification_kind: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="subsequent")
    state: Mapped[str] = mapped_column(sa.String(24), nullable=False, default="booked", index=True)
    bench_id: Mapped[int | None] = mapped_column(sa.ForeignKey("benches.id"), nullable=True, index=True)
    booked_for: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    result: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    performed_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    notes: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    booked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    booked_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    received_by_id, received_dt = _who("received")
    started_by_id, started_dt = _who("started")
    submitted_by_id, submitted_dt = _who("submitted")
    decided_by_id, decided_dt = _who("decided")
    returned_by_id, returned_dt = _who("returned")
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    instrument = relationship("Instrument", lazy="joined")
    bench = relationship("Bench")
    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.state}>"


class JobWorker(db.Model):
    """Who did a work step of a job (receive, start, measure, submit): the four-eyes rule reads it."""

    __tablename__ = "job_workers"

    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    first_step: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    first_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)

    def __repr__(self) -> str:
        return f"<JobWorker job {self.job_id} user {self.user_id} ({self.first_step})>"


BATCH_STATES = ("booked", "received", "cancelled")


class Batch(db.Model):
    """One delivery of one organisation's instruments: booked together, received together, cancelled together.

    Its number (``B-000042``) is its id written for people: the delivery note prints it with a QR code of
    the batch's page, which the lab scans to receive every instrument at once.
    """

    __tablename__ = "batches"
    __audited__ = True
    __table_args__ = (sa.CheckConstraint(f"state IN {BATCH_STATES!r}", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), nullable=False, index=True)
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="booked", index=True)
    booked_for: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    notes: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    booked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    booked_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    received_by_id, received_dt = _who("received")
    cancelled_by_id, cancelled_dt = _who("cancelled")
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    organisation = relationship("Organisation", lazy="joined")
    booked_by = relationship("User", foreign_keys=[booked_by_id])
    received_by = relationship("User", foreign_keys=[received_by_id])
    cancelled_by = relationship("User", foreign_keys=[cancelled_by_id])
    items = relationship("BatchItem", lazy="selectin", order_by="BatchItem.position", back_populates="batch",
                         cascade="all, delete-orphan")
    __mapper_args__ = {"version_id_col": version}

    @property
    def number(self) -> str:
        """The batch number people read, write and scan (``B-`` and the id on six digits)."""
        return batch_number(self.id)

    def __repr__(self):
        return f"<Batch {self.number} {self.state}>"


def batch_number(batch_id: int) -> str:
    """``B-000042`` for batch 42 (ids beyond six digits simply get longer)."""
    return f"B-{batch_id:06d}"


class BatchItem(db.Model):
    """One instrument of a batch and its job (the job is gone once the booking is cancelled)."""

    __tablename__ = "batch_items"
    __audited__ = True

    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instruments.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True,
                                               unique=True)

    batch = relationship("Batch", back_populates="items")
    instrument = relationship("Instrument", lazy="joined")
    job = relationship("Job", lazy="joined")

    def __repr__(self):
        return f"<BatchItem batch {self.batch_id} instrument {self.instrument_id} job {self.job_id}>"
