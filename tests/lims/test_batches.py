"""Batches through the API: one organisation's booking is one batch; the lab receives it at once; cancel it."""

def book(api, role, *keys, world, **extra):
    return api("post", "/api/v1/batches", role=role,
               json={"instrument_ids": [world.instruments[k] for k in keys], **extra})


def audit_of(api, entity, entity_id):
    return api("get", "/api/v1/audit-events", role="admin",
               query_string={"entity": entity, "entity_id": entity_id}).json["items"]


def test_a_booking_is_one_batch_with_its_number_jobs_and_who(api, world):
    r = book(api, "equipment_officer", "hospital_a_1", world=world, booked_for="2030-01-07", notes="ward 3")
    assert r.status_code == 201, r.json
    batch = r.json
    assert batch["number"] == f"B-{batch['id']:06d}" and batch["state"] == "booked"
    assert batch["organisation_id"] == world.orgs["hospital_a"]
    assert batch["booked_by_id"] == world.users["equipment_officer"] and batch["booked_for"] == "2030-01-07"
    [item] = batch["items"]
    assert item["serial_number"] == "hospital_a-1" and item["job_state"] == "booked"
    job = api("get", f"/api/v1/jobs/{item['job_id']}").json
    assert job["instrument_id"] == world.instruments["hospital_a_1"] and job["booked_for"] == "2030-01-07"
    # the same through the older jobs endpoint: a batch too, found by its printed number
    r = api("post", "/api/v1/jobs/batch", role="market_manager",
            json={"instrument_ids": [world.instruments["market_a_1"]]})
    assert r.status_code == 201
    found = api("get", "/api/v1/batches", role="market_manager", query_string={"number": "b-" + str(batch["id"] + 1)})
    assert [b["items"][0]["job_id"] for b in found.json["items"]] == [r.json[0]["id"]]
    # scoping: another organisation neither lists nor reads it
    assert api("get", f"/api/v1/batches/{batch['id']}", role="equipment_officer_b").status_code == 403
    listed = api("get", "/api/v1/batches", role="equipment_officer_b").json["items"]
    assert batch["id"] not in [b["id"] for b in listed]
    assert len(api("get", "/api/v1/batches", role="technician").json["items"]) == 2


def test_a_booked_batch_audits_the_batch_each_job_and_each_item(app, api, world):
    """The set-based booking records what a flush of each row would: one create event per row."""
    r = book(api, "equipment_officer", "hospital_a_1", world=world, notes="ward 3")
    assert r.status_code == 201, r.json
    batch = r.json
    [created] = [e for e in audit_of(api, "Batch", batch["id"]) if e["action"] == "create"]
    assert created["changes"]["notes"] == [None, "ward 3"] and created["changes"]["state"] == [None, "booked"]
    for n, item in enumerate(batch["items"]):
        [event] = audit_of(api, "BatchItem", f"{batch['id']},{item['instrument_id']}")
        assert event["action"] == "create" and event["actor_id"] == world.users["equipment_officer"]
        assert event["changes"] == {"batch_id": [None, batch["id"]], "instrument_id": [None, item["instrument_id"]],
                                    "position": [None, n], "job_id": [None, item["job_id"]]}
        [job_event] = audit_of(api, "Job", item["job_id"])
        assert job_event["action"] == "create" and job_event["changes"]["state"] == [None, "booked"]
    with app.app_context():
        from lims.core.audit import verify_chain
        from lims.extensions import db

        assert verify_chain(db.session)[1] is None


def test_bad_input_names_the_field_never_a_500(api, world):
    r = book(api, "admin", "hospital_a_1", "market_a_1", world=world)
    assert r.status_code == 422 and "one organisation" in r.json["errors"]["instrument_ids"][0]
    r = api("post", "/api/v1/batches", role="admin", json={"instrument_ids": []})
    assert r.status_code == 422 and "instrument_ids" in r.json["errors"]
    r = api("post", "/api/v1/batches", role="admin", json={"instrument_ids": ["x"], "booked_for": "soon"})
    assert r.status_code == 422 and set(r.json["errors"]) == {"instrument_ids", "booked_for"}
    r = book(api, "market_manager", "hospital_a_1", world=world)
    assert r.status_code == 403
    r = book(api, "market_manager", "market_a_0", world=world)  # already booked alone
    assert r.status_code == 409 and "market_a-0" in r.json["message"]
    assert api("post", "/api/v1/batches/1/receive", role="technician", json={}).status_code in (404, 422)
    assert api("get", "/api/v1/batches", role="admin", query_string={"state": "lost"}).status_code == 422


def test_the_lab_receives_a_whole_batch_at_once_and_only_once(api, world):
    batch = book(api, "market_manager", "market_a_1", world=world).json
    bid, version = batch["id"], batch["version"]
    assert api("post", f"/api/v1/batches/{bid}/receive", role="market_manager",
               json={"version": version}).status_code == 403
    r = api("post", f"/api/v1/batches/{bid}/receive", role="technician", json={"version": version})
    assert r.status_code == 200, r.json
    assert r.json["state"] == "received" and r.json["received_by_id"] == world.users["technician"]
    assert {i["job_state"] for i in r.json["items"]} == {"received"}
    job = api("get", f"/api/v1/jobs/{r.json['items'][0]['job_id']}").json
    assert job["state"] == "received" and job["received_by_id"] == world.users["technician"]
    # both the batch and its job are in the audit trail
    assert any(e["changes"].get("state") for e in audit_of(api, "Batch", bid))
    assert any(e["changes"].get("state") == ["booked", "received"] for e in audit_of(api, "Job", job["id"]))
    again = api("post", f"/api/v1/batches/{bid}/receive", role="technician", json={"version": r.json["version"]})
    assert again.status_code == 409 and "already received" in again.json["message"]
    stale = api("post", f"/api/v1/batches/{bid}/receive", role="technician", json={"version": version})
    assert stale.status_code == 409
    cancel = api("post", f"/api/v1/batches/{bid}/cancel", role="market_manager", json={"version": r.json["version"]})
    assert cancel.status_code == 409 and "already received" in cancel.json["message"]


