"""Password change and token expiry pages in a real browser at phone width, under the real CSP."""
import pytest

from tests.lims.browser_support import BROWSER_MARKS, serve  # `browser`: the session fixture in conftest.py
from tests.lims.conftest import PASSWORD

pytestmark = BROWSER_MARKS
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def live_server(app):
    server = serve(app)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def phone(browser):  # noqa: F811  (the fixture)
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    page.csp_errors = []
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp_errors.append(m.text))
    yield page
    context.close()


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_change_password_at_phone_width_in_chinese(phone, live_server):
    phone.goto(f"{live_server}/login")
    phone.fill("#username", "technician")
    phone.fill("#password", PASSWORD)
    phone.click("#submit")
    phone.wait_for_url(f"{live_server}/instruments")
    phone.goto(f"{live_server}/profile")
    phone.click("#change-password-link")
    assert "修改密码" in phone.inner_text("h1") and _fits(phone)
    phone.fill("#old_password", PASSWORD)
    phone.fill("#new_password", "sunshine2024")
    phone.fill("#confirm", "sunshine2024")
    phone.click("#password-form #submit")
    assert "最常见的密码" in phone.inner_text("#new_password-error") and _fits(phone)
    phone.fill("#old_password", PASSWORD)
    phone.fill("#new_password", "copper-kettle-meadow")
    phone.fill("#confirm", "copper-kettle-meadow")
    phone.click("#password-form #submit")
    phone.wait_for_url(f"{live_server}/profile")
    assert "密码已修改" in phone.inner_text("main")
    assert phone.csp_errors == []


def test_token_with_expiry_on_the_profile_at_phone_width(phone, live_server):
    phone.goto(f"{live_server}/login")
    phone.fill("#username", "equipment_officer")
    phone.fill("#password", PASSWORD)
    phone.click("#submit")
    phone.wait_for_url(f"{live_server}/instruments")
    phone.goto(f"{live_server}/profile")
    phone.fill("#name", "ward tablet")
    phone.select_option("#expires_in_days", "30")
    phone.click("#token-form #submit")
    assert phone.inner_text("#new-token").startswith("lims_")
    row = phone.locator("#tokens tr", has_text="ward tablet").inner_text()
    assert "20" in row and "永不过期" not in row  # an expiry date, not "never"
    assert "永不过期" in phone.inner_text("#tokens")  # the fixture token has none
    assert _fits(phone), "the profile page scrolls sideways at phone width"
    assert phone.csp_errors == []


def test_logout_in_the_browser_kills_a_copied_cookie(browser, live_server):  # noqa: F811
    ctx = browser.new_context(viewport=PHONE)
    page = ctx.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#username", "technician")
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(f"{live_server}/instruments")
    cookies = ctx.cookies()
    page.click("button.navbar-toggler")  # on a phone the log-out button is in the folded menu
    page.click("header form button")
    thief = browser.new_context()
    thief.add_cookies(cookies)
    other = thief.new_page()
    other.goto(f"{live_server}/profile")
    assert "/login" in other.url
    thief.close()
    ctx.close()
