"""Job pages: the work list, one job, the workflow steps and issuing, per role."""
import pytest

from tests.lims.test_pages_support import field_error, job_version, login, post_form, step, text_of


@pytest.mark.parametrize("role,count", [("admin", 4), ("lab_manager", 4), ("technician", 4),
                                        ("market_manager", 1), ("equipment_officer", 1)])
def test_job_list_is_scoped_to_the_organisation(client, world, role, count):
    login(client, role)
    r = client.get("/jobs")
    assert r.status_code == 200
    assert f"{count} jobs" in text_of(r)
    assert text_of(r).count('<tr data-job=') == count
from tests.lims.test_issuance_support import keyed_app, measure_all  # noqa: E402,F401  (fixture)


def test_anonymous_is_sent_to_the_login_page(client, world):
    r = client.get(f"/jobs/{world.jobs['market_a']}")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert client.get("/jobs").status_code == 302


def test_filters_by_state_and_serial_number_and_pages(client, app, world):
    login(client, "technician")
    step(client, app, world.jobs["market_b"], "receive")
    r = text_of(client.get("/jobs?state=received"))
    assert "1 jobs" in r and "market_b-0" in r and "market_a-0" not in r
    r = text_of(client.get("/jobs?q=hospital_a"))
    assert "1 jobs" in r and "hospital_a-0" in r
    assert "4 jobs" in text_of(client.get("/jobs?state=nonsense"))  # an unknown state is ignored
    r = text_of(client.get("/jobs?page=2"))
    assert "<tr data-job=" not in r and 'id="prev-page"' in r
    assert client.get("/jobs?page=-5").status_code == 200


@pytest.mark.parametrize("role,own,other", [("market_manager", "market_a", "market_b"),
                                            ("equipment_officer", "hospital_a", "hospital_b")])
def test_customers_read_their_own_jobs_only_and_take_no_steps(client, app, world, role, own, other):
    login(client, role)
    assert client.get(f"/jobs/{world.jobs[other]}").status_code == 403
    assert client.get("/jobs/999999").status_code == 404
    r = client.get(f"/jobs/{world.jobs[own]}")
    assert r.status_code == 200 and f"{own}-0" in text_of(r)
    assert 'id="do-receive"' not in text_of(r) and "Measurement sessions" not in text_of(r)
    r = post_form(client, f"/jobs/{world.jobs[own]}", f"/jobs/{world.jobs[own]}/steps/receive",
                  {"version": job_version(app, world.jobs[own])}, prefix="receive")
    assert r.status_code == 403


def test_a_step_without_csrf_token_is_refused(client, app, world):
    login(client, "technician")
    job = world.jobs["market_a"]
    r = client.post(f"/jobs/{job}/steps/receive", data={"receive-version": job_version(app, job)})
    assert r.status_code == 400
    assert "booked" in text_of(client.get(f"/jobs/{job}"))


def test_unknown_step_is_404(client, app, world):
    login(client, "technician")
    assert step(client, app, world.jobs["market_a"], "teleport").status_code == 404


