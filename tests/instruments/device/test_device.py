"""Device tests: run only with ``--serial-port PORT`` (and ``--driver``-specific env), against real hardware.

Example: ``pytest tests/instruments/device -m device --serial-port /dev/ttyUSB0``; the driver kind
comes from the environment variable ``INSTRUMENTS_DEVICE_KIND`` (default ``mtsics``).
"""
import os

import pytest

from instruments.drivers import driver_class
from instruments.transport import open_transport

pytestmark = pytest.mark.device


@pytest.fixture
def connected_driver(request):
    port = request.config.getoption("--serial-port")
    if not port:
        pytest.skip("device test: give --serial-port to run against a real instrument")
    cls = driver_class(os.environ.get("INSTRUMENTS_DEVICE_KIND", "mtsics"))
    transport = open_transport(port, cls.settings)
    yield cls(transport)
    transport.close()


def test_device_gives_a_reading(connected_driver):
    reading = connected_driver.read()
    assert reading.raw and reading.unit


def test_device_stable_reading(connected_driver):
    assert connected_driver.read_stable().stable is not False
