"""Every endpoint × every role × own/other organisation, each with its expected status code.

"own" targets a record of the caller's organisation (for lab staff and admins: any record);
"other" targets a record of another customer organisation. A case that may write runs on a fresh
database; the reads (GET) share one database per run of this module, which must come out of them with
its audit trail unchanged (a read that wrote would show there).
"""
import io

import pytest
import sqlalchemy as sa

from tests.lims.conftest import copy_of_template, make_app

ROLES = ("anonymous", "admin", "lab_manager", "technician", "market_manager", "equipment_officer")
# the customer organisation and instrument each role calls "own" / "other"
OWN = {"market_manager": "market_a", "equipment_officer": "hospital_a"}
OTHER = {"market_manager": "market_b", "equipment_officer": "hospital_b"}


def org_of(role, scope):
    if role in OWN:
        return (OWN if scope == "own" else OTHER)[role]
    return "market_a" if scope == "own" else "hospital_b"


def _inst_body(w, role, scope):
    org = org_of(role, scope)
    code, chars = (("sphygmomanometer.nibp", {"range_min": 0, "range_max": 300, "resolution": 1})
                   if org.startswith("hospital") else
                   ("scale.price_computing", {"max": 15000, "min": 100, "e": 5, "d": 5, "accuracy_class": "III"}))
    return {"type_code": code, "owner_id": w.orgs[org], "manufacturer": "New", "model": "N1",
            "serial_number": f"new-{role}-{scope}", "characteristics": chars}


# (case id, method, path(w, role, scope), body(w, role, scope) or None, expected {role: (own, other)})
ALL_200 = {r: (200, 200) for r in ROLES[1:]}
ADMIN_ONLY = {"admin": (200, 200), "lab_manager": (403, 403), "technician": (403, 403),
              "market_manager": (403, 403), "equipment_officer": (403, 403)}
CUSTOMER_SCOPED = {"admin": (200, 200), "lab_manager": (200, 200), "technician": (200, 200),
                   "market_manager": (200, 403), "equipment_officer": (200, 403)}
LAB_READ = {"admin": (200, 200), "lab_manager": (200, 200), "technician": (200, 200),
            "market_manager": (403, 403), "equipment_officer": (403, 403)}
LAB_WRITE = {"admin": (201, 201), "lab_manager": (201, 201), "technician": (403, 403),
             "market_manager": (403, 403), "equipment_officer": (403, 403)}


def _with(base, **codes):
    out = dict(base)
    out.update(codes)
    return out


def _instr(w, role, scope):
    return w.instruments[f"{org_of(role, scope)}_1"]


