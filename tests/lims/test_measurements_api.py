"""Measurement sessions over the API: start rules, reading and rejection lists, and the authorisation matrix."""
import datetime as dt

import pytest

ROLES = ("anonymous", "admin", "lab_manager", "technician", "market_manager", "equipment_officer")


def make_ready(api, world, org="market_a", ports=None):
    """Put the bench "good" in service with a port and start ``org``'s job on it; returns the job id."""
    bench = world.benches["good"]
    version = api("get", f"/api/v1/benches/{bench}").json["version"]
    ports = ports if ports is not None else [{"role": "balance", "port": "sim://mtsics", "driver": "mtsics"}]
    resp = api("patch", f"/api/v1/benches/{bench}", role="lab_manager", json={"version": version, "ports": ports})
    assert resp.status_code == 200, resp.json
    job = world.jobs[org]
    assert api("post", f"/api/v1/jobs/{job}/transitions", json={"version": 1, "action": "receive"}).status_code == 200
    resp = api("post", f"/api/v1/jobs/{job}/transitions", json={"version": 2, "action": "start", "bench_id": bench})
    assert resp.status_code == 200, resp.json
    return job


def store_readings(app, session_id, n, rejected=()):
    """Store readings 1..n and rejected frames through the real sink."""
    from instruments import AcceptedReading, Reading
    from lims.modules.measurements.acquisition import DatabaseSink

    with app.app_context():
        sink = DatabaseSink(session_id)
        for seq in range(1, n + 1):
            raw = f"S S {seq:10.2f} g".encode()
            sink.accept(AcceptedReading(seq, Reading(float(seq), "g", True, dt.datetime.now(dt.UTC), raw),
                                        None))
        for raw, reason in rejected:
            sink.reject(raw, reason)


def test_start_session_records_bench_port_standards_and_user(api, world):
    job = make_ready(api, world)
    resp = api("post", f"/api/v1/jobs/{job}/sessions", role="technician",
               json={"count": 5, "require_stable": True, "test_point": "10 kg"})
    assert resp.status_code == 201, resp.json
    s = resp.json
    assert (s["job_id"], s["bench_id"], s["driver"], s["port"]) == (job, world.benches["good"], "mtsics",
                                                                    "sim://mtsics")
    assert (s["state"], s["count"], s["accepted_count"], s["rejected_count"], s["last_sequence"]) == \
        ("open", 5, 0, 0, 0)
    assert s["is_stable_required"] is True and s["test_point"] == "10 kg"
    assert [st["id"] for st in s["standards"]] == [world.standards["good"]]
    assert s["started_by_id"] == world.users["technician"] and s["ended_dt"] is None
    assert api("get", f"/api/v1/sessions/{s['id']}").json == s


def test_session_creation_is_audited(api, world, app):
    from sqlalchemy import select

    from lims.core.audit import AuditEvent
    from lims.extensions import db

    job = make_ready(api, world)
    sid = api("post", f"/api/v1/jobs/{job}/sessions", role="technician", json={"count": 2}).json["id"]
    store_readings(app, sid, 2)
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.entity == "MeasurementSession")).scalars()
        events = list(events)
    assert [(e.action, e.actor_id) for e in events] == [("create", world.users["technician"])]  # counters unaudited


@pytest.mark.parametrize("state_setup, message", [
    ("booked", "booked"), ("received", "received"),
])
def test_job_must_be_in_progress(api, world, state_setup, message):
    job = world.jobs["market_a"]
    if state_setup == "received":
        api("post", f"/api/v1/jobs/{job}/transitions", json={"version": 1, "action": "receive"})
    resp = api("post", f"/api/v1/jobs/{job}/sessions", json={"count": 3})
    assert resp.status_code == 409 and message in resp.json["message"]


