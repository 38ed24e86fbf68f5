"""The verdict shown on the public check page ``/v/<token>``: signature first, then current status.

``lims`` passes a ``lookup`` callable that reads its database; this module never touches one.
Order of checks: a token that is not genuine is reported as such whatever the database says;
a genuine token whose certificate the database does not know is not shown as valid either;
then revocation, replacement, failure and expiry, in that order.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .qr import offline_status, token_from_url
from .signing import NotGenuine, verify_token
from .token import TokenRecord

__all__ = ["StoredStatus", "CheckResult", "check_online"]


@dataclass(frozen=True)
class StoredStatus:
    """What the laboratory's database says about a certificate now.

    :param revoked_reason: reason, when the certificate was revoked (撤销)
    :param replaced_by: number of the certificate that replaces it (17025 7.8.8), if any
    """

    revoked_reason: str | None = None
    replaced_by: str | None = None


@dataclass(frozen=True)
class CheckResult:
    """The verdict for the check page.

    :param state: ``not_genuine``, ``unknown``, ``revoked``, ``replaced``, ``failed``,
        ``expired``, ``valid`` or ``calibrated``
    :param message_zh: Chinese message; :param message_en: English message
    :param record: the signed record (``None`` when not genuine)
    :param kid: key id that signed it
    :param valid_until: due date, when the certificate has one
    :param stored: the database status used
    """

    state: str
    message_zh: str
    message_en: str
    record: TokenRecord | None = None
    kid: str | None = None
    valid_until: _dt.date | None = None
    stored: StoredStatus | None = None

    @property
    def is_valid(self) -> bool:
        """True only for a genuine, current, unexpired passing certificate (or calibration).

        :returns: whether a market manager may rely on the sticker
        """
        return self.state in ("valid", "calibrated")


def check_online(token_or_url: str, keys, lookup: Callable[[str, int], StoredStatus | None],
                 today: _dt.date) -> CheckResult:
    """Judge a scanned token against the published keys and the database.

    :param token_or_url: the ``/v/<token>`` path part or the full URL (any case)
    :param keys: public keys (JWK set or key-id mapping), including retired ones
    :param lookup: ``lookup(certificate_number, revision)`` → :class:`StoredStatus`, or ``None``
        when the database has no such certificate
    :param today: the date to judge expiry against
    :returns: the verdict with bilingual messages
    """
    try:
        verified = verify_token(token_from_url(token_or_url), keys)
    except NotGenuine as exc:
        return CheckResult("not_genuine", f"非本机构签发的真实证书：{exc.reason}",
                           f"Not a genuine certificate: {exc.reason}")
    rec = verified.record
    base: dict[str, Any] = dict(record=rec, kid=verified.kid, valid_until=rec.due_date)
    stored = lookup(rec.certificate_id, rec.revision)
    if stored is None:
        return CheckResult("unknown", f"签名有效，但本机构无证书 {rec.certificate_id} 的记录，请联系本机构",
                           f"Signature valid, but certificate {rec.certificate_id} is not on record; "
                           "contact the laboratory", **base)
    if stored.revoked_reason:
        return CheckResult("revoked", f"证书 {rec.certificate_id} 已撤销：{stored.revoked_reason}",
                           f"Certificate {rec.certificate_id} was revoked: {stored.revoked_reason}",
                           stored=stored, **base)
    if stored.replaced_by:
        return CheckResult("replaced", f"证书 {rec.certificate_id} 已被证书 {stored.replaced_by} 替代",
                           f"Certificate {rec.certificate_id} was replaced by {stored.replaced_by}",
                           stored=stored, **base)
    offline = offline_status(rec, today)
    return CheckResult(offline.state, offline.message_zh, offline.message_en, stored=stored, **base)
