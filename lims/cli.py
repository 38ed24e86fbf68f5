"""The ``lims`` command: every operator task. Sub-commands parse options and call operations.

Input errors print one readable line and exit with code 2 (click's usage-error convention).
"""
import functools
import os
import re
import sys
from typing import BinaryIO, NoReturn

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from werkzeug.serving import run_simple

from lims.core.audit import AuditEvent, acting_as, verify_chain
from lims.core.http import Conflict, DomainValidationError
from lims.core.roles import grant_app_role
from lims.demo import DEMO_USERS, ensure_demo
from lims.extensions import db
from lims.modules.campaigns.cli import COMMANDS as campaign_commands
from lims.modules.equipment.operations import import_instruments
from lims.modules.issuance.cli import COMMANDS as issuance_commands
from lims.modules.measurements.cli import COMMANDS as measurement_commands
from lims.modules.ops.cli import COMMANDS as ops_commands
from lims.modules.organisations.models import Organisation
from lims.modules.tasks.cli import COMMANDS as task_commands
from lims.modules.tasks.queue import start_thread_worker
from lims.modules.users.models import ApiToken
from lims.modules.users.operations import (
    create_token,
    create_user,
    reset_password,
    revoke_token,
    tokens_of,
    user_by_username,
)


def register(app: Flask) -> None:
    """Attach the command groups to the app's CLI (used by ``flask`` and ``lims``)."""

    for cmd in (tokens, users, audit, db_roles, instruments, demo_cmd, *issuance_commands, *measurement_commands,
                *campaign_commands, *task_commands, *ops_commands):
        app.cli.add_command(cmd)


def _fail(message: str) -> NoReturn:
    raise click.UsageError(message)


def _user(username):
    user = user_by_username(username)
    if user is None:
        _fail(f"no user named {username!r}")
    return user


def _commit() -> None:
    db.session.commit()


def _domain_errors(fn):
    """Turn domain errors into a readable line and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DomainValidationError as exc:
            db.session.rollback()
            detail = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
            _fail(detail)
        except Conflict as exc:
            db.session.rollback()
            _fail(str(exc))

    return wrapper


@click.group()
def tokens() -> None:
    """Create, list and revoke API tokens."""


@tokens.command("create")
@click.argument("username")
@click.option("--name", default="cli", show_default=True, help="a label for the token")
@click.option("--expires-in-days", type=int, default=None, help="the token stops working after this many days")
@with_appcontext
@_domain_errors
def tokens_create(username: str, name: str, expires_in_days: int | None) -> None:
    """Create an API token for USERNAME and print its secret (shown once)."""

    user = _user(username)
    with acting_as(None, "cli"):
        row, secret = create_token(user, name, expires_in_days)
        _commit()
    click.echo(secret)
    click.echo(f"token {row.id} ({row.prefix}…) created for {user.username}", err=True)


@tokens.command("list")
@click.argument("username")
@with_appcontext
def tokens_list(username: str) -> None:
    """List USERNAME's tokens: id, prefix, name, state, expiry, last use."""

    user = _user(username)
    for t in tokens_of(user):
        state = f"revoked {t.revoked_dt:%Y-%m-%d}" if t.revoked_dt else t.state
        expires = f"expires {t.expires_dt:%Y-%m-%d}" if t.expires_dt else "no expiry"
        used = f"last used {t.last_used_dt:%Y-%m-%d %H:%M}" if t.last_used_dt else "never used"
        click.echo(f"{t.id}\t{t.prefix}…\t{t.name}\t{state}\t{expires}\t{used}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def tokens_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID."""

    token = db.session.get(ApiToken, token_id)
    if token is None:
        _fail(f"no token {token_id}")
    with acting_as(None, "cli"):
        revoke_token(token)
        _commit()
    click.echo(f"token {token_id} revoked")


@click.group()
def users() -> None:
    """Manage users."""


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "lab_manager", "technician",
                                                          "market_manager", "equipment_officer"]))
@click.option("--organisation-id", required=True, type=int)
@click.option("--display-name", default=None)
@click.password_option()
@with_appcontext
@_domain_errors
def users_create(username: str, role: str, organisation_id: int, display_name: str | None,
                 password: str) -> None:
    """Create a user."""

    with acting_as(None, "cli"):
        user = create_user(username, display_name or username, role, organisation_id, password)
        _commit()
    click.echo(f"user {user.id} {user.username} ({user.role}) created")


