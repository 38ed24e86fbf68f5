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


def test_the_printed_bench_command_runs_against_the_simulator_and_stores_readings(client, api, world, db_url):
    job = make_ready(api, world)
    login(client, "technician")
    commands = printed_commands(text_of(client.get(f"/jobs/{job}")))
    assert len(commands) == 1 and "--port sim://mtsics" in commands[0]
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
    assert re.search(rf"<td>{stored[0].id}</td><td>completed</td>", page)
