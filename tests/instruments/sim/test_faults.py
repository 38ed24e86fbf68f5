"""Fault spec parsing and frame mangling."""
import random

import pytest

from instruments.errors import ConfigurationError
from instruments.sim.faults import NOISE_BYTES, Faults, parse_faults


def test_parse_all_faults():
    f = parse_faults("drop:0.1, garble:0.2,silent,slow:0.5,unstable,overload,disconnect:7")
    assert (f.drop, f.garble, f.silent, f.slow, f.unstable, f.overload, f.disconnect) == \
        (0.1, 0.2, 1.0, 0.5, True, True, 7)


@pytest.mark.parametrize("spec, needle", [("explode", "unknown fault 'explode'"), ("drop", "drop"),
                                          ("garble:2", "garble"), ("garble:x", "garble"), ("slow", "slow"),
                                          ("slow:-1", "slow"), ("disconnect:x", "disconnect"),
                                          ("unstable:1", "unstable"), ("drop:0.1,,", "empty"), (5, "string")])
def test_bad_specs_name_the_fault(spec, needle):
    with pytest.raises(ConfigurationError, match=needle):
        parse_faults(spec)


def test_garble_inserts_a_noise_byte_and_keeps_terminator():
    rng = random.Random(1)
    for _ in range(50):
        out = Faults(garble=1.0).mangle(b"S S     100.00 g\r\n", rng)
        assert out.endswith(b"\r\n") and any(b in NOISE_BYTES for b in out[:-2])


def test_drop_removes_bytes_with_given_probability():
    rng = random.Random(2)
    kept = sum(len(Faults(drop=0.25).mangle(b"x" * 100, rng)) for _ in range(100))
    assert 7000 < kept < 8000


def test_no_fault_is_identity():
    assert Faults().mangle(b"abc\r\n", random.Random(0)) == b"abc\r\n"
