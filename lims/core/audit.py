"""Append-only audit trail.

Every flush that creates, updates or deletes a row of an audited model (``__audited__ = True``)
writes one :class:`AuditEvent` per row with the actor, the time and the field changes. Rows are
written on the flush's own connection, so they commit or roll back with the change they describe.
Audit rows are never updated or deleted: the ORM refuses it here, and database triggers created
by the migration refuse it for any other client.
"""
import contextvars
import datetime as dt
import decimal
import enum
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from lims.core.db import UTCDateTime, now_utc
from lims.extensions import db

_actor = contextvars.ContextVar("lims_audit_actor", default=(None, "system"))


class AuditEvent(db.Model):
    """One create, update or delete of an audited row."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_dt: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=now_utc, nullable=False, index=True)
    actor_id: Mapped[int | None] = mapped_column(nullable=True, index=True)
    actor_name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    action: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    entity: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    entity_id: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    changes: Mapped[dict] = mapped_column(sa.JSON, nullable=False)

    def __repr__(self):
        return f"<AuditEvent {self.id} {self.action} {self.entity}:{self.entity_id}>"


def set_actor(user_id, name):
    """Record who is acting in this context (a request or a CLI command)."""
    return _actor.set((user_id, name))


@contextmanager
def acting_as(user_id, name):
    """Temporarily act as ``name`` (e.g. ``lims`` CLI commands, the demo loader)."""
    token = _actor.set((user_id, name))
    try:
        yield
    finally:
        _actor.reset(token)


def _jsonable(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _columns(obj):
    mapper = sa.inspect(obj).mapper
    skip = set(getattr(obj, "__audit_exclude__", ()))
    return [attr for attr in mapper.column_attrs if attr.key not in skip]


def _changes(obj, action):
    state = sa.inspect(obj)
    out = {}
    for attr in _columns(obj):
        if action == "create":
            out[attr.key] = [None, _jsonable(getattr(obj, attr.key))]
            continue
        if action == "delete":
            out[attr.key] = [_jsonable(getattr(obj, attr.key)), None]
            continue
        hist = state.attrs[attr.key].history  # (only updates need the history: a bulk insert stays cheap)
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                out[attr.key] = [_jsonable(old), _jsonable(new)]
    return out


def _identity(obj):
    ident = sa.inspect(obj).mapper.primary_key_from_instance(obj)
    return ",".join(str(i) for i in ident)


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session, flush_context, instances):
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent):
            raise PermissionError("audit events are append-only")


@event.listens_for(Session, "after_flush")
def _write_audit(session, flush_context):
    actor_id, actor_name = _actor.get()
    rows = []
    for action, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            if not getattr(obj, "__audited__", False):
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _changes(obj, action)
            if action == "update" and not changes:
                continue
            if action == "update" and "is_deleted" in changes and changes["is_deleted"][1]:
                action_name = "delete"
            else:
                action_name = action
            rows.append({
                "created_dt": now_utc(), "actor_id": actor_id, "actor_name": actor_name,
                "action": action_name, "entity": type(obj).__name__, "entity_id": _identity(obj),
                "changes": changes,
            })
    if rows:
        session.connection().execute(sa.insert(AuditEvent), rows)
