"""Issue 11 items 4 and 8: a verified instrument's identity, and the characters identity fields may hold."""
import pytest

from tests.lims.test_issuance_support import approve_job

BAD = {
    "NUL": "SN\x00123", "bidi override": "SN\u202e321", "bidi isolate": "SN\u2066X", "zero-width space": "SN\u200b1",
    "zero-width joiner": "SN\u200d1", "BOM": "\ufeffSN1", "control": "SN\x07", "newline": "SN\n1",
    "no-break space": "SN\u00a01", "private use": "SN\ue0001",
}


def _new(api, serial, role="market_manager", **extra):
    body = {"type_code": "scale.price_computing", "manufacturer": "ACME", "model": "M-market_a",
            "serial_number": serial, "characteristics": {"max": 30000, "min": 200, "e": 10, "d": 10,
                                                         "accuracy_class": "III"}, **extra}
    return api("post", "/api/v1/instruments", role=role, json=body)


@pytest.mark.parametrize("what", sorted(BAD))
def test_invisible_and_control_characters_are_refused_in_identity_fields(api, world, what):
    for field in ("serial_number", "model", "manufacturer"):
        body = {field: BAD[what]} if field != "serial_number" else {}
        r = _new(api, BAD[what] if field == "serial_number" else f"ok-{field}", **body)
        assert r.status_code == 422, (what, field, r.json)
        assert list(r.json["errors"]) == [field] and "U+" in r.json["errors"][field][0]
    inst = world.instruments["market_a_1"]
    version = api("get", f"/api/v1/instruments/{inst}", role="market_manager").json["version"]
    r = api("patch", f"/api/v1/instruments/{inst}", role="market_manager",
            json={"version": version, "serial_number": BAD[what]})
    assert r.status_code == 422 and "serial_number" in r.json["errors"]


def test_chinese_and_ordinary_punctuation_are_accepted(api, world):
    r = _new(api, "秤-2026/07 №5", manufacturer="上海衡器厂", model="ACS-30 (Ⅲ)")
    assert r.status_code == 201, r.json


def test_csv_import_refuses_a_bidi_override_naming_row_and_column(api, world):
    import io

    csv = ("type_code,manufacturer,model,serial_number,location,max,min,e,d,accuracy_class\n"
           "scale.price_computing,ACME,CSV-1,A\u202eB,stall 1,30000,200,10,10,III\n")
    r = api("post", "/api/v1/instruments/import", role="market_manager", content_type="multipart/form-data",
            data={"file": (io.BytesIO(csv.encode()), "reg.csv")})
    assert r.status_code == 422
    assert [(e["row"], e["column"]) for e in r.json["errors"]["rows"]] == [(2, "serial_number")]


def test_serial_numbers_compare_case_insensitively_within_make_and_model(api, world):
    assert _new(api, "ab-77").status_code == 201
    r = _new(api, "AB-77")
    assert r.status_code == 409 and "already registered" in r.json["message"]
    assert _new(api, "AB-77", model="Other").status_code == 201  # another model may reuse it
    inst = world.instruments["market_a_1"]
    version = api("get", f"/api/v1/instruments/{inst}", role="market_manager").json["version"]
    r = api("patch", f"/api/v1/instruments/{inst}", role="market_manager",
            json={"version": version, "serial_number": "MARKET_A-0"})
    assert r.status_code == 409


def test_the_database_refuses_a_case_variant_serial_number(app, world):
    import sqlalchemy as sa

    with app.app_context():
        from lims.extensions import db

        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(sa.text(
                "INSERT INTO instruments (type_id, owner_id, location, manufacturer, model, serial_number, "
                "characteristics, is_withdrawn, is_deleted, created_dt, version) SELECT type_id, owner_id, location, "
                "manufacturer, model, upper(serial_number), characteristics, is_withdrawn, is_deleted, created_dt, "
                "version FROM instruments WHERE id = :id"), {"id": world.instruments["market_a_0"]})
        db.session.rollback()


def _verified(api, world):
    approve_job(api, world, "market_a")
    inst = world.instruments["market_a_0"]
    body = api("get", f"/api/v1/instruments/{inst}", role="market_manager").json
    assert body["status"] == "verified"
    return inst, body


@pytest.mark.parametrize("change", [{"serial_number": "SWAPPED-1"}, {"model": "M-other"},
                                    {"manufacturer": "Other"},
                                    {"characteristics": {"max": 15000, "min": 100, "e": 5, "d": 5,
                                                         "accuracy_class": "III"}}])
def test_a_customer_cannot_change_a_verified_instruments_identity(api, world, change):
    inst, body = _verified(api, world)
    r = api("patch", f"/api/v1/instruments/{inst}", role="market_manager", json={"version": body["version"], **change})
    assert r.status_code == 409 and "has been verified" in r.json["message"]
    after = api("get", f"/api/v1/instruments/{inst}", role="market_manager").json
    assert after["serial_number"] == body["serial_number"] and after["status"] == "verified"
    r = api("patch", f"/api/v1/instruments/{inst}", role="market_manager",
            json={"version": body["version"], "location": "stall 9"})
    assert r.status_code == 200  # where it stands is not its identity


def test_a_lab_correction_is_audited_and_withdraws_the_verification(api, world):
    inst, body = _verified(api, world)
    r = api("patch", f"/api/v1/instruments/{inst}", role="lab_manager",
            json={"version": body["version"], "serial_number": "market_a-0-corrected"})
    assert r.status_code == 200, r.json
    assert r.json["status"] != "verified" and r.json["verified_until"] is None
    events = api("get", "/api/v1/audit-events?entity=Instrument&per_page=100", role="admin").json["items"]
    change = next(e for e in events if e["entity_id"] == str(inst) and e["action"] == "update"
                  and "serial_number" in e["changes"])
    assert change["changes"]["serial_number"] == ["market_a-0", "market_a-0-corrected"]
    assert change["changes"]["verified_until"][1] is None, change
    assert change["actor_id"] == world.users["lab_manager"]


def test_a_reference_standards_identity_refuses_invisible_characters_too(api, world):
    body = {"code": "W-\u200b2", "name": "weights", "kind": "weight_set", "certificate_number": "C-2",
            "certificate_issuer": "NIM", "calibrated_on": "2026-01-01", "due_on": "2027-01-01"}
    r = api("post", "/api/v1/standards", role="lab_manager", json=body)
    assert r.status_code == 422 and "code" in r.json["errors"]
    std = api("get", f"/api/v1/standards/{world.standards['good']}", role="lab_manager").json
    r = api("patch", f"/api/v1/standards/{std['id']}", role="lab_manager",
            json={"version": std["version"], "serial_number": "S\u202e1"})
    assert r.status_code == 422 and "serial_number" in r.json["errors"]
