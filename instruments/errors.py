"""Typed errors raised by transports, parsers and drivers.

Every error a driver can raise derives from :class:`InstrumentError`, so callers
(the acquisition layer, the CLI, ``lims``) can catch one class.  Errors that come
from a received frame carry the raw bytes in :attr:`InstrumentError.raw`.
"""


class InstrumentError(Exception):
    """Base class of every error raised by :mod:`instruments`.

    :param message: human-readable description (English; shown in logs and CLI).
    :param raw: the raw frame that caused the error, if any.
    """

    #: short machine-readable reason, stored by sinks with rejected frames
    reason = "instrument-error"

    def __init__(self, message: str, raw: bytes | None = None):
        super().__init__(message)
        self.raw = raw


class ConfigurationError(InstrumentError, ValueError):
    """Bad settings, URL, fault spec or device definition given by the caller."""

    reason = "configuration"


class TransportError(InstrumentError):
    """The port could not be opened, or failed while open."""

    reason = "transport"


class DisconnectedError(TransportError):
    """The device went away in the middle of a session (cable pulled, simulator killed)."""

    reason = "disconnected"


class InstrumentTimeout(InstrumentError, TimeoutError):
    """No complete frame arrived within the read timeout."""

    reason = "timeout"


class GarbledFrame(InstrumentError):
    """A frame arrived but does not follow the protocol (bad characters, length, fields)."""

    reason = "garbled"


class Overload(InstrumentError):
    """The instrument reports a value above its range (MT-SICS ``S +``, SBI ``H``)."""

    reason = "overload"


class Underload(InstrumentError):
    """The instrument reports a value below its range (MT-SICS ``S -``, SBI ``L``)."""

    reason = "underload"


class NotExecutable(InstrumentError):
    """The instrument cannot execute the command now (MT-SICS ``S I``/``Z I``, busy)."""

    reason = "not-executable"


class InstrumentReportedError(InstrumentError):
    """The instrument answered with an error code (MT-SICS ``ES``/``ET``/``EL``, SCPI errors).

    :param message: description.
    :param raw: raw frame.
    :param code: the instrument's own error code or token (e.g. ``"ES"``, ``"-113"``).
    """

    reason = "instrument-reported"

    def __init__(self, message: str, raw: bytes | None = None, code: str | None = None):
        super().__init__(message, raw)
        self.code = code


class NeverStable(InstrumentTimeout):
    """No reading met the stability requirement within the allowed time."""

    reason = "never-stable"
