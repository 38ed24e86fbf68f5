"""API behaviour: bad input, filters, derived status, optimistic concurrency."""
import datetime as dt
import threading

import pytest

SCALE = {"max": 15000, "min": 100, "e": 5, "d": 5, "accuracy_class": "III"}


def _new(serial, chars=None, **kw):
    return {"type_code": "scale.price_computing", "manufacturer": "M", "model": "X", "serial_number": serial,
            "characteristics": chars or SCALE, **kw}


@pytest.mark.parametrize("body,field,fragment", [
    ({"type_code": "scale.price_computing"}, "manufacturer", "Missing data"),
    (_new("a", extra=1), "extra", "Unknown field"),
    (_new("a", {**SCALE, "e": 3}), "characteristics", "1, 2 or 5"),
    (_new("a", {**SCALE, "accuracy_class": "I"}), "characteristics", "must be one of"),
    (_new("a", {**SCALE, "max": "heavy"}), "characteristics", "finite number"),
    (_new("a", {**SCALE, "min": 50}), "characteristics", "at least 20 e"),
    (_new("a", {**SCALE, "volts": 3}), "characteristics", "not a characteristic"),
    (_new("a", type_code="scale.nope"), "type_code", "unknown instrument type"),
    (_new("a" * 500), "serial_number", "Length"),
    ({**_new("a"), "owner_id": 10**30}, "owner_id", ""),
])
def test_invalid_bodies_get_422_naming_the_field(api, body, field, fragment):
    resp = api("post", "/api/v1/instruments", role="market_manager", json=body)
    assert resp.status_code == 422, resp.json
    assert field in resp.json["errors"]
    assert fragment in str(resp.json["errors"][field])


def test_malformed_json_is_400_and_unknown_ids_404(api):
    resp = api("post", "/api/v1/instruments", role="market_manager", data=b"{not json",
               content_type="application/json")
    assert resp.status_code == 400 and "errors" in resp.json
    assert api("get", "/api/v1/instruments/999999").status_code == 404
    assert api("get", "/api/v1/jobs/999999").status_code == 404
    assert api("get", "/api/v1/nowhere").status_code == 404
    assert api("get", "/api/v1/instruments?per_page=1000").status_code == 422
    assert api("get", "/api/v1/instruments?status=shiny").json["errors"]["status"]


def test_bad_tokens_get_401(client):
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_revoked_token_stops_working(api, client, world):
    created = api("post", "/api/v1/me/tokens", role="technician", json={"name": "t"}).json
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    # The token in use cannot revoke itself (no lock-out mid-request) ...
    resp = client.delete(f"/api/v1/me/tokens/{created['id']}", headers=headers)
    assert resp.status_code == 409 and "authenticates this request" in resp.json["message"]
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    # ... another of the user's tokens can.
    assert api("delete", f"/api/v1/me/tokens/{created['id']}", role="technician").status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_admin_cannot_deactivate_own_account(api, world):
    me = api("get", "/api/v1/me", role="admin").json
    resp = api("patch", f"/api/v1/users/{me['id']}", role="admin",
               json={"version": me["version"], "is_active": False})
    assert resp.status_code == 409 and "your own account" in resp.json["message"]
    assert api("get", "/api/v1/me", role="admin").status_code == 200


def test_json_booleans_are_strict(api, world):
    """A body must carry true/false for a boolean: 0, 1 and "yes" are refused with the field named."""
    body = {"code": "x.strict", "category": "other", "name_zh": "甲", "name_en": "x", "regulation": "R",
            "characteristics": [{"key": "a", "kind": "text", "label_zh": "甲", "label_en": "a", "required": 0}]}
    resp = api("post", "/api/v1/instrument-types", role="admin", json=body)
    assert resp.status_code == 422, resp.json
    assert "required" in str(resp.json["errors"])
    body["characteristics"][0]["required"] = False
    assert api("post", "/api/v1/instrument-types", role="admin", json=body).status_code == 201


def test_duplicate_identity_is_409(api):
    assert api("post", "/api/v1/instruments", role="market_manager", json=_new("dup")).status_code == 201
    assert api("post", "/api/v1/instruments", role="market_manager", json=_new("dup")).status_code == 409


def _set_history(app, inst_id, result, until):
    with app.app_context():
        from lims.extensions import db
        from lims.modules.equipment.models import Instrument

        inst = db.session.get(Instrument, inst_id)
        inst.last_result, inst.verified_until = result, until
        inst.last_verified_on = dt.date.today() - dt.timedelta(days=100) if result else None
        db.session.commit()


