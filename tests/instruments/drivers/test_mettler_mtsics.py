"""Protocol tests for the MT-SICS driver: (sent, reply) pairs, every pair consumed."""
import pytest

from instruments.drivers.mettler_mtsics import MtSics, parse_weight
from instruments.errors import (
    ConfigurationError,
    GarbledFrame,
    InstrumentReportedError,
    NotExecutable,
    Overload,
    Underload,
)
from instruments.testing import ProtocolMismatch, expected_protocol


def test_read_immediate_dynamic():
    with expected_protocol(MtSics, [(b"SI", b"S D      99.98 g")]) as scale:
        reading = scale.read()
    assert (reading.value, reading.unit, reading.stable, reading.raw) == (99.98, "g", False, b"S D      99.98 g")


def test_read_stable():
    with expected_protocol(MtSics, [(b"S", b"S S     100.00 g")]) as scale:
        reading = scale.read_stable()
    assert (reading.value, reading.stable) == (100.0, True)


@pytest.mark.parametrize("reply, error", [
    (b"S I", NotExecutable), (b"S +", Overload), (b"S -", Underload),
    (b"ET", InstrumentReportedError), (b"EL", InstrumentReportedError),
    (b"S X     100.00 g", GarbledFrame), (b"S S     1OO.00 g", GarbledFrame), (b"S S     100.00 furlong", GarbledFrame),
])
def test_read_stable_errors(reply, error):
    with expected_protocol(MtSics, [(b"S", reply)]) as scale, pytest.raises(error) as info:
        scale.read_stable()
    assert info.value.raw == reply


def test_read_stable_falls_back_to_si_polling_when_s_is_unknown():
    pairs = [(b"S", b"ES"), (b"SI", b"S D      99.98 g"), (b"SI", b"S S     100.00 g"),
             (b"SI", b"S S     100.00 g")]
    with expected_protocol(MtSics, pairs) as scale:
        assert scale.read_stable().value == 100.0
        assert scale.read_stable().stable is True  # S is not tried again


def test_error_line_carries_code():
    with expected_protocol(MtSics, [(b"SI", b"EL")]) as scale, pytest.raises(InstrumentReportedError) as info:
        scale.read()
    assert info.value.code == "EL"


def test_identification_commands():
    pairs = [(b"I4", b'I4 A "B207696838"'), (b"I2", b'I2 A "XS204 220.0090 g"'), (b"I3", b'I3 A "2.22 2.30"')]
    with expected_protocol(MtSics, pairs) as scale:
        assert scale.serial_number() == "B207696838"
        assert scale.model() == "XS204 220.0090 g"
        assert scale.software_version() == "2.22 2.30"


def test_zero_tare_and_clear():
    pairs = [(b"Z", b"Z A"), (b"ZI", b"ZI D"), (b"T", b"T S      50.00 g"), (b"TA", b"TA A      50.00 g"),
             (b"TAC", b"TAC A"), (b"@", b'I4 A "B207696838"')]
    with expected_protocol(MtSics, pairs) as scale:
        scale.zero()
        scale.zero_immediately()
        assert scale.tare().value == 50.0
        assert scale.tare_value().value == 50.0
        scale.clear_tare()
        assert scale.reset() == "B207696838"


@pytest.mark.parametrize("reply, error", [(b"Z I", NotExecutable), (b"Z +", Overload), (b"Z -", Underload)])
def test_zero_errors(reply, error):
    with expected_protocol(MtSics, [(b"Z", reply)]) as scale, pytest.raises(error):
        scale.zero()


def test_sir_stream_and_stop():
    pairs = [(b"SIR", None), (None, b"S D      10.01 g"), (None, b"S S      10.00 g"),
             (b"@", [b"S S      10.00 g", b'I4 A "B207696838"'])]
    with expected_protocol(MtSics, pairs) as scale:
        scale.start_stream()
        assert [scale.read_streamed().stable for _ in range(2)] == [False, True]
        scale.stop_stream()


def test_units_are_normalised():
    assert parse_weight(b"S S   1500.0 mg").value == pytest.approx(1.5)
    assert parse_weight(b"S S   1500.0 mg").unit == "g"
    assert parse_weight(b"S S    2.00000 kg").unit == "kg"


def test_protocol_transport_reports_unconsumed_pairs():
    with pytest.raises(ProtocolMismatch, match="not consumed"):
        with expected_protocol(MtSics, [(b"SI", b"S S 1.00 g"), (b"SI", b"S S 1.00 g")]) as scale:
            scale.read()


def test_protocol_transport_reports_wrong_command():
    with pytest.raises(ProtocolMismatch, match="expected b'S'"):
        with expected_protocol(MtSics, [(b"S", b"S S 1.00 g")]) as scale:
            scale.read()


def test_decimals_option_rejects_frames_with_a_dropped_character():
    pairs = [(b"SI", b"S S     100.00 g"), (b"SI", b"S S     10000 g"), (b"SI", b"S S     100.0 g")]
    with expected_protocol(MtSics, pairs, decimals=2) as scale:
        assert scale.read().value == 100.0
        for _ in range(2):
            with pytest.raises(GarbledFrame, match="decimals"):
                scale.read()


@pytest.mark.parametrize("decimals", [-1, 10, "2", True])
def test_decimals_option_is_validated(decimals):
    with pytest.raises(ConfigurationError, match="^decimals"):
        MtSics(None, decimals=decimals)
