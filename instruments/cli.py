"""Command line: ``python -m instruments {ports,read,simulate}``.

Errors print one line ``error: …`` to stderr and exit with code 2 (never a traceback).
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .errors import InstrumentError

if TYPE_CHECKING:
    from .acquisition import AcceptedReading

class UsageError(Exception):
    """Bad command-line usage (argparse errors are turned into this)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: {message}")


class JsonLinesSink:
    """A :class:`~instruments.acquisition.ReadingSink` printing one JSON object per accepted reading.

    :param out: text stream for readings.
    :param err: text stream for rejected-frame notices.
    """

    def __init__(self, out, err):
        self.out, self.err = out, err

    def last_sequence(self) -> int | None:
        """Get None: printing sessions never resume."""
        return None

    def accept(self, record: AcceptedReading) -> None:
        """Control: print the reading as one JSON line and flush."""
        self.out.write(json.dumps(record.reading.to_dict(), ensure_ascii=False) + "\n")
        self.out.flush()

    def reject(self, raw: bytes, reason: str) -> None:
        """Control: print a one-line notice of the rejected frame on stderr."""
        self.err.write(f"rejected frame {raw!r}: {reason}\n")


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return int(text)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be a number of seconds in (0, 3600], got {text!r}")
    return value


class _DriverKinds:
    """The ``--driver`` choices, read from the driver registry only when argparse checks or lists them,
    so that ``--help`` and the ``ports``/``simulate`` commands start without loading drivers and pyserial."""

    def _kinds(self) -> list[str]:
        from .drivers import DRIVERS  # noqa: PLC0415 (deferred: see the class docstring)

        return sorted(DRIVERS)

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds())

    def __contains__(self, kind: object) -> bool:
        return kind in self._kinds()


def _build_parser() -> _Parser:
    parser = _Parser(prog="python -m instruments", description="Bench instrument drivers and simulators.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("ports", help="list serial ports (pyserial list_ports)")
    read = sub.add_parser("read", help="print readings as JSON lines")
    read.add_argument("--driver", required=True, choices=_DriverKinds(), metavar="KIND",
                      help="driver kind: %(choices)s")
    read.add_argument("--port", required=True, help="port name or pyserial URL")
    read.add_argument("--count", type=_positive_int, default=1, help="number of readings (default 1)")
    read.add_argument("--stable", action="store_true", help="print only stable readings")
    read.add_argument("--stream", action="store_true", help="use continuous output instead of polling")
    read.add_argument("--timeout", type=_positive_float,
                      help="frame timeout in seconds (MT-SICS: also how long S may wait for stability)")
    read.add_argument("--baud", type=_positive_int, help="override the driver's baud rate")
    read.add_argument("--window", type=_positive_int, help="software stability: readings in the window")
    read.add_argument("--band", type=float, help="software stability: allowed spread in the window")
    read.add_argument("--stable-within", type=_positive_float, default=30.0,
                      help="seconds to wait for an acceptable reading (default 30)")
    sim = sub.add_parser("simulate", help="run a simulated instrument on a pseudo-terminal")
    sim.add_argument("kind", help="device kind (mtsics, sbi, dpi740, fluke1502, scpi) or a TOML file")
    sim.add_argument("--fault", help="fault spec, e.g. garble:0.1,slow:0.5")
    sim.add_argument("--seed", type=int, help="random seed")
    sim.add_argument("--baud", type=_positive_int, help="pace output at this baud rate")
    sim.add_argument("--no-pace", action="store_true", help="send as fast as the pty allows")
    return parser


def _ports(args, out, err) -> int:
    from serial.tools import list_ports  # noqa: PLC0415 (deferred: only this command needs it)

    ports = sorted(list_ports.comports(), key=lambda p: p.device)
    for port in ports:
        out.write(f"{port.device}\t{port.description}\t{port.hwid}\n")
    if not ports:
        err.write("no serial ports found\n")
    return 0


def _read(args, out, err) -> int:
    # deferred: `--help`, usage errors and the other commands start without drivers, pyserial and inspect
    import inspect  # noqa: PLC0415

    from .acquisition import AcquisitionSession, StabilityCriterion  # noqa: PLC0415
    from .drivers import driver_class  # noqa: PLC0415
    from .transport import open_transport  # noqa: PLC0415

    cls = driver_class(args.driver)
    overrides = {k: v for k, v in (("baudrate", args.baud), ("timeout", args.timeout)) if v is not None}
    settings = cls.settings.from_mapping(overrides, cls.settings) if overrides else cls.settings
    criterion = None
    if args.window or args.band is not None:
        criterion = StabilityCriterion(args.window or 5, cls.stability_band if args.band is None else args.band)
    options = {}
    if args.timeout is not None and "stable_timeout" in inspect.signature(cls).parameters:
        options["stable_timeout"] = args.timeout  # --timeout bounds MT-SICS S as well
    transport = open_transport(args.port, settings)
    try:
        driver = cls(transport, **options)
        AcquisitionSession(driver, JsonLinesSink(out, err), args.count, require_stable=args.stable,
                           criterion=criterion, stream=args.stream, stable_within=args.stable_within,
                           max_consecutive_errors=3).run()
    finally:
        transport.close()
    return 0


def _simulate(args, out) -> int:
    from . import sim  # noqa: PLC0415 (deferred: pty simulators are needed by this command only)

    handle = sim.start(args.kind, seed=args.seed, fault=args.fault, pace=not args.no_pace, baudrate=args.baud)
    out.write(f"{handle.port}\ncontrol: {handle.control_path}\n")
    out.flush()
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    while not done.is_set() and not handle.server.closed.is_set():
        done.wait(0.2)
    handle.close()
    return 0


def main(argv: list[str] | None = None, out=None, err=None) -> int:
    """Control: run the command line.

    :param argv: arguments (default ``sys.argv[1:]``).
    :param out: stdout stream.
    :param err: stderr stream.
    :returns: exit code: 0 success, 2 usage, configuration, timeout or port error.
    """
    out, err = out or sys.stdout, err or sys.stderr
    try:
        args = _build_parser().parse_args(argv)
        if args.command == "ports":
            return _ports(args, out, err)
        if args.command == "read":
            return _read(args, out, err)
        return _simulate(args, out)
    except UsageError as exc:
        err.write(f"error: {exc}\n")
    except InstrumentError as exc:
        err.write(f"error: {exc}\n")
    except KeyboardInterrupt:
        err.write("error: interrupted\n")
    except BrokenPipeError:
        return 0
    return 2
