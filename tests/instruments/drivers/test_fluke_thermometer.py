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


@pytest.mark.parametrize("frame, error", [(b"t: 9999.000 C", "Overload"), (b"t: -250.000 C", "Underload")])
def test_temperature_outside_the_measuring_range_is_a_range_error(frame, error):
    """The protocol has no over-range flag: a value outside −200…962 °C is refused with its raw frame."""
    import instruments.errors as errors

    with expected_protocol(FlukeThermometer, [(b"T", frame)]) as readout, \
            pytest.raises(getattr(errors, error)) as info:
        readout.read()
    assert info.value.raw == frame


def test_measuring_range_can_be_changed_or_disabled():
    with expected_protocol(FlukeThermometer, [(b"T", b"t: 9999.000 C"), (b"T", b"t: 400.0 O")],
                           temperature_range=None) as readout:
        assert readout.read().value == 9999.0
        assert readout.read().unit == "Ω"  # resistance is never range-checked in °C


@pytest.mark.parametrize("bad", [(1, 1), (5, -5), ("a", 2), 3, (float("nan"), 1)])
def test_measuring_range_is_validated(bad):
    from instruments.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="temperature_range"), \
            expected_protocol(FlukeThermometer, [], temperature_range=bad):
        pass
