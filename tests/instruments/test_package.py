"""The package's lazily loaded public names (PEP 562): each resolves, and a fresh start stays light."""
import subprocess
import sys

import pytest

import instruments


def test_all_matches_the_lazy_table():
    assert sorted(instruments.__all__) == sorted(instruments._MODULE_OF)


@pytest.mark.parametrize("name", sorted(instruments._MODULE_OF))
def test_every_public_name_resolves_to_its_module(name):
    value = getattr(instruments, name)
    home = instruments._MODULE_OF[name].lstrip(".")
    assert getattr(sys.modules[f"instruments.{home}"], name) is value


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        instruments.nope  # noqa: B018


def test_help_starts_without_drivers_or_pyserial():
    code = ("import sys, contextlib, io; from instruments.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try: main(['--help'])\n"
            "    except SystemExit: pass\n"
            "print(sorted(m for m in sys.modules if m == 'serial' or m.startswith('instruments.drivers')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
