"""Model helpers: UTC datetimes, primary keys, change sets."""
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeDecorator
from werkzeug.exceptions import NotFound

from lims.core.http import Conflict
from lims.extensions import db

M = TypeVar("M")


def now_utc() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite stores naive UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def get_or_404(model: type[M], oid: Any) -> M:
    """Return the row of ``model`` with primary key ``oid``.

    :raises NotFound: no such row (or it was soft-deleted).
    """
    if not isinstance(oid, int) or not 0 < oid < 2**31:
        raise NotFound(f"{model.__name__} {oid} not found")
    obj = db.session.get(model, oid)
    if obj is None or getattr(obj, "is_deleted", False):
        raise NotFound(f"{model.__name__} {oid} not found")
    return obj


def populate_from_dict(obj: Any, data: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set attributes from ``data`` and return ``{field: (old, new)}`` for those that changed."""
    changes = {}
    for key, value in data.items():
        old = getattr(obj, key)
        if old != value:
            setattr(obj, key, value)
            changes[key] = (old, value)
    return changes


def check_version(obj: Any, version: int | None) -> None:
    """Refuse a change made against a stale read.

    :raises lims.core.http.Conflict: ``version`` is not the row's current version (HTTP 409).
    """
    if obj.version != version:
        raise Conflict(f"{type(obj).__name__} {obj.id} is at version {obj.version}, not {version}; "
                       "reload it and apply your change again")


def generic_update(obj: Any, data: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Version-checked partial update for records without special rules; returns the changes."""
    check_version(obj, data.pop("version"))
    changes = populate_from_dict(obj, data)
    db.session.flush()
    return changes


def contains(column: sa.ColumnElement[str] | InstrumentedAttribute[str], text: str) -> sa.ColumnElement[bool]:
    """A case-insensitive "contains ``text``" condition on ``column``, with LIKE wildcards escaped.

    ``%`` and ``_`` typed by a user are matched literally, not as wildcards.
    """
    needle = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{needle}%", escape="\\")


#: from this many rows on, :func:`insert_many` writes with one ``COPY`` on PostgreSQL (below it an
#: ``INSERT`` per row, pipelined, costs less than the ``COPY``'s extra round trip)
COPY_MIN_ROWS = 50


def insert_many(conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (values by column key, all rows with the same keys) into ``table`` on ``conn``.

    As ``conn.execute(sa.insert(table), rows)``, in ``conn``'s transaction, with the same values
    stored; on PostgreSQL from :data:`COPY_MIN_ROWS` rows on as one ``COPY … FROM STDIN`` (about
    half the time and CPU of a pipelined ``INSERT`` per row): each value goes through its column
    type's bind processing first, as an ``INSERT``'s parameters do, and a refused row raises the
    exception an ``INSERT`` would (e.g. :class:`sqlalchemy.exc.IntegrityError` naming the index).
    """
    if not rows:
        return
    dialect = conn.dialect
    if dialect.name != "postgresql" or len(rows) < COPY_MIN_ROWS:
        conn.execute(sa.insert(table), list(rows))
        return
    keys = list(rows[0])
    columns = [table.c[key] for key in keys]
    pairs = [(key, col.type.dialect_impl(dialect).bind_processor(dialect)) for key, col in zip(keys, columns,
                                                                                                  strict=True)]
    names = ", ".join(dialect.identifier_preparer.quote(col.name) for col in columns)
    statement = f"COPY {dialect.identifier_preparer.format_table(table)} ({names}) FROM STDIN"
    raw = conn.connection.driver_connection
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]  # psycopg's
            for row in rows:
                copy.write_row([row[key] if proc is None else proc(row[key]) for key, proc in pairs])
    except dialect.loaded_dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(statement, None, exc, dialect.loaded_dbapi.Error,
                                         dialect=dialect) from exc
