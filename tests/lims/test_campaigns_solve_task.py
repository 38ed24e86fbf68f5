"""Solving a campaign as a background task: POST /api/v1/campaigns/<id>/plan without a body -> 202 + the task;
the task runs the planning library and imports the plan as visits, or fails with one line and stores nothing."""
import pytest
import sqlalchemy as sa

from tests.lims.campaign_support import setup_register

pytest.importorskip("planning", reason="the planning library is not installed")


@pytest.fixture
def campaign(app, world):
    return setup_register(app, world)


def _counts(app, cid):
    from lims.extensions import db
    from lims.modules.campaigns.models import Visit
    from lims.modules.jobs.models import Job

    with app.app_context():
        visits = db.session.execute(sa.select(sa.func.count()).select_from(Visit)
                                    .where(Visit.campaign_id == cid)).scalar()
        jobs = db.session.execute(sa.select(sa.func.count()).select_from(Job)
                                  .where(Job.notes.like("campaign %"))).scalar()
        db.session.remove()
    return visits, jobs


def test_solve_answers_202_and_the_task_imports_the_plan_as_visits(api, app, campaign):
    cid, _start = campaign
    resp = api("post", f"/api/v1/campaigns/{cid}/plan?time_limit=5", role="lab_manager")
    assert resp.status_code == 202, resp.json
    task = resp.json
    assert task["kind"] == "campaign-plan"
    url = f"/api/v1/tasks/{task['id']}"
    assert resp.headers["Location"].endswith(url) and task["url"] == url
    polled = api("get", task["url"], role="lab_manager").json
    assert polled["status"] == "done", polled
    assert polled["progress"] == 1.0
    # the progress callback wrote the planner's lines (on SQLite the ones after the import began are skipped)
    assert polled["message"] in ("importing the plan", "4 visits planned"), polled["message"]
    visits, jobs = _counts(app, cid)
    assert polled["result"]["visits"] == visits == 4  # one visit per site of the fixture world
    assert jobs == 4  # one booked job per planned instrument
    camp = api("get", f"/api/v1/campaigns/{cid}", role="lab_manager").json
    assert camp["state"] == "planned" and camp["figures"]["visit_count"] == 4
    # asking again now that the campaign has its visits is refused at once, nothing queued
    again = api("post", f"/api/v1/campaigns/{cid}/plan", role="lab_manager")
    assert again.status_code == 409 and "already has planned visits" in again.json["message"]
    assert _counts(app, cid) == (4, 4)


def test_only_the_lab_manager_and_admin_may_start_a_solve(api, app, campaign):
    cid, _start = campaign
    for role in ("technician", "market_manager", "equipment_officer", "market_manager_b"):
        resp = api("post", f"/api/v1/campaigns/{cid}/plan", role=role)
        assert resp.status_code == 403, (role, resp.status_code)
    assert _counts(app, cid) == (0, 0)
    from lims.extensions import db
    from lims.modules.tasks.models import Task

    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Task)).scalar() == 0
        db.session.remove()
    resp = api("post", f"/api/v1/campaigns/{cid}/plan?time_limit=5", role="admin")
    assert resp.status_code == 202 and api("get", resp.json["url"], role="admin").json["status"] == "done"
    assert api("post", "/api/v1/campaigns/9999/plan", role="lab_manager").status_code == 404
    bad = api("post", f"/api/v1/campaigns/{cid}/plan?time_limit=-1", role="lab_manager")
    assert bad.status_code == 422 and "time_limit" in str(bad.json)


def test_a_campaign_with_nothing_to_plan_fails_with_one_line_and_stores_nothing(api, app, campaign):
    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.campaigns.models import TypeMinutes

    cid, _start = campaign
    with app.app_context(), acting_as(None, "tests"):  # no type has minutes: no instrument needs planning
        db.session.execute(sa.delete(TypeMinutes))
        db.session.commit()
    resp = api("post", f"/api/v1/campaigns/{cid}/plan", role="lab_manager")
    assert resp.status_code == 202
    task = api("get", resp.json["url"], role="lab_manager").json
    assert task["status"] == "failed" and task["error"] == f"campaign {cid}: no instrument needs planning"
    assert "\n" not in task["error"]
    assert _counts(app, cid) == (0, 0)
    # a double click: the same task (run again, still failing the same way)
    again = api("post", f"/api/v1/campaigns/{cid}/plan", role="lab_manager")
    assert again.status_code == 202 and again.json["id"] == resp.json["id"]
    assert api("get", again.json["url"], role="lab_manager").json["attempts"] == 2


def test_an_instance_the_planner_refuses_fails_the_task_and_nothing_is_half_imported(api, app, campaign):
    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.campaigns.models import Campaign

    cid, _start = campaign
    with app.app_context(), acting_as(None, "tests"):  # a stored weekday the planner's contract refuses
        db.session.get(Campaign, cid).workdays = [1, 2, 9]
        db.session.commit()
    resp = api("post", f"/api/v1/campaigns/{cid}/plan?time_limit=5", role="lab_manager")
    assert resp.status_code == 202
    task = api("get", resp.json["url"], role="lab_manager").json
    assert task["status"] == "failed", task
    assert task["error"].startswith("the planner refused the instance: horizon.workdays[2]"), task["error"]
    assert "\n" not in task["error"]
    assert _counts(app, cid) == (0, 0)
    assert api("get", f"/api/v1/campaigns/{cid}", role="lab_manager").json["state"] == "draft"


def test_a_double_click_with_a_real_queue_gets_the_same_task_and_the_worker_runs_it_once(db_url, world, tmp_path):
    """With a queue that is not run inside the request (SQLite Huey, no worker yet), two POSTs return the same
    queued task; the worker's entry point then runs it once."""
    from tests.lims.conftest import make_app

    app = make_app(db_url, TASK_QUEUE=f"sqlite:///{tmp_path / 'queue.db'}")
    cid, _start = setup_register(app, world)
    client = app.test_client()
    first = client.post(f"/api/v1/campaigns/{cid}/plan?time_limit=5", headers=world.auth("lab_manager"))
    second = client.post(f"/api/v1/campaigns/{cid}/plan?time_limit=5", headers=world.auth("lab_manager"))
    assert first.status_code == second.status_code == 202
    assert first.json["id"] == second.json["id"] and second.json["status"] == "queued"
    assert _counts(app, cid) == (0, 0)
    from lims.extensions import db
    from lims.modules.tasks import operations as tasks
    from lims.modules.tasks import queue

    with app.app_context():
        assert queue.depth() == 1  # one message on the queue, not two
        tasks.execute(first.json["id"])
        db.session.remove()
    done = client.get(first.json["url"], headers=world.auth("lab_manager")).json
    assert done["status"] == "done" and done["attempts"] == 1 and done["result"]["visits"] == 4
    assert _counts(app, cid) == (4, 4)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
