"""The compact record signed into the QR token, and its CBOR encoding.

The record is a CBOR map with small integer keys (see ``docs/qr-format.md``)::

    1: certificate number (text)      2: instrument id (text)
    3: result code (uint, absent = calibration without conformity statement)
    4: date of the work (tag 100)     5: due date (tag 100, only when allowed)
    6: lab id (text)                  7: revision (uint, 0 = original)

Dates are RFC 8943 tag 100 (days since 1970-01-01). The map is encoded in CBOR core
deterministic form (RFC 8949 §4.2), and a decoder rejects any other encoding, so one
record has exactly one byte string.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from enum import Enum

import cbor2

from .data import CertificateData, Conformity, DocumentKind

__all__ = ["ResultCode", "TokenRecord", "MalformedRecord", "record_for", "encode_record", "decode_record"]

_EPOCH = _dt.date(1970, 1, 1)
_MAX_TEXT = 64


class ResultCode(Enum):
    """Result signed into the token; the numbers are the wire codes (DCC conformity order)."""

    PASS = 0
    FAIL = 1
    CONDITIONAL_PASS = 2
    CONDITIONAL_FAIL = 3
    CALIBRATED = None  #: no statement of conformity; key 3 is left out


_FROM_CONFORMITY = {
    None: ResultCode.CALIBRATED,
    Conformity.PASS: ResultCode.PASS,
    Conformity.FAIL: ResultCode.FAIL,
    Conformity.CONDITIONAL_PASS: ResultCode.CONDITIONAL_PASS,
    Conformity.CONDITIONAL_FAIL: ResultCode.CONDITIONAL_FAIL,
}


class MalformedRecord(ValueError):
    """The bytes are not a record in the format above."""


@dataclass(frozen=True)
class TokenRecord:
    """What the QR token says about a certificate, as signed.

    :param certificate_id: certificate number
    :param instrument_id: the lab's identifier of the instrument
    :param result: result code
    :param date: date of the verification or calibration (last day)
    :param due_date: valid-until / recalibration date, ``None`` when not allowed or not agreed
    :param lab_id: issuing laboratory code
    :param revision: 0 for an original certificate, n for the n-th replacement
    """

    certificate_id: str
    instrument_id: str
    result: ResultCode
    date: _dt.date
    due_date: _dt.date | None
    lab_id: str
    revision: int


def record_for(data: CertificateData) -> TokenRecord:
    """Derive the signed compact record from a certificate record.

    The due date goes in only where the certificate itself shows it (a verification
    certificate, or a calibration certificate with an agreed due date).

    :param data: the certificate record
    :returns: the compact record
    """
    due = data.due_date
    if data.kind is DocumentKind.VERIFICATION_NOTICE or (data.kind is DocumentKind.CALIBRATION
                                                         and not data.due_date_agreed):
        due = None
    return TokenRecord(
        certificate_id=data.number,
        instrument_id=data.instrument.instrument_id,
        result=_FROM_CONFORMITY[data.conformity],
        date=data.performed_end_date or data.performed_date,
        due_date=due,
        lab_id=data.lab.lab_id,
        revision=data.revision,
    )


def _day(d: _dt.date) -> cbor2.CBORTag:
    return cbor2.CBORTag(100, (d - _EPOCH).days)


def encode_record(record: TokenRecord) -> bytes:
    """Encode a record as deterministic CBOR.

    :param record: the compact record
    :returns: CBOR bytes
    :raises ValueError: when a text field is empty or longer than 64 characters
    """
    for name in ("certificate_id", "instrument_id", "lab_id"):
        value = getattr(record, name)
        if not isinstance(value, str) or not 0 < len(value) <= _MAX_TEXT:
            raise ValueError(f"{name}: must be text of 1 to {_MAX_TEXT} characters")
    m = {1: record.certificate_id, 2: record.instrument_id, 4: _day(record.date), 6: record.lab_id,
         7: record.revision}
    if record.result is not ResultCode.CALIBRATED:
        m[3] = record.result.value
    if record.due_date is not None:
        m[5] = _day(record.due_date)
    return cbor2.dumps(m, canonical=True)


def decode_record(payload: bytes) -> TokenRecord:
    """Decode and strictly check a CBOR record.

    :param payload: bytes produced by :func:`encode_record`
    :returns: the record
    :raises MalformedRecord: on anything that :func:`encode_record` would not have produced
    """
    try:
        m = cbor2.loads(payload)
    except Exception as exc:  # untrusted bytes: every decoder failure means "malformed"
        raise MalformedRecord(f"record is not CBOR: {exc}") from None
    if not isinstance(m, dict) or not set(m) <= {1, 2, 3, 4, 5, 6, 7} or not {1, 2, 4, 6, 7} <= set(m):
        raise MalformedRecord("record map has missing or unknown keys")
    try:
        record = TokenRecord(
            certificate_id=_text(m[1]), instrument_id=_text(m[2]),
            result=ResultCode(m[3]) if 3 in m and m[3] is not None else _absent(m),
            date=_date(m[4]), due_date=_date(m[5]) if 5 in m else None,
            lab_id=_text(m[6]), revision=_uint(m[7]),
        )
        canonical = encode_record(record)
    except (ValueError, TypeError) as exc:
        raise MalformedRecord(f"record field is invalid: {exc}") from None
    if canonical != payload:
        raise MalformedRecord("record is not in deterministic CBOR encoding")
    return record


def _absent(m: dict) -> ResultCode:
    if 3 in m:
        raise ValueError("result code must not be null")
    return ResultCode.CALIBRATED


def _text(value) -> str:
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value


def _uint(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TypeError("expected unsigned integer")
    return value


def _date(value) -> _dt.date:
    if isinstance(value, _dt.datetime) or not isinstance(value, _dt.date):
        raise TypeError("expected tag-100 date")
    return value
