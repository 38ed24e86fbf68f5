"""Small validators shared by the certificate data classes.

Every check raises :class:`CertificateDataError` naming the field and the problem,
so the message can be shown to a user unchanged.
"""
from __future__ import annotations

import datetime as _dt
import re
from enum import Enum

_DECIMAL = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
MAX_TEXT = 1000


class CertificateDataError(ValueError):
    """A certificate record field is missing or invalid.

    :param field: dotted path of the offending field (``results[2].measured``)
    :param problem: human-readable description of what is wrong
    """

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")

    def prefixed(self, prefix: str) -> CertificateDataError:
        """Return a copy whose field path is prefixed (used while parsing nested dicts).

        :param prefix: path of the containing object, e.g. ``results[2]``
        :returns: a new error with ``prefix.field``
        """
        return CertificateDataError(f"{prefix}.{self.field}" if prefix else self.field, self.problem)


def text(field: str, value, *, required: bool = True, max_len: int = MAX_TEXT, multiline: bool = False):
    """Check a text field.

    :param field: field name used in the error
    :param value: the value to check
    :param required: whether an empty or missing value is an error
    :param max_len: maximum number of characters
    :param multiline: allow line feeds
    :raises CertificateDataError: when the value is not acceptable text
    """
    if value is None:
        if required:
            raise CertificateDataError(field, "is required")
        return
    if not isinstance(value, str):
        raise CertificateDataError(field, f"must be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise CertificateDataError(field, "must not be empty")
    if value != value.strip():
        raise CertificateDataError(field, "has leading or trailing whitespace")
    if len(value) > max_len:
        raise CertificateDataError(field, f"is longer than {max_len} characters")
    bad = _CONTROL.search(value) or (not multiline and "\n" in value)
    if bad:
        raise CertificateDataError(field, "contains control characters or line breaks")


def decimal(field: str, value, *, required: bool = True, non_negative: bool = False):
    """Check a decimal number given as a string (already rounded by the caller).

    :param field: field name used in the error
    :param value: the string, e.g. ``"-0.005"`` or ``"1.20"``
    :param required: whether ``None`` is an error
    :param non_negative: reject a leading minus sign
    :raises CertificateDataError: when the value is not a plain finite decimal string
    """
    if value is None:
        if required:
            raise CertificateDataError(field, "is required")
        return
    if not isinstance(value, str):
        raise CertificateDataError(field, f"must be a decimal string such as '1.20', got {type(value).__name__}")
    if not _DECIMAL.fullmatch(value):
        raise CertificateDataError(field, f"is not a decimal number: {value!r}")
    if non_negative and value.startswith("-"):
        raise CertificateDataError(field, f"must not be negative: {value!r}")


def date(field: str, value, *, required: bool = True):
    """Check a calendar date (``datetime.date``, not ``datetime.datetime``).

    :param field: field name used in the error
    :param value: the value to check
    :param required: whether ``None`` is an error
    :raises CertificateDataError: when the value is not a date
    """
    if value is None:
        if required:
            raise CertificateDataError(field, "is required")
        return
    if isinstance(value, _dt.datetime) or not isinstance(value, _dt.date):
        raise CertificateDataError(field, f"must be a date, got {type(value).__name__}")


def enum(field: str, value, enum_type: type[Enum], *, required: bool = True):
    """Check an enum member.

    :param field: field name used in the error
    :param value: the value to check
    :param enum_type: the expected enum class
    :param required: whether ``None`` is an error
    :raises CertificateDataError: when the value is not a member
    """
    if value is None:
        if required:
            raise CertificateDataError(field, "is required")
        return
    if not isinstance(value, enum_type):
        allowed = ", ".join(m.value for m in enum_type)
        raise CertificateDataError(field, f"must be one of {allowed}, got {value!r}")


def items(field: str, value, item_type: type, *, min_len: int = 0, max_len: int = 500):
    """Check a tuple of dataclass instances.

    :param field: field name used in the error
    :param value: the tuple
    :param item_type: the class every element must be an instance of
    :param min_len: minimum number of elements
    :param max_len: maximum number of elements
    :raises CertificateDataError: when it is not a tuple of the right objects
    """
    if not isinstance(value, tuple):
        raise CertificateDataError(field, f"must be a tuple, got {type(value).__name__}")
    if len(value) < min_len:
        raise CertificateDataError(field, f"needs at least {min_len} entr{'y' if min_len == 1 else 'ies'}")
    if len(value) > max_len:
        raise CertificateDataError(field, f"has more than {max_len} entries")
    for i, item in enumerate(value):
        if not isinstance(item, item_type):
            raise CertificateDataError(f"{field}[{i}]", f"must be a {item_type.__name__}, got {type(item).__name__}")


def instance(field: str, value, cls: type, *, required: bool = True):
    """Check that a nested object has the right class.

    :param field: field name used in the error
    :param value: the value to check
    :param cls: the expected class
    :param required: whether ``None`` is an error
    :raises CertificateDataError: on a wrong type
    """
    if value is None and not required:
        return
    if not isinstance(value, cls):
        raise CertificateDataError(field, f"must be a {cls.__name__}, got {type(value).__name__}")
