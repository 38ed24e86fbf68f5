"""The demo scale's uncertainty budgets and the recall page in a real browser at phone width (Chromium)."""
import re

import pytest
from sqlalchemy import select

from tests.lims.browser_support import BROWSER_MARKS, serve  # `browser`: the session fixture in conftest.py
from tests.lims.conftest import make_app

pytestmark = BROWSER_MARKS
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from lims.demo import ensure_demo
    from lims.extensions import db
    from lims.modules.jobs.models import Job
    from lims.modules.procedures.operations import judged

    tmp = tmp_path_factory.mktemp("demo")
    app = make_app(f"sqlite:///{tmp / 'demo.db'}", KEY_DIR=str(tmp / "keys"), TESTING=False, DEMO=True,
                   WTF_CSRF_ENABLED=True)
    server = serve(app)
    with app.app_context():
        ensure_demo(app)
        jobs = db.session.execute(select(Job).where(Job.state == "awaiting_approval")).scalars().all()
        job_id = next(j.id for j in jobs if judged(j)[1])
        db.session.remove()
    yield f"http://127.0.0.1:{server.server_port}", job_id
    server.shutdown()


def _phone(browser, base, username, password):
    page = browser.new_context(locale="zh-CN", viewport=PHONE).new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#submit")
    page.wait_for_url(re.compile(r".*/instruments.*"))
    return page, errors


def test_budget_table_and_bars_at_phone_width(browser, demo):  # noqa: F811
    base, job_id = demo
    page, errors = _phone(browser, base, "manager", "manager-demo-2026")
    page.goto(f"{base}/jobs/{job_id}")
    assert page.locator("#budget-summary tbody tr").count() == 9  # 5 loads up, 4 down
    page.locator("details.budget summary").first.click()
    table = page.locator("details.budget").first.locator("table.budget-table")
    assert table.is_visible() and "W-M1-01" in table.inner_text()
    widths = [float(w) for w in page.locator("details.budget").first.locator("svg.bar rect").evaluate_all(
        "rs => rs.map(r => r.getAttribute('width'))")]
    assert max(widths) == 100 and min(widths) >= 0  # bars relative to the largest contribution
    # the budget boxes stay within the phone's width; a wide budget table scrolls inside its own box (the
    # points and sessions tables above are the responsive pages' work, issue 14)
    sel = "#budget-summary-box, details.budget, #budget-flags, .budget .table-scroll"
    wide = page.evaluate("""s => [...document.querySelectorAll(s)].filter(
        e => e.getBoundingClientRect().right > innerWidth + 1).map(e => e.id || e.className)""", sel)
    assert wide == [] and page.locator("#budget-summary-box").count() == 1
    assert errors == []


def test_recall_page_at_phone_width(browser, demo):  # noqa: F811
    base, _job = demo
    page, errors = _phone(browser, base, "manager", "manager-demo-2026")
    page.goto(f"{base}/recalls")
    assert page.locator("#incident-form").is_visible() and page.locator("#recalls").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1  # this page is all ours
    assert errors == []
