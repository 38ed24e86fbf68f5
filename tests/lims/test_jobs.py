"""The job workflow and what an approval does to the instrument."""
import datetime as dt

import pytest

from lims.modules.jobs.operations import add_months, valid_until
from tests.lims.test_issuance_support import keyed_app, measure_all  # noqa: F401 (fixture)


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
    measure_all(api, job)
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
                          ("submit", {"result": "fail", "reason": "cuff leaks"})):
        assert _move(api, job, action, "lab_manager", **extra).status_code == 200
    resp = _move(api, job, "approve", "lab_manager")
    assert resp.status_code == 409 and "four-eyes" in resp.json["message"]
    assert _move(api, job, "reject", "admin").json["state"] == "rejected"
    assert _move(api, job, "start", "technician").json["state"] == "in_progress"


def test_failed_verification_marks_instrument_failed(api, world):
    job = world.jobs["hospital_b"]
    _move(api, job, "receive", "technician")
    _move(api, job, "start", "technician", bench_id=world.benches["good"])
    measure_all(api, job, fail=True)
    assert _move(api, job, "submit", "technician", result="fail").status_code == 200
    assert _move(api, job, "approve", "lab_manager").status_code == 200
    inst = api("get", f"/api/v1/instruments/{world.instruments['hospital_b_0']}").json
    assert inst["status"] == "failed" and inst["verified_until"] is None


def test_second_open_job_for_same_instrument_is_409(api, world):
    resp = api("post", "/api/v1/jobs", role="market_manager", json={"instrument_id": world.instruments["market_a_0"]})
    assert resp.status_code == 409 and "serial number market_a-0" in resp.json["message"]


def test_valid_until_is_the_day_before_the_anniversary():
    assert valid_until(dt.date(2026, 3, 15), 12) == dt.date(2027, 3, 14)
    assert valid_until(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 27)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)


def test_batch_booking_is_all_or_nothing(api, world):
    free, busy = world.instruments["hospital_a_1"], world.instruments["hospital_a_0"]
    resp = api("post", "/api/v1/jobs/batch", role="equipment_officer", json={"instrument_ids": [free, busy]})
    assert resp.status_code == 409 and "hospital_a-0" in resp.json["message"]
    assert api("get", f"/api/v1/jobs?instrument_id={free}", role="equipment_officer").json["total"] == 0
    resp = api("post", "/api/v1/jobs/batch", role="equipment_officer",
               json={"instrument_ids": [free], "booked_for": "2027-01-05"})
    assert resp.status_code == 201 and resp.json[0]["booked_for"] == "2027-01-05"
    resp = api("post", "/api/v1/jobs/batch", role="equipment_officer", json={"instrument_ids": [free, free]})
    assert resp.status_code == 422 and "duplicates" in resp.json["errors"]["instrument_ids"][0]


def _work(api, world, job, role, result="pass", **submit):
    """Receive, start, measure every point and submit ``job``, all as ``role``."""
    assert _move(api, job, "receive", role).status_code == 200
    assert _move(api, job, "start", role, bench_id=world.benches["good"]).status_code == 200
    measure_all(api, job, fail=result == "fail", role=role)
    resp = _move(api, job, "submit", role, result=result, **submit)
    assert resp.status_code == 200, resp.json


# --- issue 11.1: four-eyes for every role -------------------------------------------------------------

@pytest.mark.parametrize("role", ["admin", "lab_manager"])
def test_who_did_the_work_cannot_approve_reject_or_issue_whatever_the_role(keyed_app, api, world, role):  # noqa: F811
    job = world.jobs["market_a"]
    _work(api, world, job, role)
    for action in ("approve", "reject"):
        resp = _move(api, job, action, role)
        assert resp.status_code == 409 and "four-eyes" in resp.json["message"], resp.json
    other = "lab_manager" if role == "admin" else "admin"
    assert _move(api, job, "approve", other).status_code == 200
    resp = api("post", f"/api/v1/jobs/{job}/certificate", role=role, json={})
    assert resp.status_code == 409 and "four-eyes" in resp.json["message"]
    assert api("post", f"/api/v1/jobs/{job}/certificate", role=other, json={}).status_code == 201