def test_bench_with_overdue_standard_is_refused(api, world, app):
    from lims.extensions import db
    from lims.modules.equipment.models import ReferenceStandard

    job = make_ready(api, world)
    with app.app_context():  # the standard's calibration expired after the job was started
        std = db.session.get(ReferenceStandard, world.standards["good"])
        std.due_on = dt.date.today() - dt.timedelta(days=1)
        db.session.commit()
    resp = api("post", f"/api/v1/jobs/{job}/sessions", json={"count": 3})
    assert resp.status_code == 409
    assert "W-1" in resp.json["message"] and "due" in resp.json["message"]
    assert api("get", f"/api/v1/sessions?job_id={job}").json["total"] == 0


@pytest.mark.parametrize("ports, body, problem", [
    ([], {"count": 1}, "no serial port"),
    ([{"role": "a", "port": "sim://mtsics", "driver": "mtsics"}, {"role": "b", "port": "x", "driver": "sbi"}],
     {"count": 1}, "several ports"),
    ([{"role": "a", "port": "sim://mtsics", "driver": "mtsics"}], {"count": 1, "port_role": "zz"}, "no port 'zz'"),
    ([{"role": "a", "port": "sim://pressure", "driver": "pressure"}], {"count": 1}, "driver 'pressure'"),
])
def test_bench_port_problems_name_port_role(api, world, ports, body, problem):
    job = make_ready(api, world, ports=ports)
    resp = api("post", f"/api/v1/jobs/{job}/sessions", json=body)
    assert resp.status_code == 422 and problem in resp.json["errors"]["port_role"][0], resp.json


def test_port_role_picks_one_of_several(api, world):
    ports = [{"role": "pressure", "port": "/dev/ttyUSB1", "driver": "dpi740"},
             {"role": "thermometer", "port": "/dev/ttyUSB2", "driver": "fluke1502"}]
    job = make_ready(api, world, ports=ports)
    s = api("post", f"/api/v1/jobs/{job}/sessions", json={"count": 1, "port_role": "thermometer"}).json
    assert (s["driver"], s["port"]) == ("fluke1502", "/dev/ttyUSB2")


@pytest.mark.parametrize("body, field", [
    ({}, "count"), ({"count": 0}, "count"), ({"count": "many"}, "count"), ({"count": 1, "extra": 1}, "extra"),
    ({"count": 1, "test_point": "x" * 65}, "test_point"), ({"count": 1, "require_stable": "perhaps"}, "require_stable"),
    ({"count": 1, "port_role": ""}, "port_role"),
])
def test_bad_bodies_get_field_errors(api, world, body, field):
    job = make_ready(api, world)
    resp = api("post", f"/api/v1/jobs/{job}/sessions", json=body)
    assert resp.status_code == 422 and field in resp.json["errors"], resp.json


def test_unknown_ids_are_404(api, world):
    assert api("post", "/api/v1/jobs/999999/sessions", json={"count": 1}).status_code == 404
    for path in ("/api/v1/sessions/999999", "/api/v1/sessions/999999/readings",
                 "/api/v1/sessions/999999/rejections"):
        assert api("get", path).status_code == 404


def test_readings_and_rejections_paginated_in_order(api, world, app):
    job = make_ready(api, world)
    sid = api("post", f"/api/v1/jobs/{job}/sessions", json={"count": 7}).json["id"]
    store_readings(app, sid, 7, rejected=[(b"S S \xff\x01 g", "garbled: bad frame"), (b"", "timeout: nothing")])
    s = api("get", f"/api/v1/sessions/{sid}").json
    assert (s["accepted_count"], s["rejected_count"], s["last_sequence"]) == (7, 2, 7)
    page2 = api("get", f"/api/v1/sessions/{sid}/readings?per_page=3&page=2").json
    assert page2["total"] == 7 and [r["sequence"] for r in page2["items"]] == [4, 5, 6]
    assert page2["items"][0]["value"] == 4.0 and page2["items"][0]["raw"] == "S S       4.00 g"
    rej = api("get", f"/api/v1/sessions/{sid}/rejections").json["items"]
    assert [(r["raw"], r["reason"]) for r in rej] == [("S S \\xff\\x01 g", "garbled: bad frame"),
                                                      ("", "timeout: nothing")]


