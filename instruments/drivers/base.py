"""Base class shared by every driver."""
from __future__ import annotations

import logging
import math
import time
from typing import ClassVar

from ..errors import ConfigurationError, GarbledFrame, NeverStable, Overload, Underload
from ..reading import Reading
from ..transport import LineSettings, Transport

log = logging.getLogger(__name__)


def ascii_text(frame: bytes) -> str:
    """Get *frame* as printable ASCII text.

    :param frame: raw frame without terminator.
    :returns: decoded text.
    :raises GarbledFrame: non-ASCII or non-printable characters.
    """
    try:
        text = frame.decode("ascii")
    except UnicodeDecodeError:
        raise GarbledFrame("frame contains non-ASCII bytes", frame) from None
    if not text.isprintable():
        raise GarbledFrame("frame contains control characters", frame)
    return text


def finite_number(text: str, frame: bytes) -> float:
    """Get *text* (already matched as a decimal number) as a finite float.

    :param text: the number's characters.
    :param frame: raw frame, for the error.
    :returns: the value.
    :raises GarbledFrame: the value overflows to infinity.
    """
    value = float(text)
    if not math.isfinite(value):
        raise GarbledFrame(f"value {text[:20]!r} is out of floating-point range", frame)
    return value


def measuring_range(value, name: str) -> tuple[float, float] | None:
    """Get a validated ``(low, high)`` measuring range (None: no check).

    :param value: None or a pair of finite numbers with low < high.
    :param name: option name for the error.
    :returns: the range as floats.
    :raises ConfigurationError: not such a pair.
    """
    if value is None:
        return None
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{name}: must be None or (low, high), got {value!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ConfigurationError(f"{name}: must be finite with low < high, got {value!r}")
    return low, high


def check_range(reading: Reading, limits: tuple[float, float] | None, what: str) -> Reading:
    """Measure: get *reading* if it lies within *limits*, else raise the range error.

    For protocols without an over-range indication, a value outside the instrument's measuring
    range is not a measurement (a dropped sign or digit, or the readout's over-range display).

    :param reading: parsed reading.
    :param limits: ``(low, high)`` in the reading's unit, or None.
    :param what: instrument name for the message.
    :returns: *reading*.
    :raises Overload: above *high*.
    :raises Underload: below *low*.
    """
    if limits is not None:
        low, high = limits
        if reading.value > high:
            raise Overload(f"{what}: {reading.value:g} {reading.unit} is above the measuring range ({high:g})",
                           reading.raw)
        if reading.value < low:
            raise Underload(f"{what}: {reading.value:g} {reading.unit} is below the measuring range ({low:g})",
                            reading.raw)
    return reading


class Driver:
    """Base of all drivers: holds the transport and declares the interface.

    Subclasses set :attr:`kind`, :attr:`settings` (the instrument's factory line settings)
    :attr:`stability_band` (default band of the software stability criterion,
    in the normalised unit) and :attr:`has_stability_flag` (the protocol reports
    stability itself), and implement :meth:`read`.

    :param transport: an open transport (see :func:`instruments.transport.open_transport`).
    """

    kind: ClassVar[str] = ""
    title: ClassVar[str] = ""
    settings: ClassVar[LineSettings] = LineSettings()
    stability_band: ClassVar[float] = 0.0
    has_stability_flag: ClassVar[bool] = False
    #: :meth:`read_stable` asks the instrument itself for a stable value (MT-SICS ``S``)
    has_stable_command: ClassVar[bool] = False

    def __init__(self, transport: Transport):
        self.transport = transport

    def read(self) -> Reading:
        """Measure one reading by polling the instrument.

        :returns: the reading.
        :raises InstrumentError: typed protocol or transport error.
        """
        raise NotImplementedError

    def read_stable(self, timeout: float = 10.0) -> Reading:
        """Measure one reading the instrument itself reports stable (default: poll until stable).

        :param timeout: seconds to keep polling.
        :returns: a stable reading.
        :raises NeverStable: no stable reading within *timeout*.
        :raises InstrumentError: typed protocol or transport error.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reading = self.read()
            if reading.stable is not False:
                return reading
        raise NeverStable(f"no stable reading within {timeout:g} s")

    def start_stream(self) -> None:
        """Control: start continuous output (default: nothing, readings are polled)."""

    def read_streamed(self) -> Reading:
        """Measure the next reading of the continuous output started by :meth:`start_stream`.

        :returns: the reading.
        :raises InstrumentError: typed protocol or transport error; the stream continues after
            garbled frames and range errors.
        """
        return self.read()

    def stop_stream(self) -> None:
        """Control: stop continuous output (default: nothing)."""

    def close(self) -> None:
        """Control: close the underlying transport."""
        self.transport.close()
