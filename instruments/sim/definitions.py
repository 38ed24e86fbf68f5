"""Versioned TOML definitions of simulated instruments (``instruments/sim/devices/*.toml``).

A definition holds the ``spec`` version, the ``[device]`` identity (``kind``,
``protocol``, ``name``), the ``[serial]`` line settings the real instrument uses, fixed
``[dialogues]`` (query → reply), the ``[protocol]`` formatting parameters and the
``[model]`` physical parameters.  Files with no ``spec``, a malformed one or one newer
than :data:`SPEC_VERSION` are rejected.
"""
from __future__ import annotations

import dataclasses
import pathlib
import tomllib
from collections.abc import Mapping

from ..errors import ConfigurationError
from ..transport import LineSettings
from .models import MODELS

SPEC_VERSION = (1, 0)
DEVICES_DIR = pathlib.Path(__file__).with_name("devices")
PROTOCOLS = ("mtsics", "sbi", "dpi740", "fluke1502", "scpi")


@dataclasses.dataclass(frozen=True)
class Definition:
    """A validated simulated-device definition.

    :param kind: name used by ``simulate KIND`` (e.g. ``mtsics``).
    :param protocol: protocol responder to use.
    :param name: human-readable instrument name.
    :param spec: ``(major, minor)`` of the file format.
    :param serial: the instrument's line settings.
    :param dialogues: fixed query → reply frames.
    :param protocol_params: protocol formatting parameters.
    :param model_type: key of :data:`instruments.sim.models.MODELS`.
    :param model_params: physical model parameters.
    :param source: file it was loaded from.
    """

    kind: str
    protocol: str
    name: str
    spec: tuple[int, int]
    serial: LineSettings
    dialogues: Mapping[str, str]
    protocol_params: Mapping
    model_type: str
    model_params: Mapping
    source: str


def _parse_spec(value) -> tuple[int, int]:
    if not isinstance(value, str):
        raise ConfigurationError(f"spec: must be a string like '1.0', got {value!r}")
    parts = value.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ConfigurationError(f"spec: malformed version {value!r} (expected 'MAJOR.MINOR')")
    spec = (int(parts[0]), int(parts[1]))
    if spec[0] != SPEC_VERSION[0] or spec > SPEC_VERSION:
        raise ConfigurationError(f"spec: version {value} is not supported (this simulator reads "
                                 f"{SPEC_VERSION[0]}.0 to {SPEC_VERSION[0]}.{SPEC_VERSION[1]})")
    return spec


def _table(data: Mapping, key: str, required: bool = True) -> Mapping:
    value = data.get(key, None if required else {})
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{key}: missing or not a table")
    return value


def _string(table: Mapping, section: str, key: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{section}.{key}: missing or not a non-empty string")
    return value


def parse_definition(data: Mapping, source: str = "<memory>") -> Definition:
    """Get a validated :class:`Definition` from parsed TOML.

    :param data: the parsed document.
    :param source: where it came from (for messages).
    :returns: the definition.
    :raises ConfigurationError: any missing or invalid key (the message names it).
    """
    if "spec" not in data:
        raise ConfigurationError(f"spec: missing in {source}")
    spec = _parse_spec(data["spec"])
    device = _table(data, "device")
    protocol = _string(device, "device", "protocol")
    if protocol not in PROTOCOLS:
        raise ConfigurationError(f"device.protocol: unknown protocol {protocol!r} (known: {', '.join(PROTOCOLS)})")
    dialogues = _table(data, "dialogues", required=False)
    for key, val in dialogues.items():
        if not isinstance(val, str):
            raise ConfigurationError(f"dialogues.{key}: reply must be a string")
    model = _table(data, "model")
    model_type = _string(model, "model", "type")
    if model_type not in MODELS:
        raise ConfigurationError(f"model.type: unknown model {model_type!r} (known: {', '.join(MODELS)})")
    try:
        serial = LineSettings.from_mapping(_table(data, "serial"))
    except ConfigurationError as exc:
        raise ConfigurationError(f"serial.{exc}") from None
    return Definition(_string(device, "device", "kind"), protocol, _string(device, "device", "name"), spec,
                      serial, dict(dialogues), dict(_table(data, "protocol", required=False)), model_type,
                      dict(model), source)


def load_definition(kind_or_path: str) -> Definition:
    """Get the definition for a built-in kind (``mtsics``…) or a TOML file path.

    :param kind_or_path: kind name or path to a ``.toml`` file.
    :returns: the validated definition.
    :raises ConfigurationError: unknown kind, unreadable file, invalid TOML or content.
    """
    path = pathlib.Path(kind_or_path)
    if path.suffix != ".toml":
        matches = {p.stem: p for p in DEVICES_DIR.glob("*.toml")}
        found = [p for p in matches.values() if _kind_of(p) == kind_or_path]
        if not found:
            raise ConfigurationError(f"kind: no simulated device {kind_or_path!r} (known: "
                                     f"{', '.join(sorted(available_kinds()))})")
        path = found[0]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"definition: cannot read {path} ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"definition: {path} is not valid TOML ({exc})") from None
    return parse_definition(data, str(path))


def _kind_of(path: pathlib.Path) -> str | None:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")).get("device", {}).get("kind")
    except (OSError, tomllib.TOMLDecodeError, AttributeError):
        return None


def available_kinds() -> list[str]:
    """Get the kinds of the built-in device definitions.

    :returns: sorted kind names.
    """
    return sorted(k for k in (_kind_of(p) for p in DEVICES_DIR.glob("*.toml")) if k)
