"""Root test configuration: options and guards shared by every test package."""
import pytest

pytest_plugins = ["tests.fixtures.serial_guard"]


def pytest_addoption(parser):
    parser.addoption("--serial-port", action="store", default=None,
                     help="run device tests against a real instrument on this serial port")