CASES = [
    ("list organisations", "get", lambda w, r, s: "/api/v1/organisations", None, ALL_200),
    ("create organisation", "post", lambda w, r, s: "/api/v1/organisations",
     lambda w, r, s: {"kind": "market", "name": f"New market {r}"}, _with(ADMIN_ONLY, admin=(201, 201))),
    ("get organisation", "get", lambda w, r, s: f"/api/v1/organisations/{w.orgs[org_of(r, s)]}", None,
     CUSTOMER_SCOPED),
    ("update organisation", "patch", lambda w, r, s: f"/api/v1/organisations/{w.orgs[org_of(r, s)]}",
     lambda w, r, s: {"version": 1, "contact": "x"}, ADMIN_ONLY),
    ("list users", "get", lambda w, r, s: "/api/v1/users", None, ADMIN_ONLY),
    ("create user", "post", lambda w, r, s: "/api/v1/users",
     lambda w, r, s: {"username": f"new_{r}", "display_name": "N", "role": "technician",
                      "organisation_id": w.orgs["lab"], "password": "long-enough-password"},
     _with(ADMIN_ONLY, admin=(201, 201))),
    ("get user", "get", lambda w, r, s: f"/api/v1/users/{w.users['technician']}", None, ADMIN_ONLY),
    ("update user", "patch", lambda w, r, s: f"/api/v1/users/{w.users['technician']}",
     lambda w, r, s: {"version": 1, "display_name": "T"}, ADMIN_ONLY),
    ("me", "get", lambda w, r, s: "/api/v1/me", None, ALL_200),
    ("list my tokens", "get", lambda w, r, s: "/api/v1/me/tokens", None, ALL_200),
    ("create token", "post", lambda w, r, s: "/api/v1/me/tokens", lambda w, r, s: {"name": "t"},
     {r: (201, 201) for r in ROLES[1:]}),
    ("list types", "get", lambda w, r, s: "/api/v1/instrument-types", None, ALL_200),
    ("create type", "post", lambda w, r, s: "/api/v1/instrument-types",
     lambda w, r, s: {"code": f"meter.new_{r}", "category": "other", "name_zh": "新", "name_en": "New",
                      "regulation": "JJF 0000"}, _with(ADMIN_ONLY, admin=(201, 201))),
    ("get type", "get", lambda w, r, s: "/api/v1/instrument-types/1", None, ALL_200),
    ("update type", "patch", lambda w, r, s: "/api/v1/instrument-types/1",
     lambda w, r, s: {"version": 1, "notes": "n"}, ADMIN_ONLY),
    ("list instruments", "get", lambda w, r, s: "/api/v1/instruments", None, ALL_200),
    ("list instruments of an owner", "get",
     lambda w, r, s: f"/api/v1/instruments?owner_id={w.orgs[org_of(r, s)]}", None, CUSTOMER_SCOPED),
    ("create instrument", "post", lambda w, r, s: "/api/v1/instruments", _inst_body,
     {"admin": (201, 201), "lab_manager": (403, 403), "technician": (403, 403),
      "market_manager": (201, 403), "equipment_officer": (201, 403)}),
    ("get instrument", "get", lambda w, r, s: f"/api/v1/instruments/{_instr(w, r, s)}", None, CUSTOMER_SCOPED),
    ("update instrument", "patch", lambda w, r, s: f"/api/v1/instruments/{_instr(w, r, s)}",
     lambda w, r, s: {"version": 1, "location": "stall 9"},
     _with(CUSTOMER_SCOPED, technician=(403, 403))),
    ("delete instrument", "delete", lambda w, r, s: f"/api/v1/instruments/{_instr(w, r, s)}", None,
     {"admin": (204, 204), "lab_manager": (403, 403), "technician": (403, 403),
      "market_manager": (204, 403), "equipment_officer": (204, 403)}),
    ("list standards", "get", lambda w, r, s: "/api/v1/standards", None, LAB_READ),
    ("create standard", "post", lambda w, r, s: "/api/v1/standards",
     lambda w, r, s: {"code": f"S-{r}", "name": "s", "kind": "pressure", "certificate_number": "c",
                      "certificate_issuer": "NIM", "calibrated_on": "2026-01-01", "due_on": "2027-01-01"},
     _with(LAB_WRITE, technician=(403, 403))),
    ("get standard", "get", lambda w, r, s: f"/api/v1/standards/{w.standards['good']}", None, LAB_READ),
    ("update standard", "patch", lambda w, r, s: f"/api/v1/standards/{w.standards['good']}",
     lambda w, r, s: {"version": 1, "name": "renamed"},
     _with(LAB_READ, technician=(403, 403))),
    ("list benches", "get", lambda w, r, s: "/api/v1/benches", None, LAB_READ),
    ("create bench", "post", lambda w, r, s: "/api/v1/benches", lambda w, r, s: {"name": f"B-{r}"}, LAB_WRITE),
    ("get bench", "get", lambda w, r, s: f"/api/v1/benches/{w.benches['good']}", None, LAB_READ),
    ("update bench", "patch", lambda w, r, s: f"/api/v1/benches/{w.benches['good']}",
     lambda w, r, s: {"version": 1, "location": "room 2"}, _with(LAB_READ, technician=(403, 403))),
    ("list jobs", "get", lambda w, r, s: "/api/v1/jobs", None, ALL_200),
    ("book job", "post", lambda w, r, s: "/api/v1/jobs", lambda w, r, s: {"instrument_id": _instr(w, r, s)},
     {"admin": (201, 201), "lab_manager": (201, 201), "technician": (201, 201),
      "market_manager": (201, 403), "equipment_officer": (201, 403)}),
    ("book batch", "post", lambda w, r, s: "/api/v1/jobs/batch",
     lambda w, r, s: {"instrument_ids": [_instr(w, r, s)], "booked_for": "2027-01-05"},
     {"admin": (201, 201), "lab_manager": (201, 201), "technician": (201, 201),
      "market_manager": (201, 403), "equipment_officer": (201, 403)}),
    ("get job", "get", lambda w, r, s: f"/api/v1/jobs/{w.jobs[org_of(r, s)]}", None, CUSTOMER_SCOPED),
    ("receive job", "post", lambda w, r, s: f"/api/v1/jobs/{w.jobs[org_of(r, s)]}/transitions",
     lambda w, r, s: {"version": 1, "action": "receive"},
     {"admin": (200, 200), "lab_manager": (200, 200), "technician": (200, 200),
      "market_manager": (403, 403), "equipment_officer": (403, 403)}),
    ("audit events", "get", lambda w, r, s: "/api/v1/audit-events", None,
     {"admin": (200, 200), "lab_manager": (200, 200), "technician": (403, 403),
      "market_manager": (403, 403), "equipment_officer": (403, 403)}),
    # campaigns (issue 10): plans are the lab manager's; capacity and visits are readable by all; bookings,
    # recall lists and coverage are scoped to the caller's organisation
    ("list crews", "get", lambda w, r, s: "/api/v1/crews", None, LAB_READ),
    ("create crew", "post", lambda w, r, s: "/api/v1/crews",
     lambda w, r, s: {"name": f"crew {r}", "type_codes": ["scale.price_computing"]},
     _with(LAB_WRITE, technician=(403, 403))),
    ("set site", "put", lambda w, r, s: f"/api/v1/sites/{w.orgs[org_of(r, s)]}", lambda w, r, s: {"setup_minutes": 20},
     {"admin": (200, 200), "lab_manager": (200, 200), "technician": (403, 403),
      "market_manager": (403, 403), "equipment_officer": (403, 403)}),
    ("create campaign", "post", lambda w, r, s: "/api/v1/campaigns",
     lambda w, r, s: {"name": f"campaign {r}", "start_on": "2027-01-04", "end_on": "2027-06-30"},
     _with(LAB_WRITE, technician=(403, 403))),
    ("list campaigns", "get", lambda w, r, s: "/api/v1/campaigns", None, LAB_READ),
    ("list visits", "get", lambda w, r, s: "/api/v1/visits", None, ALL_200),
    ("free capacity", "get", lambda w, r, s: "/api/v1/capacity", None, ALL_200),
    ("list bookings", "get", lambda w, r, s: "/api/v1/bookings", None, ALL_200),
    ("book into capacity (a day with none open: 422 after the organisation check)", "post",
     lambda w, r, s: "/api/v1/bookings", lambda w, r, s: {"instrument_ids": [_instr(w, r, s)], "day": "2099-01-05"},
     {"admin": (422, 422), "lab_manager": (422, 422), "technician": (403, 403),
      "market_manager": (422, 403), "equipment_officer": (422, 403)}),
    ("recall list", "get", lambda w, r, s: f"/api/v1/recall?organisation_id={w.orgs[org_of(r, s)]}", None,
     CUSTOMER_SCOPED),
    ("coverage", "get", lambda w, r, s: "/api/v1/coverage?group_by=organisation", None, ALL_200),
    ("recall notices", "get", lambda w, r, s: "/api/v1/notices", None, ALL_200),
    ("list type minutes", "get", lambda w, r, s: "/api/v1/type-minutes", None, LAB_READ),
    ("set type minutes", "put", lambda w, r, s: "/api/v1/type-minutes/scale.digital", lambda w, r, s: {"minutes": 7},
     {"admin": (200, 200), "lab_manager": (200, 200), "technician": (403, 403),
      "market_manager": (403, 403), "equipment_officer": (403, 403)}),
    ("list holidays", "get", lambda w, r, s: "/api/v1/holidays", None, ALL_200),
    ("add holiday", "post", lambda w, r, s: "/api/v1/holidays", lambda w, r, s: {"day": "2027-10-01"},
     _with(LAB_WRITE, technician=(403, 403))),
]