def test_status_is_derived_and_filterable(app, api, world):
    today = dt.date.today()
    cases = {"market_a_0": ("pass", today + dt.timedelta(days=200), "verified"),
             "market_a_1": ("pass", today + dt.timedelta(days=10), "due_soon"),
             "market_b_0": ("pass", today - dt.timedelta(days=1), "overdue"),
             "market_b_1": ("fail", None, "failed")}
    for key, (result, until, _) in cases.items():
        _set_history(app, world.instruments[key], result, until)
    for key, (_, _, status) in cases.items():
        assert api("get", f"/api/v1/instruments/{world.instruments[key]}").json["status"] == status
        listed = api("get", f"/api/v1/instruments?status={status}").json["items"]
        assert [i["id"] for i in listed] == [world.instruments[key]]
    never = api("get", "/api/v1/instruments?status=never_verified").json
    assert never["total"] == 4
    due = api("get", f"/api/v1/instruments?due_before={(today + dt.timedelta(days=30)).isoformat()}").json
    assert {i["id"] for i in due["items"]} == {world.instruments["market_a_1"], world.instruments["market_b_0"]}
    found = api("get", "/api/v1/instruments?q=market_b-1").json["items"]
    assert [i["serial_number"] for i in found] == ["market_b-1"]
    assert api("get", "/api/v1/instruments?q=%25").json["total"] == 0  # % is literal, not a wildcard
    assert api("get", "/api/v1/instruments?type_code=sphygmomanometer.nibp").json["total"] == 4


def test_pagination(api):
    page = api("get", "/api/v1/instruments?per_page=3&page=2").json
    assert page["total"] == 8 and page["page"] == 2 and len(page["items"]) == 3


def test_stale_update_is_409_and_nothing_is_overwritten(api, world):
    url = f"/api/v1/instruments/{world.instruments['market_a_1']}"
    v = api("get", url).json["version"]
    assert api("patch", url, json={"version": v, "location": "first"}).status_code == 200
    resp = api("patch", url, json={"version": v, "location": "second"})
    assert resp.status_code == 409
    assert api("get", url).json["location"] == "first"


def test_two_concurrent_updates_give_one_success_and_one_409(app, world):
    url = f"/api/v1/instruments/{world.instruments['market_a_1']}"
    headers = world.auth("admin")
    version = app.test_client().get(url, headers=headers).json["version"]
    barrier = threading.Barrier(2)
    codes = []

    def worker(loc):
        client = app.test_client()
        barrier.wait()
        codes.append(client.patch(url, headers=headers, json={"version": version, "location": loc}).status_code)

    threads = [threading.Thread(target=worker, args=(f"loc-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409]
    final = app.test_client().get(url, headers=headers).json
    assert final["version"] == version + 1 and final["location"] in ("loc-0", "loc-1")


def test_text_is_trimmed_but_max_length_is_of_the_text_as_sent(api, world):
    """Blanks around text are trimmed; the published maxLength still applies to what was sent."""
    resp = api("post", "/api/v1/instruments", role="market_manager", json=_new("trim-1", location="  stall 7 "))
    assert resp.status_code == 201 and resp.json["location"] == "stall 7"
    resp = api("post", "/api/v1/instruments", role="market_manager", json=_new("trim-2", location=" " + "x" * 200))
    assert resp.status_code == 422 and "location" in resp.json["errors"]


def test_standard_edit_keeps_due_after_calibration(api, world):
    std = api("get", "/api/v1/standards", role="lab_manager").json["items"][0]
    resp = api("patch", f"/api/v1/standards/{std['id']}", role="lab_manager",
               json={"version": std["version"], "due_on": "2000-01-01"})
    assert resp.status_code == 422 and "must be after calibrated_on" in resp.json["errors"]["due_on"][0]


def test_bench_rename_to_a_taken_name_is_409(api, world):
    benches = api("get", "/api/v1/benches", role="lab_manager").json["items"]
    assert len(benches) >= 2
    first, second = benches[0], benches[1]
    resp = api("patch", f"/api/v1/benches/{first['id']}", role="lab_manager",
               json={"version": first["version"], "name": second["name"]})
    assert resp.status_code == 409 and "already exists" in resp.json["message"]


@pytest.mark.parametrize("q", ["%", "a_", "\\"])  # serials look like market_a-1
def test_serial_search_takes_wildcards_literally(api, world, q):
    """`%`, `_` and `\\` typed into a search match themselves, not everything."""
    resp = api("get", f"/api/v1/instruments?q={q.replace('%', '%25')}", role="admin")
    assert resp.status_code == 200 and resp.json["total"] == 0
