"""A background task's record: what to do, who asked, how far it got, and what came out.

The row is the source of truth; the queue (Huey) only carries the task id. ``cursor`` is the
amount of work already committed: a task function commits its work and advances the cursor in
the same transaction, so a worker killed mid-task resumes where the last commit left off and
never does a committed piece twice.
"""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.core.db import UTCDateTime, now_utc
from lims.extensions import db

TASK_STATES = ("queued", "running", "done", "failed")


class Task(db.Model):
    """One unit of background work, unique by ``key`` (a retry with the same key is the same task)."""

    __tablename__ = "tasks"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {TASK_STATES!r}", name="status"),
        sa.CheckConstraint("progress >= 0 AND progress <= 1", name="progress"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    key: Mapped[str] = mapped_column(sa.String(200), nullable=False, unique=True)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="queued", server_default="queued")
    progress: Mapped[float] = mapped_column(sa.Float, nullable=False, default=0.0, server_default="0")
    message: Mapped[str] = mapped_column(sa.Text, nullable=False, default="", server_default="")
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False, deferred=True)
    cursor: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")
    attempts: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")
    result: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    #: a file the task produced (a sticker sheet PDF, an export), downloaded from the task page
    output: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True, deferred=True)
    output_type: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    started_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    owner = relationship("User")

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    def __repr__(self) -> str:
        return f"<Task {self.id} {self.kind} {self.status} {self.progress:.0%}>"
