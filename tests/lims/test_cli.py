"""The ``lims`` console script."""
import subprocess
import sys

import pytest


def test_lims_help_lists_operator_commands(tmp_path):
    out = subprocess.run([sys.executable, "-m", "lims.console", "--help"], capture_output=True, text=True, check=True,
                         env={"LIMS_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}).stdout
    for cmd in ("db", "demo", "instruments", "tokens", "users"):
        assert f"  {cmd}" in out, out


def test_token_create_list_revoke(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tokens", "create", "technician", "--name", "bench-pc"])
    assert result.exit_code == 0
    secret = result.output.splitlines()[0]
    assert secret.startswith("lims_")
    client = app.test_client()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json["username"] == "technician"
    listing = runner.invoke(args=["tokens", "list", "technician"]).output
    token_id = next(line.split("\t")[0] for line in listing.splitlines() if "bench-pc" in line)
    assert runner.invoke(args=["tokens", "revoke", token_id]).exit_code == 0
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


@pytest.mark.parametrize("args,message", [
    (["tokens", "create", "nobody"], "no user named 'nobody'"),
    (["tokens", "revoke", "99999"], "no token 99999"),
    (["tokens", "revoke", "abc"], "is not a valid integer"),
    (["users", "create", "x1", "--role", "technician", "--organisation-id", "999", "--password", "long-password-1"],
     "no organisation 999"),
    (["users", "create", "x2", "--role", "market_manager", "--organisation-id", "1", "--password", "long-password-1"],
     "must belong to a market"),
    (["users", "create", "x3", "--role", "technician", "--organisation-id", "1", "--password", "short"],
     "at least 10 characters"),
])
def test_bad_input_is_one_line_and_exit_code_2(app, args, message):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_demo_qr_urls_point_at_the_port_it_serves_on(tmp_path):
    """`lims demo --port P` issues the demo certificates with QR URLs that open on that server."""
    import os
    import sqlite3

    env = {k: v for k, v in os.environ.items() if not k.startswith("LIMS_")}
    env["LIMS_INSTANCE_PATH"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "lims.console", "demo", "--no-serve", "--port", "5123"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    urls = [r[0] for r in sqlite3.connect(tmp_path / "lims.db").execute("SELECT url FROM certificates")]
    assert urls and all(u.startswith("HTTP://127.0.0.1:5123/V/") for u in urls), urls
