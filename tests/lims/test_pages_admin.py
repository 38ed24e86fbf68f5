"""Lab equipment pages: reference standards (overdue flag, values, version-checked edits) and benches."""
import datetime as dt

import pytest

from tests.lims.test_pages_support import CUSTOMERS, csrf_of, field_error, login, post_form, text_of

TODAY = dt.date.today()


def standard_form(**fields):
    data = {"code": "P-9", "kind": "pressure", "name": "piston gauge", "certificate_number": "C-9",
            "certificate_issuer": "NIM", "calibrated_on": (TODAY - dt.timedelta(days=10)).isoformat(),
            "due_on": (TODAY + dt.timedelta(days=355)).isoformat(),
            "values-0-nominal": "100 kPa", "values-0-value": "100.002", "values-0-U": "0.004",
            "values-0-k": "2", "values-0-unit": "kPa"}
    data.update(fields)
    return data


def version_of(app, model, oid):
    from lims.extensions import db

    with app.app_context():
        return db.session.get(model, oid).version


@pytest.mark.parametrize("role,code", [("admin", 200), ("lab_manager", 200), ("technician", 200),
                                       ("market_manager", 403), ("equipment_officer", 403)])
def test_who_reads_standards_and_benches(client, world, role, code):
    login(client, role)
    assert client.get("/standards").status_code == code
    assert client.get(f"/standards/{world.standards['good']}").status_code == code
    assert client.get("/benches").status_code == code


def test_anonymous_is_sent_to_login(client):
    for url in ("/standards", "/benches", "/standards/new"):
        r = client.get(url)
        assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_list_flags_overdue_standards_red(client, world):
    login(client, "technician")
    page = client.get("/standards").get_data(as_text=True)
    assert 'id="new-standard"' not in page  # technicians read only
    row = page.split(f'data-standard="{world.standards["overdue"]}"')[1].split("</tr>")[0]
    assert 'std-row-overdue' in page and 'data-state="overdue"' in row and "may not be used" in row
    good = page.split(f'data-standard="{world.standards["good"]}"')[1].split("</tr>")[0]
    assert 'data-state="valid"' in good and "C-1" in good and "NIM" in good


@pytest.mark.parametrize("role", ["technician", *CUSTOMERS])
def test_only_lab_managers_change_standards_and_benches(client, world, role):
    login(client, role)
    assert client.get("/standards/new").status_code == 403
    assert client.get(f"/standards/{world.standards['good']}/edit").status_code == 403
    assert client.get(f"/benches/{world.benches['good']}/edit").status_code == 403
    token = csrf_of(client.get("/profile").get_data(as_text=True))
    assert client.post("/standards/new", data={"csrf_token": token, **standard_form()}).status_code == 403


@pytest.mark.parametrize("role", ["lab_manager", "admin"])
def test_lab_manager_adds_a_standard_with_values(client, role):
    login(client, role)
    r = post_form(client, "/standards/new", "/standards/new", standard_form())
    assert r.status_code == 302, text_of(r)
    page = text_of(client.get(r.headers["Location"]))
    assert "P-9" in page and "100 kPa" in page and "0.004" in page and 'data-state="valid"' in page


@pytest.mark.parametrize("fields,field,message", [
    ({"code": ""}, "code", "required"),
    ({"kind": "laser"}, "kind", "must be one of"),
    ({"due_on": "2020-13-01"}, "due_on", "not a valid date"),
    ({"due_on": (TODAY - dt.timedelta(days=20)).isoformat()}, "due_on", "after calibrated_on"),
    ({"values-0-U": "-1"}, "values-0-U", "greater than or equal to 0"),
    ({"values-0-value": "heavy"}, "values-0-value", "not a valid number"),
    ({"values-0-unit": ""}, "values-0-unit", "missing data"),
    ({"code": "W-1"}, "code", "already exists"),
])
def test_bad_standard_input_is_shown_beside_the_field(client, fields, field, message):
    login(client, "lab_manager")
    r = post_form(client, "/standards/new", "/standards/new", standard_form(**fields))
    assert r.status_code in (409, 422)
    assert message in (field_error(r, field) or "").lower(), text_of(r)
    assert "2 reference standards" in text_of(client.get("/standards"))  # nothing stored


