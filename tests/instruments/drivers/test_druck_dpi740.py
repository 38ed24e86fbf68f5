"""Protocol tests for the Druck DPI 740 driver."""
import pytest

from instruments.drivers.druck_dpi740 import DruckDpi740, checksum, parse_reply
from instruments.errors import ConfigurationError, GarbledFrame, InstrumentReportedError
from instruments.testing import expected_protocol


def test_read_kpa():
    with expected_protocol(DruckDpi740, [(b"#0100PR?", b"!0001PR = 200.00")]) as gauge:
        reading = gauge.read()
    assert (reading.value, reading.unit, reading.stable) == (pytest.approx(20.0), "kPa", None)


def test_read_mmhg():
    with expected_protocol(DruckDpi740, [(b"#0100PR?", b"!0001PR = 1013.25")], unit="mmHg") as gauge:
        assert gauge.read().value == pytest.approx(760.0, abs=1e-3)


def test_checksum_round_trip():
    block = "#0100PR?:"
    with expected_protocol(DruckDpi740, [(f"{block}{checksum(block)}".encode(),
                                          b"!0001PR = 100.00:" + checksum("!0001PR = 100.00:").encode())],
                           use_checksum=True) as gauge:
        assert gauge.read().value == pytest.approx(10.0)


def test_checksum_mismatch_is_garbled():
    with pytest.raises(GarbledFrame, match="checksum"):
        parse_reply(b"!0001PR = 100.00:00", "PR", use_checksum=True)


@pytest.mark.parametrize("frame, error", [(b"!0001ER = 2", InstrumentReportedError), (b"!0001PA = 10", GarbledFrame),
                                          (b"PR = 100", GarbledFrame), (b"!0001PR = abc", GarbledFrame)])
def test_bad_replies(frame, error):
    with pytest.raises(error):
        parse_reply(frame, "PR")


def test_auto_send_stream():
    pairs = [(b"#0100PA=1", None), (None, b"!0001PR = 10.00"), (b"#0100PA=0", None)]
    with expected_protocol(DruckDpi740, pairs) as gauge:
        gauge.start_stream()
        assert gauge.read_streamed().value == pytest.approx(1.0)
        gauge.stop_stream()


@pytest.mark.parametrize("kwargs, field", [({"unit": "psi"}, "unit"), ({"address": 100}, "address"),
                                           ({"host_address": -1}, "host_address")])
def test_bad_options(kwargs, field):
    with pytest.raises(ConfigurationError, match=field):
        DruckDpi740(None, **kwargs)


@pytest.mark.parametrize("frame, error", [(b"!0001PR = 1200.00", "Overload"), (b"!0001PR = -1200.00", "Underload")])
def test_pressure_beyond_full_scale_is_a_range_error(frame, error):
    """The protocol has no over-range flag: beyond ±1150 mbar (115 kPa) is refused with its raw frame."""
    import instruments.errors as errors

    with expected_protocol(DruckDpi740, [(b"#0100PR?", frame)]) as gauge, \
            pytest.raises(getattr(errors, error)) as info:
        gauge.read()
    assert info.value.raw == frame


def test_full_scale_applies_in_mmhg_and_can_be_disabled():
    import instruments.errors as errors

    with expected_protocol(DruckDpi740, [(b"#0100PR?", b"!0001PR = 1100.00")], unit="mmHg", full_scale=100.0) as g, \
            pytest.raises(errors.Overload, match="above the measuring range"):
        g.read()
    with expected_protocol(DruckDpi740, [(b"#0100PR?", b"!0001PR = 5000.00")], full_scale=None) as gauge:
        assert gauge.read().value == pytest.approx(500.0)


@pytest.mark.parametrize("bad", [0, -1, True, "100"])
def test_full_scale_is_validated(bad):
    with pytest.raises(ConfigurationError, match="full_scale"), \
            expected_protocol(DruckDpi740, [], full_scale=bad):
        pass
