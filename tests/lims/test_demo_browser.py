"""The demo as a newcomer meets it: the landing page names the accounts, and each one logs in.

A real browser (Debian's Chromium via Playwright) against the demo data set, with CSRF on.
"""
import re

import pytest

from tests.lims.browser_support import BROWSER_MARKS, serve
from tests.lims.conftest import copy_demo, make_app

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def demo_server(demo_template, tmp_path_factory):
    cfg = copy_demo(demo_template, tmp_path_factory.mktemp("demo"))
    app = make_app(cfg.pop("SQLALCHEMY_DATABASE_URI"), **cfg, TESTING=False, DEMO=True, WTF_CSRF_ENABLED=True)
    server = serve(app)
    app.config["PUBLIC_HOST"] = f"127.0.0.1:{server.server_port}"  # as `lims demo --port` does
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _users():
    from lims.demo import DEMO_USERS

    return DEMO_USERS


@pytest.mark.parametrize("user", _users(), ids=lambda u: u["username"])
def test_every_demo_account_on_the_landing_page_logs_in(browser, demo_server, user):
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    try:
        page.goto(demo_server + "/")
        landing = page.inner_text("body")
        assert user["username"] in landing and user["password"] in landing
        page.goto(demo_server + "/login")
        page.fill("#username", user["username"])
        page.fill("#password", user["password"])
        page.click("#submit")
        page.wait_for_url(re.compile(r".*/instruments.*"))
        assert f"({user['role']})" in page.inner_text("#profile-link")
        total = int(re.search(r"\d+", page.inner_text("#total")).group())
        assert page.locator("#instruments tbody tr").count() == min(total, 50)
        owners = set(page.locator("#instruments tbody tr td:nth-child(2)").all_inner_texts())
        if user["role"] in ("market_manager", "equipment_officer"):
            assert owners == {user["organisation"]}, owners  # only their own organisation's
            assert total < 200
        else:
            assert total > 200  # lab staff see every customer's register (two markets, two hospitals)
    finally:
        context.close()


def _login(browser, base, username):
    from lims.demo import DEMO_USERS

    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", next(u["password"] for u in DEMO_USERS if u["username"] == username))
    page.click("#submit")
    page.wait_for_url(re.compile(r".*/instruments.*"))
    return page


def test_demo_has_work_in_every_state_and_the_manager_takes_one_to_a_certificate(browser, demo_server):
    """docs/issuance.md's browser walkthrough, on the demo data: the work queue is not empty."""
    tech = _login(browser, demo_server, "tech")
    for state in ("booked", "received", "in_progress", "awaiting_approval", "approved"):
        # filtered: the campaign's planned visits put many booked jobs on the first page of the list
        tech.goto(demo_server + f"/jobs?state={state}")
        assert tech.locator(f"#jobs tbody tr td.state-{state}").count() > 0, state
    tech.goto(demo_server + "/jobs?state=in_progress")
    tech.locator("#jobs tbody tr a").first.click()
    command = tech.inner_text("#bench-command pre")  # the bench's simulated balance, ready to run
    assert command.startswith("lims bench run --job ") and "--port sim://ind560 --driver mtsics" in command
    tech.context.close()

    hospital = _login(browser, demo_server, "hospital")
    hospital.goto(demo_server + "/jobs")
    assert hospital.locator("#jobs tbody tr").count() == 8  # the batch the equipment officer booked
    hospital.context.close()

    mgr = _login(browser, demo_server, "manager")
    mgr.goto(demo_server + "/jobs?state=awaiting_approval")
    mgr.locator("#jobs tbody tr a").first.click()
    mgr.click("#do-approve")
    assert mgr.get_attribute("#job-state", "data-state") == "approved"
    mgr.click("#do-issue")
    mgr.wait_for_url(re.compile(r".*/certificates/\d+$"))
    assert mgr.get_attribute("#cert-status", "data-status") == "valid"
    mgr.click("#check-link")
    mgr.wait_for_url(re.compile(r".*/V/.*"))
    assert mgr.get_attribute("div.verdict", "data-verdict") == "valid"
    assert "valid until" in mgr.inner_text("body").lower()
    mgr.context.close()


def test_demo_dashboards_each_role(browser, demo_server):
    """Issue 10: each role sees its dashboard; the two equipment officers race for the last bench minutes."""
    market = _login(browser, demo_server, "market")
    market.goto(demo_server + "/dashboard")
    assert re.match(r"\d{4}-\d{2}-\d{2}$", market.inner_text("#next-visit-date"))
    assert market.locator("#next-visit-instruments li").count() > 0
    market.context.close()
    hospital = _login(browser, demo_server, "hospital")
    hospital.goto(demo_server + "/dashboard")
    assert hospital.locator("#my-bookings tbody tr").count() >= 1
    hospital.goto(demo_server + "/bookings")
    assert hospital.locator("#capacity td.remaining", has_text="15").count() >= 1
    hospital.context.close()
    manager = _login(browser, demo_server, "manager")
    manager.goto(demo_server + "/dashboard")
    assert manager.locator("#calendar a.visit").count() > 0
    manager.context.close()
