"""Stand-alone command line: ``python -m certificates verify|preview``.

``verify`` checks a sticker photo, a rendered page or a URL offline against published keys
(a JWK set file or a key directory). ``preview`` writes the bundled preview records as PDF,
DCC XML and a sticker sheet, signed with a throw-away key whose JWK set is written next to
them. Bad input prints one line to stderr and exits with code 2; a token that is not
genuine exits with code 1.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

__all__ = ["main"]


class UsageError(Exception):
    """Bad command-line input (exit code 2)."""


def _load_keys(source: str):
    # deferred here and below: `--help` and usage errors answer without loading cryptography or ReportLab
    from .signing import KeyStoreError, public_keys  # noqa: PLC0415

    path = Path(source)
    if path.is_dir():
        try:
            return public_keys(path)
        except KeyStoreError as exc:
            raise UsageError(f"--keys: {exc}") from None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"--keys: cannot read JWK set {source!r}: {exc}") from None


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _verify(args) -> int:
    from .qr import QRDecodeError, offline_status, verify_offline  # noqa: PLC0415
    from .signing import KeySetError, NotGenuine  # noqa: PLC0415

    keys = _load_keys(args.keys)
    try:
        verified = verify_offline(args.source, keys)
    except QRDecodeError as exc:
        raise UsageError(str(exc)) from None
    except KeySetError as exc:
        raise UsageError(f"--keys: {exc}") from None
    except NotGenuine as exc:
        print(f"NOT GENUINE 非真实证书: {exc.reason}")
        return 1
    rec = verified.record
    status = offline_status(rec, args.today or dt.date.today())
    print(f"GENUINE 签名有效 (key {verified.kid}): certificate {rec.certificate_id} rev {rec.revision}, "
          f"instrument {rec.instrument_id}, lab {rec.lab_id}, date {rec.date.isoformat()}")
    print(f"{status.message_zh} / {status.message_en}")
    print("离线验证只能证明签发时的内容；撤销或替代请在线查询 / Offline check only; revocation and "
          "replacement are visible online.")
    return 0


def _preview(args) -> int:
    from .issue import issue  # noqa: PLC0415
    from .samples import load_sample, sample_names  # noqa: PLC0415
    from .signing import generate_unsaved_key, jwks_from_public_keys  # noqa: PLC0415
    from .stickers import render_sticker_sheet  # noqa: PLC0415

    names = args.names or sample_names()
    unknown = sorted(set(names) - set(sample_names()))
    if unknown:
        raise UsageError(f"NAME: unknown preview record {unknown[0]!r}; choose from {', '.join(sample_names())}")
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    key = generate_unsaved_key()
    stickers = []
    for name in names:
        issued = issue(load_sample(name), key, args.host)
        (out / f"{name}.pdf").write_bytes(issued.pdf)
        (out / f"{name}.xml").write_bytes(issued.dcc_xml)
        stickers.append(issued.sticker)
        print(f"{name}: {issued.number} {issued.url}")
    sheet, layout = render_sticker_sheet(stickers)
    (out / "stickers.pdf").write_bytes(sheet)
    jwks = jwks_from_public_keys({key.kid: key.private_key.public_key()})
    (out / "jwks.json").write_text(json.dumps(jwks, indent=2), encoding="utf-8")
    print(f"stickers.pdf: QR version(s) {', '.join(map(str, layout.versions))}, module {layout.module_mm} mm, "
          f"symbol {layout.qr_mm} mm; keys in jwks.json")
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit code 2."""

    def error(self, message):
        print(f"error: {self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m certificates", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="verify a sticker image, page image or URL offline")
    v.add_argument("source", metavar="SOURCE", help="PNG/JPEG file, verification URL or token")
    v.add_argument("--keys", required=True, help="JWK set file (lims-keys.json) or key directory")
    v.add_argument("--today", type=_date, help="date to judge expiry against (default: today)")
    p = sub.add_parser("preview", help="render the bundled preview records with a throw-away key")
    p.add_argument("outdir")
    p.add_argument("names", nargs="*", metavar="NAME")
    p.add_argument("--host", default="lims.example.com")
    return parser


def main(argv=None) -> int:
    """Run the command line.

    :param argv: arguments (default: ``sys.argv[1:]``)
    :returns: exit code (0 ok, 1 not genuine, 2 bad input)
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # _Parser printed the one-line error (or --help its text)
        return int(exc.code or 0)
    try:
        return _verify(args) if args.command == "verify" else _preview(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
