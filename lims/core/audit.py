"""Append-only, hash-chained audit trail.

Every flush that creates, updates or deletes a row of an audited model (``__audited__ = True``)
records one :class:`AuditEvent` per row with the actor, the time and the field changes. The rows are
collected per flush and written just before the transaction commits, on its own connection, so they
commit or roll back with the change they describe (a rolled-back savepoint drops its own).

Each row carries ``chain_hash`` = SHA-256 over the previous row's hash and this row's content
(:func:`chain_hash`); writers take a lock for the tail (an advisory transaction lock on PostgreSQL,
the database write lock on SQLite) only at commit time, so the chain is one line in id order.
:func:`verify_chain` recomputes it and names the first row that does not fit — an edited,
inserted or deleted row. Audit rows are never updated or deleted: the ORM refuses it here, database
triggers refuse it for any other client, and on PostgreSQL the application's role is granted only
SELECT and INSERT on the table (``lims db grant-app-role``).
"""
import contextvars
import datetime as dt
import decimal
import enum
import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, scoped_session

from lims.core.db import UTCDateTime, insert_many, now_utc
from lims.extensions import db

_actor: contextvars.ContextVar[tuple[int | None, str]] = contextvars.ContextVar("lims_audit_actor",
                                                                               default=(None, "system"))


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
    chain_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="", server_default="")

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.entity}:{self.entity_id}>"


def set_actor(user_id: int | None, name: str) -> contextvars.Token[tuple[int | None, str]]:
    """Record who is acting in this context (a request or a CLI command)."""
    return _actor.set((user_id, name))


@contextmanager
def acting_as(user_id: int | None, name: str) -> Iterator[None]:
    """Temporarily act as ``name`` (e.g. ``lims`` CLI commands, the demo loader)."""
    token = _actor.set((user_id, name))
    try:
        yield
    finally:
        _actor.reset(token)


_PLAIN = (str, int, float, bool, type(None))


def _jsonable(value):
    if type(value) in _PLAIN:  # most values: returned as they are, without the checks below
        return value
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
    # an AuditEvent added through the ORM joins the chain like every other row (written at commit)
    added = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if added:
        rows = []
        for obj in added:
            session.expunge(obj)
            actor_id, actor_name = _actor.get()
            rows.append({"created_dt": obj.created_dt or now_utc(),
                         "actor_id": obj.actor_id if obj.actor_id is not None else actor_id,
                         "actor_name": obj.actor_name or actor_name, "action": obj.action, "entity": obj.entity,
                         "entity_id": str(obj.entity_id), "changes": _jsonable(obj.changes or {})})
        tx = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault("audit_pending", []).append((tx, rows))


GENESIS = "0" * 64
# any constant: the key of the PostgreSQL advisory lock that serialises appends to the chain
_PG_CHAIN_LOCK = 0x6C696D73  # "lims"


def chain_hash(prev: str, created_dt: dt.datetime, actor_id: int | None, actor_name: str, action: str, entity: str,
               entity_id: str, changes: Any) -> str:
    """SHA-256 (hex) of the previous row's hash and one row's content, in a canonical JSON form.

    The migration that added the chain keeps a copy of this formula; both must stay the same.
    """
    if created_dt.tzinfo is None:
        created_dt = created_dt.replace(tzinfo=dt.UTC)
    payload = [prev, created_dt.astimezone(dt.UTC).isoformat(), actor_id, actor_name, action, entity,
               entity_id, changes]
    data = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _row_hash(prev, row):
    return chain_hash(prev, row["created_dt"], row["actor_id"], row["actor_name"], row["action"], row["entity"],
                      row["entity_id"], row["changes"])


@event.listens_for(Session, "after_flush")
def _collect_audit(session, flush_context) -> None:
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
        tx = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault("audit_pending", []).append((tx, rows))


def record_inserted(session: Session, model: type, rows: Sequence[Any]) -> None:
    """Queue one ``create`` event per row that a bulk Core ``INSERT ... RETURNING`` stored for ``model``.

    The events are the same as a flush of ORM objects would record (every column attribute but
    ``__audit_exclude__``, as ``[None, value]``) and are written at commit with the others.

    :param rows: the returned rows as mappings holding every column of ``model``'s table
    """
    if not getattr(model, "__audited__", False) or not rows:
        return
    mapper: sa.orm.Mapper[Any] = sa.inspect(model)
    skip = set(getattr(model, "__audit_exclude__", ()))
    attrs = [(attr.key, attr.columns[0].key) for attr in mapper.column_attrs if attr.key not in skip]
    pk = [col.key for col in mapper.primary_key]
    actor_id, actor_name = _actor.get()
    events = [{"created_dt": now_utc(), "actor_id": actor_id, "actor_name": actor_name, "action": "create",
               "entity": model.__name__, "entity_id": ",".join(str(row[c]) for c in pk),
               "changes": {key: [None, _jsonable(row[col])] for key, col in attrs}} for row in rows]
    tx = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault("audit_pending", []).append((tx, events))


