"""The command line: ports, read (JSON lines, exit 2 on errors), simulate (first stdout line = device path)."""
import io
import json
import subprocess
import sys

import pytest

from instruments.cli import main

from .independent_responder import IndependentMtSics


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out, err)
    return code, out.getvalue(), err.getvalue()


def _lines(text):
    return [json.loads(line) for line in text.splitlines()]


def test_read_five_stable_readings_from_simulator(create_sim):
    handle = create_sim("mtsics")
    handle.put_load(100.0)
    code, out, err = run(["read", "--driver", "mtsics", "--port", handle.port, "--count", "5", "--stable"])
    readings = _lines(out)
    assert code == 0 and len(readings) == 5
    for reading in readings:
        assert set(reading) == {"value", "unit", "stable", "timestamp", "raw"}
        assert reading["stable"] is True and reading["unit"] == "g" and reading["raw"].startswith("S S")
        assert reading["value"] == pytest.approx(100.0, abs=0.011)


def test_read_against_independent_responder():
    responder = IndependentMtSics()
    try:
        code, out, err = run(["read", "--driver", "mtsics", "--port", responder.port, "--count", "5", "--stable"])
    finally:
        responder.close()
    readings = _lines(out)
    assert code == 0, err
    assert [r["value"] for r in readings] == [100.0] * 5 and all(r["stable"] for r in readings)
    assert readings[0]["raw"] == "S S      100.00 g"


def test_read_unstable_readings_are_printed_without_stable(create_sim):
    handle = create_sim("dpi740")
    code, out, _ = run(["read", "--driver", "dpi740", "--port", handle.port, "--count", "2"])
    readings = _lines(out)
    assert code == 0 and [r["unit"] for r in readings] == ["kPa", "kPa"] and readings[0]["stable"] is None


def test_read_stream_mode(create_sim):
    handle = create_sim("mtsics", pace=True)
    code, out, _ = run(["read", "--driver", "mtsics", "--port", handle.port, "--count", "3", "--stream"])
    assert code == 0 and len(_lines(out)) == 3


def test_timeout_is_one_line_and_exit_2(create_sim):
    handle = create_sim("mtsics", fault="silent")
    code, out, err = run(["read", "--driver", "mtsics", "--port", handle.port, "--timeout", "0.2"])
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("error: ")
    assert "3 timeouts or rejected frames in a row" in err and "within 0.2 s" in err


def test_wrong_port_is_one_line_and_exit_2(tmp_path):
    code, out, err = run(["read", "--driver", "mtsics", "--port", str(tmp_path / "ttyNOPE")])
    assert code == 2 and err.count("\n") == 1 and "cannot open" in err


@pytest.mark.parametrize("argv, needle", [
    (["read", "--driver", "nope", "--port", "loop://"], "--driver"),
    (["read", "--driver", "mtsics"], "--port"),
    (["read", "--driver", "mtsics", "--port", "loop://", "--count", "0"], "--count"),
    (["read", "--driver", "mtsics", "--port", "loop://", "--timeout", "-1"], "--timeout"),
    (["simulate", "nope"], "kind"),
    (["simulate", "mtsics", "--fault", "explode"], "fault"),
    (["frobnicate"], "command"),
])
def test_usage_errors_are_one_line_exit_2(argv, needle):
    code, out, err = run(argv)
    assert code == 2 and err.count("\n") == 1 and needle in err and "Traceback" not in err


def test_ports_lists_without_error():
    code, out, err = run(["ports"])
    assert code == 0
    assert all(len(line.split("\t")) == 3 for line in out.splitlines())
    assert err == ("" if out else "no serial ports found\n")


def test_ports_says_so_when_there_are_none(monkeypatch):
    from serial.tools import list_ports

    monkeypatch.setattr(list_ports, "comports", lambda: [])
    assert run(["ports"]) == (0, "", "no serial ports found\n")


def test_simulate_subprocess_prints_device_path_first_and_serves_it():
    from instruments import sim

    handle = sim.spawn("mtsics", seed=2)
    try:
        assert handle.port.startswith("/dev/")
        handle.put_load(5.0)
        code, out, err = run(["read", "--driver", "mtsics", "--port", handle.port, "--count", "1", "--stable"])
        assert code == 0 and _lines(out)[0]["value"] == pytest.approx(5.0, abs=0.011)
    finally:
        handle.close()
    assert handle.process.returncode == 0


def test_cli_subprocess_read_error_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "instruments", "read", "--driver", "sbi", "--port",
                           str(tmp_path / "none")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


@pytest.mark.parametrize("answers_s", [True, False], ids=["S", "ES-to-S"])
def test_cli_subprocess_reads_independent_responder(answers_s):
    """Exactly the author's command, in a new process, against a responder sharing no code with the simulator.

    A device answering ``ES`` to ``S`` is polled with ``SI`` until its readings are stable.
    """
    responder = IndependentMtSics(answers_s=answers_s)
    try:
        proc = subprocess.run([sys.executable, "-m", "instruments", "read", "--driver", "mtsics", "--port",
                               responder.port, "--count", "5", "--stable"], capture_output=True, text=True,
                              timeout=60)
    finally:
        responder.close()
    assert proc.returncode == 0, proc.stderr
    readings = _lines(proc.stdout)
    assert [r["value"] for r in readings] == [100.0] * 5 and all(r["stable"] for r in readings)
    assert all(r["raw"] == "S S      100.00 g" for r in readings)
