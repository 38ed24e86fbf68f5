"""Audit trail page (read-only, filters) and the CSV import page (all rows or none, errors per row)."""
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest

from tests.lims.conftest import SCALE_CHARS
from tests.lims.test_pages_support import csrf_of, field_error, login, post_form, text_of

TODAY = dt.date.today()


# --- audit trail -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role,code", [("admin", 200), ("lab_manager", 200), ("technician", 403),
                                       ("market_manager", 403), ("equipment_officer", 403)])
def test_who_reads_the_audit_trail(client, role, code):
    login(client, role)
    assert client.get("/audit").status_code == code
    page = client.get("/profile").get_data(as_text=True)
    assert ('id="nav-audit"' in page) == (code == 200)


def test_audit_shows_actor_entity_and_changes_of_a_page_edit(client, app, world):
    from lims.extensions import db
    from lims.modules.equipment.models import ReferenceStandard

    sid = world.standards["good"]
    with app.app_context():
        version = db.session.get(ReferenceStandard, sid).version
    login(client, "lab_manager")
    url = f"/standards/{sid}/edit"
    r = post_form(client, url, url, {"version": version, "name": "M1 weights", "certificate_number": "C-1b",
                                     "certificate_issuer": "NIM", "calibrated_on": TODAY.isoformat(),
                                     "due_on": (TODAY + dt.timedelta(days=300)).isoformat()})
    assert r.status_code == 302
    r = client.get(f"/audit?entity=ReferenceStandard&entity_id={sid}&actor=lab_man")
    page = text_of(r)
    assert r.status_code == 200 and "1 events" in page
    assert "lab_manager" in page and "ReferenceStandard" in page and "changed" in page
    assert "C-1 → C-1b" in page
    page = text_of(client.get(f"/audit?entity=ReferenceStandard&entity_id={sid}"))
    assert "2 events" in page and "fixtures" in page and "created" in page