def test_full_workflow_through_the_pages_with_four_eyes(client, app, world, keyed_app, api):
    job = world.jobs["market_a"]
    login(client, "technician")
    page = text_of(client.get(f"/jobs/{job}"))
    assert 'id="do-receive"' in page and 'id="do-start"' not in page
    assert step(client, app, job, "receive").status_code == 302
    page = text_of(client.get(f"/jobs/{job}"))
    assert 'id="do-start"' in page and 'id="do-receive"' not in page
    r = step(client, app, job, "start", bench_id=world.benches["overdue"])
    assert r.status_code == 409 and "past its calibration due date" in text_of(r)
    assert step(client, app, job, "start", bench_id=world.benches["good"]).status_code == 302
    page = text_of(client.get(f"/jobs/{job}"))  # where the readings come from: the bench command
    assert 'id="bench-command"' in page and "no serial ports configured" in page  # this bench has none
    r = step(client, app, job, "submit", result="", notes="")
    assert r.status_code == 422 and "required to submit" in field_error(r, "submit-result")
    r = step(client, app, job, "submit", result="pass", performed_on="not a date")
    assert r.status_code == 422 and field_error(r, "submit-performed_on")
    measure_all(api, job)  # no pass without every planned test point measured
    r = step(client, app, job, "submit", result="pass",
             notes="R: item=称量 10 kg; item_en=Weighing; nominal=10.000; measured=10.010; mpe=0.010; unit=kg; "
                   "result=pass")
    assert r.status_code == 302
    page = text_of(client.get(f"/jobs/{job}"))
    assert 'data-state="awaiting_approval"' in page and 'id="do-approve"' not in page
    assert step(client, app, job, "approve").status_code == 403  # a technician never approves
    assert step(client, app, job, "submit", result="pass").status_code == 409  # not from this state
    client.post("/logout", data={"csrf_token": ""})
    client.cookie_jar.clear() if hasattr(client, "cookie_jar") else None

    manager = app.test_client()
    login(manager, "lab_manager")
    page = text_of(manager.get(f"/jobs/{job}"))
    assert 'id="do-approve"' in page and 'id="do-reject"' in page and 'id="four-eyes"' not in page
    assert "technician" in page  # who did the steps
    stale = step(manager, app, job, "approve", version=1)
    assert stale.status_code == 409 and "reload it" in text_of(stale)
    assert step(manager, app, job, "approve").status_code == 302
    page = text_of(manager.get(f"/jobs/{job}"))
    assert 'id="do-issue"' in page and 'id="do-return"' in page
    r = post_form(manager, f"/jobs/{job}", f"/jobs/{job}/certificate", {"remarks": "x" * 1001})
    assert r.status_code == 422 and "1000" in field_error(r, "remarks")
    r = post_form(manager, f"/jobs/{job}", f"/jobs/{job}/certificate", {"remarks": "客户自送 / brought in"})
    assert r.status_code == 302 and "/certificates/" in r.headers["Location"]
    cert_page = text_of(manager.get(r.headers["Location"]))
    assert "Verified, valid until" in cert_page and "brought in" not in cert_page
    page = text_of(manager.get(f"/jobs/{job}"))
    assert 'id="do-issue"' not in page and "JD-" in page
    # a second issue is refused by the service, shown as a message
    r = post_form(manager, f"/jobs/{job}", f"/jobs/{job}/certificate", {"remarks": ""})
    assert r.status_code == 409 and "already has certificate" in text_of(r)


def test_the_person_who_did_the_work_cannot_approve_it(client, app, world):
    job = world.jobs["hospital_a"]
    login(client, "lab_manager")
    for action, data in (("receive", {}), ("start", {"bench_id": world.benches["good"]}),
                         ("submit", {"result": "fail", "notes": "the cuff leaks"})):
        assert step(client, app, job, action, **data).status_code == 302
    page = text_of(client.get(f"/jobs/{job}"))
    assert 'id="four-eyes"' in page and 'id="do-approve"' not in page and 'id="do-reject"' not in page
    r = step(client, app, job, "approve")
    assert r.status_code == 409 and "four-eyes" in text_of(r)
    assert 'data-state="awaiting_approval"' in text_of(client.get(f"/jobs/{job}"))


@pytest.mark.parametrize("role", ["technician", "market_manager"])
def test_only_a_lab_manager_issues(client, app, world, role):
    login(client, role)
    job = world.jobs["market_a"]
    r = client.post(f"/jobs/{job}/certificate", data={"csrf_token": "x"})
    assert r.status_code in (400, 403)
    page = client.get("/jobs").get_data(as_text=True)
    from tests.lims.test_pages_support import csrf_of
    r = client.post(f"/jobs/{job}/certificate", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 403


def test_sessions_and_readings_summary_for_lab_staff(client, app, world):
    import datetime as dt

    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.jobs.models import Job
    from lims.modules.measurements import operations as m_ops
    from lims.modules.measurements.models import Reading
    from lims.modules.users.models import User

    job_id = world.jobs["market_a"]
    login(client, "technician")
    step(client, app, job_id, "receive")
    step(client, app, job_id, "start", bench_id=world.benches["good"])
    with app.app_context(), acting_as(None, "test"):
        job = db.session.get(Job, job_id)
        tech = db.session.get(User, world.users["technician"])
        s = m_ops.start_session(job, tech, driver="mtsics", port="sim://mtsics", count=3, test_point="10 kg")
        now = dt.datetime.now(dt.UTC)
        for n, v in enumerate((10.0, 10.02, 10.01), start=1):
            db.session.add(Reading(session_id=s.id, sequence=n, raw=b"S S 10 kg", value=v, unit="kg",
                                   is_stable=True, instrument_dt=now))
        s.accepted_count = 3
        db.session.commit()
    page = text_of(client.get(f"/jobs/{job_id}"))
    assert "10 kg" in page and "n = 3, min 10, max 10.02, mean 10.01 kg" in page and "3 / 3" in page
    other = app.test_client()
    login(other, "market_manager")
    page = text_of(other.get(f"/jobs/{job_id}"))
    assert "sim://mtsics" not in page and "mean" not in page


def test_pages_are_bilingual(client, world):
    login(client, "technician", lang="zh")
    page = text_of(client.get("/jobs"))
    assert "工作任务" in page and "已预约" in page
    page = text_of(client.get(f"/jobs/{world.jobs['market_a']}?lang=en"))
    assert "Receive" in page and "booked" in page
