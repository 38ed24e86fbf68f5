"""Command line: ``python -m uncertainty evaluate BUDGET.json [options]``.

Prints the result as JSON on stdout.  Any problem (unreadable file, invalid JSON, invalid
budget, refused model expression) prints one line to stderr and exits with status 2; no
traceback is shown and nothing of the model is executed.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from collections.abc import Sequence

from .errors import UncertaintyError
from .serialization import METHODS, evaluate_budget

__all__ = ["main"]

log = logging.getLogger(__name__)
MAX_FILE_BYTES = 10 * 1024 * 1024


class _Parser(argparse.ArgumentParser):
    """Argument parser whose errors are a single line and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _indent(text):
    value = int(text)
    if not 0 <= value <= 8:
        raise argparse.ArgumentTypeError(f"must be between 0 and 8, got {value}")
    return value


def _build_parser():
    parser = _Parser(prog="python -m uncertainty", description="GUM and Monte Carlo uncertainty evaluation")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    ev = sub.add_parser("evaluate", help="evaluate a budget file (JSON format v1)")
    ev.add_argument("budget", help="path of the budget JSON file ('-' for stdin)")
    ev.add_argument("--method", choices=METHODS, default="both", help="gum, mcm or both (default)")
    ev.add_argument("--trials", type=int, help="Monte Carlo trials (overrides the file)")
    ev.add_argument("--seed", type=int, help="Monte Carlo seed (overrides the file)")
    ev.add_argument("--adaptive", type=int, metavar="DIGITS", help="adaptive MCM to DIGITS significant digits")
    ev.add_argument("--indent", type=_indent, default=2, help="JSON indentation 0..8 (default 2; 0 = one line)")
    return parser


def _read(path):
    if path == "-":
        text = sys.stdin.read(MAX_FILE_BYTES + 1)
    else:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise UncertaintyError(f"{path}: file is larger than {MAX_FILE_BYTES} bytes")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UncertaintyError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return text


def _reject_constant(name):
    raise ValueError(f"invalid JSON number {name}")


def _no_duplicates(pairs):
    """``object_pairs_hook``: a key given twice would silently drop the first value."""
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {key!r}")
        obj[key] = value
    return obj


def _fail(message):
    print("error: " + " ".join(str(message).split()), file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    :param argv: arguments (default ``sys.argv[1:]``)
    :returns: 0 on success, 2 on any input error
    """
    args = _build_parser().parse_args(argv)
    with warnings.catch_warnings():  # NumPy overflow warnings must not add lines to the one-line error
        warnings.simplefilter("ignore", RuntimeWarning)
        status, text = _run(args)
    if status:
        return status
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stdout = None
    return 0


def _run(args):
    """Read, evaluate and serialise; returns ``(exit status, JSON text)``."""
    try:
        text = _read(args.budget)
        try:
            data = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
        except (ValueError, RecursionError) as exc:
            raise UncertaintyError(f"{args.budget}: not valid JSON: {exc}") from None
        result = evaluate_budget(data, method=args.method, trials=args.trials, seed=args.seed,
                                 adaptive=args.adaptive)
        return 0, json.dumps(result, indent=args.indent or None, ensure_ascii=False, allow_nan=False)
    except (UncertaintyError, OSError, UnicodeDecodeError) as exc:
        return _fail(str(exc)), None
    except MemoryError:
        return _fail("not enough memory for this evaluation (reduce trials)"), None
    except Exception as exc:  # last resort: a one-line message, never a traceback
        log.debug("unexpected failure", exc_info=True)
        return _fail(f"unexpected failure ({type(exc).__name__}): {exc}"), None
