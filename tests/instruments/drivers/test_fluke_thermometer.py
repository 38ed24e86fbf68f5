"""Protocol tests for the Fluke/Hart thermometer readout driver."""
import pytest

from instruments.drivers.fluke_thermometer import FlukeThermometer, parse_reading
from instruments.errors import GarbledFrame, InstrumentReportedError
from instruments.testing import expected_protocol


def test_read_celsius():
    with expected_protocol(FlukeThermometer, [(b"T", b"t: 25.587 C")]) as readout:
        reading = readout.read()
    assert (reading.value, reading.unit, reading.stable) == (25.587, "°C", None)


@pytest.mark.parametrize("frame, value, unit", [
    (b"t: 125.745 C 03-01-1999 15:49:15", 125.745, "°C"), (b"t: 98.600 F", 37.0, "°C"),
    (b"T:   273.150 K", 0.0, "°C"), (b"t: 100.0125 O", 100.0125, "Ω"),
])
def test_units(frame, value, unit):
    reading = parse_reading(frame)
    assert reading.value == pytest.approx(value, abs=1e-9) and reading.unit == unit


@pytest.mark.parametrize("frame, error", [(b"t: 25.5", GarbledFrame), (b"25.5 C", GarbledFrame),
                                          (b"Error: bad command", InstrumentReportedError)])
def test_bad_frames(frame, error):
    with pytest.raises(error):
        parse_reading(frame)


def test_identify_and_auto_send():
    pairs = [(b"*IDN?", b"HART,1502A,A45678,1.10"), (b"SA=1", None), (None, b"t: 23.001 C"), (b"SA=0", None)]
    with expected_protocol(FlukeThermometer, pairs) as readout:
        assert readout.identify() == "HART,1502A,A45678,1.10"
        readout.start_stream()
        assert readout.read_streamed().value == 23.001
        readout.stop_stream()
