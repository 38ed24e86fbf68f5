"""SCPI instruments over RS-232: DMMs (Keysight/HP 34401A) and calibrators.

Every command ends LF; replies end LF (a CR before it is stripped).  The instrument
must be put in remote (``SYST:REM``) first.  Numeric replies look like
``+9.99987000E+00``; ``+9.90000000E+37`` means overload.  Errors are read with
``SYST:ERR?`` → ``-113,"Undefined header"``; ``+0,"No error"`` ends the queue.
"""
from __future__ import annotations

import re

from ..errors import ConfigurationError, GarbledFrame, InstrumentReportedError, InstrumentTimeout, Overload
from ..reading import Reading, utc_now
from ..transport import LineSettings
from .base import Driver, ascii_text, finite_number

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?")
_ERROR = re.compile(r'([+-]?\d+),"([^"]*)"')
#: MEAS function -> normalised unit
FUNCTIONS = {"VOLT:DC": "V", "VOLT:AC": "V", "CURR:DC": "A", "CURR:AC": "A", "RES": "Ω", "FRES": "Ω",
             "FREQ": "Hz"}
OVERLOAD = 9.9e37


def strip_cr(frame: bytes) -> bytes:
    """Get *frame* without the CR of a CR LF line end (RS-232 SCPI instruments may send either).

    :param frame: frame as split on LF.
    :returns: the frame without its terminator, as every driver's ``raw``.
    """
    return frame[:-1] if frame.endswith(b"\r") else frame


def _reply_text(frame: bytes) -> str:
    """Decode a reply (already without its line end)."""
    return ascii_text(frame).strip()


def parse_number(frame: bytes, unit: str) -> Reading:
    """Measure: get the value of a SCPI numeric reply.

    :param frame: reply without LF (the CR of a CR LF is stripped, also from ``raw``).
    :param unit: unit of the function that was measured.
    :returns: reading with ``stable=None``.
    :raises GarbledFrame: not a number.
    :raises Overload: the ``9.9E+37`` overload value.

    >>> parse_number(b"+9.99987000E+00", "V").value
    9.99987
    """
    frame = strip_cr(frame)
    text = _reply_text(frame)
    if not _NUMBER.fullmatch(text):
        raise GarbledFrame(f"SCPI reply {text[:40]!r} is not a number", frame)
    value = finite_number(text, frame)
    if abs(value) >= OVERLOAD:
        raise Overload("SCPI overload (9.9E+37)", frame)
    return Reading(value, unit, None, utc_now(), frame)


def parse_error(frame: bytes) -> tuple[int, str]:
    """Get ``(code, message)`` of a ``SYST:ERR?`` reply.

    :param frame: reply without LF.
    :returns: code (0 = no error) and message.
    :raises GarbledFrame: not ``<code>,"<message>"``.
    """
    frame = strip_cr(frame)
    text = _reply_text(frame)
    match = _ERROR.fullmatch(text)
    if not match:
        raise GarbledFrame("SCPI error reply is not '<code>,\"<message>\"'", frame)
    return int(match.group(1)), match.group(2)


class ScpiMeter(Driver):
    """SCPI DMM or calibrator on RS-232 (34401A factory settings: 9600 baud, 8N2, DTR/DSR, LF).

    :param transport: open transport.
    :param function: default ``MEAS`` function used by :meth:`read` (key of :data:`FUNCTIONS`).
    """

    kind = "scpi"
    title = "SCPI DMM / calibrator (34401A style)"
    settings = LineSettings(9600, 8, "N", 2, "dsrdtr", b"\n", b"\n", timeout=3.0, max_frame=256)
    stability_band = 1e-4

    def __init__(self, transport, function: str = "VOLT:DC"):
        super().__init__(transport)
        if function not in FUNCTIONS:
            raise ConfigurationError(f"function: must be one of {', '.join(FUNCTIONS)}, got {function!r}")
        self.function = function

    def identify(self) -> str:
        """Get the ``*IDN?`` string (maker,model,serial,firmware)."""
        return _reply_text(strip_cr(self.transport.query(b"*IDN?")))

    def remote(self) -> None:
        """Control: enter remote mode (``SYST:REM``)."""
        self.transport.write(b"SYST:REM")

    def local(self) -> None:
        """Control: return to local mode (``SYST:LOC``)."""
        self.transport.write(b"SYST:LOC")

    def next_error(self) -> tuple[int, str]:
        """Get the oldest error of the queue (``SYST:ERR?``); code 0 means none."""
        return parse_error(self.transport.query(b"SYST:ERR?"))

    def measure(self, function: str | None = None) -> Reading:
        """Measure with ``MEAS:<function>?``; on timeout, the error queue is read and raised.

        :param function: key of :data:`FUNCTIONS`; default the driver's function.
        :returns: reading.
        :raises InstrumentReportedError: the instrument rejected the command.
        :raises InstrumentTimeout: no reply and no error queued.
        """
        function = function or self.function
        if function not in FUNCTIONS:
            raise ConfigurationError(f"function: must be one of {', '.join(FUNCTIONS)}, got {function!r}")
        try:
            frame = self.transport.query(f"MEAS:{function}?".encode("ascii"))
        except InstrumentTimeout:
            code, message = self.next_error()
            if code:
                raise InstrumentReportedError(f"SCPI error {code}: {message}", None, str(code)) from None
            raise
        return parse_number(frame, FUNCTIONS[function])

    def read(self) -> Reading:
        """Measure the default function."""
        return self.measure()
