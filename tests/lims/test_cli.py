"""The ``lims`` console script."""
import subprocess
import sys

import pytest


def test_lims_help_lists_operator_commands():
    out = subprocess.run([sys.executable, "-m", "lims.cli", "--help"], capture_output=True, text=True, check=True,
                         env={"LIMS_INSTANCE_PATH": "/tmp/lims-cli-help", "PATH": "/usr/bin:/bin"}).stdout
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
