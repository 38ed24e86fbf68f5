"""Protocol-exact instrument simulators on pseudo-terminals.

Two ways to run one, with the same handle interface:

* :func:`start` runs the simulator in background **threads of the calling process**;
* :func:`spawn` runs ``python -m instruments simulate KIND`` as a **subprocess**
  (the process can be killed to simulate a crash or pulled cable).

Both return a handle with ``.port`` (pty slave path to open like a serial port),
``.control_path`` (Unix socket of the side channel), :meth:`SimHandle.put_load`,
:meth:`SimHandle.set_pressure`, :meth:`SimHandle.set_bath`, :meth:`SimHandle.set_input`,
:meth:`SimHandle.set_fault`, :meth:`SimHandle.state` and ``.close()``.
"""
from __future__ import annotations

import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading

from ..errors import ConfigurationError, TransportError
from .definitions import Definition, available_kinds, load_definition
from .faults import parse_faults
from .server import PtyServer, SimDevice

log = logging.getLogger(__name__)
#: slave paths of every pty simulator started or spawned by this process (used by the test guard)
CREATED_PORTS: set[str] = set()


class _Controls:
    """Side-channel helpers shared by both handle types; subclasses implement :meth:`control`."""

    port: str
    control_path: str

    def control(self, message: dict) -> dict:
        """Control: send one side-channel message and get the reply."""
        raise NotImplementedError

    def _ok(self, message: dict) -> dict:
        reply = self.control(message)
        if not reply.get("ok"):
            raise ConfigurationError(reply.get("error", "control: request failed"))
        return reply

    def put_load(self, grams: float) -> None:
        """Control: put a load (g) on a simulated balance."""
        self._ok({"cmd": "set", "quantity": "load", "value": grams})

    def set_pressure(self, kpa: float) -> None:
        """Control: pump a simulated pressure line to *kpa* (then it leaks)."""
        self._ok({"cmd": "set", "quantity": "pressure", "value": kpa})

    def set_bath(self, celsius: float) -> None:
        """Control: change the set point of a simulated bath."""
        self._ok({"cmd": "set", "quantity": "bath", "value": celsius})

    def set_input(self, value: float) -> None:
        """Control: set the value applied to a simulated DMM."""
        self._ok({"cmd": "set", "quantity": "input", "value": value})

    def set_fault(self, spec: str | None) -> None:
        """Control: replace the active faults (None clears them)."""
        self._ok({"cmd": "fault", "spec": spec})

    def state(self) -> dict:
        """Get the model's true state (``value``, ``settled``, ``range``)."""
        return self._ok({"cmd": "state"})

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SimHandle(_Controls):
    """A simulator running in threads of this process (see :func:`start`).

    :param server: the running server.
    """

    def __init__(self, server: PtyServer):
        self.server = server
        self.port = server.port
        self.control_path = server.control_path
        self.device = server.device

    def control(self, message: dict) -> dict:
        """Control: execute a side-channel message directly on the device."""
        try:
            return self.device.control(message)
        except ConfigurationError as exc:
            return {"ok": False, "error": str(exc)}

    def hang_up(self) -> None:
        """Control: simulate a pulled cable."""
        self.server.hang_up()

    def close(self) -> None:
        """Control: stop the simulator."""
        self.server.close()


class ProcessSimHandle(_Controls):
    """A simulator running in a subprocess (see :func:`spawn`); the side channel is its socket.

    :param process: the ``python -m instruments simulate`` process.
    :param port: pty slave path it printed.
    :param control_path: socket path it printed.
    """

    def __init__(self, process: subprocess.Popen, port: str, control_path: str):
        self.process, self.port, self.control_path = process, port, control_path
        self.pid = process.pid
        self._lock = threading.Lock()

    def control(self, message: dict) -> dict:
        """Control: send a JSON line on the control socket and get the reply."""
        with self._lock, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5.0)
            try:
                sock.connect(self.control_path)
                sock.sendall(json.dumps(message).encode() + b"\n")
                with sock.makefile("rb") as stream:
                    line = stream.readline()
            except OSError as exc:
                raise TransportError(f"simulator control {self.control_path}: {exc}") from None
        return json.loads(line) if line else {"ok": False, "error": "control: no reply"}

    def kill(self) -> None:
        """Control: SIGKILL the simulator process (crash / pulled cable) and remove its socket."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(5)
        _remove_socket(self.control_path)

    def close(self) -> None:
        """Control: terminate the process (SIGTERM, then SIGKILL)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process.stdout:
            self.process.stdout.close()


def start(kind: str, seed: int | None = None, fault: str | None = None, *, pace: bool = True,
          baudrate: int | None = None) -> SimHandle:
    """Control: start a simulator in background threads of this process.

    :param kind: built-in kind (``mtsics``, ``sbi``, ``dpi740``, ``fluke1502``, ``scpi``) or a TOML path.
    :param seed: random seed (noise and faults repeat for a given seed).
    :param fault: fault spec, e.g. ``"garble:0.1"``.
    :param pace: pace output at the line rate of the definition.
    :param baudrate: pace at this baud rate instead of the definition's.
    :returns: running handle; call ``.close()`` when done.
    :raises ConfigurationError: unknown kind, invalid definition or fault spec.
    """
    device = SimDevice(load_definition(kind), seed, fault)
    server = PtyServer(device, pace=pace, baudrate=baudrate).start()
    CREATED_PORTS.add(server.port)
    return SimHandle(server)


def spawn(kind: str, seed: int | None = None, fault: str | None = None, *, pace: bool = True,
          baudrate: int | None = None, timeout: float = 15.0) -> ProcessSimHandle:
    """Control: start ``python -m instruments simulate`` as a subprocess and wait for its port.

    :param kind: as for :func:`start`.
    :param seed: random seed.
    :param fault: fault spec (validated here before spawning).
    :param pace: pace output at the line rate.
    :param baudrate: pacing baud rate override.
    :param timeout: seconds to wait for the two startup lines.
    :returns: running handle.
    :raises ConfigurationError: bad kind or fault spec.
    :raises TransportError: the subprocess did not start.
    """
    load_definition(kind)
    parse_faults(fault)
    argv = [sys.executable, "-m", "instruments", "simulate", kind]
    argv += ["--seed", str(seed)] if seed is not None else []
    argv += ["--fault", fault] if fault else []
    argv += ["--baud", str(baudrate)] if baudrate else []
    argv += [] if pace else ["--no-pace"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [_root(), os.environ.get("PYTHONPATH")])))
    errors = tempfile.TemporaryFile()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors, env=env, bufsize=0)  # unbuffered: select works
    assert proc.stdout is not None  # stdout=PIPE
    lines: list[str] = []
    while len(lines) < 2:
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        line = proc.stdout.readline() if ready else b""
        if not line:
            proc.kill()
            proc.wait(5)
            errors.seek(0)
            err = errors.read().decode(errors="replace").strip().splitlines()
            raise TransportError(f"simulator {kind}: did not start ({err[-1] if err else 'no output'})")
        lines.append(line.decode().strip())
    errors.close()
    port, control = lines[0], lines[1].removeprefix("control: ")
    CREATED_PORTS.add(port)
    return ProcessSimHandle(proc, port, control)


def _remove_socket(path: str) -> None:
    """Remove a control socket and its private directory left behind by a killed simulator."""
    for remove, target in ((os.unlink, path), (os.rmdir, os.path.dirname(path))):
        try:
            remove(target)
        except OSError:
            pass


def _root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


__all__ = ["CREATED_PORTS", "Definition", "ProcessSimHandle", "SimHandle", "available_kinds", "load_definition",
           "spawn", "start"]
