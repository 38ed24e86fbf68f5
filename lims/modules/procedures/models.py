"""A judged test point of a job: indication, error, MPE and verdict (one row per job and point).

A repeatability or eccentricity item keeps all its indications in ``indications`` (and the
mean, or the position with the largest error, in ``indication``). Numbers are stored as decimal
text (as entered and as computed, never through a float) so that the certificate prints exactly
what was judged. A re-entered point updates its row; the audit
trail keeps every earlier value (the model is audited).
"""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from lims.core.db import UTCDateTime, now_utc
from lims.extensions import db

VERDICTS = ("pass", "fail")


def _num(nullable=True):
    return mapped_column(sa.String(40), nullable=nullable)


class PointResult(db.Model):
    """The result of one planned test point of a job."""

    __tablename__ = "procedure_results"
    __audited__ = True
    __table_args__ = (
        sa.UniqueConstraint("job_id", "point", name="uq_procedure_results_job_point"),
        sa.CheckConstraint(f"verdict IN {VERDICTS!r}", name="verdict"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id"), nullable=False, index=True)
    procedure_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    data_version: Mapped[int] = mapped_column(nullable=False)
    point: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    unit: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    nominal: Mapped[str] = _num(False)
    reference: Mapped[str] = _num(False)
    indication: Mapped[str] = _num(False)
    indications: Mapped[list | None] = mapped_column(sa.JSON, nullable=True)
    flash_delta: Mapped[str | None] = _num()
    zero_error: Mapped[str | None] = _num()
    error: Mapped[str] = _num(False)
    corrected_error: Mapped[str] = _num(False)
    mpe: Mapped[str] = _num(False)
    uncertainty: Mapped[str | None] = _num()
    k: Mapped[str | None] = _num()
    ratio: Mapped[str | None] = _num()
    rule: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    rule_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    verdict: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("measurement_sessions.id"), nullable=True)
    sequences: Mapped[list | None] = mapped_column(sa.JSON, nullable=True)
    budget: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)  # contributions, ν_eff, k, U, sources
    budget_error: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)  # why no budget
    indication_falling: Mapped[str | None] = _num()  # with falling pressure, where hysteresis is measured
    justification: Mapped[str | None] = mapped_column(sa.Text, nullable=True)  # lab manager: U/MPE > 1/3 accepted
    justified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    justified_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    entered_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    entered_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<PointResult job={self.job_id} {self.point!r} {self.verdict}>"
