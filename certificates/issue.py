"""Issue certificates: record → signed token → PDF + DCC XML + sticker, with stored hashes.

This is the one call ``lims`` makes when a certificate is issued. It returns bytes and
hashes; storing them (and never changing them) is the caller's job. :func:`check_stored`
recomputes a hash so any change of stored bytes is detected. :func:`issue_batch` issues
many certificates on all cores (signing stays in the calling process; the private key is
never sent to the workers) and renders the sticker sheets in the same workers, so each
QR symbol is encoded once.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from .data import CertificateData, DocumentKind, content_hash
from .dcc import render_dcc
from .labels import CONFORMITY
from .pdf import render_pdf
from .qr import verification_url
from .signing import SigningKey, encode_token, sign_record
from .stickers import COLUMNS, ROWS, StickerItem, render_sticker_sheet
from .token import record_for

__all__ = ["IssuedCertificate", "IntegrityError", "issue", "issue_batch", "sticker_for", "check_stored", "sha256"]

log = logging.getLogger(__name__)
SHEET_SIZE = COLUMNS * ROWS


class IntegrityError(Exception):
    """Stored bytes no longer match the hash recorded at issue."""


@dataclass(frozen=True)
class IssuedCertificate:
    """Everything produced when a certificate is issued.

    :param number: certificate number
    :param content_hash: SHA-256 (hex) of the canonical record
    :param token: Base32 token text; :param url: QR content ``HTTPS://HOST/V/TOKEN``
    :param pdf: PDF bytes; :param pdf_sha256: their SHA-256 (hex)
    :param dcc_xml: DCC 3.3.0 XML bytes; :param dcc_sha256: their SHA-256 (hex)
    :param sticker: the verification mark for the sticker sheet
    """

    number: str
    content_hash: str
    token: str
    url: str
    pdf: bytes
    pdf_sha256: str
    dcc_xml: bytes
    dcc_sha256: str
    sticker: StickerItem


def sha256(content: bytes) -> str:
    """Hash bytes.

    :param content: the bytes
    :returns: SHA-256 as lower-case hex
    """
    return hashlib.sha256(content).hexdigest()


def check_stored(content: bytes, expected_sha256: str, what: str = "document") -> None:
    """Check stored bytes against the hash recorded at issue.

    :param content: the stored bytes (PDF, XML or canonical record)
    :param expected_sha256: hex SHA-256 stored at issue
    :param what: name used in the error
    :raises IntegrityError: when they differ
    """
    if not hmac.compare_digest(sha256(content), expected_sha256.lower()):
        raise IntegrityError(f"{what}: content does not match the SHA-256 stored at issue")


def sticker_for(data: CertificateData, url: str, lab_name: str | None = None) -> StickerItem:
    """Build the sticker of a certificate.

    :param data: the certificate record
    :param url: its QR content
    :param lab_name: short lab name for the label (default: the lab's Chinese name)
    :returns: the sticker item
    :raises CertificateDataError: when the lab or instrument name is too long for a label
        (names are never cut; pass a short ``lab_name``)
    """
    zh, en = CONFORMITY[data.conformity] if data.conformity else ("已校准", "Calibrated")
    due = data.due_date if data.kind is DocumentKind.VERIFICATION or data.due_date_agreed else None
    result = f"{zh} {en}" if len(zh) + len(en) < 12 else zh
    return StickerItem(qr_text=url, certificate_number=data.number, lab_name=lab_name or data.lab.name,
                       result=result, due_date=due, instrument=data.instrument.name)


def _sign(data: CertificateData, key: SigningKey, host: str) -> tuple[str, str]:
    token = encode_token(sign_record(record_for(data), key))
    return token, verification_url(host, token)


def _render(data: CertificateData, token: str, url: str, lab_name: str | None = None) -> IssuedCertificate:
    pdf = render_pdf(data, url)
    xml = render_dcc(data)
    return IssuedCertificate(number=data.number, content_hash=content_hash(data), token=token, url=url, pdf=pdf,
                             pdf_sha256=sha256(pdf), dcc_xml=xml, dcc_sha256=sha256(xml),
                             sticker=sticker_for(data, url, lab_name))


def issue(data: CertificateData, key: SigningKey, host: str,
          sticker_lab_name: str | None = None) -> IssuedCertificate:
    """Issue one certificate.

    :param data: the frozen record
    :param key: the active signing key
    :param host: verification host for the QR URL
    :param sticker_lab_name: short lab name for the sticker (default: the lab's name)
    :returns: the documents and their hashes
    """
    token, url = _sign(data, key, host)
    return _render(data, token, url, sticker_lab_name)


def _render_chunk(jobs: list[tuple]) -> tuple[list[IssuedCertificate], bytes]:
    issued = [_render(*job) for job in jobs]
    sheet, _ = render_sticker_sheet([i.sticker for i in issued], day=jobs[0][0].issue_date)
    return issued, sheet


def issue_batch(records: list[CertificateData], key: SigningKey, host: str, workers: int | None = None,
                mp_context=None, sticker_lab_name: str | None = None,
                ) -> tuple[list[IssuedCertificate], list[bytes]]:
    """Issue many certificates on all cores, with one A4 sticker sheet per 21 certificates.

    Meant for a command or background job. The default start method (fork on Linux) starts
    workers fastest and does not re-import the caller's main module; from a threaded server
    pass ``workers=1`` or a ``multiprocessing.get_context("forkserver")`` (whose workers
    import the main module, which then needs an ``if __name__ == "__main__"`` guard).

    :param records: the records, in order
    :param key: the active signing key (used in this process only)
    :param host: verification host for the QR URLs
    :param workers: worker processes (default: the number of CPUs; 1 = no subprocesses)
    :param mp_context: multiprocessing context for the workers (default: the platform's)
    :param sticker_lab_name: short lab name for the stickers (default: the lab's name)
    :returns: the issued certificates in input order, and the sticker sheet PDFs in order
    """
    jobs = [(d, *_sign(d, key, host), sticker_lab_name) for d in records]
    chunks = [jobs[i:i + SHEET_SIZE] for i in range(0, len(jobs), SHEET_SIZE)]
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(chunks) == 1:
        results = [_render_chunk(c) for c in chunks]
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=mp_context) as pool:
            results = list(pool.map(_render_chunk, chunks))
    log.info("issued %d certificates in %d sticker sheets", len(jobs), len(chunks))
    return [i for issued, _ in results for i in issued], [sheet for _, sheet in results]
