"""Campaign pages: dashboards per role, booking through the page, recall page/CSV/.ics (organisation
scoped, notices logged), coverage with a server-rendered SVG chart, and the public coverage page."""
import datetime as dt
import re

import pytest

from tests.lims.campaign_support import next_monday, setup_register
from tests.lims.test_campaigns_plan import _plan
from tests.lims.test_pages_support import login, post_form, text_of

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)")  # scripts come from static files only (CSP)

DAY = next_monday(7)


@pytest.fixture
def planned(app, api, world):
    """A campaign with one visit per site (the plan imported through the API) and bench capacity."""
    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.campaigns import operations as ops

    cid, start = setup_register(app, world, start=DAY)
    inst = api("get", f"/api/v1/campaigns/{cid}/instance", role="lab_manager").json
    resp = api("post", f"/api/v1/campaigns/{cid}/plan", role="lab_manager", json=_plan(inst, start))
    assert resp.status_code == 201, resp.json
    with app.app_context(), acting_as(None, "tests"):
        ops.open_capacity(DAY + dt.timedelta(days=7), "pressure", 60)
        db.session.commit()
    return cid, resp.json


def test_market_manager_dashboard_shows_the_next_visit(client, world, planned):
    login(client, "market_manager")
    page = text_of(client.get("/dashboard"))
    visit = next(v for v in planned[1] if v["organisation_id"] == world.orgs["market_a"])
    assert f'id="next-visit-date"><time datetime="{visit["day"]}">' in page
    assert "market_a-1" in page and "market_b-1" not in page  # my scale, not the other market's
    assert "My instruments by status" in page and "My coverage" in page


def test_equipment_officer_dashboard_lists_my_bookings(client, api, world, planned):
    resp = api("post", "/api/v1/bookings", role="equipment_officer_b",
               json={"instrument_ids": [world.instruments["hospital_b_0"]], "day": str(DAY + dt.timedelta(days=7))})
    assert resp.status_code == 409  # hospital_b_0 has an open job in the fixture world
    login(client, "equipment_officer")
    page = text_of(client.get("/dashboard"))
    assert "My bookings" in page and "Certificates ready" in page and "Next visit date" in page


def test_lab_dashboard_has_calendar_capacity_backlog_and_targets(client, world, planned):
    login(client, "lab_manager")
    page = text_of(client.get("/dashboard"))
    assert 'id="calendar"' in page and "Market crew" in page and "Medical crew" in page
    for section in ("capacity-use", "backlog", "coverage-district", "coverage-type"):
        assert f'id="{section}"' in page
    login(client, "lab_manager", lang="zh")
    assert client.get("/dashboard").status_code == 200


def test_booking_through_the_page_and_the_last_capacity_message(client, app, world, planned):
    login(client, "equipment_officer")
    day = (DAY + dt.timedelta(days=7)).isoformat()
    page = text_of(client.get("/bookings"))
    assert f'data-day="{day}" data-kind="pressure"' in page
    resp = post_form(client, "/bookings", "/bookings",
                     {"day": day, "notes": "ward 3"}, prefix="book")
    assert resp.status_code == 422 and "Select at least one instrument" in text_of(resp)
    token_page = client.get("/bookings").get_data(as_text=True)
    from tests.lims.test_pages_support import csrf_of

    resp = client.post("/bookings", data={"book-csrf_token": csrf_of(token_page), "book-day": str(DAY - dt.timedelta(
        days=30)), "instrument_ids": [world.instruments["hospital_a_1"]]})
    assert resp.status_code == 422 and "is in the past" in text_of(resp)


