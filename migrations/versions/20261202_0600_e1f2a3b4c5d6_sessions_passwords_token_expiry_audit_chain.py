"""sessions, passwords, token expiry and the audit hash chain

users.session_nonce (rotated on logout and password change: every older session cookie dies),
users.must_change_password (set by an admin's reset), users.password_changed_dt;
api_tokens.expires_dt (optional); audit_events.chain_hash: SHA-256 over the previous row's hash and
this row's content, so an edited, inserted or deleted row breaks the chain (``lims audit verify``).
Existing audit rows are chained here, in id order, with the same formula as lims.core.audit.

Revision ID: e1f2a3b4c5d6
Revises: d4e5f6a7b8c9
Create Date: 2026-12-02 06:00:00

"""
import datetime as dt
import hashlib
import json

from alembic import op
import sqlalchemy as sa

revision = 'e1f2a3b4c5d6'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
_NO_CHANGE = "audit events are append-only"


def _chain_hash(prev, created_dt, actor_id, actor_name, action, entity, entity_id, changes):
    # a copy of lims.core.audit.chain_hash (migrations never import the application)
    if isinstance(created_dt, str):  # SQLite hands back text through a bare table
        created_dt = dt.datetime.fromisoformat(created_dt)
    if created_dt.tzinfo is None:
        created_dt = created_dt.replace(tzinfo=dt.timezone.utc)
    if isinstance(changes, str):
        changes = json.loads(changes)
    payload = [prev, created_dt.astimezone(dt.timezone.utc).isoformat(), actor_id, actor_name, action, entity,
               entity_id, changes]
    data = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _sqlite_triggers(create):
    for verb in ("UPDATE", "DELETE"):
        if create:
            op.execute(f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                       f"BEGIN SELECT RAISE(ABORT, '{_NO_CHANGE}'); END")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_{verb.lower()}")


def _chain_existing_rows():
    bind = op.get_bind()
    events = sa.table("audit_events", sa.column("id", sa.Integer), sa.column("created_dt"),
                      sa.column("actor_id", sa.Integer), sa.column("actor_name", sa.String),
                      sa.column("action", sa.String), sa.column("entity", sa.String),
                      sa.column("entity_id", sa.String), sa.column("changes", sa.JSON),
                      sa.column("chain_hash", sa.String))
    rows = bind.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    if not rows:
        return
    if bind.dialect.name == "sqlite":
        _sqlite_triggers(create=False)
    elif bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change")
    prev = GENESIS
    for r in rows:
        prev = _chain_hash(prev, r["created_dt"], r["actor_id"], r["actor_name"], r["action"], r["entity"],
                           r["entity_id"], r["changes"])
        bind.execute(sa.update(events).where(events.c.id == r["id"]).values(chain_hash=prev))
    if bind.dialect.name == "sqlite":
        _sqlite_triggers(create=True)
    elif bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change")


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_nonce', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('password_changed_dt', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_dt', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_hash', sa.String(length=64), nullable=False, server_default=''))
    _chain_existing_rows()


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # dropping a column rebuilds the table on SQLite, which drops its triggers
        _sqlite_triggers(create=False)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('chain_hash')
    if sqlite:
        _sqlite_triggers(create=True)
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_dt')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('password_changed_dt')
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('session_nonce')
