"""``lims keys create|rotate|export`` and ``lims certificates verify|check-integrity``."""
import json
import os
import stat

import sqlalchemy as sa

from tests.lims.test_issuance_support import drop_db_guard, issue, keyed_app, pdf_to_png, token_of  # noqa: F401


def test_keys_create_rotate_export(app, tmp_path):
    app.config["KEY_DIR"] = str(tmp_path / "keys")
    runner = app.test_cli_runner()
    r = runner.invoke(args=["keys", "export"])
    assert r.exit_code == 2 and "does not exist" in r.output
    r = runner.invoke(args=["keys", "rotate"])
    assert r.exit_code == 2 and "create first" in r.output
    r = runner.invoke(args=["keys", "create"])
    assert r.exit_code == 0, r.output
    first = r.output.split()[3]
    private = tmp_path / "keys" / f"{first}.key"
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert runner.invoke(args=["keys", "create"]).exit_code == 2
    assert runner.invoke(args=["keys", "rotate"]).exit_code == 0
    assert not private.exists() and (tmp_path / "keys" / f"{first}.pub").exists()
    out = tmp_path / "jwks.json"
    r = runner.invoke(args=["keys", "export", "-o", str(out)])
    assert r.exit_code == 0
    kids = [k["kid"] for k in json.loads(out.read_text())["keys"]]
    assert len(kids) == 2 and kids[1] == first
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in (tmp_path / "keys").glob("*.key"))


def test_verify_a_page_image_url_and_tampered_token_offline(keyed_app, api, client, world, tmp_path):
    cert = issue(api, world)
    pdf = api("get", f"/api/v1/certificates/{cert['id']}/pdf").data
    png = tmp_path / "page.png"
    png.write_bytes(pdf_to_png(pdf, tmp_path))
    jwks = tmp_path / "published.json"
    jwks.write_bytes(client.get("/.well-known/lims-keys.json").data)
    runner = keyed_app.test_cli_runner()
    for args in (["certificates", "verify", str(png)], ["certificates", "verify", str(png), "--keys", str(jwks)],
                 ["certificates", "verify", cert["url"].lower()]):
        r = runner.invoke(args=args)
        assert r.exit_code == 0, r.output
        assert f"GENUINE 真实: certificate {cert['number']}" in r.output and cert["due_date"] in r.output
    token = token_of(cert)
    tampered = token[:30] + ("A" if token[30] != "A" else "B") + token[31:]
    r = runner.invoke(args=["certificates", "verify", tampered])
    assert r.exit_code == 1 and r.output.startswith("NOT GENUINE")


def test_verify_rejects_unreadable_input_with_exit_2(keyed_app, tmp_path):
    runner = keyed_app.test_cli_runner()
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    blank = tmp_path / "blank.png"
    from PIL import Image

    Image.new("L", (50, 50), 255).save(blank)
    bad_keys = tmp_path / "keys.json"
    bad_keys.write_text("{not json")
    cases = [(["certificates", "verify", str(junk)], "cannot read image"),
             (["certificates", "verify", str(blank)], "no readable QR code"),
             (["certificates", "verify", str(tmp_path / "missing.png")], "cannot read image"),
             (["certificates", "verify", "AAAA", "--keys", str(bad_keys)], "--keys"),
             (["certificates", "verify", "AAAA", "--keys", str(tmp_path / "nokeys.json")], "--keys")]
    for args, message in cases:
        r = runner.invoke(args=args)
        assert r.exit_code == 2, (args, r.output)
        assert message in r.output and "Traceback" not in r.output


def test_check_integrity_command(keyed_app, api, world):
    cert = issue(api, world)
    runner = keyed_app.test_cli_runner()
    r = runner.invoke(args=["certificates", "check-integrity"])
    assert r.exit_code == 0 and "all stored certificates match" in r.output
    with keyed_app.app_context():
        from lims.extensions import db

        drop_db_guard(db)
        db.session.execute(sa.text("UPDATE certificates SET pdf_sha256 = :h WHERE id = :i"),
                           {"h": "f" * 64, "i": cert["id"]})
        db.session.commit()
    r = runner.invoke(args=["certificates", "check-integrity"])
    assert r.exit_code == 1 and cert["number"] in r.output
