"""Shared helpers of the page tests (this module holds no tests itself): log in, read CSRF tokens, post forms."""
import html
import re

from tests.lims.conftest import PASSWORD

LAB = ("admin", "lab_manager", "technician")
CUSTOMERS = ("market_manager", "equipment_officer")
ROLES = LAB + CUSTOMERS


def csrf_of(text, prefix=""):
    """A CSRF token from ``text`` (the session's token: any form's, e.g. the log-out form's, will do)."""
    for tag in re.findall(r"<input[^>]*>", text):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and value and name.group(1).endswith("csrf_token"):
            return value.group(1)
    raise AssertionError("no CSRF token in the page")


def login(client, username, password=PASSWORD, lang="en"):
    """Log ``client`` in through the login form (English pages unless ``lang`` says otherwise)."""
    page = client.get(f"/login?lang={lang}").get_data(as_text=True)
    r = client.post("/login", data={"csrf_token": csrf_of(page), "username": username, "password": password})
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


def field_error(response, field_id):
    """The message shown beside the field ``field_id`` (None when there is none)."""
    m = re.search(rf'id="{re.escape(field_id)}-error">([^<]*)<', response.get_data(as_text=True))
    return html.unescape(m.group(1)) if m else None


def post_form(client, page_url, action_url, data, prefix=""):
    """GET ``page_url`` for a CSRF token, then POST ``data`` (keys without the prefix) to ``action_url``."""
    token = csrf_of(client.get(page_url).get_data(as_text=True), prefix)
    pre = f"{prefix}-" if prefix else ""
    body = {f"{pre}csrf_token": token, **{f"{pre}{k}": v for k, v in data.items()}}
    return client.post(action_url, data=body)


def job_version(app, job_id):
    from lims.extensions import db
    from lims.modules.jobs.models import Job

    with app.app_context():
        return db.session.get(Job, job_id).version


def step(client, app, job_id, action, **data):
    """Take a workflow step through the job page's form."""
    data.setdefault("version", job_version(app, job_id))
    return post_form(client, f"/jobs/{job_id}", f"/jobs/{job_id}/steps/{action}", data, prefix=action)
