"""The :class:`Reading` value object returned by every driver."""
from __future__ import annotations

import dataclasses
import datetime as _dt


def utc_now() -> _dt.datetime:
    """Get the current time as a timezone-aware UTC datetime.

    :returns: ``datetime`` in UTC.
    """
    return _dt.datetime.now(_dt.UTC)


@dataclasses.dataclass(frozen=True, slots=True)
class Reading:
    """One reading received from an instrument.

    :param value: numeric value, already converted to :attr:`unit`.
    :param unit: normalised unit symbol (``g``, ``kg``, ``kPa``, ``mmHg``, ``°C``, ``V``...).
    :param stable: the instrument's own stability flag; ``None`` when the protocol has none.
    :param timestamp: reception time (UTC, timezone-aware).
    :param raw: the raw frame as received, without terminator.
    """

    value: float
    unit: str
    stable: bool | None
    timestamp: _dt.datetime
    raw: bytes

    def to_dict(self) -> dict:
        """Get a JSON-serialisable dict (``raw`` as ASCII with backslash escapes).

        :returns: dict with keys value, unit, stable, timestamp, raw.
        """
        return {
            "value": self.value,
            "unit": self.unit,
            "stable": self.stable,
            "timestamp": self.timestamp.isoformat(),
            "raw": self.raw.decode("ascii", "backslashreplace"),
        }
