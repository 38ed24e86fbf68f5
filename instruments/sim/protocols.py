"""Protocol responders: turn received command bytes into the reply frames a real instrument sends.

Each responder frames incoming bytes (:meth:`Responder.feed`), answers one command
(:meth:`Responder.handle`, frames without terminator) and, when the instrument streams,
produces the next unsolicited frame (:meth:`Responder.stream_frame`).
"""
from __future__ import annotations

import logging
import re
import time

from ..drivers.druck_dpi740 import checksum
from .definitions import Definition

log = logging.getLogger(__name__)
MAX_COMMAND = 256


class Responder:
    """Base responder: commands end with CR, LF or CR LF; fixed dialogues answered from the definition.

    :param definition: the device definition.
    :param model: its physical model.
    """

    def __init__(self, definition: Definition, model):
        self.definition = definition
        self.model = model
        self.params = definition.protocol_params
        self.streaming = False
        rate = float(self.params.get("stream_rate", 0) or 0)
        self.stream_interval = 1.0 / rate if rate > 0 else 0.0
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Get the complete commands in *data* (plus what was buffered before)."""
        self._buf += data
        parts = re.split(rb"\r\n|\r|\n", bytes(self._buf))
        self._buf = bytearray(parts.pop())
        if len(self._buf) > MAX_COMMAND:
            self._buf.clear()
        return [p for p in parts if p]

    def handle(self, command: bytes) -> list[bytes]:
        """Get the reply frames for *command* (default: dialogues, else nothing)."""
        reply = self.definition.dialogues.get(command.decode("latin-1"))
        return [reply.encode("latin-1")] if reply is not None else []

    def stream_frame(self) -> bytes | None:
        """Get the next streamed frame (None when not streaming)."""
        return None


class MtSicsResponder(Responder):
    """MT-SICS level 0/1: S, SI, SIR, Z, ZI, T, TA, TAC, @, I1–I4; ES for unknown commands."""

    def __init__(self, definition, model):
        super().__init__(definition, model)
        self.width = int(self.params.get("weight_field_width", 10))
        self.unit = str(self.params.get("unit", "g"))
        self.stable_timeout = float(self.params.get("stable_timeout", 5.0))
        self.decimals = max(0, -int(f"{model.d:e}".split("e")[1]))

    def _weight(self, cmd: str, status: str, value: float) -> bytes:
        return f"{cmd} {status} {value:>{self.width}.{self.decimals}f} {self.unit}".encode("ascii")

    def _immediate(self, cmd: str = "S") -> bytes:
        value, stable, rng = self.model.sample()
        if rng:
            return f"{cmd} {'+' if rng > 0 else '-'}".encode("ascii")
        return self._weight(cmd, "S" if stable else "D", value)

    def _wait_stable(self) -> tuple[float, bool, int]:
        deadline = time.monotonic() + self.stable_timeout
        while True:
            value, stable, rng = self.model.sample()
            if stable or rng or time.monotonic() > deadline:
                return value, stable, rng
            time.sleep(0.01)

    def _stable(self, cmd: str) -> bytes:
        value, stable, rng = self._wait_stable()
        if rng:
            return f"{cmd} {'+' if rng > 0 else '-'}".encode("ascii")
        if not stable:
            return f"{cmd} I".encode("ascii")
        if cmd == "T":
            return self._weight("T", "S", self.model.set_tare())
        return self._weight(cmd, "S", value)

    def handle(self, command):
        self.streaming = False  # any command stops SIR
        text = command.decode("latin-1").strip()
        if text == "SIR":
            self.streaming = True
            return []
        simple = {
            "S": lambda: [self._stable("S")],
            "SI": lambda: [self._immediate()],
            "T": lambda: [self._stable("T")],
            "TA": lambda: [self._weight("TA", "A", self.model.tare)],
            "TAC": self._clear_tare,
            "Z": self._zero,
            "ZI": self._zero_immediately,
            "@": self._reset,
        }
        if text in simple:
            return simple[text]()
        return super().handle(command) or [b"ES"]

    def _clear_tare(self):
        self.model.tare = 0.0
        return [b"TAC A"]

    def _zero(self):
        _, stable, _ = self._wait_stable()
        if not stable:
            return [b"Z I"]
        result = self.model.zero()
        return [{0: b"Z A", 1: b"Z +", -1: b"Z -"}[result]]

    def _zero_immediately(self):
        _, stable, _ = self.model.sample()
        result = self.model.zero()
        return [{0: b"ZI S" if stable else b"ZI D", 1: b"ZI +", -1: b"ZI -"}[result]]

    def _reset(self):
        self.model.tare = 0.0
        return [self.definition.dialogues.get("I4", 'I4 A "0"').encode("latin-1")]

    def stream_frame(self):
        return self._immediate() if self.streaming else None


class SbiResponder(Responder):
    """Sartorius SBI: ``ESC P`` prints a 16/22-character frame; ESC T/U/V act silently."""

    def __init__(self, definition, model):
        super().__init__(definition, model)
        self.frame_id = str(self.params.get("frame_id", ""))
        self.unit = str(self.params.get("unit", "g"))
        self.decimals = max(0, -int(f"{model.d:e}".split("e")[1]))

    def feed(self, data):
        self._buf += data
        commands = []
        while True:
            start = self._buf.find(b"\x1b")
            if start < 0:
                self._buf.clear()
                return commands
            need = 4 if self._buf[start + 1:start + 2] == b"x" else 2
            if len(self._buf) - start < need:
                del self._buf[:start]
                return commands
            commands.append(bytes(self._buf[start:start + need]))
            del self._buf[:start + need]

    def _frame(self) -> bytes:
        value, stable, rng = self.model.sample()
        if rng:
            body = f"{'+' if rng > 0 else '-'} {'H' if rng > 0 else 'L':>8}    "
        else:
            unit = self.unit if stable else ""
            body = f"{'-' if value < 0 else '+'} {abs(value):>8.{self.decimals}f} {unit:<3}"
        return (f"{self.frame_id:<6}" + body if self.frame_id else body).encode("ascii")

    def handle(self, command):
        letter = command[1:].decode("latin-1")
        if letter == "P":
            return [self._frame()]
        if letter in ("T", "V"):
            self.model.zero() if letter == "V" else self.model.set_tare()
            return []
        if letter == "U":
            self.model.set_tare()
            return []
        reply = self.definition.dialogues.get(letter)
        return [reply.encode("latin-1")] if reply is not None else []


class Dpi740Responder(Responder):
    """Druck DPI 740: ``#ddssPR?`` → ``!ssddPR = value`` (mbar), ``PA=k`` auto-send, checksums."""

    _BLOCK = re.compile(r"([*#])(\d\d)(\d\d)([^:]*)(?::(\d\d))?")

    def __init__(self, definition, model):
        super().__init__(definition, model)
        self.address = int(self.params.get("address", 1))
        self.host = 0
        self.use_checksum = False

    def _reply(self, body: str) -> bytes:
        block = f"!{self.host:02d}{self.address:02d}{body}"
        if self.use_checksum:
            block += ":" + checksum(block + ":")
        return block.encode("ascii")

    def _reading(self) -> bytes:
        value, _, _ = self.model.sample()
        return self._reply(f"PR = {value * 10.0:.2f}")  # kPa -> mbar

    def handle(self, command):
        match = self._BLOCK.fullmatch(command.decode("latin-1").strip())
        if not match or int(match.group(2)) not in (self.address, 99):
            return []
        echo = [command] if match.group(1) == "*" else []
        self.host, body = int(match.group(3)), match.group(4).replace(" ", "").upper()
        self.use_checksum = match.group(5) is not None
        if self.use_checksum:
            if checksum(command.decode("latin-1")[:command.rindex(b":") + 1]) != match.group(5):
                return echo + [self._reply("ER = 1")]
        if body == "PR?":
            return echo + [self._reading()]
        if body.startswith("PA="):
            self.streaming = body[3:] not in ("0", "")
            return echo
        return echo + [self._reply("ER = 2")]

    def stream_frame(self):
        return self._reading() if self.streaming else None


