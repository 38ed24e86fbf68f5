"""Pages in a real browser: Debian's Chromium driven by Playwright (headless, no sandbox)."""
import re

import pytest

from tests.lims.browser_support import BROWSER_MARKS, serve
from tests.lims.conftest import PASSWORD
from tests.lims.test_issuance_support import keyed_app  # noqa: F401  (fixture)

pytestmark = BROWSER_MARKS


@pytest.fixture
def live_server(app):
    server = serve(app)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def login(page, base, username, password=PASSWORD):
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#submit")


@pytest.mark.parametrize("username,total", [("admin", 8), ("lab_manager", 8), ("technician", 8),
                                            ("market_manager", 2), ("equipment_officer", 2)])
def test_each_role_logs_in_and_sees_its_register(page, live_server, username, total):
    login(page, live_server, username)
    page.wait_for_url(f"{live_server}/instruments")
    assert page.inner_text("#total") == f"共 {total} 台"
    assert page.locator("#instruments tbody tr").count() == total
    assert username in page.inner_text("#profile-link")


def test_wrong_password_shows_message_beside_the_field(page, live_server):
    login(page, live_server, "technician", "not-the-password")
    assert "密码错误" in page.inner_text("#password-error")
    page.goto(f"{live_server}/login?lang=en")
    login(page, live_server, "technician", "not-the-password")
    assert "wrong password" in page.inner_text("#password-error")


def test_customer_cannot_open_another_organisations_instrument(page, live_server, world):
    login(page, live_server, "market_manager")
    page.wait_for_url(f"{live_server}/instruments")
    resp = page.goto(f"{live_server}/instruments/{world.instruments['market_b_0']}")
    assert resp.status == 403
    resp = page.goto(f"{live_server}/instruments/{world.instruments['market_a_0']}")
    assert resp.status == 200 and "market_a-0" in page.content()


def test_profile_creates_a_token_that_works_and_revokes_it(page, live_server, client):
    login(page, live_server, "equipment_officer")
    page.wait_for_url(f"{live_server}/instruments")
    page.goto(f"{live_server}/profile")
    page.fill("#name", "ward laptop")
    page.click("#token-form #submit")
    secret = page.inner_text("#new-token")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    page.locator("#tokens tr", has_text="ward laptop").locator("input[type=submit]").click()
    assert "已吊销" in page.inner_text("#tokens")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_login_form_without_csrf_token_is_refused(live_server):
    import urllib.error
    import urllib.request

    data = b"username=technician&password=" + PASSWORD.encode()
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(urllib.request.Request(f"{live_server}/login", data=data))
    assert err.value.code == 400


def test_technician_and_lab_manager_take_a_job_to_a_certificate(browser, live_server, keyed_app, world):
    """The whole lab workflow in the browser: receive, start, submit; approve, issue, open, check."""
    job = world.jobs["market_a"]
    tech = browser.new_context(locale="zh-CN").new_page()
    login(tech, live_server, "technician")
    tech.wait_for_url(f"{live_server}/instruments")
    tech.click("#nav-jobs")
    tech.click(f"#jobs tr[data-job='{job}'] a")
    assert tech.get_attribute("#job-state", "data-state") == "booked"
    tech.click("#do-receive")
    assert tech.get_attribute("#job-state", "data-state") == "received"
    tech.select_option("#start-bench_id", str(world.benches["good"]))
    tech.click("#do-start")
    assert tech.get_attribute("#job-state", "data-state") == "in_progress"
    tech.click("#do-submit")  # no result: the message appears beside the field
    assert "提交时必须选择" in tech.inner_text("#submit-result-error")
    with keyed_app.app_context():  # a pass needs every planned point measured (entered here, not through the form)
        from lims.extensions import db
        from lims.modules.jobs.models import Job
        from lims.modules.procedures.operations import demo_measure_every_point
        from lims.modules.users.models import User

        demo_measure_every_point(db.session.get(Job, job), db.session.get(User, world.users["technician"]))
        db.session.commit()
    tech.reload()
    tech.select_option("#submit-result", "pass")
    tech.fill("#submit-notes", "R: item=称量 10 kg; item_en=Weighing; nominal=10.000; measured=10.010; "
                               "mpe=0.010; unit=kg; result=pass")
    tech.click("#do-submit")
    assert tech.get_attribute("#job-state", "data-state") == "awaiting_approval"
    assert tech.locator("#do-approve").count() == 0
    tech.context.close()

    mgr = browser.new_context(locale="zh-CN").new_page()
    login(mgr, live_server, "lab_manager")
    mgr.wait_for_url(f"{live_server}/instruments")
    mgr.goto(f"{live_server}/jobs/{job}")
    assert "technician" in mgr.inner_text("#history")
    # the test world's weights carry no calibrated values: every point is flagged (no uncertainty budget) and the
    # lab manager records a justification per point on the page before approving
    while mgr.locator("form.justify-form").count():
        form = mgr.locator("form.justify-form").first
        form.locator("input[name=justification]").fill("称量点以 M1 砝码的等级 MPE 评定 / weights used by class")
        form.locator("button[type=submit]").click()
    assert mgr.locator("#budget-flags li").count() == mgr.locator("#budget-flags em").count()
    mgr.click("#do-approve")
    assert mgr.get_attribute("#job-state", "data-state") == "approved"
    mgr.fill("#remarks", "客户送检 / brought in by the customer")
    mgr.click("#do-issue")
    mgr.wait_for_url(re.compile(r".*/certificates/\d+$"))
    assert mgr.get_attribute("#cert-status", "data-status") == "valid"
    assert "有效期至" in mgr.inner_text("#cert-status")
    pdf = mgr.request.get(live_server + mgr.get_attribute("#pdf-link", "href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    mgr.click("#check-link")
    mgr.wait_for_url(re.compile(r".*/V/.*"))
    assert mgr.get_attribute("div.verdict", "data-verdict") == "valid"
    assert "valid until" in mgr.inner_text("body").lower()
    mgr.context.close()
