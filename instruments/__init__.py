"""Bench instrument library: serial transport, drivers, simulators and loss-free acquisition.

Pure library: depends on pyserial only; never imports ``lims``. The names below are loaded on first use
(PEP 562), so ``python -m instruments --help`` starts without drivers and pyserial.

Public API::

    from instruments import open_transport, driver_class, Reading, AcquisitionSession
    transport = open_transport("/dev/ttyUSB0", MtSics.settings)
    scale = MtSics(transport)
    scale.read_stable()
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .acquisition import AcceptedReading, AcquisitionSession, ReadingSink, SessionSummary, StabilityCriterion
    from .drivers import DRIVERS, Driver, DruckDpi740, FlukeThermometer, MtSics, SartoriusSbi, ScpiMeter, driver_class
    from .errors import (
        ConfigurationError,
        DisconnectedError,
        GarbledFrame,
        InstrumentError,
        InstrumentReportedError,
        InstrumentTimeout,
        NeverStable,
        NotExecutable,
        Overload,
        TransportError,
        Underload,
    )
    from .reading import Reading
    from .transport import LineSettings, SerialTransport, open_transport

__version__ = "0.1.0"

_HOME = {
    ".acquisition": ("AcceptedReading", "AcquisitionSession", "ReadingSink", "SessionSummary", "StabilityCriterion"),
    ".drivers": ("DRIVERS", "Driver", "DruckDpi740", "FlukeThermometer", "MtSics", "SartoriusSbi", "ScpiMeter",
                 "driver_class"),
    ".errors": ("ConfigurationError", "DisconnectedError", "GarbledFrame", "InstrumentError", "InstrumentReportedError",
                "InstrumentTimeout", "NeverStable", "NotExecutable", "Overload", "TransportError", "Underload"),
    ".reading": ("Reading",),
    ".transport": ("LineSettings", "SerialTransport", "open_transport"),
}
_MODULE_OF = {name: module for module, names in _HOME.items() for name in names}

__all__ = [  # literal, for linters and type checkers; tests/instruments/test_package.py checks it against _HOME
    "AcceptedReading", "AcquisitionSession", "ConfigurationError", "DRIVERS", "DisconnectedError", "Driver",
    "DruckDpi740", "FlukeThermometer", "GarbledFrame", "InstrumentError", "InstrumentReportedError",
    "InstrumentTimeout", "LineSettings", "MtSics", "NeverStable", "NotExecutable", "Overload", "Reading",
    "ReadingSink", "SartoriusSbi", "ScpiMeter", "SerialTransport", "SessionSummary", "StabilityCriterion",
    "TransportError", "Underload", "driver_class", "open_transport",
]


def __getattr__(name: str) -> Any:
    try:
        module = _MODULE_OF[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
