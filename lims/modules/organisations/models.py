"""Organisations: the lab itself and its customers (markets, hospitals)."""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lims.core.db import UTCDateTime, now_utc
from lims.extensions import db

ORG_KINDS = ("lab", "market", "hospital", "other")


class Organisation(db.Model):
    """A legal entity: the verifying lab, a farmers' market, a hospital."""

    __tablename__ = "organisations"
    __audited__ = True
    __table_args__ = (sa.CheckConstraint(f"kind IN {ORG_KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False, unique=True)
    address: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    district: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    contact: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"
