"""The job workflow and what an approval does to the instrument."""
import datetime as dt

from lims.modules.jobs.operations import add_months, valid_until


def _move(api, job_id, action, role, **extra):
    version = api("get", f"/api/v1/jobs/{job_id}").json["version"]
    return api("post", f"/api/v1/jobs/{job_id}/transitions", role=role, json={"version": version, "action": action,
                                                                               **extra})


def test_full_workflow_updates_instrument_status(api, world):
    job = world.jobs["market_a"]
    assert _move(api, job, "receive", "technician").status_code == 200
    resp = _move(api, job, "start", "technician", bench_id=world.benches["overdue"])
    assert resp.status_code == 409 and "W-OLD" in resp.json["message"]
    assert _move(api, job, "start", "technician", bench_id=world.benches["good"]).status_code == 200
    assert _move(api, job, "submit", "technician").json["errors"]["result"]
    assert _move(api, job, "submit", "technician", result="pass").status_code == 200
    resp = _move(api, job, "approve", "technician")
    assert resp.status_code == 403
    body = _move(api, job, "approve", "lab_manager").json
    assert body["state"] == "approved" and body["decided_by_id"] == world.users["lab_manager"]
    assert body["received_by_id"] == body["started_by_id"] == world.users["technician"]
    inst = api("get", f"/api/v1/instruments/{world.instruments['market_a_0']}", role="market_manager").json
    assert inst["status"] == "verified" and inst["last_result"] == "pass"
    assert inst["verified_until"] == valid_until(dt.date.today(), 12).isoformat()
    assert _move(api, job, "return", "technician").json["state"] == "returned"
    resp = _move(api, job, "receive", "technician")
    assert resp.status_code == 409 and "returned" in resp.json["message"]


def test_four_eyes_rule(api, world, app):
    job = world.jobs["hospital_a"]
    for action, extra in (("receive", {}), ("start", {"bench_id": world.benches["good"]}),
                          ("submit", {"result": "fail"})):
        assert _move(api, job, action, "lab_manager", **extra).status_code == 200
    resp = _move(api, job, "approve", "lab_manager")
    assert resp.status_code == 409 and "four-eyes" in resp.json["message"]
    assert _move(api, job, "reject", "admin").json["state"] == "rejected"
    assert _move(api, job, "start", "technician").json["state"] == "in_progress"


def test_failed_verification_marks_instrument_failed(api, world):
    job = world.jobs["hospital_b"]
    _move(api, job, "receive", "technician")
    _move(api, job, "start", "technician", bench_id=world.benches["good"])
    _move(api, job, "submit", "technician", result="fail")
    _move(api, job, "approve", "lab_manager")
    inst = api("get", f"/api/v1/instruments/{world.instruments['hospital_b_0']}").json
    assert inst["status"] == "failed" and inst["verified_until"] is None


def test_second_open_job_for_same_instrument_is_409(api, world):
    resp = api("post", "/api/v1/jobs", role="market_manager", json={"instrument_id": world.instruments["market_a_0"]})
    assert resp.status_code == 409


def test_valid_until_is_the_day_before_the_anniversary():
    assert valid_until(dt.date(2026, 3, 15), 12) == dt.date(2027, 3, 14)
    assert valid_until(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 27)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)


def test_batch_booking_is_all_or_nothing(api, world):
    free, busy = world.instruments["hospital_a_1"], world.instruments["hospital_a_0"]
    resp = api("post", "/api/v1/jobs/batch", role="equipment_officer", json={"instrument_ids": [free, busy]})
    assert resp.status_code == 409 and str(busy) in resp.json["message"]
    assert api("get", f"/api/v1/jobs?instrument_id={free}", role="equipment_officer").json["total"] == 0
    resp = api("post", "/api/v1/jobs/batch", role="equipment_officer",
               json={"instrument_ids": [free], "booked_for": "2027-01-05"})
    assert resp.status_code == 201 and resp.json[0]["booked_for"] == "2027-01-05"
    resp = api("post", "/api/v1/jobs/batch", role="equipment_officer", json={"instrument_ids": [free, free]})
    assert resp.status_code == 422 and "duplicates" in resp.json["errors"]["instrument_ids"][0]
