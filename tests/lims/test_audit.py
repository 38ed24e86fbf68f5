"""The audit trail: every change leaves a row; no code path updates or deletes one."""
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from lims.core.audit import AuditEvent


def _events(app, entity, entity_id):
    with app.app_context():
        from lims.extensions import db

        return db.session.execute(select(AuditEvent).where(AuditEvent.entity == entity,
                                                           AuditEvent.entity_id == str(entity_id))
                                  .order_by(AuditEvent.id)).scalars().all()


def test_create_update_delete_are_audited_with_actor_and_changes(app, api, world):
    body = {"type_code": "scale.price_computing", "manufacturer": "A", "model": "B", "serial_number": "S-1",
            "characteristics": {"max": 15000, "min": 100, "e": 5, "d": 5, "accuracy_class": "III"}}
    created = api("post", "/api/v1/instruments", role="market_manager", json=body).json
    api("patch", f"/api/v1/instruments/{created['id']}", role="market_manager",
        json={"version": created["version"], "location": "stall 7"})
    api("delete", f"/api/v1/instruments/{created['id']}", role="market_manager")
    events = _events(app, "Instrument", created["id"])
    assert [e.action for e in events] == ["create", "update", "delete"]
    assert all(e.actor_name == "market_manager" and e.actor_id == world.users["market_manager"] for e in events)
    assert events[0].changes["serial_number"] == [None, "S-1"]
    assert events[1].changes["location"] == ["", "stall 7"]
    assert events[2].changes["is_deleted"] == [False, True]


def test_failed_request_leaves_no_audit_row(app, api, world):
    inst = world.instruments["market_a_1"]
    before = len(_events(app, "Instrument", inst))
    resp = api("patch", f"/api/v1/instruments/{inst}", role="market_manager",
               json={"version": 1, "characteristics": {"e": 3}})
    assert resp.status_code == 422
    assert len(_events(app, "Instrument", inst)) == before


def test_orm_refuses_to_change_or_delete_audit_rows(app):
    with app.app_context():
        from lims.extensions import db

        event = db.session.execute(select(AuditEvent).limit(1)).scalar_one()
        event.actor_name = "forger"
        with pytest.raises(PermissionError):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.execute(select(AuditEvent).limit(1)).scalar_one())
        with pytest.raises(PermissionError):
            db.session.flush()
        db.session.rollback()


@pytest.mark.parametrize("sql", ["UPDATE audit_events SET actor_name = 'forger'", "DELETE FROM audit_events"])
def test_database_refuses_raw_update_and_delete(app, sql):
    with app.app_context():
        from lims.extensions import db

        count = db.session.execute(sa.text("SELECT count(*) FROM audit_events")).scalar()
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            db.session.execute(sa.text(sql))
        db.session.rollback()
        assert db.session.execute(sa.text("SELECT count(*) FROM audit_events")).scalar() == count
