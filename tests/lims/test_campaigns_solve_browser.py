"""'Plan this campaign' in a real browser at phone width: the click lands on the task page, which shows the visits."""
import re

import pytest

from tests.lims.browser_support import BROWSER_MARKS, browser, serve  # noqa: F401  (fixture)
from tests.lims.campaign_support import setup_register
from tests.lims.conftest import PASSWORD

pytestmark = BROWSER_MARKS
pytest.importorskip("planning", reason="the planning library is not installed")


@pytest.fixture
def live_server(app):
    server = serve(app)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_the_lab_manager_clicks_plan_this_campaign_and_sees_the_task_finish(app, browser, live_server,  # noqa: F811
                                                                           world):
    cid, _start = setup_register(app, world)
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 800})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login?lang=en")
    page.fill("#username", "lab_manager")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.goto(f"{live_server}/campaigns/{cid}")
    page.click("#solve-go")
    page.wait_for_url(re.compile(r".*/tasks/\d+$"), timeout=30_000)
    page.wait_for_selector("#task-result:not([hidden])", timeout=30_000)
    assert page.locator("#task-status").inner_text() == "Finished"
    assert "4 visits planned." in page.locator("#task-visits").inner_text()
    page.click("#task-visits a")
    page.wait_for_url(f"{live_server}/campaigns/{cid}")
    assert page.locator("#campaign-state").inner_text() == "planned"
    assert errors == []
    context.close()
