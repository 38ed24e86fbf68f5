"""Acquisition sessions: acceptance, stability, rejection, resume, and a simulator killed mid-session."""
import sqlite3
import threading

import pytest

from instruments import sim
from instruments.acquisition import AcceptedReading, AcquisitionSession, StabilityCriterion
from instruments.drivers import DruckDpi740, MtSics, SartoriusSbi
from instruments.drivers.mettler_mtsics import parse_weight
from instruments.errors import (
    ConfigurationError,
    DisconnectedError,
    GarbledFrame,
    InstrumentTimeout,
    NeverStable,
    NotExecutable,
    Overload,
)
from instruments.reading import Reading, utc_now
from instruments.testing import expected_protocol
from instruments.transport import open_transport

from .sqlite_sink import SqliteSink


class ListSink:
    def __init__(self, last=None):
        self.accepted, self.rejected, self.last = [], [], last

    def last_sequence(self):
        return self.last

    def accept(self, record):
        self.accepted.append(record)

    def reject(self, raw, reason):
        self.rejected.append((raw, reason))


def _reading(value, unit="g"):
    return Reading(value, unit, None, utc_now(), b"")


def test_criterion_needs_full_window_within_band():
    crit = StabilityCriterion(3, 0.02)
    assert [crit.update(_reading(v)) for v in (1.00, 1.01, 1.02, 1.05, 1.04, 1.04)] == \
        [False, False, True, False, False, True]


def test_criterion_restarts_on_unit_change():
    crit = StabilityCriterion(2, 0.1)
    assert crit.update(_reading(1.0)) is False
    assert crit.update(_reading(1.0, "kg")) is False


@pytest.mark.parametrize("window, band, field", [(1, 0.1, "window"), (3, -1, "band"), ("3", 0.1, "window"),
                                                 (3, float("nan"), "band")])
def test_criterion_rejects_bad_parameters(window, band, field):
    with pytest.raises(ConfigurationError, match=field):
        StabilityCriterion(window, band)


def test_session_accepts_stable_and_rejects_garbled_with_reason():
    pairs = [(b"S", b"S S     1\x0000.00 g"), (b"S", b"S +"), (b"S", b"S S     100.00 g"), (b"S", b"S S     100.00 g")]
    sink = ListSink()
    with expected_protocol(MtSics, pairs) as scale:
        summary = AcquisitionSession(scale, sink, 2, require_stable=True).run()
    assert [r.sequence for r in sink.accepted] == [1, 2]
    assert all(r.reading.stable for r in sink.accepted)
    assert [reason.split(":")[0] for _, reason in sink.rejected] == ["garbled", "overload"]
    assert sink.rejected[0][0] == b"S S     1\x0000.00 g"
    assert (summary.accepted, summary.rejected, summary.completed) == (2, 2, True)


def test_session_skips_unstable_polled_readings():
    pairs = [(b"\x1bP", b"+   99.998    "), (b"\x1bP", b"+  100.000 g  ")]
    sink = ListSink()
    with expected_protocol(SartoriusSbi, pairs) as scale:
        summary = AcquisitionSession(scale, sink, 1, require_stable=True).run()
    assert [r.reading.value for r in sink.accepted] == [100.0] and summary.skipped_unstable == 1


def test_session_without_require_stable_keeps_dynamic_readings_flagged():
    sink = ListSink()
    with expected_protocol(MtSics, [(b"SI", b"S D      99.98 g")]) as scale:
        AcquisitionSession(scale, sink, 1).run()
    assert sink.accepted[0].reading.stable is False and sink.accepted[0].stable is False


def test_session_resumes_after_last_stored_sequence():
    sink = ListSink(last=3)
    with expected_protocol(MtSics, [(b"SI", b"S S 1.00 g"), (b"SI", b"S S 1.00 g")]) as scale:
        summary = AcquisitionSession(scale, sink, 5).run()
    assert [r.sequence for r in sink.accepted] == [4, 5] and summary.first_sequence == 4


