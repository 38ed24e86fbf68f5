"""The task page in a real browser: the bar moves as the task progresses, survives a reload, and shows the end."""
import pytest

from tests.lims.browser_support import BROWSER_MARKS, serve  # `browser`: the session fixture in conftest.py
from tests.lims.conftest import PASSWORD

pytestmark = BROWSER_MARKS


@pytest.fixture
def live_server(app):
    server = serve(app)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _set(app, task_id, **values):
    from lims.extensions import db
    from lims.modules.tasks.models import Task

    with app.app_context():
        table = Task.__table__
        db.session.execute(table.update().where(table.c.id == task_id).values(**values))
        db.session.commit()
        db.session.remove()


def test_progress_bar_follows_the_task_and_survives_a_reload(app, browser, live_server, world):  # noqa: F811
    from lims.extensions import db
    from lims.modules.tasks.models import Task

    with app.app_context():
        task = Task(kind="instrument_import", key="browser-1", payload={}, owner_id=world.users["market_manager"],
                    status="running", progress=0.25, message="5000 / 20000")
        db.session.add(task)
        db.session.commit()
        task_id = task.id
        db.session.remove()
    context = browser.new_context(locale="en-GB", viewport={"width": 390, "height": 800})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login?lang=en")
    page.fill("#username", "market_manager")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.goto(f"{live_server}/tasks/{task_id}")
    assert page.locator("#task-progress").get_attribute("value") == "25"
    _set(app, task_id, progress=0.6, message="12000 / 20000")
    # polled from here: wait_for_function evaluates a string, which the pages' CSP (no 'unsafe-eval') refuses
    bar = page.locator("#task-progress")
    for _ in range(100):
        if bar.evaluate("el => el.value") == 60:
            break
        page.wait_for_timeout(100)
    assert bar.evaluate("el => el.value") == 60
    assert page.locator("#task-message").inner_text() == "12000 / 20000"
    page.reload()
    assert page.locator("#task-progress").get_attribute("value") == "60"
    _set(app, task_id, status="done", progress=1.0, message="20000 / 20000", result={"created": 20000})
    page.wait_for_selector("#task-result:not([hidden])", timeout=10_000)
    assert "20000 instruments imported." in page.locator("#task-result").inner_text()
    assert page.locator("#task-status").inner_text() == "Finished"
    assert errors == []
    context.close()
