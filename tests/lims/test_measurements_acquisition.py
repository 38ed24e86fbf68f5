"""Acquisition into the database: `lims bench run` in a subprocess killed mid-session, resume, faults, CLI errors.

The simulators are the instruments library's, in their own processes (``sim.spawn`` runs
``python -m instruments simulate mtsics``); ``lims bench run`` writes to this test's database
through LIMS_DATABASE_URL (a SQLite file, or PostgreSQL when LIMS_TEST_DATABASE_URL is set).
"""
import datetime as dt
import json
import os
import select
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from instruments import sim
from instruments.drivers.mettler_mtsics import parse_weight
from tests.lims.test_measurements_api import make_ready

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def spawn_sim():
    """Factory: a simulator subprocess with a load on it; all are closed after the test."""
    handles = []

    def factory(load=100.0, **kwargs):
        handle = sim.spawn("mtsics", **kwargs)
        handles.append(handle)
        handle.put_load(load)
        return handle

    yield factory
    for handle in handles:
        handle.close()


def bench_run(db_url, *args):
    """Start ``lims bench run ARGS`` in a subprocess on the test's database."""
    env = dict(os.environ, LIMS_DATABASE_URL=db_url, PYTHONPATH=ROOT, PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "lims.console", "bench", "run", *map(str, args)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def read_lines(proc, n, timeout=60.0):
    """Read up to ``n`` JSON lines from the process's stdout (fewer if it ends first)."""
    lines, deadline = [], time.monotonic() + timeout
    while len(lines) < n and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(json.loads(line))
    return lines


def finish(proc, timeout=90):
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, [json.loads(line) for line in out.splitlines()], err


def error_lines(err):
    """The ``Error: …`` lines on stderr (the other line is the "session N open" notice)."""
    lines = err.strip().splitlines()
    assert all(line.startswith(("Error: ", "session ")) for line in lines), err
    return [line for line in lines if line.startswith("Error: ")]


def rows(db_url, sql, **params):
    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()
    finally:
        engine.dispose()


def assert_valid_readings(db_url, sid, load=100.0):
    """Every stored reading is stable, in grams, near the load, and its value is what its raw frame says."""
    stored = rows(db_url, "SELECT sequence, value, unit, is_stable, raw FROM measurement_readings "
                          "WHERE session_id = :sid ORDER BY sequence", sid=sid)
    for seq, value, unit, stable, raw in stored:
        assert unit == "g" and stable and value == pytest.approx(load, abs=0.011), (seq, value, raw)
        assert parse_weight(bytes(raw)).value == value
    return [r[0] for r in stored]


def test_kill_bench_run_mid_session_loses_nothing_and_resume_continues(app, api, world, db_url, spawn_sim):
    job = make_ready(api, world)
    scale = spawn_sim(seed=3)
    proc = bench_run(db_url, "--job", job, "--port", scale.port, "--driver", "mtsics", "--count", 30, "--stable",
                     "--stream", "--user", "technician", "--point", "100 g")
    reported = read_lines(proc, 6)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert len(reported) == 6, proc.stderr.read()
    reported += [json.loads(line) for line in proc.stdout.read().splitlines(keepends=True) if line.endswith("\n")]
    sid = reported[0]["session"]
    stored = assert_valid_readings(db_url, sid)
    assert set(r["sequence"] for r in reported) <= set(stored)  # everything reported was committed first
    assert stored == list(range(1, len(stored) + 1)) and len(stored) <= len(reported) + 1
    state, accepted, last = rows(db_url, "SELECT state, accepted_count, last_sequence FROM measurement_sessions "
                                         "WHERE id = :sid", sid=sid)[0]
    assert (state, accepted, last) == ("open", len(stored), stored[-1])  # counters committed with each reading

    code, resumed, err = finish(bench_run(db_url, "--resume", sid, "--port", scale.port, "--stream"))
    assert code == 0, err
    assert [r["sequence"] for r in resumed] == list(range(len(stored) + 1, 31))
    assert assert_valid_readings(db_url, sid) == list(range(1, 31))  # no gap, no duplicate
    assert rows(db_url, "SELECT state, accepted_count, last_sequence FROM measurement_sessions WHERE id = :sid",
                sid=sid)[0] == ("completed", 30, 30)
    assert {p for (p,) in rows(db_url, "SELECT test_point FROM measurement_readings")} == {"100 g"}


def test_simulator_killed_mid_session_interrupts_and_new_simulator_resumes(app, api, world, db_url, spawn_sim):
    job = make_ready(api, world)
    first = spawn_sim(seed=5)
    proc = bench_run(db_url, "--job", job, "--port", first.port, "--driver", "mtsics", "--count", 12, "--stable",
                     "--stream", "--user", "technician", "--timeout", 2)
    reported = read_lines(proc, 4)
    first.kill()  # a pulled cable: the pty goes away mid-stream
    code, more, err = finish(proc)
    reported += more
    sid = reported[0]["session"]
    assert code == 2 and len(error_lines(err)) == 1 and "Traceback" not in err
    assert f"session {sid} interrupted after reading {len(reported)}" in err and f"--resume {sid}" in err
    assert assert_valid_readings(db_url, sid) == [r["sequence"] for r in reported]
    assert rows(db_url, "SELECT state FROM measurement_sessions WHERE id = :sid", sid=sid)[0][0] == "interrupted"

    second = spawn_sim(seed=6)
    code, resumed, err = finish(bench_run(db_url, "--resume", sid, "--port", second.port, "--stream"))
    assert code == 0, err
    assert resumed[0]["sequence"] == len(reported) + 1
    assert assert_valid_readings(db_url, sid) == list(range(1, 13))


def test_sigterm_interrupts_with_one_line_and_keeps_readings(app, api, world, db_url, spawn_sim):
    job = make_ready(api, world)
    scale = spawn_sim(seed=8)
    proc = bench_run(db_url, "--job", job, "--port", scale.port, "--driver", "mtsics", "--count", 500, "--stream",
                     "--user", "technician")
    reported = read_lines(proc, 3)
    proc.send_signal(signal.SIGTERM)
    code, more, err = finish(proc)
    reported += more
    sid = reported[0]["session"]
    assert code == 2 and len(error_lines(err)) == 1 and "stopped by the operator" in err, err
    stored = rows(db_url, "SELECT sequence FROM measurement_readings WHERE session_id = :sid ORDER BY sequence",
                  sid=sid)
    stored = [s for (s,) in stored]  # a reading may be committed just before the signal, not yet printed
    assert stored[:len(reported)] == [r["sequence"] for r in reported] and len(stored) <= len(reported) + 1
    assert stored == list(range(1, len(stored) + 1))
    assert rows(db_url, "SELECT state, error FROM measurement_sessions")[0] == ("interrupted",
                                                                                "stopped by the operator")


def test_garbled_frames_become_rejections_with_reasons_never_readings(app, api, world, db_url, spawn_sim):
    job = make_ready(api, world)
    scale = spawn_sim(load=10.0, seed=7, fault="garble:0.3")
    code, reported, err = finish(bench_run(db_url, "--job", job, "--port", scale.port, "--driver", "mtsics",
                                           "--count", 10, "--stable", "--user", "technician"))
    assert code == 0, err
    sid = reported[0]["session"]
    assert assert_valid_readings(db_url, sid, load=10.0) == list(range(1, 11))
    rejected = rows(db_url, "SELECT raw, reason FROM measurement_rejections WHERE session_id = :sid", sid=sid)
    assert rejected, "seed 7 with garble:0.3 must garble at least one frame"
    assert all(reason.startswith(("garbled: ", "timeout: ")) for _, reason in rejected)
    stored_raw = {bytes(r) for (r,) in rows(db_url, "SELECT raw FROM measurement_readings")}
    assert not stored_raw & {bytes(raw) for raw, _ in rejected}
    counts = rows(db_url, "SELECT accepted_count, rejected_count, state FROM measurement_sessions")[0]
    assert counts == (10, len(rejected), "completed")
    api_view = api("get", f"/api/v1/sessions/{sid}/rejections?per_page=100").json
    assert api_view["total"] == len(rejected) and api_view["items"][0]["reason"] == rejected[0][1]


def test_silent_instrument_times_out_with_one_line(app, api, world, db_url, spawn_sim):
    job = make_ready(api, world)
    scale = spawn_sim(fault="silent")
    code, reported, err = finish(bench_run(db_url, "--job", job, "--port", scale.port, "--driver", "mtsics",
                                           "--count", 3, "--user", "technician", "--timeout", 0.2,
                                           "--stable-within", 1))
    assert code == 2 and reported == [] and len(error_lines(err)) == 1 and "Traceback" not in err, err
    assert "interrupted after reading 0 of 3" in err and "no valid reading" in err
    assert rows(db_url, "SELECT count(*) FROM measurement_readings")[0][0] == 0


# -- input errors: one readable line on stderr, exit code 2, nothing stored -----------------------------

@pytest.fixture
def run_cli(app):
    runner = app.test_cli_runner(mix_stderr=False) if "mix_stderr" in app.test_cli_runner.__code__.co_varnames \
        else app.test_cli_runner()

    def call(*args):
        return runner.invoke(args=["bench", "run", *map(str, args)])

    return call


def one_line_error(result, *fragments):
    assert result.exit_code == 2, result.output
    text = result.stderr if hasattr(result, "stderr") else result.output
    errors = [line for line in text.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in text, text
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


def session_count(app):
    from lims.extensions import db

    with app.app_context():
        return db.session.execute(sa.text("SELECT count(*) FROM measurement_sessions")).scalar()


@pytest.mark.parametrize("args, fragments", [
    ([], ["--job", "--port", "--driver", "--user", "required"]),
    (["--job", 999999, "--port", "loop://", "--driver", "mtsics", "--user", "technician"], ["--job", "no job"]),
    (["--job", "{job}", "--port", "loop://", "--driver", "mtsics", "--user", "nobody"], ["--user", "nobody"]),
    (["--job", "{job}", "--port", "loop://", "--driver", "mtsics", "--user", "market_manager"], ["lab staff"]),
    (["--job", "{job}", "--port", "loop://", "--driver", "nosuch", "--user", "technician"], ["--driver"]),
    (["--job", "{job}", "--port", "loop://", "--driver", "mtsics", "--user", "technician", "--count", 0],
     ["--count"]),
    (["--job", "{job}", "--port", "/nonexistent/ttyX", "--driver", "mtsics", "--user", "technician"],
     ["/nonexistent/ttyX", "cannot open"]),
    (["--job", "{job}", "--port", "sim://nosuch", "--driver", "mtsics", "--user", "technician"], ["nosuch"]),
    (["--resume", 999999], ["--resume", "no session"]),
    (["--job", "{other}", "--port", "loop://", "--driver", "mtsics", "--user", "technician"],
     ["job", "booked", "in_progress"]),
])
def test_bad_input_one_line_exit_2_nothing_stored(app, api, world, run_cli, args, fragments):
    job = make_ready(api, world)
    args = [str(a).format(job=job, other=world.jobs["market_b"]) for a in args]
    one_line_error(run_cli(*args), *fragments)
    assert session_count(app) == 0


def test_overdue_standard_refused_by_cli(app, api, world, run_cli):
    import datetime as dt

    from lims.extensions import db
    from lims.modules.equipment.models import ReferenceStandard

    job = make_ready(api, world)
    with app.app_context():
        db.session.get(ReferenceStandard, world.standards["good"]).due_on = dt.date.today() - dt.timedelta(days=1)
        db.session.commit()
    one_line_error(run_cli("--job", job, "--port", "loop://", "--driver", "mtsics", "--user", "technician"),
                   "W-1", "due")
    assert session_count(app) == 0


def test_in_process_simulator_port_and_resume_rules(app, api, world, run_cli):
    job = make_ready(api, world)
    result = run_cli("--job", job, "--port", "sim://mtsics", "--driver", "mtsics", "--count", 3,
                     "--user", "technician")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["sequence"] for line in lines] == [1, 2, 3] and all(line["unit"] == "g" for line in lines)
    sid = lines[0]["session"]
    one_line_error(run_cli("--resume", sid), f"session {sid} is completed")
    one_line_error(run_cli("--resume", sid, "--driver", "sbi"), "--driver", "mtsics")
    s = api("get", f"/api/v1/sessions/{sid}").json
    assert (s["state"], s["accepted_count"], s["port"], s["ended_dt"] is not None) == ("completed", 3,
                                                                                      "sim://mtsics", True)


def test_api_created_session_is_run_by_resume(app, api, world, run_cli):
    job = make_ready(api, world)
    sid = api("post", f"/api/v1/jobs/{job}/sessions", role="technician", json={"count": 2}).json["id"]
    result = run_cli("--resume", sid)
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["sequence"] for line in result.stdout.splitlines()] == [1, 2]
    assert api("get", f"/api/v1/sessions/{sid}").json["state"] == "completed"


