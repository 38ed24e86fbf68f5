"""Issue 11 items 9-10: login throttling, constant-time unknown users, sessions that end, passwords, tokens."""
import datetime as dt

import pytest
import sqlalchemy as sa

from tests.lims.conftest import PASSWORD
from tests.lims.test_pages_support import csrf_of, field_error, login, post_form


def _try_login(client, username, password, addr="127.0.0.1"):
    # the session is bound to the client address ("strong" protection): later requests come from 127.0.0.1
    env = {"REMOTE_ADDR": addr}
    page = client.get("/login?lang=en", environ_base=env).get_data(as_text=True)
    return client.post("/login", data={"csrf_token": csrf_of(page), "username": username, "password": password},
                       environ_base=env)


# -- throttling -------------------------------------------------------------------------------------------

def test_fifty_wrong_passwords_in_a_row_get_429_with_retry_after(client):
    codes = [_try_login(client, "technician", f"wrong-{i}").status_code for i in range(50)]
    assert codes[:10] == [422] * 10
    assert set(codes[10:]) == {429}, codes
    r = _try_login(client, "technician", PASSWORD)  # even the right password waits now
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert "Too many failed log-in attempts" in r.get_data(as_text=True)
    token = csrf_of(client.get("/login?lang=zh").get_data(as_text=True))
    page = client.post("/login?lang=zh", data={"csrf_token": token, "username": "technician", "password": "x"})
    assert page.status_code == 429 and "登录失败次数过多" in page.get_data(as_text=True)


def test_the_account_limit_holds_across_client_addresses(client):
    for i in range(10):
        assert _try_login(client, "lab_manager", "wrong", addr=f"10.0.1.{i}").status_code == 422
    assert _try_login(client, "lab_manager", "wrong", addr="10.0.2.1").status_code == 429
    # another account from a fresh address is not affected
    assert _try_login(client, "technician", PASSWORD, addr="10.0.2.2").status_code == 302


def test_the_address_limit_holds_across_accounts(client):
    codes = [_try_login(client, f"nobody{i}", "wrong", addr="10.9.9.9").status_code for i in range(31)]
    assert codes[:30] == [422] * 30 and codes[30] == 429
    assert _try_login(client, "technician", PASSWORD, addr="10.9.9.8").status_code == 302


def test_successful_logins_do_not_count(client):
    for _ in range(15):
        assert _try_login(client, "admin", PASSWORD).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_of(client.get("/profile").get_data(as_text=True))})


