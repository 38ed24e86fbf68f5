"""Root test configuration: options and guards shared by every test package."""
import os

from hypothesis import settings

pytest_plugins = ["tests.fixtures.serial_guard"]

# Property tests explore new random inputs on every run on a developer's machine; CI
# (HYPOTHESIS_PROFILE=ci, set by .ci/run) runs the same derandomized examples every time, so a
# landing never depends on the luck of the draw. Failures found locally are pinned with @example.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_addoption(parser):
    parser.addoption("--serial-port", action="store", default=None,
                     help="run device tests against a real instrument on this serial port")
