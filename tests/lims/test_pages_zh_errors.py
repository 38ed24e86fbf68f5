"""Bad input through each form, in Chinese: the message beside the field (or above the form) is Chinese.

A message counts as Chinese when it holds CJK characters and none of the English wording the
operations use for the API (the pages translate those, see lims/web/messages.py).
"""
import io
import re

import pytest

from tests.lims.conftest import SCALE_CHARS
from tests.lims.test_issuance_support import keyed_app  # noqa: F401  (fixture)
from tests.lims.test_pages_support import csrf_of, field_error, job_version, login, post_form, text_of

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = re.compile(r"\b(must|required|already|not a|between|invalid|field)\b", re.I)


def chinese(message):
    assert message, "no message beside the field"
    assert CJK.search(message) and not ENGLISH.search(message), message
    return message


@pytest.fixture
def zh(app):
    def as_role(role):
        return login(app.test_client(), role, lang="zh")

    return as_role


def register(client, **fields):
    data = {"type_code": "scale.price_computing", "manufacturer": "Yaohua", "model": "ACS-30",
            "serial_number": "NEW-1", "location": "9 号摊位", **{f"char_{k}": str(v) for k, v in SCALE_CHARS.items()}}
    data.update(fields)
    return post_form(client, "/instruments/new?type_code=scale.price_computing", "/instruments/new", data)


def test_register_an_instrument(zh):
    client = zh("market_manager")
    r = register(client, char_e="3")
    assert r.status_code == 422 and "1、2 或 5" in chinese(field_error(r, "char_e"))
    r = register(client, char_min="30")
    assert r.status_code == 422 and "R 76-1 表 3" in chinese(field_error(r, "char_min"))
    r = register(client, char_max="abc")
    assert r.status_code == 422
    chinese(field_error(r, "char_max"))
    r = register(client, manufacturer="")
    assert r.status_code == 422
    chinese(field_error(r, "manufacturer"))
    r = register(client, serial_number="market_a-0", manufacturer="ACME", model="M-market_a")
    assert r.status_code == 409 and "market_a-0" in chinese(field_error(r, "serial_number"))


def test_book_a_batch(zh, world):
    client = zh("market_manager")
    r = post_form(client, "/instruments", "/instruments/book",
                  {"instrument_ids": world.instruments["market_a_1"], "booked_for": "2026-02-30"})
    assert r.status_code == 422
    chinese(field_error(r, "booked_for"))
    r = post_form(client, "/instruments", "/instruments/book", {"instrument_ids": world.instruments["market_a_0"]})
    assert r.status_code == 409 and "market_a-0" in chinese(
        re.search(r'id="book-form-error">([^<]*)<', r.get_data(as_text=True)).group(1))


