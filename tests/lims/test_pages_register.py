"""Customer pages: register an instrument (characteristics checked by the register's rules) and book a batch."""
import re

import pytest

from tests.lims.conftest import SCALE_CHARS
from tests.lims.test_pages_support import csrf_of, field_error, login, post_form, text_of

SCALE = "scale.price_computing"


def register(client, **fields):
    data = {"type_code": SCALE, "manufacturer": "Yaohua", "model": "ACS-30", "serial_number": "NEW-1",
            "location": "stall 9", **{f"char_{k}": str(v) for k, v in SCALE_CHARS.items()}}
    data.update(fields)
    return post_form(client, f"/instruments/new?type_code={data['type_code']}", "/instruments/new", data)


@pytest.mark.parametrize("role", ["market_manager", "equipment_officer"])
def test_customer_registers_an_instrument_of_their_organisation(client, role):
    login(client, role)
    page = text_of(client.get(f"/instruments/new?type_code={SCALE}"))
    assert 'id="char_e"' in page and 'id="char_accuracy_class"' in page and 'id="owner_id"' not in page
    r = register(client)
    assert r.status_code == 302 and "/instruments/" in r.headers["Location"]
    page = text_of(client.get(r.headers["Location"]))
    org = "market_a org" if role == "market_manager" else "hospital_a org"
    assert "NEW-1" in page and org in page
    total = text_of(client.get("/instruments"))
    assert "3 instruments" in total


@pytest.mark.parametrize("fields,field,message", [
    ({"char_e": "3"}, "char_e", "1, 2 or 5"),  # R 76 rule, from the register's rules
    ({"char_min": "40000"}, "char_min", "less than max"),
    ({"char_max": "heavy"}, "char_max", "not a number"),
    ({"char_accuracy_class": "I"}, "char_accuracy_class", "must be one of"),
    ({"char_d": ""}, "char_d", "required"),
    ({"manufacturer": ""}, "manufacturer", "required"),
    ({"serial_number": "x" * 121}, "serial_number", "120"),
])
def test_bad_input_is_shown_beside_the_field(client, fields, field, message):
    login(client, "market_manager")
    r = register(client, **fields)
    assert r.status_code == 422
    assert message in (field_error(r, field) or "").lower()
    assert "2 instruments" in text_of(client.get("/instruments"))  # nothing stored


def test_duplicate_identity_is_shown_beside_the_serial_number(client):
    login(client, "market_manager")
    r = register(client, manufacturer="ACME", model="M-market_a", serial_number="market_a-0")
    assert r.status_code == 409 and "already registered" in field_error(r, "serial_number")


def test_unknown_type_and_csrf(client):
    login(client, "market_manager")
    r = client.get("/instruments/new?type_code=nope")
    assert r.status_code == 422 and field_error(r, "type_code")
    r = client.post("/instruments/new", data={"type_code": SCALE, "manufacturer": "a", "model": "b",
                                              "serial_number": "c"})
    assert r.status_code == 400


@pytest.mark.parametrize("role", ["technician", "lab_manager"])
def test_lab_staff_do_not_register(client, role):
    login(client, role)
    assert client.get("/instruments/new").status_code == 403


def test_admin_must_choose_the_owner(client, world):
    login(client, "admin")
    r = register(client, owner_id="0")
    assert r.status_code == 422 and "required" in field_error(r, "owner_id")
    r = register(client, owner_id=str(world.orgs["market_b"]))
    assert r.status_code == 302


def book(client, ids, **extra):
    page = client.get("/instruments").get_data(as_text=True)
    return client.post("/instruments/book", data={"csrf_token": csrf_of(page), "instrument_ids": ids, **extra})


def test_customer_books_a_batch_and_sees_their_bookings(client, world):
    login(client, "market_manager")
    r = book(client, [world.instruments["market_a_1"]], booked_for="2031-05-04")
    # the booking is one batch: the customer lands on its delivery note, which lists the instrument
    assert r.status_code == 302 and "/batches/" in r.headers["Location"]
    note = text_of(client.get(r.headers["Location"]))
    assert "market_a-1" in note
    page = text_of(client.get("/jobs"))
    assert "2 jobs" in page and "2031-05-04" in page and "market_a-1" in page and "booked" in page
    assert "market_b" not in page


def test_booking_is_all_or_none_with_the_reason(client, world):
    login(client, "market_manager")
    r = book(client, [world.instruments["market_a_1"], world.instruments["market_a_0"]])  # _0 has an open job
    assert r.status_code == 409
    # the refusal names the instrument by its serial number, never by an internal id, and keeps the selection
    assert "Already booked (an open job exists): market_a-0." in text_of(r)
    ticked = re.findall(r'name="instrument_ids" value="(\d+)" checked', r.get_data(as_text=True))
    assert sorted(map(int, ticked)) == sorted([world.instruments["market_a_1"], world.instruments["market_a_0"]])
    assert "1 jobs" in text_of(client.get("/jobs"))


def test_booking_another_organisations_instrument_is_forbidden(client, world):
    login(client, "market_manager")
    assert book(client, [world.instruments["market_b_1"]]).status_code == 403
    assert "1 jobs" in text_of(client.get("/jobs"))


def test_booking_needs_a_selection_valid_date_and_csrf(client, world):
    login(client, "equipment_officer")
    r = book(client, [])
    assert r.status_code == 422 and "Tick the instruments" in text_of(r)
    r = book(client, ["abc"])
    assert r.status_code == 422
    r = book(client, [world.instruments["hospital_a_1"]], booked_for="31/31/2031")
    assert r.status_code == 422 and field_error(r, "booked_for")
    r = client.post("/instruments/book", data={"instrument_ids": [world.instruments["hospital_a_1"]]})
    assert r.status_code == 400
    assert "1 jobs" in text_of(client.get("/jobs"))


def test_navigation_per_role(client):
    login(client, "market_manager")
    page = text_of(client.get("/instruments"))
    assert 'id="nav-register"' in page and 'id="nav-bookings"' in page and 'id="nav-jobs"' not in page
    assert 'id="nav-certificates"' in page
    other = client.application.test_client()
    login(other, "technician")
    page = text_of(other.get("/instruments"))
    assert 'id="nav-jobs"' in page and 'id="nav-register"' not in page and 'id="nav-certificates"' in page
