"""Fluke/Hart precision thermometer readouts (1502A/1504 "Tweener", 1521/1522, 1529 style).

``T`` (1502A/1504) or ``t``/``read?`` (1521) answers ``t: 25.587 C`` optionally followed
by a time and date; the unit letter is ``C``, ``F``, ``K`` or ``O`` (ohms).
``FETC?`` answers the number only.  Commands are case-insensitive and end CR; replies end
CR LF.  Readings are normalised to °C (resistance stays in Ω).
"""
from __future__ import annotations

import re

from ..errors import GarbledFrame, InstrumentReportedError
from ..reading import Reading, utc_now
from ..transport import LineSettings
from ..units import normalise
from .base import Driver, ascii_text, check_range, finite_number, measuring_range

_REPLY = re.compile(r"t\s*:\s*([+-]?(?:\d+\.?\d*|\.\d+))\s+([CFKO])(?:\s+[\d:/ -]+)?", re.IGNORECASE)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?")


def parse_reading(frame: bytes) -> Reading:
    """Measure: get the temperature in a ``t: 25.587 C [time date]`` reply.

    :param frame: reply without CR LF.
    :returns: reading in °C (or Ω), ``stable=None`` (no stability flag in the protocol).
    :raises GarbledFrame: not a temperature reply.
    :raises InstrumentReportedError: an ``Error`` reply.

    >>> parse_reading(b"t: 125.745 C 03-01-1999 15:49:15").value
    125.745
    """
    text = ascii_text(frame).strip()
    if text.lower().startswith("err"):
        raise InstrumentReportedError(f"thermometer readout: {text}", frame, text)
    match = _REPLY.fullmatch(text)
    if not match:
        raise GarbledFrame("thermometer reply is not 't: <value> <C|F|K|O>'", frame)
    unit = match.group(2).upper()
    value, unit = normalise(finite_number(match.group(1), frame), unit)
    return Reading(round(value, 9), unit, None, utc_now(), frame)


class FlukeThermometer(Driver):
    """Fluke/Hart 1502A/1504 thermometer readout (1521/1529 answer the same ``T`` reply).

    Line settings: 9600 baud, 8N1, no handshake, commands end CR, replies CR LF
    (the 1521/1522 are fixed at 2400 baud: pass other settings to ``open_transport``).

    :param transport: open transport.
    :param temperature_range: ``(low, high)`` in °C; temperatures outside raise
        :class:`~instruments.errors.Overload`/:class:`~instruments.errors.Underload` (the protocol
        has no over-range flag).  Default −200…962 °C, the 1502A's PRT range; None disables it.
    """

    kind = "fluke1502"
    title = "Fluke/Hart 1502A/1504 thermometer readout"
    settings = LineSettings(9600, 8, "N", 1, "none", b"\r", b"\r\n", timeout=2.0, max_frame=96)
    stability_band = 0.005

    def __init__(self, transport, temperature_range: tuple[float, float] | None = (-200.0, 962.0)):
        super().__init__(transport)
        self.temperature_range = measuring_range(temperature_range, "temperature_range")

    def _checked(self, frame: bytes) -> Reading:
        reading = parse_reading(frame)
        return check_range(reading, self.temperature_range if reading.unit == "°C" else None, "thermometer")

    def read(self) -> Reading:
        """Measure the current temperature (``T``)."""
        return self._checked(self.transport.query(b"T"))

    def identify(self) -> str:
        """Get the identification string (``*IDN?``)."""
        return ascii_text(self.transport.query(b"*IDN?")).strip()

    def start_stream(self) -> None:
        """Control: auto-send a reading every second (``SA=1``)."""
        self.transport.write(b"SA=1")

    def read_streamed(self) -> Reading:
        """Measure the next auto-sent reading."""
        return self._checked(self.transport.read_frame())

    def stop_stream(self) -> None:
        """Control: stop auto-send (``SA=0``) and drop what is in flight."""
        self.transport.write(b"SA=0")
        self.transport.discard_input()
