"""The bridge to the ``certificates`` library: validate, sign, render, verify, re-hash.

Only this module and :mod:`lims.modules.issuance.keys` import ``certificates``. Inputs and
outputs are plain data (dicts, bytes, strings) so the rest of the area never handles library
objects.
"""
import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import ServiceUnavailable

from certificates.data import CertificateDataError, content_hash, from_dict, to_dict
from certificates.dcc import DccInvalid, validate_dcc
from certificates.fonts import FontNotFound, MissingGlyphs
from certificates.issue import IntegrityError as StoredBytesChanged
from certificates.issue import check_stored, issue, sticker_for
from certificates.qr import QRDecodeError, offline_status, verify_offline
from certificates.signing import KeySetError, KeyStoreError, NotGenuine, verify_token
from certificates.stickers import render_sticker_sheet
from certificates.token import ResultCode
from lims.core.http import Conflict, DomainValidationError
from lims.modules.issuance import keys

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from lims.modules.issuance.models import Certificate

__all__ = ["Documents", "Verdict", "public_base", "issue_documents", "integrity_problems", "verify_online",
           "verify_source", "sticker_sheet", "dcc_problems", "NotGenuine", "QRDecodeError", "KeySetError",
           "KeyStoreError"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Documents:
    """What is stored at issue (never changed afterwards)."""

    record: dict
    content_hash: str
    token: str
    url: str
    key_id: str
    pdf: bytes
    pdf_sha256: str
    dcc_xml: bytes
    dcc_sha256: str


@dataclass(frozen=True)
class Verdict:
    """The result of checking a token's signature.

    :param genuine: the signature is by one of the laboratory's published keys
    :param reason: why not, when not genuine
    :param number: signed certificate number; :param instrument_id: signed instrument id
    :param lab_id: signed lab id; :param revision: signed revision; :param kid: signing key id
    :param offline_state: ``valid``/``expired``/``failed``/``calibrated`` from the signed dates alone
    :param message_zh: offline message in Chinese; :param message_en: in English
    """

    genuine: bool
    reason: str = ""
    number: str | None = None
    instrument_id: str | None = None
    lab_id: str | None = None
    revision: int | None = None
    kid: str | None = None
    offline_state: str | None = None
    message_zh: str = ""
    message_en: str = ""
    result: str | None = None


def _validated(raw):
    try:
        return from_dict(raw)
    except CertificateDataError as exc:
        raise DomainValidationError({exc.field: [exc.problem]}) from None


_LOOPBACK = re.compile(r"(localhost|127(\.[0-9]{1,3}){3})(:[0-9]{1,5})?", re.I)


def public_base(host: str) -> str:
    """Scheme and host the QR URL points at, from the ``PUBLIC_HOST`` setting.

    An explicit ``http://`` or ``https://`` is kept. A bare loopback host (``127.0.0.1:5000``,
    ``localhost``: the demo and development servers, which have no TLS) gets ``http://``, so
    the URL in the QR code opens; any other bare host gets HTTPS.

    :param host: the ``PUBLIC_HOST`` setting, e.g. ``lims.example.org`` or ``127.0.0.1:5000``
    :returns: the host, prefixed with ``http://`` when it is a bare loopback host
    """
    return "http://" + host if _LOOPBACK.fullmatch(host) else host


def issue_documents(raw: dict[str, Any], host: str) -> Documents:
    """Validate a record, sign it with the active key and render the PDF and DCC XML.

    :param raw: the record as JSON-compatible data (``certificates.data.to_dict`` form)
    :param host: the public verification host for the QR URL (see :func:`public_base`)
    :returns: :class:`Documents`
    :raises DomainValidationError: naming the record field that the library refuses
    :raises Conflict: when there is no usable signing key
    :raises ServiceUnavailable: when the server has no CJK font to render with (HTTP 503)
    """
    data = _validated(raw)
    try:
        key = keys.signing_key()
    except KeyStoreError as exc:
        raise Conflict(f"cannot sign: {exc}") from None
    try:
        issued = issue(data, key, public_base(host))
    except MissingGlyphs as exc:
        raise DomainValidationError({exc.field: [str(exc).split(": ", 1)[-1]]}) from None
    except FontNotFound as exc:
        log.error("cannot render certificates: %s", exc)
        raise ServiceUnavailable(description=f"certificates cannot be rendered on this server: {exc}") from None
    return Documents(record=to_dict(data), content_hash=issued.content_hash, token=issued.token, url=issued.url,
                     key_id=key.kid, pdf=issued.pdf, pdf_sha256=issued.pdf_sha256, dcc_xml=issued.dcc_xml,
                     dcc_sha256=issued.dcc_sha256)


def integrity_problems(cert: "Certificate") -> list[str]:
    """Re-hash the stored record, PDF and DCC XML of a certificate.

    :param cert: a :class:`~lims.modules.issuance.models.Certificate`
    :returns: a list of problems, empty when everything matches the hashes stored at issue
    """
    problems = []
    for what, content, expected in (("pdf", cert.pdf, cert.pdf_sha256), ("dcc", cert.dcc_xml, cert.dcc_sha256)):
        try:
            check_stored(bytes(content), expected, what)
        except StoredBytesChanged as exc:
            problems.append(str(exc))
    try:
        if content_hash(from_dict(cert.record)) != cert.content_hash:
            problems.append("record: content does not match the SHA-256 stored at issue")
    except CertificateDataError as exc:
        problems.append(f"record: no longer a valid record ({exc})")
    return problems


def _verdict(verified, today):
    rec = verified.record
    status = offline_status(rec, today)
    return Verdict(genuine=True, number=rec.certificate_id, instrument_id=rec.instrument_id, lab_id=rec.lab_id,
                   revision=rec.revision, kid=verified.kid, offline_state=status.state,
                   message_zh=status.message_zh, message_en=status.message_en,
                   result=None if rec.result is ResultCode.CALIBRATED else rec.result.name.lower())


def verify_online(token: str, today: dt.date,
                  trusted: "Mapping[str, Ed25519PublicKey] | None" = None) -> Verdict:
    """Check a token against the keys this server publishes.

    :param token: token text from the URL (any case)
    :param today: date for the offline judgement
    :param trusted: the public keys (key id -> key); default: read from the key directory
    :returns: :class:`Verdict` (never raises for a bad token)
    """
    try:
        return _verdict(verify_token(token, keys.verification_keys() if trusted is None else trusted), today)
    except NotGenuine as exc:
        return Verdict(genuine=False, reason=exc.reason)


def verify_source(source: bytes | str, jwks_doc: Mapping[str, Any], today: dt.date) -> Verdict:
    """Verify a sticker photo, certificate page image, URL or token offline.

    :param source: image bytes, or URL/token text
    :param jwks_doc: the published JWK set
    :param today: the verifier's date
    :returns: :class:`Verdict`
    :raises QRDecodeError: when an image has no single readable QR code
    :raises KeySetError: when the key set is malformed
    """
    try:
        return _verdict(verify_offline(source, jwks_doc), today)
    except NotGenuine as exc:
        return Verdict(genuine=False, reason=exc.reason)


def sticker_sheet(certs: "Iterable[Certificate]") -> bytes:
    """Render the A4 sticker sheet(s) for stored certificates, in the given order.

    :param certs: certificates (their frozen records and URLs are used)
    :returns: PDF bytes
    """
    items = [sticker_for(from_dict(c.record), c.url) for c in certs]
    try:
        pdf, layout = render_sticker_sheet(items, day=dt.date.today())
    except MissingGlyphs as exc:
        raise Conflict(f"stickers cannot be printed: {exc}") from None
    except FontNotFound as exc:
        raise ServiceUnavailable(description=f"stickers cannot be rendered on this server: {exc}") from None
    log.info("sticker sheet: %d certificates, %d page(s)", len(items), layout.pages)
    return pdf


def dcc_problems(xml_bytes: bytes) -> list[str]:
    """Validate DCC XML against the bundled 3.3.0 schema.

    :param xml_bytes: the document
    :returns: the validator's messages, empty when valid
    """
    try:
        validate_dcc(xml_bytes)
    except DccInvalid as exc:
        return list(exc.errors)
    return []


def qr_rows(text: str) -> tuple[tuple[bool, ...], ...]:
    """The dark modules of a QR code of ``text`` (level M) as rows of booleans (pages draw it as SVG)."""
    from certificates.qr import qr_symbol  # the QR encoder only when a label is drawn

    return qr_symbol(text).rows


def qr_png(text: str, module: int = 4) -> bytes:
    """A QR code of ``text`` (level M) as PNG bytes (delivery notes, labels)."""
    from certificates.qr import qr_png as png  # the QR encoder only when a label is drawn

    return png(text, module=module)
