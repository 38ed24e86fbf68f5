"""Driver registry: ``kind`` name → driver class."""
from __future__ import annotations

from ..errors import ConfigurationError
from .base import Driver
from .druck_dpi740 import DruckDpi740
from .fluke_thermometer import FlukeThermometer
from .mettler_mtsics import MtSics
from .sartorius_sbi import SartoriusSbi
from .scpi import ScpiMeter

DRIVERS: dict[str, type[Driver]] = {cls.kind: cls for cls in (MtSics, SartoriusSbi, DruckDpi740,
                                                               FlukeThermometer, ScpiMeter)}


def driver_class(kind: str) -> type[Driver]:
    """Get the driver class registered under *kind*.

    :param kind: e.g. ``mtsics``, ``sbi``, ``dpi740``, ``fluke1502``, ``scpi``.
    :returns: the class.
    :raises ConfigurationError: unknown kind.
    """
    try:
        return DRIVERS[kind]
    except (KeyError, TypeError):
        raise ConfigurationError(f"driver: unknown driver {kind!r} (known: {', '.join(sorted(DRIVERS))})") from None


__all__ = ["DRIVERS", "Driver", "DruckDpi740", "FlukeThermometer", "MtSics", "SartoriusSbi", "ScpiMeter",
           "driver_class"]
