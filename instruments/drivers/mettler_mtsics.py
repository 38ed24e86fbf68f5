"""Mettler Toledo MT-SICS (Standard Interface Command Set) balances and weighing indicators.

Replies are ``<CMD> <status> [fields…]`` ended by CR LF; weight replies are
``S S      100.00 g`` (status ``S`` stable, ``D`` dynamic, ``I`` not executable,
``+``/``-`` overload/underload).  Bare ``ES``/``ET``/``EL`` lines report syntax,
transmission and logical errors.  Fields are split on whitespace, because the
weight field is right-aligned with leading spaces.
"""
from __future__ import annotations

import logging
import re

from ..errors import (
    ConfigurationError,
    GarbledFrame,
    InstrumentReportedError,
    InstrumentTimeout,
    NotExecutable,
    Overload,
    Underload,
)
from ..reading import Reading, utc_now
from ..transport import LineSettings
from ..units import _UNITS, normalise
from .base import Driver, ascii_text, finite_number

log = logging.getLogger(__name__)

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)")
_ERRORS = {"ES": "syntax error: command not recognised", "ET": "transmission error",
           "EL": "logical error: command cannot be executed"}
_MASS_UNITS = frozenset(u for u, (_, dst) in _UNITS.items() if dst in ("g", "kg"))


def split_reply(frame: bytes) -> list[str]:
    """Get the whitespace-separated fields of an MT-SICS reply.

    :param frame: reply without CR LF.
    :returns: fields (at least two: command and status).
    :raises InstrumentReportedError: the reply is ``ES``, ``ET`` or ``EL``.
    :raises GarbledFrame: not printable ASCII, or fewer than two fields.
    """
    parts = ascii_text(frame).split()
    if len(parts) == 1 and parts[0] in _ERRORS:
        raise InstrumentReportedError(f"MT-SICS {parts[0]}: {_ERRORS[parts[0]]}", frame, parts[0])
    if len(parts) < 2:
        raise GarbledFrame("MT-SICS reply needs a command and a status field", frame)
    return parts


def _check_range(parts: list[str], frame: bytes) -> None:
    status = parts[1]
    if status == "I":
        raise NotExecutable(f"MT-SICS {parts[0]} I: not executable now (busy or not stable in time)", frame)
    if status == "+":
        raise Overload(f"MT-SICS {parts[0]} +: above range", frame)
    if status == "-":
        raise Underload(f"MT-SICS {parts[0]} -: below range", frame)


def parse_weight(frame: bytes, commands: tuple[str, ...] = ("S",), statuses: tuple[str, ...] = ("S", "D")) -> Reading:
    """Measure: get the reading in an MT-SICS weight reply (``S``, ``SI``, ``SIR``, ``T``).

    :param frame: reply without CR LF, e.g. ``b"S S      100.00 g"``.
    :param commands: accepted first fields (``S`` for S/SI/SIR, ``T`` for tare...).
    :param statuses: accepted value statuses; ``D`` means dynamic, any other means stable.
    :returns: reading with the balance's stability flag.
    :raises GarbledFrame: malformed reply.
    :raises NotExecutable: status ``I``.
    :raises Overload: status ``+``.
    :raises Underload: status ``-``.
    :raises InstrumentReportedError: ``ES``/``ET``/``EL``.

    >>> parse_weight(b"S D      99.98 g").value
    99.98
    """
    parts = split_reply(frame)
    if parts[0] not in commands:
        raise GarbledFrame(f"MT-SICS reply to {'/'.join(commands)} starts with {parts[0]!r}", frame)
    _check_range(parts, frame)
    if parts[1] not in statuses:
        raise GarbledFrame(f"MT-SICS weight status {parts[1]!r} is not {', '.join(statuses)}, I, + or -", frame)
    if len(parts) != 4:
        raise GarbledFrame(f"MT-SICS weight reply has {len(parts)} fields, expected 4", frame)
    if not _NUMBER.fullmatch(parts[2]):
        raise GarbledFrame(f"MT-SICS weight value {parts[2]!r} is not a decimal number", frame)
    if parts[3] not in _MASS_UNITS:
        raise GarbledFrame(f"MT-SICS weight unit {parts[3]!r} is not a known mass unit", frame)
    value, unit = normalise(finite_number(parts[2], frame), parts[3])
    return Reading(value, unit, parts[1] != "D", utc_now(), frame)


def parse_string(frame: bytes, command: str) -> str:
    """Get the quoted string of an ``A`` reply such as ``I4 A "B207696838"``.

    :param frame: reply without CR LF.
    :param command: expected command field.
    :returns: the text between the quotes.
    :raises GarbledFrame: wrong command, status or quoting.
    :raises NotExecutable: status ``I``.
    """
    parts = split_reply(frame)
    if parts[0] != command:
        raise GarbledFrame(f"MT-SICS reply to {command} starts with {parts[0]!r}", frame)
    _check_range(parts, frame)
    text = frame.decode("ascii")
    first, last = text.find('"'), text.rfind('"')
    if parts[1] != "A" or first < 0 or last <= first:
        raise GarbledFrame(f"MT-SICS {command} reply is not 'A \"…\"'", frame)
    return text[first + 1:last]


