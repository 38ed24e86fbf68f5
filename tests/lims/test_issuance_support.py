"""Shared helpers and fixtures of the issuance tests (this module holds no tests itself)."""
import datetime as dt
import io
import shutil
import subprocess

import pytest

from lims.core.audit import acting_as


@pytest.fixture
def keyed_app(app, tmp_path):
    """The app with its own key directory and one active signing key."""
    app.config["KEY_DIR"] = str(tmp_path / "keys")
    app.config["PUBLIC_HOST"] = "lims.example.org"
    with app.app_context():
        from lims.modules.issuance import keys

        keys.create()
    return app


def approve_job(api, world, job_key="market_a", result="pass", performed_on=None, notes=None):
    """Drive a booked fixture job to ``approved`` through the API; return its id."""
    job_id = world.jobs[job_key]
    steps = [("technician", {"action": "receive"}),
             ("technician", {"action": "start", "bench_id": world.benches["good"]}),
             ("technician", {"action": "submit", "result": result,
                             "performed_on": (performed_on or dt.date.today()).isoformat(),
                             **({"notes": notes} if notes else {})}),
             ("lab_manager", {"action": "approve"})]
    version = api("get", f"/api/v1/jobs/{job_id}").get_json()["version"]
    for role, body in steps:
        r = api("post", f"/api/v1/jobs/{job_id}/transitions", role=role, json={**body, "version": version})
        version += 1
        assert r.status_code == 200, r.get_json()
    return job_id


def issue(api, world, job_key="market_a", role="lab_manager", body=None, **kw):
    """Approve a fixture job and issue its certificate; return the response JSON."""
    job_id = approve_job(api, world, job_key, **kw)
    r = api("post", f"/api/v1/jobs/{job_id}/certificate", role=role, json=body or {})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def token_of(cert_json):
    return cert_json["url"].rsplit("/", 1)[1]


def pdf_to_png(pdf_bytes, tmp_path, dpi=200):
    """Render page 1 of a PDF to PNG bytes with pdftoppm (poppler-utils)."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    src = tmp_path / "doc.pdf"
    src.write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", str(src), str(tmp_path / "page")],
                   check=True, timeout=60)
    return next(tmp_path.glob("page*.png")).read_bytes()


def decode_qr(png_bytes):
    """Decode the QR codes of a PNG with zxing-cpp directly (independent of the library's decoder)."""
    import zxingcpp
    from PIL import Image

    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png_bytes)), formats=zxingcpp.QRCode)]


def check_page(client, token):
    """The check page's HTML; 200 for a certificate in the records, 404 for anything else."""
    r = client.get(f"/v/{token}")
    html = r.get_data(as_text=True)
    assert r.status_code == (404 if verdict_of(html) in ("not_genuine", "unknown") else 200), r.status_code
    return html


def drop_db_guard(db):
    """Drop the migration's immutability trigger, as someone with DDL rights (or a bad restore) could."""
    import sqlalchemy as sa

    on = " ON certificates" if db.engine.dialect.name == "postgresql" else ""
    db.session.execute(sa.text(f"DROP TRIGGER certificates_content_immutable{on}"))
    db.session.commit()


def verdict_of(html):
    return html.split('data-verdict="', 1)[1].split('"', 1)[0]


__all__ = ["keyed_app", "approve_job", "issue", "token_of", "pdf_to_png", "decode_qr", "check_page", "verdict_of", "drop_db_guard",
           "acting_as"]
