"""Protocol tests for the Sartorius SBI driver."""
import pytest

from instruments.drivers.sartorius_sbi import SartoriusSbi, parse_frame
from instruments.errors import (
    ConfigurationError,
    GarbledFrame,
    InstrumentReportedError,
    NotExecutable,
    Overload,
    Underload,
)
from instruments.testing import expected_protocol


def test_frame_layout_is_16_characters_with_crlf():
    assert len(b"+   123.56 g  \r\n") == 16


def test_print_16_character_stable_frame():
    with expected_protocol(SartoriusSbi, [(b"\x1bP", b"+   123.56 g  ")]) as scale:
        reading = scale.read()
    assert (reading.value, reading.unit, reading.stable) == (123.56, "g", True)


def test_blank_unit_means_unstable():
    reading = parse_frame(b"-    1.234    ")
    assert reading.value == -1.234 and reading.stable is False and reading.unit == "g"


def test_22_character_frame_with_id():
    reading = parse_frame(b"N     +   123.56 g  ")
    assert (reading.value, reading.stable) == (123.56, True)


def test_kilogram_frame():
    assert parse_frame(b"+  12.3456 kg ").unit == "kg"


@pytest.mark.parametrize("frame, error", [
    (b"+         H    ", Overload), (b"-         L    ", Underload), (b"Err 340", InstrumentReportedError),
    (b"Stat         ", NotExecutable), (b"N     Stat", NotExecutable), (b"+   123.56 g", GarbledFrame),
    (b"*   123.56 g  ", GarbledFrame),
    (b"+   12x.56 g  ", GarbledFrame), (b"+   123.56 zz ", GarbledFrame),
])
def test_special_and_bad_frames(frame, error):
    with pytest.raises(error):
        parse_frame(frame)


def test_commands_without_reply_and_identity():
    pairs = [(b"\x1bT", None), (b"\x1bV", None), (b"\x1bU", None), (b"\x1bx1_", b"GC803S"),
             (b"\x1bx2_", b"0012345678")]
    with expected_protocol(SartoriusSbi, pairs) as scale:
        scale.tare()
        scale.zero()
        scale.tare_only()
        assert scale.model() == "GC803S"
        assert scale.serial_number() == "0012345678"


def test_line_settings_are_7_odd_1_at_1200():
    s = SartoriusSbi.settings
    assert (s.baudrate, s.bytesize, s.parity, s.stopbits, s.handshake) == (1200, 7, "O", 1, "rtscts")
    assert s.bits_per_byte == 10


def test_bad_unit_option():
    with pytest.raises(ConfigurationError, match="unit"):
        SartoriusSbi(None, unit="psi")
