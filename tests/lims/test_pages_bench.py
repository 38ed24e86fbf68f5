"""The bench part of the job page: a stored reading becomes a point's indication with one click (audited as
coming from that reading), and each instrument kind shows its own error formula from its procedure file."""
import datetime as dt
import re
import tomllib

import pytest

from tests.lims.browser_support import BROWSER_MARKS, serve  # `browser`: the session fixture in conftest.py
from tests.lims.conftest import PASSWORD
from tests.lims.test_measurements_api import make_ready, store_readings
from tests.lims.test_pages_support import csrf_of, login, text_of


def start_session(api, job):
    r = api("post", f"/api/v1/jobs/{job}/sessions", role="technician", json={"count": 5})
    assert r.status_code == 201, r.json
    return r.json["id"]


def pick(client, job, point, session, sequence):
    page = client.get(f"/jobs/{job}").get_data(as_text=True)
    return client.post(f"/jobs/{job}/points/pick", data={"pick-csrf_token": csrf_of(page), "pick-point": point,
                                                         "pick-session_id": session, "pick-sequence": sequence})


def point_row(page, point):
    return re.search(rf'<tr data-point="{re.escape(point)}".*?</tr>', page, re.S).group(0)


def test_a_stored_reading_becomes_a_points_indication_with_one_click(app, api, world):
    job = make_ready(api, world)
    sid = start_session(api, job)
    store_readings(app, sid, 3)  # 1 g, 2 g, 3 g
    client = login(app.test_client(), "technician")
    page = client.get(f"/jobs/{job}").get_data(as_text=True)
    assert page.count('class="pick-form') == 4  # three stored readings and the template for live ones
    first = api("get", f"/api/v1/jobs/{job}/procedure").json["points"][0]["point"]
    assert re.search(rf'<option value="{re.escape(first)}" selected>', page)  # the first point not measured yet
    r = pick(client, job, first, sid, 2)
    assert r.status_code == 302 and r.location.endswith("#test-points")
    page = text_of(client.get(f"/jobs/{job}"))
    assert f"indication 2 from reading 2 of session {sid}" in page
    row = point_row(page, first)
    assert f"from reading 2 of session {sid}" in row and ">2<" in row.replace("<br>", "<")
    result = api("get", f"/api/v1/jobs/{job}/procedure").json["points"][0]["result"]
    assert result["indication"] == "2" and result["session_id"] == sid and result["sequences"] == [2]
    # the audit trail says where the indication came from
    events = api("get", "/api/v1/audit-events", role="admin", query_string={"entity": "PointResult"}).json["items"]
    assert any(e["changes"].get("sequences") in ([None, [2]], [[2]]) or e["changes"].get("session_id")
               for e in events)
    # the next point is now preselected
    page = client.get(f"/jobs/{job}").get_data(as_text=True)
    second = api("get", f"/api/v1/jobs/{job}/procedure").json["points"][1]["point"]
    assert re.search(rf'<option value="{re.escape(second)}" selected>', page)


@pytest.mark.parametrize("lang,point,session,sequence,field,message", [
    ("en", None, None, 99, "sequence", "has no reading 99"),
    ("zh", None, None, 99, "sequence", "没有读数 99"),
    ("en", None, 999999, 1, "session_id", "no measurement session 999999"),
    ("en", "nope", None, 1, "point", "not a test point of this job"),
    ("zh", None, None, "x", "sequence", "读数"),
])
def test_a_bad_pick_names_the_field_never_a_500(app, api, world, lang, point, session, sequence, field, message):
    job = make_ready(api, world)
    sid = start_session(api, job)
    store_readings(app, sid, 1)
    client = login(app.test_client(), "technician", lang=lang)
    first = api("get", f"/api/v1/jobs/{job}/procedure").json["points"][0]["point"]
    r = pick(client, job, point or first, session or sid, sequence)
    assert r.status_code == 422
    shown = re.search(rf'id="pick-{field}-error">([^<]*)<', text_of(r))
    assert shown and message in shown.group(1), text_of(r)[-3000:]


