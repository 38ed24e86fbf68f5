"""Every role's pages on a phone (390×844) and a desktop (1280×800) in Debian's Chromium.

For each page in the role's navigation plus the detail pages it reaches (an instrument, a job, a
certificate, a standard, a bench, the forms) and the public check page:

- no horizontal scrolling: ``document.documentElement.scrollWidth <= innerWidth``;
- axe-core (the npm package, installed for the tests only by ``make test-js`` or by this module into
  ``build/test-node``, injected by the test and never served by the app) finds no serious or
  critical violation;
- a full-page screenshot is saved under ``$LIMS_TEST_ARTIFACTS`` (default ``build/test-artifacts``).
"""
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from tests.lims.browser_support import BROWSER_MARKS, serve  # `browser`: the session fixture in conftest.py
from tests.lims.conftest import PASSWORD
from tests.lims.test_issuance_support import issue, keyed_app, token_of  # noqa: F401  (fixture)
from tests.lims.test_measurements_api import make_ready, store_readings

pytestmark = BROWSER_MARKS

ROOT = pathlib.Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / "build" / "test-node"
AXE = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_VERSION = "4.10.3"
ARTIFACTS = pathlib.Path(os.environ.get("LIMS_TEST_ARTIFACTS") or ROOT / "build" / "test-artifacts")
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
ROLES = ("admin", "lab_manager", "technician", "market_manager", "equipment_officer")


def install_axe():
    """Return axe-core's source, installing the npm package into build/test-node when it is missing."""
    if not AXE.exists():
        npm = shutil.which("npm")
        if npm is None:
            if os.environ.get("CI"):
                pytest.fail("npm is missing: axe-core cannot be installed for the accessibility checks")
            pytest.skip("npm not installed: `make test-js` installs axe-core for the accessibility checks")
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        (NODE_DIR / "package.json").write_text('{"private": true}\n')
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(NODE_DIR),
                        f"axe-core@{AXE_VERSION}"], check=True, capture_output=True, timeout=300)
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def axe_source():
    return install_axe()


@pytest.fixture
def site(keyed_app, api, world):
    """The live app with a certificate for a market's and a hospital's instrument."""
    certs = {key: issue(api, world, key) for key in ("market_a", "hospital_a")}
    # hospital_b's job in progress with stored readings: the job page's live readings and their pick buttons
    job = make_ready(api, world, org="hospital_b")
    session = api("post", f"/api/v1/jobs/{job}/sessions", role="technician", json={"count": 5}).json["id"]
    store_readings(keyed_app, session, 2)
    keyed_app.config["READINGS_STREAM_SECONDS"] = 2
    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.complaints import operations as complaints
    from lims.modules.equipment.models import Instrument
    from lims.modules.jobs.operations import batch_of, book_batch
    from lims.modules.users.models import User

    with keyed_app.app_context(), acting_as(None, "public"):
        for key in ("market_a", "hospital_a"):
            inst = db.session.get(Instrument, world.instruments[f"{key}_0"])
            certs[key]["complaint"] = complaints.report(inst, {"text": "读数偏低 / reads low", "phone": ""},
                                                        "k" * 64, key.ljust(64, "0")).id
            owner = db.session.get(User, world.users["market_manager" if key == "market_a" else "equipment_officer"])
            [job] = book_batch(owner, [world.instruments[f"{key}_1"]], notes="ward 3 / 三号病区")
            certs[key]["batch"] = batch_of(job).id
        db.session.commit()
    server = serve(keyed_app)
    yield f"http://127.0.0.1:{server.server_port}", certs
    server.shutdown()


def run_axe(page, source):
    """axe-core's serious and critical violations on the current page: ``[(id, impact, help, targets)]``."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => [v.id, v.impact, v.help, v.nodes.slice(0, 3).map(n => n.target.join(' '))]);
    }""")
    return [tuple(v[:3]) + (v[3],) for v in found if v[1] in ("serious", "critical")]


def check_page(page, source, url, shot):
    """Open ``url``; return the problems found (overflow, axe) and save a screenshot."""
    resp = page.goto(url)
    assert resp is not None and resp.status < 500, (url, resp and resp.status)
    problems = []
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if width[0] > width[1]:
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className)""")
        problems.append((url, "scrolls sideways", width, wide))
    for v in run_axe(page, source):
        problems.append((url,) + v)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{shot}.png"), full_page=True)
    return problems


def pages_of(page, base, role, world, certs):
    """The role's navigation links and the detail pages it reaches."""
    nav = page.evaluate("() => [...document.querySelectorAll('#site-nav a[id^=nav-]')]"
                        ".map(a => a.getAttribute('href'))")
    own = {"market_manager": "market_a", "equipment_officer": "hospital_a"}.get(role, "market_a")
    cert = certs[own]
    urls = list(dict.fromkeys(nav)) + [
        f"/instruments/{world.instruments[own + '_0']}", f"/jobs/{world.jobs[own]}", f"/certificates/{cert['id']}",
        "/profile", f"/V/{token_of(cert)}", f"/report/{token_of(cert)}", "/lookup",
        f"/complaints/{cert['complaint']}", f"/batches/{cert['batch']}",
    ]
    if role in ("market_manager", "equipment_officer"):
        urls.append("/bookings/delivery-note")
        code = "scale.price_computing" if own == "market_a" else "sphygmomanometer.nibp"
        urls.append(f"/instruments/new?type_code={code}")
    if role in ("admin", "lab_manager", "technician"):
        urls += [f"/standards/{world.standards['good']}", f"/jobs/{world.jobs['hospital_b']}"]
    if role in ("admin", "lab_manager"):
        urls += ["/standards/new", f"/benches/{world.benches['good']}/edit"]
    if role in ("admin", "lab_manager", "technician"):
        urls += ["/admin/types", "/admin/types/scale.price_computing"]
    if role == "admin":
        urls += [f"/admin/users/{world.users['market_manager']}", f"/admin/organisations/{world.orgs['market_a']}",
                 "/instruments/new?type_code=scale.price_computing"]
    return urls


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("role", ROLES)
def test_no_page_scrolls_sideways_and_axe_finds_nothing_serious(browser, site, world, axe_source, role, viewport):
    base, certs = site
    context = browser.new_context(locale="zh-CN", viewport=VIEWPORTS[viewport], bypass_csp=True)
    page = context.new_page()
    try:
        problems = check_page(page, axe_source, f"{base}/login", f"anonymous-{viewport}-login")
        page.fill("#username", role)
        page.fill("#password", PASSWORD)
        page.click("#submit")
        page.wait_for_url(re.compile(r".*/instruments.*"))
        urls = pages_of(page, base, role, world, certs)
        assert len(urls) >= 6, urls
        for n, url in enumerate(urls):
            slug = re.sub(r"[^A-Za-z0-9]+", "_", url.split("?")[0]).strip("_")[:40] or "home"
            problems += check_page(page, axe_source, base + url, f"{role}-{viewport}-{n:02d}-{slug}")
        assert not problems, "\n".join(map(repr, problems))
    finally:
        context.close()
