"""PostgreSQL privileges of the application's role (the migration owner is another role).

The owner (who runs ``lims db upgrade``) owns every table, sequence and trigger. The application
connects as a role that owns nothing: it reads and writes the records, but on the append-only tables
it may only SELECT and INSERT — no UPDATE, DELETE or TRUNCATE, and (not being the owner) no ALTER
TABLE, no DISABLE TRIGGER, no DROP. ``lims db-roles grant-app ROLE`` applies this; run it as the owner
after every upgrade (new tables need their grants).
"""
import sqlalchemy as sa
from sqlalchemy.engine import Engine

APPEND_ONLY_TABLES = ("audit_events", "measurement_readings", "measurement_rejections")


def grant_app_role(engine: Engine, role: str, schema: str = "public") -> None:
    """Grant ``role`` the application's privileges in ``schema`` (``role`` must be a checked identifier)."""
    q = engine.dialect.identifier_preparer.quote
    r, s = q(role), q(schema)
    with engine.begin() as conn:
        rows = conn.execute(sa.text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema})
        tables = [t for (t,) in rows]
        conn.execute(sa.text(f"REVOKE CREATE ON SCHEMA {s} FROM PUBLIC"))
        conn.execute(sa.text(f"GRANT USAGE ON SCHEMA {s} TO {r}"))
        for table in tables:
            t = f"{s}.{q(table)}"
            conn.execute(sa.text(f"REVOKE ALL ON {t} FROM {r}"))
            if table in APPEND_ONLY_TABLES:
                conn.execute(sa.text(f"GRANT SELECT, INSERT ON {t} TO {r}"))
            elif table == "alembic_version":
                conn.execute(sa.text(f"GRANT SELECT ON {t} TO {r}"))
            else:
                conn.execute(sa.text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {r}"))
        conn.execute(sa.text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}"))