def test_customers_cannot_pick(app, api, world):
    job = make_ready(api, world)
    client = login(app.test_client(), "market_manager")
    page = client.get(f"/jobs/{job}").get_data(as_text=True)
    assert "pick-form" not in page
    r = client.post(f"/jobs/{job}/points/pick", data={"pick-csrf_token": csrf_of(page), "pick-point": "x",
                                                      "pick-session_id": 1, "pick-sequence": 1})
    assert r.status_code == 403


def test_each_instrument_kind_shows_its_own_formula_from_its_procedure(app, api, world):
    scale = make_ready(api, world)
    client = login(app.test_client(), "technician")
    page = text_of(client.get(f"/jobs/{scale}?lang=en"))
    assert "E = I + ½e − ΔL − L" in page and "Ec = E − E0" in page
    nibp = world.jobs["hospital_a"]
    page = text_of(client.get(f"/jobs/{nibp}?lang=en"))
    formula = re.search(r'id="formula">(.*?)</p>', page, re.S).group(1)
    assert "static pressure error = indicated pressure − reference manometer pressure" in formula
    assert "ΔL" not in formula
    page = text_of(client.get(f"/jobs/{nibp}?lang=zh"))
    assert "静态压力示值误差 = 血压计示值 − 标准压力计示值" in page
    proc = api("get", f"/api/v1/jobs/{nibp}/procedure").json
    assert proc["formula_en"].startswith("static pressure error")


def test_every_procedure_file_carries_its_formula():
    from lims.modules.procedures.definitions import DATA_DIR, ProcedureDataError, validate

    for path in sorted(DATA_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assert {"zh", "en", "source"} <= set(data["formula"]), path.name
    data = tomllib.loads((DATA_DIR / "jjg270-2008.toml").read_text(encoding="utf-8"))
    data["formula"] = {"zh": "误差", "en": ""}
    with pytest.raises(ProcedureDataError, match="formula"):
        validate(data, "jjg270-2008.toml")
    thermometer = tomllib.loads((DATA_DIR / "jjg1162-2019.toml").read_text(encoding="utf-8"))
    assert "bath temperature" in thermometer["formula"]["en"] and "恒温槽" in thermometer["formula"]["zh"]


@BROWSER_MARKS[0]
@BROWSER_MARKS[1]
def test_the_technician_picks_a_live_reading_with_one_click(browser, app, api, world):
    from instruments import AcceptedReading, Reading
    from lims.modules.measurements.acquisition import DatabaseSink

    job = make_ready(api, world)
    sid = start_session(api, job)
    store_readings(app, sid, 1)
    app.config["READINGS_STREAM_SECONDS"] = 3
    first, second = [p["point"] for p in api("get", f"/api/v1/jobs/{job}/procedure").json["points"][:2]]
    server = serve(app)
    base = f"http://127.0.0.1:{server.server_port}"
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        problems = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.goto(f"{base}/login?lang=en")
        page.fill("#username", "technician")
        page.fill("#password", PASSWORD)
        page.click("#submit")
        page.goto(f"{base}/jobs/{job}")
        # a stored reading: one click
        page.locator("#live-readings tbody tr").first.locator("button.pick").click()
        page.wait_for_url(re.compile(r".*#test-points$"))
        assert f"from reading 1 of session {sid}" in page.inner_text(f"tr[data-point='{first}']")
        # a reading the bench stores while the page is open arrives live, with its own button
        with app.app_context():
            DatabaseSink(sid).accept(AcceptedReading(2, Reading(2.5, "g", True, dt.datetime.now(dt.UTC),
                                                                b"S S       2.50 g"), None))
        live = page.locator("#live-readings tbody tr").filter(has_text="2.5 g")
        live.wait_for(timeout=20_000)
        assert live.locator("select").input_value() == second  # the next point not measured yet
        live.locator("button.pick").click()
        page.wait_for_url(re.compile(r".*#test-points$"))
        assert f"from reading 2 of session {sid}" in page.inner_text(f"tr[data-point='{second}']")
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
        assert problems == []
    finally:
        context.close()
        server.shutdown()
