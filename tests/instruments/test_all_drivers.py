"""Contract tests over every registered driver."""
import inspect

import pytest

from instruments.drivers import DRIVERS, Driver, driver_class
from instruments.errors import ConfigurationError
from instruments.sim.definitions import available_kinds, load_definition

VERBS = ("Control", "Measure", "Get", "Set")


@pytest.mark.parametrize("kind", sorted(DRIVERS))
def test_public_methods_are_documented_with_a_verb(kind):
    cls = DRIVERS[kind]
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_"):
            continue
        doc = inspect.getdoc(member) or ""
        assert doc.split(" ")[0].rstrip(":") in VERBS, f"{cls.__name__}.{name}: docstring must start with {VERBS}"


@pytest.mark.parametrize("kind", sorted(DRIVERS))
def test_driver_declares_settings_and_accepts_a_transport(kind):
    cls = DRIVERS[kind]
    assert issubclass(cls, Driver) and cls.kind == kind and cls.title
    assert cls.settings.timeout > 0 and cls.stability_band > 0
    assert list(inspect.signature(cls).parameters)[0] == "transport"


@pytest.mark.parametrize("kind", sorted(DRIVERS))
def test_every_driver_has_a_simulator_with_matching_line_settings(kind):
    assert kind in available_kinds()
    sim_serial, drv = load_definition(kind).serial, DRIVERS[kind].settings
    assert (sim_serial.baudrate, sim_serial.bytesize, sim_serial.parity, sim_serial.stopbits,
            sim_serial.handshake) == (drv.baudrate, drv.bytesize, drv.parity, drv.stopbits, drv.handshake)


def test_unknown_driver_kind():
    with pytest.raises(ConfigurationError, match="^driver: unknown driver 'x'"):
        driver_class("x")
