"""Fault injection for simulators: ``--fault SPEC``.

A spec is a comma-separated list of faults, each ``name`` or ``name:value``:

``drop:P``        drop each transmitted byte with probability P
``garble:P``      corrupt each transmitted frame with probability P (a line-noise byte is inserted)
``silent[:P]``    ignore each command with probability P (default 1: no answer at all)
``slow:S``        wait S seconds before every reply
``unstable``      the physical model never settles
``overload``      the physical model reads above its range
``disconnect:N``  hang up (close the pty) after N transmitted frames

Example: ``garble:0.2,slow:0.05``.
"""
from __future__ import annotations

import dataclasses
import math
import random

from ..errors import ConfigurationError

#: bytes a noisy line produces: not printable ASCII, never CR, LF, XON (0x11) or XOFF (0x13)
NOISE_BYTES = bytes([0x00, 0x02, 0x07, 0x0B, 0x7F, 0x80, 0x9F, 0xA5, 0xC3, 0xF0, 0xFE, 0xFF])


@dataclasses.dataclass
class Faults:
    """Parsed fault settings (all off by default).

    :param drop: per-byte drop probability.
    :param garble: per-frame corruption probability.
    :param silent: per-command probability of no answer.
    :param slow: seconds of delay before each reply.
    :param unstable: model never settles.
    :param overload: model reads above range.
    :param disconnect: hang up after this many frames (None: never).
    """

    drop: float = 0.0
    garble: float = 0.0
    silent: float = 0.0
    slow: float = 0.0
    unstable: bool = False
    overload: bool = False
    disconnect: int | None = None

    def mangle(self, frame: bytes, rng: random.Random) -> bytes:
        """Get *frame* (with terminator) after the garble and drop faults.

        :param frame: bytes about to be transmitted.
        :param rng: seeded random generator.
        :returns: the bytes to transmit.
        """
        if self.garble and rng.random() < self.garble:
            pos = rng.randrange(0, max(1, len(frame) - 2))
            frame = frame[:pos] + bytes([rng.choice(NOISE_BYTES)]) + frame[pos + 1:]
        if self.drop:
            frame = bytes(b for b in frame if rng.random() >= self.drop)
        return frame


_PROBABILITIES = ("drop", "garble", "silent")
_FLAGS = ("unstable", "overload")


def _probability(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigurationError(f"fault {name}: value {text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise ConfigurationError(f"fault {name}: probability must be within 0..1, got {text}")
    return value


def _apply(faults: Faults, name: str, value: str | None) -> None:
    if name in _FLAGS:
        if value is not None:
            raise ConfigurationError(f"fault {name}: takes no value")
        setattr(faults, name, True)
    elif name in _PROBABILITIES:
        if value is None and name != "silent":
            raise ConfigurationError(f"fault {name}: needs a probability, e.g. {name}:0.1")
        setattr(faults, name, 1.0 if value is None else _probability(name, value))
    elif name == "slow":
        try:
            seconds = float(value) if value is not None else math.nan
        except ValueError:
            seconds = math.nan
        if not 0.0 <= seconds <= 60.0:
            raise ConfigurationError(f"fault slow: needs seconds within 0..60, e.g. slow:0.5, got {value!r}")
        faults.slow = seconds
    elif name == "disconnect":
        if value is None or not value.isdigit():
            raise ConfigurationError(f"fault disconnect: needs a frame count, e.g. disconnect:5, got {value!r}")
        faults.disconnect = int(value)
    else:
        raise ConfigurationError(f"fault: unknown fault {name!r} (known: drop, garble, silent, slow, unstable, "
                                 "overload, disconnect)")


def parse_faults(spec: str | None) -> Faults:
    """Get :class:`Faults` from a spec string.

    :param spec: e.g. ``"garble:0.2,slow:0.1"``; None or empty means no fault.
    :returns: parsed faults.
    :raises ConfigurationError: unknown fault or bad value (the message names the fault).

    >>> parse_faults("garble:0.5,unstable").garble
    0.5
    """
    faults = Faults()
    if not spec:
        return faults
    if not isinstance(spec, str):
        raise ConfigurationError(f"fault: spec must be a string, got {type(spec).__name__}")
    for item in spec.split(","):
        item = item.strip()
        if not item:
            raise ConfigurationError(f"fault: empty entry in {spec!r}")
        name, _, value = item.partition(":")
        _apply(faults, name.strip(), value.strip() if _ else None)
    return faults