def insert_audited(session: Session, model: type, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert ``rows`` of ``model`` as one bulk Core ``INSERT`` and queue one ``create`` event per row.

    For the large set-based writes (the register import, batch booking) where the unit of work's
    per-object bookkeeping costs more than the database. Every column is filled in here (a missing
    one from its Python default, else NULL), so the audit events record the very values stored,
    as a flush would. On PostgreSQL the ids are drawn from the table's sequence first and the rows
    go as one ``COPY`` (:func:`~lims.core.db.insert_many`); elsewhere the ids come back from
    ``RETURNING``. A table without an ``id`` column (a composite primary key, e.g. batch items)
    takes its key from the rows. Objects of ``model`` already in the session are not refreshed; load the rows by id if
    you need objects.

    :param rows: column values by column key, all rows alike; changed in place (ids and defaults)
    :returns: ``rows``
    :raises ValueError: a missing column has only a server-side default (its value would be unknown)
    """
    if not rows:
        return rows
    table: sa.Table = model.__table__  # type: ignore[attr-defined]  # a mapped class has its table
    pk = table.c.get("id")  # None: a composite key, given in every row
    for col in table.c:
        if col.key in rows[0] or col is pk:
            continue
        default = col.default
        if default is None and col.server_default is not None:
            raise ValueError(f"{table.name}.{col.key} has only a server default; give its value")
        for row in rows:
            if default is None:
                row[col.key] = None
            elif default.is_callable:
                row[col.key] = default.arg(None)  # type: ignore[attr-defined]  # SQLAlchemy wraps it to take a context
            else:
                row[col.key] = default.arg  # type: ignore[attr-defined]  # a scalar default
    conn = session.connection()
    if pk is None:
        insert_many(conn, table, rows)
    elif conn.dialect.name == "postgresql":
        ids = conn.execute(sa.text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
                           {"t": table.name, "n": len(rows)}).scalars().all()
        for row, new_id in zip(rows, ids, strict=True):
            row["id"] = new_id
        insert_many(conn, table, rows)
    else:
        ids = conn.execute(sa.insert(table).returning(pk, sort_by_parameter_order=True), rows).scalars().all()
        for row, new_id in zip(rows, ids, strict=True):
            row["id"] = new_id
    record_inserted(session, model, rows)
    return rows


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session, previous_transaction) -> None:
    pending = session.info.get("audit_pending")
    if not pending:
        return

    def inside(tx) -> bool:
        while tx is not None:
            if tx is previous_transaction:
                return True
            tx = tx.parent
        return False

    session.info["audit_pending"] = [(tx, rows) for tx, rows in pending if not inside(tx)]


@event.listens_for(Session, "before_commit")
def _write_audit(session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's rows are written with the outer transaction
    session.flush()  # the commit's own final flush comes after this hook; collect its rows now
    pending = session.info.pop("audit_pending", None)
    if not pending:
        return
    rows = [row for _tx, batch in pending for row in batch]
    append_chained(session.connection(), rows)


def append_chained(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert audit ``rows`` (dicts) at the tail of the chain, on ``conn`` inside its transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_CHAIN_LOCK)))
    elif conn.dialect.name == "sqlite":
        # take the write lock before reading the tail (a no-op write; the lock is held until commit)
        conn.execute(sa.text("UPDATE audit_events SET id = id WHERE 0"))
    prev = conn.execute(sa.select(AuditEvent.chain_hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
    prev = prev or GENESIS
    for row in rows:
        row["chain_hash"] = prev = _row_hash(prev, row)
    insert_many(conn, AuditEvent.__table__, rows)


def verify_chain(session: Session | scoped_session[Any], batch: int = 5000) -> tuple[int, tuple[int, str] | None]:
    """Recompute the chain in id order.

    :returns: ``(checked, problem)``: the number of rows checked and ``None``, or the first broken
        link as ``(event_id, reason)``.
    """
    prev, last_id, checked = GENESIS, 0, 0
    cols = [AuditEvent.id, AuditEvent.created_dt, AuditEvent.actor_id, AuditEvent.actor_name, AuditEvent.action,
            AuditEvent.entity, AuditEvent.entity_id, AuditEvent.changes, AuditEvent.chain_hash]
    while True:
        rows = session.execute(sa.select(*cols).where(AuditEvent.id > last_id).order_by(AuditEvent.id)
                               .limit(batch)).mappings().all()
        if not rows:
            return checked, None
        for row in rows:
            expected = _row_hash(prev, row)
            if row["chain_hash"] != expected:
                reason = ("its hash does not match its content and the previous row's hash: the row was "
                          "changed, inserted, or a row before it was deleted")
                return checked, (row["id"], reason)
            prev, last_id, checked = row["chain_hash"], row["id"], checked + 1
