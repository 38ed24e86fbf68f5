"""Admin pages: organisations, users (create, role, deactivate, reset password) and instrument types.

"As admin I create a market, its manager and a user reset entirely in pages" (issue 14).
"""
import re

import pytest

from tests.lims.test_pages_support import ROLES, field_error, login, post_form, text_of


def _org_id(location):
    return int(re.search(r"/admin/organisations/(\d+)$", location).group(1))


def _user_id(location):
    return int(re.search(r"/admin/users/(\d+)$", location).group(1))


def test_admin_creates_a_market_its_manager_and_resets_a_password(app, world):
    admin = login(app.test_client(), "admin")
    r = post_form(admin, "/admin/organisations", "/admin/organisations",
                  {"kind": "market", "name": "南屏农贸市场", "district": "五华区", "contact": "赵经理 0871-1234567"})
    assert r.status_code == 302, text_of(r)
    org = _org_id(r.location)
    page = text_of(admin.get(f"/admin/organisations/{org}"))
    assert "南屏农贸市场" in page and "赵经理 0871-1234567" in page

    r = post_form(admin, "/admin/users", "/admin/users",
                  {"username": "nanping", "display_name": "赵经理", "role": "market_manager",
                   "organisation_id": org, "password": "first-password-1"})
    assert r.status_code == 302, text_of(r)
    uid = _user_id(r.location)
    assert "nanping" in text_of(admin.get(f"/admin/organisations/{org}"))

    manager = app.test_client()
    login(manager, "nanping", "first-password-1")
    assert "共 0 台" in text_of(manager.get("/instruments?lang=zh"))  # a new market: its own (empty) register

    r = post_form(admin, f"/admin/users/{uid}", f"/admin/users/{uid}/password",
                  {"password": "second-password-2", "confirm": "second-password-2"}, prefix="reset")
    assert r.status_code == 302
    fresh = app.test_client()
    page = fresh.get("/login?lang=en").get_data(as_text=True)
    from tests.lims.test_pages_support import csrf_of

    r = fresh.post("/login", data={"csrf_token": csrf_of(page), "username": "nanping", "password": "first-password-1"})
    assert r.status_code == 422  # the old password no longer works
    login(app.test_client(), "nanping", "second-password-2")


def test_admin_deactivates_a_user_who_then_cannot_log_in_and_cannot_deactivate_self(app, world):
    admin = login(app.test_client(), "admin")
    uid = world.users["market_manager"]
    from lims.extensions import db
    from lims.modules.users.models import User

    with app.app_context():
        version = db.session.get(User, uid).version
    r = post_form(admin, f"/admin/users/{uid}", f"/admin/users/{uid}",
                  {"version": version, "display_name": "market_manager", "role": "market_manager",
                   "organisation_id": world.orgs["market_a"]}, prefix="edit")  # "active" unticked
    assert r.status_code == 302
    assert "deactivated" in text_of(admin.get(f"/admin/users/{uid}"))
    client = app.test_client()
    page = client.get("/login?lang=en").get_data(as_text=True)
    from tests.lims.test_pages_support import csrf_of

    r = client.post("/login", data={"csrf_token": csrf_of(page), "username": "market_manager",
                                     "password": "correct-horse-battery"})
    assert r.status_code == 422

    me = world.users["admin"]
    with app.app_context():
        version = db.session.get(User, me).version
    r = post_form(admin, f"/admin/users/{me}", f"/admin/users/{me}",
                  {"version": version, "display_name": "admin", "role": "admin", "organisation_id": world.orgs["lab"]},
                  prefix="edit")
    assert r.status_code == 409 and "cannot deactivate your own account" in text_of(r)


def test_a_role_that_does_not_fit_the_organisation_and_a_taken_name_are_shown_beside_the_field(app, world):
    admin = login(app.test_client(), "admin", lang="zh")
    r = post_form(admin, "/admin/users", "/admin/users",
                  {"username": "x1", "display_name": "X", "role": "lab_manager",
                   "organisation_id": world.orgs["market_a"], "password": "long-enough-pw"})
    assert r.status_code == 422 and field_error(r, "role") == "与所属单位的类别不符"
    r = post_form(admin, "/admin/users", "/admin/users",
                  {"username": "technician", "display_name": "X", "role": "technician",
                   "organisation_id": world.orgs["lab"], "password": "long-enough-pw"})
    assert r.status_code == 409 and field_error(r, "username") == "已被占用"
    r = post_form(admin, "/admin/organisations", "/admin/organisations", {"kind": "market", "name": "market_a org"})
    assert r.status_code == 409 and "已存在" in field_error(r, "name")
    r = post_form(admin, "/admin/users", "/admin/users",
                  {"username": "bad name!", "display_name": "", "role": "technician",
                   "organisation_id": world.orgs["lab"], "password": "short"})
    assert r.status_code == 422
    assert field_error(r, "display_name") == "该字段是必填字段。"  # wtforms' own zh catalogue
    assert "字母" in field_error(r, "username")
    assert "10" in field_error(r, "password") and re.search(r"[\u4e00-\u9fff]", field_error(r, "password"))


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_admins_open_the_user_and_organisation_pages(client, world, role):
    login(client, role)
    for url in ("/admin/users", f"/admin/users/{world.users['admin']}", "/admin/organisations",
                f"/admin/organisations/{world.orgs['lab']}"):
        assert client.get(url).status_code == 403, url


def test_instrument_types_and_their_procedures_are_shown_read_only(client, world):
    login(client, "technician")
    page = text_of(client.get("/admin/types"))
    assert "scale.price_computing" in page and "JJG 539-2016" in page
    page = text_of(client.get("/admin/types/sphygmomanometer.nibp"))
    assert "JJG 692-2010" in page and "0, 50, 100, 150, 200, 250" in page and "3 mmHg" in page
    assert client.get("/admin/types/no.such.type").status_code == 404
    login(client, "market_manager")
    assert client.get("/admin/types").status_code == 403


def test_the_world_and_the_demo_create_organisations_through_the_one_operation(app):
    """issue 9: the uniqueness check lives in organisations.operations, and a second create is refused."""
    from lims.core.http import Conflict
    from lims.modules.organisations.operations import create_organisation

    with app.app_context():
        with pytest.raises(Conflict):
            create_organisation({"kind": "market", "name": " MARKET_A org "})
