"""Integration tests: every driver against its simulator over a real pty (no mocked serial object)."""
import os
import time

import pytest

from instruments import sim
from instruments.errors import DisconnectedError, InstrumentTimeout, NotExecutable


def _wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not reached")


def test_mtsics_load_shows_dynamic_then_stable(create_sim, create_driver):
    handle = create_sim("mtsics")
    scale = create_driver("mtsics", handle.port)
    handle.put_load(100.0)
    first = scale.read()
    assert first.stable is False and first.value < 100.0
    stable = _wait_for(lambda: (r := scale.read()).stable and r)
    assert stable.value == pytest.approx(100.0, abs=0.011) and stable.unit == "g"
    assert stable.raw.startswith(b"S S ") and stable.raw.endswith(b" g")


def test_mtsics_commands_round_trip(create_sim, create_driver):
    handle = create_sim("mtsics")
    scale = create_driver("mtsics", handle.port, stable_timeout=6.0)
    assert scale.serial_number() == "B207696838"
    assert scale.model() == "XS204 220.0090 g"
    handle.put_load(2.0)
    scale.zero()
    assert scale.read_stable().value == pytest.approx(0.0, abs=0.011)
    handle.put_load(52.0)
    assert scale.tare().value == pytest.approx(50.0, abs=0.011)
    assert scale.tare_value().value == pytest.approx(50.0, abs=0.011)
    assert scale.read_stable().value == pytest.approx(0.0, abs=0.011)
    scale.clear_tare()
    assert scale.read_stable().value == pytest.approx(50.0, abs=0.011)
    assert scale.reset() == "B207696838"


def test_mtsics_unknown_command_gives_es(create_sim, create_driver):
    handle = create_sim("mtsics")
    scale = create_driver("mtsics", handle.port)
    assert scale.transport.query(b"XYZ") == b"ES"


def test_mtsics_sir_streams_until_stopped(create_sim, create_driver):
    handle = create_sim("mtsics", pace=True)
    scale = create_driver("mtsics", handle.port)
    scale.start_stream()
    readings = [scale.read_streamed() for _ in range(20)]
    scale.stop_stream()
    assert all(r.raw.startswith(b"S ") for r in readings)
    time.sleep(0.1)
    scale.transport.discard_input()
    with pytest.raises(InstrumentTimeout):
        scale.transport.read_frame(0.2)  # the stream really stopped


def test_sbi_7_odd_1_frames_and_stability(create_sim, create_driver):
    handle = create_sim("sbi")
    scale = create_driver("sbi", handle.port)
    handle.put_load(20.0)
    assert scale.read().stable is False
    reading = _wait_for(lambda: (r := scale.read()).stable and r)
    assert reading.value == pytest.approx(20.0, abs=0.0011) and len(reading.raw) == 14
    assert scale.serial_number() == "0012345678"
    scale.tare()
    assert _wait_for(lambda: (r := scale.read()).stable and abs(r.value) < 0.002 and r)


def test_sbi_22_character_frames(create_sim, create_driver, create_definition):
    handle = create_sim(create_definition("sartorius_sbi.toml", {'frame_id = ""': 'frame_id = "N"'}))
    reading = create_driver("sbi", handle.port).read()
    assert len(reading.raw) == 20 and reading.raw.startswith(b"N     ")


def test_dpi740_pump_then_leak_in_kpa_and_mmhg(create_sim, create_driver):
    handle = create_sim("dpi740")
    gauge = create_driver("dpi740", handle.port)
    gauge_mmhg = create_driver("dpi740", handle.port, unit="mmHg")
    handle.set_pressure(20.0)
    rising = gauge.read().value
    top = _wait_for(lambda: (r := gauge.read()).value > 19.98 and r)
    assert rising < top.value and top.unit == "kPa"
    assert gauge_mmhg.read().value == pytest.approx(top.value / 0.133322387415, abs=0.2)
    handle.control({"cmd": "set", "quantity": "leak", "value": 60.0})  # 1 kPa/s
    time.sleep(0.5)
    assert gauge.read().value < top.value - 0.2


def test_dpi740_checksums(create_sim, create_driver):
    handle = create_sim("dpi740")
    gauge = create_driver("dpi740", handle.port, use_checksum=True)
    assert gauge.read().value == pytest.approx(0.0, abs=0.02)