def test_session_already_complete_asks_nothing():
    with expected_protocol(MtSics, []) as scale:
        assert AcquisitionSession(scale, ListSink(last=5), 5).run().completed


def test_flagless_instrument_gets_software_criterion():
    frames = [b"!0001PR = 100.00", b"!0001PR = 150.00", b"!0001PR = 150.01", b"!0001PR = 150.00",
              b"!0001PR = 150.01", b"!0001PR = 150.00"]
    sink = ListSink()
    with expected_protocol(DruckDpi740, [(b"#0100PR?", f) for f in frames]) as gauge:
        AcquisitionSession(gauge, sink, 1, require_stable=True).run()
    assert len(sink.accepted) == 1
    assert sink.accepted[0].software_stable is True and sink.accepted[0].reading.value == pytest.approx(15.0)


def test_too_many_rejections_raise():
    with expected_protocol(MtSics, [(b"SI", b"garbage")] * 3) as scale, pytest.raises(GarbledFrame, match="3 "):
        AcquisitionSession(scale, ListSink(), 1, max_consecutive_errors=3).run()


@pytest.mark.parametrize("kwargs, field", [({"count": 0}, "count"), ({"count": True}, "count")])
def test_session_validates_arguments(kwargs, field):
    with pytest.raises(ConfigurationError, match=field):
        AcquisitionSession(MtSics(None), ListSink(), **kwargs)


def test_session_rejects_object_that_is_not_a_sink():
    with pytest.raises(ConfigurationError, match="sink"):
        AcquisitionSession(MtSics(None), object(), 1)


def test_accepted_reading_combined_stability():
    r = Reading(1.0, "g", True, utc_now(), b"")
    assert AcceptedReading(1, r, None).stable and not AcceptedReading(1, r, False).stable


# -- fault matrix: every fault gives a typed error or rejected frames; nothing invalid is stored ------------

def _open(handle, timeout=0.5):
    settings = MtSics.settings.from_mapping({"timeout": timeout}, MtSics.settings)
    return MtSics(open_transport(handle.port, settings), stable_timeout=2.0)


def _assert_all_valid(sink, load):
    for record in sink.accepted:
        assert parse_weight(record.reading.raw).value == record.reading.value
        assert record.reading.value == pytest.approx(load, abs=0.011)


@pytest.mark.parametrize("fault, stream, error", [
    ("garble:1", False, GarbledFrame), ("garble:1", True, GarbledFrame), ("overload", False, Overload),
    ("silent", False, InstrumentTimeout), ("disconnect:3", False, DisconnectedError),
    ("disconnect:3", True, DisconnectedError), ("unstable", False, NotExecutable), ("unstable", True, NeverStable),
])
def test_fault_matrix_failing_faults(create_sim, create_definition, fault, stream, error):
    definition = create_definition("mettler_toledo_mtsics.toml", {"stable_timeout = 5.0": "stable_timeout = 0.2"})
    handle = create_sim(definition, fault=fault)
    handle.put_load(10.0)
    scale, sink = _open(handle), ListSink()
    with pytest.raises(error) as info:
        AcquisitionSession(scale, sink, 5, require_stable=True, stream=stream, stable_within=1.5,
                           max_consecutive_errors=4).run()
    scale.close()
    assert type(info.value) is error
    assert not any(r.reading.stable is False for r in sink.accepted)
    if fault in ("garble:1", "overload", "unstable") and error is not NeverStable:
        assert sink.accepted == [] and len(sink.rejected) == 4
        reason = {"garble:1": "garbled", "overload": "overload", "unstable": "not-executable"}[fault]
        assert all(r.startswith(reason) for _, r in sink.rejected)
    if fault in ("silent", "unstable"):
        assert sink.accepted == []
    if fault == "disconnect:3":
        assert len(sink.accepted) <= 3


