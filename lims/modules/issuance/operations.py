"""Issue, revoke and replace certificates; numbering; the status shown to the public.

Operations only ``flush()``; the request (or the CLI command) commits. Every change is written
to the audit trail by :mod:`lims.core.audit` because :class:`Certificate` is audited.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from lims.core.audit import append_chained
from lims.core.auth import check_org, sees_all_organisations
from lims.core.db import get_or_404, now_utc
from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.equipment.models import Bench, Instrument, InstrumentType
from lims.modules.issuance import keys, render
from lims.modules.issuance import record as rec
from lims.modules.issuance.models import Certificate, CertificateCounter
from lims.modules.jobs import operations as jobs_ops
from lims.modules.jobs.models import Job
from lims.modules.jobs.operations import book_job, transition
from lims.modules.procedures import operations as procedures

if TYPE_CHECKING:
    from sqlalchemy.sql import Select

    from lims.modules.users.models import User

log = logging.getLogger(__name__)

PREFIXES = {"verification": "JD", "failure_notice": "JD", "calibration": "JZ"}
_KIND_FROM_DOC = {"verification": "verification", "verification_notice": "failure_notice",
                  "calibration": "calibration"}
MESSAGES = {
    "valid": ("合格，有效期至 {due}", "Verified, valid until {due}"),
    "valid_no_due": ("已校准（{date}），未给出有效期", "Calibrated on {date}; no due date stated"),
    "expired": ("已过有效期（有效期至 {due}）", "Expired (was valid until {due})"),
    "failed": ("检定结果：不合格（{date}）", "Verification result: FAILED ({date})"),
    "revoked": ("已撤销：{reason}", "Revoked: {reason}"),
    "replaced": ("已被证书 {new} 替代", "Replaced by certificate {new}"),
}


def next_number(kind: str, year: int) -> str:
    """Return the next number, e.g. ``JD-2026-000123`` (JD: verification, JZ: calibration).

    The number comes from the per-prefix, per-year counter row, created or incremented by one
    ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (one round trip), so signatories issuing at the
    same moment get distinct numbers in turn, never a collision. On PostgreSQL the increment is its
    own short transaction on a connection of its own, committed at once: the counter row is locked
    for that statement only, not while the caller renders and signs the documents (which would
    make parallel signatories wait for each other's PDFs). On SQLite it is part of the caller's
    transaction (SQLite has one writer at a time anyway, and a second connection would wait for
    the first).

    Gap policy: numbers are distinct and increasing in the order they are taken, and never reused.
    A number taken on PostgreSQL for an issue that then fails (a refused record, a signatory who
    certified the same job a moment earlier) stays used: :func:`void_number` writes a ``void``
    event to the audit trail naming it, the job and the reason, so every gap is explained.

    :param kind: certificate kind
    :param year: year of issue
    """
    prefix = PREFIXES[kind]
    table = CertificateCounter.__table__
    is_pg = db.session.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if is_pg else sqlite.insert
    statement = (insert(table).values(prefix=prefix, year=year, last=1)
                 .on_conflict_do_update(index_elements=["prefix", "year"], set_={"last": table.c.last + 1})
                 .returning(table.c.last))
    if is_pg:
        with _numbering_engine().begin() as conn:  # committed here: the row lock lasts one statement
            number = conn.execute(statement).scalar_one()
    else:
        number = db.session.execute(statement).scalar_one()
    return f"{prefix}-{year}-{number:06d}"


def _numbering_engine():
    """The engine of the numbering's own short transactions (PostgreSQL), one per app and process.

    Not the app's pool: each issuing request already holds one of its connections, so with as
    many parallel requests as the pool has connections a second one would wait for ever. Its own
    small pool keeps a connection open between issues (a new connection per number costs a
    PostgreSQL backend each time); a connection is held for one statement only, so a request
    never waits for long. It is disposed with the app's engine (e.g. after a fork, or a test).
    """
    engine = current_app.extensions.get("lims_numbering_engine")
    if engine is None:
        app_engine = db.engine
        engine = sa.create_engine(app_engine.url, pool_size=1, max_overflow=8, pool_pre_ping=True)
        current_app.extensions["lims_numbering_engine"] = engine
        extensions = current_app.extensions

        @event.listens_for(app_engine, "engine_disposed")
        def _dispose_too(_engine):
            if extensions.get("lims_numbering_engine") is engine:
                del extensions["lims_numbering_engine"]
            engine.dispose()

    return engine


def void_number(number: str, job_id: int, user_id: int, username: str, reason: str) -> None:
    """Record in the audit trail that ``number`` was taken for ``job`` but no certificate got it.

    Only needed where :func:`next_number` commits on its own (PostgreSQL); written in its own
    transaction, since the caller's is about to roll back. Never raises: the issue's own error matters more.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return  # the number was taken in the caller's transaction and is rolled back with it

    log.warning("certificate number %s for job %s is void: %s", number, job_id, reason)
    try:
        with _numbering_engine().begin() as conn:
            append_chained(conn, [{"created_dt": now_utc(), "actor_id": user_id, "actor_name": username,
                                   "action": "void", "entity": "CertificateNumber", "entity_id": number,
                                   "changes": {"job_id": [None, job_id], "reason": [None, reason[:500]]}}])
    except Exception:  # the audit row is best effort here; the log line above names the number
        log.exception("could not record the void certificate number %s", number)


def _issue_numbered(number, job, issuer, build, replaces=None):
    """Build the record with ``number`` and store the certificate; a failure voids the number."""
    who = (job.id, issuer.id, issuer.username)  # read now: a failed flush expires them
    try:
        return _store(build(number), job, issuer, replaces=replaces)
    except Exception as exc:
        void_number(number, *who, f"{type(exc).__name__}: {exc}")
        raise


def _store(raw, job, issuer, replaces=None):
    docs = render.issue_documents(raw, current_app.config["PUBLIC_HOST"])
    record = docs.record
    cert = Certificate(
        number=record["number"], kind=_KIND_FROM_DOC[record["kind"]], job_id=job.id, instrument_id=job.instrument_id,
        revision=record["revision"], replaces_id=replaces.id if replaces else None, record=record,
        content_hash=docs.content_hash, pdf=docs.pdf, pdf_sha256=docs.pdf_sha256, dcc_xml=docs.dcc_xml,
        dcc_sha256=docs.dcc_sha256, token=docs.token, url=docs.url, key_id=docs.key_id, issued_by_id=issuer.id,
        performed_on=job.performed_on, due_date=_date(record.get("due_date")), result=_result(record))
    db.session.add(cert)
    try:
        db.session.flush()
    except IntegrityError as exc:  # another signatory certified the same job at the same moment
        db.session.rollback()
        if "uq_certificates_one_current_per_job" in str(exc.orig) or "certificates.job_id" in str(exc.orig):
            raise Conflict(f"job {job.id} already has a current certificate; replace it to correct it") from exc
        raise
    log.info("issued certificate %s for job %s (key %s)", cert.number, job.id, docs.key_id)
    return cert


def _date(text):
    return dt.date.fromisoformat(text) if text else None


def _result(record):
    return {"pass": "pass", "fail": "fail"}.get(record.get("conformity") or "")


def current_certificate(job: Job) -> Certificate | None:
    """The job's certificate that is neither revoked nor replaced (at most one, by a partial unique index)."""
    return db.session.execute(select(Certificate).where(
        Certificate.job_id == job.id, Certificate.revoked_dt.is_(None), Certificate.replaced_dt.is_(None))
    ).scalars().first()


def readable_certificate(user: User, cert_id: int) -> Certificate:
    """The certificate ``cert_id`` if ``user`` may read it (404 unknown, 403 another organisation's)."""

    cert = get_or_404(Certificate, cert_id)
    check_org(user, cert.instrument.owner_id)
    return cert


def certificates_for(user: User) -> Select[Certificate]:
    """The certificates ``user`` may see: all for lab staff, their organisation's for customers."""

    query = select(Certificate).join(Instrument, Certificate.instrument_id == Instrument.id)
    if not sees_all_organisations(user):
        query = query.where(Instrument.owner_id == user.organisation_id)
    return query


def issue_certificate(job: Job, issuer: User, options: dict[str, Any] | None = None) -> Certificate:
    """Issue the certificate of an approved job: build the record, sign, render, store.

    :param job: the job (must be approved)
    :param issuer: the lab manager who signs (the authorised signatory)
    :param options: validated request options (results, environment, remarks, location, on_site,
        due_date and statement_of_conformity for calibrations)
    :returns: the new :class:`Certificate`
    :raises Conflict: the job is not approved, already has a current certificate, or no key exists
    :raises DomainValidationError: the record is refused (naming the field)
    """
    options = options or {}
    if job.state != "approved":
        raise Conflict(f"job {job.id} is {job.state}; only an approved job gets a certificate")
    jobs_ops.ensure_four_eyes(job, issuer)
    current = current_certificate(job)
    if current is not None:
        raise Conflict(f"job {job.id} already has certificate {current.number}; replace it to correct it")
    if job.kind == "verification" and options.get("due_date"):
        raise DomainValidationError({"due_date": ["a verification's due date is the instrument's valid-until "
                                                  "date and cannot be given"]})
    today = rec.today_local()
    kind = "calibration" if job.kind == "calibration" else ("failure_notice" if job.result == "fail"
                                                             else "verification")
    return _issue_numbered(next_number(kind, today.year), job, issuer,
                           lambda number: rec.build_record(job, issuer, number, options, today))


def revoke(cert: Certificate, user: User, reason: str | None) -> Certificate:
    """Revoke a certificate (it stays stored; the check page shows the reason).

    :raises DomainValidationError: without a reason
    :raises Conflict: when it is already revoked
    """
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError({"reason": ["a reason is required to revoke a certificate"]})
    if cert.revoked_dt is not None:
        raise Conflict(f"certificate {cert.number} is already revoked")
    cert.revoked_dt, cert.revoked_by_id, cert.revocation_reason = now_utc(), user.id, reason
    db.session.flush()
    refresh_instrument_status(cert.instrument)
    return cert


def refresh_instrument_status(inst: Instrument) -> None:
    """Set the register's verification fields of ``inst`` from its current verification certificates.

    Called when a certificate is revoked: the latest certificate neither revoked nor replaced decides;
    with none left the instrument has no valid verification on record (it must be verified again).
    A job approved but not yet certified keeps deciding (its certificate is still to come).
    """
    latest_job = db.session.execute(select(Job).where(
        Job.instrument_id == inst.id, Job.kind == "verification", Job.state.in_(("approved", "returned")))
        .order_by(Job.decided_dt.desc(), Job.id.desc())).scalars().first()
    if latest_job is not None and db.session.execute(select(Certificate.id).where(
            Certificate.job_id == latest_job.id)).first() is None:
        return  # its certificate is still to be issued; the approval decides
    cert = db.session.execute(select(Certificate).where(
        Certificate.instrument_id == inst.id, Certificate.kind.in_(("verification", "failure_notice")),
        Certificate.revoked_dt.is_(None), Certificate.replaced_dt.is_(None))
        .order_by(Certificate.performed_on.desc(), Certificate.id.desc())).scalars().first()
    if cert is None:
        inst.last_result = inst.last_verified_on = inst.verified_until = None
    else:
        inst.last_result, inst.last_verified_on = cert.result or "pass", cert.performed_on
        inst.verified_until = cert.due_date if cert.kind == "verification" else None
    db.session.flush()


def printable_for_stickers(certs: Sequence[Certificate]) -> Sequence[Certificate]:
    """Refuse revoked or replaced certificates on a sticker sheet (their "合格 Pass" mark must never print again).

    :raises Conflict: naming each such certificate and its status
    """
    bad = [f"{c.number} ({'revoked' if c.revoked_dt is not None else 'replaced'})" for c in certs
           if c.revoked_dt is not None or c.replaced_by_id is not None or c.replaced_dt is not None]
    if bad:
        raise Conflict("no sticker for a revoked or replaced certificate: " + ", ".join(bad))
    return certs


def replace(cert: Certificate, user: User, data: dict[str, Any]) -> Certificate:
    """Issue a corrected certificate (revision + 1) that replaces ``cert`` (ISO/IEC 17025 7.8.8).

    :param data: validated corrections with a ``reason``
    :returns: the new certificate
    :raises Conflict: when ``cert`` is revoked or already replaced
    """
    if not (data.get("reason") or "").strip():
        raise DomainValidationError({"reason": ["a reason is required to replace a certificate"]})
    if cert.revoked_dt is not None or cert.replaced_by_id is not None:
        state = "revoked" if cert.revoked_dt is not None else "already replaced"
        raise Conflict(f"certificate {cert.number} is {state}; only a current certificate can be replaced")
    job = db.session.get(Job, cert.job_id)
    jobs_ops.ensure_four_eyes(job, user)  # type: ignore[arg-type]  # a certificate's job always exists
    today = rec.today_local()
    number = next_number(cert.kind, today.year)

    def build(number):
        raw = rec.amended_record(cert.record, user, number, data, today)
        cert.replaced_dt = now_utc()  # no longer current: the job's one current certificate is the new one
        db.session.flush()
        return raw

    new = _issue_numbered(number, job, user, build, replaces=cert)
    cert.replaced_by_id = new.id
    db.session.flush()
    return new


def status_info(cert: Certificate, today: dt.date) -> dict[str, Any]:
    """Return the current status and bilingual messages of a certificate.

    :returns: ``{"status", "message_zh", "message_en", "replaced_by_number"}``
    """
    state = cert.status(today)
    key = "valid_no_due" if state == "valid" and cert.due_date is None else state
    new = cert.replaced_by.number if cert.replaced_by_id else None
    args = {"due": cert.due_date.isoformat() if cert.due_date else "", "date": cert.performed_on.isoformat(),
            "reason": cert.revocation_reason or "", "new": new or ""}
    zh, en = MESSAGES[key]
    return {"status": state, "message_zh": zh.format(**args), "message_en": en.format(**args),
            "replaced_by_number": new}


def find_by_number(number: str) -> Certificate | None:
    """Return the certificate with ``number`` or None."""
    return db.session.execute(select(Certificate).where(Certificate.number == number)).scalars().first()


def integrity_report() -> dict[str, list[str]]:
    """Re-hash every stored certificate; return ``{number: [problems]}`` for those that changed."""
    out = {}
    for cert in db.session.execute(select(Certificate).order_by(Certificate.id)).scalars():
        problems = render.integrity_problems(cert)
        if problems:
            out[cert.number] = problems
    return out


def demo_result_notes(inst: Instrument, fail: bool) -> str:
    """The ``R:`` result lines a technician would submit for a demo scale (three test loads)."""
    chars = inst.characteristics or {}
    e, mx = chars.get("e", 10), chars.get("max", 30000)
    lines = []
    for load in (20 * e, mx // 2, mx):
        mpe = 0.5 * e if load <= 500 * e else (e if load <= 2000 * e else 1.5 * e)
        err = 3 * mpe if fail and load == mx else (e if load == mx // 2 else 0)
        verdict = "fail" if abs(err) > mpe else "pass"
        lines.append(f"R: item=称量 {load / 1000:g} kg; item_en=Weighing; nominal={load / 1000:.3f}; "
                     f"measured={(load + err) / 1000:.3f}; error={err / 1000:.3f}; mpe={mpe / 1000:.4f}; unit=kg; "
                     f"result={verdict}")
    return "\n".join(lines)


def issue_demo_certificates(users: Mapping[str, User], count: int = 5) -> list[Certificate]:
    """Give the demo issued certificates: valid ones, one failure notice, one revoked, one replaced.

    Creates a signing key in ``KEY_DIR`` when there is none. Jobs are driven through the real
    workflow (booked, received, started, submitted by the technician, approved by the manager).

    :param users: the demo users by username (``load_demo``'s return value)
    :param count: number of scales to verify (the last one fails)
    :returns: the certificates issued
    """

    tech = next(u for u in users.values() if u.role == "technician")
    manager = next(u for u in users.values() if u.role == "lab_manager")
    if not keys.verification_keys():
        keys.create()
    bench = db.session.execute(select(Bench).order_by(Bench.id)).scalars().first()
    scales = db.session.execute(select(Instrument).join(InstrumentType, Instrument.type_id == InstrumentType.id).where(
        InstrumentType.category == "scale", Instrument.is_withdrawn.is_(False)).order_by(Instrument.id).limit(count)
    ).scalars().all()
    certs = []
    for n, inst in enumerate(scales):
        job = book_job(inst, tech)
        fail = n == len(scales) - 1
        steps: list[tuple[str, User, dict[str, Any]]] = [
                 ("receive", tech, {}), ("start", tech, {"bench_id": bench.id}),  # type: ignore[union-attr]
                 ("measure", tech, {}),
                 ("submit", tech, {"result": "fail" if fail else "pass", "notes": demo_result_notes(inst, fail)}),
                 ("approve", manager, {})]
        for action, user, data in steps:
            if action == "measure":
                procedures.demo_measure_every_point(job, user, fail=fail)
                continue
            transition(job, action, user, {**data, "version": job.version})
        certs.append(issue_certificate(job, manager))
    if len(certs) >= 4:
        revoke(certs[1], manager, "演示：标准器证书编号录入错误 / demo: wrong standard certificate number")
        certs.append(replace(certs[2], manager, {"reason": "演示：更正安装地点 / demo: location corrected",
                                                 "location": "东门农贸市场（现场检定） / on site, East Gate market"}))
    log.info("demo: issued %d certificates", len(certs))
    return certs