def test_duplicate_sequence_from_a_second_worker_is_refused_and_changes_nothing(app, api, world):
    from instruments import AcceptedReading, Reading
    from lims.modules.measurements.acquisition import DatabaseSink
    from tests.lims.test_measurements_api import store_readings

    job = make_ready(api, world)
    sid = api("post", f"/api/v1/jobs/{job}/sessions", json={"count": 5}).json["id"]
    store_readings(app, sid, 3)
    with app.app_context():
        sink = DatabaseSink(sid)
        assert sink.last_sequence() == 3
        dup = AcceptedReading(3, Reading(7.0, "g", True, dt.datetime.now(dt.UTC), b"S S 7.00 g"), None)
        with pytest.raises(sa.exc.IntegrityError):
            sink.accept(dup)
        sink.reject(b"\x00", "garbled: still usable after the failed commit")
    s = api("get", f"/api/v1/sessions/{sid}").json
    assert (s["accepted_count"], s["last_sequence"], s["rejected_count"]) == (3, 3, 1)
    values = [r["value"] for r in api("get", f"/api/v1/sessions/{sid}/readings").json["items"]]
    assert values == [1.0, 2.0, 3.0]


def test_resume_refused_once_the_job_was_submitted(app, api, world, run_cli):
    job = make_ready(api, world)
    sid = api("post", f"/api/v1/jobs/{job}/sessions", json={"count": 2}).json["id"]
    resp = api("post", f"/api/v1/jobs/{job}/transitions", json={"version": 3, "action": "submit", "result": "fail",
                                                                  "reason": "display broken"})
    assert resp.status_code == 200, resp.json
    one_line_error(run_cli("--resume", sid), f"job {job} is awaiting_approval")
    assert api("get", f"/api/v1/sessions/{sid}").json["state"] == "open"
