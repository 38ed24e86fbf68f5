"""Certificates: the frozen record, its documents and hashes, and the status that may change.

An issued certificate's content never changes (ISO/IEC 17025 7.8.8): the record, the PDF, the
DCC XML, their hashes, the signed token and the key id are written once. A correction issues a
NEW certificate whose ``replaces_id`` points at the old one; the old one gets ``replaced_by_id``.
Only the status columns (revocation, replacement) may be updated; :func:`_refuse_content_changes`
enforces that for every ORM flush.
"""
import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from lims.core.db import UTCDateTime, now_utc
from lims.extensions import db

if TYPE_CHECKING:
    from sqlalchemy.orm import InstanceState

CERT_KINDS = ("verification", "failure_notice", "calibration")
STATUSES = ("valid", "expired", "failed", "revoked", "replaced")
#: columns that are written at issue and never again
IMMUTABLE = ("number", "kind", "job_id", "instrument_id", "revision", "replaces_id", "record", "content_hash",
             "pdf", "pdf_sha256", "dcc_xml", "dcc_sha256", "token", "url", "key_id", "issued_dt", "issued_by_id",
             "performed_on", "due_date", "result")

#: a job's current certificate: neither revoked nor replaced (at most one per job, by a partial unique index)
_CURRENT = "revoked_dt IS NULL AND replaced_dt IS NULL"


class CertificateCounter(db.Model):
    """The last certificate number given for a prefix and year (taken under a row lock: no two issues collide)."""

    __tablename__ = "certificate_counters"
    __table_args__ = (sa.CheckConstraint("last >= 0", name="last"),)

    prefix: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")

    def __repr__(self) -> str:
        return f"<CertificateCounter {self.prefix}-{self.year} {self.last}>"


class Certificate(db.Model):
    """One issued certificate (检定证书, 检定结果通知书 or 校准证书)."""

    __tablename__ = "certificates"
    __audited__ = True
    __audit_exclude__ = ("pdf", "dcc_xml", "record")
    __table_args__ = (
        sa.Index("uq_certificates_one_current_per_job", "job_id", unique=True,
                 sqlite_where=sa.text(_CURRENT), postgresql_where=sa.text(_CURRENT)),
        sa.CheckConstraint(f"kind IN {CERT_KINDS!r}", name="kind"),
        sa.CheckConstraint("result IS NULL OR result IN ('pass', 'fail')", name="result"),
        sa.CheckConstraint("revision >= 0", name="revision"),
        sa.CheckConstraint("(revoked_dt IS NULL) = (revocation_reason IS NULL)", name="revocation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id"), nullable=False, index=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instruments.id"), nullable=False, index=True)
    revision: Mapped[int] = mapped_column(nullable=False, default=0)
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id"), nullable=True, unique=True)
    record: Mapped[dict] = mapped_column(sa.JSON, nullable=False)
    content_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    # the documents are loaded only when a page or download asks for them (never on the public check)
    pdf: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False, deferred=True)
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    dcc_xml: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False, deferred=True)
    dcc_sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    token: Mapped[str] = mapped_column(sa.String(1700), nullable=False)
    url: Mapped[str] = mapped_column(sa.String(2000), nullable=False)
    key_id: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    issued_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    performed_on: Mapped[dt.date] = mapped_column(sa.Date, nullable=False)
    due_date: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True, index=True)
    result: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    revoked_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), nullable=True)
    revocation_reason: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("certificates.id"), nullable=True)
    replaced_dt: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(nullable=False, default=1)

    instrument = relationship("Instrument", lazy="joined")
    issued_by = relationship("User", foreign_keys=[issued_by_id])
    revoked_by = relationship("User", foreign_keys=[revoked_by_id])
    replaced_by = relationship("Certificate", foreign_keys=[replaced_by_id], remote_side=[id])
    replaces = relationship("Certificate", foreign_keys=[replaces_id], remote_side=[id])
    __mapper_args__ = {"version_id_col": version}

    def status(self, today: dt.date) -> str:
        """Return the current status as of ``today``: revoked, replaced, failed, expired or valid."""
        if self.revoked_dt is not None:
            return "revoked"
        if self.replaced_by_id is not None:
            return "replaced"
        if self.kind == "failure_notice":
            return "failed"
        if self.due_date is not None and self.due_date < today:
            return "expired"
        return "valid"

    @staticmethod
    def status_clause(status: str, today: dt.date) -> sa.ColumnElement[bool]:
        """The SQL condition for certificates whose :meth:`status` on ``today`` is ``status``."""
        current = sa.and_(Certificate.revoked_dt.is_(None), Certificate.replaced_by_id.is_(None))
        return {
            "revoked": Certificate.revoked_dt.is_not(None),
            "replaced": sa.and_(Certificate.revoked_dt.is_(None), Certificate.replaced_by_id.is_not(None)),
            "failed": sa.and_(current, Certificate.kind == "failure_notice"),
            "expired": sa.and_(current, Certificate.kind != "failure_notice", Certificate.due_date < today),
            "valid": sa.and_(current, Certificate.kind != "failure_notice",
                             sa.or_(Certificate.due_date.is_(None), Certificate.due_date >= today)),
        }[status]

    def __repr__(self) -> str:
        return f"<Certificate {self.id} {self.number}>"