def test_recall_page_csv_and_ics_are_scoped_and_logged(client, app, world, planned):
    icalendar = pytest.importorskip("icalendar")
    login(client, "market_manager")
    page = text_of(client.get("/recall?within_days=60"))
    assert "market_a-1" in page and "market_b" not in page
    csv_text = client.get("/recall.csv?within_days=60").get_data(as_text=True)
    assert "market_a-1" in csv_text and "market_b-1" not in csv_text
    # a customer cannot ask for another organisation's list: the organisation is always their own
    other = client.get(f"/recall.csv?organisation_id={world.orgs['market_b']}").get_data(as_text=True)
    assert "market_b" not in other
    resp = client.get("/recall.ics")
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(resp.data)
    events = [c for c in cal.walk("VEVENT")]
    summaries = " ".join(str(e.get("summary")) + str(e.get("description", "")) for e in events)
    assert any(str(e.get("summary")).startswith("Verification visit") for e in events)
    assert "market_a-1" in summaries and "market_b" not in summaries
    assert all(e.get("uid") and e.get("dtstamp") for e in events)
    feed = text_of(client.get("/recall")).split('id="recall-feed" href="')[1].split('"')[0]
    anonymous = app.test_client()
    assert anonymous.get(feed.replace("http://localhost", "")).status_code == 200
    assert anonymous.get("/calendar/forged-token.ics").status_code == 404
    from lims.extensions import db
    from lims.modules.campaigns.models import Notice

    with app.app_context():
        channels = sorted(n.channel for n in db.session.query(Notice).all())
        assert channels == ["csv", "csv", "ics", "ics", "page", "page"]
        assert {n.organisation_id for n in db.session.query(Notice).all()} == {world.orgs["market_a"]}


def test_coverage_page_has_an_svg_chart_and_csv(client, world, planned):
    login(client, "lab_manager")
    resp = client.get("/coverage?group_by=type")
    page = text_of(resp)
    assert resp.status_code == 200 and "<svg" in page and not INLINE_SCRIPT.search(page)
    csv_text = client.get("/coverage.csv?group_by=organisation").get_data(as_text=True)
    assert csv_text.startswith("organisation_id,organisation,kind,under_control,verified")
    assert client.get("/coverage?bogus=1").status_code == 422
    login(client, "market_manager")
    csv_text = client.get("/coverage.csv?group_by=organisation").get_data(as_text=True)
    assert "market_a org" in csv_text and "market_b org" not in csv_text


def test_public_coverage_needs_no_login_and_shows_no_names(app, world, planned):
    anonymous = app.test_client()
    resp = anonymous.get("/public/coverage")
    page = text_of(resp)
    assert resp.status_code == 200 and "public" in resp.headers["Cache-Control"]
    assert "<svg" in page and not INLINE_SCRIPT.search(page) and "cdn" not in page.lower()
    for secret in ("market_a", "market_b", "hospital_a", "hospital_b", "ACME", "market_manager", "Wang"):
        assert secret not in page
    csv_text = anonymous.get("/public/coverage.csv?group_by=type").get_data(as_text=True)
    assert csv_text.startswith("type,name_en,name_zh,under_control") and "org" not in csv_text
    assert anonymous.get("/public/coverage.csv?group_by=organisation").status_code == 422
    assert anonymous.get("/public/coverage?owner=1").status_code == 422
    assert anonymous.get("/public/coverage?lang=zh").status_code == 200


def test_visit_page_moves_and_shows_conflicts(client, app, world, planned):
    visit = planned[1][0]
    login(client, "lab_manager")
    holiday = (DAY + dt.timedelta(days=1)).isoformat()
    resp = post_form(client, f"/visits/{visit['id']}", f"/visits/{visit['id']}",
                     {"version": visit["version"], "day": holiday, "crew_id": visit["crew_id"]}, prefix="move")
    assert resp.status_code == 409 and "holiday" in text_of(resp)
    later = (DAY + dt.timedelta(days=21)).isoformat()
    resp = post_form(client, f"/visits/{visit['id']}", f"/visits/{visit['id']}",
                     {"version": visit["version"], "day": later, "crew_id": visit["crew_id"]}, prefix="move")
    assert resp.status_code == 302
    assert f'id="visit-day">{later}<' in text_of(client.get(f"/visits/{visit['id']}"))
    login(client, "market_manager")
    other = next(v for v in planned[1] if v["organisation_id"] != world.orgs["market_a"])
    assert client.get(f"/visits/{other['id']}").status_code == 403


