"""Input quantities: an estimate, its standard uncertainty, degrees of freedom and a PDF.

The constructors follow JCGM 100:2008 (GUM) 4.2 and 4.3 for the standard uncertainty and
JCGM 101:2008 6.4 for the probability distribution sampled by the Monte Carlo method.

========================  ====================================  ==============================
constructor               GUM standard uncertainty              JCGM 101 sampling
========================  ====================================  ==============================
:func:`normal`            ``u``, or ``U/k``                     6.4.7 Gaussian
:func:`rectangular`       ``a/sqrt(3)``                         6.4.2 rectangular
:func:`triangular`        ``a/sqrt(6)``                         6.4.5 triangular
:func:`arcsine`           ``a/sqrt(2)``                         6.4.6 arc sine (U-shaped)
:func:`trapezoidal`       ``a*sqrt((1+beta**2)/6)``             6.4.4 trapezoidal
:func:`student_t`         ``scale`` (or the t-PDF's s.d.)       6.4.9 scaled and shifted t
:func:`type_a`            ``s/sqrt(n)``, ``nu = n - 1``         6.4.9 (t, scale ``s/sqrt(n)``)
========================  ====================================  ==============================
"""
from __future__ import annotations

import keyword
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from .errors import BudgetError
from .expression import CONSTANTS, FUNCTIONS

__all__ = ["InputQuantity", "normal", "rectangular", "triangular", "arcsine", "trapezoidal",
           "student_t", "type_a", "type_a_correlated", "DISTRIBUTIONS"]

log = logging.getLogger(__name__)
DISTRIBUTIONS = ("normal", "rectangular", "triangular", "arcsine", "trapezoidal", "t", "type_a")