def test_csrf_is_required(client, world):
    login(client, "lab_manager")
    assert client.post("/standards/new", data=standard_form()).status_code == 400
    assert client.post(f"/standards/{world.standards['good']}/edit", data={"name": "x"}).status_code == 400
    assert client.post(f"/benches/{world.benches['good']}/edit", data={"location": "x"}).status_code == 400


def test_recalibration_edit_and_stale_form(client, app, world):
    from lims.modules.equipment.models import ReferenceStandard

    sid = world.standards["overdue"]
    login(client, "lab_manager")
    url = f"/standards/{sid}/edit"
    old_version = version_of(app, ReferenceStandard, sid)
    page = client.get(url).get_data(as_text=True)
    assert f'value="{old_version}"' in page and 'value="old weights"' in page
    data = {"version": old_version, "name": "old weights", "certificate_number": "C-0b", "certificate_issuer": "NIM",
            "calibrated_on": TODAY.isoformat(), "due_on": (TODAY + dt.timedelta(days=365)).isoformat(),
            "values-0-nominal": "1 kg", "values-0-value": "1.000001", "values-0-U": "0.000002",
            "values-0-unit": "kg"}
    r = post_form(client, url, url, data)
    assert r.status_code == 302
    page = text_of(client.get(f"/standards/{sid}"))
    assert "C-0b" in page and 'data-state="valid"' in page and "1.000001" in page
    # a second form still carrying the old version is refused, and the record keeps the first change
    r = post_form(client, url, url, {**data, "certificate_number": "C-STALE"})
    assert r.status_code == 409
    assert "nothing was saved" in text_of(r) and "version" in text_of(r)
    assert "C-STALE" not in text_of(client.get(f"/standards/{sid}"))


def test_benches_list_shows_ports_and_standard_states(client, world):
    login(client, "technician")
    page = client.get("/benches").get_data(as_text=True)
    row = page.split(f'data-bench="{world.benches["overdue"]}"')[1].split("</tr>")[0]
    assert "W-OLD" in row and 'data-state="overdue"' in row
    assert f'id="edit-bench-{world.benches["good"]}"' not in page


def test_bench_edit_ports_and_standards(client, app, world):
    from lims.modules.equipment.models import Bench

    bid = world.benches["good"]
    url = f"/benches/{bid}/edit"
    login(client, "lab_manager")
    assert f'id="edit-bench-{bid}"' in client.get("/benches").get_data(as_text=True)
    version = version_of(app, Bench, bid)
    data = {"version": version, "location": "room 2", "ports-0-role": "balance",
            "ports-0-port": "sim://mettler", "ports-0-driver": "mettler.xs",
            "standard_ids": [world.standards["good"], world.standards["overdue"]]}
    r = post_form(client, url, url, {**data, "ports-1-role": "gauge"})  # a half-filled row
    assert r.status_code == 422 and "missing data" in field_error(r, "ports-1-port").lower()
    r = post_form(client, url, url, data)
    assert r.status_code == 302
    page = text_of(client.get("/benches"))
    row = page.split(f'data-bench="{bid}"')[1].split("</tr>")[0]
    assert "room 2" in row and "sim://mettler" in row and "mettler.xs" in row and "W-OLD" in row
    r = post_form(client, url, url, {**data, "location": "stale"})
    assert r.status_code == 409 and "nothing was saved" in text_of(r)
    token = csrf_of(client.get(url).get_data(as_text=True))
    r = client.post(url, data={"csrf_token": token, "version": version_of(app, Bench, bid), "standard_ids": "99999"})
    assert r.status_code == 422 and "no reference standard 99999" in text_of(r)


def test_navigation_per_role(client):
    login(client, "technician")
    page = client.get("/standards").get_data(as_text=True)
    assert 'id="nav-standards"' in page and 'id="nav-benches"' in page and 'id="nav-audit"' not in page
    assert 'id="nav-import"' not in page


def test_edit_form_offers_blank_rows_after_the_values(client, app, world):
    from lims.extensions import db
    from lims.modules.equipment.models import ReferenceStandard

    sid = world.standards["good"]
    with app.app_context():
        std = db.session.get(ReferenceStandard, sid)
        std.values = [{"nominal": "1 kg", "value": 1.000001, "U": 2e-06, "k": 2.0, "unit": "kg"}]
        db.session.commit()
    login(client, "lab_manager")
    page = client.get(f"/standards/{sid}/edit").get_data(as_text=True)
    assert 'value="1 kg"' in page and 'id="values-3-nominal"' in page and 'id="values-4-nominal"' not in page
