"""insert_many: a COPY on PostgreSQL from COPY_MIN_ROWS rows on stores what an INSERT per row would."""
import datetime as dt

import pytest
import sqlalchemy as sa

from lims.core.db import COPY_MIN_ROWS, UTCDateTime, insert_many

META = sa.MetaData()
SCRATCH = sa.Table("bulk_insert_scratch", META, sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("code", sa.String(40), nullable=False, unique=True), sa.Column("note", sa.Text),
                   sa.Column("doc", sa.JSON), sa.Column("at", UTCDateTime), sa.Column("day", sa.Date),
                   sa.Column("flag", sa.Boolean))


def _rows(prefix, n):
    at = dt.datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return [{"id": i + 1, "code": f"{prefix}{i}", "note": "tab\there\nnew line \\ backslash 中文" if i % 2 else None,
             "doc": {"changes": [None, "值 \"quoted\""], "n": i} if i % 3 else None, "at": at if i % 4 else None,
             "day": dt.date(2026, 1, 1 + i % 28), "flag": bool(i % 2)} for i in range(n)]


@pytest.fixture
def scratch(app):
    from lims.extensions import db

    with app.app_context():
        META.create_all(db.engine)
        yield db.engine
        META.drop_all(db.engine)


@pytest.mark.parametrize("n", [3, COPY_MIN_ROWS + 10])  # an INSERT per row, and (on PostgreSQL) a COPY
def test_the_rows_stored_are_those_an_insert_per_row_stores(scratch, n):
    rows = _rows("C", n)
    with scratch.begin() as conn:
        insert_many(conn, SCRATCH, rows)
        stored = [dict(r) for r in conn.execute(sa.select(SCRATCH).order_by(SCRATCH.c.id)).mappings()]
        conn.execute(SCRATCH.delete())
        conn.execute(sa.insert(SCRATCH), rows)
        inserted = [dict(r) for r in conn.execute(sa.select(SCRATCH).order_by(SCRATCH.c.id)).mappings()]
    assert stored == inserted == rows


def test_a_refused_row_raises_what_an_insert_raises_and_nothing_stays(scratch):
    rows = _rows("D", COPY_MIN_ROWS + 10)
    rows[-1]["code"] = rows[0]["code"]  # the unique constraint refuses the last row
    with scratch.connect() as conn:
        with pytest.raises(sa.exc.IntegrityError) as refused, conn.begin():
            insert_many(conn, SCRATCH, rows)
        assert "code" in str(refused.value.orig).lower()
        assert conn.execute(sa.select(sa.func.count()).select_from(SCRATCH)).scalar() == 0
