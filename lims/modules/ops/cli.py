"""``lims backup`` and ``lims restore`` (see :mod:`lims.modules.ops.backup`)."""
import os

import click
from flask import current_app
from flask.cli import with_appcontext

from lims.extensions import db
from lims.modules.ops.backup import BackupError, backup, restore


def _passphrase(confirm):
    value = os.environ.get("LIMS_BACKUP_PASSPHRASE")
    if value:
        return value
    return click.prompt("backup passphrase", hide_input=True, confirmation_prompt=confirm)


@click.command("backup")
@click.argument("archive", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_cmd(archive: str) -> None:
    """Write an encrypted backup (database, signing keys, instance files) to ARCHIVE.

    The passphrase comes from LIMS_BACKUP_PASSPHRASE or a prompt; keep it apart from the archive.
    """

    try:
        manifest = backup(current_app._get_current_object(),  # type: ignore[attr-defined]  # a LocalProxy
                          archive, _passphrase(confirm=True))
    except BackupError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(f"backup written to {archive}: {manifest['database']} database at revision "
               f"{manifest['alembic_revision']}, {manifest['certificates']} certificates, keys and instance files")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="confirm that the configured database may be overwritten")
@with_appcontext
def restore_cmd(archive: str, yes: bool) -> None:
    """Restore ARCHIVE into the configured database, key directory and instance folder.

    Stop the app servers and workers first; the configured database is overwritten.
    """

    if not yes:
        click.echo("error: restoring overwrites the configured database; add --yes to go ahead", err=True)
        raise SystemExit(2)
    db.session.remove()
    db.engine.dispose()
    try:
        manifest = restore(current_app._get_current_object(),  # type: ignore[attr-defined]  # a LocalProxy
                           archive, _passphrase(confirm=False))
    except BackupError as exc:
        click.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(f"restored {manifest['database']} database at revision {manifest['alembic_revision']} with "
               f"{manifest['certificates']} certificates; run 'lims certificates check-integrity' to confirm")


COMMANDS = [backup_cmd, restore_cmd]