@dataclass(frozen=True)
class InputQuantity:
    """One input quantity X_i of a measurement model.

    :ivar name: identifier used in the model
    :ivar value: estimate x_i
    :ivar u: standard uncertainty u(x_i) used by the GUM framework
    :ivar dof: degrees of freedom (``math.inf`` when exactly known)
    :ivar distribution: one of :data:`DISTRIBUTIONS`
    :ivar half_width: half-width ``a`` (rectangular, triangular, arcsine, trapezoidal)
    :ivar beta: trapezoid top/base ratio (0 = triangular, 1 = rectangular)
    :ivar scale: scale of the t-distribution sampled by MCM (t, type_a)
    :ivar readings: the raw readings of a Type A evaluation
    """

    name: str
    value: float
    u: float
    dof: float = math.inf
    distribution: str = "normal"
    # set by the constructors below for the distributions that use them (None otherwise)
    half_width: float = None  # type: ignore[assignment]
    beta: float = None  # type: ignore[assignment]
    scale: float = None  # type: ignore[assignment]
    readings: tuple = None  # type: ignore[assignment]

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` values from this input's PDF (JCGM 101 6.4).

        :param rng: a :class:`numpy.random.Generator`
        :param size: number of draws
        :returns: 1-D float array
        """
        kind, x = self.distribution, self.value
        if self.u == 0:  # exactly known: no random numbers needed
            return np.full(size, x)
        if kind == "normal":
            return rng.normal(x, self.u, size)
        if kind == "rectangular":
            return rng.uniform(x - self.half_width, x + self.half_width, size)
        if kind == "arcsine":
            out = np.sin(rng.uniform(0.0, 2.0 * math.pi, size))
            out *= self.half_width
        elif kind in ("triangular", "trapezoidal"):
            beta = self.beta or 0.0
            r = rng.random((2, size))
            out = (1.0 + beta) * r[0] + (1.0 - beta) * r[1]
            out -= 1.0
            out *= self.half_width
        else:
            out = rng.standard_t(self.dof, size)
            out *= self.scale
        out += x
        return out

    def ppf(self, p: np.ndarray) -> np.ndarray:
        """Quantile function, used to give correlated inputs their marginal PDF.

        :param p: probabilities in (0, 1)
        :returns: quantiles of this input's PDF
        """
        kind, x, a = self.distribution, self.value, self.half_width
        if kind == "normal":
            return x + self.u * special.ndtri(p)
        if kind == "rectangular":
            return x + a * (2.0 * p - 1.0)
        if kind == "arcsine":
            return x - a * np.cos(math.pi * p)
        if kind in ("triangular", "trapezoidal"):
            beta = self.beta or 0.0
            return x + a * _trapezoid_ppf(np.asarray(p, dtype=float), beta)
        return x + self.scale * special.stdtrit(self.dof, p)


def _trapezoid_ppf(p, beta):
    """Quantile of the symmetric trapezoid on [-1, 1] with top half-width ``beta``."""
    h = 1.0 / (1.0 + beta)  # height of the density
    corner = h * (1.0 - beta) / 2.0  # CDF at -beta
    with np.errstate(invalid="ignore", divide="ignore"):
        low = -1.0 + np.sqrt(2.0 * (1.0 - beta) * p / h)
        high = 1.0 - np.sqrt(2.0 * (1.0 - beta) * (1.0 - p) / h)
        middle = -beta + (p - corner) / h
    return np.where(p < corner, low, np.where(p > 1.0 - corner, high, middle))


def _number(key, value, *, positive=False, nonneg=False):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise BudgetError(key, f"must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise BudgetError(key, f"must be finite, got {value!r}")
    if positive and value <= 0:
        raise BudgetError(key, f"must be > 0, got {value!r}")
    if nonneg and value < 0:
        raise BudgetError(key, f"must be >= 0, got {value!r}")
    return value


def _dof(key, dof):
    if dof is None or dof == "inf" or (isinstance(dof, float) and dof == math.inf):
        return math.inf
    return _number(key, dof, positive=True)


def _name(name):
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        raise BudgetError("name", f"must be an identifier (letters, digits, '_'; not starting with '_'), got {name!r}")
    if keyword.iskeyword(name) or name in FUNCTIONS or name in CONSTANTS:
        raise BudgetError("name", f"{name!r} is reserved (keyword, function or constant name)")
    return name


def normal(name: str, value: float, u: float | None = None, *, U: float | None = None, k: float | None = None,
           dof: float | None = None) -> InputQuantity:
    """Gaussian input with standard uncertainty ``u``, or expanded ``U`` with factor ``k``.

    :param name: input name
    :param value: estimate
    :param u: standard uncertainty
    :param U: expanded uncertainty (with ``k``, instead of ``u``)
    :param k: coverage factor of ``U``
    :param dof: degrees of freedom (default infinite)
    :returns: :class:`InputQuantity`
    :raises BudgetError: if the arguments are inconsistent

    >>> normal("mS", 10000.005, U=0.045, k=2).u
    0.0225
    """
    if (u is None) == (U is None):
        raise BudgetError(f"{name}.u", "give either 'u' or 'U' with 'k'")
    if U is not None:
        if k is None:
            raise BudgetError(f"{name}.k", "is required with 'U'")
        u = _number(f"{name}.U", U, nonneg=True) / _number(f"{name}.k", k, positive=True)
    return InputQuantity(_name(name), _number(f"{name}.value", value), _number(f"{name}.u", u, nonneg=True),
                         _dof(f"{name}.dof", dof))


def _bounded(kind, factor, name, value, half_width, dof, beta=None):
    a = _number(f"{name}.half_width", half_width, nonneg=True)
    return InputQuantity(_name(name), _number(f"{name}.value", value), a * factor, _dof(f"{name}.dof", dof),
                         kind, half_width=a, beta=beta)


def rectangular(name: str, value: float, half_width: float, *, dof: float | None = None) -> InputQuantity:
    """Rectangular PDF on ``value ± half_width`` (GUM 4.3.7, JCGM 101 6.4.2).

    :param name: input name
    :param value: centre
    :param half_width: half-width ``a``; ``u = a/sqrt(3)``
    :param dof: degrees of freedom (default infinite)
    :returns: :class:`InputQuantity`

    >>> round(rectangular("d", 0.0, 0.5).u, 6)
    0.288675
    """
    return _bounded("rectangular", 1 / math.sqrt(3), name, value, half_width, dof)


def triangular(name: str, value: float, half_width: float, *, dof: float | None = None) -> InputQuantity:
    """Symmetric triangular PDF on ``value ± half_width`` (GUM 4.3.9, JCGM 101 6.4.5).

    :returns: :class:`InputQuantity` with ``u = a/sqrt(6)``

    >>> round(triangular("t", 0.0, 6**0.5).u, 12)
    1.0
    """
    return _bounded("triangular", 1 / math.sqrt(6), name, value, half_width, dof, beta=0.0)


def arcsine(name: str, value: float, half_width: float, *, dof: float | None = None) -> InputQuantity:
    """Arc-sine (U-shaped) PDF on ``value ± half_width`` (JCGM 101 6.4.6).

    :returns: :class:`InputQuantity` with ``u = a/sqrt(2)``

    >>> round(arcsine("T", 20.0, 2**0.5).u, 12)
    1.0
    """
    return _bounded("arcsine", 1 / math.sqrt(2), name, value, half_width, dof)


def trapezoidal(name: str, value: float, half_width: float, beta: float, *, dof: float | None = None
                ) -> InputQuantity:
    """Symmetric trapezoidal PDF (JCGM 101 6.4.4; GUM 4.3.9 note 2).

    :param half_width: half-width of the base ``a``
    :param beta: ratio of top to base width, 0 <= beta <= 1
    :returns: :class:`InputQuantity` with ``u = a*sqrt((1 + beta**2)/6)``

    >>> round(trapezoidal("x", 0.0, 1.0, 1.0).u, 6)  # beta = 1 is rectangular
    0.57735
    """
    beta = _number(f"{name}.beta", beta, nonneg=True)
    if beta > 1:
        raise BudgetError(f"{name}.beta", f"must be between 0 and 1, got {beta!r}")
    return _bounded("trapezoidal", math.sqrt((1 + beta**2) / 6), name, value, half_width, dof, beta=beta)


def student_t(name: str, value: float, dof: float, *, scale: float | None = None, u: float | None = None
              ) -> InputQuantity:
    """Scaled and shifted t-distribution (JCGM 101 6.4.9), in either convention.

    With ``scale`` (JCGM 101 6.4.9.7) MCM samples ``value + scale*t_nu`` and the GUM uses
    ``u = scale`` with ``nu`` degrees of freedom.  With ``u`` (the standard deviation of the
    t-PDF, ``nu > 2``) MCM uses ``scale = u*sqrt((nu - 2)/nu)`` and the GUM uses ``u``.

    :param dof: degrees of freedom nu (finite, > 0)
    :param scale: scale parameter of the t-distribution
    :param u: standard deviation of the t-distribution (requires ``dof > 2``)
    :returns: :class:`InputQuantity`

    >>> round(student_t("x", 0.0, 4, u=1.0).scale, 6)
    0.707107
    """
    nu = _number(f"{name}.dof", dof, positive=True)
    if (scale is None) == (u is None):
        raise BudgetError(f"{name}.scale", "give either 'scale' or 'u'")
    if scale is not None:
        scale = _number(f"{name}.scale", scale, nonneg=True)
        u = scale
    else:
        u = _number(f"{name}.u", u, nonneg=True)
        if nu <= 2:
            raise BudgetError(f"{name}.dof", f"must be > 2 when 'u' is the standard deviation, got {nu!r}")
        scale = u * math.sqrt((nu - 2) / nu)
    return InputQuantity(_name(name), _number(f"{name}.value", value), u, nu, "t", scale=scale)


def type_a(name: str, readings: Sequence[float]) -> InputQuantity:
    """Type A evaluation from repeated readings (GUM 4.2): mean, ``s/sqrt(n)``, ``n - 1``.

    For MCM the input gets the t-distribution of JCGM 101 6.4.9 with scale ``s/sqrt(n)``.

    :param readings: at least two numbers
    :returns: :class:`InputQuantity`
    :raises BudgetError: with fewer than two readings

    >>> q = type_a("d", [1.0, 2.0, 3.0])
    >>> q.value, round(q.u, 6), q.dof
    (2.0, 0.57735, 2.0)
    """
    if isinstance(readings, (str, bytes)) or not hasattr(readings, "__len__"):
        raise BudgetError(f"{name}.readings", "must be a list of numbers")
    values = [_number(f"{name}.readings[{i}]", r) for i, r in enumerate(readings)]
    if len(values) < 2:
        raise BudgetError(f"{name}.readings", f"needs at least 2 readings, got {len(values)}")
    arr = np.asarray(values)
    with np.errstate(all="ignore"):
        mean, s = float(arr.mean()), float(arr.std(ddof=1))
    if not (math.isfinite(mean) and math.isfinite(s)):
        raise BudgetError(f"{name}.readings", "mean or standard deviation overflows (is not finite)")
    u = s / math.sqrt(len(values))
    return InputQuantity(_name(name), mean, u, float(len(values) - 1), "type_a", scale=u, readings=tuple(values))


def type_a_correlated(readings: Mapping[str, Sequence[float]]
                      ) -> tuple[list[InputQuantity], list[tuple[str, str, float]]]:
    """Type A evaluation of simultaneous readings of several quantities (GUM 5.2.3, H.2.2).

    Each quantity gets its mean, ``s/sqrt(n)`` and ``n - 1`` degrees of freedom; the
    correlation coefficients of the means follow GUM eq. (17), i.e. the sample correlations.

    :param readings: mapping of name to a list of readings, all of the same length n >= 2
    :returns: ``(inputs, correlations)`` ready for :func:`uncertainty.gum.gum_multi`
    :raises BudgetError: for unequal lengths or too few readings

    >>> ins, corr = type_a_correlated({"a": [1.0, 2.0, 3.0], "b": [2.0, 4.0, 6.5]})
    >>> [round(r, 4) for *_, r in corr]
    [0.9979]
    """
    if not isinstance(readings, dict) or not readings:
        raise BudgetError("readings", "must be a non-empty mapping of name to readings")
    inputs = [type_a(name, values) for name, values in readings.items()]
    lengths = {len(q.readings) for q in inputs}
    if len(lengths) != 1:
        raise BudgetError("readings", f"all quantities need the same number of readings, got {sorted(lengths)}")
    data = np.array([q.readings for q in inputs])
    r = np.corrcoef(data) if len(inputs) > 1 else np.ones((1, 1))
    correlations = [(inputs[i].name, inputs[j].name, float(r[i, j]))
                    for i in range(len(inputs)) for j in range(i + 1, len(inputs))]
    return inputs, correlations
