"""``python -m uncertainty evaluate``: JSON on stdout, one-line errors and exit status 2."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from uncertainty.cli import main

from .conftest import REFERENCE

ROOT = Path(__file__).resolve().parents[2]


def run(*args, stdin=None):
    """Run the CLI in a fresh interpreter, as a user would."""
    return subprocess.run([sys.executable, "-m", "uncertainty", *args], cwd=ROOT, capture_output=True, text=True,
                          input=stdin, timeout=120)


def test_evaluate_reference_file_both_methods(tmp_path):
    ref = json.loads((REFERENCE / "jcgm101_9_2_2_additive_normal.json").read_text(encoding="utf-8"))
    path = tmp_path / "budget.json"
    path.write_text(json.dumps(dict(ref["budget"], source=ref["source"])), encoding="utf-8")
    proc = run("evaluate", str(path), "--trials", "100000", "--seed", "5")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["gum"]["u"] == pytest.approx(2.0)
    assert out["mcm"]["seed"] == 5 and out["mcm"]["trials"] == 100000
    assert "passed" in out["validation"]


def test_model_that_tries_to_run_code_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    budget = {"model": f"__import__('os').system('touch {marker}')", "inputs": {"a": {"value": 1, "u": 1}}}
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(budget))
    proc = run("evaluate", str(path))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: model:")
    assert "Traceback" not in proc.stderr
    assert not marker.exists()


@pytest.mark.parametrize("content, fragment", [
    ("{not json", "not valid JSON"),
    ('{"model": "a", "inputs": {"a": {"value": NaN, "u": 1}}}', "invalid JSON number NaN"),
    ('{"model": "a", "inputs": {"a": {"value": 1e999, "u": 1}}}', "inputs.a.value: must be finite"),
    ('{"model": "a", "inputs": {"a": {"value": 1, "u": -1}}}', "inputs.a.u: must be >= 0"),
    ('{"model": "a +", "inputs": {"a": {"value": 1, "u": 1}}}', "model: syntax error"),
    ("[" * 100000 + "]" * 100000, "not valid JSON"),
    (b"\xff\xfe".decode("latin-1"), "error:"),
])
def test_invalid_files_exit_2_with_one_line(tmp_path, capsys, content, fragment):
    path = tmp_path / "b.json"
    path.write_text(content, encoding="latin-1")
    assert main(["evaluate", str(path), "--method", "gum"]) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1


def test_missing_file_and_bad_option(tmp_path):
    proc = run("evaluate", str(tmp_path / "missing.json"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    proc = run("evaluate", "x.json", "--trials", "many")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--trials" in proc.stderr


def test_stdin_and_gum_only(capsys, monkeypatch):
    import io
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"model": "2*a", "inputs": {"a": {"value": 1, "u": 0.5}}})))
    assert main(["evaluate", "-", "--method", "gum"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"schema_version", "output", "gum"} and out["gum"]["u"] == 1.0