def test_a_batch_is_cancelled_whole_before_the_lab_receives_it(api, world):
    r = api("post", "/api/v1/jobs/batch", role="equipment_officer",
            json={"instrument_ids": [world.instruments["hospital_a_1"]]})
    job_id = r.json[0]["id"]
    batch = api("get", "/api/v1/batches", role="equipment_officer", query_string={"state": "booked"}).json["items"][0]
    assert api("post", f"/api/v1/batches/{batch['id']}/cancel", role="equipment_officer_b",
               json={"version": batch["version"]}).status_code == 403
    r = api("post", f"/api/v1/batches/{batch['id']}/cancel", role="equipment_officer",
            json={"version": batch["version"]})
    assert r.status_code == 200 and r.json["state"] == "cancelled"
    assert r.json["cancelled_by_id"] == world.users["equipment_officer"]
    assert r.json["items"][0]["job_id"] is None and r.json["items"][0]["serial_number"] == "hospital_a-1"
    assert api("get", f"/api/v1/jobs/{job_id}").status_code == 404
    r2 = api("post", f"/api/v1/batches/{batch['id']}/receive", role="technician", json={"version": r.json["version"]})
    assert r2.status_code == 409 and "cancelled" in r2.json["message"]
    # the instrument can be booked again
    assert book(api, "equipment_officer", "hospital_a_1", world=world).status_code == 201


def test_a_batch_received_one_by_one_is_received_and_a_started_one_cannot_be_cancelled(api, world):
    batch = book(api, "admin", "market_a_1", world=world).json
    job_id = batch["items"][0]["job_id"]
    version = api("get", f"/api/v1/jobs/{job_id}").json["version"]
    assert api("post", f"/api/v1/jobs/{job_id}/transitions", role="technician",
               json={"version": version, "action": "receive"}).status_code == 200
    after = api("get", f"/api/v1/batches/{batch['id']}").json
    assert after["state"] == "received" and after["received_by_id"] == world.users["technician"]
    # a batch with work started on one of its instruments cannot be cancelled
    batch = book(api, "admin", "hospital_b_1", world=world).json
    job_id = batch["items"][0]["job_id"]
    version = api("get", f"/api/v1/jobs/{job_id}").json["version"]
    api("post", f"/api/v1/jobs/{job_id}/transitions", role="technician", json={"version": version, "action": "receive"})
    batch = api("get", f"/api/v1/batches/{batch['id']}").json
    r = api("post", f"/api/v1/batches/{batch['id']}/cancel", role="lab_manager", json={"version": batch["version"]})
    assert r.status_code == 409 and "already received" in r.json["message"]


def test_campaign_visits_keep_their_own_record_and_make_no_batch(app, world):
    """A visit's jobs (the crew goes to the instruments) are booked with ``as_batch=False``: no delivery."""
    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.jobs.operations import batch_of, book_batch
    from lims.modules.users.models import User

    with app.app_context(), acting_as(None, "tests"):
        user = db.session.get(User, world.users["admin"])
        [job] = book_batch(user, [world.instruments["market_b_1"]], as_batch=False)
        assert batch_of(job) is None
        [job] = book_batch(user, [world.instruments["hospital_b_1"]])
        assert batch_of(job).organisation_id == world.orgs["hospital_b"]
        db.session.rollback()


def test_a_batch_with_nothing_left_to_receive_is_received_or_cancelled(app, world):
    """One job received one by one, the other cancelled one by one: the batch is received; cancelling
    every job one by one cancels it; the cancelled job's item keeps its instrument, without a job."""
    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.jobs import operations as ops
    from lims.modules.jobs.models import Job
    from lims.modules.users.models import User

    with app.app_context(), acting_as(None, "tests"):
        admin, tech = (db.session.get(User, world.users[k]) for k in ("admin", "technician"))
        alone = db.session.get(Job, world.jobs["market_a"])
        ops.cancel_booking(alone, admin, alone.version)
        first, second = ops.book_batch(admin, [world.instruments["market_a_0"], world.instruments["market_a_1"]])
        batch = ops.batch_of(first)
        ops.transition(first, "receive", tech, {"version": first.version})
        assert batch.state == "booked"  # the second is still to come
        ops.cancel_booking(second, admin, second.version)
        assert batch.state == "received" and batch.received_by_id == tech.id  # who received its last one
        assert [item.job is None for item in batch.items] == [False, True]
        [third] = ops.book_batch(admin, [world.instruments["market_a_1"]])
        other = ops.batch_of(third)
        ops.cancel_booking(third, admin, third.version)
        assert other.state == "cancelled" and other.items[0].instrument.serial_number == "market_a-1"
        db.session.rollback()
