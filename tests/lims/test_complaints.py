"""A voice for the public: the check page says what to do and whom to call; "report a problem" (no login,
proof of work, rate-limited) reaches the owner's manager and the lab, who answer and close it, each step
audited and scoped by organisation; a paper certificate is found by its number and serial number."""
import html
import re

import pytest

from tests.lims.browser_support import BROWSER_MARKS, serve  # `browser`: the session fixture in conftest.py
from tests.lims.conftest import PASSWORD
from tests.lims.test_issuance_support import issue, keyed_app, token_of  # noqa: F401  (fixture)
from tests.lims.test_pages_support import csrf_of, field_error, login, post_form, text_of


@pytest.fixture
def cert(keyed_app, api, world):
    return issue(api, world, "market_a")


def send_report(client, token, text="秤的读数偏低，少了二两", phone="138 0000 0000", solve=True, lang="zh"):
    """Open the report page, do the page's proof of work (as its script does) and send the form."""
    from lims.modules.complaints.operations import setting
    from lims.modules.complaints.operations import solve as pow_solve

    page = client.get(f"/report/{token}?lang={lang}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    challenge = html.unescape(re.search(r'data-challenge="([^"]+)"', body).group(1))
    bits = int(re.search(r'data-bits="(\d+)"', body).group(1))
    with client.application.app_context():
        assert bits == setting("COMPLAINT_POW_BITS")
    nonce = pow_solve(challenge, bits) if solve else ""
    return client.post(f"/report/{token}", data={"csrf_token": csrf_of(body), "text": text, "phone": phone,
                                                 "pow_challenge": challenge, "pow_nonce": nonce})


def _complaint_id(app):
    from sqlalchemy import select

    from lims.extensions import db
    from lims.modules.complaints.models import Complaint

    with app.app_context():
        return db.session.execute(select(Complaint.id).order_by(Complaint.id.desc())).scalars().first()


def test_public_report_reaches_the_market_manager_who_answers_and_closes_it(keyed_app, cert, world):
    app = keyed_app
    public = app.test_client()
    r = send_report(public, token_of(cert))
    assert r.status_code == 201 and "已收到" in text_of(r)
    cid = _complaint_id(app)

    other = login(app.test_client(), "market_manager_b")
    assert "秤的读数偏低" not in text_of(other.get("/complaints"))
    assert other.get(f"/complaints/{cid}").status_code == 403
    officer = login(app.test_client(), "equipment_officer")
    assert officer.get(f"/complaints/{cid}").status_code == 403

    manager = login(app.test_client(), "market_manager", lang="zh")
    listing = text_of(manager.get("/complaints"))
    assert "秤的读数偏低" in listing and "market_a-0" in listing
    page = text_of(manager.get(f"/complaints/{cid}"))
    assert "138 0000 0000" in page

    def version():
        from lims.extensions import db
        from lims.modules.complaints.models import Complaint

        with app.app_context():
            return db.session.get(Complaint, cid).version

    r = post_form(manager, f"/complaints/{cid}", f"/complaints/{cid}/answer",
                  {"answer": "", "version": version()}, prefix="answer")
    assert r.status_code == 422 and re.search(r"[\u4e00-\u9fff]", field_error(r, "answer-answer"))
    r = post_form(manager, f"/complaints/{cid}", f"/complaints/{cid}/answer",
                  {"answer": "已通知摊主，明天复检。", "version": version()}, prefix="answer")
    assert r.status_code == 302
    r = post_form(manager, f"/complaints/{cid}", f"/complaints/{cid}/close", {"version": version()}, prefix="close")
    assert r.status_code == 302
    page = text_of(manager.get(f"/complaints/{cid}"))
    assert 'data-state="closed"' in manager.get(f"/complaints/{cid}").get_data(as_text=True)
    assert "已通知摊主" in page
    r = post_form(manager, f"/complaints/{cid}", f"/complaints/{cid}/close", {"version": version()}, prefix="close")
    assert r.status_code == 409 and "此反映已关闭" in text_of(r)  # closing twice is refused

    lab = login(app.test_client(), "lab_manager")
    assert "market_a-0" in text_of(lab.get("/complaints"))

    from sqlalchemy import select

    from lims.core.audit import AuditEvent
    from lims.extensions import db

    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(AuditEvent.entity == "Complaint",
                                                             AuditEvent.entity_id == str(cid))
                                    .order_by(AuditEvent.id)).scalars().all()
        steps = [(e.action, e.actor_name, (e.changes.get("state") or [None, None])[1]) for e in events]
    assert steps == [("create", "public", "open"), ("update", "market_manager", "answered"),
                     ("update", "market_manager", "closed")], steps


def test_the_api_lists_complaints_by_organisation(keyed_app, cert, world, api):
    assert send_report(keyed_app.test_client(), token_of(cert)).status_code == 201
    assert api("get", "/api/v1/complaints", role="market_manager").get_json()["total"] == 1
    assert api("get", "/api/v1/complaints", role="market_manager_b").get_json()["total"] == 0
    item = api("get", "/api/v1/complaints", role="lab_manager").get_json()["items"][0]
    assert item["serial_number"] == "market_a-0" and item["state"] == "open"
    r = api("post", f"/api/v1/complaints/{item['id']}/answer", role="market_manager_b",
            json={"answer": "x", "version": item["version"]})
    assert r.status_code == 403


def test_a_report_needs_the_proof_of_work_once_and_a_readable_text(keyed_app, cert):
    client = keyed_app.test_client()
    r = send_report(client, token_of(cert), solve=False)
    assert r.status_code == 422 and "请刷新页面后重新提交" in text_of(r)
    r = send_report(client, token_of(cert), text="坏")
    message = field_error(r, "text")
    assert r.status_code == 422 and "5" in message and re.search(r"[\u4e00-\u9fff]", message)
    r = send_report(client, token_of(cert), phone="call me")
    assert r.status_code == 422 and field_error(r, "phone")
    r = send_report(client, token_of(cert), text="too short?"[:3], lang="en")
    assert r.status_code == 422 and "between 5 and 500 characters" in field_error(r, "text")
    # a solved challenge is good for one report only
    page = client.get(f"/report/{token_of(cert)}").get_data(as_text=True)
    challenge = html.unescape(re.search(r'data-challenge="([^"]+)"', page).group(1))
    from lims.modules.complaints.operations import solve

    with keyed_app.app_context():
        from lims.modules.complaints.operations import setting

        nonce = solve(challenge, setting("COMPLAINT_POW_BITS"))
    data = {"csrf_token": csrf_of(page), "text": "读数不稳定，来回跳", "pow_challenge": challenge, "pow_nonce": nonce}
    assert client.post(f"/report/{token_of(cert)}", data=data).status_code == 201
    assert client.post(f"/report/{token_of(cert)}", data=data).status_code == 422
    assert client.get("/report/NOSUCHTOKEN").status_code == 404


def test_reports_are_rate_limited_per_reporter(keyed_app, cert):
    keyed_app.config["COMPLAINT_LIMIT_PER_HOUR"] = 2
    client = keyed_app.test_client()
    assert send_report(client, token_of(cert)).status_code == 201
    assert send_report(client, token_of(cert)).status_code == 201
    r = send_report(client, token_of(cert))
    assert r.status_code == 429 and "稍后" in text_of(r)


def test_check_page_says_where_the_scale_is_what_to_do_and_whom_to_call(keyed_app, cert, api, world):
    client = keyed_app.test_client()
    page = text_of(client.get(f"/V/{token_of(cert)}"))
    assert "market_a org" in page and "反映这台器具的问题" in page and 'data-state="valid"' in page
    r = api("post", f"/api/v1/certificates/{cert['id']}/revoke", role="lab_manager", json={"reason": "seal broken"})
    assert r.status_code == 200, r.get_json()
    page = text_of(client.get(f"/V/{token_of(cert)}"))
    assert "已撤销" in page and "请不要以它的称量结果为准" in page and "withdrawn this certificate" in page
    assert 'id="owner-contact"' in client.get(f"/V/{token_of(cert)}").get_data(as_text=True)
    assert "REFERENCE.md" not in page and "unconfirmed" not in page


def test_a_paper_certificate_is_found_by_number_and_serial(keyed_app, cert):
    client = keyed_app.test_client()
    r = client.get("/lookup", query_string={"number": cert["number"], "serial": "market_a-0"})
    assert r.status_code == 302 and token_of(cert) in r.location
    r = client.get("/lookup", query_string={"number": cert["number"], "serial": "market_b-0", "lang": "zh"})
    assert r.status_code == 422 and "出厂编号" in field_error(r, "number")
    r = client.get("/lookup", query_string={"number": "", "serial": "", "lang": "zh"})
    assert r.status_code == 422 and field_error(r, "serial")


def test_the_lookup_is_rate_limited_per_address_with_a_message_in_both_languages(keyed_app, cert):
    keyed_app.config["PUBLIC_LOOKUP_LIMIT"] = "3 per minute"
    client = keyed_app.test_client()
    addr = {"REMOTE_ADDR": "10.4.4.4"}
    guesses = [{"number": cert["number"], "serial": f"guess-{i}", "lang": "zh"} for i in range(3)]
    assert [client.get("/lookup", query_string=q, environ_base=addr).status_code for q in guesses] == [422] * 3
    assert client.get("/lookup", environ_base=addr).status_code == 200  # the empty form is not counted
    r = client.get("/lookup", query_string={**guesses[0], "lang": "zh"}, environ_base=addr)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert "查询证书的次数过多" in text_of(r) and "请求过于频繁" in text_of(r)
    r = client.get("/lookup", query_string={**guesses[0], "lang": "en"}, environ_base=addr)
    assert r.status_code == 429 and "Too many certificate look-ups" in text_of(r)
    # the right pair from another address is not affected
    r = client.get("/lookup", query_string={"number": cert["number"], "serial": "market_a-0"},
                   environ_base={"REMOTE_ADDR": "10.4.4.5"})
    assert r.status_code == 302


def test_the_default_lookup_limit_is_stricter_than_the_check(app):
    from limits import parse_many

    def per_minute(key):
        return [lim.amount for lim in parse_many(app.config[key]) if lim.GRANULARITY.name == "minute"][0]

    assert 0 < per_minute("PUBLIC_LOOKUP_LIMIT") <= per_minute("PUBLIC_CHECK_LIMIT")


@BROWSER_MARKS[0]
@BROWSER_MARKS[1]
def test_scan_report_and_see_it_arrive_at_the_market_manager(browser, keyed_app, cert, world):
    """Issue 14 'done means': I scan a sticker, report a problem, and see it arrive at the market manager."""
    server = serve(keyed_app)
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
        phone.goto(f"{base}/V/{token_of(cert)}")
        phone.click("#report-link")
        phone.fill("#text", "秤盘松动，读数跳来跳去")
        phone.wait_for_selector("#send-report:not([disabled])", timeout=60000)  # the page's proof of work
        phone.click("#send-report")
        assert "已收到" in phone.inner_text("#report-done")
        phone.context.close()

        mgr = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}).new_page()
        mgr.goto(f"{base}/login")
        mgr.fill("#username", "market_manager")
        mgr.fill("#password", PASSWORD)
        mgr.click("#submit")
        mgr.wait_for_url(re.compile(r".*/instruments.*"))
        mgr.goto(f"{base}/complaints")
        mgr.locator("#complaints tbody tr a").first.click()
        assert "秤盘松动" in mgr.inner_text("#complaint-text")
        mgr.fill("#answer-answer", "已派人检查。")
        mgr.click("#send-answer")
        assert mgr.get_attribute("#complaint-state", "data-state") == "answered"
        mgr.click("#close-complaint")
        assert mgr.get_attribute("#complaint-state", "data-state") == "closed"
        mgr.context.close()
    finally:
        server.shutdown()
