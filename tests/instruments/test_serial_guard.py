"""The autouse serial guard: real devices are refused, test ptys and loop:// are allowed."""
import os
import subprocess
import sys
import textwrap

import pytest
import serial

from tests.fixtures.serial_guard import RealSerialPortBlocked, is_blocked


@pytest.mark.parametrize("port", ["/dev/ttyS0", "/dev/ttyUSB0", "/dev/ttyACM3", "COM3", "com12",
                                  "socket://192.0.2.7:4001", "rfc2217://203.0.113.1:2217"])
def test_real_devices_are_blocked(port):
    assert is_blocked(port)


@pytest.mark.parametrize("port", ["loop://", "socket://localhost:4001", "rfc2217://127.0.0.1:2217",
                                  "/tmp/not-a-device"])
def test_harmless_ports_are_allowed(port):
    assert not is_blocked(port)


def test_device_option_port_is_allowed():
    assert not is_blocked("/dev/ttyUSB0", device_port="/dev/ttyUSB0")


def test_pty_created_in_test_is_allowed():
    master, slave = os.openpty()
    try:
        assert not is_blocked(os.ttyname(slave))
    finally:
        os.close(master)
        os.close(slave)


def test_opening_a_real_device_raises_and_is_recorded(serial_guard):
    with pytest.raises(RealSerialPortBlocked):
        serial.Serial("/dev/ttyS0")
    assert serial_guard.violations == ["/dev/ttyS0"]
    serial_guard.violations.clear()  # this test expects the violation; do not fail it at teardown


def test_guard_fails_a_test_that_swallows_the_error(tmp_path):
    test_file = tmp_path / "test_sneaky.py"
    test_file.write_text(textwrap.dedent("""
        import serial

        def test_sneaky():
            try:
                serial.Serial("/dev/ttyS0")
            except Exception:
                pass
    """))
    conftest = tmp_path / "conftest.py"
    conftest.write_text("pytest_plugins = ['tests.fixtures.serial_guard']\n"
                        "def pytest_addoption(parser):\n"
                        "    parser.addoption('--serial-port', default=None)\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", os.devnull,
                           str(test_file)], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=root), cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout
    assert "opened real serial device" in proc.stdout
