"""Hospital batch booking into bench capacity: holds, confirm/propose/reschedule/cancel (audited),
bad input refused whole, and the last capacity taken by exactly one of two parallel requests."""
import datetime as dt
import json
import threading
import urllib.error
import urllib.request

import pytest

from tests.lims.browser_support import serve
from tests.lims.campaign_support import next_monday, setup_register
from tests.lims.test_pages_support import login

DAY = next_monday(7)


@pytest.fixture
def capacity(app, world):
    """Bench capacity on DAY: 40 pressure minutes (two batches of one NIBP at 15 min fit, a third not)."""
    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.campaigns import operations as ops

    setup_register(app, world, start=DAY)
    with app.app_context(), acting_as(None, "tests"):
        ops.open_capacity(DAY, "pressure", 30)
        ops.open_capacity(DAY + dt.timedelta(days=3), "pressure", 100)
        db.session.commit()
    return DAY


def _book(api, role, ids, day=DAY):
    return api("post", "/api/v1/bookings", role=role, json={"instrument_ids": ids, "day": day.isoformat()})


def test_booking_holds_capacity_and_creates_the_jobs(api, world, capacity):
    ids = [world.instruments["hospital_a_1"]]
    resp = _book(api, "equipment_officer", ids)
    assert resp.status_code == 201, resp.json
    booking = resp.json
    assert booking["state"] == "held" and booking["minutes"] == {"pressure": 15}
    assert booking["progress"] == {"booked": 1}
    job = api("get", f"/api/v1/jobs/{booking['job_ids'][0]}", role="equipment_officer").json
    assert job["booked_for"] == DAY.isoformat()
    cap = api("get", f"/api/v1/capacity?from={DAY}&to={DAY}", role="equipment_officer").json
    assert cap == [{"day": DAY.isoformat(), "kind": "pressure", "total_minutes": 30, "remaining_minutes": 15}]
    listed = api("get", f"/api/v1/bookings?booked_for={DAY}", role="equipment_officer").json
    assert [b["id"] for b in listed["items"]] == [booking["id"]]
    assert api("get", f"/api/v1/bookings?booked_for={DAY}", role="equipment_officer_b").json["total"] == 0


def test_beyond_capacity_is_409_naming_the_day_and_nothing_is_stored(api, world, capacity):
    assert _book(api, "equipment_officer", [world.instruments["hospital_a_1"]]).status_code == 201
    # the world's hospital_b_0 has an open job already; book hospital_b_1 (15) -> exactly fills 30
    assert _book(api, "equipment_officer_b", [world.instruments["hospital_b_1"]]).status_code == 201
    resp = api("post", "/api/v1/instruments", role="equipment_officer",
               json={"type_code": "sphygmomanometer.nibp", "manufacturer": "X", "model": "Y", "serial_number": "late",
                     "characteristics": {"range_min": 0, "range_max": 300, "resolution": 1}})
    resp = _book(api, "equipment_officer", [resp.json["id"]])
    assert resp.status_code == 409
    assert resp.json["message"].startswith(f"no capacity left on {DAY.isoformat()}")
    assert api("get", "/api/v1/bookings", role="equipment_officer").json["total"] == 1


@pytest.mark.parametrize("case", ["past", "holiday", "closed", "other_org", "not_verified", "duplicate"])
def test_bad_bookings_are_refused_with_the_problem_named(api, app, world, capacity, case):
    ids, day, want, field, needle = [world.instruments["hospital_a_1"]], DAY, 422, "day", ""
    if case == "past":
        day, needle = dt.date.today() - dt.timedelta(days=1), "in the past"
    elif case == "holiday":
        day, needle = DAY + dt.timedelta(days=1), "is a holiday"
    elif case == "closed":
        day, needle = DAY + dt.timedelta(days=2), "takes no bookings"
    elif case == "other_org":
        ids, want = [world.instruments["hospital_b_1"]], 403
    elif case == "not_verified":
        resp = api("post", "/api/v1/instruments", role="equipment_officer",
                   json={"type_code": "thermometer.clinical_electronic", "manufacturer": "X", "model": "T",
                         "serial_number": "t-1",
                             "characteristics": {"range_min": 35, "range_max": 42, "resolution": 0.1}})
        assert resp.status_code == 201, resp.json
        ids, field, needle = ids + [resp.json["id"]], "instrument_ids", "does not verify thermometer"
    elif case == "duplicate":
        ids, field, needle = ids * 2, "instrument_ids", "duplicates"
    resp = _book(api, "equipment_officer", ids, day)
    assert resp.status_code == want, resp.json
    if want == 422:
        assert any(needle in m for m in resp.json["errors"][field]), resp.json
    assert api("get", "/api/v1/bookings", role="lab_manager").json["total"] == 0
    cap = api("get", f"/api/v1/capacity?from={DAY}&to={DAY}", role="lab_manager").json
    assert cap[0]["remaining_minutes"] == 30
    assert api("get", "/api/v1/jobs?state=booked", role="lab_manager").json["total"] == 4  # the world's own


def test_unknown_query_parameter_is_422(api, capacity):
    resp = api("get", f"/api/v1/bookings?booked_on={DAY}", role="lab_manager")
    assert resp.status_code == 422 and "booked_on" in resp.json["errors"]


