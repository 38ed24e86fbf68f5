"""Booking a batch: every instrument matching the filter (all pages), cancel a booking, the delivery note."""
import re

from tests.lims.test_pages_support import csrf_of, job_version, login, post_form, step, text_of


def book_all(client, **filters):
    page = client.get("/instruments", query_string=filters).get_data(as_text=True)
    data = {"csrf_token": csrf_of(page), "all_matching": "1", **{f"filter_{k}": v for k, v in filters.items()}}
    return client.post("/instruments/book", data=data)


def jobs_total(client):
    return int(re.search(r"(\d+) jobs", text_of(client.get("/jobs?lang=en"))).group(1))


def test_book_every_instrument_matching_the_filter(app, world):
    client = login(app.test_client(), "market_manager")
    r = book_all(client, q="market_a-1")
    assert r.status_code == 302 and jobs_total(client) == 2


def test_a_refused_batch_names_the_serial_and_keeps_the_selection(app, world):
    client = login(app.test_client(), "market_manager")
    r = book_all(client, status="never_verified")  # market_a-0 is already booked
    assert r.status_code == 409 and "market_a-0" in text_of(r)
    ticked = re.findall(r'name="instrument_ids" value="(\d+)" checked', r.get_data(as_text=True))
    assert sorted(map(int, ticked)) == sorted([world.instruments["market_a_0"], world.instruments["market_a_1"]])
    assert jobs_total(client) == 1


def test_a_booking_is_cancelled_before_the_lab_receives_it(app, world):
    job = world.jobs["market_a"]
    other = login(app.test_client(), "market_manager_b")
    r = post_form(other, "/profile", f"/jobs/{job}/cancel", {"version": job_version(app, job)}, prefix="cancel")
    assert r.status_code == 403
    client = login(app.test_client(), "market_manager")
    r = post_form(client, f"/jobs/{job}", f"/jobs/{job}/cancel", {"version": job_version(app, job)}, prefix="cancel")
    assert r.status_code == 302
    page = text_of(client.get("/jobs?lang=en"))
    assert "Booking of market_a-0 cancelled." in page and "0 jobs" in page
    admin = login(app.test_client(), "lab_manager")
    page = text_of(admin.get(f"/audit?entity=Job&entity_id={job}&lang=en"))
    assert "deleted" in page and "market_manager" in page

    job = world.jobs["market_b"]
    tech = login(app.test_client(), "technician")
    assert step(tech, app, job, "receive").status_code == 302
    client = login(app.test_client(), "market_manager_b")
    r = post_form(client, f"/jobs/{job}", f"/jobs/{job}/cancel", {"version": job_version(app, job)}, prefix="cancel")
    assert r.status_code == 302
    assert "not received yet" in text_of(client.get(f"/jobs/{job}?lang=en"))
    assert jobs_total(client) == 1


def test_delivery_note_lists_own_booked_instruments_with_a_label_each(app, world):
    client = login(app.test_client(), "equipment_officer")
    page = text_of(client.get("/bookings/delivery-note"))
    assert "hospital_a-0" in page and "hospital_b-0" not in page and "market_a-0" not in page
    assert page.count("<svg") == 1
    lab = login(app.test_client(), "technician")
    page = text_of(lab.get("/bookings/delivery-note"))
    assert page.count("<svg") == 4


def test_the_lab_receives_a_whole_batch_at_once(app, world):
    jobs = [world.jobs[k] for k in ("market_a", "hospital_a")]
    customer = login(app.test_client(), "market_manager")
    page = customer.get("/jobs").get_data(as_text=True)
    assert customer.post("/jobs/receive", data={"csrf_token": csrf_of(page), "job_ids": jobs}).status_code == 403
    lab = login(app.test_client(), "technician")
    page = lab.get("/jobs?state=booked").get_data(as_text=True)
    assert 'id="receive-ticked"' in page
    r = lab.post("/jobs/receive", data={"csrf_token": csrf_of(page), "job_ids": jobs})
    assert r.status_code == 302
    page = text_of(lab.get("/jobs?state=received&lang=en"))
    assert "2 instruments received." in page and "2 jobs" in page
    r = lab.post("/jobs/receive", data={"csrf_token": csrf_of(page), "job_ids": jobs + [world.jobs["market_b"]]})
    page = text_of(lab.get("/jobs?state=received&lang=en"))
    refused = "Nothing was received: these are not waiting to be received: hospital_a-0, market_a-0"
    assert refused in page and "2 jobs" in page  # all or none
