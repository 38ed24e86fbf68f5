"""Fixtures for the instruments tests: simulators on real ptys and open transports."""
import pytest

from instruments import sim
from instruments.drivers import driver_class
from instruments.transport import open_transport


def pytest_collection_modifyitems(config, items):
    """Make an exception in a simulator thread fail the test instead of only warning."""
    for item in items:
        if "tests/instruments" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning"))


@pytest.fixture
def create_sim():
    """Factory: start a threaded simulator (unpaced unless asked); all are closed after the test."""
    handles = []

    def factory(kind, seed=1, fault=None, pace=False, baudrate=None):
        handle = sim.start(kind, seed=seed, fault=fault, pace=pace, baudrate=baudrate)
        handles.append(handle)
        return handle

    yield factory
    for handle in handles:
        handle.close()


@pytest.fixture
def create_driver():
    """Factory: open a driver of *kind* on *port* with a short timeout; transports closed after the test."""
    transports = []

    def factory(kind, port, timeout=1.0, **kwargs):
        cls = driver_class(kind)
        transport = open_transport(port, cls.settings.from_mapping({"timeout": timeout}, cls.settings))
        transports.append(transport)
        return cls(transport, **kwargs)

    yield factory
    for transport in transports:
        transport.close()


@pytest.fixture
def create_definition(tmp_path):
    """Factory: copy a built-in device definition with text replacements; returns the new file path."""
    from instruments.sim.definitions import DEVICES_DIR

    def factory(filename, replacements):
        text = (DEVICES_DIR / filename).read_text(encoding="utf-8")
        for old, new in replacements.items():
            assert old in text, old
            text = text.replace(old, new)
        path = tmp_path / f"variant-{len(list(tmp_path.iterdir()))}.toml"
        path.write_text(text, encoding="utf-8")
        return str(path)

    return factory
