"""/healthz and /metrics: named checks, 503 on failure, latency by endpoint, multiprocess-safe under gunicorn."""
import concurrent.futures
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

from tests.lims.test_issuance_support import issue, keyed_app  # noqa: F401


def test_healthz_names_each_check_and_fails_without_a_signing_key(app, client, keyed_app):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok", "checks": {
        "database": "ok", "queue": "ok", "signing_key": "ok"}}
    app.config["KEY_DIR"] = "/nonexistent/keys"
    r = client.get("/healthz")
    body = r.get_json()
    assert r.status_code == 503 and body["status"] == "failing" and body["checks"]["database"] == "ok"
    assert body["checks"]["signing_key"].startswith("KeyStoreError")


def test_metrics_has_latency_by_endpoint_queue_and_certificates(keyed_app, api, client, world):
    issue(api, world)
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    assert re.search(r'lims_http_request_duration_seconds_count\{endpoint="ops_pages.healthz",method="GET"\} \d', text)
    assert 'lims_certificates_issued_total{kind="verification"} 1.0' in text
    assert "lims_tasks" in text


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_metrics_are_summed_over_gunicorn_workers(app, db_url, tmp_path):
    with app.app_context():
        from lims.extensions import db

        db.engine.dispose()
    port = _free_port()
    env = {**os.environ, "LIMS_DATABASE_URL": db_url, "LIMS_SECRET_KEY": "test-secret",
           "LIMS_KEY_DIR": str(tmp_path / "keys"), "LIMS_BIND": f"127.0.0.1:{port}", "LIMS_WORKERS": "3",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"), "LIMS_INSTANCE_PATH": str(tmp_path / "inst"),
           "LIMS_ACCESS_LOG": "/dev/null"}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", os.path.join(root, "gunicorn.conf.py"),
                             "lims.wsgi:app"], env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/.well-known/lims-keys.json", timeout=5).read()
                break
            except OSError:
                assert time.monotonic() < deadline, proc.stderr.read()[-2000:]
                time.sleep(0.2)
        # in parallel bursts, so that several workers serve them: sequential requests may all land on one
        # worker, and on a loaded machine the other workers may still be importing the app at first
        served = 1
        deadline = time.monotonic() + 60
        while True:
            with concurrent.futures.ThreadPoolExecutor(12) as pool:
                list(pool.map(lambda _i: urllib.request.urlopen(f"{base}/.well-known/lims-keys.json",
                                                                timeout=10).read(), range(60)))
            served += 60
            if len(os.listdir(tmp_path / "prom")) >= 2 or time.monotonic() > deadline:
                break
        assert len(os.listdir(tmp_path / "prom")) >= 2, "one worker served every request for 60 s"
        text = urllib.request.urlopen(f"{base}/metrics", timeout=10).read().decode()
        count = re.search(r'lims_http_request_duration_seconds_count\{endpoint="issuance_pages.published_keys",'
                          r'method="GET"\} ([0-9.]+)', text)
        assert count and float(count.group(1)) >= served, text[:2000]  # every worker's requests, not one worker's
    finally:
        proc.terminate()
        proc.wait(timeout=30)