def parse_ack(frame: bytes, command: str, ok: tuple[str, ...] = ("A",)) -> str:
    """Get the status of an acknowledgement such as ``Z A`` or ``TAC A``.

    :param frame: reply without CR LF.
    :param command: expected command field.
    :param ok: statuses meaning success.
    :returns: the status field.
    :raises GarbledFrame: wrong command or unknown status.
    :raises NotExecutable: status ``I``.
    :raises Overload: status ``+`` (e.g. above the zero-setting range).
    :raises Underload: status ``-``.
    """
    parts = split_reply(frame)
    if parts[0] != command:
        raise GarbledFrame(f"MT-SICS reply to {command} starts with {parts[0]!r}", frame)
    _check_range(parts, frame)
    if parts[1] not in ok:
        raise GarbledFrame(f"MT-SICS {command} status {parts[1]!r} not in {ok}", frame)
    return parts[1]


class MtSics(Driver):
    """Mettler Toledo balance or indicator speaking MT-SICS level 0/1.

    Factory line settings: 9600 baud, 8 data bits, no parity, 1 stop bit, XON/XOFF,
    CR LF both ways.  ``S`` waits for stability inside the balance, so its timeout is
    longer than the line timeout.

    :param transport: open transport.
    :param stable_timeout: seconds to wait for the reply to ``S`` and ``T``.
    :param decimals: if given, weight values must show exactly this many decimals (the balance's
        resolution); other frames are rejected as garbled, which catches most dropped characters.
    """

    kind = "mtsics"
    title = "Mettler Toledo MT-SICS balance / indicator"
    settings = LineSettings(9600, 8, "N", 1, "xonxoff", b"\r\n", b"\r\n", timeout=2.0, max_frame=128)
    stability_band = 0.02
    has_stability_flag = True
    has_stable_command = True

    def __init__(self, transport, stable_timeout: float = 10.0, decimals: int | None = None):
        super().__init__(transport)
        if decimals is not None and (not isinstance(decimals, int) or isinstance(decimals, bool)
                                     or not 0 <= decimals <= 9):
            raise ConfigurationError(f"decimals: must be an integer 0..9 or None, got {decimals!r}")
        self.stable_timeout = stable_timeout
        self.decimals = decimals
        self._s_supported = True

    def _weight(self, frame: bytes, commands=("S",), statuses=("S", "D")) -> Reading:
        reading = parse_weight(frame, commands, statuses)
        if self.decimals is not None:
            number = frame.split()[2]
            shown = len(number) - number.index(b".") - 1 if b"." in number else 0
            if shown != self.decimals:
                raise GarbledFrame(f"MT-SICS weight shows {shown} decimals, the balance shows {self.decimals}",
                                   frame)
        return reading

    def read(self) -> Reading:
        """Measure the weight immediately (``SI``), stable or dynamic."""
        return self._weight(self.transport.query(b"SI"))

    def read_stable(self, timeout: float | None = None) -> Reading:
        """Measure the next stable weight (``S``); the balance answers ``S I`` if it cannot settle.

        A device that answers ``ES`` to ``S`` is polled with ``SI`` until stable instead.

        :param timeout: seconds to wait; default :attr:`stable_timeout`.
        :returns: stable reading.
        :raises NotExecutable: ``S I`` (not stable in the balance's own time limit).
        """
        timeout = self.stable_timeout if timeout is None else timeout
        if self._s_supported:
            try:
                return self._weight(self.transport.query(b"S", timeout))
            except InstrumentReportedError as exc:
                if exc.code != "ES":
                    raise
                log.info("device answers ES to S: polling SI for stable weights")
                self._s_supported = False
        return super().read_stable(timeout)

    def start_stream(self) -> None:
        """Control: start repeated immediate weights (``SIR``)."""
        self.transport.write(b"SIR")

    def read_streamed(self) -> Reading:
        """Measure the next ``SIR`` weight line."""
        return self._weight(self.transport.read_frame())

    def stop_stream(self) -> None:
        """Control: stop ``SIR`` output with ``@`` (reset) and drain the lines still in flight."""
        self.transport.write(b"@")
        try:
            for _ in range(10_000):
                if self.transport.read_frame(0.5).startswith(b"I4"):
                    break
        except InstrumentTimeout:
            log.debug("no I4 line after @ while stopping SIR")
        self.transport.discard_input()

    def serial_number(self) -> str:
        """Get the serial number (``I4``)."""
        return parse_string(self.transport.query(b"I4"), "I4")

    def model(self) -> str:
        """Get the balance type and capacity (``I2``)."""
        return parse_string(self.transport.query(b"I2"), "I2")

    def software_version(self) -> str:
        """Get the software version (``I3``)."""
        return parse_string(self.transport.query(b"I3"), "I3")

    def zero(self) -> None:
        """Control: set zero when stable (``Z``)."""
        parse_ack(self.transport.query(b"Z", self.stable_timeout), "Z")

    def zero_immediately(self) -> None:
        """Control: set zero immediately (``ZI``; answers ``ZI D`` or ``ZI S``)."""
        parse_ack(self.transport.query(b"ZI"), "ZI", ("D", "S"))

    def tare(self) -> Reading:
        """Control: tare when stable (``T``) and get the stored tare weight."""
        return self._weight(self.transport.query(b"T", self.stable_timeout), ("T",))

    def tare_value(self) -> Reading:
        """Get the stored tare weight (``TA``)."""
        return self._weight(self.transport.query(b"TA"), ("TA",), ("A",))

    def clear_tare(self) -> None:
        """Control: clear the tare memory (``TAC``)."""
        parse_ack(self.transport.query(b"TAC"), "TAC")

    def reset(self) -> str:
        """Control: reset the balance (``@``) and get the serial number it answers with."""
        return parse_string(self.transport.query(b"@"), "I4")