@pytest.mark.parametrize("fault", ["garble:0.3", "drop:0.02", "slow:0.05"])
def test_fault_matrix_recoverable_faults(create_sim, fault):
    handle = create_sim("mtsics", fault=fault, seed=7)
    handle.put_load(10.0)
    scale, sink = _open(handle), ListSink()
    criterion = StabilityCriterion(3, 0.02)
    AcquisitionSession(scale, sink, 8, require_stable=True, criterion=criterion, stable_within=10).run()
    scale.close()
    assert len(sink.accepted) == 8
    _assert_all_valid(sink, 10.0)
    if fault != "slow:0.05":
        assert sink.rejected, "this seed must produce at least one rejected frame"
        assert all(raw != b"" or reason.startswith("timeout") for raw, reason in sink.rejected)


# -- kill the simulator mid-session: every accepted reading is in the database and the session resumes ----

def test_kill_simulator_mid_session_loses_nothing_and_resumes(tmp_path):
    db = tmp_path / "bench.sqlite"
    first = sim.spawn("mtsics", seed=3)
    first.put_load(100.0)
    seen = []

    def kill_after_four(record):
        seen.append(record.sequence)
        if len(seen) == 4:
            threading.Thread(target=first.kill).start()

    sink = SqliteSink(str(db), on_accept=kill_after_four)
    scale = _open(first, timeout=2.0)
    try:
        with pytest.raises(DisconnectedError):
            AcquisitionSession(scale, sink, 12, require_stable=True, stream=True).run()
    finally:
        scale.close()
        sink.close()
        first.close()
    stored = sqlite3.connect(db).execute("SELECT seq FROM readings ORDER BY seq").fetchall()
    assert [s for (s,) in stored] == seen and len(seen) >= 4  # every accepted reading was committed

    second = sim.spawn("mtsics", seed=4)
    second.put_load(100.0)
    sink = SqliteSink(str(db))
    scale = _open(second, timeout=2.0)
    try:
        summary = AcquisitionSession(scale, sink, 12, require_stable=True, stream=True).run()
        rows = sink.rows()
    finally:
        scale.close()
        sink.close()
        second.close()
    assert summary.first_sequence == len(seen) + 1
    assert [row[0] for row in rows] == list(range(1, 13))
    assert all(row[3] == 1 and row[1] == pytest.approx(100.0, abs=0.011) for row in rows)


def test_kill_acquiring_process_mid_session_loses_nothing_and_resumes(create_sim, tmp_path):
    import os
    import subprocess
    import sys
    import time

    handle = create_sim("mtsics", pace=True)  # 9600 baud: about 53 readings per second
    handle.put_load(20.0)
    db = tmp_path / "bench.sqlite"
    worker = os.path.join(os.path.dirname(__file__), "acquire_worker.py")
    proc = subprocess.Popen([sys.executable, worker, handle.port, str(db), "100000"])
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            time.sleep(0.1)
            if db.exists():
                probe = SqliteSink(str(db))
                done = (probe.last_sequence() or 0) >= 20
                probe.close()
                if done:
                    break
        proc.kill()  # SIGKILL mid-session: no chance to clean up
        proc.wait(5)
    finally:
        if proc.poll() is None:
            proc.kill()
    sink = SqliteSink(str(db))
    stored = [row[0] for row in sink.rows()]
    assert len(stored) >= 20 and stored == list(range(1, len(stored) + 1))  # committed, no gaps

    scale = _open(handle, timeout=2.0)
    try:
        summary = AcquisitionSession(scale, sink, len(stored) + 10, require_stable=True, stream=True).run()
    finally:
        scale.close()
    rows = sink.rows()
    sink.close()
    assert summary.first_sequence == len(stored) + 1
    assert [row[0] for row in rows] == list(range(1, len(stored) + 11))
    assert all(row[3] == 1 and row[1] == pytest.approx(20.0, abs=0.011) for row in rows)
