"""Serial transport on pyserial: line settings, timeouts, bounded terminator framing.

Drivers receive a :class:`Transport`; they never open ports.  :func:`open_transport`
accepts a port name or any pyserial URL (``/dev/ttyUSB0``, ``COM3``, ``loop://``,
``socket://host:port``, ``rfc2217://host:port``) and applies the driver's
:class:`LineSettings` explicitly (nothing assumes 8N1).
"""
from __future__ import annotations

import dataclasses
import logging
import os
import stat
import time
from collections.abc import Mapping
from typing import Protocol

import serial

from .errors import ConfigurationError, DisconnectedError, GarbledFrame, InstrumentTimeout, TransportError

try:
    import termios
except ImportError:  # Windows: pyserial raises only SerialException/OSError there
    _PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError)
else:  # termios.error (a failed tcsetattr) is not an OSError
    _PORT_ERRORS = (serial.SerialException, OSError, termios.error)

log = logging.getLogger(__name__)

_PARITIES = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD,
             "M": serial.PARITY_MARK, "S": serial.PARITY_SPACE}
_HANDSHAKES = ("none", "xonxoff", "rtscts", "dsrdtr")


@dataclasses.dataclass(frozen=True)
class LineSettings:
    """Serial line settings of one instrument interface.

    :param baudrate: bits per second.
    :param bytesize: data bits (5–8).
    :param parity: ``N``, ``E``, ``O``, ``M`` or ``S``.
    :param stopbits: 1, 1.5 or 2.
    :param handshake: ``none``, ``xonxoff``, ``rtscts`` or ``dsrdtr``.
    :param write_termination: bytes appended to every command.
    :param read_termination: bytes that end every received frame.
    :param timeout: seconds to wait for a complete frame.
    :param max_frame: longest accepted frame in bytes (bounded buffer).
    :raises ConfigurationError: any field out of range (message names the field).
    """

    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    handshake: str = "none"
    write_termination: bytes = b"\r\n"
    read_termination: bytes = b"\r\n"
    timeout: float = 2.0
    max_frame: int = 256

    def __post_init__(self):
        checks = (
            ("baudrate", isinstance(self.baudrate, int) and 50 <= self.baudrate <= 4_000_000, "an integer 50..4000000"),
            ("bytesize", self.bytesize in (5, 6, 7, 8), "5, 6, 7 or 8"),
            ("parity", self.parity in _PARITIES, "one of N, E, O, M, S"),
            ("stopbits", self.stopbits in (1, 1.5, 2), "1, 1.5 or 2"),
            ("handshake", self.handshake in _HANDSHAKES, "one of " + ", ".join(_HANDSHAKES)),
            ("write_termination", isinstance(self.write_termination, bytes), "bytes"),
            ("read_termination", isinstance(self.read_termination, bytes) and self.read_termination != b"",
             "non-empty bytes"),
            ("timeout", isinstance(self.timeout, (int, float)) and 0 < self.timeout <= 3600, "a number 0 < t <= 3600"),
            ("max_frame", isinstance(self.max_frame, int) and 4 <= self.max_frame <= 65536, "an integer 4..65536"),
        )
        for name, ok, expected in checks:
            if not ok:
                raise ConfigurationError(f"{name}: must be {expected}, got {getattr(self, name)!r}")

    @property
    def bits_per_byte(self) -> int | float:
        """Get the bits one character occupies on the line (start + data + parity + stop).

        :returns: bits per character.
        """
        return 1 + self.bytesize + (0 if self.parity == "N" else 1) + self.stopbits

    @classmethod
    def from_mapping(cls, data: Mapping, base: LineSettings | None = None) -> LineSettings:
        """Get settings from a mapping (TOML table, CLI overrides); strings become bytes.

        :param data: keys named like the fields; terminators as str (``"\\r\\n"``).
        :param base: settings whose values are used for keys not in *data*.
        :returns: new settings.
        :raises ConfigurationError: unknown key or bad value.
        """
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - fields)
        if unknown:
            raise ConfigurationError(f"{unknown[0]}: unknown line setting (known: {', '.join(sorted(fields))})")
        values = dataclasses.asdict(base) if base else {}
        for key, val in data.items():
            if key.endswith("_termination") and isinstance(val, str):
                val = val.encode("latin-1")
            values[key] = val
        return cls(**values)


class Transport(Protocol):
    """What drivers need from a transport (implemented by :class:`SerialTransport`)."""

    settings: LineSettings

    def write(self, command: bytes) -> None:
        """Control: send *command* followed by the write terminator."""

    def read_frame(self, timeout: float | None = None) -> bytes:
        """Measure: get the next frame without its terminator."""

    def query(self, command: bytes, timeout: float | None = None) -> bytes:
        """Measure: send *command* and get the next frame."""

    def discard_input(self) -> None:
        """Control: drop everything received so far."""

    def close(self) -> None:
        """Control: close the port."""