def test_fluke_bath_settles_to_setpoint(create_sim, create_driver, create_definition):
    handle = create_sim(create_definition("fluke_1502a.toml", {"time_constant = 2.0": "time_constant = 0.3"}))
    readout = create_driver("fluke1502", handle.port)
    assert readout.identify().startswith("HART,1502A")
    handle.set_bath(37.0)
    first = readout.read().value
    assert 23.0 < first < 37.0 or first == pytest.approx(23.0, abs=0.05)
    settled = _wait_for(lambda: (r := readout.read()).value > 36.99 and r, timeout=20)
    assert settled.unit == "°C" and settled.value == pytest.approx(37.0, abs=0.01)


def test_scpi_measure_and_error_queue(create_sim, create_driver):
    handle = create_sim("scpi")
    dmm = create_driver("scpi", handle.port, timeout=0.3)
    assert dmm.identify() == "HEWLETT-PACKARD,34401A,0,11-5-2"
    dmm.remote()
    handle.set_input(1.5)
    assert dmm.measure().value == pytest.approx(1.5, abs=1e-3)
    dmm.transport.write(b"BOGUS")
    assert dmm.next_error() == (-113, "Undefined header")
    assert dmm.next_error() == (0, "No error")
    dmm.local()


def test_side_channel_rejects_bad_messages(create_sim):
    handle = create_sim("mtsics")
    assert "value" in handle.control({"cmd": "set", "quantity": "load", "value": "heavy"})["error"]
    assert "pressure" in handle.control({"cmd": "set", "quantity": "pressure", "value": 1})["error"]
    assert "cmd" in handle.control({"cmd": "explode"})["error"]
    assert handle.state()["kind"] == "mtsics"


def test_unstable_fault_makes_s_not_executable(create_sim, create_driver, create_definition):
    path = create_definition("mettler_toledo_mtsics.toml", {"stable_timeout = 5.0": "stable_timeout = 0.3"})
    handle = create_sim(path, fault="unstable")
    with pytest.raises(NotExecutable):
        create_driver("mtsics", handle.port).read_stable()


def test_paced_output_respects_line_rate(create_sim, create_driver):
    handle = create_sim("mtsics", pace=True, baudrate=9600)
    scale = create_driver("mtsics", handle.port)
    start = time.monotonic()
    for _ in range(20):
        scale.read()
    elapsed = time.monotonic() - start
    # 20 replies of 18 bytes at 10 bits per byte and 9600 baud take at least 0.375 s
    assert elapsed >= 20 * 18 * 10 / 9600 * 0.95


def test_hang_up_gives_disconnected_error(create_sim, create_driver):
    handle = create_sim("mtsics")
    scale = create_driver("mtsics", handle.port)
    scale.read()
    handle.hang_up()
    with pytest.raises(DisconnectedError):
        scale.read()


def test_spawned_simulator_kill_removes_its_socket():
    handle = sim.spawn("scpi", seed=1)
    try:
        assert handle.state()["kind"] == "scpi"
        handle.kill()
        assert handle.process.returncode == -9
        assert not os.path.exists(handle.control_path)
    finally:
        handle.close()


@pytest.mark.parametrize("kind", ["mtsics", "sbi", "dpi740", "fluke1502", "scpi"])
def test_raw_is_the_frame_without_its_line_end(create_sim, create_driver, kind):
    """Every driver's ``Reading.raw`` is the frame without CR, LF or CR LF (SCPI's CR included)."""
    handle = create_sim(kind)
    reading = create_driver(kind, handle.port).read()
    assert reading.raw and reading.raw == reading.raw.strip(b"\r\n")
    assert b"\r" not in reading.raw and b"\n" not in reading.raw


@pytest.mark.parametrize("kind", ["mtsics", "sbi", "dpi740", "fluke1502", "scpi"])
def test_same_pty_reopens_with_the_instruments_line_settings(create_sim, create_driver, kind):
    """Linux refuses (EINVAL) a pty tcsetattr whose only change is 7 bits or parity; opening twice must work.

    The silent fault makes the transport change the port timeout, which reconfigures the port again.
    """
    handle = create_sim(kind)
    for _ in range(3):
        assert create_driver(kind, handle.port).read().raw
    handle.set_fault("silent")
    driver = create_driver(kind, handle.port, timeout=0.13)
    with pytest.raises(InstrumentTimeout):
        driver.read()