def test_audit_filters_by_date_and_pages(app, client, monkeypatch):
    monkeypatch.setattr("lims.web.audit.PER_PAGE", 10)
    # the page's dates are the lab's (Asia/Shanghai): from 16:00 UTC on, its today is the machine's tomorrow
    today = dt.datetime.now(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    login(client, "admin")
    everything = text_of(client.get("/audit"))
    total = int(re.search(r'id="total">(\d+) events', everything).group(1))
    assert total > 10 and 'id="next-page"' in everything and everything.count("data-event=") == 10
    assert f"{total} events" in text_of(client.get(f"/audit?date_from={today}&date_to={today}"))
    yesterday = today - dt.timedelta(days=1)
    assert "0 events" in text_of(client.get(f"/audit?date_to={yesterday}"))
    page2 = text_of(client.get("/audit?actor=fixtures&page=2"))
    assert "Page 2 of" in page2 and 'id="prev-page"' in page2 and "actor=fixtures" in page2


@pytest.mark.parametrize("query,field,message", [
    ("date_from=2026-02-30", "date_from", "not a valid date"),
    (f"date_from={TODAY}&date_to={TODAY - dt.timedelta(days=3)}", "date_to", "before the start date"),
    ("entity_id=" + "9" * 65, "entity_id", "64"),
])
def test_bad_audit_filters_are_shown_beside_the_field(client, query, field, message):
    login(client, "lab_manager")
    r = client.get(f"/audit?{query}")
    assert r.status_code == 422 and message in (field_error(r, field) or "").lower()


def test_audit_is_read_only(client):
    login(client, "admin")
    page = client.get("/audit").get_data(as_text=True)
    assert page.count('method="post"') == 1  # only the log-out form


# --- CSV import ------------------------------------------------------------------------------------

HEADER = "type_code,manufacturer,model,serial_number,location," + ",".join(SCALE_CHARS)


def csv_of(*rows, header=HEADER):
    return "\n".join([header, *rows]) + "\n"


def scale_row(serial, **chars):
    values = {**SCALE_CHARS, **chars}
    return f"scale.price_computing,Yaohua,ACS-30,{serial},stall 1," + ",".join(str(v) for v in values.values())


def upload(client, text, **fields):
    token = csrf_of(client.get("/instruments/import").get_data(as_text=True))
    data = {"csrf_token": token, "file": (io.BytesIO(text.encode() if isinstance(text, str) else text),
                                          "register.csv"), **fields}
    return client.post("/instruments/import", data=data, content_type="multipart/form-data")


def count(client):
    return int(re.search(r"(\d+) instruments", text_of(client.get("/instruments"))).group(1))


@pytest.mark.parametrize("role,code", [("market_manager", 200), ("equipment_officer", 200), ("admin", 200),
                                       ("lab_manager", 403), ("technician", 403)])
def test_who_imports(client, role, code):
    login(client, role)
    assert client.get("/instruments/import").status_code == code
    page = client.get("/profile").get_data(as_text=True)
    assert ('id="nav-import"' in page) == (code == 200)


def test_customer_imports_all_rows(client):
    login(client, "market_manager")
    before = count(client)
    r = upload(client, csv_of(scale_row("CSV-1"), scale_row("CSV-2")))
    assert r.status_code == 302
    page = text_of(client.get(r.headers["Location"]))
    assert "2 instruments imported." in page and count(client) == before + 2


def test_one_bad_row_stores_nothing_and_names_the_row(client):
    login(client, "market_manager")
    before = count(client)
    r = upload(client, csv_of(scale_row("CSV-1"), scale_row("CSV-2", e="3"), scale_row("CSV-3")))
    assert r.status_code == 422
    page = text_of(r)
    assert "Nothing was stored" in page
    assert set(re.findall(r'data-row="(\d+)"', page)) == {"3"}  # only the bad row is named
    assert re.search(r"<td>3</td><td>e</td><td>[^<]*1, 2 or 5", page)
    assert count(client) == before


def test_bad_uploads(client, world):
    login(client, "equipment_officer")
    token = csrf_of(client.get("/instruments/import").get_data(as_text=True))
    r = client.post("/instruments/import", data={"csrf_token": token}, content_type="multipart/form-data")
    assert r.status_code == 422 and "required" in field_error(r, "file").lower()
    r = upload(client, "type_code\n\xff".encode("latin-1"))
    assert r.status_code == 422 and "UTF-8" in field_error(r, "file")
    r = client.post("/instruments/import", data={"file": (io.BytesIO(b"x"), "a.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 400
    other = world.orgs["market_b"]
    r = upload(client, csv_of(scale_row("X-1").replace("stall 1", "ward") + f",{other}",
                              header=HEADER + ",owner_id"))
    assert r.status_code == 422 and "only for your own organisation" in text_of(r)


def test_admin_chooses_the_owner_or_uses_the_owner_column(client, world):
    login(client, "admin")
    page = client.get("/instruments/import").get_data(as_text=True)
    assert 'id="owner_id"' in page
    r = upload(client, csv_of(scale_row("ADM-1")), owner_id="0")
    assert r.status_code == 422 and "owner_id" in text_of(r) and "missing column" in text_of(r)
    r = upload(client, csv_of(scale_row("ADM-1")), owner_id=str(world.orgs["market_b"]))
    assert r.status_code == 302
    login(client, "market_manager_b")
    assert "ADM-1" in text_of(client.get("/instruments?q=ADM"))


def test_audit_leaves_out_empty_fields_of_a_created_record(client, world):
    login(client, "lab_manager")
    page = text_of(client.get(f"/audit?entity=Bench&entity_id={world.benches['good']}"))
    assert '<span title="name">name</span>: — → bench good' in page and 'title="location"' not in page
    page = text_of(client.get(f"/audit?entity=Bench&entity_id={world.benches['good']}&lang=zh"))
    assert '<span title="name">名称</span>: — → bench good' in page and "检定台 " in page  # field and record in zh
