"""The campaign page's "Plan this campaign" button: a POST form with CSRF that starts the planner as a
background task and redirects to the task's progress page (results or the one-line error shown there)."""
import re

import pytest
import sqlalchemy as sa

from tests.lims.campaign_support import setup_register
from tests.lims.test_pages_support import csrf_of, login, post_form, text_of

pytest.importorskip("planning", reason="the planning library is not installed")


@pytest.fixture
def campaign(app, world):
    return setup_register(app, world)


def _visits(app, cid):
    from lims.extensions import db
    from lims.modules.campaigns.models import Visit

    with app.app_context():
        n = db.session.execute(sa.select(sa.func.count()).select_from(Visit).where(Visit.campaign_id == cid)).scalar()
        db.session.remove()
    return n


def test_the_button_starts_the_task_and_the_progress_page_shows_the_visits(client, app, campaign):
    cid, _start = campaign
    login(client, "lab_manager")
    page = text_of(client.get(f"/campaigns/{cid}"))
    form = re.search(r'<form method="post" action="([^"]+)" id="solve-form">(.*?)</form>', page, re.S)
    assert form and form.group(1) == f"/campaigns/{cid}/solve"
    assert "csrf_token" in form.group(2) and "Plan this campaign" in form.group(2)
    assert client.post(f"/campaigns/{cid}/solve").status_code == 400  # no CSRF token: refused, nothing started
    assert _visits(app, cid) == 0
    resp = post_form(client, f"/campaigns/{cid}", f"/campaigns/{cid}/solve", {})
    assert resp.status_code == 302
    task_url = resp.headers["Location"]
    assert re.fullmatch(r"/tasks/\d+", task_url), task_url
    shown = text_of(client.get(task_url))
    assert "Plan a campaign" in shown and 'id="task-status">Finished<' in shown
    assert "4 visits planned." in shown and f'href="/campaigns/{cid}"' in shown
    assert _visits(app, cid) == 4
    # again (a late second click): nothing new is started, the page says why
    again = post_form(client, f"/campaigns/{cid}", f"/campaigns/{cid}/solve", {})
    assert again.status_code == 302 and again.headers["Location"] == f"/campaigns/{cid}"
    assert "already has planned visits" in text_of(client.get(f"/campaigns/{cid}"))
    assert _visits(app, cid) == 4


def test_a_failed_solve_shows_one_line_on_the_progress_page_in_chinese_too(client, app, campaign):
    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.campaigns.models import TypeMinutes

    cid, _start = campaign
    with app.app_context(), acting_as(None, "tests"):
        db.session.execute(sa.delete(TypeMinutes))
        db.session.commit()
    login(client, "lab_manager", lang="zh")
    resp = post_form(client, f"/campaigns/{cid}", f"/campaigns/{cid}/solve", {})
    assert resp.status_code == 302
    shown = text_of(client.get(resp.headers["Location"]))
    error = re.search(r'id="task-error">([^<]*)<', shown)
    assert error and error.group(1) == f"检定活动 {cid}：没有需要排程的器具"
    assert "检定活动排程" in shown
    assert _visits(app, cid) == 0


def test_the_technician_sees_no_button_and_may_not_start_a_solve(client, app, campaign):
    cid, _start = campaign
    login(client, "technician")
    page = client.get(f"/campaigns/{cid}").get_data(as_text=True)
    assert 'id="solve-form"' not in page
    resp = client.post(f"/campaigns/{cid}/solve", data={"csrf_token": csrf_of(page)})
    assert resp.status_code == 403
    assert _visits(app, cid) == 0
