"""Schemathesis against a live server (issue 11, item 16): the API is served over HTTP on a free port and
``schemathesis run`` explores every operation from the OpenAPI document, including the stateful phase that
follows the document's links (create → read → update chains), for a bounded time (``LIMS_FUZZ_SECONDS``,
default 60 s). A 5xx or a response that violates the schema fails the test with schemathesis' report.
``schemathesis.toml`` (read from the repository root) says which statuses are the intended answer."""
import os
import pathlib
import subprocess
import sys

import pytest

from tests.lims.browser_support import serve

ROOT = pathlib.Path(__file__).resolve().parents[2]
SECONDS = int(os.environ.get("LIMS_FUZZ_SECONDS", "60"))

pytestmark = pytest.mark.fuzz


def test_schemathesis_finds_no_server_error_or_schema_violation(app, world, tmp_path):
    server = serve(app)
    try:
        cmd = [sys.executable, "-c", "from schemathesis.cli import schemathesis; schemathesis()", "run",
               f"http://127.0.0.1:{server.server_port}/api/v1/openapi.json",
               "-H", f"Authorization: Bearer {world.tokens['admin']}",
               "--phases", "examples,coverage,fuzzing,stateful", "--max-time", str(SECONDS), "--workers", "1",
               "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance,"
                           "content_type_conformance,positive_data_acceptance",
               "--request-timeout", "60", "--report", "junit", "--report-dir", str(tmp_path)]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=SECONDS + 240,
                              env={**os.environ, "SCHEMATHESIS_HOOKS": ""})
    finally:
        server.shutdown()
    print(done.stdout[-6000:])
    assert done.returncode == 0, done.stdout[-12000:] + done.stderr[-2000:]