def test_import_a_csv(zh):
    client = zh("market_manager")
    header = "type_code,manufacturer,model,serial_number,location," + ",".join(SCALE_CHARS)
    row = "scale.price_computing,Yaohua,ACS-30,CSV-1,stall 1," + ",".join(
        str(v) for v in {**SCALE_CHARS, "e": 3}.values())
    body = (header + "\n" + row + "\n").encode()
    token = csrf_of(client.get("/instruments/import").get_data(as_text=True))
    r = client.post("/instruments/import", data={"csrf_token": token, "file": (io.BytesIO(body), "r.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 422
    problem = re.search(r'<tr data-row="2"><td>2</td><td>e</td><td>([^<]*)</td>', text_of(r)).group(1)
    assert "1、2 或 5" in chinese(problem)
    r = client.post("/instruments/import", data={"csrf_token": token}, content_type="multipart/form-data")
    assert r.status_code == 422
    chinese(field_error(r, "file"))


def test_job_steps(zh, app, world):
    client = zh("technician")
    job = world.jobs["market_a"]
    from tests.lims.test_pages_support import step

    assert step(client, app, job, "receive").status_code == 302
    r = step(client, app, job, "start")
    assert r.status_code == 422
    chinese(field_error(r, "start-bench_id"))
    assert step(client, app, job, "start", bench_id=world.benches["good"]).status_code == 302
    r = step(client, app, job, "submit", performed_on="2026-13-01")
    assert r.status_code == 422
    chinese(field_error(r, "submit-performed_on"))
    r = step(client, app, job, "submit")
    assert r.status_code == 422
    chinese(field_error(r, "submit-result"))
    r = step(client, app, job, "receive", version=job_version(app, job))  # a step the state no longer allows
    assert r.status_code == 409
    chinese(re.search(r'id="step-error">([^<]*)<', r.get_data(as_text=True)).group(1))


def test_audit_filters_standards_and_tokens(zh, world):
    client = zh("lab_manager")
    r = client.get("/audit?date_from=2026-02-30")
    assert r.status_code == 422
    chinese(field_error(r, "date_from"))
    r = post_form(client, "/standards/new", "/standards/new",
                  {"code": "W-1", "name": "x", "kind": "weight_set", "certificate_number": "C",
                   "certificate_issuer": "N", "calibrated_on": "2026-01-10", "due_on": "2026-01-01"})
    assert r.status_code in (409, 422)
    chinese(field_error(r, "code") or field_error(r, "due_on"))
    r = post_form(client, "/profile", "/profile", {"name": ""})
    chinese(field_error(r, "name"))


def test_admin_forms(zh, world):
    client = zh("admin")
    r = post_form(client, "/admin/organisations", "/admin/organisations", {"kind": "market", "name": ""})
    assert r.status_code == 422
    chinese(field_error(r, "name"))
    r = post_form(client, "/admin/users", "/admin/users",
                  {"username": "a b", "display_name": "A", "role": "technician", "organisation_id": world.orgs["lab"],
                   "password": "x", "email": "not-mail"})
    assert r.status_code == 422
    for f in ("username", "password", "email"):
        chinese(field_error(r, f))
    uid = world.users["technician"]
    r = post_form(client, f"/admin/users/{uid}", f"/admin/users/{uid}/password",
                  {"password": "long-enough-1", "confirm": "long-enough-2"}, prefix="reset")
    assert r.status_code == 422
    chinese(field_error(r, "reset-confirm"))


def test_certificate_revoke_without_reason(zh, keyed_app, api, world):
    from tests.lims.test_issuance_support import issue

    cert = issue(api, world)
    client = login(keyed_app.test_client(), "lab_manager", lang="zh")
    r = post_form(client, f"/certificates/{cert['id']}", f"/certificates/{cert['id']}/revoke", {"reason": ""},
                  prefix="revoke")
    assert r.status_code == 422
    chinese(field_error(r, "revoke-reason"))


def test_forbidden_and_missing_pages_are_chinese(zh, world):
    client = zh("market_manager")
    r = client.get(f"/instruments/{world.instruments['market_b_0']}")
    assert r.status_code == 403 and "您无权打开此页面" in text_of(r) and "另一" not in text_of(r)
    assert "此记录属于其他单位" in text_of(r)
    r = client.get("/jobs/999999")
    assert r.status_code == 404 and "未找到" in text_of(r)
    assert "The requested URL" not in text_of(r)


def test_the_workflow_messages_of_the_operations_reach_pages_in_chinese(app):
    """The patterns follow the operations' wording: the open-job refusal and a pass with unmeasured points."""
    from lims.web.messages import translate

    with app.test_request_context("/?lang=zh", headers={"Accept-Language": "zh"}):
        busy = translate("instrument ACME M serial number X-1 already has an open job (job 7); "
                         "finish or return it first")
        missing = translate("cannot submit a pass: test points not measured yet: 200 g, 5000 g")
    assert busy == "这台器具已有未完成的任务（已预约或在实验室中）"
    assert missing == "尚未测量的检定点：200 g, 5000 g。"
