"""In a real browser at phone width: the lab manager plans a small campaign and sees it on the
calendar; the market manager then sees the next visit date on their dashboard."""
import datetime as dt
import json
import re

import pytest

from tests.lims.browser_support import BROWSER_MARKS, serve  # `browser`: the session fixture in conftest.py
from tests.lims.campaign_support import next_monday, setup_register
from tests.lims.conftest import PASSWORD
from tests.lims.test_campaigns_plan import _plan

pytestmark = BROWSER_MARKS


@pytest.fixture
def live_server(app):
    server = serve(app)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844})
    page = context.new_page()
    yield page
    context.close()


def login(page, base, username):
    page.goto(f"{base}/login?lang=en")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_load_state()


def test_lab_manager_plans_a_campaign_and_market_manager_sees_the_next_visit(app, world, phone, live_server,
                                                                              tmp_path):
    start = next_monday(14)
    setup_register(app, world, start=start - dt.timedelta(days=28), weeks=2)  # the register, and an older campaign
    login(phone, live_server, "lab_manager")
    phone.goto(f"{live_server}/campaigns")
    phone.fill("#name", "Browser campaign")
    phone.fill("#start_on", start.isoformat())
    phone.fill("#end_on", (start + dt.timedelta(days=25)).isoformat())
    phone.click("#go")
    phone.wait_for_url(f"{live_server}/campaigns/*")
    assert phone.url.rsplit("/", 1)[1].isdigit()
    assert "No visits planned yet" in phone.inner_text("main")
    # the export the page offers, solved here by a hand-made plan, uploaded through the page
    with phone.expect_download() as download:
        phone.click("#export-link")
    instance = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert instance["horizon"]["start"] == start.isoformat() and len(instance["instruments"]) == 4
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(_plan(instance, start)))
    phone.set_input_files("#plan", str(plan_file))
    phone.click("#plan-form #go")
    phone.wait_for_load_state()
    assert "4 visits imported" in phone.inner_text("main")
    calendar = phone.inner_text("#calendar")
    assert "Market crew" in calendar and "Medical crew" in calendar and start.isoformat() in calendar
    assert phone.locator("#calendar a.visit").count() == 4
    # the page fits a phone: nothing wider than the viewport outside the scrolling table
    assert phone.evaluate("document.body.scrollWidth") <= 390 + 1
    phone.goto(f"{live_server}/dashboard")
    assert phone.locator("#calendar a.visit").count() == 4

    phone.click("button.navbar-toggler")  # on a phone the navigation folds into the menu button
    phone.click("button:has-text('Log out')")
    login(phone, live_server, "market_manager")
    phone.goto(f"{live_server}/dashboard")
    market_day = next(v["date"] for v in _plan(instance, start)["visits"]
                      if v["instruments"] == [f"I{world.instruments['market_a_1']}"])
    assert phone.inner_text("#next-visit-date") == market_day
    assert "market_a-1" in phone.inner_text("#next-visit-instruments")
    assert phone.evaluate("document.body.scrollWidth") <= 390 + 1


def test_the_lab_manager_clicks_plan_this_campaign_and_sees_the_task_finish(app, world, phone, live_server):
    """'Plan this campaign' starts the planner as a background task; the click lands on the task's page."""
    pytest.importorskip("planning", reason="the planning library is not installed")
    cid, _start = setup_register(app, world)
    errors = []
    phone.on("pageerror", lambda exc: errors.append(str(exc)))
    login(phone, live_server, "lab_manager")
    phone.goto(f"{live_server}/campaigns/{cid}")
    phone.click("#solve-go")
    phone.wait_for_url(re.compile(r".*/tasks/\d+$"), timeout=30_000)
    phone.wait_for_selector("#task-result:not([hidden])", timeout=30_000)
    assert phone.locator("#task-status").inner_text() == "Finished"
    assert "4 visits planned." in phone.locator("#task-visits").inner_text()
    phone.click("#task-visits a")
    phone.wait_for_url(f"{live_server}/campaigns/{cid}")
    assert phone.locator("#campaign-state").inner_text() == "planned"
    assert errors == []