class ImmutableCertificate(PermissionError):
    """Something tried to change or delete the content of an issued certificate."""


@event.listens_for(Session, "before_flush")
def _refuse_content_changes(session, flush_context, instances):
    for obj in session.deleted:
        if isinstance(obj, Certificate):
            raise ImmutableCertificate(f"certificate {obj.number} cannot be deleted; revoke it instead")
    for obj in session.dirty:
        if not isinstance(obj, Certificate):
            continue
        state = sa.inspect(obj)
        changed = [key for key in IMMUTABLE if state.attrs[key].history.has_changes()]
        if changed:
            raise ImmutableCertificate(f"certificate {obj.number}: {', '.join(changed)} cannot change after issue; "
                                       "issue a replacement instead")


class CacheStamp(db.Model):
    """A counter that every app server reads to know when its in-process caches went stale.

    ``certificates`` is bumped in the same transaction as any revocation or replacement, so the
    public check's cached verdicts are dropped on every worker of every node (see
    :mod:`lims.modules.issuance.public`).
    """

    __tablename__ = "cache_stamps"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0, server_default="0")


CERTIFICATE_STAMP = "certificates"
#: set in a session whose flush changed a certificate's status; read at commit by the public check
CHANGED_FLAG = "lims_certificates_changed"
_STATUS_COLUMNS = ("revoked_dt", "replaced_by_id", "revocation_reason", "replaced_dt")


@event.listens_for(Session, "after_flush")
def _bump_on_status_change(session, flush_context) -> None:
    """Bump the ``certificates`` stamp when a certificate's status columns change in this flush."""
    for obj in session.dirty:
        if isinstance(obj, Certificate):
            state: InstanceState[Certificate] = sa.inspect(obj)
            if any(state.attrs[key].history.has_changes() for key in _STATUS_COLUMNS):
                bump_stamp(session.connection(), CERTIFICATE_STAMP)
                session.info[CHANGED_FLAG] = True
                return


def bump_stamp(connection: sa.Connection, name: str) -> None:
    """Increment stamp ``name`` (creating it when missing) on ``connection``'s transaction."""
    table = CacheStamp.__table__
    done = connection.execute(table.update().where(table.c.name == name).values(value=table.c.value + 1))
    if done.rowcount == 0:
        connection.execute(table.insert().values(name=name, value=1))


# the flag is taken at commit by lims.modules.issuance.public (which drops this process's cached verdicts)
# and dropped with a rollback there too: the public check imports these models, never the other way round
