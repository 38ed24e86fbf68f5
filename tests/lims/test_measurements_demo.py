"""`lims demo` benches: every port is a simulator the acquisition can open (sim://KIND) with a known driver."""
import pytest

from tests.lims.conftest import copy_demo, make_app


@pytest.fixture(scope="module")
def demo_ports(demo_template, tmp_path_factory):
    from lims.extensions import db
    from lims.modules.equipment.models import Bench

    cfg = copy_demo(demo_template, tmp_path_factory.mktemp("demo"))
    app = make_app(cfg.pop("SQLALCHEMY_DATABASE_URI"), **cfg)
    with app.app_context():
        ports = [(b.name, p) for b in db.session.execute(db.select(Bench)).scalars() for p in b.ports]
        db.engine.dispose()
    return ports


def test_demo_has_weighing_pressure_and_thermometer_ports(demo_ports):
    assert sorted(p["role"] for _, p in demo_ports) == ["pressure", "thermometer", "weighing"]


@pytest.mark.parametrize("index", range(3))
def test_each_demo_port_gives_readings_through_its_driver(demo_ports, index):
    from instruments.sim.definitions import load_definition
    from lims.modules.measurements.acquisition import DRIVER_KINDS, open_driver

    name, port = demo_ports[index]
    assert port["driver"] in DRIVER_KINDS and port["port"].startswith("sim://"), name
    assert load_definition(port["port"].removeprefix("sim://")).protocol == port["driver"], name
    with open_driver(port["driver"], port["port"]) as driver:
        reading = driver.read()
    assert reading.unit in {"weighing": ("g",), "pressure": ("kPa",), "thermometer": ("°C",)}[port["role"]]
