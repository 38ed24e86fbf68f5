"""Command line.

``python -m planning solve INSTANCE.json --out PLAN.json [--time-limit SECONDS]`` writes a plan;
``python -m planning check INSTANCE.json PLAN.json`` verifies one and prints its figures.

Exit status: 0 done / plan keeps every rule; 1 the plan breaks a rule (``check``); 2 unreadable or
invalid input — one line on stderr, no traceback, and ``solve`` writes nothing.
"""
import argparse
import json
import math
import os
import sys
import tempfile
import time

from .check import check
from .instance import InstanceError
from .solver import solve

__all__ = ["main"]

MAX_FILE_BYTES = 512 * 1024 * 1024


class _Parser(argparse.ArgumentParser):
    """Argument parser whose errors are a single line and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _time_limit(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def _build_parser():
    parser = _Parser(prog="python -m planning", description="campaign planning (lims-plan-instance/1)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    so = sub.add_parser("solve", help="plan an instance")
    so.add_argument("instance", help="instance JSON file")
    so.add_argument("--out", required=True, help="where to write the plan JSON")
    so.add_argument("--time-limit", type=_time_limit, metavar="SECONDS", help="bound on the whole run's wall time")
    so.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    ch = sub.add_parser("check", help="verify a plan against an instance and recompute its figures")
    ch.add_argument("instance", help="instance JSON file")
    ch.add_argument("plan", help="plan JSON file")
    return parser


class _InputError(Exception):
    pass


def _no_constant(name):
    raise ValueError(f"invalid JSON number {name}")


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {key!r}")
        obj[key] = value
    return obj


def _load(path):
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _InputError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _InputError(f"{path}: not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as exc:
        raise _InputError(f"{path}: not JSON ({' '.join(str(exc).split())})") from None


def _fail(message):
    print("error: " + " ".join(str(message).split()), file=sys.stderr)
    return 2


def _write_atomically(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".plan-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _solve(args):
    started = time.perf_counter()
    instance = _load(args.instance)

    def progress(fraction, message):
        if not args.quiet:
            print(f"[{fraction:4.0%}] {time.perf_counter() - started:5.1f} s  {message}", file=sys.stderr)

    plan = solve(instance, time_limit=args.time_limit, progress=progress, started=started)
    plan["seconds"] = round(time.perf_counter() - started, 3)
    try:
        _write_atomically(args.out, json.dumps(plan, ensure_ascii=False, separators=(",", ":")))
    except OSError as exc:
        raise _InputError(f"{args.out}: cannot write ({exc.strerror or exc})") from None
    print(f"cost {plan['cost']:.1f}, lower bound {plan['lower_bound']:.1f}, gap {plan['gap']:.2%}, "
          f"{plan['visit_count']} visits, {len(plan['unplanned'])} unplanned, {plan['seconds']:.1f} s")
    return 0


def _check(args):
    instance = _load(args.instance)
    plan = _load(args.plan)
    report = check(instance, plan)
    for error in report.errors:
        print(error)
    figures = ", ".join(f"{k} {v:.6g}" if isinstance(v, float) else f"{k} {v}" for k, v in report.figures.items())
    print(("ok: " if report.ok else f"{len(report.errors)} violation(s): ") + figures)
    return 0 if report.ok else 1


def main(argv=None):
    args = _build_parser().parse_args(argv)
    try:
        return _solve(args) if args.command == "solve" else _check(args)
    except (_InputError, InstanceError) as exc:
        return _fail(exc)
