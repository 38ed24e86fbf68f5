"""Small physical models behind the simulators (all times in seconds of ``time.monotonic``).

Each model has a lock, because the side channel sets quantities from another thread
while the protocol thread reads them.  Randomness comes from a seeded
``random.Random`` so a seed repeats the noise sequence.
"""
from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Mapping

from ..errors import ConfigurationError


def _number(params: Mapping, key: str, default: float | None = None, minimum: float | None = None) -> float:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigurationError(f"model.{key}: must be a finite number, got {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigurationError(f"model.{key}: must be >= {minimum}, got {value!r}")
    return float(value)


class Model:
    """Base: a quantity that moves towards a set value; subclasses define the dynamics.

    :param params: the ``[model]`` table of the device definition.
    :param rng: seeded random generator.
    :param clock: time source (``time.monotonic``; injectable for tests).
    """

    quantity = "value"

    def __init__(self, params: Mapping, rng: random.Random, clock=time.monotonic):
        self.rng = rng
        self.clock = clock
        self.lock = threading.Lock()
        self.noise = _number(params, "noise", 0.0, 0.0)
        self.unstable = False  # fault: never settles
        self.overload = False  # fault: reads above range

    def set(self, quantity: str, value: float) -> None:
        """Control: set *quantity* (the side channel's ``set`` command).

        :param quantity: name of a settable quantity of this model.
        :param value: new value.
        :raises ConfigurationError: unknown quantity or bad value.
        """
        raise ConfigurationError(f"quantity: {quantity!r} is not settable on this model")

    def sample(self) -> tuple[float, bool, int]:
        """Get ``(value, settled, range)`` now; each subclass defines its dynamics."""
        raise NotImplementedError

    def _noise(self, scale: float = 1.0) -> float:
        return self.rng.gauss(0.0, self.noise * scale) if self.noise else 0.0


class Balance(Model):
    """A load cell: a new load shows exponentially settling dynamic readings, then stable ones."""

    quantity = "load"

    def __init__(self, params, rng, clock=time.monotonic):
        super().__init__(params, rng, clock)
        self.capacity = _number(params, "capacity", None, 0.0)
        self.d = _number(params, "resolution", None, 1e-9)
        self.tau = _number(params, "settle_time", 0.5, 0.0)
        self.zero_range = _number(params, "zero_range", 0.02 * self.capacity, 0.0)
        self.load, self.previous, self.changed_at = 0.0, 0.0, clock()
        self.zero_offset, self.tare = 0.0, 0.0

    def set(self, quantity, value):
        """Control: put a load (g) on the pan; ``quantity`` must be ``load``."""
        if quantity != "load":
            super().set(quantity, value)
        with self.lock:
            self.previous, self.load, self.changed_at = self.gross(), float(value), self.clock()

    def gross(self) -> float:
        """Get the current gross weight (g) including settling and noise."""
        age = self.clock() - self.changed_at
        decay = math.exp(-age / self.tau) if self.tau > 0 else 0.0
        wobble = self.d * 20 * math.sin(age * 9.0) if self.unstable else 0.0
        value = self.load + (self.previous - self.load) * decay + wobble + self._noise()
        return self.capacity * 1.5 if self.overload else value

    def sample(self) -> tuple[float, bool, int]:
        """Measure ``(net weight rounded to d, stable, range)``; range is +1 over, -1 under, 0 in range."""
        with self.lock:
            gross = self.gross()
            age = self.clock() - self.changed_at
            net = gross - self.zero_offset - self.tare
            stable = (not self.unstable and abs(gross - self.load) < 0.3 * self.d
                      and age > max(3 * self.tau, 0.05))
            rng = 1 if gross - self.zero_offset > self.capacity + 9 * self.d else (
                -1 if gross - self.zero_offset < -self.zero_range - 20 * self.d else 0)
            return round(round(net / self.d) * self.d, 9), stable, rng

    def zero(self) -> int:
        """Control: zero the balance; returns 0 done, +1/-1 outside the zero-setting range."""
        with self.lock:
            gross = self.gross()
            if gross > self.zero_range:
                return 1
            if gross < -self.zero_range:
                return -1
            self.zero_offset, self.tare = gross, 0.0
            return 0

    def set_tare(self) -> float:
        """Control: store the current net weight as tare; returns it."""
        with self.lock:
            self.tare = round(round((self.gross() - self.zero_offset) / self.d) * self.d, 9)
            return self.tare


class PressureLine(Model):
    """A cuff/pressure line: a pump drives it to the set pressure, then it leaks (kPa)."""

    quantity = "pressure"

    def __init__(self, params, rng, clock=time.monotonic):
        super().__init__(params, rng, clock)
        self.range = _number(params, "range", None, 0.0)
        self.overload_value = _number(params, "overload_value", self.range * 1.2)
        self.pump_rate = _number(params, "pump_rate", 5.0, 0.0)
        self.leak_rate = _number(params, "leak_rate", 0.2, 0.0) / 60.0
        self.p, self.target, self.pumping, self.t = 0.0, 0.0, False, clock()

    def set(self, quantity, value):
        """Control: ``pressure`` pumps to a target (kPa); ``leak`` sets the leak rate (kPa/min)."""
        if quantity == "pressure":
            with self.lock:
                self._advance()
                self.target, self.pumping = float(value), True
        elif quantity == "leak":
            with self.lock:
                self._advance()
                self.leak_rate = float(value) / 60.0
        else:
            super().set(quantity, value)

    def _advance(self) -> None:
        now = self.clock()
        dt, self.t = now - self.t, now
        if self.pumping:
            step = self.pump_rate * dt
            if abs(self.target - self.p) <= step:
                self.p, self.pumping = self.target, False
            else:
                self.p += math.copysign(step, self.target - self.p)
        else:
            self.p = max(0.0, self.p - self.leak_rate * dt)

    def sample(self) -> tuple[float, bool, int]:
        """Measure ``(pressure kPa, settled, range)``."""
        with self.lock:
            self._advance()
            value = self.overload_value if self.overload else self.p + self._noise()
            if self.unstable:  # pump pulsation plus turbulence: 5 readings within 0.01 kPa are ~1e-8 likely
                value += 0.5 * math.sin(self.clock() * 7.0) + self.rng.gauss(0.0, 0.3)
            return value, not self.pumping, 1 if value > self.range * 1.05 else 0


class Bath(Model):
    """A calibration bath: first-order approach to the set point plus slow drift (°C)."""

    quantity = "bath"

    def __init__(self, params, rng, clock=time.monotonic):
        super().__init__(params, rng, clock)
        self.tau = _number(params, "time_constant", 30.0, 0.0)
        self.drift = _number(params, "drift", 0.002, 0.0)
        self.setpoint = _number(params, "initial", 23.0)
        self.start, self.changed_at = self.setpoint, clock()

    def set(self, quantity, value):
        """Control: ``bath`` sets the bath set point (°C)."""
        if quantity != "bath":
            super().set(quantity, value)
        with self.lock:
            self.start, self.setpoint = self.temperature(), float(value)
            self.changed_at = self.clock()

    def temperature(self) -> float:
        """Get the bath temperature now (°C)."""
        age = self.clock() - self.changed_at
        decay = math.exp(-age / self.tau) if self.tau > 0 else 0.0
        drift = self.drift * math.sin(age / 20.0)
        # stirrer failure: slow swings plus fast fluctuation (5 readings within 0.005 °C: ~1e-8 likely)
        wobble = 0.3 * math.sin(age * 3.0) + self.rng.gauss(0.0, 0.2) if self.unstable else 0.0
        return self.setpoint + (self.start - self.setpoint) * decay + drift + wobble + self._noise()

    def sample(self) -> tuple[float, bool, int]:
        """Measure ``(temperature °C, settled, range)``."""
        with self.lock:
            value = 9999.0 if self.overload else self.temperature()
            return value, abs(value - self.setpoint) < 0.01, 1 if self.overload else 0


class Source(Model):
    """A DC source seen by a DMM: the value set on the side channel plus noise."""

    quantity = "input"

    def __init__(self, params, rng, clock=time.monotonic):
        super().__init__(params, rng, clock)
        self.value = _number(params, "initial", 0.0)
        self.range = _number(params, "range", 1000.0, 0.0)

    def set(self, quantity, value):
        """Control: ``input`` sets the applied value."""
        if quantity != "input":
            super().set(quantity, value)
        with self.lock:
            self.value = float(value)

    def sample(self) -> tuple[float, bool, int]:
        """Measure ``(value, True, range)``."""
        with self.lock:
            value = self.value + self._noise()
            if self.unstable:  # a drifting, noisy source: spread far beyond the DMM's 1e-4 band
                value += 1e-3 * max(1.0, abs(self.value)) * (math.sin(self.clock() * 5.0) + self.rng.gauss(0.0, 1.0))
            over = self.overload or abs(value) > self.range * 1.2
            return value, not self.unstable, 1 if over else 0


MODELS = {"balance": Balance, "pressure": PressureLine, "bath": Bath, "source": Source}