def test_limiter_storage_is_memory_in_development_and_configurable(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_redis_storage_path(db_url, monkeypatch):
    """Production keeps the counts in Redis, shared by every worker (two apps here)."""
    import os
    import random
    import uuid

    import redis

    from tests.lims.conftest import make_app

    url = "redis://127.0.0.1:6379"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {url} is not reachable in CI: {exc}")
        pytest.skip(f"Redis at {url} is not reachable: {exc}")
    monkeypatch.setenv("LIMS_RATELIMIT_STORAGE_URL", url)
    # Redis outlives the test: a fresh account name and address keep runs apart
    username, addr = f"ghost-{uuid.uuid4().hex[:12]}", f"10.{random.randrange(256)}.{random.randrange(256)}.7"
    first = make_app(db_url).test_client()
    assert first.application.config["RATELIMIT_STORAGE_URI"] == url
    for _ in range(10):
        assert _try_login(first, username, "wrong", addr=addr).status_code == 422
    second = make_app(db_url).test_client()
    assert _try_login(second, username, "wrong", addr=addr).status_code == 429
    keys = redis.Redis.from_url(url).keys(f"*{username}*")
    assert keys, "the account's counter is in Redis"


def test_unknown_usernames_cost_one_scrypt_check_like_known_ones(app, monkeypatch):
    """The unknown-user path hashes against a dummy: the same KDF work as a wrong password."""
    import werkzeug.security

    from lims.modules.users import models, operations

    calls = []
    real = werkzeug.security.check_password_hash

    def counting(pwhash, password):
        calls.append(pwhash.split("$", 1)[0])
        return real(pwhash, password)

    monkeypatch.setattr(operations, "check_password_hash", counting)
    monkeypatch.setattr(models, "check_password_hash", counting)
    with app.app_context():
        assert operations.authenticate("no-such-user", "whatever-pw") is None
        assert operations.authenticate("technician", "whatever-pw") is None
    assert len(calls) == 2 and calls[0] == calls[1] and calls[0].startswith("scrypt")


# -- sessions end server-side ------------------------------------------------------------------------------

def test_a_saved_cookie_is_dead_after_logout(app, client):
    login(client, "technician")
    assert client.get("/profile").status_code == 200
    saved = client.get_cookie("session").value
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/profile").get_data(as_text=True))})
    replay = app.test_client()
    replay.set_cookie("session", saved)
    r = replay.get("/profile")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert replay.get("/api/v1/me").status_code == 401


def test_logout_ends_the_users_other_sessions_too(app):
    phone, desk = app.test_client(), app.test_client()
    login(phone, "technician")
    login(desk, "technician")
    desk.post("/logout", data={"csrf_token": csrf_of(desk.get("/profile").get_data(as_text=True))})
    assert phone.get("/profile").status_code == 302


# -- passwords ---------------------------------------------------------------------------------------------

def _change(client, old, new, confirm=None):
    return post_form(client, "/profile/password?lang=en", "/profile/password",
                     {"old_password": old, "new_password": new, "confirm": confirm or new})


def test_change_own_password_needs_the_old_one_and_ends_other_sessions(app):
    mine, other = app.test_client(), app.test_client()
    login(mine, "technician")
    login(other, "technician")
    r = _change(mine, "not-my-password", "a-brand-new-passphrase")
    assert r.status_code == 422 and field_error(r, "old_password") == "This is not your current password."
    r = _change(mine, PASSWORD, "sunshine-2025")
    assert r.status_code == 422 and "most common passwords" in field_error(r, "new_password")
    r = _change(mine, PASSWORD, "short1")
    assert r.status_code == 422 and field_error(r, "new_password") == "At least 10 characters."
    r = _change(mine, PASSWORD, "a-brand-new-passphrase")
    assert r.status_code == 302
    assert mine.get("/profile").status_code == 200  # this session goes on
    assert other.get("/profile").status_code == 302  # the other one ended
    fresh = app.test_client()
    assert _try_login(fresh, "technician", PASSWORD).status_code == 422
    assert _try_login(fresh, "technician", "a-brand-new-passphrase").status_code == 302


def test_password_change_page_in_chinese(client):
    login(client, "technician", lang="zh")
    page = client.get("/profile/password?lang=zh").get_data(as_text=True)
    assert "修改密码" in page and "Change password" not in page


def test_api_password_change_and_policy(api, world):
    r = api("put", "/api/v1/me/password", role="technician",
            json={"old_password": PASSWORD, "new_password": "qwertyuiop"})
    assert r.status_code == 422 and "new_password" in r.json["errors"]
    r = api("put", "/api/v1/me/password", role="technician", json={"old_password": "x", "new_password": "x" * 12})
    assert r.status_code == 422 and "old_password" in r.json["errors"]
    r = api("put", "/api/v1/me/password", role="technician",
            json={"old_password": PASSWORD, "new_password": "plum-orchard-lantern"})
    assert r.status_code == 200 and r.json["must_change_password"] is False


def test_admin_reset_forces_a_change_at_next_login(app, api, world):
    victim = app.test_client()
    login(victim, "lab_manager")
    r = api("put", f"/api/v1/users/{world.users['lab_manager']}/password", role="admin",
            json={"password": "temporary-pass-4711"})
    assert r.status_code == 200 and r.json["must_change_password"] is True
    assert victim.get("/profile").status_code == 302  # the reset ended the session
    assert api("put", f"/api/v1/users/{world.users['lab_manager']}/password", role="technician",
               json={"password": "temporary-pass-4711"}).status_code == 403
    client = app.test_client()
    r = _try_login(client, "lab_manager", "temporary-pass-4711")
    assert r.status_code == 302 and r.headers["Location"].endswith("/profile/password")
    r = client.get("/instruments")
    assert r.status_code == 302 and r.headers["Location"].endswith("/profile/password")
    assert client.get("/api/v1/instruments").status_code == 403
    assert "An administrator reset your password" in client.get("/profile/password?lang=en").get_data(as_text=True)
    assert _change(client, "temporary-pass-4711", "my-own-new-passphrase").status_code == 302
    assert client.get("/instruments").status_code == 200


def test_cli_reset_password(app, world):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["users", "reset-password", "technician", "--password", "Password2024!"])
    assert r.exit_code == 2 and "most common passwords" in r.output
    r = runner.invoke(args=["users", "reset-password", "technician", "--password", "cli-temporary-9931"])
    assert r.exit_code == 0, r.output


# -- tokens: expiry and last use ---------------------------------------------------------------------------

