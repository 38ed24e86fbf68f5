"""Restore drill: back up -> wipe the database and the keys -> restore -> every certificate still checks."""
import os
import shutil

import sqlalchemy as sa

from tests.lims import pg
from tests.lims.conftest import PG_URL, make_app
from tests.lims.test_issuance_support import issue, keyed_app, token_of  # noqa: F401

PASS = "correct horse battery staple"


def _statuses(app, tokens):
    client = app.test_client()
    out = {}
    for number, token in tokens.items():
        r = client.get(f"/V/{token}", headers={"Accept": "application/json"})
        out[number] = (r.status_code, r.get_json()["status"])
    return out


def _wipe(app, db_url):
    from lims.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if db_url.startswith("sqlite:///"):
        path = db_url[len("sqlite:///"):]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    else:
        name = db_url.rsplit("/", 1)[1]
        pg.drop_database(PG_URL, name)
        pg.create_database(PG_URL, name)
    shutil.rmtree(app.config["KEY_DIR"])


def test_backup_wipe_restore_and_every_certificate_still_verifies(keyed_app, api, world, db_url, tmp_path):
    a = issue(api, world)
    b = issue(api, world, "hospital_a")
    assert api("post", f"/api/v1/certificates/{b['id']}/revoke", role="lab_manager",
               json={"reason": "wrong weights"}).status_code == 200
    tokens = {c["number"]: token_of(c) for c in (a, b)}
    before = _statuses(keyed_app, tokens)
    assert before == {a["number"]: (200, "valid"), b["number"]: (200, "revoked")}
    archive = str(tmp_path / "lims.backup")
    runner = keyed_app.test_cli_runner()
    result = runner.invoke(args=["backup", archive], env={"LIMS_BACKUP_PASSPHRASE": PASS})
    assert result.exit_code == 0, result.output
    assert "2 certificates" in result.output
    raw = open(archive, "rb").read()
    assert raw.startswith(b"LIMSBAK1") and b"PRIVATE KEY" not in raw and b"certificates" not in raw

    _wipe(keyed_app, db_url)
    fresh = make_app(db_url, KEY_DIR=keyed_app.config["KEY_DIR"], PUBLIC_HOST="lims.example.org")
    wrong = fresh.test_cli_runner().invoke(args=["restore", archive, "--yes"], env={"LIMS_BACKUP_PASSPHRASE": "nope"})
    assert wrong.exit_code == 2 and "wrong passphrase" in wrong.output
    result = fresh.test_cli_runner().invoke(args=["restore", archive, "--yes"], env={"LIMS_BACKUP_PASSPHRASE": PASS})
    assert result.exit_code == 0, result.output

    restored = make_app(db_url, KEY_DIR=keyed_app.config["KEY_DIR"], PUBLIC_HOST="lims.example.org")
    assert _statuses(restored, tokens) == before
    with restored.app_context():
        from lims.extensions import db
        from lims.modules.issuance.operations import integrity_report

        assert integrity_report() == {}
        assert db.session.execute(sa.text("SELECT count(*) FROM audit_events")).scalar() > 0
        db.session.remove()
        db.engine.dispose()
    check = restored.test_cli_runner().invoke(args=["certificates", "check-integrity"])
    assert check.exit_code == 0, check.output


def test_a_changed_or_truncated_archive_is_refused(keyed_app, tmp_path):
    import io

    import pytest

    from lims.modules.ops.backup import BackupError, decrypt_stream, encrypt_stream

    data = os.urandom(3 * (1 << 20) + 123)
    sealed = io.BytesIO()
    encrypt_stream(io.BytesIO(data), sealed, PASS)
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(sealed.getvalue()), out, PASS)
    assert out.getvalue() == data
    flipped = bytearray(sealed.getvalue())
    flipped[len(flipped) // 2] ^= 1
    for bad in (bytes(flipped), sealed.getvalue()[:-(1 << 20) - 40], b"garbage"):
        with pytest.raises(BackupError):
            decrypt_stream(io.BytesIO(bad), io.BytesIO(), PASS)
    r = keyed_app.test_cli_runner().invoke(args=["restore", str(tmp_path / "x")], env={"LIMS_BACKUP_PASSPHRASE": PASS})
    assert r.exit_code == 2
