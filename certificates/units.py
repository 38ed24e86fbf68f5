"""Printed unit symbols and their D-SI (``https://ptb.de/si``) spelling for the DCC.

Only units the institute's documents use are listed; an unknown unit is an error at DCC
export instead of a guess. ``mmHg`` is not an SI-brochure unit: following the D-SI
convention for non-SI units it is written ``|mmHg`` (convention recalled, not checked
against the D-SI text; the schema itself accepts any string).
"""
from __future__ import annotations

__all__ = ["DSI_UNITS", "UnknownUnit", "dsi_unit"]

DSI_UNITS = {
    "mg": r"\milli\gram", "g": r"\gram", "kg": r"\kilogram", "t": r"\tonne",
    "°C": r"\degreecelsius", "℃": r"\degreecelsius", "K": r"\kelvin", "mK": r"\milli\kelvin",
    "Pa": r"\pascal", "kPa": r"\kilo\pascal", "MPa": r"\mega\pascal", "mmHg": r"|mmHg",
    "%": r"\percent", "1": r"\one", "s": r"\second", "min": r"\minute", "/min": r"\one\minute\tothe{-1}",
    "kPa/s": r"\kilo\pascal\second\tothe{-1}", "kPa/min": r"\kilo\pascal\minute\tothe{-1}",
    "mmHg/s": r"|mmHg\second\tothe{-1}", "mmHg/min": r"|mmHg\minute\tothe{-1}", "元": r"|CNY",
    "mm": r"\milli\metre", "m": r"\metre", "V": r"\volt", "mV": r"\milli\volt", "Hz": r"\hertz",
}


class UnknownUnit(ValueError):
    """A unit has no known D-SI spelling."""


def dsi_unit(field: str, unit: str) -> str:
    """Translate a printed unit to D-SI.

    :param field: field name for the error, e.g. ``results[0].unit``
    :param unit: printed unit, e.g. ``"kg"``
    :returns: the D-SI unit string, e.g. ``"\\\\kilogram"``
    :raises UnknownUnit: naming the field and listing the known units
    """
    try:
        return DSI_UNITS[unit]
    except KeyError:
        raise UnknownUnit(f"{field}: no D-SI unit known for {unit!r}; known: {', '.join(DSI_UNITS)}") from None
