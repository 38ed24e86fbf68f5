"""Complaint operations: the public report (proof of work, rate limit), the answer and the closing.

The public report needs no login and no third-party service. Abuse is kept down by:

- a proof of work: the page gets a challenge signed by the server (valid for
  ``COMPLAINT_POW_MAX_AGE`` seconds); the browser finds a nonce such that
  SHA-256(challenge ":" nonce) starts with ``COMPLAINT_POW_BITS`` zero bits (about 65 000 hashes for
  16 bits: a second on a phone, a cost for a script sending thousands); each solved challenge is good
  for one report (``pow_digest`` is unique);
- a rate limit per reporter (a keyed hash of the address: ``COMPLAINT_LIMIT_PER_HOUR`` an hour) and per
  instrument (``COMPLAINT_LIMIT_PER_INSTRUMENT`` open complaints a day).

Every step changes the audited row, so the trail shows who reported (``public``), answered and closed.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from lims.core.auth import check_org, sees_all_organisations
from lims.core.db import check_version, get_or_404, now_utc
from lims.core.http import Conflict, DomainValidationError
from lims.extensions import db
from lims.modules.complaints.models import Complaint

if TYPE_CHECKING:
    from sqlalchemy.sql import Select

    from lims.modules.equipment.models import Instrument
    from lims.modules.issuance.models import Certificate
    from lims.modules.users.models import User

DEFAULTS = {"COMPLAINT_POW_BITS": 16, "COMPLAINT_POW_MAX_AGE": 3600, "COMPLAINT_LIMIT_PER_HOUR": 5,
            "COMPLAINT_LIMIT_PER_INSTRUMENT": 20}
# lab roles that see and answer every organisation's complaints (customers: their own organisation's)
LAB_ANSWER_ROLES = ("admin", "lab_manager", "technician")


class RateLimited(Exception):
    """Too many reports from one place or about one instrument; the message says when to try again."""


def setting(name: str) -> Any:
    return current_app.config.get(name, DEFAULTS[name])


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lims-complaint-pow")


def new_challenge() -> str:
    """A fresh signed challenge for the report form."""
    return _serializer().dumps(secrets.token_hex(8))


def leading_zero_bits(digest: bytes) -> int:
    """The number of leading zero bits of ``digest`` (bytes)."""
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def solve(challenge: str, bits: int) -> str:
    """Find a nonce for ``challenge`` (what the page's script does; used by tests and scripts)."""
    nonce = 0
    while leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()) < bits:
        nonce += 1
    return str(nonce)


def check_proof_of_work(challenge: str | None, nonce: str | None) -> str:
    """Return the digest that marks ``challenge`` as used; refuse a forged, expired or unsolved one.

    :raises DomainValidationError: under ``pow`` (the page shows it above the form).
    """
    refused = DomainValidationError({"pow": [_("The form expired or was not completed by the page; "
                                              "reload the page and send it again.")]})
    if not challenge or not nonce or len(challenge) > 200 or len(nonce) > 20 or not nonce.isdigit():
        raise refused
    try:
        _serializer().loads(challenge, max_age=setting("COMPLAINT_POW_MAX_AGE"))
    except (BadSignature, SignatureExpired):
        raise refused from None
    if leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()) < setting("COMPLAINT_POW_BITS"):
        raise refused
    digest = hashlib.sha256(challenge.encode()).hexdigest()
    if db.session.execute(select(Complaint.id).where(Complaint.pow_digest == digest)).first():
        raise refused
    return digest


def reporter_key(address: str | None) -> str:
    """A keyed hash of the reporter's network address (the address itself is not stored)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, (address or "-").encode(), hashlib.sha256).hexdigest()


def report(instrument: Instrument, data: dict[str, Any], reporter: str, pow_digest: str,
           certificate: Certificate | None = None, now: dt.datetime | None = None) -> Complaint:
    """Create an open complaint about ``instrument`` from validated ``data`` (text, phone).

    :raises RateLimited: too many reports from ``reporter`` this hour or about the instrument today.
    """
    now = now or now_utc()
    recent = db.session.execute(select(func.count()).select_from(Complaint).where(
        Complaint.reporter_key == reporter, Complaint.created_dt >= now - dt.timedelta(hours=1))).scalar()
    if recent >= setting("COMPLAINT_LIMIT_PER_HOUR"):
        raise RateLimited(_("You have sent several reports in the last hour. Please try again later, "
                            "or call the contact shown on the page."))
    today = db.session.execute(select(func.count()).select_from(Complaint).where(
        Complaint.instrument_id == instrument.id, Complaint.state == "open",
        Complaint.created_dt >= now - dt.timedelta(days=1))).scalar()
    if today >= setting("COMPLAINT_LIMIT_PER_INSTRUMENT"):
        raise RateLimited(_("This instrument has already been reported many times today; the market and "
                            "the laboratory have been told."))
    complaint = Complaint(instrument_id=instrument.id, organisation_id=instrument.owner_id,
                          certificate_id=certificate.id if certificate is not None else None,
                          text=data["text"], phone=data.get("phone", ""), reporter_key=reporter,
                          pow_digest=pow_digest, created_dt=now)
    db.session.add(complaint)
    db.session.flush()
    return complaint


def complaints_for(user: User) -> Select[Complaint]:
    """The complaints ``user`` may see: all for lab staff, their own organisation's for customers."""
    q = select(Complaint).order_by(Complaint.id.desc())
    if not sees_all_organisations(user):
        q = q.where(Complaint.organisation_id == user.organisation_id)
    return q


def readable(user: User, complaint_id: int) -> Complaint:
    complaint = get_or_404(Complaint, complaint_id)
    check_org(user, complaint.organisation_id)
    return complaint


def _may_answer(user, complaint) -> None:
    if user.role in LAB_ANSWER_ROLES:
        return
    check_org(user, complaint.organisation_id, "write")


def answer(complaint: Complaint, user: User, data: dict[str, Any]) -> Complaint:
    """Answer (or amend the answer of) a complaint that is not closed; ``data``: answer, version.

    :raises Conflict: the complaint is closed, or the version is stale.
    """
    _may_answer(user, complaint)
    check_version(complaint, data["version"])
    if complaint.state == "closed":
        raise Conflict(_("This complaint is closed."))
    complaint.answer = data["answer"].strip()
    complaint.state = "answered"
    complaint.answered_by_id = user.id
    complaint.answered_dt = now_utc()
    db.session.flush()
    return complaint


def close(complaint: Complaint, user: User, data: dict[str, Any]) -> Complaint:
    """Close a complaint (it keeps its answer); ``data``: version.

    :raises Conflict: already closed, or the version is stale.
    """
    _may_answer(user, complaint)
    check_version(complaint, data["version"])
    if complaint.state == "closed":
        raise Conflict(_("This complaint is closed."))
    complaint.state = "closed"
    complaint.closed_by_id = user.id
    complaint.closed_dt = now_utc()
    db.session.flush()
    return complaint


def open_count(user: User) -> int:
    """How many complaints ``user`` may see are still open (for the navigation)."""
    q = complaints_for(user).where(Complaint.state == "open").order_by(None)
    # COUNT(*) always gives a row: never None
    return db.session.execute(select(func.count()).select_from(q.subquery())).scalar()  # type: ignore[return-value]
