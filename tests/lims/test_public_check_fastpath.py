"""The public check's WSGI fast path: a repeated check skips Flask, but nothing it must decide per request."""
import time

import pytest

from tests.lims.test_issuance_support import issue, keyed_app, token_of, verdict_of  # noqa: F401


@pytest.fixture
def answered(monkeypatch):
    """Count the requests the Flask view answers (those the fast path did not)."""
    from lims.modules.issuance import views

    calls = []
    real = views._answer

    def counting(token, today):
        calls.append(token)
        return real(token, today)

    monkeypatch.setattr(views, "_answer", counting)
    return calls


def test_a_repeated_check_is_replayed_with_the_same_headers_and_body(keyed_app, api, client, world, answered):
    token = token_of(issue(api, world))
    first = client.get(f"/V/{token}")
    again = client.get(f"/V/{token}")
    assert len(answered) == 1, "the second check should not reach the Flask view"
    assert again.status_code == first.status_code == 200 and again.data == first.data
    for header in ("ETag", "Cache-Control", "Vary", "Content-Security-Policy", "X-Frame-Options", "X-Robots-Tag",
                   "Content-Type"):
        assert again.headers.get(header) == first.headers.get(header), header
    assert again.headers["X-RateLimit-Remaining"] != first.headers["X-RateLimit-Remaining"]
    assert "Set-Cookie" not in again.headers


def test_the_fast_path_keeps_page_json_and_language_apart(keyed_app, api, client, world, answered):
    """The check page is bilingual (Chinese first); each language and the JSON are still computed and kept apart."""
    token = token_of(issue(api, world))
    for _ in range(2):
        zh = client.get(f"/V/{token}", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        en = client.get(f"/V/{token}", headers={"Accept-Language": "en-GB,en;q=0.8"})
        js = client.get(f"/V/{token}", headers={"Accept": "application/json", "Accept-Language": "en"})
        assert "合格" in zh.get_data(as_text=True) and zh.content_type.startswith("text/html")
        assert "passed its verification" in en.get_data(as_text=True) and "合格" in en.get_data(as_text=True)
        assert js.get_json()["status"] == "valid" and js.content_type == "application/json"
    assert len(answered) == 3, "each of the three answers is computed once, then replayed"
    # ?lang= and a session cookie are the view's to decide (it stores the choice in the session)
    assert client.get(f"/V/{token}?lang=en").status_code == 200
    assert client.get(f"/V/{token}", headers={"Accept-Language": "zh"}).status_code == 200
    assert len(answered) == 5, "with a session cookie the request goes to the view"


def test_the_fast_path_still_refuses_a_revoked_certificate(keyed_app, api, client, world, answered):
    cert = issue(api, world)
    token = token_of(cert)
    assert verdict_of(client.get(f"/V/{token}").get_data(as_text=True)) == "valid"
    assert verdict_of(client.get(f"/V/{token}").get_data(as_text=True)) == "valid"
    r = api("post", f"/api/v1/certificates/{cert['id']}/revoke", role="lab_manager", json={"reason": "wrong weights"})
    assert r.status_code == 200
    assert verdict_of(client.get(f"/V/{token}").get_data(as_text=True)) == "revoked"


def test_a_revocation_on_another_node_reaches_the_fast_path_through_the_stamp(keyed_app, api, client, world,
                                                                             monkeypatch):
    """The revoking process is another node: only the database stamp tells this one."""
    from lims.modules.issuance import public

    keyed_app.config["PUBLIC_CHECK_STAMP_SECONDS"] = 0.3
    cert = issue(api, world)
    token = token_of(cert)
    for _ in range(2):
        assert client.get(f"/V/{token}", headers={"Accept": "application/json"}).get_json()["status"] == "valid"
    monkeypatch.setattr(public, "invalidate_local", lambda: None)
    r = api("post", f"/api/v1/certificates/{cert['id']}/revoke", role="lab_manager", json={"reason": "wrong"})
    assert r.status_code == 200
    time.sleep(0.35)
    assert client.get(f"/V/{token}", headers={"Accept": "application/json"}).get_json()["status"] == "revoked"


def test_the_fast_path_still_rate_limits_per_address(keyed_app, api, client, world, answered):
    keyed_app.config["PUBLIC_CHECK_LIMIT"] = "4 per minute"
    token = token_of(issue(api, world))
    codes = [client.get(f"/V/{token}", environ_base={"REMOTE_ADDR": "10.9.9.9"}) for _ in range(6)]
    assert [r.status_code for r in codes] == [200, 200, 200, 200, 429, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in codes[:4]] == ["3", "2", "1", "0"]
    assert "429" in codes[4].get_data(as_text=True) and int(codes[4].headers["Retry-After"]) > 0
    assert len(answered) == 1, "the refusal comes from Flask-Limiter; the three replays did not reach the view"
    assert client.get(f"/V/{token}", environ_base={"REMOTE_ADDR": "10.9.9.8"}).status_code == 200


def test_a_conditional_request_and_a_not_genuine_token_go_to_the_view(keyed_app, api, client, world, answered):
    token = token_of(issue(api, world))
    etag = client.get(f"/V/{token}").headers["ETag"]
    assert client.get(f"/V/{token}", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/V/NOT-A-TOKEN").status_code == 404
    assert client.get("/V/NOT-A-TOKEN").status_code == 404
    assert answered == [token, token, "NOT-A-TOKEN", "NOT-A-TOKEN"]


def test_a_replayed_check_is_still_timed_in_the_metrics(keyed_app, api, client, world, answered):
    import re

    token = token_of(issue(api, world))

    def count():
        text = client.get("/metrics").get_data(as_text=True)
        m = re.search(r'lims_http_request_duration_seconds_count\{endpoint="issuance_pages.check",method="GET"\} '
                      r'([0-9.]+)', text)
        return float(m.group(1)) if m else 0.0

    before = count()
    for _ in range(3):
        assert client.get(f"/V/{token}").status_code == 200
    assert len(answered) == 1 and count() == before + 3
