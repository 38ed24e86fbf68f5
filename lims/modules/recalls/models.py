"""A reference standard found out of tolerance or damaged, and the certificates it puts in doubt.

:class:`StandardIncident` is what the lab manager records; :class:`RecallItem` is one affected
certificate with its re-evaluated points, the customer's notice and the lab manager's decision
(keep, amend, revoke). Both are audited.
"""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.core.db import UTCDateTime, now_utc
from lims.extensions import db

INCIDENT_KINDS = ("out_of_tolerance", "damaged")
DECISIONS = ("keep", "amend", "revoke")


class StandardIncident(db.Model):
    __tablename__ = "standard_incidents"
    __audited__ = True
    __table_args__ = (sa.CheckConstraint(f"kind IN {INCIDENT_KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(sa.ForeignKey("reference_standards.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    found_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    last_good_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    corrections: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    notes: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    recorded_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    standard = relationship("ReferenceStandard", lazy="joined")
    items = relationship("RecallItem", back_populates="incident", order_by="RecallItem.id")
    __mapper_args__ = {"version_id_col": version}


class RecallItem(db.Model):
    __tablename__ = "recall_items"
    __audited__ = True
    __table_args__ = (
        sa.UniqueConstraint("incident_id", "certificate_id", name="uq_recall_items_incident_certificate"),
        sa.CheckConstraint(f"decision IS NULL OR decision IN {DECISIONS!r}", name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("standard_incidents.id"), nullable=False, index=True)
    certificate_id: Mapped[int] = mapped_column(sa.ForeignKey("certificates.id"), nullable=False, index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), nullable=False, index=True)
    points: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    may_change: Mapped[bool] = mapped_column(nullable=False, default=False)
    decision: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    decision_note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    decided_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    incident = relationship("StandardIncident", back_populates="items")
    certificate = relationship("Certificate", lazy="joined")
    __mapper_args__ = {"version_id_col": version}
