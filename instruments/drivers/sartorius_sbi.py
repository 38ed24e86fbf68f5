"""Sartorius SBI protocol (balances and indicators with the Sartorius Balance Interface).

Commands are ``ESC`` + letter; the print command ``ESC P`` answers a 16-character
frame (``+   123.56 g  `` CR LF: sign, space, 8-character value, space, 3-character
unit) or a 22-character frame with a 6-character identifier in front.  The unit
field is blank while the balance is unstable.  Overload/underload print ``H``/``L``
in the value field, errors print ``Err ###``, and busy states print ``Stat``.
"""
from __future__ import annotations

import re

from ..errors import ConfigurationError, GarbledFrame, InstrumentReportedError, NotExecutable, Overload, Underload
from ..reading import Reading, utc_now
from ..transport import LineSettings
from ..units import _UNITS, normalise
from .base import Driver, ascii_text, finite_number

ESC = b"\x1b"
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)")
_MASS_UNITS = frozenset(u for u, (_, dst) in _UNITS.items() if dst in ("g", "kg"))
_OVER = frozenset({"H", "HH", "HIGH"})
_UNDER = frozenset({"L", "LL", "LOW"})
_ERR = re.compile(r"Err\s*(\d{1,4})")


def _specials(text: str, frame: bytes) -> None:
    """Raise the typed error for ``Err ###``, ``Stat`` (also after a 6-character id), ``H`` and ``L`` frames."""
    body = text.strip()
    match = _ERR.search(body)
    if match:
        raise InstrumentReportedError(f"Sartorius error {match.group(1)}", frame, match.group(1))
    if body.startswith("Stat") or text[6:].lstrip().startswith("Stat"):
        raise NotExecutable(f"Sartorius status output {body!r}: no weight available", frame)
    value_field = text[-14:][2:10].strip().upper() if len(text) >= 14 else ""
    if value_field in _OVER:
        raise Overload("Sartorius H: above range", frame)
    if value_field in _UNDER:
        raise Underload("Sartorius L: below range", frame)


def parse_frame(frame: bytes, unit_when_unstable: str = "g") -> Reading:
    """Measure: get the reading in a 16- or 22-character SBI print frame.

    :param frame: the frame without CR LF (14 or 20 characters).
    :param unit_when_unstable: unit to report when the unit field is blank (unstable).
    :returns: reading; ``stable`` is False exactly when the unit field is blank.
    :raises GarbledFrame: wrong length or field layout.
    :raises Overload: ``H`` in the value field.
    :raises Underload: ``L`` in the value field.
    :raises InstrumentReportedError: ``Err ###``.
    :raises NotExecutable: ``Stat`` output.

    >>> parse_frame(b"+   123.56 g  ").value
    123.56
    """
    text = ascii_text(frame)
    _specials(text, frame)
    if len(text) not in (14, 20):
        raise GarbledFrame(f"SBI frame has {len(text) + 2} characters, expected 16 or 22", frame)
    body = text[-14:]
    sign, value_field, unit_field = body[0], body[2:10].strip(), body[11:14].strip()
    if sign not in "+- " or body[1] != " " or body[10] != " ":
        raise GarbledFrame("SBI frame: sign/space positions 1, 2 and 11 are wrong", frame)
    if not _NUMBER.fullmatch(value_field):
        raise GarbledFrame(f"SBI value field {value_field!r} is not a decimal number", frame)
    stable = unit_field != ""
    unit = unit_field if stable else unit_when_unstable
    if unit not in _MASS_UNITS:
        raise GarbledFrame(f"SBI unit field {unit!r} is not a known mass unit", frame)
    value, unit = normalise(finite_number(sign.strip() + value_field, frame), unit)
    return Reading(value, unit, stable, utc_now(), frame)


class SartoriusSbi(Driver):
    """Sartorius balance or indicator on the SBI protocol.

    Factory line settings of many models: 1200 baud, 7 data bits, odd parity,
    1 stop bit, hardware handshake; commands end CR LF, frames end CR LF.

    :param transport: open transport.
    :param unit: unit configured on the balance, used while the unit field is blank.
    """

    kind = "sbi"
    title = "Sartorius SBI balance / indicator"
    settings = LineSettings(1200, 7, "O", 1, "rtscts", b"\r\n", b"\r\n", timeout=2.0, max_frame=64)
    stability_band = 0.02
    has_stability_flag = True

    def __init__(self, transport, unit: str = "g"):
        super().__init__(transport)
        if unit not in _MASS_UNITS:
            raise ConfigurationError(f"unit: {unit!r} is not a mass unit")
        self.unit = unit

    def read(self) -> Reading:
        """Measure the current weight (``ESC P``)."""
        return parse_frame(self.transport.query(ESC + b"P"), self.unit)

    def tare(self) -> None:
        """Control: tare/zero combined (``ESC T``); the balance sends no reply."""
        self.transport.write(ESC + b"T")

    def zero(self) -> None:
        """Control: zero (``ESC V``); no reply."""
        self.transport.write(ESC + b"V")

    def tare_only(self) -> None:
        """Control: tare only (``ESC U``); no reply."""
        self.transport.write(ESC + b"U")

    def serial_number(self) -> str:
        """Get the serial number (``ESC x2_``)."""
        return ascii_text(self.transport.query(ESC + b"x2_")).strip()

    def model(self) -> str:
        """Get the model designation (``ESC x1_``)."""
        return ascii_text(self.transport.query(ESC + b"x1_")).strip()
