"""The bench command printed on the job page runs exactly as printed, against the project's simulator.

The command text is taken from the rendered page (the ``<pre>`` under "Measurement sessions"), split as a
shell would split it and run as a subprocess with the ``lims`` script of this environment on the test's
database; ``sim://KIND`` makes it start the simulator of KIND on a real pseudo-terminal and read from it.
"""
import html
import os
import re
import shlex
import subprocess
import sys

import pytest

from tests.lims.test_measurements_acquisition import ROOT, rows
from tests.lims.test_measurements_api import make_ready
from tests.lims.test_pages_support import login, text_of

LIMS = os.path.join(os.path.dirname(sys.executable), "lims")


def printed_commands(page):
    """The bench commands of the job page, as a person would copy them."""
    block = re.search(r'<div id="bench-command".*?</div>', page, re.S)
    assert block, "the job page shows no bench command"
    return [html.unescape(c) for c in re.findall(r"<pre[^>]*>(.*?)</pre>", block.group(0), re.S)]


def run_printed(command, db_url, timeout=120):
    argv = shlex.split(command)
    assert argv[0] == "lims"
    env = dict(os.environ, LIMS_DATABASE_URL=db_url, PYTHONPATH=ROOT)
    return subprocess.run([LIMS, *argv[1:]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("kind", ["mtsics", "ind560"])  # ind560: the demo's weighing bench
def test_the_printed_bench_command_runs_against_the_simulator_and_stores_readings(client, api, world, db_url, kind):
    job = make_ready(api, world, ports=[{"role": "weighing", "port": f"sim://{kind}", "driver": "mtsics"}])
    login(client, "technician")
    commands = printed_commands(text_of(client.get(f"/jobs/{job}")))
    assert len(commands) == 1 and f"--port sim://{kind} --driver mtsics " in commands[0]
    done = run_printed(commands[0], db_url)
    assert done.returncode == 0, done.stderr
    stored = rows(db_url, "SELECT s.id, s.job_id, s.state, s.accepted_count, r.sequence, r.unit, r.test_point "
                          "FROM measurement_sessions s JOIN measurement_readings r ON r.session_id = s.id "
                          "WHERE s.job_id = :job ORDER BY r.sequence", job=job)
    assert [r.sequence for r in stored] == list(range(1, 11))
    assert {(r.job_id, r.state, r.accepted_count, r.unit) for r in stored} == {(job, "completed", 10, "g")}
    assert {r.test_point for r in stored} == {None}  # no placeholder label ("…") stored as a test point
    assert f"session {stored[0].id} completed: 10 accepted" in done.stderr
    page = text_of(client.get(f"/jobs/{job}"))
    assert re.search(rf'<tr data-session="{stored[0].id}"><td>{stored[0].id}</td><td class="session-completed">'
                     r"completed</td>", page)


MEDICAL_PORTS = [{"role": "thermometer", "port": "sim://fluke1502", "driver": "fluke1502"},
                 {"role": "pressure", "port": "sim://dpi740", "driver": "dpi740"},
                 {"role": "weighing", "port": "sim://ind560", "driver": "mtsics"}]


@pytest.mark.parametrize("org,port,driver", [("hospital_a", "sim://dpi740", "dpi740"),
                                             ("market_a", "sim://ind560", "mtsics")])
def test_the_bench_kind_defaults_from_the_instrument_type(client, api, world, org, port, driver):
    job = make_ready(api, world, org=org, ports=MEDICAL_PORTS)
    login(client, "technician")
    commands = printed_commands(text_of(client.get(f"/jobs/{job}")))
    assert len(commands) == 1 and f"--port {port} --driver {driver} " in commands[0], commands
    resp = api("post", f"/api/v1/jobs/{job}/sessions", json={"count": 3})  # no port_role: the type's port
    assert resp.status_code == 201, resp.json
    assert (resp.json["port"], resp.json["driver"]) == (port, driver)


def test_a_bench_with_no_fitting_port_prints_every_port_and_the_api_asks_for_one(client, api, world):
    ports = MEDICAL_PORTS[:2]  # a scale on a bench with a thermometer readout and a pressure reference
    job = make_ready(api, world, org="market_a", ports=ports)
    login(client, "technician")
    commands = printed_commands(text_of(client.get(f"/jobs/{job}")))
    assert [c.split("--port ")[1].split()[0] for c in commands] == [p["port"] for p in ports]
    resp = api("post", f"/api/v1/jobs/{job}/sessions", json={"count": 3})
    assert resp.status_code == 422 and "several ports" in str(resp.json)


def test_the_demo_simulators_match_the_demo_instruments():
    from instruments.sim.definitions import load_definition
    from lims.demo import BENCHES, SCALES

    kinds = {p["driver"]: load_definition(p["port"].removeprefix("sim://")) for b in BENCHES for p in b["ports"]}
    weighing = kinds["mtsics"]
    assert weighing.protocol == "mtsics" and weighing.model_params["capacity"] >= max(s[2] for s in SCALES) == 30000
    assert weighing.model_params["resolution"] <= min(s[3] for s in SCALES) / 5  # the reference reads finer than e
    assert kinds["dpi740"].model_params["range"] >= 40.0  # kPa: a sphygmomanometer's 300 mmHg


@pytest.mark.parametrize("lang,label,wrong", [("en", "acquisition failed", "failed verification"),
                                              ("zh", "采集失败", "检定不合格")])
def test_a_failed_acquisition_session_is_labelled_as_such_never_as_a_failed_verification(client, app, api, world,
                                                                                        lang, label, wrong):
    from lims.core.audit import acting_as
    from lims.extensions import db
    from lims.modules.measurements import operations as m_ops
    from lims.modules.measurements.models import MeasurementSession

    job = make_ready(api, world)
    sid = api("post", f"/api/v1/jobs/{job}/sessions", json={"count": 3}).json["id"]
    with app.app_context(), acting_as(None, "test"):
        m_ops.end_session(db.session.get(MeasurementSession, sid), "failed", "no stable reading within 30 s")
        db.session.commit()
    login(client, "technician", lang=lang)
    page = text_of(client.get(f"/jobs/{job}"))
    cell = re.search(rf'<tr data-session="{sid}"><td>{sid}</td><td class="session-failed">(.*?)</td>', page, re.S)
    assert cell and cell.group(1).startswith(label), page
    assert "no stable reading within 30 s" in cell.group(1) and f"lims bench run --resume {sid}" in cell.group(1)
    assert wrong not in page


def sse_events(chunks, want, timeout=60.0):
    """Parse server-sent events from an iterable of byte chunks until ``want`` reading events arrived."""
    import json
    import time

    buffer, events, deadline = "", [], time.monotonic() + timeout
    for chunk in chunks:
        buffer += chunk.decode()
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if fields.get("event") == "reading":
                events.append((int(fields["id"]), json.loads(fields["data"])))
        if len(events) >= want or time.monotonic() > deadline:
            break
    return events


def test_readings_arrive_live_on_the_job_stream_while_the_printed_command_runs(client, app, api, world, db_url):
    job = make_ready(api, world)
    login(client, "technician")
    page = text_of(client.get(f"/jobs/{job}"))
    assert f'data-stream="/jobs/{job}/readings/stream"' in page and 'data-after="0"' in page
    assert "<script src=\"/static/js/live-readings.js\" defer></script>" in page  # no inline script (CSP 'self')
    app.config["READINGS_STREAM_SECONDS"] = 60
    resp = client.get(f"/jobs/{job}/readings/stream", buffered=False)
    assert resp.status_code == 200 and resp.mimetype == "text/event-stream"
    argv = shlex.split(printed_commands(page)[0])
    env = dict(os.environ, LIMS_DATABASE_URL=db_url, PYTHONPATH=ROOT)
    proc = subprocess.Popen([LIMS, *argv[1:]], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        events = sse_events(resp.response, 10)
    finally:
        out, err = proc.communicate(timeout=120)
        resp.close()
    assert proc.returncode == 0, err
    assert [e["sequence"] for _, e in events] == list(range(1, 11))  # streamed while the bench stored them
    assert {(e["unit"], e["stable"]) for _, e in events} == {("g", True)}
    # a reconnect (Last-Event-ID) gets only what came after; a customer gets no stream
    app.config["READINGS_STREAM_SECONDS"] = 0
    again = client.get(f"/jobs/{job}/readings/stream", headers={"Last-Event-ID": str(events[6][0])})
    assert [e["sequence"] for _, e in sse_events([again.data], 99)] == [8, 9, 10]
    assert f'data-after="{events[-1][0]}"' in text_of(client.get(f"/jobs/{job}"))
    other = app.test_client()
    login(other, "market_manager")
    assert other.get(f"/jobs/{job}/readings/stream").status_code == 403


def test_without_port_and_driver_the_cli_takes_the_bench_port_fitting_the_instrument(api, world, db_url):
    job = make_ready(api, world, org="market_a", ports=MEDICAL_PORTS)
    done = run_printed(f"lims bench run --job {job} --user technician --count 3", db_url)
    assert done.returncode == 0, done.stderr
    assert f"job {job}, mtsics on sim://ind560, 3 readings" in done.stderr
    assert rows(db_url, "SELECT driver, port, accepted_count FROM measurement_sessions WHERE job_id = :job",
                job=job) == [("mtsics", "sim://ind560", 3)]
    ambiguous = make_ready(api, world, org="hospital_b", ports=MEDICAL_PORTS[:1] + MEDICAL_PORTS[2:])
    done = run_printed(f"lims bench run --job {ambiguous} --user technician", db_url)
    assert done.returncode == 2 and done.stderr.strip().endswith("required for a new session (or give --resume "
                                                                 "SESSION_ID)")


def test_the_printed_command_is_quoted_for_the_shell(client, api, world):
    url = "rfc2217://bench-7.lab:2217?ign_set_control&logging=debug"
    job = make_ready(api, world, ports=[{"role": "weighing", "port": url, "driver": "mtsics"}])
    login(client, "technician")
    (command,) = printed_commands(text_of(client.get(f"/jobs/{job}")))
    argv = shlex.split(command)
    assert argv[argv.index("--port") + 1] == url and argv[argv.index("--driver") + 1] == "mtsics"