def test_confirm_propose_reschedule_cancel_are_audited(api, world, capacity):
    booking = _book(api, "equipment_officer", [world.instruments["hospital_a_1"]]).json
    url = f"/api/v1/bookings/{booking['id']}/actions"
    assert api("post", url, role="equipment_officer", json={"version": 1, "action": "confirm"}).status_code == 403
    later = (DAY + dt.timedelta(days=3)).isoformat()
    resp = api("post", url, role="lab_manager", json={"version": 1, "action": "propose", "day": later})
    assert resp.status_code == 200 and resp.json["state"] == "proposed" and resp.json["proposed_day"] == later
    resp = api("post", url, role="equipment_officer", json={"version": 2, "action": "reschedule", "day": later})
    assert resp.status_code == 200 and resp.json["state"] == "confirmed" and resp.json["day"] == later
    cap = {c["day"]: c["remaining_minutes"] for c in
           api("get", f"/api/v1/capacity?from={DAY}&to={later}", role="lab_manager").json}
    assert cap == {DAY.isoformat(): 30, later: 85}
    resp = api("post", url, role="equipment_officer_b", json={"version": 3, "action": "cancel"})
    assert resp.status_code == 403
    resp = api("post", url, role="equipment_officer", json={"version": 3, "action": "cancel"})
    assert resp.status_code == 200 and resp.json["state"] == "cancelled"
    assert api("get", f"/api/v1/capacity?from={later}&to={later}", role="lab_manager").json[0][
        "remaining_minutes"] == 100
    events = api("get", "/api/v1/audit-events?entity=Booking&per_page=100", role="lab_manager").json["items"]
    states = [e["changes"].get("state", [None, None])[1] for e in events if e["entity_id"] == str(booking["id"])]
    assert {"held", "proposed", "confirmed", "cancelled"} <= set(states)


def _post(base, token, body):
    req = urllib.request.Request(base + "/api/v1/bookings", data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_two_officers_race_for_the_last_capacity_exactly_one_wins(app, api, world, capacity):
    """Real parallel HTTP requests against a threaded server, on whichever database the suite runs on."""
    # leave exactly 15 minutes: one NIBP fits, two do not
    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.campaigns import operations as ops

    with app.app_context(), acting_as(None, "tests"):
        ops.open_capacity(DAY, "pressure", 15)
        db.session.commit()
    server = serve(app)
    base = f"http://127.0.0.1:{server.server_port}"
    results, barrier = {}, threading.Barrier(2)

    def officer(role, instrument):
        barrier.wait()
        results[role] = _post(base, world.tokens[role], {"instrument_ids": [world.instruments[instrument]],
                                                         "day": DAY.isoformat()})

    threads = [threading.Thread(target=officer, args=("equipment_officer", "hospital_a_1")),
               threading.Thread(target=officer, args=("equipment_officer_b", "hospital_b_1"))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
    finally:
        server.shutdown()
    codes = sorted(code for code, _body in results.values())
    assert codes == [201, 409], results
    loser = next(body for code, body in results.values() if code == 409)
    assert loser["message"].startswith(f"no capacity left on {DAY.isoformat()}")
    cap = api("get", f"/api/v1/capacity?from={DAY}&to={DAY}", role="lab_manager").json
    assert cap[0]["remaining_minutes"] == 0
    assert api("get", "/api/v1/bookings?state=held", role="lab_manager").json["total"] == 1


def test_a_capacity_booking_is_a_batch_cancelled_only_as_the_booking(app, api, world, capacity):
    """The hospital gets its delivery note; the batch is cancelled with the booking (which gives the minutes
    back), never alone; the lab receives it as any batch."""
    booking = _book(api, "equipment_officer", [world.instruments["hospital_a_1"]]).json
    [batch] = api("get", "/api/v1/batches", role="equipment_officer", query_string={"state": "booked"}).json["items"]
    assert batch["booked_for"] == DAY.isoformat() and batch["items"][0]["job_id"] == booking["job_ids"][0]
    r = api("post", f"/api/v1/batches/{batch['id']}/cancel", role="equipment_officer",
            json={"version": batch["version"]})
    assert r.status_code == 409 and "bench capacity" in r.json["message"]
    page = login(app.test_client(), "equipment_officer", lang="zh").get(f"/batches/{batch['id']}")
    text = page.get_data(as_text=True)
    assert 'id="cancel-batch"' not in text and "释放检定台时间" in text
    later = DAY + dt.timedelta(days=3)
    r = api("post", f"/api/v1/bookings/{booking['id']}/actions", role="equipment_officer",
            json={"version": booking["version"], "action": "reschedule", "day": later.isoformat()})
    assert r.status_code == 200, r.json
    assert api("get", f"/api/v1/batches/{batch['id']}").json["booked_for"] == later.isoformat()
    r = api("post", f"/api/v1/bookings/{booking['id']}/actions", role="equipment_officer",
            json={"version": r.json["version"], "action": "cancel"})
    assert r.status_code == 200
    after = api("get", f"/api/v1/batches/{batch['id']}", role="equipment_officer").json
    assert after["state"] == "cancelled" and after["items"][0]["job_id"] is None