def test_token_expiry_is_optional_and_enforced(app, api):
    r = api("post", "/api/v1/me/tokens", role="technician", json={"name": "short-lived", "expires_in_days": 30})
    assert r.status_code == 201
    created = r.json
    assert created["expires_dt"] and created["state"] == "active"
    headers = {"Authorization": f"Bearer {created['token']}"}
    client = app.test_client()
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert api("post", "/api/v1/me/tokens", role="technician",
               json={"name": "x", "expires_in_days": 0}).status_code == 422
    with app.app_context():
        from lims.extensions import db
        from lims.modules.users.models import ApiToken

        db.session.execute(sa.update(ApiToken).where(ApiToken.id == created["id"])
                           .values(expires_dt=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
        db.session.commit()
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401 and "expired" in r.json["message"]
    listed = {t["id"]: t for t in api("get", "/api/v1/me/tokens", role="technician").json}
    assert listed[created["id"]]["state"] == "expired"


def test_profile_page_creates_an_expiring_token_and_shows_last_use(client, api):
    login(client, "technician")
    api("get", "/api/v1/me", role="technician")  # the fixture token is used once
    r = post_form(client, "/profile?lang=en", "/profile", {"name": "laptop", "expires_in_days": "90"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="new-token"' in page
    expiry = (dt.datetime.now(dt.UTC) + dt.timedelta(days=90)).strftime("%Y-%m-%d")
    assert expiry in page and "Never" in page  # the new token's expiry, the fixture token's none
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    assert page.count(today) >= 2  # created today and last used today


def _last_used(app, token_id):
    with app.app_context():
        from lims.extensions import db
        from lims.modules.users.models import ApiToken

        return db.session.get(ApiToken, token_id).last_used_dt


def _fixture_token_id(app, role):
    with app.app_context():
        from lims.extensions import db
        from lims.modules.users.models import ApiToken, User

        user = db.session.execute(sa.select(User).where(User.username == role)).scalar_one()
        return db.session.execute(sa.select(ApiToken.id).where(ApiToken.user_id == user.id)).scalar_one()


def test_token_last_use_is_written_at_most_once_a_minute_and_outside_the_request(app, api):
    tid = _fixture_token_id(app, "technician")
    # a request that fails (and rolls back) still records the use: it is written in its own transaction
    assert api("get", "/api/v1/instruments/999999", role="technician").status_code == 404
    first = _last_used(app, tid)
    assert first is not None
    api("get", "/api/v1/me", role="technician")
    assert _last_used(app, tid) == first  # not written again within the minute
    with app.app_context():
        from lims.extensions import db
        from lims.modules.users.models import ApiToken

        db.session.execute(sa.update(ApiToken).where(ApiToken.id == tid)
                           .values(last_used_dt=first - dt.timedelta(minutes=2)))
        db.session.commit()
    api("get", "/api/v1/me", role="technician")
    assert _last_used(app, tid) > first - dt.timedelta(minutes=1)


def test_token_use_does_not_write_the_audit_trail_or_bump_anything(app, api):
    from lims.core.audit import AuditEvent

    with app.app_context():
        from lims.extensions import db

        before = db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar()
    for _ in range(3):
        api("get", "/api/v1/me", role="market_manager")
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar() == before


def test_cli_lists_tokens_with_expiry_and_last_use(app, api):
    api("get", "/api/v1/me", role="technician")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tokens", "create", "technician", "--expires-in-days", "7"]).exit_code == 0
    out = runner.invoke(args=["tokens", "list", "technician"]).output
    assert "last used" in out and "expires" in out and "no expiry" in out


@pytest.mark.postgres
def test_a_request_never_waits_for_a_lock_on_its_token_row(app, world):
    """Another transaction holds the token's row lock (as a concurrent request's would have, when last
    use was written inside the request's transaction); requests with that token still go through."""
    import threading

    from tests.lims.conftest import PG_URL

    if not PG_URL:
        pytest.skip("row locks are PostgreSQL's; SQLite serialises every writer anyway")
    tid = _fixture_token_id(app, "technician")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world.tokens['technician']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200  # last use now fresh
    with app.app_context():
        from lims.extensions import db

        engine = db.engine
        holder = engine.connect()
        tx = holder.begin()
        holder.execute(sa.text("SELECT id FROM api_tokens WHERE id = :i FOR UPDATE"), {"i": tid})
        results = []

        def four_requests():
            for _ in range(4):
                results.append(client.get("/api/v1/instruments", headers=headers).status_code)

        worker = threading.Thread(target=four_requests, daemon=True)
        worker.start()
        worker.join(timeout=30)
        blocked = worker.is_alive()
        tx.rollback()
        holder.close()
        worker.join(timeout=30)
    assert not blocked, "a request waited for the token row's lock"
    assert results == [200] * 4
