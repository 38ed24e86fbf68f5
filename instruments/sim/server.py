"""Pseudo-terminal server: runs one simulated instrument on a pty, plus its side channel.

The simulator keeps the pty master; clients open the slave path (:attr:`PtyServer.port`)
like any serial port.  A pty ignores the baud rate, so output is *paced*: each frame is
released only when the last of its bits would have left a real UART at the configured
settings (``bits per character = start + data + parity + stop``).

Side channel: a Unix-domain socket (:attr:`PtyServer.control_path`) taking one JSON
object per line and answering one JSON object per line:
``{"cmd": "set", "quantity": "load", "value": 100.0}``, ``{"cmd": "fault", "spec": "garble:0.2"}``,
``{"cmd": "state"}``, ``{"cmd": "close"}``.
"""
from __future__ import annotations

import json
import logging
import math
import os
import random
import select
import socket
import tempfile
import threading
import time
import tty

from ..errors import ConfigurationError
from .definitions import Definition
from .faults import Faults, parse_faults
from .models import MODELS
from .protocols import RESPONDERS

log = logging.getLogger(__name__)


class SimDevice:
    """A simulated instrument: definition + physical model + protocol responder + faults.

    :param definition: validated device definition.
    :param seed: seed of the random generator (noise, faults).
    :param fault: fault spec (see :mod:`instruments.sim.faults`).
    """

    def __init__(self, definition: Definition, seed: int | None = None, fault: str | None = None):
        self.definition = definition
        self.rng = random.Random(seed)
        self.model = MODELS[definition.model_type](definition.model_params, self.rng)
        self.responder = RESPONDERS[definition.protocol](definition, self.model)
        self.faults = Faults()
        self.set_faults(fault)

    def set_faults(self, spec: str | None) -> None:
        """Control: replace the active faults by *spec*.

        :param spec: fault spec or None.
        :raises ConfigurationError: bad spec.
        """
        faults = parse_faults(spec)
        self.faults = faults
        self.model.unstable, self.model.overload = faults.unstable, faults.overload

    def control(self, message: dict) -> dict:
        """Control: execute one side-channel message.

        :param message: ``{"cmd": "set"|"fault"|"state"|"close", ...}``.
        :returns: reply dict (``ok`` plus data).
        :raises ConfigurationError: malformed message (names the key).
        """
        if not isinstance(message, dict):
            raise ConfigurationError("control: message must be a JSON object")
        cmd = message.get("cmd")
        if cmd == "set":
            quantity, value = message.get("quantity"), message.get("value")
            if not isinstance(quantity, str):
                raise ConfigurationError("quantity: missing or not a string")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigurationError(f"value: must be a finite number, got {value!r}")
            self.model.set(quantity, float(value))
            return {"ok": True}
        if cmd == "fault":
            self.set_faults(message.get("spec"))
            return {"ok": True}
        if cmd == "state":
            value, settled, rng = self.model.sample()
            return {"ok": True, "kind": self.definition.kind, "value": value, "settled": settled, "range": rng}
        if cmd == "close":
            return {"ok": True, "close": True}
        raise ConfigurationError(f"cmd: unknown command {cmd!r} (known: set, fault, state, close)")


