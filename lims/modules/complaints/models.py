"""A complaint about one instrument, reported from its public check page (no login).

It belongs to the instrument's owner at the time of the report (``organisation_id``), so the
market manager or equipment officer of that organisation and the lab see it. Every step (report,
answer, close) changes the row and is written to the audit trail (``__audited__``).
"""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.core.db import UTCDateTime, now_utc
from lims.extensions import db

STATES = ("open", "answered", "closed")
MAX_TEXT = 500
MAX_PHONE = 32
MAX_ANSWER = 2000


class Complaint(db.Model):
    """What a person reported about an instrument, and the answer given."""

    __tablename__ = "complaints"
    __audited__ = True
    __audit_exclude__ = ("reporter_key", "pow_digest")
    __table_args__ = (sa.CheckConstraint(f"state IN {STATES!r}", name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instruments.id"), nullable=False, index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), nullable=False, index=True)
    certificate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id"), nullable=True)
    text: Mapped[str] = mapped_column(sa.String(MAX_TEXT), nullable=False)
    phone: Mapped[str] = mapped_column(sa.String(MAX_PHONE), nullable=False, default="", server_default="")
    state: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="open", server_default="open",
                                       index=True)
    answer: Mapped[str] = mapped_column(sa.Text, nullable=False, default="", server_default="")
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    answered_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    closed_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # a keyed hash of the reporter's address (rate limit; the address itself is never stored)
    reporter_key: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    # the solved proof-of-work challenge: each one is good for a single report
    pow_digest: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc, index=True)
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    instrument = relationship("Instrument", lazy="joined")
    organisation = relationship("Organisation")
    certificate = relationship("Certificate")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Complaint {self.id} instrument={self.instrument_id} {self.state}>"
