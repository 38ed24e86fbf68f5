"""Protocol-test tooling: drive a driver against expected (sent, reply) pairs.

Terminators are left out of the pairs; they belong to the transport.

>>> from instruments.drivers.mettler_mtsics import MtSics
>>> with expected_protocol(MtSics, [(b"I4", b'I4 A "B207696838"')]) as scale:
...     scale.serial_number()
'B207696838'
"""
from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterator, Sequence

from .errors import InstrumentTimeout
from .transport import LineSettings

Pair = tuple[bytes | None, bytes | Sequence[bytes] | None]


class ProtocolMismatch(AssertionError):
    """The driver sent something other than the next expected command."""


class ProtocolTransport:
    """In-memory transport replaying expected (sent, reply) pairs.

    A pair ``(None, reply)`` is an unsolicited frame (streaming); a pair ``(cmd, None)``
    expects a command that gets no reply.  *reply* may be a list of frames.

    :param pairs: the expected dialogue, in order.
    :param settings: line settings reported to the driver.
    """

    def __init__(self, pairs: Sequence[Pair], settings: LineSettings | None = None):
        self.settings = settings or LineSettings()
        self._pairs = deque(pairs)
        self._replies: deque[bytes] = deque()
        self.sent: list[bytes] = []
        self.closed = False

    def _queue(self, reply) -> None:
        if reply is None:
            return
        if isinstance(reply, bytes):
            self._replies.append(reply)
        else:
            self._replies.extend(reply)

    def write(self, command: bytes) -> None:
        """Control: check *command* against the next expected pair and queue its reply."""
        self.sent.append(command)
        if not self._pairs or self._pairs[0][0] is None:
            raise ProtocolMismatch(f"unexpected command {command!r}")
        expected, reply = self._pairs.popleft()
        if command != expected:
            raise ProtocolMismatch(f"sent {command!r}, expected {expected!r}")
        self._queue(reply)

    def read_frame(self, timeout: float | None = None) -> bytes:
        """Measure: get the next queued reply, or the next unsolicited frame."""
        if not self._replies and self._pairs and self._pairs[0][0] is None:
            self._queue(self._pairs.popleft()[1])
        if not self._replies:
            raise InstrumentTimeout("protocol transport: no reply queued")
        return self._replies.popleft()

    def query(self, command: bytes, timeout: float | None = None) -> bytes:
        """Measure: write then read."""
        self.write(command)
        return self.read_frame(timeout)

    def discard_input(self) -> None:
        """Control: drop queued replies."""
        self._replies.clear()

    def close(self) -> None:
        """Control: mark closed."""
        self.closed = True

    def assert_consumed(self) -> None:
        """Get nothing; raise if pairs or replies are left over.

        :raises ProtocolMismatch: unconsumed pairs or replies.
        """
        if self._pairs or self._replies:
            raise ProtocolMismatch(f"not consumed: pairs={list(self._pairs)!r} replies={list(self._replies)!r}")


@contextlib.contextmanager
def expected_protocol(driver_cls, pairs: Sequence[Pair], **kwargs) -> Iterator:
    """Control: build *driver_cls* on a :class:`ProtocolTransport` and check every pair is consumed.

    :param driver_cls: a :class:`instruments.drivers.base.Driver` subclass.
    :param pairs: expected (sent, reply) pairs without terminators.
    :param kwargs: passed to the driver constructor.
    :returns: context manager yielding the driver.
    :raises ProtocolMismatch: on exit, if anything was not consumed.
    """
    transport = ProtocolTransport(pairs, driver_cls.settings)
    driver = driver_cls(transport, **kwargs)
    yield driver
    transport.assert_consumed()