class PtyServer:
    """Serve a :class:`SimDevice` on a new pty (background threads).

    Pacing keeps a schedule of when the line becomes free; a frame is written when its last
    character would have been sent.  Up to :attr:`TX_BUFFER_SECONDS` of lateness (thread wake-up
    overshoot) is absorbed as a real UART's transmit buffer would, so the long-run rate equals the
    line rate and never exceeds it.

    :param device: the simulated device.
    :param pace: pace output at the definition's line rate (True) or send as fast as possible.
    :param baudrate: override the definition's baud rate for pacing.
    """

    TX_BUFFER_SECONDS = 0.02

    def __init__(self, device: SimDevice, pace: bool = True, baudrate: int | None = None):
        self.device = device
        settings = device.definition.serial
        self.terminator = settings.write_termination
        self.char_time = settings.bits_per_byte / (baudrate or settings.baudrate) if pace else 0.0
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        self._dir = tempfile.mkdtemp(prefix="instruments-sim-")
        self.control_path = os.path.join(self._dir, "control.sock")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(self.control_path)
        self._sock.listen(4)
        self._stop = threading.Event()
        self._line_free_at = 0.0
        self.frames_sent = 0
        self.closed = threading.Event()
        self._threads = [threading.Thread(target=self._serve, name=f"sim-{device.definition.kind}", daemon=True),
                         threading.Thread(target=self._control_loop, name="sim-control", daemon=True)]

    def start(self) -> PtyServer:
        """Control: start serving; returns self."""
        for thread in self._threads:
            thread.start()
        return self

    # -- serial side -------------------------------------------------------------------------
    def _send(self, frame: bytes) -> None:
        faults = self.device.faults
        if faults.disconnect is not None and self.frames_sent >= faults.disconnect:
            self.hang_up()
            return
        data = faults.mangle(frame + self.terminator, self.device.rng)
        now = time.monotonic()
        # like a UART with a transmit buffer: if we are a little late (sleep overshoot), the line was
        # still busy with buffered bytes, so the schedule continues without a gap; never faster than it
        start = self._line_free_at if now - self._line_free_at < self.TX_BUFFER_SECONDS else now
        done = start + len(data) * self.char_time
        if done - now > 0.0002:
            time.sleep(done - now)
        self._line_free_at = done
        master = self._master
        if master is None:  # closed while this reply was being prepared
            return
        try:
            os.write(master, data)  # a full pty buffer drops the rest, as a UART overrun would
        except BlockingIOError:
            log.debug("pty buffer full: frame dropped")
        except OSError:
            self._stop.set()
        self.frames_sent += 1

    def _reply(self, command: bytes) -> None:
        faults = self.device.faults
        if faults.silent and self.device.rng.random() < faults.silent:
            return
        frames = self.device.responder.handle(command)
        if frames and faults.slow:
            time.sleep(faults.slow)
        for frame in frames:
            if self._stop.is_set():
                return
            self._send(frame)

    def _serve(self) -> None:
        responder = self.device.responder
        next_stream = 0.0
        while not self._stop.is_set():
            streaming = responder.streaming and not self.device.faults.silent
            wait = max(0.0, next_stream - time.monotonic()) if streaming else 0.05
            master = self._master
            if master is None:
                break
            readable, _, _ = select.select([master], [], [], wait)
            if readable:
                try:
                    data = os.read(master, 4096)
                except BlockingIOError:
                    data = b""
                except OSError:
                    break
                for command in responder.feed(data):
                    self._reply(command)
                continue
            if streaming and time.monotonic() >= next_stream:
                frame = responder.stream_frame()
                if frame is not None:
                    self._send(frame)
                next_stream = time.monotonic() + responder.stream_interval
        self._close_pty()

    # -- side channel ------------------------------------------------------------------------
    def _control_loop(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            threading.Thread(target=self._control_client, args=(conn,), daemon=True).start()

    def _control_client(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rwb") as stream:
            for line in stream:
                try:
                    reply = self.device.control(json.loads(line))
                except json.JSONDecodeError as exc:
                    reply = {"ok": False, "error": f"control: not JSON ({exc.msg})"}
                except ConfigurationError as exc:
                    reply = {"ok": False, "error": str(exc)}
                stream.write(json.dumps(reply).encode() + b"\n")
                stream.flush()
                if reply.get("close"):
                    self.close()
                    return

    # -- shutdown ----------------------------------------------------------------------------
    def hang_up(self) -> None:
        """Control: simulate a pulled cable: close the pty master so the client gets EIO.

        Only the serving thread closes the descriptors (so no thread can touch a reused fd
        number); from another thread this waits until it has done so.
        """
        log.info("simulator %s hangs up", self.port)
        self._stop.set()
        if threading.current_thread() is self._threads[0]:
            self._close_pty()
        else:
            self.closed.wait(2.0)

    def _close_pty(self) -> None:
        for name in ("_master", "_slave"):
            fd = getattr(self, name)
            if fd is not None:
                setattr(self, name, None)
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.closed.set()

    def close(self) -> None:
        """Control: stop serving, close the pty and the side channel."""
        self._stop.set()
        for thread in self._threads:
            if thread is not threading.current_thread() and thread.is_alive():
                thread.join(2.0)
        self._close_pty()
        self._sock.close()
        for path in (self.control_path, self._dir):
            try:
                os.rmdir(path) if path == self._dir else os.unlink(path)
            except OSError:
                pass