@users.command("reset-password")
@click.argument("username")
@click.password_option(prompt="Temporary password")
@with_appcontext
@_domain_errors
def users_reset_password(username: str, password: str) -> None:
    """Set USERNAME's password; the user must change it at the next login, and every session ends."""

    user = _user(username)
    with acting_as(None, "cli"):
        reset_password(user, password)
        _commit()
    click.echo(f"password of {user.username} reset; it must be changed at the next login")


@click.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Recompute the audit hash chain; name the first broken link (exit code 1) or print the head."""


    checked, problem = verify_chain(db.session)
    if problem:
        event_id, reason = problem
        click.echo(f"audit chain BROKEN at event {event_id} (after {checked} good events): {reason}", err=True)
        sys.exit(1)
    head = db.session.execute(select(AuditEvent.id, AuditEvent.chain_hash).order_by(AuditEvent.id.desc())
                              .limit(1)).first()
    if head is None:
        click.echo("audit chain OK: no events yet")
    else:
        click.echo(f"audit chain OK: {checked} events; head event {head.id} hash {head.chain_hash}")


@click.group("db-roles")
def db_roles() -> None:
    """PostgreSQL roles: the application's role may not change the audit trail."""


@db_roles.command("grant-app")
@click.argument("role")
@with_appcontext
def db_roles_grant_app(role: str) -> None:
    """Grant ROLE what the application needs, and no more (run as the migration owner after each upgrade).

    ROLE may read and write the records, but on the append-only tables (audit events, readings,
    rejections) only SELECT and INSERT: no UPDATE, DELETE or TRUNCATE; it owns nothing, so it cannot
    alter a table or drop its triggers.
    """

    if db.engine.dialect.name != "postgresql":
        _fail("roles exist only on PostgreSQL; on SQLite the file's permissions are the boundary")

    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        _fail(f"role: {role!r} is not a plain lower-case PostgreSQL role name")
    grant_app_role(db.engine, role)
    click.echo(f"granted {role}: read/write on records, SELECT+INSERT only on append-only tables")


@click.group()
def instruments() -> None:
    """The register of instruments."""


@instruments.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--owner-id", type=int, default=None,
              help="organisation that owns every row (otherwise the file needs an owner_id column)")
@with_appcontext
def instruments_import(file: BinaryIO, owner_id: int | None) -> None:
    """Import an instrument register from a CSV FILE: all rows or none."""

    try:
        text = file.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _fail(f"{file.name}: not UTF-8 text (byte {exc.start})")
    owner = None
    if owner_id is not None:
        owner = db.session.get(Organisation, owner_id)
        if owner is None:
            _fail(f"--owner-id: no organisation {owner_id}")
    with acting_as(None, "cli"):
        created, errors = import_instruments(text, owner, allow_owner_column=owner is None)
        if errors:
            db.session.rollback()
            for e in errors[:200]:
                click.echo(f"{file.name}: row {e['row']}, column {e['column'] or '-'}: {e['problem']}", err=True)
            click.echo(f"nothing imported: {len(errors)} problem(s)", err=True)
            sys.exit(2)
        _commit()
    click.echo(f"imported {created} instruments")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="load the demo data and exit")
@with_appcontext
def demo_cmd(host: str, port: int, no_serve: bool) -> None:
    """Create or reuse the database, load demo data, and serve on http://HOST:PORT."""

    if not os.environ.get("LIMS_PUBLIC_HOST"):
        # QR codes of certificates issued in this demo must open on this server.
        public = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        current_app.config["PUBLIC_HOST"] = f"{public}:{port}"
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the app behind the proxy
    ensure_demo(app)
    click.echo(f"Database: {current_app.config['SQLALCHEMY_DATABASE_URI']}")
    click.echo("Demo accounts (username / password — role, organisation):")
    for u in DEMO_USERS:
        click.echo(f"  {u['username']:<12} / {u['password']:<22} — {u['role']}, {u['organisation']}")
    if no_serve:
        return

    current_app.config["DEMO"] = True

    start_thread_worker(app)  # background tasks without a second command
    click.echo(f"Serving on http://{host}:{port}  (Ctrl-C to stop)")
    run_simple(host, port, app, threaded=True, use_reloader=False)