@pytest.mark.parametrize("step", ["receive", "start", "measure"])
def test_a_manager_who_did_one_work_step_may_not_approve(api, world, step):
    job = world.jobs["market_a"]
    by = {s: ("lab_manager" if s == step else "technician") for s in ("receive", "start", "measure")}
    assert _move(api, job, "receive", by["receive"]).status_code == 200
    assert _move(api, job, "start", by["start"], bench_id=world.benches["good"]).status_code == 200
    measure_all(api, job, role=by["measure"])
    assert _move(api, job, "submit", "technician", result="pass").status_code == 200
    resp = _move(api, job, "approve", "lab_manager")
    assert resp.status_code == 409 and "four-eyes" in resp.json["message"]
    assert _move(api, job, "approve", "admin").status_code == 200


def test_the_job_page_offers_no_decision_to_who_did_the_work(app, api, world):
    from tests.lims.test_pages_support import login

    job = world.jobs["market_a"]
    _work(api, world, job, "lab_manager")
    client = app.test_client()
    login(client, "lab_manager")
    page = client.get(f"/jobs/{job}").get_data(as_text=True)
    assert 'id="four-eyes"' in page and "steps/approve" not in page
    client = app.test_client()
    login(client, "admin")
    assert "steps/approve" in client.get(f"/jobs/{job}").get_data(as_text=True)


# --- issue 11.2: no result without measurements -------------------------------------------------------

def test_a_pass_with_missing_points_is_refused_and_no_certificate_reads_pass(api, world):
    job = world.jobs["hospital_a"]  # a sphygmomanometer: six planned points
    assert _move(api, job, "receive", "technician").status_code == 200
    assert _move(api, job, "start", "technician", bench_id=world.benches["good"]).status_code == 200
    resp = _move(api, job, "submit", "technician", result="pass")
    assert resp.status_code == 409 and "not measured yet" in resp.json["message"]
    assert api("get", f"/api/v1/jobs/{job}").json["state"] == "in_progress"


def test_a_fail_needs_a_failed_point_or_a_reason(api, world):
    job = world.jobs["hospital_a"]
    assert _move(api, job, "receive", "technician").status_code == 200
    assert _move(api, job, "start", "technician", bench_id=world.benches["good"]).status_code == 200
    resp = _move(api, job, "submit", "technician", result="fail")
    assert resp.status_code == 422 and "reason" in resp.json["errors"]
    body = _move(api, job, "submit", "technician", result="fail", reason="the cuff is torn").json
    assert body["state"] == "awaiting_approval" and "the cuff is torn" in body["notes"]


def test_a_failed_point_justifies_a_fail(api, world):
    job = world.jobs["hospital_a"]
    _work(api, world, job, "technician", result="fail")
    assert api("get", f"/api/v1/jobs/{job}").json["result"] == "fail"


# --- issue 11.3: dates that make sense ----------------------------------------------------------------

def test_a_verification_date_in_the_future_or_before_receipt_is_refused_at_submit(api, world):
    job = world.jobs["market_a"]
    assert _move(api, job, "receive", "technician").status_code == 200
    assert _move(api, job, "start", "technician", bench_id=world.benches["good"]).status_code == 200
    measure_all(api, job)
    for day, words in ((dt.date.today() + dt.timedelta(days=1), "in the future"),
                       (dt.date.today() - dt.timedelta(days=3), "before the job was received")):
        resp = _move(api, job, "submit", "technician", result="pass", performed_on=day.isoformat())
        assert resp.status_code == 422 and words in resp.json["errors"]["performed_on"][0], resp.json
    assert api("get", f"/api/v1/jobs/{job}").json["state"] == "in_progress"
    assert _move(api, job, "submit", "technician", result="pass").status_code == 200


def test_an_approved_job_can_always_be_certified(keyed_app, api, world):  # noqa: F811
    """The dates are checked before approval, so issuing after it does not fail on them."""
    job = world.jobs["market_a"]
    _work(api, world, job, "technician")
    assert _move(api, job, "approve", "lab_manager").status_code == 200
    resp = api("post", f"/api/v1/jobs/{job}/certificate", role="lab_manager", json={"remarks": ["kept"]})
    assert resp.status_code == 201, resp.json


def test_the_job_page_asks_for_the_reason_of_a_fail_beside_the_notes(app, world):
    from tests.lims.test_pages_support import field_error, login, step

    job = world.jobs["hospital_a"]
    client = app.test_client()
    login(client, "technician")
    assert step(client, app, job, "receive").status_code == 302
    assert step(client, app, job, "start", bench_id=world.benches["good"]).status_code == 302
    r = step(client, app, job, "submit", result="fail", notes="")
    assert r.status_code == 422 and "stated reason" in field_error(r, "submit-notes")
    assert step(client, app, job, "submit", result="fail", notes="cuff torn").status_code == 302