def test_list_filters_by_job_and_state(api, world):
    job = make_ready(api, world)
    ids = [api("post", f"/api/v1/jobs/{job}/sessions", json={"count": 1}).json["id"] for _ in range(2)]
    listed = api("get", f"/api/v1/sessions?job_id={job}").json
    assert [i["id"] for i in listed["items"]] == ids[::-1]
    assert api("get", f"/api/v1/sessions?job_id={job}&state=completed").json["total"] == 0
    assert api("get", f"/api/v1/sessions?job_id={world.jobs['market_b']}").json["total"] == 0
    assert api("get", "/api/v1/sessions?state=nonsense").status_code == 422


def test_readings_are_append_only_in_orm_and_database(api, world, app):
    import sqlalchemy as sa

    from lims.extensions import db
    from lims.modules.measurements.models import Reading, Rejection

    job = make_ready(api, world)
    sid = api("post", f"/api/v1/jobs/{job}/sessions", json={"count": 1}).json["id"]
    store_readings(app, sid, 1, rejected=[(b"x", "garbled: x")])
    with app.app_context():
        reading = db.session.execute(sa.select(Reading)).scalar_one()
        reading.value = 99.0
        with pytest.raises(PermissionError):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.execute(sa.select(Rejection)).scalar_one())
        with pytest.raises(PermissionError):
            db.session.flush()
        db.session.rollback()
        for stmt in ("UPDATE measurement_readings SET value = 1", "DELETE FROM measurement_readings",
                     "DELETE FROM measurement_rejections"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                db.session.execute(sa.text(stmt))
            db.session.rollback()
        assert db.session.execute(sa.select(Reading.value)).scalar_one() == 1.0


# -- authorisation matrix: every role x own/other organisation x endpoint ------------------------------

# customers never see measurement records (theirs or others'): the readings are the lab's working records
LAB_ONLY = {"admin": (200, 200), "lab_manager": (200, 200), "technician": (200, 200),
            "market_manager": (403, 403), "equipment_officer": (403, 403)}
OWN_ORG = {"market_manager": "market_a", "equipment_officer": "hospital_a"}
OTHER_ORG = {"market_manager": "market_b", "equipment_officer": "hospital_b"}

CASES = [
    ("start session", "post", lambda sid, job: f"/api/v1/jobs/{job}/sessions", {"count": 2},
     {r: tuple(201 if c == 200 else c for c in codes) for r, codes in LAB_ONLY.items()}),
    ("list sessions", "get", lambda sid, job: f"/api/v1/sessions?job_id={job}", None, LAB_ONLY),
    ("get session", "get", lambda sid, job: f"/api/v1/sessions/{sid}", None, LAB_ONLY),
    ("list readings", "get", lambda sid, job: f"/api/v1/sessions/{sid}/readings", None, LAB_ONLY),
    ("list rejections", "get", lambda sid, job: f"/api/v1/sessions/{sid}/rejections", None, LAB_ONLY),
]
PARAMS = [pytest.param(case, role, scope, id=f"{case[0]}-{role}-{scope}")
          for case in CASES for role in ROLES for scope in ("own", "other")
          if not (role == "anonymous" and scope == "other")]


@pytest.mark.parametrize("case,role,scope", PARAMS)
def test_matrix(api, world, case, role, scope):
    org = (OWN_ORG if scope == "own" else OTHER_ORG).get(role, "market_a" if scope == "own" else "hospital_b")
    job = make_ready(api, world, org=org)
    sid = api("post", f"/api/v1/jobs/{job}/sessions", json={"count": 2}).json["id"]
    _name, method, path, body, expected = case
    resp = api(method, path(sid, job), role=role, **({"json": body} if body else {}))
    want = 401 if role == "anonymous" else expected[role][0 if scope == "own" else 1]
    assert resp.status_code == want, resp.get_data(as_text=True)[:300]
    if want >= 400:
        assert resp.is_json and "message" in resp.json
