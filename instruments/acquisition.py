"""Acquisition that loses nothing: pull readings from a driver and hand each accepted one to a sink.

``lims`` implements :class:`ReadingSink` (this library never imports it).  The session
calls :meth:`ReadingSink.accept` for a reading **before** it asks the instrument for the
next one, so whatever the sink has committed survives a crash, a pulled cable or a
killed process; a new session on the same sink resumes after
:meth:`ReadingSink.last_sequence`.  Garbled, overloaded or otherwise invalid frames are
never accepted: each goes to :meth:`ReadingSink.reject` with its raw bytes and a reason.

Stability = the instrument's own flag (when the protocol has one) plus an optional
software criterion: the last *N* readings lie within a band.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from collections import deque
from typing import Protocol, runtime_checkable

from .drivers.base import Driver
from .errors import ConfigurationError, DisconnectedError, InstrumentError, InstrumentTimeout, NeverStable
from .reading import Reading

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class AcceptedReading:
    """A reading accepted by a session, as handed to :meth:`ReadingSink.accept`.

    :param sequence: 1-based sequence number within the session (continues on resume).
    :param reading: the parsed reading (value, unit, instrument flag, timestamp, raw frame).
    :param software_stable: result of the software criterion; None when none is applied.
    """

    sequence: int
    reading: Reading
    software_stable: bool | None

    @property
    def stable(self) -> bool:
        """Get the combined stability: instrument flag (if any) and software criterion (if any)."""
        return self.reading.stable is not False and self.software_stable is not False


@runtime_checkable
class ReadingSink(Protocol):
    """Where a session delivers readings; ``lims`` persists each call at once (commit per call)."""

    def last_sequence(self) -> int | None:
        """Get the highest sequence number already stored for this session (None: nothing yet)."""

    def accept(self, record: AcceptedReading) -> None:
        """Control: store *record* durably before returning."""

    def reject(self, raw: bytes, reason: str) -> None:
        """Control: store a rejected frame (raw bytes, may be empty) and the reason."""


class StabilityCriterion:
    """Software stability: the last *window* values span no more than *band*.

    :param window: number of readings (>= 2).
    :param band: allowed max − min, in the readings' unit (>= 0).
    :raises ConfigurationError: bad window or band.
    """

    def __init__(self, window: int, band: float):
        if not isinstance(window, int) or isinstance(window, bool) or window < 2:
            raise ConfigurationError(f"window: must be an integer >= 2, got {window!r}")
        if not isinstance(band, (int, float)) or isinstance(band, bool) or not band >= 0:
            raise ConfigurationError(f"band: must be a number >= 0, got {band!r}")
        self.window, self.band = window, float(band)
        self._values: deque[float] = deque(maxlen=window)
        self._unit: str | None = None

    def update(self, reading: Reading) -> bool:
        """Measure whether the window, including *reading*, is stable.

        :param reading: the newest reading (a unit change restarts the window).
        :returns: True when *window* readings lie within *band*.
        """
        if reading.unit != self._unit:
            self._values.clear()
            self._unit = reading.unit
        self._values.append(reading.value)
        return len(self._values) == self.window and max(self._values) - min(self._values) <= self.band + 1e-12

    def reset(self) -> None:
        """Control: forget the window."""
        self._values.clear()


@dataclasses.dataclass
class SessionSummary:
    """Counters of a session run (also available while it runs or after it failed)."""

    accepted: int = 0
    rejected: int = 0
    skipped_unstable: int = 0
    timeouts: int = 0
    first_sequence: int | None = None
    last_sequence: int | None = None
    completed: bool = False


class AcquisitionSession:
    """Pull readings from *driver* until the sink holds *count* accepted readings.

    :param driver: a driver on an open transport.
    :param sink: the :class:`ReadingSink`.
    :param count: total readings wanted in the session (a resumed session only adds the missing ones).
    :param require_stable: accept only stable readings (instrument flag and software criterion).
    :param criterion: software stability criterion; default for a flagless instrument with
        *require_stable*: 5 readings within the driver's ``stability_band``.
    :param stream: use the instrument's continuous output (e.g. MT-SICS ``SIR``) instead of polling.
        When polling with *require_stable*, a driver with a stable-weight command (MT-SICS ``S``)
        is asked for stable readings; others are polled and filtered.
    :param stable_within: seconds allowed between two accepted readings before :class:`NeverStable`.
    :param max_consecutive_errors: timeouts or rejections in a row before giving up.
    """

    def __init__(self, driver: Driver, sink: ReadingSink, count: int, *, require_stable: bool = False,
                 criterion: StabilityCriterion | None = None, stream: bool = False, stable_within: float = 30.0,
                 max_consecutive_errors: int = 20):
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ConfigurationError(f"count: must be an integer >= 1, got {count!r}")
        if not isinstance(sink, ReadingSink):
            raise ConfigurationError("sink: must implement last_sequence(), accept() and reject()")
        if criterion is None and require_stable and driver.stability_band > 0 and not driver.has_stability_flag:
            criterion = StabilityCriterion(5, driver.stability_band)
        self.driver, self.sink, self.count = driver, sink, count
        self.require_stable, self.criterion, self.stream = require_stable, criterion, stream
        self.stable_within, self.max_errors = stable_within, max_consecutive_errors
        self.summary = SessionSummary()

    def run(self) -> SessionSummary:
        """Control: acquire until the sink holds *count* readings.

        :returns: the summary (``completed`` True).
        :raises DisconnectedError: the instrument went away (accepted readings are stored; resume later).
        :raises NeverStable: readings arrive but none is acceptable within *stable_within* seconds.
        :raises InstrumentTimeout: no valid reading at all within *stable_within* seconds.
        :raises InstrumentError: too many consecutive timeouts or rejections.
        """
        last = self.sink.last_sequence() or 0
        if last >= self.count:
            self.summary.completed = True
            return self.summary
        if self.stream:
            self.driver.start_stream()
        try:
            self._loop(last)
        finally:
            if self.stream:
                self._stop_stream()
        self.summary.completed = True
        return self.summary

    def _loop(self, last: int) -> None:
        errors, since, readings = 0, time.monotonic(), 0
        while last < self.count:
            if time.monotonic() - since > self.stable_within:
                if not readings:
                    raise InstrumentTimeout(f"no valid reading at all within {self.stable_within:g} s")
                raise NeverStable(f"{readings} readings but none acceptable within {self.stable_within:g} s")
            try:
                reading = self._next()
            except DisconnectedError:
                raise
            except InstrumentTimeout as exc:
                errors = self._on_timeout(exc, errors + 1)
                continue
            except InstrumentError as exc:
                errors = self._on_reject(exc, errors + 1)
                continue
            errors, readings = 0, readings + 1
            software = self.criterion.update(reading) if self.criterion else None
            record = AcceptedReading(last + 1, reading, software)
            if self.require_stable and not record.stable:
                self.summary.skipped_unstable += 1
                continue
            self.sink.accept(record)  # durable before the next reading is requested
            last = record.sequence
            since, readings = time.monotonic(), 0
            self.summary.accepted += 1
            self.summary.first_sequence = self.summary.first_sequence or last
            self.summary.last_sequence = last

    def _next(self) -> Reading:
        if self.stream:
            return self.driver.read_streamed()
        if self.require_stable and self.driver.has_stable_command:
            return self.driver.read_stable()
        return self.driver.read()

    def _on_timeout(self, exc: InstrumentTimeout, errors: int) -> int:
        self.summary.timeouts += 1
        if exc.raw:
            self.sink.reject(exc.raw, f"{exc.reason}: incomplete frame ({exc})")
            self.summary.rejected += 1
        if not self.stream:
            self.driver.transport.discard_input()
        if errors >= self.max_errors:
            heard = self.summary.accepted or self.summary.rejected or self.summary.skipped_unstable or exc.raw
            hint = "" if heard else (
                "no answer from the instrument (check the port, cable, driver and line settings): ")
            raise InstrumentTimeout(f"{hint}{errors} timeouts or rejected frames in a row; last: {exc}", exc.raw)
        return errors

    def _on_reject(self, exc: InstrumentError, errors: int) -> int:
        log.info("rejected frame %r: %s", exc.raw, exc)
        self.sink.reject(exc.raw or b"", f"{exc.reason}: {exc}")
        self.summary.rejected += 1
        if self.criterion:
            self.criterion.reset()
        if not self.stream:
            self.driver.transport.discard_input()
        if errors >= self.max_errors:
            raise type(exc)(f"{errors} timeouts or rejected frames in a row; last: {exc}", exc.raw)
        return errors

    def _stop_stream(self) -> None:
        try:
            self.driver.stop_stream()
        except InstrumentError as exc:  # the port may be gone; the original error matters more
            log.debug("could not stop stream: %s", exc)

