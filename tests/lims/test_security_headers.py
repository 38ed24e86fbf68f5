"""Issue 11 item 11: production headers, a CSP the pages keep, body limits, JSON nesting."""
import json
import re

import pytest

from lims.core.security import csp_hash, inline_blocks
from tests.lims.conftest import PASSWORD, make_app
from tests.lims.test_pages_support import csrf_of

PRODUCTION_SECRET = "x" * 64


@pytest.fixture
def prod_client(db_url, monkeypatch):
    monkeypatch.setenv("LIMS_ENV", "production")
    monkeypatch.setenv("LIMS_SECRET_KEY", PRODUCTION_SECRET)
    app = make_app(db_url, SECRET_KEY=PRODUCTION_SECRET)
    assert app.config["ENV_NAME"] == "production"
    return app.test_client()


def test_the_production_headers_are_there(prod_client):
    # TLS ends at the reverse proxy; it tells the app with X-Forwarded-Proto (or the request is https)
    r = prod_client.get("/login", base_url="https://lims.example.org")
    h = r.headers
    assert h["Strict-Transport-Security"].startswith("max-age=31536000")
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    csp = h["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert h["Referrer-Policy"] == "same-origin"


def test_the_production_session_cookie_is_secure_and_httponly(prod_client):
    page = prod_client.get("/login", base_url="https://lims.example.org").get_data(as_text=True)
    r = prod_client.post("/login", base_url="https://lims.example.org",
                         headers={"Referer": "https://lims.example.org/login"},  # Flask-WTF's strict https check
                         data={"csrf_token": csrf_of(page), "username": "technician", "password": PASSWORD})
    assert r.status_code == 302
    cookie = next(v for k, v in r.headers.items() if k == "Set-Cookie" and v.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_development_sends_the_csp_but_no_hsts(client):
    r = client.get("/login")
    assert "Content-Security-Policy" in r.headers and "X-Content-Type-Options" in r.headers
    assert "Strict-Transport-Security" not in r.headers


def test_every_inline_block_is_plain_and_allowed_by_its_hash(client):
    """Inline <script>/<style> must be static text (no template markup) so the CSP can pin its hash."""
    csp = client.get("/login").headers["Content-Security-Policy"]
    blocks = list(inline_blocks())
    for path, tag, body in blocks:
        assert "{{" not in body and "{%" not in body, f"{path}: an inline {tag} with template markup"
        assert csp_hash(body) in csp, path
    for path, _tag, _body in blocks:
        text = open(path, encoding="utf-8").read()
        assert not re.search(r"\son[a-z]+\s*=", text), f"{path}: inline event handler"


def test_no_template_uses_inline_style_attributes_or_event_handlers():
    import pathlib

    from lims.core.security import TEMPLATES_DIR

    for path in pathlib.Path(TEMPLATES_DIR).rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<[^>]+\sstyle\s*=", text), f"{path}: style= attribute (the CSP blocks it)"
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", text), f"{path}: inline event handler (the CSP blocks it)"


def test_api_docs_page_has_no_inline_script(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert re.findall(r"<script>", page) == [] and "apidocs.js" in page
    assert client.get("/static/apidocs.js").status_code == 200


def test_a_huge_body_is_413_without_being_read(api):
    r = api("post", "/api/v1/instruments", data=b"[" * (13 * 1024 * 1024), content_type="application/json")
    assert r.status_code == 413 and r.json["code"] == 413


def test_a_large_json_body_is_413_before_parsing(api):
    body = json.dumps({"model": "x" * (3 * 1024 * 1024)})
    r = api("post", "/api/v1/instruments", data=body, content_type="application/json")
    assert r.status_code == 413 and "JSON body" in r.json["message"]


@pytest.mark.parametrize("path", ["/api/v1/instruments", "/api/v1/me/tokens"])
def test_a_json_body_nested_too_deep_is_400_not_500(api, path):
    r = api("post", path, data="[" * 100000 + "]" * 100000, content_type="application/json")
    assert r.status_code == 400 and "nested too deeply" in r.json["message"]
    r = api("post", path, data='{"a":' * 50000 + "1" + "}" * 50000, content_type="application/json")
    assert r.status_code == 400


def test_the_public_check_is_rate_limited_per_address_generously(app, client):
    app.config["PUBLIC_CHECK_LIMIT"] = "5 per minute"
    codes = [client.get("/V/NOT-A-TOKEN", environ_base={"REMOTE_ADDR": "10.3.3.3"}).status_code for _ in range(6)]
    assert 429 not in codes[:5] and codes[5] == 429
    assert client.get("/V/NOT-A-TOKEN", environ_base={"REMOTE_ADDR": "10.3.3.4"}).status_code != 429
    r = client.get("/V/NOT-A-TOKEN", environ_base={"REMOTE_ADDR": "10.3.3.3"})
    assert int(r.headers["Retry-After"]) > 0


def test_the_default_public_check_limit_is_generous(app):
    from limits import parse_many

    per_minute = [lim for lim in parse_many(app.config["PUBLIC_CHECK_LIMIT"]) if lim.GRANULARITY.name == "minute"]
    assert per_minute and per_minute[0].amount >= 60
