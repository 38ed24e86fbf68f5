"""Protocol tests for the SCPI (34401A-style) driver."""
import pytest

from instruments.drivers.scpi import ScpiMeter, parse_error
from instruments.errors import ConfigurationError, GarbledFrame, InstrumentReportedError, InstrumentTimeout, Overload
from instruments.testing import expected_protocol


def test_identify_remote_measure_local():
    pairs = [(b"*IDN?", b"HEWLETT-PACKARD,34401A,0,11-5-2\r"), (b"SYST:REM", None),
             (b"MEAS:VOLT:DC?", b"+9.99987000E+00\r"), (b"SYST:LOC", None)]
    with expected_protocol(ScpiMeter, pairs) as dmm:
        assert dmm.identify() == "HEWLETT-PACKARD,34401A,0,11-5-2"
        dmm.remote()
        reading = dmm.measure()
        dmm.local()
    assert (reading.value, reading.unit, reading.stable) == (9.99987, "V", None)


def test_resistance_function():
    with expected_protocol(ScpiMeter, [(b"MEAS:RES?", b"+1.00001200E+02")], function="RES") as dmm:
        assert dmm.read().unit == "Ω"


def test_overload_value():
    with expected_protocol(ScpiMeter, [(b"MEAS:VOLT:DC?", b"+9.90000000E+37")]) as dmm, pytest.raises(Overload):
        dmm.read()


def test_timeout_reads_error_queue():
    pairs = [(b"MEAS:VOLT:DC?", None), (b"SYST:ERR?", b'-113,"Undefined header"')]
    with expected_protocol(ScpiMeter, pairs) as dmm, pytest.raises(InstrumentReportedError, match="-113") as info:
        dmm.read()
    assert info.value.code == "-113"


def test_timeout_without_error_stays_timeout():
    pairs = [(b"MEAS:VOLT:DC?", None), (b"SYST:ERR?", b'+0,"No error"')]
    with expected_protocol(ScpiMeter, pairs) as dmm, pytest.raises(InstrumentTimeout):
        dmm.read()


def test_error_queue_parsing():
    assert parse_error(b'+0,"No error"') == (0, "No error")
    with pytest.raises(GarbledFrame):
        parse_error(b"-113 Undefined")


def test_not_a_number():
    with expected_protocol(ScpiMeter, [(b"MEAS:VOLT:DC?", b"+9.9x")]) as dmm, pytest.raises(GarbledFrame):
        dmm.read()


def test_bad_function():
    with pytest.raises(ConfigurationError, match="function"):
        ScpiMeter(None, function="VOLT:XX")


def test_raw_has_no_cr_of_a_crlf_line_end():
    """``raw`` is the frame without its line end, for readings and for rejected frames alike."""
    pairs = [(b"MEAS:VOLT:DC?", b"+9.99987000E+00\r"), (b"MEAS:VOLT:DC?", b"+9.9\x0799E+00\r")]
    with expected_protocol(ScpiMeter, pairs) as dmm:
        assert dmm.read().raw == b"+9.99987000E+00"
        with pytest.raises(GarbledFrame) as info:
            dmm.read()
    assert info.value.raw == b"+9.9\x0799E+00"