class SerialTransport:
    """Terminator-framed transport over an open pyserial object.

    :param port: an open ``serial.SerialBase`` (native port or URL handler).
    :param settings: line settings in force (terminators, timeout, max frame).
    """

    _POLL = 0.05  # seconds per blocking read; the frame deadline is checked between polls

    def __init__(self, port: serial.SerialBase, settings: LineSettings):
        self._port = port
        self.settings = settings
        self._buf = bytearray()

    @property
    def port_name(self) -> str:
        """Get the port name or URL this transport is using."""
        return str(self._port.portstr)

    def write(self, command: bytes) -> None:
        """Control: send *command* followed by the write terminator.

        :param command: command bytes without terminator.
        :raises DisconnectedError: the port failed.
        """
        try:
            self._port.write(command + self.settings.write_termination)
        except _PORT_ERRORS as exc:
            raise DisconnectedError(f"port {self.port_name}: write failed ({exc})") from None

    def _fill(self, wait: float) -> None:
        try:
            if self._port.timeout != wait:  # setting it reconfigures a native port: only when it changes
                self._port.timeout = wait
            chunk = self._port.read(self._port.in_waiting or 1)
        except _PORT_ERRORS as exc:
            raise DisconnectedError(f"port {self.port_name}: read failed ({exc})") from None
        self._buf += chunk

    def read_frame(self, timeout: float | None = None) -> bytes:
        """Measure: get the next frame (bytes before the read terminator).

        :param timeout: seconds; default :attr:`LineSettings.timeout`.
        :returns: the frame without terminator.
        :raises InstrumentTimeout: no complete frame in time (partial bytes in ``raw``).
        :raises GarbledFrame: more than ``max_frame`` bytes without a terminator (discarded).
        :raises DisconnectedError: the port failed.
        """
        term = self.settings.read_termination
        limit = self.settings.max_frame
        deadline = time.monotonic() + (self.settings.timeout if timeout is None else timeout)
        start = 0
        while True:
            idx = self._buf.find(term, start)
            if idx >= 0:
                frame = bytes(self._buf[:idx])
                del self._buf[:idx + len(term)]
                if len(frame) > limit:
                    raise GarbledFrame(f"frame of {len(frame)} bytes exceeds max_frame={limit}", frame[:limit])
                return frame
            if len(self._buf) > limit + len(term):
                raw = bytes(self._buf[:limit])
                self._buf.clear()
                raise GarbledFrame(f"no terminator within max_frame={limit} bytes", raw)
            start = max(0, len(self._buf) - len(term) + 1)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise InstrumentTimeout(f"port {self.port_name}: no complete frame within "
                                        f"{self.settings.timeout if timeout is None else timeout:g} s",
                                        bytes(self._buf) or None)
            self._fill(min(self._POLL, remaining))

    def query(self, command: bytes, timeout: float | None = None) -> bytes:
        """Measure: send *command* and get the next frame.

        :param command: command without terminator.
        :param timeout: seconds; default from the settings.
        :returns: reply frame without terminator.
        :raises InstrumentError: see :meth:`write` and :meth:`read_frame`.
        """
        self.write(command)
        return self.read_frame(timeout)

    def discard_input(self) -> None:
        """Control: drop buffered and pending input."""
        self._buf.clear()
        try:
            self._port.reset_input_buffer()
        except _PORT_ERRORS as exc:
            raise DisconnectedError(f"port {self.port_name}: reset failed ({exc})") from None

    def close(self) -> None:
        """Control: close the port (idempotent)."""
        try:
            self._port.close()
        except _PORT_ERRORS:  # closing a dead port must not mask the real error
            log.debug("error while closing %s", self.port_name, exc_info=True)

    def __enter__(self) -> SerialTransport:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def is_pseudo_terminal(url: str) -> bool:
    """Get whether *url* names a pseudo-terminal (a simulator's pty) rather than a serial line.

    :param url: port name or pyserial URL.
    :returns: True for a Unix98 pty slave (``/dev/pts/N``).
    """
    if "://" in url or not hasattr(os, "major"):
        return False
    try:
        info = os.stat(url)
    except OSError:
        return False
    return stat.S_ISCHR(info.st_mode) and (136 <= os.major(info.st_rdev) <= 143
                                           or os.path.realpath(url).startswith("/dev/pts/"))


def _configure(port: serial.SerialBase, settings: LineSettings, pty: bool = False) -> None:
    port.baudrate = settings.baudrate
    # A pty has no character format: Linux keeps it at 8 bits without parity and refuses (EINVAL)
    # a tcsetattr whose only changes are a smaller character size or parity.  Frames are the same
    # bytes either way, and the simulator paces output with the instrument's real format.
    port.bytesize = 8 if pty else settings.bytesize
    port.parity = serial.PARITY_NONE if pty else _PARITIES[settings.parity]
    port.stopbits = settings.stopbits
    port.xonxoff = settings.handshake == "xonxoff"
    port.rtscts = settings.handshake == "rtscts"
    port.dsrdtr = settings.handshake == "dsrdtr"
    port.timeout = SerialTransport._POLL
    port.write_timeout = max(settings.timeout, 1.0)


def _port_error_text(exc: BaseException) -> str:
    """Get pyserial's message without its repeated ``[Errno n] could not open port X:`` prefix."""
    cause = exc.__context__ if isinstance(exc.__context__, OSError) else exc
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return str(exc)


def open_transport(url: str, settings: LineSettings) -> SerialTransport:
    """Control: open *url* with *settings* and get a transport.

    :param url: port name or pyserial URL.
    :param settings: the driver's line settings.
    :returns: an open :class:`SerialTransport`.
    :raises ConfigurationError: empty or malformed URL.
    :raises TransportError: the port does not exist or cannot be opened.
    """
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError("port: must be a non-empty port name or URL")
    try:
        port = serial.serial_for_url(url, do_not_open=True)
        _configure(port, settings, is_pseudo_terminal(url))
        port.open()
    except ValueError as exc:
        raise ConfigurationError(f"port: {url!r} is not usable ({exc})") from None
    except _PORT_ERRORS as exc:
        raise TransportError(f"port {url}: cannot open ({_port_error_text(exc)})") from None
    log.debug("opened %s with %s", url, settings)
    return SerialTransport(port, settings)
