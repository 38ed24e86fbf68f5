"""The join between the ``instruments`` library and the database (the ONLY lims module importing it).

:class:`DatabaseSink` implements the library's :class:`instruments.ReadingSink`: every accepted
reading and every rejected frame is committed in its own transaction before the session asks the
instrument for anything else, so a crash, a pulled cable or SIGKILL loses no accepted reading.
:func:`run_session` opens the port, runs an :class:`instruments.AcquisitionSession` into the sink
and records how the run ended. Ports named ``sim://KIND`` start the library's simulator of KIND
in this process (the demo benches use them).
"""
import contextlib
import logging
from collections.abc import Callable, Iterator

from sqlalchemy import func, insert, select, update

from instruments import (
    DRIVERS,
    AcceptedReading,
    AcquisitionSession,
    Driver,
    InstrumentError,
    InstrumentTimeout,
    SessionSummary,
    TransportError,
    driver_class,
    open_transport,
    sim,
)
from lims.core.db import now_utc
from lims.extensions import db
from lims.modules.measurements import operations as ops
from lims.modules.measurements.models import MeasurementSession, Reading, Rejection

log = logging.getLogger(__name__)

#: driver kinds a session may name
DRIVER_KINDS = tuple(sorted(DRIVERS))
SIM_PREFIX = "sim://"


class DatabaseSink:
    """Persist one session's readings and rejections, one committed transaction per call.

    :param session_id: the :class:`MeasurementSession` id.
    :param test_point: label stored with each reading (None: the session's own label).
    :param on_accept: called with each :class:`instruments.AcceptedReading` AFTER its commit.
    """

    def __init__(self, session_id: int, test_point: str | None = None,
                 on_accept: Callable[[AcceptedReading], object] | None = None) -> None:
        self.session_id, self.test_point, self.on_accept = session_id, test_point, on_accept

    def last_sequence(self) -> int | None:
        """Return the highest stored sequence number of the session (None: nothing stored)."""
        return db.session.execute(select(func.max(Reading.sequence)).where(
            Reading.session_id == self.session_id)).scalar()

    def accept(self, record: AcceptedReading) -> None:
        """Store an accepted reading and bump the session's counters, then commit.

        :raises sqlalchemy.exc.IntegrityError: the sequence number is already stored (a second
            worker on the same session); nothing is stored.
        """
        r = record.reading
        row = {"session_id": self.session_id, "sequence": record.sequence, "raw": bytes(r.raw),
               "value": r.value, "unit": r.unit, "is_stable": record.stable,
               "is_instrument_stable": r.stable, "is_software_stable": record.software_stable,
               "test_point": self.test_point, "instrument_dt": r.timestamp, "received_dt": now_utc()}
        self._commit(insert(Reading).values(**row), accepted_count=MeasurementSession.accepted_count + 1,
                     last_sequence=record.sequence)
        if self.on_accept is not None:
            self.on_accept(record)

    def reject(self, raw: bytes, reason: str) -> None:
        """Store a rejected frame with its reason (never as a value), then commit."""
        row = {"session_id": self.session_id, "raw": bytes(raw or b""), "reason": str(reason)[:500],
               "received_dt": now_utc()}
        self._commit(insert(Rejection).values(**row), rejected_count=MeasurementSession.rejected_count + 1)

    def _commit(self, statement, **counters):
        try:
            db.session.execute(statement)
            db.session.execute(update(MeasurementSession).where(MeasurementSession.id == self.session_id)
                               .values(**counters).execution_options(synchronize_session=False))
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise


@contextlib.contextmanager
def open_driver(kind: str, port: str, timeout: float | None = None) -> Iterator[Driver]:
    """Open ``port`` with the factory settings of driver ``kind`` and yield the driver.

    ``sim://KIND`` starts the library's simulator of KIND in this process for the duration.

    :param kind: driver kind (see :data:`DRIVER_KINDS`).
    :param port: port name or pyserial URL, or ``sim://KIND``.
    :param timeout: frame timeout in seconds (default: the driver's).
    :raises instruments.ConfigurationError: unknown driver, bad port or timeout.
    :raises instruments.TransportError: the port cannot be opened.
    """
    cls = driver_class(kind)
    settings = cls.settings if timeout is None else cls.settings.from_mapping({"timeout": timeout}, cls.settings)
    handle = None
    if port.startswith(SIM_PREFIX):
        handle = sim.start(port[len(SIM_PREFIX):])
        port = handle.port
    try:
        transport = open_transport(port, settings)
        try:
            yield cls(transport)
        finally:
            transport.close()
    finally:
        if handle is not None:
            handle.close()


def run_session(session: MeasurementSession, driver: Driver, *, stable_within: float = 30.0, stream: bool = False,
                test_point: str | None = None,
                on_accept: Callable[[AcceptedReading], object] | None = None) -> SessionSummary:
    """Acquire readings for ``session`` until it holds ``session.count`` (resumes after the last one).

    :param session: an ``open`` :class:`MeasurementSession` (committed).
    :param driver: an open driver (see :func:`open_driver`).
    :param stable_within: seconds allowed without an acceptable reading.
    :param stream: use the instrument's continuous output.
    :param test_point: label for this run's readings (default: the session's).
    :param on_accept: callback after each committed reading.
    :returns: the library's :class:`instruments.SessionSummary` (``completed`` True).
    :raises instruments.InstrumentError: the run stopped; the session is ``interrupted`` (port
        gone, no answer) or ``failed`` (never stable, unusable frames); both can be resumed.
    :raises KeyboardInterrupt: the operator stopped it; the session is ``interrupted``.
    """
    sid = session.id
    sink = DatabaseSink(sid, test_point if test_point is not None else session.test_point, on_accept)
    run = AcquisitionSession(driver, sink, session.count, require_stable=session.is_stable_required,
                             stream=stream, stable_within=stable_within)
    try:
        summary = run.run()
    except KeyboardInterrupt:
        _end(sid, "interrupted", "stopped by the operator")
        raise
    except InstrumentError as exc:
        transient = isinstance(exc, TransportError) or type(exc) is InstrumentTimeout
        _end(sid, "interrupted" if transient else "failed", _describe(exc))
        raise
    _end(sid, "completed")
    return summary


def _describe(exc):
    return str(exc) or type(exc).__name__


def _end(session_id, state, error="") -> None:
    db.session.rollback()
    session = db.session.get(MeasurementSession, session_id)
    assert session is not None  # committed before the run began
    ops.end_session(session, state, error)
    db.session.commit()
    log.info("measurement session %s %s %s", session_id, state, error)
