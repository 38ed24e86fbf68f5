"""Authorisation matrix of the issuance endpoints: every role × own/other organisation × endpoint.

"own" is a certificate (or job) of the caller's organisation (lab staff and admins: market_a);
"other" one of another customer (hospital_b for lab staff). Both are prepared in the same fresh
database, then each endpoint is called once per scope.
"""
import pytest

from tests.lims.test_authorization_matrix import ROLES, org_of
from tests.lims.test_issuance_support import approve_job, issue, keyed_app, token_of  # noqa: F401

SCOPED = {"admin": (200, 200), "lab_manager": (200, 200), "technician": (200, 200),
          "market_manager": (200, 403), "equipment_officer": (200, 403)}
MANAGER = {"admin": (200, 200), "lab_manager": (200, 200), "technician": (403, 403),
           "market_manager": (403, 403), "equipment_officer": (403, 403)}
CREATED = {r: tuple(201 if c == 200 else c for c in codes) for r, codes in MANAGER.items()}

# (case id, method, path(cert, job_id), body or None, expected {role: (own, other)})
CASES = [
    ("issue", "post", lambda c, j: f"/api/v1/jobs/{j}/certificate", {}, CREATED),
    ("list", "get", lambda c, j: "/api/v1/certificates", None, {r: (200, 200) for r in ROLES[1:]}),
    ("get", "get", lambda c, j: f"/api/v1/certificates/{c['id']}", None, SCOPED),
    ("pdf", "get", lambda c, j: f"/api/v1/certificates/{c['id']}/pdf", None, SCOPED),
    ("dcc", "get", lambda c, j: f"/api/v1/certificates/{c['id']}/dcc", None, SCOPED),
    ("stickers", "get", lambda c, j: f"/api/v1/certificates/stickers?ids={c['id']}", None, SCOPED),
    ("revoke", "post", lambda c, j: f"/api/v1/certificates/{c['id']}/revoke", {"reason": "wrong"}, MANAGER),
    ("replace", "post", lambda c, j: f"/api/v1/certificates/{c['id']}/replace", {"reason": "typo"}, CREATED),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matrix(keyed_app, api, world, case, role):
    name, method, path, body, expected = case
    scopes = ("own",) if role == "anonymous" else ("own", "other")
    lookup = "lab_manager" if role == "anonymous" else role
    for scope in scopes:
        org = org_of(lookup, scope)
        if name == "issue":
            cert, job_id = None, approve_job(api, world, org)
        else:
            cert, job_id = issue(api, world, org), None
        kwargs = {"json": body} if body is not None else {}
        resp = api(method, path(cert, job_id), role=role, **kwargs)
        want = 401 if role == "anonymous" else expected[role][0 if scope == "own" else 1]
        assert resp.status_code == want, (scope, resp.get_data(as_text=True)[:300])
        if want >= 400:
            assert resp.is_json and "message" in resp.json


@pytest.mark.parametrize("role", ROLES)
def test_public_pages_need_no_login(keyed_app, api, client, world, role):
    cert = issue(api, world)
    headers = world.auth(role)
    assert client.get("/.well-known/lims-keys.json", headers=headers).status_code == 200
    r = client.get(f"/v/{token_of(cert)}", headers=headers)
    assert r.status_code == 200 and 'data-verdict="valid"' in r.get_data(as_text=True)
