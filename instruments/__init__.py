"""Bench instrument library: serial transport, drivers, simulators and loss-free acquisition.

Pure library: depends on pyserial (and pint for unit factors); never imports ``lims``.

Public API::

    from instruments import open_transport, driver_class, Reading, AcquisitionSession
    transport = open_transport("/dev/ttyUSB0", MtSics.settings)
    scale = MtSics(transport)
    scale.read_stable()
"""
from .acquisition import AcceptedReading, AcquisitionSession, ReadingSink, SessionSummary, StabilityCriterion
from .drivers import DRIVERS, Driver, DruckDpi740, FlukeThermometer, MtSics, SartoriusSbi, ScpiMeter, driver_class
from .errors import (ConfigurationError, DisconnectedError, GarbledFrame, InstrumentError, InstrumentReportedError,
                     InstrumentTimeout, NeverStable, NotExecutable, Overload, TransportError, Underload)
from .reading import Reading
from .transport import LineSettings, SerialTransport, open_transport

__version__ = "0.1.0"

__all__ = [
    "AcceptedReading", "AcquisitionSession", "ConfigurationError", "DRIVERS", "DisconnectedError", "Driver",
    "DruckDpi740", "FlukeThermometer", "GarbledFrame", "InstrumentError", "InstrumentReportedError",
    "InstrumentTimeout", "LineSettings", "MtSics", "NeverStable", "NotExecutable", "Overload", "Reading",
    "ReadingSink", "SartoriusSbi", "ScpiMeter", "SerialTransport", "SessionSummary", "StabilityCriterion",
    "TransportError", "Underload", "driver_class", "open_transport",
]
