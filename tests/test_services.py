"""A missing PostgreSQL or Redis: skipped with the reason on a developer's machine, a failure in CI."""
import os
import subprocess
import sys

import pytest

from tests import services

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOWHERE_PG = "postgresql://postgres@127.0.0.1:1/test"  # port 1: nothing listens


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("", False), ("0", False),
                                             ("false", False)])
def test_in_ci(monkeypatch, value, expected):
    monkeypatch.setenv("CI", value)
    assert services.in_ci() is expected


def test_unavailable_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no server"):
        services.unavailable("no server")


def test_unavailable_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no server.*CI is set"):
        services.unavailable("no server")


def test_redis_unreachable_names_host_and_port():
    reason = services.redis_unreachable("redis://127.0.0.1:1/0", timeout=1)
    assert reason is not None and reason.startswith("Redis at 127.0.0.1:1 is not reachable")


def _pytest(ci):
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "LIMS_TEST_DATABASE_URL", "PYTEST_XDIST_WORKER")}
    env["LIMS_TEST_DATABASE_URL"] = NOWHERE_PG
    if ci:
        env["CI"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                           "tests/lims/test_jobs.py::test_four_eyes_rule"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_unreachable_postgresql_skips_with_the_reason_without_ci():
    done = _pytest(ci=False)
    assert done.returncode == 0 and "1 skipped" in done.stdout, done.stdout[-2000:]
    assert "PostgreSQL at postgresql://postgres@127.0.0.1:1/test is not reachable" in done.stdout


def test_unreachable_postgresql_fails_the_run_in_ci():
    done = _pytest(ci=True)
    assert done.returncode != 0, done.stdout[-2000:]
    out = done.stdout + done.stderr
    assert "PostgreSQL at postgresql://postgres@127.0.0.1:1/test is not reachable" in out and "CI is set" in out
