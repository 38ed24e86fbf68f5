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


def measure_all(api, job_id, fail=False, role="technician"):
    """Enter the nominal value at every planned test point of a job (one weighing point 3 MPE off if ``fail``)."""
    r = api("get", f"/api/v1/jobs/{job_id}/procedure", role=role)
    if r.status_code == 409:  # no procedure: nothing to measure
        return
    view = r.get_json()
    points, e = view["points"], view["e"]
    last = [p["point"] for p in points if p["test"] == "error"][-1]
    for p in points:
        nominal = float(p["nominal"])
        if p["test"] == "error":
            body = {"point": p["point"], "indication": nominal + (3 * float(p["mpe"]) if fail and p["point"] == last
                                                                 else 0)}
            if e is not None:  # a scale read by the flash-point method, as at the bench (U/MPE within 1/3)
                body.update(flash_delta=float(e) * 3 / 10, zero_error=float(e) / 10)
        elif p["test"] == "limit":  # a value within the limits (0 when they allow it)
            lower, upper = (float(x) if x is not None else None for x in (p["lower"], p["upper"]))
            inside = (lower is None or lower <= 0) and (upper is None or 0 <= upper)
            body = {"point": p["point"], "indication": 0 if inside else (lower if lower is not None else upper)}
        else:
            body = {"point": p["point"], "indications": [nominal] * p["count"]}
        resp = api("post", f"/api/v1/jobs/{job_id}/results", role=role, json=body)
        assert resp.status_code == 200, resp.get_json()
    justify_flagged(api, job_id)


def justify_flagged(api, job_id):
    """The lab manager's justification of every point flagged for U/MPE (the test world's weights carry no
    calibrated values, so its points have no budget; the approval check then asks for a justification)."""
    for p in api("get", f"/api/v1/jobs/{job_id}/procedure", role="lab_manager").get_json()["points"]:
        if p["result"] and p["result"]["flags"] and not p["result"]["justification"]:
            resp = api("post", f"/api/v1/jobs/{job_id}/results/justification", role="lab_manager",
                       json={"point": p["point"], "justification": "test world: standards without calibrated values"})
            assert resp.status_code == 200, resp.get_json()


def backdate_receipt(app, job_id, day):
    """Make a fixture job received on ``day`` (an instrument brought in long ago), directly in the database."""
    with app.app_context():
        from lims.extensions import db
        from lims.modules.jobs.models import Job

        job = db.session.get(Job, job_id)
        job.received_dt = dt.datetime.combine(day, dt.time(9)).astimezone(dt.UTC)
        db.session.commit()


def approve_job(api, world, job_key="market_a", result="pass", performed_on=None, notes=None, app=None):
    """Drive a booked fixture job to ``approved`` through the API (every test point measured); return its id.

    With ``app`` and a past ``performed_on``, the job is marked received on that day.
    """
    job_id = world.jobs[job_key]
    steps = [("technician", {"action": "receive"}),
             ("technician", {"action": "start", "bench_id": world.benches["good"]}),
             ("technician", {"action": "submit", "result": result,
                             "performed_on": (performed_on or dt.date.today()).isoformat(),
                             **({"notes": notes} if notes else {})}),
             ("lab_manager", {"action": "approve"})]
    for role, body in steps:
        if body["action"] == "submit":
            measure_all(api, job_id, fail=result == "fail")
            if app is not None and performed_on is not None:
                backdate_receipt(app, job_id, performed_on)
        version = api("get", f"/api/v1/jobs/{job_id}").get_json()["version"]
        r = api("post", f"/api/v1/jobs/{job_id}/transitions", role=role, json={**body, "version": version})
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


__all__ = ["keyed_app", "measure_all", "backdate_receipt", "approve_job", "issue", "token_of", "pdf_to_png",
           "decode_qr", "check_page", "verdict_of", "drop_db_guard", "acting_as"]