@pytest.mark.parametrize("role,urls", [
    ("lab_manager", ["/dashboard", "/campaigns", "/campaigns/register", "/bookings", "/recall", "/coverage",
                     "/visits/1"]),
    ("equipment_officer", ["/dashboard", "/bookings", "/recall", "/coverage"]),
    ("market_manager", ["/dashboard", "/recall", "/coverage"]),
])
def test_every_campaign_page_renders_in_chinese(client, world, planned, role, urls):
    login(client, role, lang="zh")
    for url in urls:
        resp = client.get(url)
        page = text_of(resp)
        assert resp.status_code == 200, url
        assert "工作台" in page, url  # the navigation, in Chinese
    assert "检定覆盖率" in text_of(client.get("/public/coverage"))
    assert "Dashboard" not in text_of(client.get("/dashboard"))


def test_recall_notices_are_listed_per_organisation(client, api, world, planned):
    assert api("get", "/api/v1/recall?within_days=10", role="market_manager").status_code == 200
    assert api("get", f"/api/v1/recall?organisation_id={world.orgs['hospital_b']}", role="lab_manager").status_code \
        == 200
    mine = api("get", "/api/v1/notices", role="market_manager").json
    assert [(n["organisation_id"], n["channel"], n["within_days"]) for n in mine["items"]] == [
        (world.orgs["market_a"], "api", 10)]
    assert api("get", "/api/v1/notices", role="lab_manager").json["total"] == 2
    assert api("get", "/api/v1/notices?org=1", role="lab_manager").status_code == 422


def test_public_coverage_is_cached(app, api, world, planned):
    anonymous = app.test_client()

    def under_control(period):
        rows = anonymous.get(f"/public/coverage.csv?group_by=type&{period}").get_data(as_text=True).splitlines()
        return sum(int(r.split(",")[3]) for r in rows[1:])

    before = under_control("from=2020-01-01&to=2020-12-31")
    assert anonymous.get("/public/coverage?from=2020-01-01&to=2020-12-31").status_code == 200
    resp = api("post", "/api/v1/instruments", role="market_manager",
               json={"type_code": "scale.price_computing", "manufacturer": "N", "model": "N", "serial_number": "cache",
                     "characteristics": {"max": 15000, "min": 100, "e": 5, "d": 5, "accuracy_class": "III"}})
    assert resp.status_code == 201
    assert under_control("from=2020-01-01&to=2020-12-31") == before  # cached
    assert under_control("from=2020-01-01&to=2020-12-30") == before + 1  # another period: computed now


def test_register_page_adds_crews_and_refuses_bad_input(client, world, planned):
    from tests.lims.test_pages_support import field_error

    login(client, "lab_manager")
    from tests.lims.test_pages_support import csrf_of

    token = csrf_of(client.get("/campaigns/register").get_data(as_text=True))
    resp = client.post("/campaigns/register", data={"form": "crew", "crew-csrf_token": token, "crew-name": "Crew 3",
                                                    "crew-type_codes": "scale.digital", "crew-minutes_per_day": 400,
                                                    "crew-days_off": "2027-02-30"})
    assert resp.status_code == 422 and "2027-02-30 is not a date" in field_error(resp, "crew-days_off")
    resp = client.post("/campaigns/register", data={"form": "crew", "crew-csrf_token": token, "crew-name": "Crew 3",
                                                    "crew-type_codes": "scale.digital", "crew-minutes_per_day": 400,
                                                    "crew-members": "A, B", "crew-days_off": "2027-03-01"})
    assert resp.status_code == 302
    page = text_of(client.get("/campaigns/register"))
    assert "Crew 3" in page and "A, B" in page
    # a holiday on a day with planned visits is refused, nothing stored
    resp = client.post("/campaigns/register", data={"form": "holiday", "holiday-csrf_token": token,
                                                    "holiday-day": DAY.isoformat(), "holiday-name": "x"})
    assert resp.status_code == 409 and "move them before declaring a holiday" in text_of(resp)
    login(client, "technician")
    assert client.get("/campaigns/register").status_code == 200
    token = csrf_of(client.get("/campaigns/register").get_data(as_text=True))
    assert client.post("/campaigns/register", data={"form": "holiday", "holiday-csrf_token": token,
                                                    "holiday-day": "2030-01-01"}).status_code == 403
