"""Device definitions: versioned TOML, validated on load."""
import tomllib

import pytest

from instruments.errors import ConfigurationError
from instruments.sim.definitions import DEVICES_DIR, SPEC_VERSION, available_kinds, load_definition, parse_definition


def _base():
    return tomllib.loads((DEVICES_DIR / "mettler_toledo_mtsics.toml").read_text(encoding="utf-8"))


def test_builtin_definitions_load():
    assert available_kinds() == ["dpi740", "fluke1502", "ind560", "mtsics", "sbi", "scpi"]
    for kind in available_kinds():
        definition = load_definition(kind)
        assert definition.kind == kind and definition.spec <= SPEC_VERSION


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d.pop("spec"), "spec"),
    (lambda d: d.update(spec="2.0"), "spec"),
    (lambda d: d.update(spec=f"{SPEC_VERSION[0]}.{SPEC_VERSION[1] + 1}"), "spec"),
    (lambda d: d.update(spec="one"), "spec"),
    (lambda d: d.update(spec=1.0), "spec"),
    (lambda d: d.pop("device"), "device"),
    (lambda d: d["device"].update(protocol="modbus"), "device.protocol"),
    (lambda d: d["device"].pop("kind"), "device.kind"),
    (lambda d: d["model"].update(type="volcano"), "model.type"),
    (lambda d: d["serial"].update(parity="Q"), "serial.parity"),
    (lambda d: d["serial"].update(baud=9600), "serial.baud"),
    (lambda d: d["dialogues"].update(I4=4), "dialogues.I4"),
])
def test_invalid_definitions_name_the_key(mutate, field):
    data = _base()
    mutate(data)
    with pytest.raises(ConfigurationError, match=f"^{field}"):
        parse_definition(data)


def test_unknown_kind_and_bad_files(tmp_path):
    with pytest.raises(ConfigurationError, match="^kind: no simulated device 'x'"):
        load_definition("x")
    bad = tmp_path / "bad.toml"
    bad.write_text("spec = ")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_definition(str(bad))
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_definition(str(tmp_path / "missing.toml"))


def test_bad_model_parameter_is_reported_when_the_device_is_built():
    from instruments.sim.server import SimDevice

    data = _base()
    data["model"]["capacity"] = "big"
    with pytest.raises(ConfigurationError, match="^model.capacity"):
        SimDevice(parse_definition(data))
