"""``python -m uncertainty evaluate``: JSON on stdout, one-line errors and exit status 2."""
import contextlib
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
    doc = {"model": "2*a", "inputs": {"a": {"value": 1, "u": 0.5}}}
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(doc)))
    assert main(["evaluate", "-", "--method", "gum"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"schema_version", "output", "gum"} and out["gum"]["u"] == 1.0


def _budget(**extra):
    return dict({"model": "a", "inputs": {"a": {"value": 1, "u": 0.1}}}, **extra)


@pytest.mark.parametrize("budget, fragment", [
    # a user trying to run code or exhaust the machine through the model
    (_budget(model="__import__('os').system('echo x')"), "model: method call"),
    (_budget(model="a.__class__"), "model: attribute access"),
    (_budget(model="(lambda: a)()"), "model: calling lambda"),
    (_budget(model="[a for a in (1, 2)]"), "model: comprehension"),
    (_budget(model="9**9**9"), "model: exponent"),
    (_budget(model="(" * 10000 + "a" + ")" * 10000), "model: expression is longer than"),
    (_budget(model="(" * 1999 + "a" + ")" * 1999), "model: syntax error: too many nested parentheses"),
    (_budget(model="abs(" * 200 + "a" + ")" * 200), "model: expression is nested deeper"),
    (_budget(model="-" * 3000 + "a"), "model: expression is nested deeper"),
    (_budget(model="a + " * 1500 + "a"), "model: expression is longer than"),
    (_budget(model="system(a)"), "model: function 'system' is not allowed"),
    (_budget(model="a + c"), "model: unknown name 'c'"),
    (_budget(model="sin(" * 90 + "a" + ")" * 90, second_order=True), "second_order: model is too complex"),
    # wrong types and values
    ({"model": "a", "inputs": {"a": {"value": 1, "u": "0.1"}}}, "inputs.a.u: must be a number"),
    ({"model": "a", "inputs": {"a": {"value": 1, "u": -0.1}}}, "inputs.a.u: must be >= 0"),
    ({"model": "a", "inputs": {"a": {"value": 1, "u": 0.1, "dof": 0}}}, "inputs.a.dof: must be > 0"),
    ({"model": "a + b", "inputs": {"a": {"value": 1, "u": 1e308}, "b": {"value": 1, "u": 1e308}}},
     "inputs: the combined standard uncertainty overflows"),
    ({"model": "a", "inputs": {"a": {"distribution": "type_a", "readings": [1.0]}}},
     "inputs.a.readings: needs at least 2"),
    ({"model": "a", "inputs": {"a": {"distribution": "type_a", "readings": [1e308, -1e308]}}},
     "inputs.a.readings: mean or standard deviation overflows"),
    ({"model": "a + b", "inputs": {"a": {"value": 1, "u": 0.1}, "b": {"value": 1, "u": 0.1}},
      "correlations": [["a", "b", 1.5]]}, "correlations[0]: r must be a number between -1 and 1"),
    ({"model": "a + b + c", "inputs": {n: {"value": 1, "u": 0.1} for n in "abc"},
      "correlations": [["a", "b", 0.9], ["a", "c", 0.9], ["b", "c", -0.9]]},
     "correlations: the correlation matrix is not positive"),
    (_budget(coverage=1.5), "coverage: must be a probability"),
    (_budget(trials=0), "trials: must be an integer between 2 and"),
    (_budget(trials=10**12), "trials: must be an integer between 2 and"),
    ({"model": "x0", "inputs": {f"x{i}": {"value": 1, "u": 0.1} for i in range(501)}},
     "inputs: has 501 input quantities"),
])
@pytest.mark.timeout(60)  # a guard against evaluating a refused budget, not a speed test (the machine may be busy)
def test_hostile_budgets_exit_2_with_one_line_naming_the_key(tmp_path, capsys, budget, fragment):
    """Every refused budget gives exit status 2 and one line naming the key (refused, not evaluated)."""
    path = tmp_path / "b.json"
    path.write_text(json.dumps(budget), encoding="utf-8")
    assert main(["evaluate", str(path), "--trials", "1000", "--seed", "1"] if "trials" not in budget
                else ["evaluate", str(path), "--seed", "1"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and captured.err.count("\n") == 1, captured.err
    assert fragment in captured.err


@pytest.mark.parametrize("content, fragment", [
    ('{"model": "a", "model": "b", "inputs": {"a": {"value": 1, "u": 1}, "b": {"value": 1, "u": 1}}}',
     "not valid JSON: duplicate key 'model'"),
    ('{"model": "a", "inputs": {"a": {"value": 1, "u": Infinity}}}', "invalid JSON number Infinity"),
    ('{"model": "a", "inputs": {"a": {"value": 1, "u": -Infinity}}}', "invalid JSON number -Infinity"),
    ('{"model": "a", "inputs": ', "not valid JSON"),
])
def test_malformed_json_exit_2(tmp_path, capsys, content, fragment):
    path = tmp_path / "b.json"
    path.write_text(content, encoding="utf-8")
    assert main(["evaluate", str(path), "--method", "gum"]) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1


def test_not_utf8_names_the_file(tmp_path, capsys):
    path = tmp_path / "b.json"
    path.write_bytes('{"model": "a"}'.encode("utf-16"))
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "b.json: not UTF-8 text" in err and err.count("\n") == 1


@pytest.mark.parametrize("option", [["--trials", "0"], ["--trials", str(10**12)], ["--seed", "-1"],
                                    ["--adaptive", "9"], ["--indent", "100000000"], ["--method", "exec"]])
def test_bad_command_line_options_exit_2(tmp_path, capsys, option):
    path = tmp_path / "b.json"
    path.write_text(json.dumps(_budget()), encoding="utf-8")
    with pytest.raises(SystemExit) if option[0] in ("--indent", "--method") else contextlib.nullcontext():
        assert main(["evaluate", str(path), *option]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1


def test_unexpected_failure_is_one_line(tmp_path, capsys, monkeypatch):
    """A bug inside the engine still gives one line and status 2, not a traceback."""
    import uncertainty.cli as cli

    def boom(*args, **kwargs):
        raise ZeroDivisionError("simulated")

    monkeypatch.setattr(cli, "evaluate_budget", boom)
    path = tmp_path / "b.json"
    path.write_text(json.dumps(_budget()), encoding="utf-8")
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == "error: unexpected failure (ZeroDivisionError): simulated\n"


ISSUE_SHAPE = {
    "gum": {"value", "u", "dof", "k", "U", "interval", "budget"},
    "gum.budget": {"name", "value", "u", "sensitivity", "contribution", "dof"},
    "mcm": {"value", "u", "interval", "shortest_interval", "trials", "seed"},
    "validation": {"tolerance", "d_low", "d_high", "passed"},
}


def _strict(text):
    def refuse(name):
        raise AssertionError(f"output is not strict JSON: {name}")
    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("method, parts", [("gum", {"gum"}), ("mcm", {"mcm"}), ("both", {"gum", "mcm", "validation"})])
@pytest.mark.parametrize("dof", [None, 4])
def test_result_shape_and_strict_json(tmp_path, method, parts, dof):
    """The result has the documented shape, only the requested parts, and is strict JSON
    (infinite dof is null) valid under the published result schema."""
    budget = {"model": "a + 2*b", "inputs": {"a": {"value": 1, "u": 0.1},
                                            "b": {"value": 2, "distribution": "rectangular", "half_width": 0.3}}}
    if dof:
        budget["inputs"]["a"]["dof"] = dof
    path = tmp_path / "b.json"
    path.write_text(json.dumps(budget), encoding="utf-8")
    proc = run("evaluate", str(path), "--method", method, "--trials", "20000", "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    out = _strict(proc.stdout)
    assert set(out) == {"schema_version", "output"} | parts
    for part in parts:
        assert ISSUE_SHAPE[part] <= set(out[part])
    if "gum" in parts:
        for row in out["gum"]["budget"]:
            assert ISSUE_SHAPE["gum.budget"] <= set(row)
        assert len(out["gum"]["interval"]) == 2
        assert (out["gum"]["dof"] is None) == (dof is None)
        assert out["gum"]["budget"][1]["dof"] is None
    if "mcm" in parts:
        assert out["mcm"]["trials"] == 20000 and out["mcm"]["seed"] == 3
    jsonschema = pytest.importorskip("jsonschema")
    from uncertainty import result_schema
    jsonschema.Draft202012Validator(result_schema()).validate(out)


def test_monte_carlo_overflow_is_one_line(tmp_path, capsys):
    """Model values too large for their mean or variance: one line, status 2 (not invalid JSON out)."""
    budget = {"model": "a*a*a", "inputs": {"a": {"value": 1e100, "distribution": "t", "scale": 1, "dof": 0.3}}}
    path = tmp_path / "b.json"
    path.write_text(json.dumps(budget), encoding="utf-8")
    assert main(["evaluate", str(path), "--method", "mcm", "--trials", "10000", "--seed", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: model: the Monte Carlo mean or standard deviation overflows") and err.count("\n") == 1
