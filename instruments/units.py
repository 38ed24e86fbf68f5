"""Unit normalisation backed by :mod:`pint`.

Instruments write units in their own spelling (``g``, ``mbar``, ``C``, ``F``...).
:func:`normalise` maps a value in such a unit onto the project's normalised units
(``g``/``kg`` for mass, ``kPa``/``mmHg`` for pressure, ``°C`` for temperature, SI for
electrical quantities).  Conversion factors come from pint, computed once per unit
pair and cached as a linear map ``y = a·x + b`` so per-frame parsing stays cheap
(pint itself costs tens of microseconds per conversion).
"""
from __future__ import annotations

import functools
import logging

from .errors import ConfigurationError

log = logging.getLogger(__name__)

#: instrument spelling -> (pint unit name, normalised unit it maps to)
_UNITS: dict[str, tuple[str, str]] = {
    "g": ("gram", "g"),
    "kg": ("kilogram", "kg"),
    "mg": ("milligram", "g"),
    "t": ("metric_ton", "kg"),
    "lb": ("pound", "kg"),
    "oz": ("ounce", "g"),
    "ct": ("carat", "g"),
    "kPa": ("kilopascal", "kPa"),
    "Pa": ("pascal", "kPa"),
    "hPa": ("hectopascal", "kPa"),
    "MPa": ("megapascal", "kPa"),
    "mbar": ("millibar", "kPa"),
    "bar": ("bar", "kPa"),
    "psi": ("psi", "kPa"),
    "mmHg": ("millimeter_Hg", "mmHg"),
    "inHg": ("inch_Hg", "kPa"),
    "°C": ("degree_Celsius", "°C"),
    "C": ("degree_Celsius", "°C"),
    "F": ("degree_Fahrenheit", "°C"),
    "K": ("kelvin", "°C"),
    "V": ("volt", "V"),
    "mV": ("millivolt", "V"),
    "A": ("ampere", "A"),
    "mA": ("milliampere", "A"),
    "Ω": ("ohm", "Ω"),
    "O": ("ohm", "Ω"),
    "ohm": ("ohm", "Ω"),
    "Hz": ("hertz", "Hz"),
}

NORMALISED_UNITS = frozenset(dst for _, dst in _UNITS.values())


@functools.lru_cache(maxsize=1)
def _registry():
    import pint  # imported lazily: ~0.8 s, only needed when a factor is first computed

    return pint.UnitRegistry()


@functools.lru_cache(maxsize=256)
def linear_map(src: str, dst: str) -> tuple[float, float]:
    """Get ``(a, b)`` such that a value ``x`` in *src* is ``a·x + b`` in *dst*.

    :param src: unit symbol as in the table of this module.
    :param dst: target unit symbol.
    :returns: slope and offset.
    :raises ConfigurationError: unknown unit or incompatible dimensions.
    """
    if src == dst:
        return 1.0, 0.0
    try:
        s, d = _UNITS[src][0], _UNITS[dst][0]
    except KeyError as exc:
        raise ConfigurationError(f"unit: unknown unit {exc.args[0]!r}") from None
    ureg = _registry()
    try:
        y0 = ureg.Quantity(0.0, s).to(d).magnitude
        y1 = ureg.Quantity(1.0, s).to(d).magnitude
    except Exception as exc:  # pint.DimensionalityError and friends
        raise ConfigurationError(f"unit: cannot convert {src!r} to {dst!r} ({exc})") from None
    return float(y1 - y0), float(y0)


def convert(value: float, src: str, dst: str) -> float:
    """Get *value* expressed in *src* converted to *dst*.

    :param value: number.
    :param src: source unit symbol.
    :param dst: target unit symbol.
    :returns: converted number.
    :raises ConfigurationError: unknown or incompatible units.

    >>> round(convert(760.0, "mmHg", "kPa"), 4)
    101.325
    """
    a, b = linear_map(src, dst)
    return a * value + b


def is_known(unit: str) -> bool:
    """Get whether *unit* is a spelling this module understands.

    :param unit: unit symbol.
    :returns: True if known.
    """
    return unit in _UNITS


def normalise(value: float, unit: str) -> tuple[float, str]:
    """Get *value* in *unit* converted to the project's normalised unit for that quantity.

    :param value: number.
    :param unit: instrument unit spelling (must satisfy :func:`is_known`).
    :returns: ``(value, normalised_unit)``.
    :raises ConfigurationError: unknown unit.

    >>> normalise(1013.25, "mbar")
    (101.325, 'kPa')
    """
    try:
        dst = _UNITS[unit][1]
    except KeyError:
        raise ConfigurationError(f"unit: unknown unit {unit!r}") from None
    if dst == unit:
        return value, unit
    a, b = linear_map(unit, dst)
    return round(a * value + b, 12), dst
