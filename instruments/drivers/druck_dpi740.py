"""Druck DPI 740 precision pressure indicator (legacy ASCII protocol, manual K0200 §6).

Command blocks are ``<start>ddss<cmd>[:CS]`` CR LF: start ``*`` (echoed round the
network) or ``#`` (no echo), ``dd`` destination and ``ss`` source address (two
digits), optional checksum ``CS`` = sum of the ASCII codes of every character up to
and including ``:``, modulo 100, as two digits.  Replies start with ``!`` and swap
the addresses: ``!ssdd PR = 1000.00`` (value in mbar unless the units were changed).
"""
from __future__ import annotations

import re

from ..errors import ConfigurationError, GarbledFrame, InstrumentReportedError
from ..reading import Reading, utc_now
from ..transport import LineSettings
from ..units import convert, linear_map
from .base import Driver, ascii_text, check_range, finite_number

_REPLY = re.compile(r"!(\d\d)(\d\d)([A-Z]{2})\s*=\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,3})?)(?::(\d\d))?")
_ERROR = re.compile(r"!(\d\d)(\d\d)(?:ER|ERR)\s*=?\s*(\d+)")


def checksum(block: str) -> str:
    """Get the two-digit DPI 740 block checksum of *block* (which ends with ``:``).

    :param block: characters from the start indicator to the ``:`` inclusive.
    :returns: two decimal digits.

    >>> checksum("#0099PR?:")
    '28'
    """
    return f"{sum(block.encode('ascii')) % 100:02d}"


def parse_reply(frame: bytes, command: str, unit: str = "kPa", use_checksum: bool = False) -> Reading:
    """Measure: get the pressure in a ``!ssddPR = value`` reply.

    :param frame: reply without CR LF.
    :param command: expected two-letter command (``PR``).
    :param unit: ``kPa`` or ``mmHg``; the reply is in mbar and converted.
    :param use_checksum: require and verify a ``:CS`` checksum.
    :returns: reading with ``stable=None`` (the protocol has no stability flag).
    :raises GarbledFrame: layout, command or checksum wrong.
    :raises InstrumentReportedError: an ``ER`` reply.

    >>> parse_reply(b"!9900PR = 1013.25", "PR").value
    101.325
    """
    text = ascii_text(frame).strip()
    err = _ERROR.fullmatch(text)
    if err:
        raise InstrumentReportedError(f"DPI 740 error {err.group(3)}", frame, err.group(3))
    match = _REPLY.fullmatch(text)
    if not match:
        raise GarbledFrame("DPI 740 reply is not '!ssddXX = value'", frame)
    if match.group(3) != command:
        raise GarbledFrame(f"DPI 740 reply to {command} carries {match.group(3)}", frame)
    if use_checksum:
        if match.group(5) is None:
            raise GarbledFrame("DPI 740 reply has no checksum", frame)
        if checksum(text[:text.rindex(":") + 1]) != match.group(5):
            raise GarbledFrame("DPI 740 reply checksum mismatch", frame)
    value = round(convert(finite_number(match.group(4), frame), "mbar", unit), 9)
    return Reading(value, unit, None, utc_now(), frame)


class DruckDpi740(Driver):
    """Druck DPI 740 precision pressure indicator.

    Assumed line settings (see docs/instruments.md): 9600 baud, 8N1, no handshake,
    CR LF both ways.  Readings are reported in kPa or mmHg.

    :param transport: open transport.
    :param unit: ``kPa`` (default) or ``mmHg``.
    :param address: instrument address 0–99 (99 is the global address).
    :param host_address: our address 0–99.
    :param use_checksum: append and verify block checksums.
    :param full_scale: kPa; readings beyond ±full scale raise :class:`~instruments.errors.Overload`/
        :class:`~instruments.errors.Underload` (the protocol has no over-range flag).  Default 115 kPa,
        the DPI 740's 1150 mbar sensor limit; None disables the check.
    """

    kind = "dpi740"
    title = "Druck DPI 740 pressure indicator"
    settings = LineSettings(9600, 8, "N", 1, "none", b"\r\n", b"\r\n", timeout=2.0, max_frame=64)
    stability_band = 0.01

    def __init__(self, transport, unit: str = "kPa", address: int = 1, host_address: int = 0,
                 use_checksum: bool = False, full_scale: float | None = 115.0):
        super().__init__(transport)
        if full_scale is not None and (isinstance(full_scale, bool) or not isinstance(full_scale, (int, float))
                                       or not 0 < full_scale < 1e6):
            raise ConfigurationError(f"full_scale: must be None or a number of kPa > 0, got {full_scale!r}")
        if unit not in ("kPa", "mmHg"):
            raise ConfigurationError(f"unit: must be 'kPa' or 'mmHg', got {unit!r}")
        for name, val in (("address", address), ("host_address", host_address)):
            if not isinstance(val, int) or not 0 <= val <= 99:
                raise ConfigurationError(f"{name}: must be an integer 0..99, got {val!r}")
        self.unit, self.address, self.host_address, self.use_checksum = unit, address, host_address, use_checksum
        limit = None if full_scale is None else round(convert(float(full_scale), "kPa", unit), 9)
        self.limits = None if limit is None else (-limit, limit)
        linear_map("mbar", unit)  # compute the factor now, not during the first timed read

    def _block(self, command: str) -> bytes:
        block = f"#{self.address:02d}{self.host_address:02d}{command}"
        if self.use_checksum:
            block += ":" + checksum(block + ":")
        return block.encode("ascii")

    def read(self) -> Reading:
        """Measure the pressure (``PR?``) in the configured unit."""
        reading = parse_reply(self.transport.query(self._block("PR?")), "PR", self.unit, self.use_checksum)
        return check_range(reading, self.limits, "DPI 740")

    def start_stream(self) -> None:
        """Control: enable automatic sending of every conversion (``PA=1``)."""
        self.transport.write(self._block("PA=1"))

    def read_streamed(self) -> Reading:
        """Measure the next automatically sent reading."""
        reading = parse_reply(self.transport.read_frame(), "PR", self.unit, self.use_checksum)
        return check_range(reading, self.limits, "DPI 740")

    def stop_stream(self) -> None:
        """Control: disable automatic sending (``PA=0``) and drop what is in flight."""
        self.transport.write(self._block("PA=0"))
        self.transport.discard_input()
