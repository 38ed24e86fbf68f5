"""Root test configuration: options and guards shared by every test package."""
import os

import pytest
from hypothesis import settings

from tests import services

pytest_plugins = ["tests.fixtures.serial_guard"]

# Property tests explore new random inputs on every run on a developer's machine; CI
# (HYPOTHESIS_PROFILE=ci, set by .ci/run) runs the same derandomized examples every time, so a
# landing never depends on the luck of the draw. Failures found locally are pinned with @example.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_sessionstart(session):
    """In CI, an unreachable PostgreSQL ends the run at once with the reason (instead of a skip per test)."""
    url = os.environ.get("LIMS_TEST_DATABASE_URL")
    if url and services.in_ci() and not hasattr(session.config, "workerinput"):
        from tests.lims import pg  # noqa: PLC0415 (SQLAlchemy and psycopg only when PostgreSQL is asked for)

        reason = pg.available(url)
        if reason:
            pytest.exit(f"{reason} (CI is set: a missing PostgreSQL fails the run instead of skipping)", returncode=3)


@pytest.fixture(scope="session")
def redis_url():
    """URL of the test Redis (``LIMS_TEST_REDIS_URL``, default 127.0.0.1:6379); skips, or fails in CI, without it."""
    reason = services.redis_unreachable(services.REDIS_URL)
    if reason:
        services.unavailable(reason)
    return services.REDIS_URL


def pytest_addoption(parser):
    parser.addoption("--serial-port", action="store", default=None,
                     help="run device tests against a real instrument on this serial port")
