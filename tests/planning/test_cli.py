"""``python -m planning``: solve writes a checked plan; bad input is one line, exit 2, nothing written."""
import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from planning.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_PATH = Path(__file__).parent / "data" / "example-instance.json"
EXAMPLE = json.loads(EXAMPLE_PATH.read_text(encoding="utf-8"))


def run(*args):
    """The CLI in a fresh interpreter, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "planning", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def run_here(capsys, *args):
    """The same entry point in this process (fast); returns (status, stdout, stderr)."""
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_solve_then_check_the_example(tmp_path):
    out = tmp_path / "plan.json"
    proc = run("solve", str(EXAMPLE_PATH), "--out", str(out), "--time-limit", "20", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert plan["format"] == "lims-plan/1" and plan["seconds"] > 0
    assert "cost" in proc.stdout
    checked = run("check", str(EXAMPLE_PATH), str(out))
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.startswith("ok: ")


def test_check_reports_a_broken_plan_with_exit_1(tmp_path, capsys):
    out = tmp_path / "plan.json"
    assert run_here(capsys, "solve", str(EXAMPLE_PATH), "--out", str(out), "--quiet")[0] == 0
    plan = json.loads(out.read_text(encoding="utf-8"))
    plan["visits"][0]["date"] = "2027-01-09"            # a Saturday
    plan["cost"] += 1
    out.write_text(json.dumps(plan), encoding="utf-8")
    status, stdout, _stderr = run_here(capsys, "check", str(EXAMPLE_PATH), str(out))
    assert status == 1
    assert "rule 1" in stdout and "cost: reported" in stdout


def _mutations():
    def edit(fn):
        instance = copy.deepcopy(EXAMPLE)
        fn(instance)
        return instance

    return [
        ("format", edit(lambda i: i.update(format="lims-plan-instance/2"))),
        ("horizon.end", edit(lambda i: i["horizon"].update(end="2026-12-31"))),
        ("horizon.start", edit(lambda i: i["horizon"].update(start="2027-1-4"))),
        ("horizon.workdays[5]", edit(lambda i: i["horizon"]["workdays"].append(8))),
        ("horizon.holidays[0]", edit(lambda i: i["horizon"]["holidays"].insert(0, "2027-02-30"))),
        ("horizon.holidays", edit(lambda i: i["horizon"].pop("holidays"))),
        ("costs.visit_days", edit(lambda i: i["costs"].pop("visit_days"))),
        ("kinds.scale.minutes", edit(lambda i: i["kinds"]["scale"].update(minutes=-1))),
        ("kinds.scale.minutes", edit(lambda i: i["kinds"]["scale"].update(minutes=6.5))),
        ("sites[1].id", edit(lambda i: i["sites"][1].update(id="M0001"))),
        ("sites[0].setup_minutes", edit(lambda i: i["sites"][0].update(setup_minutes="40"))),
        ("sites[0].max_crews_per_day", edit(lambda i: i["sites"][0].update(max_crews_per_day=-2))),
        ("sites[1].closed[0]", edit(lambda i: i["sites"][1]["closed"].__setitem__(0, "09/04/2027"))),
        ("instruments[0].site", edit(lambda i: i["instruments"][0].update(site="M9999"))),
        ("instruments[0].kind", edit(lambda i: i["instruments"][0].update(kind="manometer"))),
        ("instruments[0].due", edit(lambda i: i["instruments"][0].pop("due"))),
        ("instruments[1].id", edit(lambda i: i["instruments"][1].update(id="I000001"))),
        ("instruments[0].earliest", edit(lambda i: i["instruments"][0].update(earliest="soon"))),
        ("crews[0].kinds[0]", edit(lambda i: i["crews"][0].update(kinds=["manometer"]))),
        ("crews[0].minutes_per_day", edit(lambda i: i["crews"][0].update(minutes_per_day=True))),
        ("crews[1].id", edit(lambda i: i["crews"][1].update(id="MK01"))),
        ("crews[0].off[0]", edit(lambda i: i["crews"][0]["off"].__setitem__(0, "2027-04-31"))),
    ]


@pytest.mark.parametrize("field, instance", _mutations(), ids=[f for f, _ in _mutations()])
def test_invalid_instance_exits_2_with_one_line_naming_the_field(tmp_path, capsys, field, instance):
    path, out = tmp_path / "instance.json", tmp_path / "plan.json"
    path.write_text(json.dumps(instance), encoding="utf-8")
    status, stdout, stderr = run_here(capsys, "solve", str(path), "--out", str(out))
    assert status == 2
    assert stdout == ""
    assert len(stderr.splitlines()) == 1 and field in stderr, stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe", b"[]", b'{"format": NaN}',
                                     b'{"format": "lims-plan-instance/1", "format": "x"}'])
def test_unreadable_instance_exits_2(tmp_path, capsys, content):
    path, out = tmp_path / "instance.json", tmp_path / "plan.json"
    path.write_bytes(content)
    status, _stdout, stderr = run_here(capsys, "solve", str(path), "--out", str(out))
    assert status == 2
    assert len(stderr.splitlines()) == 1 and stderr.startswith("error: ")
    assert not out.exists()


def test_missing_files_and_bad_options_exit_2(tmp_path, capsys):
    assert run_here(capsys, "solve", str(tmp_path / "nope.json"), "--out", str(tmp_path / "p.json"))[0] == 2
    with pytest.raises(SystemExit) as exc:
        main(["solve", str(EXAMPLE_PATH), "--out", str(tmp_path / "p.json"), "--time-limit", "-3"])
    assert exc.value.code == 2 and len(capsys.readouterr().err.splitlines()) == 1
    assert not (tmp_path / "p.json").exists()
    assert run_here(capsys, "check", str(EXAMPLE_PATH), str(tmp_path / "nope.json"))[0] == 2


def test_invalid_instance_in_a_fresh_interpreter(tmp_path):
    path, out = tmp_path / "instance.json", tmp_path / "plan.json"
    path.write_text(json.dumps(dict(EXAMPLE, format="x")), encoding="utf-8")
    proc = run("solve", str(path), "--out", str(out))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "error: format: must be 'lims-plan-instance/1', got 'x'\n"
    assert not out.exists()


def test_validate_instance_api():
    import planning

    planning.validate_instance(EXAMPLE)
    with pytest.raises(planning.InstanceError, match=r"^crews\[0\]\.kinds\[0\]"):
        planning.validate_instance(dict(EXAMPLE, crews=[dict(EXAMPLE["crews"][0], kinds=["x"])]))
    assert issubclass(planning.InstanceError, ValueError)
