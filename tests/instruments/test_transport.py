"""Transport: line settings validation, loop:// framing, bounded buffer, timeouts, bad ports."""
import pytest
import serial

from instruments.errors import ConfigurationError, GarbledFrame, InstrumentTimeout, TransportError
from instruments.transport import LineSettings, open_transport


@pytest.mark.parametrize("field, value", [("baudrate", 0), ("bytesize", 9), ("parity", "X"), ("stopbits", 3),
                                          ("handshake", "magic"), ("read_termination", b""), ("timeout", 0),
                                          ("max_frame", 2), ("write_termination", "\r")])
def test_settings_reject_bad_values_naming_the_field(field, value):
    with pytest.raises(ConfigurationError, match=f"^{field}:"):
        LineSettings(**{field: value})


def test_settings_from_mapping_converts_terminators_and_names_unknown_keys():
    s = LineSettings.from_mapping({"read_termination": "\r", "baudrate": 2400})
    assert s.read_termination == b"\r" and s.baudrate == 2400
    with pytest.raises(ConfigurationError, match="^baud:"):
        LineSettings.from_mapping({"baud": 9600})


@pytest.mark.parametrize("settings, bits", [(LineSettings(), 10), (LineSettings(bytesize=7, parity="O"), 10),
                                            (LineSettings(stopbits=2), 11), (LineSettings(bytesize=7, parity="E",
                                                                                          stopbits=2), 11)])
def test_bits_per_byte(settings, bits):
    assert settings.bits_per_byte == bits


def test_loop_url_frames_by_terminator_and_applies_settings():
    settings = LineSettings(1200, 7, "O", 1, "rtscts", b"\r\n", b"\r\n", timeout=0.2)
    with open_transport("loop://", settings) as transport:
        port = transport._port
        assert (port.baudrate, port.bytesize, port.parity, port.stopbits, port.rtscts) == (1200, 7, "O", 1, True)
        transport.write(b"A")
        transport._port.write(b"B\r")
        transport._port.write(b"\nC\r\n")
        assert [transport.read_frame(), transport.read_frame(), transport.read_frame()] == [b"A", b"B", b"C"]


def test_timeout_keeps_partial_bytes_in_error():
    with open_transport("loop://", LineSettings(timeout=0.1)) as transport:
        transport._port.write(b"S S 1")
        with pytest.raises(InstrumentTimeout) as info:
            transport.read_frame()
        assert info.value.raw == b"S S 1"


def test_overlong_frame_is_garbled_and_buffer_bounded():
    with open_transport("loop://", LineSettings(timeout=0.2, max_frame=8)) as transport:
        transport._port.write(b"X" * 40 + b"\r\nOK\r\n")
        with pytest.raises(GarbledFrame):
            transport.read_frame()
        frames = []
        for _ in range(6):
            try:
                frames.append(transport.read_frame())
            except GarbledFrame:
                continue
            if frames[-1] == b"OK":
                break
        assert frames[-1] == b"OK"


def test_nonexistent_port_is_transport_error(tmp_path):
    with pytest.raises(TransportError, match="cannot open"):
        open_transport(str(tmp_path / "no-such-tty"), LineSettings())


@pytest.mark.parametrize("url", ["", "   ", None])
def test_empty_port_is_configuration_error(url):
    with pytest.raises(ConfigurationError, match="^port:"):
        open_transport(url, LineSettings())


def test_unknown_url_scheme_is_reported():
    with pytest.raises((ConfigurationError, TransportError), match="port"):
        open_transport("nosuchscheme://x", LineSettings())


def test_closed_port_write_is_disconnected():
    transport = open_transport("loop://", LineSettings(timeout=0.1))
    transport._port.close()
    with pytest.raises(Exception) as info:
        transport.write(b"X")
    assert isinstance(info.value, (serial.SerialException, TransportError))