# reads that record themselves: a recall list is logged as a notice generated (audited)
LOGGED_READS = {"recall list"}


def _params(reads):
    return [pytest.param(case, role, scope, id=f"{case[0]}-{role}-{scope}")
            for case in CASES if (case[1] == "get" and case[0] not in LOGGED_READS) == reads
            for role in ROLES for scope in ("own", "other")
            if not (role == "anonymous" and scope == "other")]


@pytest.fixture(scope="module")
def read_api(template_db, tmp_path_factory):
    """``api`` for reads: one app on one copy of the template for all of this module's GET cases."""
    world = template_db[2]
    with copy_of_template(template_db, tmp_path_factory.mktemp("reads")) as url:
        app = make_app(url)
        client = app.test_client()
        trail = sa.text("SELECT count(*), coalesce(max(id), 0) FROM audit_events")
        with app.app_context():
            from lims.extensions import db

            before = tuple(db.session.execute(trail).one())

        def call(method, path, role="admin", **kwargs):
            assert method == "get", "only reads share a database"
            return client.get(path, headers=world.auth(role), **kwargs)

        yield call
        with app.app_context():
            after = tuple(db.session.execute(trail).one())
            db.session.remove()
            db.engine.dispose()
        assert after == before, "a GET of the matrix wrote to the audit trail"


