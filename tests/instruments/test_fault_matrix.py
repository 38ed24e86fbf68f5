"""The fault matrix over every simulator kind: each fault gives its typed error or rejected frames,
and nothing invalid is ever accepted (every accepted value is what its raw frame says, and is true).

MT-SICS has its own, more detailed matrix in ``test_acquisition.py`` (``S I`` when never stable).
"""
import time

import pytest

from instruments.acquisition import AcquisitionSession, StabilityCriterion
from instruments.drivers import druck_dpi740, fluke_thermometer, mettler_mtsics, sartorius_sbi, scpi
from instruments.errors import DisconnectedError, GarbledFrame, InstrumentTimeout, NeverStable, Overload

#: kind -> (side-channel setter, value applied, parser of a raw frame, expected reading, tolerance)
KINDS = {
    "mtsics": ("put_load", 10.0, mettler_mtsics.parse_weight, 10.0, 0.011),
    "sbi": ("put_load", 10.0, sartorius_sbi.parse_frame, 10.0, 0.0011),
    "dpi740": ("set_pressure", 20.0, lambda f: druck_dpi740.parse_reply(f, "PR"), 20.0, 0.05),
    "fluke1502": ("set_bath", 23.0, fluke_thermometer.parse_reading, 23.0, 0.01),
    "scpi": ("set_input", 10.0, lambda f: scpi.parse_number(f, "V"), 10.0, 0.001),
}
FAILING = [("garble:1", GarbledFrame, "garbled"), ("overload", Overload, "overload"),
           ("silent", InstrumentTimeout, None), ("disconnect:3", DisconnectedError, None),
           ("unstable", NeverStable, None)]


class ListSink:
    def __init__(self):
        self.accepted, self.rejected = [], []

    def last_sequence(self):
        return None

    def accept(self, record):
        self.accepted.append(record)

    def reject(self, raw, reason):
        self.rejected.append((raw, reason))


def _prepare(create_sim, kind, fault, seed=1):
    setter, value = KINDS[kind][:2]
    handle = create_sim(kind, fault=fault, seed=seed)
    getattr(handle, setter)(value)
    if kind == "dpi740":
        time.sleep(1.2)  # the pump reaches 20 kPa at 20 kPa/s
    return handle


def _assert_nothing_invalid(kind, sink):
    parser, expected, tolerance = KINDS[kind][2:]
    for record in sink.accepted:
        assert parser(record.reading.raw).value == pytest.approx(record.reading.value, abs=1e-9)
        assert record.reading.value == pytest.approx(expected, abs=tolerance)
        assert record.stable


@pytest.mark.parametrize("fault, error, reason", FAILING, ids=[f[0] for f in FAILING])
@pytest.mark.parametrize("kind", ["sbi", "dpi740", "fluke1502", "scpi"])
def test_failing_fault_gives_typed_error_and_stores_nothing_invalid(create_sim, create_driver, kind, fault,
                                                                     error, reason):
    handle = _prepare(create_sim, kind, fault)
    driver, sink = create_driver(kind, handle.port, timeout=0.3), ListSink()
    with pytest.raises(error) as info:
        AcquisitionSession(driver, sink, 5, require_stable=True, stable_within=1.5, max_consecutive_errors=4).run()
    assert type(info.value) is error
    _assert_nothing_invalid(kind, sink)
    if reason:
        assert sink.accepted == [] and len(sink.rejected) == 4
        assert all(r.startswith(reason + ": ") for _, r in sink.rejected)
    if fault in ("silent", "unstable"):
        assert sink.accepted == []
    if fault == "disconnect:3":
        assert len(sink.accepted) <= 3


@pytest.mark.parametrize("fault", ["garble:0.3", "drop:0.02", "slow:0.05"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_recoverable_fault_accepts_only_valid_readings(create_sim, create_driver, kind, fault):
    handle = _prepare(create_sim, kind, fault, seed=7)
    options = {"stable_timeout": 2.0} if kind == "mtsics" else {}
    driver, sink = create_driver(kind, handle.port, timeout=0.5, **options), ListSink()
    criterion = StabilityCriterion(3, max(driver.stability_band, 0.02 if kind == "mtsics" else 0.0))
    AcquisitionSession(driver, sink, 8, require_stable=True, criterion=criterion, stable_within=10).run()
    assert len(sink.accepted) == 8
    _assert_nothing_invalid(kind, sink)
    for _raw, reason in sink.rejected:
        # a dropped decimal point can push a value out of the measuring range: rejected as overload
        assert reason.split(":")[0] in ("garbled", "timeout", "instrument-reported", "not-executable", "overload",
                                        "underload")
