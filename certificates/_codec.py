"""Generic, strict conversion between the frozen record classes and plain JSON-compatible data.

Driven by the dataclass type hints, so adding a field to a record class needs no change
here. Supported field types: ``str``, ``int``, ``bool``, ``date``, ``Enum`` subclasses,
nested dataclasses, ``tuple[X, ...]`` and ``X | None`` of those.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import types
import typing
from enum import Enum

from ._checks import CertificateDataError


@functools.cache
def _hints(cls: type) -> dict:
    return typing.get_type_hints(cls)


def to_dict(obj) -> dict:
    """Convert a record dataclass to a dict of plain values.

    :param obj: a dataclass instance
    :returns: dict with dates as ISO strings, enums as their values, tuples as lists
    """
    return {f.name: _dump(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def _dump(value):
    if dataclasses.is_dataclass(value):
        return to_dict(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_dump(v) for v in value]
    return value


def from_dict(cls: type, raw, path: str):
    """Build a record dataclass from plain data, naming the key of any problem.

    :param cls: the dataclass to build
    :param raw: a mapping of field name to plain value
    :param path: path of ``raw`` inside the whole record, for error messages
    :returns: an instance of ``cls``
    :raises CertificateDataError: on a missing, unknown or invalid key
    """
    if not isinstance(raw, dict):
        raise CertificateDataError(path or cls.__name__, f"must be a mapping, got {type(raw).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields), key=str)
    if unknown:
        raise CertificateDataError(_join(path, str(unknown[0])), "unknown key")
    kwargs = {}
    for name, field in fields.items():
        if name not in raw:
            if field.default is dataclasses.MISSING:
                raise CertificateDataError(_join(path, name), "is required")
            continue
        kwargs[name] = _load(_hints(cls)[name], raw[name], _join(path, name))
    try:
        return cls(**kwargs)
    except CertificateDataError as exc:
        raise exc.prefixed(path) from None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _load(hint, value, path: str):
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _load(inner, value, path)
    if origin is tuple:
        if not isinstance(value, list):
            raise CertificateDataError(path, f"must be a list, got {type(value).__name__}")
        inner = typing.get_args(hint)[0]
        return tuple(_load(inner, v, f"{path}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(hint):
        return from_dict(typing.cast(type, hint), value, path)
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError:
            allowed = ", ".join(m.value for m in hint)
            raise CertificateDataError(path, f"must be one of {allowed}, got {value!r}") from None
    if hint is _dt.date:
        return _load_date(value, path)
    return value  # str/int/bool: the class's own validation checks the type


def _load_date(value, path: str) -> _dt.date:
    if not isinstance(value, str):
        raise CertificateDataError(path, f"must be an ISO date string 'YYYY-MM-DD', got {type(value).__name__}")
    try:
        if len(value) != 10:
            raise ValueError
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise CertificateDataError(path, f"is not a date 'YYYY-MM-DD': {value!r}") from None
