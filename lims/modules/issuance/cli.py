"""Operator commands of the issuance area: signing keys, offline verification, integrity check.

Input errors print one readable line and exit with code 2; a token that is not genuine exits 1.
"""
import datetime as dt
import json
import os
import sys

import click
from flask.cli import with_appcontext

from lims.modules.issuance import keys, render
from lims.modules.issuance.operations import integrity_report


@click.group("keys")
def keys_group() -> None:
    """The laboratory's Ed25519 signing keys (in KEY_DIR, default instance/keys)."""


def _key_errors(fn):
    try:
        return fn()
    except keys.KeyStoreError as exc:
        raise click.UsageError(str(exc)) from None


@keys_group.command("create")
@with_appcontext
def keys_create() -> None:
    """Create the first signing key (private key file mode 600)."""
    kid = _key_errors(keys.create)
    click.echo(f"created signing key {kid} in {keys.key_dir()}")


@keys_group.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Replace the active key; old public keys stay published so printed stickers still verify."""
    kid = _key_errors(keys.rotate_key)
    click.echo(f"new active signing key {kid}; the old public keys stay in the published set")


@keys_group.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="write the JWK set to this file instead of standard output")
@with_appcontext
def keys_export(output: str | None) -> None:
    """Print the public keys as a JWK set (the same as /.well-known/lims-keys.json)."""
    text = json.dumps(_key_errors(keys.export_jwks), indent=2)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text)


@click.group("certificates")
def certificates_group() -> None:
    """Issued certificates: offline verification and integrity checks."""


def _load_keys(keys_file):
    if keys_file is None:
        return _key_errors(keys.export_jwks)
    try:
        with open(keys_file, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.UsageError(f"--keys: cannot read a JWK set from {keys_file}: {exc}") from None


def _read_source(source):
    if os.path.isfile(source):
        try:
            with open(source, "rb") as fh:
                return fh.read()
        except OSError as exc:
            raise click.UsageError(f"IMAGE_OR_URL: cannot read {source}: {exc}") from None
    return source


@certificates_group.command("verify")
@click.argument("image_or_url")
@click.option("--keys", "keys_file", type=click.Path(dir_okay=False), default=None,
              help="JWK set file (default: the public keys in KEY_DIR)")
@with_appcontext
def certificates_verify(image_or_url: str, keys_file: str | None) -> None:
    """Verify a sticker photo, certificate page image (PNG/JPEG), verification URL or token offline."""

    jwks_doc = _load_keys(keys_file)
    try:
        verdict = render.verify_source(_read_source(image_or_url), jwks_doc, dt.date.today())
    except render.QRDecodeError as exc:
        raise click.UsageError(str(exc)) from None
    except render.KeySetError as exc:
        raise click.UsageError(f"--keys: {exc}") from None
    if not verdict.genuine:
        click.echo(f"NOT GENUINE 伪造/无效: {verdict.reason}")
        sys.exit(1)
    click.echo(f"GENUINE 真实: certificate {verdict.number} rev {verdict.revision}, instrument "
               f"{verdict.instrument_id}, lab {verdict.lab_id}, key {verdict.kid}")
    click.echo(f"{verdict.message_zh} / {verdict.message_en} (revocation is only visible online)")


@certificates_group.command("check-integrity")
@with_appcontext
def certificates_check_integrity() -> None:
    """Re-hash every stored certificate (record, PDF, DCC); exit 1 if any changed since issue."""

    report = integrity_report()
    for number, problems in report.items():
        click.echo(f"{number}: {'; '.join(problems)}", err=True)
    if report:
        sys.exit(1)
    click.echo("all stored certificates match the hashes recorded at issue")


COMMANDS = [keys_group, certificates_group]