@pytest.mark.parametrize("case,role,scope", _params(reads=True))
def test_matrix_reads(read_api, world, case, role, scope):
    _check(read_api, world, case, role, scope)


@pytest.mark.parametrize("case,role,scope", _params(reads=False))
def test_matrix_writes(api, world, case, role, scope):
    _check(api, world, case, role, scope)


def _check(api, world, case, role, scope):
    _name, method, path, body, expected = case
    kwargs = {}
    if body is not None:
        kwargs["json"] = body(world, role, scope)
    resp = api(method, path(world, role, scope), role=role, **kwargs)
    want = 401 if role == "anonymous" else expected[role][0 if scope == "own" else 1]
    assert resp.status_code == want, resp.get_data(as_text=True)[:300]
    if want >= 400:
        assert resp.is_json and "message" in resp.json


@pytest.mark.parametrize("role", ROLES)
def test_import_matrix(api, world, role):
    """CSV import: customers import into their own organisation; admins name the owner."""
    header = "type_code,manufacturer,model,serial_number,location,max,min,e,d,accuracy_class"
    row = f"scale.price_computing,ACME,CSV-1,csv-{role},stall 1,15000,100,5,5,III"
    if role == "admin":
        header += ",owner_id"
        row += f",{world.orgs['market_a']}"
    data = {"file": (io.BytesIO(f"{header}\n{row}\n".encode()), "register.csv")}
    resp = api("post", "/api/v1/instruments/import", role=role, data=data, content_type="multipart/form-data")
    want = {"anonymous": 401, "admin": 201, "lab_manager": 403, "technician": 403,
            "market_manager": 201, "equipment_officer": 201}[role]
    assert resp.status_code == want, resp.get_data(as_text=True)[:300]


def test_revoking_someone_elses_token_is_forbidden(api, world):
    mine = api("post", "/api/v1/me/tokens", role="market_manager", json={"name": "x"}).json["id"]
    assert api("delete", f"/api/v1/me/tokens/{mine}", role="equipment_officer").status_code == 403
    assert api("delete", f"/api/v1/me/tokens/{mine}", role="market_manager").status_code == 204


def test_customer_lists_only_own_instruments(api, world):
    for role, org in OWN.items():
        items = api("get", "/api/v1/instruments?per_page=100", role=role).json["items"]
        assert items and {i["owner"]["id"] for i in items} == {world.orgs[org]}
    lab = api("get", "/api/v1/instruments?per_page=100", role="technician").json
    assert lab["total"] == 8


@pytest.mark.parametrize("role", ["market_manager", "equipment_officer"])
def test_campaign_pages_and_exports_are_scoped_to_the_customer(client, api, world, role):
    """Dashboards, recall CSV/.ics and coverage CSV show a customer their own organisation only,
    whatever organisation they name."""
    from tests.lims.test_pages_support import login

    own, other = OWN[role], OTHER[role]
    login(client, role)
    for url in ("/dashboard", f"/recall?organisation_id={world.orgs[other]}",
                f"/recall.csv?organisation_id={world.orgs[other]}&within_days=400",
                f"/recall.ics?organisation_id={world.orgs[other]}", "/coverage.csv?group_by=organisation"):
        resp = client.get(url)
        body = resp.get_data(as_text=True)
        assert resp.status_code == 200, url
        assert other not in body, url
    assert f"{own}-1" in client.get("/recall.csv?within_days=400").get_data(as_text=True)
    assert f"{own} org" in client.get("/coverage.csv?group_by=organisation").get_data(as_text=True)
    coverage = api("get", "/api/v1/coverage?group_by=organisation", role=role).json
    assert [g["group"][0] for g in coverage["items"]] == [world.orgs[own]]


@pytest.mark.parametrize("url", ["/dashboard", "/recall", "/recall.csv", "/recall.ics", "/coverage", "/bookings",
                                 "/campaigns"])
def test_campaign_pages_need_a_login(client, url):
    resp = client.get(url)
    assert resp.status_code in (302, 401) and "/login" in resp.headers.get("Location", "/login")


@pytest.mark.parametrize("role", ["market_manager", "equipment_officer", "technician"])
def test_only_the_lab_manager_plans(client, world, role):
    from tests.lims.test_pages_support import login

    login(client, role)
    assert client.get("/campaigns").status_code == (200 if role == "technician" else 403)
    assert client.get("/campaigns/1/instance.json").status_code == 403