class Fluke1502Responder(Responder):
    """Fluke/Hart 1502A: ``T`` → ``t: 25.123 C``, ``FETC?`` → number, ``SA=n`` auto-send."""

    def handle(self, command):
        text = command.decode("latin-1").strip().upper()
        decimals = int(self.params.get("decimals", 3))
        value, _, _ = self.model.sample()
        if text in ("T", "READ?", "MEAS?"):
            return [f"t: {value:.{decimals}f} C".encode("ascii")]
        if text == "FETC?":
            return [f"{value:.{decimals}f}".encode("ascii")]
        if text.startswith("SA="):
            seconds = text[3:]
            self.streaming = seconds.isdigit() and int(seconds) > 0
            self.stream_interval = int(seconds) if self.streaming else 0.0
            return []
        return super().handle(command.strip().upper())

    def stream_frame(self):
        if not self.streaming:
            return None
        value, _, _ = self.model.sample()
        return f"t: {value:.{int(self.params.get('decimals', 3))}f} C".encode("ascii")


class ScpiResponder(Responder):
    """SCPI 34401A subset: ``*IDN?``, ``MEAS:…?``, ``READ?``, ``SYST:ERR?``, ``SYST:REM/LOC``, ``*RST``, ``*CLS``."""

    _MEAS = re.compile(r"(?:MEAS(?:URE)?:)(VOLT(?::DC|:AC)?|CURR(?::DC|:AC)?|RES|FRES|FREQ)\?(?:\s+[\w.,+-]+)?")

    def __init__(self, definition, model):
        super().__init__(definition, model)
        self.errors: list[str] = []
        self.remote = False

    def handle(self, command):
        text = command.decode("latin-1").strip().upper()
        if text in ("SYST:REM", "SYSTEM:REMOTE"):
            self.remote = True
            return []
        if text in ("SYST:LOC", "SYSTEM:LOCAL"):
            self.remote = False
            return []
        if text in ("*RST", "*CLS"):
            self.errors.clear()
            return []
        if text in ("SYST:ERR?", "SYSTEM:ERROR?"):
            return [(self.errors.pop(0) if self.errors else '+0,"No error"').encode("ascii")]
        if self._MEAS.fullmatch(text) or text == "READ?":
            value, _, rng = self.model.sample()
            return [b"+9.90000000E+37" if rng else f"{value:+.8E}".encode("ascii")]
        reply = super().handle(command.strip())
        if not reply:
            self.errors.append('-113,"Undefined header"')
        return reply


RESPONDERS = {"mtsics": MtSicsResponder, "sbi": SbiResponder, "dpi740": Dpi740Responder,
              "fluke1502": Fluke1502Responder, "scpi": ScpiResponder}
