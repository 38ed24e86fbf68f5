"""The job page in a real browser: the bench command copied from the page runs, and its readings appear live."""
import os
import shlex
import subprocess

import pytest

from tests.lims.browser_support import BROWSER_MARKS, serve  # `browser`: the session fixture in conftest.py
from tests.lims.conftest import PASSWORD
from tests.lims.test_measurements_api import make_ready
from tests.lims.test_measurements_page_command import LIMS, ROOT

pytestmark = BROWSER_MARKS


@pytest.fixture
def live_server(app):
    server = serve(app)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize("lang,stable", [("en", "stable"), ("zh", "稳定")])
def test_readings_appear_live_as_the_copied_command_stores_them(app, api, browser, live_server, world,  # noqa: F811
                                                               db_url, lang, stable):
    job = make_ready(api, world)
    app.config["READINGS_STREAM_SECONDS"] = 5  # the browser reconnects after each response (Last-Event-ID)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" and "404" not in msg.text
            else None)
    page.on("response", lambda r: problems.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
    page.goto(f"{live_server}/login?lang={lang}")
    page.fill("#username", "technician")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.goto(f"{live_server}/jobs/{job}")
    command = page.inner_text("#bench-command pre")
    argv = shlex.split(command)
    env = dict(os.environ, LIMS_DATABASE_URL=db_url, PYTHONPATH=ROOT)
    done = subprocess.run([LIMS, *argv[1:]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = page.locator("#live-readings tbody tr")
    # Playwright's expect polls without evaluating a string (wait_for_function does, and the pages' CSP has no
    # 'unsafe-eval': it failed whenever the readings were not all there at the first look)
    from playwright.sync_api import expect  # noqa: PLC0415 (only where a browser runs: skipped without one)

    expect(rows).to_have_count(10, timeout=20_000)
    assert rows.first.locator("td").nth(1).inner_text() == "10"  # newest first
    assert rows.first.locator("td").nth(3).inner_text().endswith(" g")
    assert rows.first.locator("td").nth(4).inner_text() == stable
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert problems == []  # no CSP violation, no script error
    context.close()
